# SPDX-License-Identifier: MIT
import gc
import weakref

import numpy as np
import pytest

import skystack.geom as geom
import skystack.image as afwImage
from skystack import exceptions as pex

TYPES = [(afwImage.ImageU, np.uint16), (afwImage.ImageI, np.int32), (afwImage.ImageF, np.float32),
         (afwImage.ImageD, np.float64)]


@pytest.mark.parametrize("cls,dtype", TYPES)
def test_array_is_a_writable_view_both_ways(cls, dtype):
    img = cls(geom.Box2I(geom.Point2I(10, 20), geom.Extent2I(4, 3)))
    a = img.array
    assert a.shape == (3, 4) and a.dtype == dtype
    a[1, 2] = 7  # [y, x] local
    assert img[12, 21] == 7  # (x, y) parent
    img[13, 22] = 5
    assert a[2, 3] == 5
    assert np.shares_memory(a, img.getArray())


def test_construction_from_numpy_without_copy():
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    img = afwImage.ImageF(arr, deep=False, xy0=geom.Point2I(5, 6))
    assert img.getBBox() == geom.Box2I(geom.Point2I(5, 6), geom.Extent2I(4, 3))
    assert np.shares_memory(img.array, arr)
    arr[2, 1] = -1
    assert img[6, 8] == -1
    img[5, 6] = 42
    assert arr[0, 0] == 42
    deep = afwImage.ImageF(arr, deep=True)
    assert not np.shares_memory(deep.array, arr)
    with pytest.raises(TypeError):
        afwImage.ImageF(np.zeros((2, 2), np.float64), deep=False)
    converted = afwImage.ImageF(np.ones((2, 2), np.float64), deep=True)
    assert converted.array.dtype == np.float32 and converted.array.sum() == 4


def test_view_outlives_its_image():
    img = afwImage.ImageF(100, 100)
    img.array[:] = 3.0
    a = img.array
    ref = weakref.ref(img)
    del img
    gc.collect()
    assert ref() is None or True  # the array's base keeps the pixels, whatever happens to the name
    assert a.sum() == 3.0 * 100 * 100
    sub = afwImage.ImageF(50, 50)[geom.Box2I(geom.Point2I(10, 10), geom.Extent2I(5, 5))]
    gc.collect()
    sub.array[:] = 1
    assert sub.array.sum() == 25


def test_numpy_base_kept_alive():
    img = afwImage.ImageD(np.full((5, 5), 2.0), deep=False)
    gc.collect()
    assert img.array.sum() == 50.0


def test_slices_and_boxes_are_views_in_parent_coordinates():
    img = afwImage.ImageF(geom.Box2I(geom.Point2I(100, 200), geom.Extent2I(10, 8)))
    img.array[:] = np.arange(80, dtype=np.float32).reshape(8, 10)
    sub = img[102:105, 201:203]
    assert sub.getBBox() == geom.Box2I(geom.Point2I(102, 201), geom.Extent2I(3, 2))
    np.testing.assert_array_equal(sub.array, img.array[1:3, 2:5])
    sub.array[:] = -5
    assert img[103, 202] == -5
    box = geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(2, 2))
    local = img[box, afwImage.LOCAL]
    assert local.getXY0() == geom.Point2I(100, 200)
    assert img[1, 1, afwImage.LOCAL] == img[101, 201]
    img[geom.Box2I(geom.Point2I(108, 206), geom.Extent2I(2, 2))] = 9
    assert img.array[6:, 8:].tolist() == [[9, 9], [9, 9]]
    assert img[-1, -1] == img.array[-1, -1]  # negative indices count from the end, as Python's


def test_out_of_range_and_bad_boxes():
    img = afwImage.ImageF(4, 4)
    with pytest.raises(IndexError):
        img[4, 0]
    with pytest.raises(pex.OutOfRangeError):
        img[0, 4]
    with pytest.raises(pex.LengthError):
        img[geom.Box2I(geom.Point2I(2, 2), geom.Extent2I(5, 5))]
    with pytest.raises(ValueError):
        afwImage.ImageF(img, geom.Box2I(geom.Point2I(-1, 0), geom.Extent2I(2, 2)))
    with pytest.raises(pex.InvalidParameterError):
        img[0:4:2, 0:2]


def test_copy_semantics_as_afw():
    img = afwImage.ImageF(3, 3, 1.0)
    shallow = afwImage.ImageF(img)
    deep = afwImage.ImageF(img, deep=True)
    img[0, 0] = 5
    assert shallow[0, 0] == 5 and deep[0, 0] == 1
    assert img.clone()[0, 0] == 5
    sub = afwImage.ImageF(img, geom.Box2I(geom.Point2I(1, 1), geom.Extent2I(2, 2)), afwImage.PARENT, False)
    sub.set(7)
    assert img.array[1:, 1:].tolist() == [[7, 7], [7, 7]]


def test_arithmetic_against_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 5)).astype(np.float32)
    b = rng.normal(size=(6, 5)).astype(np.float32) + 3
    ia, ib = afwImage.ImageF(a.copy(), deep=False), afwImage.ImageF(b, deep=False)
    ia += ib
    np.testing.assert_array_equal(ia.array, a + b)
    ia *= 2.0
    np.testing.assert_array_equal(ia.array, (a + b) * np.float32(2))
    ia -= ib
    np.testing.assert_allclose(ia.array, (a + b) * 2 - b, rtol=1e-6)
    with pytest.raises(pex.LengthError):
        ia += afwImage.ImageF(2, 2)


def test_generic_image_factory():
    assert isinstance(afwImage.Image(geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(2, 2))), afwImage.ImageF)
    assert isinstance(afwImage.Image(np.zeros((2, 2), np.float64)), afwImage.ImageD)
    assert afwImage.Image[np.int32] is afwImage.ImageI
    assert isinstance(afwImage.ImageU(1, 1), afwImage.Image)


def test_masked_image_planes_shared():
    mi = afwImage.MaskedImageF(geom.Box2I(geom.Point2I(1, 1), geom.Extent2I(4, 3)))
    im, mk, var = mi.getArrays()
    assert im.shape == mk.shape == var.shape == (3, 4)
    assert mk.dtype == np.int32 and var.dtype == np.float32
    im[0, 0], mk[0, 0], var[0, 0] = 1.5, 3, 0.25
    assert mi[1, 1] == (1.5, 3, 0.25)
    mi.getImage()[2, 1] = 8
    assert mi.image.array[0, 1] == 8
    sub = mi[2:4, 2:4]
    sub.getVariance().set(9)
    assert mi.variance.array[1:3, 1:3].tolist() == [[9, 9], [9, 9]]
    mi[4, 3] = (1, 2, 3)
    assert mi[4, 3] == (1.0, 2, 3.0)
    made = afwImage.makeMaskedImage(afwImage.ImageF(np.ones((2, 2), np.float32), deep=False))
    assert isinstance(made, afwImage.MaskedImageF) and made.getMask().array.sum() == 0


@pytest.mark.skipif(not afwImage.HAVE_FITS, reason="built without cfitsio")
def test_fits_round_trip(tmp_path):
    mi = afwImage.MaskedImageF(geom.Box2I(geom.Point2I(3, 4), geom.Extent2I(5, 6)))
    mi.image.array[:] = np.arange(30, dtype=np.float32).reshape(6, 5)
    mi.mask.array[2, 2] = afwImage.Mask.getPlaneBitMask("CR")
    mi.variance.array[:] = 2
    path = str(tmp_path / "mi.fits")
    mi.writeFits(path)
    back = afwImage.MaskedImageF.readFits(path)
    assert back.getBBox() == mi.getBBox()
    np.testing.assert_array_equal(back.image.array, mi.image.array)
    np.testing.assert_array_equal(back.mask.array, mi.mask.array)
    assert back.getMask().interpret(int(back.mask.array[2, 2])) == "CR"
    img = afwImage.ImageD(np.eye(3), deep=False)
    img.writeFits(str(tmp_path / "i.fits"))
    np.testing.assert_array_equal(afwImage.ImageD.readFits(str(tmp_path / "i.fits")).array, np.eye(3))
