# SPDX-License-Identifier: MIT
import os
import subprocess
import threading

import numpy as np
import pytest

import skystack
import skystack.geom as geom
import skystack.image as afwImage
from skystack import exceptions as pex


def make_inputs(n=6, shape=(40, 50), seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        img = rng.normal(100 + k, 5, size=shape).astype(np.float32)
        var = np.full(shape, 25.0 + k, np.float32)
        mask = np.zeros(shape, np.int32)
        out.append((img, mask, var))
    return out


def test_mean_of_numpy_triples_against_numpy():
    triples = make_inputs()
    coadd, nimage, report = skystack.coadd(triples, "mean")
    imgs = np.array([t[0] for t in triples], np.float64)
    var = np.array([t[2] for t in triples], np.float64)
    np.testing.assert_allclose(coadd.image.array, imgs.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(coadd.variance.array, var.sum(axis=0) / len(triples) ** 2, rtol=1e-6)
    assert (nimage.array == len(triples)).all()
    assert report["n_inputs"] == len(triples) and report["statistic"] == "mean"
    assert coadd.getBBox() == geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(50, 40))


def test_bad_pixels_are_rejected_and_counted():
    triples = make_inputs(n=4)
    triples[0][1][3, 4] = afwImage.Mask.getPlaneBitMask("BAD")
    triples[0][0][3, 4] = 1e9
    coadd, nimage, _ = skystack.coadd(triples, "mean")
    assert nimage.array[3, 4] == 3
    expected = np.mean([t[0][3, 4] for t in triples[1:]], dtype=np.float64)
    assert coadd.image.array[3, 4] == pytest.approx(expected, rel=1e-6)


def test_weighted_mean_uses_inverse_variance():
    triples = make_inputs(n=3)
    coadd, _, report = skystack.coadd(triples, "weighted_mean")
    w = np.array(report["weights"])
    imgs = np.array([t[0] for t in triples], np.float64)
    np.testing.assert_allclose(coadd.image.array, np.tensordot(w, imgs, 1) / w.sum(), rtol=1e-5)


def test_astropy_nddata_inputs():
    from astropy.nddata import CCDData, InverseVariance, StdDevUncertainty, VarianceUncertainty
    triples = make_inputs(n=3)
    a, b, c = triples
    inputs = [CCDData(a[0], unit="adu", uncertainty=VarianceUncertainty(a[2]), mask=np.zeros_like(a[0], bool)),
              CCDData(b[0], unit="adu", uncertainty=StdDevUncertainty(np.sqrt(b[2]))),
              CCDData(c[0], unit="adu", uncertainty=InverseVariance(1.0 / c[2]))]
    inputs[0].mask[5, 5] = True  # astropy: True is bad -> BAD plane
    from_astropy, nim, _ = skystack.coadd(inputs, "mean")
    from_numpy, _, _ = skystack.coadd(triples, "mean")
    ok = np.ones(a[0].shape, bool)
    ok[5, 5] = False
    np.testing.assert_allclose(from_astropy.image.array[ok], from_numpy.image.array[ok], rtol=1e-6)
    np.testing.assert_allclose(from_astropy.variance.array[ok], from_numpy.variance.array[ok], rtol=1e-5)
    assert nim.array[5, 5] == 2
    assert from_astropy.image.array[5, 5] == pytest.approx((b[0][5, 5] + c[0][5, 5]) / 2, rel=1e-6)


def test_inputs_are_wrapped_without_copy():
    img, mask, var = make_inputs(n=1)[0]
    mi = skystack.stack.to_masked_image((img, mask, var))
    assert np.shares_memory(mi.image.array, img)
    assert np.shares_memory(mi.mask.array, mask)
    assert np.shares_memory(mi.variance.array, var)


def test_offset_inputs_cover_the_union():
    a = afwImage.MaskedImageF(geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(10, 10)))
    b = afwImage.MaskedImageF(geom.Box2I(geom.Point2I(5, 5), geom.Extent2I(10, 10)))
    for mi, v in ((a, 1.0), (b, 3.0)):
        mi.image.set(v)
        mi.variance.set(1.0)
    coadd, nimage, _ = skystack.coadd([a, b], "mean")
    assert coadd.getBBox() == geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(15, 15))
    assert coadd[0, 0][0] == 1.0 and coadd[14, 14][0] == 3.0 and coadd[7, 7][0] == 2.0
    assert nimage[7, 7] == 2 and nimage[0, 14] == 0
    assert coadd[0, 14][1] & afwImage.Mask.getPlaneBitMask("NO_DATA")


def test_progress_callback_and_gil_release():
    # large enough (tenths of a second) that the spinning thread is scheduled while C++ stacks, even on a busy
    # machine: between the first and the last progress call it can only run if the GIL was released
    triples = make_inputs(n=16, shape=(1024, 1024))
    seen = []
    counter = [0]
    running = [True]

    def spin():
        while running[0]:
            counter[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        skystack.coadd(triples, "median", progress=lambda done, total: seen.append((done, total, counter[0])))
    finally:
        running[0] = False
        t.join()
    assert seen and seen[-1][0] == seen[-1][1]
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert seen[-1][2] > seen[0][2]  # the Python thread ran while C++ stacked


def test_progress_callback_can_cancel_and_raise():
    triples = make_inputs(n=4, shape=(256, 256))
    with pytest.raises(pex.CancelledError):
        skystack.coadd(triples, "mean", progress=lambda d, t: False)

    def boom(done, total):
        raise KeyError("from the callback")

    with pytest.raises(KeyError):
        skystack.coadd(triples, "mean", progress=boom)


def test_bad_arguments():
    with pytest.raises(pex.InvalidParameterError):
        skystack.coadd(make_inputs(n=2), "average")
    with pytest.raises(pex.LengthError):
        skystack.coadd([], "mean")
    with pytest.raises(pex.InvalidParameterError):
        skystack.coadd([np.zeros((3, 3))], "mean")
    with pytest.raises(pex.LengthError):
        skystack.coadd([(np.zeros((3, 3)), np.zeros((2, 2), np.int32), np.ones((3, 3)))], "mean")


@pytest.mark.skipif(not os.environ.get("SKYSTACK_COADD_DRIVER") or not afwImage.HAVE_FITS,
                    reason="needs the C++ coadd driver (ctest sets SKYSTACK_COADD_DRIVER)")
@pytest.mark.parametrize("statistic", ["meanclip", "median"])
def test_python_coadd_equals_cpp_coadd(tmp_path, statistic):
    rng = np.random.default_rng(11)
    paths, inputs = [], []
    for k in range(5):
        mi = afwImage.MaskedImageF(geom.Box2I(geom.Point2I(3 * k, 2 * k), geom.Extent2I(60, 50)))
        mi.image.array[:] = rng.normal(50, 3, size=(50, 60)).astype(np.float32)
        mi.image.array[rng.random((50, 60)) < 0.01] = 500  # outliers for the clip
        mi.variance.array[:] = rng.uniform(8, 10, size=(50, 60)).astype(np.float32)
        mi.mask.array[rng.random((50, 60)) < 0.02] = afwImage.Mask.getPlaneBitMask("SAT")
        path = str(tmp_path / f"in{k}.fits")
        mi.writeFits(path)
        paths.append(path)
        inputs.append(afwImage.MaskedImageF.readFits(path))
    out = str(tmp_path / "coadd.fits")
    subprocess.run([os.environ["SKYSTACK_COADD_DRIVER"], statistic, out, *paths], check=True)
    cpp = afwImage.MaskedImageF.readFits(out)
    py, _, _ = skystack.coadd(inputs, statistic, nimage=False)
    assert py.getBBox() == cpp.getBBox()
    np.testing.assert_array_equal(py.image.array, cpp.image.array)
    np.testing.assert_array_equal(py.variance.array, cpp.variance.array)
    names = py.getMask().getMaskPlaneDict()
    for plane in ("SAT", "NO_DATA", "CLIPPED", "REJECTED"):
        if plane in names:
            bp = 1 << names[plane]
            bc = 1 << cpp.getMask().getMaskPlaneDict()[plane]
            np.testing.assert_array_equal((py.mask.array & bp) != 0, (cpp.mask.array & bc) != 0)


def test_threads_call_the_callback_safely_and_agree():
    triples = make_inputs(n=5, shape=(300, 200))
    calls = []
    one, _, _ = skystack.coadd(triples, "meanclip", threads=1)
    two, _, _ = skystack.coadd(triples, "meanclip", threads=2, progress=lambda d, t: calls.append((d, t)))
    np.testing.assert_array_equal(one.image.array, two.image.array)
    assert calls  # called from the worker threads (with the GIL taken there), no deadlock
    assert max(d for d, _ in calls) == calls[0][1]  # the work was all reported done


def test_double_inputs_give_a_double_coadd():
    triples = [(t[0].astype(np.float64), t[1], t[2]) for t in make_inputs(n=3)]
    coadd, _, _ = skystack.coadd(triples, "mean")
    assert isinstance(coadd, afwImage.MaskedImageD)
    np.testing.assert_allclose(coadd.image.array, np.mean([t[0] for t in triples], axis=0), rtol=1e-12)
