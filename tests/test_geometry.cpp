// SPDX-License-Identifier: MIT
// Geometry: Point/Extent algebra, Box2I and Box2D with lsst.geom semantics.
//
// Every expected value below is worked out by hand from lsst.geom's source (src/Box.cc, src/Interval.cc,
// src/Point.cc, include/lsst/geom/{Box,Point,Extent}.h) or copied from lsst.geom's own tests
// (tests/test_box.py, tests/test_interval.py); the comment next to each says how.
#include <skystack/geom/box.hpp>
#include <skystack/geom/point.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <concepts>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <unordered_set>

using namespace skystack;

namespace {

constexpr int imax = std::numeric_limits<int>::max();
constexpr int imin = std::numeric_limits<int>::min();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

template <class T>
std::string str(T const& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

/// The message of the exception of type E thrown by f ("" if none).
template <class E, class F>
std::string what_of(F&& f) {
    try {
        f();
    } catch (E const& e) {
        return e.what();
    }
    return "";
}

Box2I bmm(int x0, int y0, int x1, int y1) { return Box2I::from_min_max({x0, y0}, {x1, y1}); }
Box2D dmm(double x0, double y0, double x1, double y1) { return Box2D::from_min_max({x0, y0}, {x1, y1}); }

template <class A, class B>
concept Addable = requires(A a, B b) {
    a + b;
};
template <class A, class S>
concept InPlaceScalable = requires(A a, S s) {
    a *= s;
};
template <class A, class S>
concept InPlaceDivisible = requires(A a, S s) {
    a /= s;
};

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// Compile-time checks: the type algebra (lsst.geom forbids Point + Point; conversions are explicit) and constexpr.
// ---------------------------------------------------------------------------------------------------------------
static_assert(!Addable<Point2I, Point2I>);
static_assert(!Addable<Point2D, Point2D>);
static_assert(Addable<Point2I, Extent2I> && Addable<Extent2I, Point2I> && Addable<Extent2I, Extent2I>);
static_assert(std::same_as<decltype(Point2I{} - Point2I{}), Extent2I>);
static_assert(std::same_as<decltype(Point2I{} + Extent2I{}), Point2I>);
static_assert(std::same_as<decltype(Point2D{} + Extent2I{}), Point2D>); // Point.h mixed overloads
static_assert(std::same_as<decltype(Point2I{} + Extent2D{}), Point2D>);
static_assert(std::same_as<decltype(Point2I{} - Point2D{}), Extent2D>);
static_assert(std::same_as<decltype(Extent2I{} * 2), Extent2I>);
static_assert(std::same_as<decltype(Extent2I{} * 0.5), Extent2D>); // Extent.h: int extent * double -> double
static_assert(std::same_as<decltype(0.5 * Extent2I{}), Extent2D>);
static_assert(std::same_as<decltype(Extent2I{} / 2.0), Extent2D>);
static_assert(std::same_as<decltype(Extent2D{} * 2), Extent2D>);
static_assert(std::same_as<decltype(Extent2D{} + Extent2I{}), Extent2D>);
static_assert(InPlaceScalable<Extent2I, int> && InPlaceScalable<Extent2D, double>);
static_assert(!InPlaceScalable<Extent2I, double>); // Extent.h static_asserts: "would truncate"
static_assert(!InPlaceDivisible<Extent2I, double>);
static_assert(!std::is_convertible_v<Point2D, Point2I> && !std::is_convertible_v<Point2I, Point2D>);
static_assert(!std::is_convertible_v<Extent2D, Extent2I> && !std::is_convertible_v<Extent2I, Extent2D>);
static_assert(!std::is_convertible_v<Point2I, Extent2I> && !std::is_convertible_v<Extent2I, Point2I>);
static_assert(!std::is_convertible_v<Box2D, Box2I> && !std::is_convertible_v<Box2I, Box2D>);
static_assert(std::is_trivially_copyable_v<Box2I> && std::is_trivially_copyable_v<Box2D>);

static_assert(Point2I{5, 7} - Point2I{2, 3} == Extent2I{3, 4});
static_assert(static_cast<Point2I>(Point2D{0.5, -0.5}) == Point2I{1, 0});     // floor(v + 0.5)
static_assert(static_cast<Extent2I>(Extent2D{1.9, -1.9}) == Extent2I{1, -1}); // truncation
static_assert(Box2I::from_min_size({1, 2}, {3, 4}).max() == Point2I{3, 5});   // 1+3-1, 2+4-1
static_assert(Box2I::from_corner_size({5, 5}, {-3, -3}) == Box2I::from_min_max({3, 3}, {5, 5}));
static_assert(Box2I{}.max() == Point2I{-1, -1});
static_assert(Box2I::from_min_max({0, 0}, {9, 9}).clipped_to(Box2I::from_min_max({5, 5}, {20, 20})) ==
              Box2I::from_min_max({5, 5}, {9, 9}));
static_assert(Box2I::from_min_max({0, 0}, {9, 5}).eroded_by(2) == Box2I::from_min_max({2, 2}, {7, 3}));
static_assert(Box2I::make_centered({0.0, 0.0}, {3, 3}) == Box2I::from_min_max({-1, -1}, {1, 1}));
static_assert(Box2D(Box2I::from_min_size({0, 0}, {2, 2})).max() == Point2D{1.5, 1.5});
static_assert(Box2I::from(Box2D::from_min_max({-0.5, -0.5}, {2.5, 2.5}), EdgeHandling::Shrink) ==
              Box2I::from_min_max({0, 0}, {2, 2}));
static_assert(Box2I::from(Box2D::from_min_max({-0.5, -0.5}, {2.5, 2.5}), EdgeHandling::Expand) ==
              Box2I::from_min_max({-1, -1}, {3, 3}));

// ---------------------------------------------------------------------------------------------------------------
// Point / Extent
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("Point and Extent arithmetic follows lsst.geom") {
    CHECK(Point2I{5, 7} - Point2I{2, 3} == Extent2I{3, 4});
    CHECK(Point2I{1, 2} + Extent2I{3, 4} == Point2I{4, 6});
    CHECK(Extent2I{3, 4} + Point2I{1, 2} == Point2I{4, 6});
    CHECK(Point2I{1, 2} - Extent2I{3, 4} == Point2I{-2, -2});
    CHECK(Extent2I{1, 2} + Extent2I{3, -4} == Extent2I{4, -2});
    CHECK(Extent2I{1, 2} - Extent2I{3, -4} == Extent2I{-2, 6});
    CHECK(-Extent2I{1, -2} == Extent2I{-1, 2});
    CHECK(+Extent2I{1, -2} == Extent2I{1, -2});
    CHECK(Extent2I{3, -7} * 2 == Extent2I{6, -14});
    CHECK(2 * Extent2I{3, -7} == Extent2I{6, -14});
    CHECK(Extent2I{7, -7} / 2 == Extent2I{3, -3}); // integer division truncates toward zero (Eigen)
    CHECK(Extent2I{3, 4} * 0.5 == Extent2D{1.5, 2.0});
    CHECK(Extent2I{3, 4} / 2.0 == Extent2D{1.5, 2.0});
    CHECK(Extent2D{1.5, 2.0} * 2 == Extent2D{3.0, 4.0});
    CHECK(Extent2D{0.5, 0.25} + Extent2I{1, 2} == Extent2D{1.5, 2.25});
    CHECK(Extent2I{1, 2} - Extent2D{0.5, 0.25} == Extent2D{0.5, 1.75});
    CHECK(Point2D{0.5, 0.5} + Extent2I{1, 2} == Point2D{1.5, 2.5});
    CHECK(Point2I{1, 2} + Extent2D{0.5, 0.25} == Point2D{1.5, 2.25});
    CHECK(Point2I{1, 2} - Extent2D{0.5, 0.25} == Point2D{0.5, 1.75});
    CHECK(Point2D{3.5, 1.0} - Point2I{1, 2} == Extent2D{2.5, -1.0});
    CHECK(Point2I{1, 2} - Point2D{3.5, 1.0} == Extent2D{-2.5, 1.0});

    Point2I p{1, 1};
    p += Extent2I{2, 3};
    CHECK(p == Point2I{3, 4});
    p -= Extent2I{1, 1};
    CHECK(p == Point2I{2, 3});
    Point2D q{0.0, 0.0};
    q += Extent2I{1, 2};
    CHECK(q == Point2D{1.0, 2.0});
    Extent2I e{2, 3};
    e *= 3;
    CHECK(e == Extent2I{6, 9});
    e /= 2;
    CHECK(e == Extent2I{3, 4});
    CHECK(Point2I{2, 3}.as_extent() == Extent2I{2, 3});
    CHECK(Extent2I{2, 3}.as_point() == Point2I{2, 3});
    CHECK(Point2I{1, 2} != Point2I{2, 1});
}

TEST_CASE("explicit conversions round points and truncate extents, as lsst.geom") {
    // Point.cc: PointSpecialized<int>::convert = floor(v + 0.5)
    CHECK(static_cast<Point2I>(Point2D{0.5, -0.5}) == Point2I{1, 0});
    CHECK(static_cast<Point2I>(Point2D{1.49, -1.5}) == Point2I{1, -1});
    CHECK(static_cast<Point2I>(Point2D{2.5, -2.51}) == Point2I{3, -3});
    // Extent.h: Extent<int>(Extent<double>) is a static_cast (truncation toward zero)
    CHECK(static_cast<Extent2I>(Extent2D{1.9, -1.9}) == Extent2I{1, -1});
    CHECK(static_cast<Point2D>(Point2I{1, -2}) == Point2D{1.0, -2.0});
    CHECK(static_cast<Extent2D>(Extent2I{1, -2}) == Extent2D{1.0, -2.0});
    CHECK_THROWS_AS((void)static_cast<Point2I>(Point2D{qnan, 0.0}), InvalidParameterError);
    CHECK_THROWS_AS((void)static_cast<Point2I>(Point2D{0.0, inf}), InvalidParameterError);
    CHECK_THROWS_AS((void)static_cast<Point2I>(Point2D{3e9, 0.0}), OverflowError);
    CHECK_THROWS_AS((void)static_cast<Extent2I>(Extent2D{0.0, -3e9}), OverflowError);
    CHECK(static_cast<Point2I>(Point2D{2147483646.6, -2147483648.4}) == Point2I{imax, imin});
}

TEST_CASE("points and extents print and hash") {
    CHECK(str(Point2I{1, -2}) == "Point2I(1, -2)");
    CHECK(str(Extent2I{3, 4}) == "Extent2I(3, 4)");
    CHECK(str(Point2D{0.5, -1.25}) == "Point2D(0.5, -1.25)");
    CHECK(str(Extent2D{0.5, 1.5}) == "Extent2D(0.5, 1.5)");
    std::unordered_set<Point2I> ps{{1, 2}, {2, 1}, {1, 2}};
    CHECK(ps.size() == 2);
    CHECK(ps.count({2, 1}) == 1);
    std::unordered_set<Extent2D> es{{0.5, 1.0}, {0.5, 1.0}};
    CHECK(es.size() == 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Box2I construction
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("Box2I accessors") {
    auto const b = Box2I::from_min_size({1, 2}, {3, 4});
    CHECK(b.min() == Point2I{1, 2});
    CHECK(b.max() == Point2I{3, 5}); // min + dims - 1
    CHECK(b.end() == Point2I{4, 6}); // min + dims
    CHECK(b.min_x() == 1);
    CHECK(b.min_y() == 2);
    CHECK(b.max_x() == 3);
    CHECK(b.max_y() == 5);
    CHECK(b.end_x() == 4);
    CHECK(b.end_y() == 6);
    CHECK(b.width() == 3);
    CHECK(b.height() == 4);
    CHECK(b.dimensions() == Extent2I{3, 4});
    CHECK(b.area() == 12);
    CHECK_FALSE(b.empty());
    CHECK(b.center() == Point2D{2.0, 3.5}); // (1+3)/2, (2+5)/2
    CHECK(b.center_x() == 2.0);
    CHECK(b.center_y() == 3.5);
    auto const c = b.corners(); // Box.cc getCorners: min, (maxX, minY), max, (minX, maxY)
    CHECK(c[0] == Point2I{1, 2});
    CHECK(c[1] == Point2I{3, 2});
    CHECK(c[2] == Point2I{3, 5});
    CHECK(c[3] == Point2I{1, 5});
    // area is 64-bit: 65536 x 65536 = 2^32 pixels is a valid box (upstream's int getArea would overflow)
    CHECK(Box2I::from_min_size({0, 0}, {65536, 65536}).area() == 4294967296LL);
}

TEST_CASE("Box2I from min/max and from corners (invert = false / true)") {
    CHECK(bmm(1, 2, 3, 5) == Box2I::from_min_size({1, 2}, {3, 4}));
    // Box.cc Box2I(min, max, invert=false): a negative dimension on any axis gives the empty box
    CHECK(bmm(3, 5, 1, 2).empty());
    CHECK(bmm(1, 5, 3, 2).empty());
    CHECK(bmm(3, 2, 1, 5).empty());
    CHECK(bmm(1, 5, 3, 2) == Box2I{});
    // max == min is a single pixel
    CHECK(bmm(4, 4, 4, 4).dimensions() == Extent2I{1, 1});
    // invert=true swaps per axis: min += dims, dims = -dims
    CHECK(Box2I::from_corners({3, 5}, {1, 2}) == bmm(1, 2, 3, 5));
    CHECK(Box2I::from_corners({1, 5}, {3, 2}) == bmm(1, 2, 3, 5));
    CHECK(Box2I::from_corners({3, 2}, {1, 5}) == bmm(1, 2, 3, 5));
    CHECK(Box2I::from_corners({-4, 7}, {-4, 7}) == Box2I::from_min_size({-4, 7}, {1, 1}));
}

TEST_CASE("Box2I from corner and size, including non-positive sizes") {
    // Box.cc Box2I(corner, dims, invert): zero -> empty; negative & invert -> min = corner + dims + 1
    CHECK(Box2I::from_corner_size({5, 5}, {-3, -3}) == bmm(3, 3, 5, 5));
    CHECK(Box2I::from_corner_size({5, 5}, {3, -2}) == bmm(5, 4, 7, 5));
    CHECK(Box2I::from_corner_size({5, 5}, {-1, -1}) == bmm(5, 5, 5, 5));
    CHECK(Box2I::from_corner_size({5, 5}, {0, -3}).empty());
    CHECK(Box2I::from_corner_size({5, 5}, {-3, 0}).empty());
    CHECK(Box2I({5, 5}, {-3, -3}) == bmm(3, 3, 5, 5)); // the constructor is invert=true
    CHECK(Box2I({1, 2}, {3, 4}) == bmm(1, 2, 3, 5));
    // negative & invert=false -> empty
    CHECK(Box2I::from_min_size({5, 5}, {-3, 2}) == Box2I{});
    CHECK(Box2I::from_min_size({5, 5}, {2, -3}) == Box2I{});
    CHECK(Box2I::from_min_size({5, 5}, {0, 3}) == Box2I{});
    // test_box.py testConstruction: Box2I(pmin, -dim) has min = pmin - dim + 1 and |dim|
    Point2I const pmin{-3, 2};
    Extent2I const dim{4, 2};
    auto const b = Box2I::from_corner_size(pmin, -dim);
    CHECK(b.min() == pmin - dim + Extent2I{1, 1});
    CHECK(b.dimensions() == dim);
}

// ---------------------------------------------------------------------------------------------------------------
// The empty box in every operation
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("the empty Box2I") {
    Box2I const e;
    auto const b = bmm(-2, -3, 2, 1);
    SUBCASE("accessors") {
        CHECK(e.empty());
        CHECK(e.width() == 0);
        CHECK(e.height() == 0);
        CHECK(e.area() == 0);
        CHECK(e.min() == Point2I{0, 0});   // Box.h: minimum set to the origin
        CHECK(e.max() == Point2I{-1, -1}); // Box.h: "returns -1 for both elements of the maximum point"
        CHECK(e.end() == Point2I{0, 0});
        CHECK(std::isnan(e.center().x)); // getCenter() = Box2D(empty).getCenter() = NaN
        CHECK(std::isnan(e.center().y));
        auto const c = e.corners();
        CHECK(c[0] == Point2I{0, 0});
        CHECK(c[1] == Point2I{-1, 0});
        CHECK(c[2] == Point2I{-1, -1});
        CHECK(c[3] == Point2I{0, -1});
    }
    SUBCASE("all empty boxes are the same box") {
        CHECK(Box2I::from_min_size({5, 6}, {0, 3}) == e);
        CHECK(Box2I::from_min_size({5, 6}, {0, 3}).min() == Point2I{0, 0});
        CHECK(bmm(7, 7, 3, 3) == e);
        CHECK(b.clipped_to(bmm(10, 10, 11, 11)) == e);
        CHECK(b.eroded_by(10) == e);
    }
    SUBCASE("predicates") {
        for (int x = -1; x <= 1; ++x)
            for (int y = -1; y <= 1; ++y) CHECK_FALSE(e.contains(Point2I{x, y})); // test_box.py testEmpty
        CHECK(e.contains(e)); // "An empty box is contained by every other box, including other empty boxes"
        CHECK(b.contains(e));
        CHECK_FALSE(e.contains(b));
        CHECK_FALSE(e.overlaps(e)); // "Any overlap operation involving an empty box returns false"
        CHECK_FALSE(e.overlaps(b));
        CHECK_FALSE(b.overlaps(e));
        CHECK(e.is_disjoint_from(b));
    }
    SUBCASE("operations") {
        CHECK(e.clipped_to(b) == e);
        CHECK(b.clipped_to(e) == e);
        CHECK(e.expanded_to(Point2I{-3, 7}) == Box2I::from_min_size({-3, 7}, {1, 1}));
        CHECK(e.expanded_to(b) == b);
        CHECK(b.expanded_to(e) == b);
        CHECK(e.dilated_by(3) == e); // "Empty boxes remain empty after dilation" (test_box.py: grow(3))
        CHECK(e.dilated_by(Extent2I{2, -1}) == e);
        CHECK(e.eroded_by(1) == e);
        CHECK(e.eroded_by(-1) == e);
        CHECK(e.shifted_by({5, 6}) == e); // "Empty boxes remain empty when shifted": min stays (0, 0)
        CHECK(e.shifted_by({5, 6}).min() == Point2I{0, 0});
        CHECK(e.flipped_lr(10) == e); // Box.cc flipLR: `if (isEmpty()) return;`
        CHECK(e.flipped_tb(10) == e);
        CHECK(e.reflected_about_x(3) == e);
        CHECK(e.reflected_about_y(3) == e);
        CHECK(Box2D(e).empty()); // Box2D(Box2I): empty -> empty
        CHECK(str(e) == "Box2I()");
    }
    SUBCASE("in place") {
        for (int x = -1; x <= 1; ++x) {
            for (int y = -1; y <= 1; ++y) { // test_box.py testEmpty
                Box2I box;
                box.include(Point2I{x, y});
                CHECK(box.contains(Point2I{x, y}));
                CHECK(box.area() == 1);
            }
        }
        Box2I box;
        box.grow(3);
        CHECK(box.empty());
        box.shift({1, 1});
        CHECK(box == e);
        box.clip(b);
        CHECK(box == e);
        box.include(b);
        CHECK(box == b);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Predicates (values from lsst.geom tests/test_box.py testRelations)
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("Box2I contains and overlaps (test_box.py testRelations)") {
    auto const box = bmm(-2, -3, 2, 1);
    for (Point2I p : {Point2I{-2, -3}, Point2I{2, -3}, Point2I{0, 0}, Point2I{2, 1}, Point2I{-2, 1}})
        CHECK(box.contains(p));
    for (Point2I p : {Point2I{-2, -4}, Point2I{-3, -3}, Point2I{2, -4}, Point2I{3, -3}, Point2I{3, 1}, Point2I{2, 2},
                      Point2I{-3, 1}, Point2I{-2, 2}})
        CHECK_FALSE(box.contains(p));
    CHECK(box.contains(2, 1));
    CHECK_FALSE(box.contains(3, 1));
    CHECK(box.contains(bmm(-1, -2, 1, 0)));
    CHECK(box.contains(box));
    CHECK_FALSE(box.contains(bmm(-2, -3, 2, 2)));
    CHECK_FALSE(box.contains(bmm(-2, -3, 3, 1)));
    CHECK_FALSE(box.contains(bmm(-3, -3, 2, 1)));
    CHECK_FALSE(box.contains(bmm(-3, -4, 2, 1)));
    CHECK(box.overlaps(bmm(-2, -3, 2, 2)));
    CHECK(box.overlaps(bmm(-2, -3, 3, 1)));
    CHECK(box.overlaps(bmm(-3, -3, 2, 1)));
    CHECK(box.overlaps(bmm(-3, -4, 2, 1)));
    CHECK(box.overlaps(bmm(-1, -2, 1, 0)));
    CHECK(box.overlaps(box));
    CHECK_FALSE(box.overlaps(bmm(-5, -3, -3, 1)));
    CHECK_FALSE(box.overlaps(bmm(-2, -6, 2, -4)));
    CHECK_FALSE(box.overlaps(bmm(3, -3, 4, 1)));
    CHECK_FALSE(box.overlaps(bmm(-2, 2, 2, 2)));
}

TEST_CASE("single-pixel boxes") {
    auto const b = Box2I::from_min_size({4, -2}, {1, 1});
    CHECK(b.min() == b.max());
    CHECK(b.max() == Point2I{4, -2});
    CHECK(b.end() == Point2I{5, -1});
    CHECK(b.area() == 1);
    CHECK(b.center() == Point2D{4.0, -2.0});
    CHECK(b.contains(Point2I{4, -2}));
    CHECK_FALSE(b.contains(Point2I{5, -2}));
    CHECK_FALSE(b.contains(Point2I{4, -1}));
    for (auto const& c : b.corners()) CHECK(c == Point2I{4, -2});
    CHECK(b.overlaps(b));
    CHECK(b.clipped_to(b) == b);
    CHECK(b.eroded_by(1).empty());              // size 1 - 2 = -1
    CHECK(b.eroded_by(Extent2I{0, 1}).empty()); // one axis eroded away empties the box
    CHECK(b.eroded_by(Extent2I{0, 0}) == b);
    CHECK(b.dilated_by(1) == bmm(3, -3, 5, -1));
    CHECK(b.flipped_lr(10) == Box2I::from_min_size({5, -2}, {1, 1})); // x -> 10 - 1 - 4
    auto const d = Box2D(b);                                          // [min - 0.5, max + 0.5]
    CHECK(d.min() == Point2D{3.5, -2.5});
    CHECK(d.max() == Point2D{4.5, -1.5});
    CHECK(Box2I::from(d, EdgeHandling::Shrink) == b);
    // EXPAND keeps pixels that touch the closed float interval: [ceil(3.5-0.5), floor(4.5+0.5)] = [3, 5]
    CHECK(Box2I::from(d, EdgeHandling::Expand) == b.dilated_by(1));
}

TEST_CASE("boxes touching at one edge or corner") {
    auto const a = bmm(0, 0, 4, 4);
    SUBCASE("adjacent columns share no pixel") {
        auto const b = bmm(5, 0, 9, 4);
        CHECK_FALSE(a.overlaps(b));
        CHECK_FALSE(b.overlaps(a));
        CHECK(a.clipped_to(b).empty());
        CHECK(a.expanded_to(b) == bmm(0, 0, 9, 4));
        CHECK_FALSE(a.contains(b));
        // as floating boxes they touch along x = 4.5 and, half-open, do not overlap either
        CHECK(Box2D(a).max_x() == 4.5);
        CHECK(Box2D(b).min_x() == 4.5);
        CHECK_FALSE(Box2D(a).overlaps(Box2D(b)));
        CHECK(Box2D(a).clipped_to(Box2D(b)).empty());
    }
    SUBCASE("sharing one column") {
        auto const c = bmm(4, 0, 9, 4);
        CHECK(a.overlaps(c));
        CHECK(a.clipped_to(c) == bmm(4, 0, 4, 4));
        CHECK(a.clipped_to(c).dimensions() == Extent2I{1, 5});
    }
    SUBCASE("corners") {
        CHECK_FALSE(a.overlaps(bmm(5, 5, 6, 6)));
        CHECK(a.overlaps(bmm(4, 4, 6, 6)));
        CHECK(a.clipped_to(bmm(4, 4, 6, 6)) == Box2I::from_min_size({4, 4}, {1, 1}));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("Box2I in-place mutators (test_box.py testMutators)") {
    auto box = bmm(-2, -3, 2, 1);
    box.grow(1);
    CHECK(box == bmm(-3, -4, 3, 2));
    box.grow(Extent2I{2, 3});
    CHECK(box == bmm(-5, -7, 5, 5));
    box.shift(Extent2I{3, 2});
    CHECK(box == bmm(-2, -5, 8, 7));
    box.include(Point2I{-4, 2});
    CHECK(box == bmm(-4, -5, 8, 7));
    box.include(Point2I{0, -6});
    CHECK(box == bmm(-4, -6, 8, 7));
    box.include(bmm(0, 0, 10, 11));
    CHECK(box == bmm(-4, -6, 10, 11));
    box.clip(bmm(0, 0, 11, 12));
    CHECK(box == bmm(0, 0, 10, 11));
    box.clip(bmm(-1, -2, 5, 4));
    CHECK(box == bmm(0, 0, 5, 4));
    box.erode(1);
    CHECK(box == bmm(1, 1, 4, 3));
    box.erode(Extent2I{1, 0});
    CHECK(box == bmm(2, 1, 3, 3));
    box.flip_lr(10); // x: 2..3 -> 9-3 .. 9-2
    CHECK(box == bmm(6, 1, 7, 3));
    box.flip_tb(5); // y: 1..3 -> 4-3 .. 4-1
    CHECK(box == bmm(6, 1, 7, 3));
    box.flip_tb(8); // y: 1..3 -> 7-3 .. 7-1
    CHECK(box == bmm(6, 4, 7, 6));
}

TEST_CASE("Box2I value-returning operations") {
    auto const b = bmm(0, 0, 9, 5); // 10 x 6
    SUBCASE("dilate and erode") {
        CHECK(b.dilated_by(2) == bmm(-2, -2, 11, 7));
        CHECK(b.dilated_by(Extent2I{1, 0}) == bmm(-1, 0, 10, 5));
        CHECK(b.dilated_by(-2) == bmm(2, 2, 7, 3));
        CHECK(b.eroded_by(2) == bmm(2, 2, 7, 3));
        CHECK(b.eroded_by(Extent2I{1, 2}) == bmm(1, 2, 8, 3));
        CHECK(b.eroded_by(3).empty()); // height 6 - 6 = 0
        CHECK(b.eroded_by(Extent2I{-1, -1}) == b.dilated_by(1));
        CHECK(b.dilated_by(Extent2I{2, -3}).empty()); // x grows, y collapses: the whole box is empty
        CHECK(b.eroded_by(Extent2I{5, 0}).empty());   // width 10 - 10 = 0
        CHECK(b.eroded_by(Extent2I{4, 0}) == bmm(4, 0, 5, 5));
    }
    SUBCASE("shift") {
        CHECK(Box2I::from_min_size({1, 2}, {3, 4}).shifted_by({-5, 10}) == Box2I::from_min_size({-4, 12}, {3, 4}));
        CHECK(b.shifted_by({0, 0}) == b);
    }
    SUBCASE("clip and expand") {
        CHECK(b.clipped_to(bmm(5, -3, 20, 2)) == bmm(5, 0, 9, 2));
        CHECK(b.clipped_to(bmm(20, 20, 30, 30)).empty());
        CHECK(b.clipped_to(b) == b);
        CHECK(b.expanded_to(Point2I{-3, 2}) == bmm(-3, 0, 9, 5));
        CHECK(b.expanded_to(Point2I{12, 8}) == bmm(0, 0, 12, 8));
        CHECK(b.expanded_to(Point2I{3, 3}) == b);
        CHECK(b.expanded_to(bmm(20, -4, 21, -3)) == bmm(0, -4, 21, 5));
        Box2I c = b;
        c.clip(bmm(5, -3, 20, 2));
        CHECK(c == b.clipped_to(bmm(5, -3, 20, 2)));
    }
    SUBCASE("flip about a parent extent") {
        // Box.cc flipLR: min.x = xextent - (min.x + width), i.e. pixel x -> xextent - 1 - x
        auto const s = Box2I::from_min_size({1, 2}, {3, 4});
        CHECK(s.flipped_lr(10) == Box2I::from_min_size({6, 2}, {3, 4}));
        CHECK(s.flipped_tb(10) == Box2I::from_min_size({1, 4}, {3, 4}));
        CHECK(s.flipped_lr(10).flipped_lr(10) == s);
        CHECK(s.flipped_tb(7).flipped_tb(7) == s);
        // no clipping to the parent: a box outside it is mirrored as well
        CHECK(Box2I::from_min_size({12, 0}, {3, 1}).flipped_lr(10) == Box2I::from_min_size({-5, 0}, {3, 1}));
        // reflectedAboutX: [2x - max, 2x - min]
        CHECK(bmm(1, 2, 3, 5).reflected_about_x(0) == bmm(-3, 2, -1, 5));
        CHECK(bmm(1, 2, 3, 5).reflected_about_y(4) == bmm(1, 3, 3, 6));
    }
    SUBCASE("center of odd and even boxes") {
        CHECK(bmm(0, 0, 3, 4).center() == Point2D{1.5, 2.0});
        CHECK(bmm(-3, -3, -3, -3).center() == Point2D{-3.0, -3.0});
    }
}

TEST_CASE("Box2I overflow is an OverflowError") {
    // test_box.py testOverflowDetection
    CHECK_THROWS_AS((void)Box2I({2147483645, 149}, {8, 8}), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from_min_size({imax - 1, 0}, {5, 5}), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from_min_size({0, imax - 1}, {5, 5}), OverflowError);
    // the message says which axis and which range
    std::string const w = what_of<OverflowError>([] { (void)Box2I::from_min_size({imax - 1, 0}, {5, 5}); });
    CHECK(w.find("x range [2147483646, 2147483650]") != std::string::npos);
    // the largest boxes that fit: max == INT_MAX, size == INT_MAX
    auto const edge = Box2I::from_min_size({imax - 1, 0}, {2, 1});
    CHECK(edge.max_x() == imax);
    CHECK(Box2I::from_min_max({0, 0}, {imax - 1, 0}).width() == imax);                 // size INT_MAX
    CHECK_THROWS_AS((void)Box2I::from_min_max({-1, 0}, {imax - 1, 0}), OverflowError); // size INT_MAX + 1
    CHECK_THROWS_AS((void)Box2I::from_min_max({0, 0}, {imax, 0}), OverflowError);      // size INT_MAX + 1
    CHECK_THROWS_AS((void)Box2I::from_min_max({imin, 0}, {imax, 0}), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from_corners({imax, 0}, {imin, 0}), OverflowError);
    // backwards from a corner below INT_MIN
    CHECK_THROWS_AS((void)Box2I::from_corner_size({imin, 0}, {-5, 1}), OverflowError);
    CHECK(Box2I::from_corner_size({imin + 4, 0}, {-5, 1}).min_x() == imin);
    CHECK_THROWS_AS((void)Box2I::from_corner_size({0, 0}, {imin, 1}), OverflowError); // |size| = 2^31
    // a zero size wins over overflow in the constructors (Box.cc returns before the overflow check)
    CHECK(Box2I::from_min_size({imax, 0}, {5, 0}).empty());
    // operations (test_interval.py testOverflow: dilatedBy, shiftedBy, expandedTo)
    auto const low = Box2I::from_min_size({imin, 0}, {65536, 1});
    CHECK_THROWS_AS((void)low.dilated_by(1), OverflowError);
    CHECK_THROWS_AS((void)low.shifted_by({-1, 0}), OverflowError);
    CHECK(low.shifted_by({1, 0}).min_x() == imin + 1);
    auto const high = Box2I::from_min_size({imax - 65535, 0}, {65536, 1});
    CHECK(high.max_x() == imax);
    CHECK_THROWS_AS((void)high.dilated_by(1), OverflowError);
    CHECK_THROWS_AS((void)high.shifted_by({1, 0}), OverflowError);
    CHECK_THROWS_AS((void)high.expanded_to(Point2I{imin, 0}), OverflowError);
    auto const wide = Box2I::from_min_size({-65536, 0}, {imax, 1});
    CHECK_THROWS_AS((void)wide.dilated_by(1), OverflowError);
    CHECK_THROWS_AS((void)wide.expanded_to(Point2I{-65537, 0}), OverflowError);
    CHECK_THROWS_AS((void)wide.expanded_to(Box2I::from_min_size({imax - 1, 0}, {1, 1})), OverflowError);
    Box2I grown = wide;
    CHECK_THROWS_AS(grown.include(Point2I{-65537, 0}), OverflowError);
    CHECK(grown == wide); // unchanged after the throw
    // an axis that overflows throws even when the other axis erodes away (each IntervalI is built first)
    CHECK_THROWS_AS((void)high.dilated_by(Extent2I{1, -1}), OverflowError);
    // flips are checked too (upstream overflows silently)
    CHECK_THROWS_AS((void)Box2I::from_min_size({-10, 0}, {5, 1}).flipped_lr(imax), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from_min_size({0, -10}, {1, 5}).flipped_tb(imax), OverflowError);
    // eroding by INT_MIN is growing by 2^31: overflow, not UB
    CHECK_THROWS_AS((void)bmm(0, 0, 1, 1).eroded_by(imin), OverflowError);
}

TEST_CASE("Box2I::make_centered (lsst.geom makeCenteredBox)") {
    // corner = center - size/2 + 1/2, then Point2I(corner) = floor(corner + 0.5)
    CHECK(Box2I::make_centered({0.0, 0.0}, {3, 3}) == bmm(-1, -1, 1, 1)); // -1.5+0.5 = -1 -> floor(-0.5) = -1
    CHECK(Box2I::make_centered({0.0, 0.0}, {2, 2}) == bmm(0, 0, 1, 1));   // -0.5 -> floor(0.0) = 0
    CHECK(Box2I::make_centered({0.5, 0.5}, {2, 2}) == bmm(0, 0, 1, 1));   // 0.0 -> floor(0.5) = 0
    // x: 10.3-2+0.5 = 8.8 -> floor(9.3) = 9; y: -4.8-2.5+0.5 = -6.8 -> floor(-6.3) = -7
    auto const b = Box2I::make_centered({10.3, -4.8}, {4, 5});
    CHECK(b == Box2I::from_min_size({9, -7}, {4, 5}));
    CHECK(std::abs(b.center_x() - 10.3) <= 0.5);
    CHECK(std::abs(b.center_y() + 4.8) <= 0.5);
    CHECK(Box2I::make_centered({1.0, 1.0}, {0, 3}).empty());
    CHECK(Box2I::make_centered({1.0, 1.0}, {-2, 3}).empty());
    CHECK_THROWS_AS((void)Box2I::make_centered({qnan, 0.0}, {3, 3}), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2I::make_centered({0.0, inf}, {3, 3}), InvalidParameterError);
    // x: 2e9 - 5e8 + 0.5 -> min 1500000001, max 2500000000 > INT_MAX
    CHECK_THROWS_AS((void)Box2I::make_centered({2e9, 0.0}, {1000000000, 1}), OverflowError);
    CHECK_THROWS_AS((void)Box2I::make_centered({1e12, 0.0}, {1, 1}), OverflowError);
}

TEST_CASE("Box2I prints and hashes") {
    CHECK(str(Box2I::from_min_size({1, -2}, {3, 4})) == "Box2I(Point2I(1, -2), Extent2I(3, 4))");
    CHECK(str(Box2I{}) == "Box2I()");
    auto const a = bmm(0, 0, 3, 3);
    std::unordered_set<Box2I> set{a, a, Box2I{}, Box2I::from_min_size({3, 3}, {0, 0}), bmm(0, 0, 3, 4)};
    CHECK(set.size() == 3);
    CHECK(set.count(bmm(0, 0, 3, 3)) == 1);
    CHECK(set.count(bmm(5, 5, 4, 4)) == 1); // an empty box
    CHECK(std::hash<Box2I>{}(a) == std::hash<Box2I>{}(bmm(0, 0, 3, 3)));
}

// ---------------------------------------------------------------------------------------------------------------
// Box2D
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("the empty Box2D (test_box.py Box2DTestCase.testEmpty)") {
    Box2D const e;
    CHECK(e.empty());
    CHECK(e.width() == 0.0);
    CHECK(e.height() == 0.0);
    CHECK(e.area() == 0.0);
    CHECK(e.dimensions() == Extent2D{0.0, 0.0});
    CHECK(std::isnan(e.min_x()));
    CHECK(std::isnan(e.max_y()));
    CHECK(std::isnan(e.center().x));
    for (int x = -1; x <= 1; ++x) {
        for (int y = -1; y <= 1; ++y) {
            Point2D const p{double(x), double(y)};
            CHECK_FALSE(e.contains(p));
            Box2D box;
            box.include(p);
            CHECK(box.contains(p));
            CHECK(e.expanded_to(p).contains(p));
        }
    }
    Box2D grown;
    grown.grow(3);
    CHECK(grown.empty());
    auto const b = dmm(0, 0, 1, 1);
    CHECK(e == Box2D{});
    CHECK(e.contains(e));
    CHECK(b.contains(e));
    CHECK_FALSE(e.contains(b));
    CHECK_FALSE(e.overlaps(e));
    CHECK_FALSE(b.overlaps(e));
    CHECK(e.clipped_to(b).empty());
    CHECK(b.clipped_to(e).empty());
    CHECK(e.expanded_to(b) == b);
    CHECK(b.expanded_to(e) == b);
    CHECK(e.dilated_by(1.0).empty());
    CHECK(e.shifted_by({1.0, 1.0}).empty());
    CHECK(e.flipped_lr(10.0).empty());
    CHECK(e.flipped_tb(10.0).empty());
    CHECK(Box2I::from(e) == Box2I{});
    CHECK(Box2I::from(e, EdgeHandling::Shrink) == Box2I{});
    CHECK(str(e) == "Box2D()");
    // all empty boxes are equal, whatever made them
    CHECK(dmm(1, 1, 1, 5) == e);                     // min == max on x
    CHECK(dmm(2, 0, 1, 1) == e);                     // max < min, invert = false
    CHECK(Box2D::from_corners({1, 0}, {1, 5}) == e); // equal coordinates stay empty even with invert
    CHECK(b.dilated_by(-0.5) == e);                  // [0.5, 0.5): zero size
}

TEST_CASE("Box2D construction (test_box.py Box2DTestCase.testConstruction)") {
    Point2D const pmin{-1.5, 0.25}, pmax{2.0, 3.5};
    auto const box = Box2D::from_min_max(pmin, pmax);
    CHECK(box.min() == pmin);
    CHECK(box.max() == pmax);
    CHECK(Box2D::from_corners(pmax, pmin) == box);
    CHECK(Box2D::from_corners({pmin.x, pmax.y}, {pmax.x, pmin.y}) == box);
    CHECK(Box2D::from_min_max(pmax, pmin).empty());
    Extent2D const dim = pmax - pmin; // (3.5, 3.25)
    CHECK(Box2D::from_min_size(pmin, dim) == box);
    CHECK(Box2D::from_min_size(pmin, dim).dimensions() == Extent2D{3.5, 3.25});
    CHECK(Box2D::from_min_size(pmin, -dim).empty());
    CHECK(Box2D::from_min_size(pmin, {0.0, 1.0}).empty());
    auto const back = Box2D::from_corner_size(pmin, -dim); // min = pmin + (-dim), max = pmin
    CHECK(back.min() == Point2D{-5.0, -3.0});
    CHECK(back.max() == pmin);
    CHECK(back.dimensions() == dim);
    CHECK(Box2D::from_corner_size(pmin, {0.0, 1.0}).empty());
    // accessors (testAccessors)
    CHECK(box.width() == 3.5);
    CHECK(box.height() == 3.25);
    CHECK(box.area() == 3.5 * 3.25);
    CHECK(box.center() == Point2D{0.25, 1.875});
    CHECK(box.center_x() == 0.25);
    CHECK(box.center_y() == 1.875);
    auto const c = box.corners();
    CHECK(c[0] == pmin);
    CHECK(c[1] == Point2D{2.0, 0.25});
    CHECK(c[2] == pmax);
    CHECK(c[3] == Point2D{-1.5, 3.5});
    // from an integer box: [min - 0.5, max + 0.5], same dimensions
    auto const fromi = Box2D(bmm(-2, -3, 2, 1));
    CHECK(fromi.min() == Point2D{-2.5, -3.5});
    CHECK(fromi.max() == Point2D{2.5, 1.5});
    CHECK(fromi.dimensions() == Extent2D{5.0, 5.0});
    CHECK(Box2D::from(bmm(-2, -3, 2, 1)) == fromi);
    CHECK(bmm(-2, -3, 2, 1).center() == fromi.center());
    // infinite bounds are allowed
    auto const half_plane = Box2D::from_min_max({0.0, -inf}, {inf, inf});
    CHECK(half_plane.contains(Point2D{1e300, -1e300}));
    CHECK_FALSE(half_plane.contains(Point2D{-1e-300, 0.0}));
}

TEST_CASE("Box2D contains and overlaps are half-open (test_box.py Box2DTestCase.testRelations)") {
    auto const box = Box2D::from_corners({-2, -3}, {2, 1});
    CHECK(box.contains(Point2D{0, 0}));
    CHECK(box.contains(Point2D{-2, -3}));      // min is inside
    CHECK_FALSE(box.contains(Point2D{2, -3})); // max is outside
    CHECK_FALSE(box.contains(Point2D{2, 1}));
    CHECK_FALSE(box.contains(Point2D{-2, 1}));
    CHECK(box.contains(1.999, 0.999));
    CHECK_FALSE(box.contains(Point2D{qnan, 0.0}));
    CHECK(box.contains(dmm(-1, -2, 1, 0)));
    CHECK(box.contains(box));
    CHECK_FALSE(box.contains(dmm(-2, -3, 2, 2)));
    CHECK_FALSE(box.contains(dmm(-2, -3, 3, 1)));
    CHECK_FALSE(box.contains(dmm(-3, -3, 2, 1)));
    CHECK_FALSE(box.contains(dmm(-3, -4, 2, 1)));
    CHECK(box.overlaps(dmm(-2, -3, 2, 2)));
    CHECK(box.overlaps(dmm(-2, -3, 3, 1)));
    CHECK(box.overlaps(dmm(-3, -3, 2, 1)));
    CHECK(box.overlaps(dmm(-3, -4, 2, 1)));
    CHECK(box.overlaps(dmm(-1, -2, 1, 0)));
    CHECK(box.overlaps(box));
    CHECK_FALSE(box.overlaps(dmm(-5, -3, -3, 1)));
    CHECK_FALSE(box.overlaps(dmm(-2, -6, 2, -4)));
    CHECK_FALSE(box.overlaps(dmm(3, -3, 4, 1)));
    CHECK_FALSE(box.overlaps(dmm(-2, 2, 2, 2)));
    CHECK_FALSE(box.overlaps(dmm(-2, -5, 2, -3))); // touches along y = -3
    CHECK_FALSE(box.overlaps(dmm(-4, -3, -2, 1))); // touches along x = -2
    CHECK_FALSE(box.contains(dmm(-2, 1, 2, 3)));
    CHECK_FALSE(box.contains(dmm(2, -3, 4, 1)));
    CHECK(box.is_disjoint_from(dmm(-4, -3, -2, 1)));
}

TEST_CASE("Box2D mutators (test_box.py Box2DTestCase.testMutators)") {
    auto box = Box2D::from_corners({-2, -3}, {2, 1});
    box.grow(1);
    CHECK(box == dmm(-3, -4, 3, 2));
    box.grow(Extent2D{2, 3});
    CHECK(box == dmm(-5, -7, 5, 5));
    box.shift(Extent2D{3, 2});
    CHECK(box == dmm(-2, -5, 8, 7));
    box.include(Point2D{-4, 2});
    CHECK(box == dmm(-4, -5, 8, 7));
    box.include(Point2D{0, -6});
    CHECK(box == dmm(-4, -6, 8, 7));
    box.include(dmm(0, 0, 10, 11));
    CHECK(box == dmm(-4, -6, 10, 11));
    box.clip(dmm(0, 0, 11, 12));
    CHECK(box == dmm(0, 0, 10, 11));
    box.clip(dmm(-1, -2, 5, 4));
    CHECK(box == dmm(0, 0, 5, 4));
    // a point on the exclusive max becomes the max, nudged up by EPSILON (relative) so it is contained
    box.include(Point2D{5.0, 4.0});
    CHECK(box.max_x() == 5.0 * (1.0 + Box2D::epsilon));
    CHECK(box.max_y() == 4.0 * (1.0 + Box2D::epsilon));
    CHECK(box.max_x() > 5.0);
    CHECK(box.contains(Point2D{5.0, 4.0}));
    box.include(Point2D{-1.0, 2.0}); // below min on x only
    CHECK(box.min() == Point2D{-1.0, 0.0});
    // _tweakMax on an empty box: negative max shrinks toward zero, zero becomes EPSILON
    Box2D e;
    e.include(Point2D{-1.0, 0.0});
    CHECK(e.min() == Point2D{-1.0, 0.0});
    CHECK(e.max_x() == -1.0 * (1.0 - Box2D::epsilon));
    CHECK(e.max_y() == Box2D::epsilon);
    CHECK(Box2D::epsilon == 2 * std::numeric_limits<double>::epsilon());
    CHECK_THROWS_AS(e.include(Point2D{qnan, 0.0}), InvalidParameterError);
}

TEST_CASE("Box2D value-returning operations") {
    auto const b = dmm(0, 0, 2, 2);
    CHECK(b.dilated_by(0.5) == dmm(-0.5, -0.5, 2.5, 2.5));
    CHECK(b.dilated_by(Extent2D{1.0, 0.0}) == dmm(-1, 0, 3, 2));
    CHECK(b.eroded_by(0.5) == dmm(0.5, 0.5, 1.5, 1.5));
    CHECK(b.eroded_by(Extent2D{0.25, 0.5}) == dmm(0.25, 0.5, 1.75, 1.5));
    CHECK(b.eroded_by(1.0).empty()); // [1, 1): zero size
    CHECK(b.eroded_by(2.0).empty());
    Box2D g = b;
    g.erode(0.5);
    CHECK(g == dmm(0.5, 0.5, 1.5, 1.5));
    CHECK(b.shifted_by({-1.5, 0.25}) == dmm(-1.5, 0.25, 0.5, 2.25));
    // flipLR: [min, max) -> [W - max, W - min)
    CHECK(dmm(1, 0, 3, 1).flipped_lr(10.0) == dmm(7, 0, 9, 1));
    CHECK(dmm(0, 0, 1, 1).flipped_tb(4.0) == dmm(0, 3, 1, 4));
    Box2D f = dmm(1, 0, 3, 1);
    f.flip_lr(10.0);
    f.flip_tb(1.0);
    CHECK(f == dmm(7, 0, 9, 1));
    CHECK(dmm(1, 0, 3, 1).reflected_about_x(0.0) == dmm(-3, 0, -1, 1));
    CHECK(dmm(0, 1, 1, 3).reflected_about_y(1.0) == dmm(0, -1, 1, 1));
    CHECK(b.clipped_to(dmm(1, -1, 5, 1.5)) == dmm(1, 0, 2, 1.5));
    CHECK(b.clipped_to(dmm(3, 3, 4, 4)).empty());
    CHECK(b.expanded_to(dmm(3, 3, 4, 4)) == dmm(0, 0, 4, 4));
    CHECK(b.expanded_to(Point2D{-1.0, 1.0}) == dmm(-1, 0, 2, 2));
    // makeCenteredBox: min = center - size / 2
    auto const c = Box2D::make_centered({1.0, 2.0}, {4.0, 2.0});
    CHECK(c == dmm(-1, 1, 3, 3));
    CHECK(c.center() == Point2D{1.0, 2.0});
    CHECK(Box2D::make_centered({1.0, 2.0}, {0.0, 2.0}).empty());
    CHECK(Box2D::make_centered({1.0, 2.0}, {-1.0, 2.0}).empty());
}

TEST_CASE("Box2D refuses NaN and non-finite parameters") {
    CHECK_THROWS_AS((void)Box2D::from_min_max({qnan, 0.0}, {1.0, 1.0}), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2D::from_corners({0.0, 0.0}, {1.0, qnan}), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2D::from_min_size({0.0, 0.0}, {qnan, 1.0}), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2D::make_centered({qnan, 0.0}, {1.0, 1.0}), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2D::from_min_size({-inf, 0.0}, {inf, 1.0}), InvalidParameterError); // -inf + inf
    auto const b = dmm(0, 0, 1, 1);
    CHECK_THROWS_AS((void)b.dilated_by(qnan), InvalidParameterError); // IntervalD::dilatedBy
    CHECK_THROWS_AS((void)b.dilated_by(Extent2D{0.0, inf}), InvalidParameterError);
    CHECK_THROWS_AS((void)b.shifted_by({inf, 0.0}), InvalidParameterError); // IntervalD::shiftedBy
    CHECK_THROWS_AS((void)b.reflected_about_x(qnan), InvalidParameterError);
    CHECK_THROWS_AS((void)b.flipped_lr(qnan), InvalidParameterError);
}

TEST_CASE("Box2D prints and hashes") {
    CHECK(str(Box2D::from_min_max({-1.5, 0.25}, {2.0, 3.5})) == "Box2D(Point2D(-1.5, 0.25), Extent2D(3.5, 3.25))");
    auto const a = dmm(0, 0, 1, 1);
    std::unordered_set<Box2D> set{a, dmm(0, 0, 1, 1), Box2D{}, dmm(1, 1, 0, 0), dmm(0, 0, 1, 2)};
    CHECK(set.size() == 3);
    CHECK(set.count(Box2D{}) == 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Box2D -> Box2I
// ---------------------------------------------------------------------------------------------------------------
TEST_CASE("Box2I::from(Box2D) with EXPAND and SHRINK") {
    // Per axis (Interval.cc IntervalI(IntervalD)): EXPAND [ceil(lo - 0.5), floor(hi + 0.5)],
    // SHRINK [ceil(lo + 0.5), floor(hi - 0.5)]; the cases of test_interval.py testConversions, on both axes.
    struct Case {
        double lo, hi;
        EdgeHandling edge;
        int min, max; // max < min: empty
    };
    Case const cases[] = {
        {0.3, 0.8, EdgeHandling::Shrink, 1, 0},     // ceil(0.8) = 1, floor(0.3) = 0
        {0.3, 1.8, EdgeHandling::Shrink, 1, 1},     // ceil(0.8) = 1, floor(1.3) = 1
        {0.3, 1.3, EdgeHandling::Shrink, 1, 0},     // floor(0.8) = 0
        {0.0, 0.1, EdgeHandling::Expand, 0, 0},     // ceil(-0.5) = 0, floor(0.6) = 0
        {0.9, 1.0, EdgeHandling::Expand, 1, 1},     // ceil(0.4) = 1, floor(1.5) = 1
        {0.0, 1.0, EdgeHandling::Shrink, 1, 0},     // ceil(0.5) = 1, floor(0.5) = 0
        {0.0, 1.0, EdgeHandling::Expand, 0, 1},     // ceil(-0.5) = 0, floor(1.5) = 1
        {-0.1, 1.1, EdgeHandling::Expand, 0, 1},    // ceil(-0.6) = 0, floor(1.6) = 1
        {-0.1, 1.1, EdgeHandling::Shrink, 1, 0},    // ceil(0.4) = 1, floor(0.6) = 0
        {0.3, 1.8, EdgeHandling::Expand, 0, 2},     // ceil(-0.2) = 0, floor(2.3) = 2
        {-3.7, -1.2, EdgeHandling::Expand, -4, -1}, // ceil(-4.2) = -4, floor(-0.7) = -1
        {-3.7, -1.2, EdgeHandling::Shrink, -3, -2}, // ceil(-3.2) = -3, floor(-1.7) = -2
        {-0.5, 2.5, EdgeHandling::Shrink, 0, 2},    // ceil(0) = 0, floor(2) = 2: round trip of Box2I [0, 2]
        {-0.5, 2.5, EdgeHandling::Expand, -1, 3},   // ceil(-1) = -1, floor(3) = 3: edge-touching pixels too
    };
    for (auto const& c : cases) {
        CAPTURE(c.lo);
        CAPTURE(c.hi);
        CAPTURE(int(c.edge));
        auto const x = Box2I::from(dmm(c.lo, 0.0, c.hi, 10.0), c.edge);
        auto const y = Box2I::from(dmm(0.0, c.lo, 10.0, c.hi), c.edge);
        if (c.max < c.min) {
            CHECK(x == Box2I{}); // one empty axis empties the box
            CHECK(y == Box2I{});
        } else {
            CHECK(x.min_x() == c.min);
            CHECK(x.max_x() == c.max);
            CHECK(y.min_y() == c.min);
            CHECK(y.max_y() == c.max);
        }
    }
    // both axes at once; EXPAND is the default
    auto const d = dmm(-3.7, -2.2, -1.2, 4.9);
    CHECK(Box2I::from(d) == bmm(-4, -2, -1, 5));                       // y: ceil(-2.7), floor(5.4)
    CHECK(Box2I::from(d, EdgeHandling::Shrink) == bmm(-3, -1, -2, 4)); // y: ceil(-1.7), floor(4.4)
}

TEST_CASE("Box2I::from(Box2D) round trips and invariants (test_box.py testConversion)") {
    for (auto const& fp : {dmm(-7.3, -2.9, 5.6, 8.1), dmm(0.25, 0.75, 9.5, 3.75), dmm(-9.9, 1.1, -2.2, 9.9)}) {
        auto const big = Box2I::from(fp, EdgeHandling::Expand);
        auto const small = Box2I::from(fp, EdgeHandling::Shrink);
        CHECK(Box2D(big).contains(fp));
        CHECK(fp.contains(Box2D(small)));
        CHECK(big.contains(small));
        CHECK(Box2I::from(Box2D(big), EdgeHandling::Shrink) == big);
        CHECK(Box2I::from(Box2D(small), EdgeHandling::Shrink) == small);
    }
    for (auto const& b : {bmm(0, 0, 0, 0), bmm(-5, 3, 7, 3), bmm(-100, -200, 300, 400)})
        CHECK(Box2I::from(Box2D(b), EdgeHandling::Shrink) == b);
}

TEST_CASE("Box2I::from(Box2D) rejects non-finite boxes and overflow") {
    // test_box.py: Box2I(Box2D(Point2D(), Point2D(inf, inf))) raises InvalidParameterError
    CHECK_THROWS_AS((void)Box2I::from(dmm(0, 0, inf, inf)), InvalidParameterError);
    CHECK_THROWS_AS((void)Box2I::from(dmm(-inf, 0, 1, 1), EdgeHandling::Shrink), InvalidParameterError);
    std::string const w = what_of<InvalidParameterError>([] { (void)Box2I::from(dmm(0, -inf, 1, 1)); });
    CHECK(w.find("y axis") != std::string::npos);
    // a NaN cannot even make a Box2D, so it never reaches the conversion unnoticed
    CHECK_THROWS_AS((void)Box2I::from(dmm(qnan, 0, 1, 1)), InvalidParameterError);
    // overflow
    CHECK_THROWS_AS((void)Box2I::from(dmm(0, 0, 3e9, 1)), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from(dmm(-3e9, 0, 0, 1)), OverflowError);
    CHECK_THROWS_AS((void)Box2I::from(dmm(0, 0, 1e300, 1)), OverflowError);
    // the largest representable range converts: [INT_MIN, INT_MIN + 9] with SHRINK
    auto const lo = Box2I::from(dmm(imin - 0.5, 0, imin + 9.5, 3), EdgeHandling::Shrink);
    CHECK(lo.min_x() == imin);
    CHECK(lo.width() == 10);
    // an axis that is empty after SHRINK gives the empty box even far outside int range
    CHECK(Box2I::from(dmm(1e10, 0, 1e10 + 0.5, 3), EdgeHandling::Shrink) == Box2I{});
}
