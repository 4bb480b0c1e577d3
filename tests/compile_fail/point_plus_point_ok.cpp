// SPDX-License-Identifier: MIT
// Twin of point_plus_point_ko.cpp that must compile: Point + Extent is a Point, Point - Point an Extent.
#include <skystack/geom/point.hpp>

int main() {
    auto p = skystack::Point2I{1, 2} + skystack::Extent2I{3, 4};
    skystack::Extent2I e = p - skystack::Point2I{4, 6};
    return p.x - 4 + e.x;
}
