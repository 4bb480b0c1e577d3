# SPDX-License-Identifier: MIT
"""Points, extents and boxes with lsst.geom's names (camelCase methods, snake_case aliases)."""

from ._skystack.geom import Box2D, Box2I, Extent2D, Extent2I, Point2D, Point2I

__all__ = ["Point2I", "Point2D", "Extent2I", "Extent2D", "Box2I", "Box2D"]
