# SPDX-License-Identifier: MIT
import pickle

import pytest

import skystack.geom as geom
from skystack import exceptions as pex


def test_point_extent_arithmetic():
    p = geom.Point2I(3, 4)
    q = geom.Point2I(1, 1)
    assert p - q == geom.Extent2I(2, 3)
    assert p + geom.Extent2I(1, 2) == geom.Point2I(4, 6)
    assert geom.Extent2I(2, 3) * 2 == geom.Extent2I(4, 6)
    assert geom.Extent2I(2, 3) * 0.5 == geom.Extent2D(1.0, 1.5)
    assert geom.Extent2I(3, 4).computeNorm() == 5.0
    assert p.getX() == p.get_x() == p.x == 3
    assert list(p) == [3, 4] and p[1] == 4 and len(p) == 2
    assert geom.Point2I(geom.Point2D(1.5, -1.5)) == geom.Point2I(2, -1)  # rounds half up, as lsst.geom


def test_repr_evaluates_and_pickles():
    for obj in [geom.Point2I(1, -2), geom.Point2D(0.1, 2.5), geom.Extent2I(3, 4), geom.Extent2D(1e-3, 7.0),
                geom.Box2I(geom.Point2I(1, 2), geom.Extent2I(3, 4)),
                geom.Box2D(geom.Point2D(0.5, 1.0), geom.Point2D(2.5, 3.25)), geom.Box2D()]:
        assert eval(repr(obj), vars(geom)) == obj
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert hash(pickle.loads(pickle.dumps(obj))) == hash(obj)
    assert repr(geom.Box2I(geom.Point2I(1, 2), geom.Extent2I(3, 4))) == \
        "Box2I(corner=Point2I(1, 2), dimensions=Extent2I(3, 4))"


def test_box2i_methods():
    b = geom.Box2I(geom.Point2I(1, 2), geom.Point2I(4, 7))
    assert (b.getMinX(), b.getMinY(), b.getMaxX(), b.getMaxY()) == (1, 2, 4, 7)
    assert (b.getEndX(), b.getEndY(), b.getWidth(), b.getHeight(), b.getArea()) == (5, 8, 4, 6, 24)
    assert b.getCenter() == geom.Point2D(2.5, 4.5)
    assert b.contains(geom.Point2I(4, 7)) and not b.contains(geom.Point2I(5, 7))
    assert geom.Point2I(1, 2) in b
    # invert=True (default) swaps reversed corners; invert=False gives an empty box
    assert geom.Box2I(geom.Point2I(4, 7), geom.Point2I(1, 2)) == b
    assert geom.Box2I(geom.Point2I(4, 7), geom.Point2I(1, 2), invert=False).isEmpty()
    c = geom.Box2I(b)
    c.grow(1)
    assert c == geom.Box2I(geom.Point2I(0, 1), geom.Point2I(5, 8))
    assert b.dilatedBy(1) == c and b.dilated_by(1) == c
    assert b.clippedTo(geom.Box2I(geom.Point2I(3, 3), geom.Extent2I(10, 10))) == \
        geom.Box2I(geom.Point2I(3, 3), geom.Point2I(4, 7))
    assert b.getSlices() == (slice(2, 8), slice(1, 5))
    assert geom.Box2I(geom.Box2D(geom.Point2D(0.2, 0.2), geom.Point2D(2.7, 2.7))) == \
        geom.Box2I(geom.Point2I(0, 0), geom.Point2I(3, 3))  # EXPAND: pixel 3 spans [2.5, 3.5]
    assert geom.Box2I(geom.Box2D(geom.Point2D(0.2, 0.2), geom.Point2D(2.7, 2.7)), geom.Box2I.SHRINK) == \
        geom.Box2I(geom.Point2I(1, 1), geom.Point2I(2, 2))  # SHRINK: only pixels wholly inside


def test_equality_and_hash():
    a = geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(2, 2))
    assert a == geom.Box2I(geom.Point2I(0, 0), geom.Point2I(1, 1))
    assert a != geom.Box2I(geom.Point2I(0, 0), geom.Extent2I(2, 3))
    assert a != "not a box"
    assert len({a, geom.Box2I(geom.Point2I(0, 0), geom.Point2I(1, 1))}) == 1
    assert len({geom.Point2I(1, 2), geom.Point2I(1, 2), geom.Point2I(2, 1)}) == 2


def test_overflow():
    with pytest.raises(OverflowError):
        geom.Point2I(geom.Point2D(1e12, 0))
    with pytest.raises(pex.OverflowError):
        geom.Point2I(geom.Point2D(1e12, 0))
    with pytest.raises(pex.InvalidParameterError):
        geom.Point2I(geom.Point2D(float("nan"), 0))
