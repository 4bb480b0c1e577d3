// SPDX-License-Identifier: MIT
// Geometry basics: integer boxes, floating boxes and the conversions between them (lsst.geom semantics).
#include <skystack/geom/box.hpp>

#include <cstdlib>
#include <iostream>

using namespace skystack;

namespace {
int failures = 0;
void expect(bool ok, char const* what) {
    if (!ok) {
        std::cerr << "FAILED: " << what << "\n";
        ++failures;
    }
}
} // namespace

int main() {
    //! [boxes]
    // A 2048 x 2048 patch whose pixel (0, 0) sits at (10, 20) in the tract frame; max is inclusive.
    Box2I const patch = Box2I::from_min_size({10, 20}, {2048, 2048});
    std::cout << patch << "  max=" << patch.max() << "\n"; // Box2I(Point2I(10, 20), Extent2I(2048, 2048))
    expect(patch.max() == Point2I{2057, 2067}, "max = min + size - 1");

    // Value-returning operations never modify the box; every empty result is the one empty box.
    Box2I const inner = patch.eroded_by(16);
    Box2I const overlap = patch.clipped_to(Box2I::from_min_max({2000, 0}, {3000, 100}));
    expect(overlap == Box2I::from_min_max({2000, 20}, {2057, 100}), "intersection");
    expect(patch.clipped_to(Box2I::from_min_size({0, 0}, {5, 5})) == Box2I{}, "disjoint boxes clip to empty");
    expect(patch.contains(inner) && !inner.contains(patch), "containment");

    // Integer pixel i covers [i - 0.5, i + 0.5): a Box2D of the patch, then a footprint of a warped region.
    Box2D const area = Box2D(patch); // [9.5, 2057.5) x [19.5, 2067.5), half-open
    Box2D const warped = Box2D::from_corners({100.3, 250.8}, {40.6, 90.1});
    Box2I const touched = Box2I::from(warped, EdgeHandling::Expand); // every pixel the region touches
    Box2I const covered = Box2I::from(warped, EdgeHandling::Shrink); // only pixels wholly inside
    expect(touched == Box2I::from_min_max({41, 90}, {100, 251}), "EXPAND: ceil(lo - 0.5), floor(hi + 0.5)");
    expect(covered == Box2I::from_min_max({42, 91}, {99, 250}), "SHRINK: ceil(lo + 0.5), floor(hi - 0.5)");
    expect(area.contains(warped), "the patch area holds the warped region");

    // A stamp of 31 x 31 pixels centred as closely as possible on a sub-pixel position.
    Box2I const stamp = Box2I::make_centered({512.3, 700.8}, {31, 31});
    expect(stamp == Box2I::from_min_size({497, 686}, {31, 31}), "centred stamp");
    //! [boxes]

    //! [errors]
    try {
        (void)Box2I::from_min_size({2147483000, 0}, {1000, 1}); // max would pass INT_MAX
        expect(false, "overflow must throw");
    } catch (OverflowError const& e) {
        std::cout << "refused: " << e.what() << "\n";
    }
    //! [errors]
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
