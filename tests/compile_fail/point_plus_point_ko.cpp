// SPDX-License-Identifier: MIT
// Must NOT compile: Point + Point has no meaning (lsst.geom); only Point +/- Extent and Point - Point do.
#include <skystack/geom/point.hpp>

int main() {
    auto p = skystack::Point2I{1, 2} + skystack::Point2I{3, 4};
    return p.x;
}
