# SPDX-License-Identifier: MIT
import builtins

import numpy as np
import pytest

import skystack.geom as geom
import skystack.image as afwImage
import skystack.math as afwMath
from skystack import exceptions as pex


def test_hierarchy_mirrors_pex_exceptions():
    assert issubclass(pex.LengthError, pex.LogicError) and issubclass(pex.LengthError, builtins.ValueError)
    assert issubclass(pex.InvalidParameterError, pex.LogicError)
    assert issubclass(pex.InvalidParameterError, builtins.ValueError)
    assert issubclass(pex.OutOfRangeError, pex.LogicError) and issubclass(pex.OutOfRangeError, builtins.IndexError)
    assert issubclass(pex.OverflowError, pex.RuntimeError) and issubclass(pex.OverflowError, builtins.OverflowError)
    assert issubclass(pex.NotFoundError, builtins.LookupError)
    assert issubclass(pex.FitsError, pex.IoError) and issubclass(pex.IoError, builtins.OSError)
    for cls in (pex.LogicError, pex.RuntimeError, pex.NotFoundError):
        assert issubclass(cls, pex.Exception)


@pytest.mark.parametrize("call,cls", [
    (lambda: afwImage.ImageF(2, 2)[5, 5], pex.OutOfRangeError),
    (lambda: afwImage.ImageF(2, 2)[geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(3, 3))], pex.LengthError),
    (lambda: afwImage.Mask.getPlaneBitMask("NOPE"), pex.InvalidParameterError),
    (lambda: geom.Point2I(geom.Point2D(1e300, 0)), pex.OverflowError),
    (lambda: afwImage.ImageF(np.zeros((2, 2, 2), np.float32)), pex.LengthError),
    (lambda: afwImage.ImageF(np.zeros((2, 2), np.int16), deep=False), pex.TypeError),
    (lambda: afwMath.makeStatistics(afwImage.ImageF(0, 0), afwMath.MEAN), pex.InvalidParameterError),
    (lambda: afwMath.makeStatistics(afwImage.ImageF(1, 1), 1 << 20), pex.InvalidParameterError),
])
def test_each_error_maps_to_its_class(call, cls):
    with pytest.raises(cls) as info:
        call()
    assert str(info.value)  # says what went wrong


@pytest.mark.skipif(not afwImage.HAVE_FITS, reason="built without cfitsio")
def test_fits_error(tmp_path):
    with pytest.raises(pex.FitsError) as info:
        afwImage.ImageF.readFits(str(tmp_path / "missing.fits"))
    assert "missing.fits" in str(info.value)
    with pytest.raises(OSError):
        afwImage.ImageF.readFits(str(tmp_path / "missing.fits"))
