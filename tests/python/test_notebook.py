# SPDX-License-Identifier: MIT
"""A typical afw notebook cell, run with only its import lines changed (shown in docs/python.md)."""

import numpy as np


def test_afw_notebook_cell():
    # //! [afw_cell]
    # --- the only lines that differ from the afw version -----------------------------------------------------
    import skystack.geom as geom             # import lsst.geom as geom
    import skystack.image as afwImage        # import lsst.afw.image as afwImage
    import skystack.math as afwMath          # import lsst.afw.math as afwMath
    # --- unchanged afw code -----------------------------------------------------------------------------------
    bbox = geom.Box2I(geom.Point2I(100, 200), geom.Extent2I(64, 48))
    mi = afwImage.MaskedImageF(bbox)
    rng = np.random.default_rng(42)
    mi.image.array[:] = rng.normal(1000.0, 10.0, size=(48, 64)).astype(np.float32)
    mi.variance.array[:] = 100.0
    bit = afwImage.Mask.addMaskPlane("MY_DEFECT")
    mi.mask[geom.Box2I(geom.Point2I(110, 210), geom.Extent2I(4, 4))] = afwImage.Mask.getPlaneBitMask("MY_DEFECT")
    mi.image[geom.Box2I(geom.Point2I(110, 210), geom.Extent2I(4, 4))] = 1e6
    sub = mi[geom.Box2I(geom.Point2I(105, 205), geom.Extent2I(20, 20))]
    sctrl = afwMath.StatisticsControl()
    sctrl.setAndMask(afwImage.Mask.getPlaneBitMask(["MY_DEFECT", "BAD"]))
    sctrl.setNumSigmaClip(3.0)
    stats = afwMath.makeStatistics(sub, afwMath.MEANCLIP | afwMath.STDEVCLIP, sctrl)
    meanclip, stdclip = stats.getValue(afwMath.MEANCLIP), stats.getValue(afwMath.STDEVCLIP)
    coadd = afwMath.statisticsStack([mi, mi.clone(), mi.clone()], afwMath.MEAN, sctrl)
    # //! [afw_cell]
    # --- checks against numpy ---------------------------------------------------------------------------------
    assert bit == afwImage.Mask.getMaskPlane("MY_DEFECT")
    good = sub.image.array[sub.mask.array == 0].astype(np.float64)
    assert good.size == 20 * 20 - 16
    assert abs(meanclip - good.mean()) < 1.0       # nothing is >3 sigma off in this draw, or little
    assert abs(stdclip - good.std(ddof=1)) < 1.0
    assert coadd.getBBox() == bbox
    np.testing.assert_allclose(coadd.image.array[20:, 20:], mi.image.array[20:, 20:], rtol=1e-6)
    defect = coadd.mask.array[10:14, 10:14]
    assert (defect & afwImage.Mask.getPlaneBitMask("NO_DATA")).all()  # all three inputs rejected there


def test_docs_show_this_cell():
    """docs/python.md shows the cell above verbatim (dedented)."""
    import pathlib
    import textwrap
    here = pathlib.Path(__file__)
    src = here.read_text().split("# //! [afw_cell]\n")[1]
    cell = textwrap.dedent(src[:src.rindex("\n") + 1])
    doc = (here.parents[2] / "docs" / "python.md").read_text()
    assert cell in doc
