# SPDX-License-Identifier: MIT
import numpy as np
import pytest

import skystack.geom as geom
import skystack.image as afwImage
from skystack import exceptions as pex

Mask = afwImage.Mask


def test_pixels_are_int32_views():
    m = Mask(geom.Box2I(geom.Point2I(2, 3), geom.Extent2I(4, 2)))
    assert m.array.dtype == np.int32 and m.array.shape == (2, 4)
    m.array[1, 0] = Mask.getPlaneBitMask("EDGE")
    assert m[2, 4] == Mask.getPlaneBitMask("EDGE")
    arr = np.zeros((3, 3), dtype=np.int32)
    wrapped = Mask(arr, deep=False)
    wrapped[1, 1] = 5
    assert arr[1, 1] == 5


def test_static_plane_api():
    bad = Mask.getPlaneBitMask("BAD")
    assert bad == 1 << Mask.getMaskPlane("BAD")
    assert Mask.getPlaneBitMask(["BAD", "CR"]) == bad | Mask.getPlaneBitMask("CR")
    bit = Mask.addMaskPlane("MY_PLANE")
    assert Mask.addMaskPlane("MY_PLANE") == bit  # adding again returns the same bit
    m = Mask(2, 2)
    assert m.getMaskPlaneDict()["MY_PLANE"] == bit
    with pytest.raises(pex.InvalidParameterError):
        Mask.getPlaneBitMask("NO_SUCH_PLANE")
    with pytest.raises(ValueError):
        Mask.getPlaneBitMask("NO_SUCH_PLANE")


def test_interpret_orders_names_alphabetically_as_afw():
    m = Mask(1, 1)
    v = Mask.getPlaneBitMask(["SAT", "BAD", "EDGE", "CR"])
    assert m.interpret(v) == ",".join(sorted(["SAT", "BAD", "EDGE", "CR"]))
    assert m.interpret(0) == ""


def test_dictionary_versions():
    old = Mask(2, 2)
    old.array[:] = Mask.getPlaneBitMask("CR")
    Mask.removeMaskPlane("CR")
    new = Mask(2, 2)
    assert "CR" in old.getMaskPlaneDict()  # an existing mask keeps the plane it was made with
    assert "CR" not in new.getMaskPlaneDict()
    with pytest.raises(pex.InvalidParameterError):
        Mask.getPlaneBitMask("CR")
    with pytest.raises(RuntimeError):  # masks with different dictionaries do not combine
        new |= old
    with pytest.raises(pex.InvalidParameterError):
        Mask.removeMaskPlane("CR")
    Mask.clearMaskPlaneDict()
    assert Mask(1, 1).getMaskPlaneDict() == {}
    assert "BAD" in old.getMaskPlaneDict()


def test_remove_and_clear_plane():
    m = Mask(3, 1)
    cr, sat = Mask.getPlaneBitMask("CR"), Mask.getPlaneBitMask("SAT")
    m.array[:] = [cr, cr | sat, sat]
    m.removeAndClearMaskPlane("CR")
    assert m.array.tolist() == [[0, sat, sat]]
    assert "CR" not in m.getMaskPlaneDict()
    assert "CR" in Mask(1, 1).getMaskPlaneDict()  # the default keeps it unless removeFromDefault
    m2 = Mask(1, 1)
    m2.removeAndClearMaskPlane("SAT", removeFromDefault=True)
    assert "SAT" not in Mask(1, 1).getMaskPlaneDict()


def test_conform_mask_planes_moves_bits():
    m = Mask(2, 1)
    cr, bad = Mask.getPlaneBitMask("CR"), Mask.getPlaneBitMask("BAD")
    m.array[0, 0] = cr
    m.array[0, 1] = cr | bad
    target = {"CR": 20, "BAD": 21}
    m.conformMaskPlanes(target)
    assert m.getMaskPlaneDict() == target
    assert m.array.tolist() == [[1 << 20, (1 << 20) | (1 << 21)]]


def test_bitwise_operators():
    a, b = Mask(2, 2), Mask(2, 2)
    a.array[:] = 1
    b.array[:] = 6
    a |= b
    assert (a.array == 7).all()
    a &= 3
    assert (a.array == 3).all()
    a ^= b
    assert (a.array == 5).all()
    with pytest.raises(pex.LengthError):
        a |= Mask(3, 3)


def test_add_too_many_planes():
    Mask.clearMaskPlaneDict()
    for i in range(32):
        Mask.addMaskPlane(f"P{i}")
    with pytest.raises(pex.LengthError):
        Mask.addMaskPlane("ONE_TOO_MANY")
