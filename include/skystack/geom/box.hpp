// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <utility>

namespace skystack {

class Box2D;

/// How a floating box becomes an integer box (lsst::geom `Box2I::EdgeHandlingEnum`).
///
/// Pixel i covers [i - 0.5, i + 0.5]. Per axis, for the float interval [lo, hi] (lsst.geom `IntervalI(IntervalD,
/// edgeHandling)`, which treats the interval as closed):
/// - `Expand`: min = ceil(lo - 0.5), max = floor(hi + 0.5): every pixel that touches the float box, including
///   pixels that only share an edge with it;
/// - `Shrink`: min = ceil(lo + 0.5), max = floor(hi - 0.5): only pixels lying wholly inside.
enum class EdgeHandling { Expand, Shrink };

/// An integer pixel rectangle with inclusive bounds (lsst::geom::Box2I): min and max are both inside.
///
/// Stored as min + dimensions. Every construction or operation that would give a zero or negative size on either
/// axis yields the canonical empty box (min (0,0), size (0,0)), so all empty boxes compare equal, as in lsst.geom;
/// its max() is (-1, -1) and its center() is NaN. A box whose min, max or size cannot be represented as int throws
/// OverflowError (upstream checks most, not all, of these; skystack checks every one).
///
/// A box may end at INT_MAX (as upstream); `end()` of such a box is then not representable (precondition:
/// `max_x() < INT_MAX` for `end_x()`, likewise for y).
class Box2I {
    Point2I m_min{};
    Extent2I m_size{};

    static constexpr std::int64_t imin = std::numeric_limits<int>::min();
    static constexpr std::int64_t imax = std::numeric_limits<int>::max();

    /// @throws OverflowError unless [lo, lo + size - 1] (size > 0) fits in int.
    static constexpr void check_axis(std::int64_t lo, std::int64_t size, char const* axis) {
        std::int64_t const hi = lo + size - 1;
        if (lo < imin || hi > imax || size > imax)
            throw OverflowError(
                detail::msg("Box2I: ", axis, " range [", lo, ", ", hi, "] (size ", size, ") does not fit in int"));
    }
    static constexpr Box2I raw(std::int64_t x0, std::int64_t y0, std::int64_t w, std::int64_t h) noexcept {
        Box2I b;
        b.m_min = {static_cast<int>(x0), static_cast<int>(y0)};
        b.m_size = {static_cast<int>(w), static_cast<int>(h)};
        return b;
    }
    /// Constructor semantics (lsst.geom Box2I(corner, dims)): a non-positive size on any axis gives the empty box
    /// before anything is checked; otherwise both axes must fit.
    static constexpr Box2I make(std::int64_t x0, std::int64_t y0, std::int64_t w, std::int64_t h) {
        if (w <= 0 || h <= 0) return Box2I{};
        check_axis(x0, w, "x");
        check_axis(y0, h, "y");
        return raw(x0, y0, w, h);
    }
    /// Interval semantics (lsst.geom Box2I(IntervalI, IntervalI), used by dilatedBy, shiftedBy, expandedTo...):
    /// each non-empty axis is checked for overflow, then an empty axis makes the whole box empty.
    static constexpr Box2I make_axes(std::int64_t x0, std::int64_t y0, std::int64_t w, std::int64_t h) {
        if (w > 0) check_axis(x0, w, "x");
        if (h > 0) check_axis(y0, h, "y");
        if (w <= 0 || h <= 0) return Box2I{};
        return raw(x0, y0, w, h);
    }
    constexpr Box2I dilate(std::int64_t dx, std::int64_t dy) const {
        if (empty()) return *this;
        return make_axes(min_x() - dx, min_y() - dy, width() + 2 * dx, height() + 2 * dy);
    }
    /// One axis of Box2I(corner, dims, invert=true): a negative size extends backwards from the corner.
    static constexpr void backwards(std::int64_t& lo, std::int64_t& size) noexcept {
        if (size < 0) {
            lo = lo + size + 1;
            size = -size;
        }
    }

public:
    /// The empty box: min (0, 0), dimensions (0, 0).
    constexpr Box2I() noexcept = default;

    /// lsst.geom `Box2I(corner, dimensions)` (invert = true), same as from_corner_size().
    constexpr Box2I(Point2I corner, Extent2I size) { *this = from_corner_size(corner, size); }

    /// Box with the given min and size (lsst.geom `Box2I(min, dims, invert=false)`).
    /// A zero or negative size on either axis gives the empty box.
    /// @throws OverflowError if the max corner does not fit in int.
    static constexpr Box2I from_min_size(Point2I min, Extent2I size) { return make(min.x, min.y, size.x, size.y); }

    /// lsst.geom `Box2I(corner, dims, invert=true)`: a zero size on either axis gives the empty box; a negative size
    /// extends backwards from `corner`, which is then the max on that axis (corner (5,5), size (-3,-3) gives
    /// [3, 5] x [3, 5]).
    /// @throws OverflowError if the box does not fit in int.
    static constexpr Box2I from_corner_size(Point2I corner, Extent2I size) {
        std::int64_t x0 = corner.x, y0 = corner.y, w = size.x, h = size.y;
        if (w == 0 || h == 0) return Box2I{};
        backwards(x0, w);
        backwards(y0, h);
        return make(x0, y0, w, h);
    }

    /// Box with inclusive min and max (lsst.geom `Box2I(min, max, invert=false)`); max < min on either axis gives the
    /// empty box; max == min is a single pixel.
    /// @throws OverflowError if the size (max - min + 1) does not fit in int.
    static constexpr Box2I from_min_max(Point2I min, Point2I max) {
        return make(min.x, min.y, std::int64_t(max.x) - min.x + 1, std::int64_t(max.y) - min.y + 1);
    }

    /// Smallest box holding two opposite (inclusive) corners in any order (lsst.geom `Box2I(a, b, invert=true)`).
    /// @throws OverflowError if the size does not fit in int.
    static constexpr Box2I from_corners(Point2I a, Point2I b) {
        return from_min_max({std::min(a.x, b.x), std::min(a.y, b.y)}, {std::max(a.x, b.x), std::max(a.y, b.y)});
    }

    /// Integer box from a floating box (lsst.geom `Box2I(Box2D, edgeHandling)`); see EdgeHandling for the rules.
    /// The empty Box2D gives the empty box.
    /// @throws InvalidParameterError if a bound is infinite; OverflowError if the result does not fit in int.
    static constexpr Box2I from(Box2D const& box, EdgeHandling edge = EdgeHandling::Expand);

    /// The box of `size` whose centre is as close as possible to `center` (lsst.geom `Box2I::makeCenteredBox`):
    /// min = round(center - size/2 + 1/2) with round(v) = floor(v + 0.5). A non-positive size gives the empty box.
    /// @throws InvalidParameterError if `center` is not finite; OverflowError if the box does not fit in int.
    static constexpr Box2I make_centered(Point2D center, Extent2I size) {
        if (!detail::is_finite(center.x) || !detail::is_finite(center.y))
            throw InvalidParameterError(
                detail::msg("Box2I::make_centered: non-finite center (", center.x, ", ", center.y, ")"));
        if (size.x <= 0 || size.y <= 0) return Box2I{};
        // Same operation order as upstream: corner = center - 0.5 * size, shifted by +0.5, then Point2I(corner).
        double const cx = (center.x + (-0.5 * size.x)) + 0.5;
        double const cy = (center.y + (-0.5 * size.y)) + 0.5;
        auto const corner = static_cast<Point2I>(Point2D{cx, cy});
        return from_min_size(corner, size);
    }

    // --- accessors (lsst.geom getMin, getMax, getEnd, getWidth ...) ---
    [[nodiscard]] constexpr Point2I min() const noexcept { return m_min; }
    /// Inclusive max corner, min + dimensions - 1. For the empty box this is (-1, -1), as upstream.
    [[nodiscard]] constexpr Point2I max() const noexcept { return {max_x(), max_y()}; }
    /// One past the max corner (lsst.geom getEnd): min + dimensions; (0, 0) for the empty box.
    [[nodiscard]] constexpr Point2I end() const noexcept { return {end_x(), end_y()}; }
    [[nodiscard]] constexpr int min_x() const noexcept { return m_min.x; }
    [[nodiscard]] constexpr int min_y() const noexcept { return m_min.y; }
    [[nodiscard]] constexpr int max_x() const noexcept {
        return static_cast<int>(std::int64_t(m_min.x) + m_size.x - 1);
    }
    [[nodiscard]] constexpr int max_y() const noexcept {
        return static_cast<int>(std::int64_t(m_min.y) + m_size.y - 1);
    }
    [[nodiscard]] constexpr int end_x() const noexcept { return static_cast<int>(std::int64_t(m_min.x) + m_size.x); }
    [[nodiscard]] constexpr int end_y() const noexcept { return static_cast<int>(std::int64_t(m_min.y) + m_size.y); }
    [[nodiscard]] constexpr int width() const noexcept { return m_size.x; }
    [[nodiscard]] constexpr int height() const noexcept { return m_size.y; }
    [[nodiscard]] constexpr Extent2I dimensions() const noexcept { return m_size; }
    /// Number of pixels, as 64-bit (upstream returns int, which overflows for boxes above 2^31 pixels).
    [[nodiscard]] constexpr std::int64_t area() const noexcept { return std::int64_t(m_size.x) * m_size.y; }
    /// True for the empty box (lsst.geom isEmpty).
    [[nodiscard]] constexpr bool empty() const noexcept { return m_size.x == 0 || m_size.y == 0; }
    /// Centre of the equivalent floating box, (min + max) / 2 (lsst.geom getCenter); NaN for the empty box.
    [[nodiscard]] constexpr Point2D center() const noexcept {
        if (empty()) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
        return {0.5 * (double(min_x()) + double(max_x())), 0.5 * (double(min_y()) + double(max_y()))};
    }
    [[nodiscard]] constexpr double center_x() const noexcept { return center().x; }
    [[nodiscard]] constexpr double center_y() const noexcept { return center().y; }
    /// The four corners counter-clockwise from min (lsst.geom getCorners): (min.x, min.y), (max.x, min.y),
    /// (max.x, max.y), (min.x, max.y). For the empty box these are computed from min (0,0) and max (-1,-1).
    [[nodiscard]] constexpr std::array<Point2I, 4> corners() const noexcept {
        return {Point2I{min_x(), min_y()}, Point2I{max_x(), min_y()}, Point2I{max_x(), max_y()},
                Point2I{min_x(), max_y()}};
    }

    // --- predicates ---
    /// True when min <= p <= max on both axes (inclusive); false for the empty box.
    [[nodiscard]] constexpr bool contains(Point2I p) const noexcept {
        return !empty() && p.x >= m_min.x && p.y >= m_min.y && p.x <= max_x() && p.y <= max_y();
    }
    [[nodiscard]] constexpr bool contains(int x, int y) const noexcept { return contains(Point2I{x, y}); }
    /// True when every pixel of `b` is inside this box; an empty `b` is contained in any box, even an empty one.
    [[nodiscard]] constexpr bool contains(Box2I const& b) const noexcept {
        return b.empty() || (!empty() && b.min_x() >= min_x() && b.min_y() >= min_y() && b.max_x() <= max_x() &&
                             b.max_y() <= max_y());
    }
    /// True when the boxes share at least one pixel; false if either is empty.
    [[nodiscard]] constexpr bool overlaps(Box2I const& b) const noexcept {
        return !empty() && !b.empty() && b.min_x() <= max_x() && b.max_x() >= min_x() && b.min_y() <= max_y() &&
               b.max_y() >= min_y();
    }
    /// Negation of overlaps (lsst.geom isDisjointFrom): true if either box is empty.
    [[nodiscard]] constexpr bool is_disjoint_from(Box2I const& b) const noexcept { return !overlaps(b); }

    // --- value-returning operations ---
    /// Intersection (lsst.geom clippedTo); empty when disjoint or either is empty.
    [[nodiscard]] constexpr Box2I clipped_to(Box2I const& b) const noexcept {
        if (!overlaps(b)) return Box2I{};
        return raw(std::max(min_x(), b.min_x()), std::max(min_y(), b.min_y()),
                   std::int64_t(std::min(max_x(), b.max_x())) - std::max(min_x(), b.min_x()) + 1,
                   std::int64_t(std::min(max_y(), b.max_y())) - std::max(min_y(), b.min_y()) + 1);
    }
    /// Smallest box covering this one and `p` (lsst.geom expandedTo); the empty box gives the 1x1 box at p.
    /// @throws OverflowError if the size does not fit in int.
    [[nodiscard]] constexpr Box2I expanded_to(Point2I p) const {
        if (empty()) return raw(p.x, p.y, 1, 1);
        std::int64_t const x0 = std::min(min_x(), p.x), y0 = std::min(min_y(), p.y);
        return make_axes(x0, y0, std::max(max_x(), p.x) - x0 + 1, std::max(max_y(), p.y) - y0 + 1);
    }
    /// Smallest box covering both boxes (lsst.geom expandedTo); an empty argument changes nothing, an empty `*this`
    /// gives `b`.
    /// @throws OverflowError if the size does not fit in int.
    [[nodiscard]] constexpr Box2I expanded_to(Box2I const& b) const {
        if (b.empty()) return *this;
        if (empty()) return b;
        std::int64_t const x0 = std::min(min_x(), b.min_x()), y0 = std::min(min_y(), b.min_y());
        return make_axes(x0, y0, std::max(max_x(), b.max_x()) - x0 + 1, std::max(max_y(), b.max_y()) - y0 + 1);
    }
    /// Moves every side out by d (per axis) (lsst.geom dilatedBy); a negative d erodes. A result with a
    /// non-positive size on either axis is the empty box; the empty box stays empty.
    /// @throws OverflowError if the result does not fit in int.
    [[nodiscard]] constexpr Box2I dilated_by(Extent2I d) const { return dilate(d.x, d.y); }
    [[nodiscard]] constexpr Box2I dilated_by(int d) const { return dilate(d, d); }
    /// Moves every side in by d (lsst.geom erodedBy = dilatedBy(-d)); eroding to a non-positive size gives the
    /// empty box; the empty box stays empty.
    [[nodiscard]] constexpr Box2I eroded_by(Extent2I d) const { return dilate(-std::int64_t(d.x), -std::int64_t(d.y)); }
    [[nodiscard]] constexpr Box2I eroded_by(int d) const { return dilate(-std::int64_t(d), -std::int64_t(d)); }
    /// Translates (lsst.geom shiftedBy); the empty box stays empty.
    /// @throws OverflowError if the result does not fit in int.
    [[nodiscard]] constexpr Box2I shifted_by(Extent2I off) const {
        if (empty()) return *this;
        return make_axes(std::int64_t(min_x()) + off.x, std::int64_t(min_y()) + off.y, width(), height());
    }
    /// Mirrors left-right inside a parent of width `parent_width` whose min x is 0 (lsst.geom flipLR):
    /// pixel x goes to parent_width - 1 - x, so new min = parent_width - end_x. The empty box stays empty.
    /// @throws OverflowError if the result does not fit in int (upstream overflows silently).
    [[nodiscard]] constexpr Box2I flipped_lr(int parent_width) const {
        if (empty()) return *this;
        return make_axes(std::int64_t(parent_width) - min_x() - width(), min_y(), width(), height());
    }
    /// Mirrors top-bottom inside a parent of height `parent_height` (lsst.geom flipTB): y -> parent_height - 1 - y.
    [[nodiscard]] constexpr Box2I flipped_tb(int parent_height) const {
        if (empty()) return *this;
        return make_axes(min_x(), std::int64_t(parent_height) - min_y() - height(), width(), height());
    }
    /// Reflects about the vertical line through pixel column x (lsst.geom reflectedAboutX): [2x - max, 2x - min].
    [[nodiscard]] constexpr Box2I reflected_about_x(int x) const {
        if (empty()) return *this;
        return make_axes(2LL * x - max_x(), min_y(), width(), height());
    }
    /// Reflects about the horizontal line through pixel row y (lsst.geom reflectedAboutY).
    [[nodiscard]] constexpr Box2I reflected_about_y(int y) const {
        if (empty()) return *this;
        return make_axes(min_x(), 2LL * y - max_y(), width(), height());
    }

    // --- in-place forms (lsst.geom clip, include, grow, shift, flipLR, flipTB) ---
    constexpr Box2I& clip(Box2I const& b) noexcept { return *this = clipped_to(b); }
    constexpr Box2I& include(Point2I p) { return *this = expanded_to(p); }
    constexpr Box2I& include(Box2I const& b) { return *this = expanded_to(b); }
    constexpr Box2I& grow(int d) { return *this = dilated_by(d); }
    constexpr Box2I& grow(Extent2I d) { return *this = dilated_by(d); }
    constexpr Box2I& erode(int d) { return *this = eroded_by(d); }
    constexpr Box2I& erode(Extent2I d) { return *this = eroded_by(d); }
    constexpr Box2I& shift(Extent2I off) { return *this = shifted_by(off); }
    constexpr Box2I& flip_lr(int parent_width) { return *this = flipped_lr(parent_width); }
    constexpr Box2I& flip_tb(int parent_height) { return *this = flipped_tb(parent_height); }

    /// Same min and same dimensions; all empty boxes are equal (they are stored identically).
    constexpr bool operator==(Box2I const&) const = default;
};

/// A floating-point rectangle, half-open: min inclusive, max exclusive (lsst::geom::Box2D).
///
/// Stored as min + max (so round-off never changes containment). The empty box stores NaN bounds; only the empty
/// box has zero size, and every construction or operation giving a zero or negative size on either axis gives it.
/// All empty boxes compare equal. NaN bounds are refused (InvalidParameterError) instead of silently making the box
/// empty, so a NaN can never reach Box2I::from unnoticed. Infinite bounds are allowed (as upstream) but cannot be
/// converted to Box2I.
class Box2D {
    static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    Point2D m_min{nan, nan};
    Point2D m_max{nan, nan};

    static constexpr bool is_nan(double v) noexcept { return v != v; }
    /// lsst.geom Box2D(min, max, invert): equal bounds on an axis give the empty box; min > max swaps when
    /// `invert`, else gives the empty box.
    /// @throws InvalidParameterError for a NaN bound (upstream silently makes such a box empty).
    static constexpr Box2D make(Point2D lo, Point2D hi, bool invert) {
        if (is_nan(lo.x) || is_nan(lo.y) || is_nan(hi.x) || is_nan(hi.y))
            throw InvalidParameterError(detail::msg("Box2D: NaN in bounds ", lo, " - ", hi));
        if (lo.x == hi.x || lo.y == hi.y) return Box2D{};
        if (lo.x > hi.x) {
            if (!invert) return Box2D{};
            std::swap(lo.x, hi.x);
        }
        if (lo.y > hi.y) {
            if (!invert) return Box2D{};
            std::swap(lo.y, hi.y);
        }
        Box2D b;
        b.m_min = lo;
        b.m_max = hi;
        return b;
    }
    static constexpr void check_finite(double v, char const* what) {
        if (!detail::is_finite(v)) throw InvalidParameterError(detail::msg("Box2D::", what, ": non-finite value ", v));
    }
    /// lsst.geom _tweakMax: nudges an exclusive max up so that a point equal to it is inside.
    static constexpr double tweak_max(double v) noexcept {
        if (v < 0.0) return v * (1.0 - epsilon);
        if (v > 0.0) return v * (1.0 + epsilon);
        return epsilon;
    }

public:
    /// lsst.geom Box2D::EPSILON: the relative amount include() moves an exclusive max to cover a point.
    static constexpr double epsilon = 2.0 * std::numeric_limits<double>::epsilon();

    /// The empty box (NaN bounds).
    constexpr Box2D() noexcept = default;

    /// The region covered by the pixels of `b` (lsst.geom `Box2D(Box2I)`): [min - 0.5, max + 0.5); the empty box
    /// gives the empty box.
    constexpr explicit Box2D(Box2I const& b) noexcept {
        if (b.empty()) return;
        m_min = {b.min_x() - 0.5, b.min_y() - 0.5};
        m_max = {b.max_x() + 0.5, b.max_y() + 0.5};
    }
    /// Same as the explicit constructor, as a named factory.
    static constexpr Box2D from(Box2I const& b) noexcept { return Box2D(b); }

    /// Box [min, max) (lsst.geom `Box2D(min, max, invert=false)`); max <= min on either axis gives the empty box.
    static constexpr Box2D from_min_max(Point2D min, Point2D max) { return make(min, max, false); }
    /// Box spanned by two corners in any order (lsst.geom `Box2D(a, b, invert=true)`); equal coordinates on an axis
    /// give the empty box.
    static constexpr Box2D from_corners(Point2D a, Point2D b) { return make(a, b, true); }
    /// Box [min, min + size) (lsst.geom `Box2D(corner, dims, invert=false)`); a non-positive size gives the empty box.
    static constexpr Box2D from_min_size(Point2D min, Extent2D size) { return make(min, min + size, false); }
    /// lsst.geom `Box2D(corner, dims, invert=true)`: a negative size extends backwards from `corner` (which is then
    /// the exclusive max on that axis); a zero size gives the empty box.
    static constexpr Box2D from_corner_size(Point2D corner, Extent2D size) { return make(corner, corner + size, true); }
    /// The box of `size` centred on `center` (lsst.geom `Box2D::makeCenteredBox`): min = center - size / 2.
    static constexpr Box2D make_centered(Point2D center, Extent2D size) {
        return from_min_size(center + (-0.5 * size), size);
    }

    // --- accessors ---
    /// Inclusive min corner; NaN for the empty box.
    [[nodiscard]] constexpr Point2D min() const noexcept { return m_min; }
    /// Exclusive max corner; NaN for the empty box.
    [[nodiscard]] constexpr Point2D max() const noexcept { return m_max; }
    [[nodiscard]] constexpr double min_x() const noexcept { return m_min.x; }
    [[nodiscard]] constexpr double min_y() const noexcept { return m_min.y; }
    [[nodiscard]] constexpr double max_x() const noexcept { return m_max.x; }
    [[nodiscard]] constexpr double max_y() const noexcept { return m_max.y; }
    [[nodiscard]] constexpr bool empty() const noexcept { return is_nan(m_min.x); }
    /// max - min; 0 for the empty box.
    [[nodiscard]] constexpr double width() const noexcept { return empty() ? 0.0 : m_max.x - m_min.x; }
    [[nodiscard]] constexpr double height() const noexcept { return empty() ? 0.0 : m_max.y - m_min.y; }
    [[nodiscard]] constexpr Extent2D dimensions() const noexcept { return {width(), height()}; }
    [[nodiscard]] constexpr double area() const noexcept { return width() * height(); }
    /// (min + max) / 2; NaN for the empty box.
    [[nodiscard]] constexpr Point2D center() const noexcept {
        return {(m_min.x + m_max.x) * 0.5, (m_min.y + m_max.y) * 0.5};
    }
    [[nodiscard]] constexpr double center_x() const noexcept { return (m_min.x + m_max.x) * 0.5; }
    [[nodiscard]] constexpr double center_y() const noexcept { return (m_min.y + m_max.y) * 0.5; }
    /// (min.x, min.y), (max.x, min.y), (max.x, max.y), (min.x, max.y), as upstream getCorners.
    [[nodiscard]] constexpr std::array<Point2D, 4> corners() const noexcept {
        return {Point2D{m_min.x, m_min.y}, Point2D{m_max.x, m_min.y}, Point2D{m_max.x, m_max.y},
                Point2D{m_min.x, m_max.y}};
    }

    // --- predicates ---
    /// min <= p < max on both axes (half-open); false for the empty box and for a NaN point.
    [[nodiscard]] constexpr bool contains(Point2D p) const noexcept {
        return p.x >= m_min.x && p.y >= m_min.y && p.x < m_max.x && p.y < m_max.y;
    }
    [[nodiscard]] constexpr bool contains(double x, double y) const noexcept { return contains(Point2D{x, y}); }
    /// Every point of `b` is in this box (bounds compared inclusively, as upstream); an empty `b` is contained in
    /// any box.
    [[nodiscard]] constexpr bool contains(Box2D const& b) const noexcept {
        return b.empty() ||
               (b.m_min.x >= m_min.x && b.m_min.y >= m_min.y && b.m_max.x <= m_max.x && b.m_max.y <= m_max.y);
    }
    /// The boxes share a region of non-zero area: boxes that only touch along an edge do not overlap (half-open);
    /// false if either is empty.
    [[nodiscard]] constexpr bool overlaps(Box2D const& b) const noexcept {
        return !(empty() || b.empty() || b.m_max.x <= m_min.x || b.m_max.y <= m_min.y || b.m_min.x >= m_max.x ||
                 b.m_min.y >= m_max.y);
    }
    [[nodiscard]] constexpr bool is_disjoint_from(Box2D const& b) const noexcept { return !overlaps(b); }

    // --- value-returning operations ---
    /// Intersection; empty when the boxes do not overlap or either is empty.
    [[nodiscard]] constexpr Box2D clipped_to(Box2D const& b) const {
        if (empty() || b.empty()) return Box2D{};
        return make({std::max(m_min.x, b.m_min.x), std::max(m_min.y, b.m_min.y)},
                    {std::min(m_max.x, b.m_max.x), std::min(m_max.y, b.m_max.y)}, false);
    }
    /// Smallest box holding both; an empty argument changes nothing, an empty `*this` gives `b`.
    [[nodiscard]] constexpr Box2D expanded_to(Box2D const& b) const {
        if (b.empty()) return *this;
        if (empty()) return b;
        return make({std::min(m_min.x, b.m_min.x), std::min(m_min.y, b.m_min.y)},
                    {std::max(m_max.x, b.m_max.x), std::max(m_max.y, b.m_max.y)}, false);
    }
    /// Grows to contain `p` (lsst.geom include/expandedTo): a coordinate below min becomes the min; one at or above
    /// the exclusive max becomes the max, nudged up by `epsilon` (relative) so that `contains(p)` holds. The empty
    /// box becomes a tiny box at p.
    /// @throws InvalidParameterError for a NaN coordinate (upstream ignores it).
    [[nodiscard]] constexpr Box2D expanded_to(Point2D p) const {
        Box2D b = *this;
        b.include(p);
        return b;
    }
    /// Moves every side out by d (per axis); a result with non-positive size is the empty box; empty stays empty.
    /// @throws InvalidParameterError if d is not finite.
    [[nodiscard]] constexpr Box2D dilated_by(Extent2D d) const {
        check_finite(d.x, "dilated_by");
        check_finite(d.y, "dilated_by");
        if (empty()) return *this;
        return make(m_min - d, m_max + d, false);
    }
    [[nodiscard]] constexpr Box2D dilated_by(double d) const { return dilated_by(Extent2D{d, d}); }
    [[nodiscard]] constexpr Box2D eroded_by(Extent2D d) const { return dilated_by(-d); }
    [[nodiscard]] constexpr Box2D eroded_by(double d) const { return dilated_by(Extent2D{-d, -d}); }
    /// Translates; the empty box stays empty.
    /// @throws InvalidParameterError if `off` is not finite.
    [[nodiscard]] constexpr Box2D shifted_by(Extent2D off) const {
        check_finite(off.x, "shifted_by");
        check_finite(off.y, "shifted_by");
        if (empty()) return *this;
        return make(m_min + off, m_max + off, false);
    }
    /// Mirrors left-right inside a parent of width `parent_width` starting at 0 (lsst.geom flipLR):
    /// [min, max) -> [parent_width - max, parent_width - min). Empty stays empty.
    [[nodiscard]] constexpr Box2D flipped_lr(double parent_width) const {
        if (empty()) return *this;
        return make({parent_width - m_max.x, m_min.y}, {parent_width - m_min.x, m_max.y}, false);
    }
    /// Mirrors top-bottom inside a parent of height `parent_height` (lsst.geom flipTB).
    [[nodiscard]] constexpr Box2D flipped_tb(double parent_height) const {
        if (empty()) return *this;
        return make({m_min.x, parent_height - m_max.y}, {m_max.x, parent_height - m_min.y}, false);
    }
    /// Reflects about the vertical line at x (lsst.geom reflectedAboutX): [2x - max, 2x - min).
    /// @throws InvalidParameterError if x is not finite.
    [[nodiscard]] constexpr Box2D reflected_about_x(double x) const {
        check_finite(x, "reflected_about_x");
        if (empty()) return *this;
        return make({2 * x - m_max.x, m_min.y}, {2 * x - m_min.x, m_max.y}, false);
    }
    /// Reflects about the horizontal line at y (lsst.geom reflectedAboutY).
    [[nodiscard]] constexpr Box2D reflected_about_y(double y) const {
        check_finite(y, "reflected_about_y");
        if (empty()) return *this;
        return make({m_min.x, 2 * y - m_max.y}, {m_max.x, 2 * y - m_min.y}, false);
    }

    // --- in-place forms ---
    constexpr Box2D& clip(Box2D const& b) { return *this = clipped_to(b); }
    constexpr Box2D& include(Box2D const& b) { return *this = expanded_to(b); }
    /// In-place expanded_to(Point2D), following lsst.geom Box2D::include exactly.
    /// @throws InvalidParameterError for a NaN coordinate.
    constexpr Box2D& include(Point2D p) {
        if (is_nan(p.x) || is_nan(p.y)) throw InvalidParameterError(detail::msg("Box2D::include: NaN in point ", p));
        if (empty()) {
            m_min = p;
            m_max = {tweak_max(p.x), tweak_max(p.y)};
            return *this;
        }
        if (p.x < m_min.x)
            m_min.x = p.x;
        else if (p.x >= m_max.x)
            m_max.x = tweak_max(p.x);
        if (p.y < m_min.y)
            m_min.y = p.y;
        else if (p.y >= m_max.y)
            m_max.y = tweak_max(p.y);
        return *this;
    }
    constexpr Box2D& grow(double d) { return *this = dilated_by(d); }
    constexpr Box2D& grow(Extent2D d) { return *this = dilated_by(d); }
    constexpr Box2D& erode(double d) { return *this = eroded_by(d); }
    constexpr Box2D& erode(Extent2D d) { return *this = eroded_by(d); }
    constexpr Box2D& shift(Extent2D off) { return *this = shifted_by(off); }
    constexpr Box2D& flip_lr(double parent_width) { return *this = flipped_lr(parent_width); }
    constexpr Box2D& flip_tb(double parent_height) { return *this = flipped_tb(parent_height); }

    /// Equal bounds, or both empty (lsst.geom: all empty boxes are equal).
    friend constexpr bool operator==(Box2D const& a, Box2D const& b) noexcept {
        return (a.empty() && b.empty()) || (a.m_min == b.m_min && a.m_max == b.m_max);
    }
};

constexpr Box2I Box2I::from(Box2D const& box, EdgeHandling edge) {
    if (box.empty()) return Box2I{};
    double const lo[2] = {box.min_x(), box.min_y()};
    double const hi[2] = {box.max_x(), box.max_y()};
    for (int n = 0; n < 2; ++n) {
        if (!detail::is_finite(lo[n]) || !detail::is_finite(hi[n]))
            throw InvalidParameterError(detail::msg("Box2I::from: cannot convert a non-finite Box2D [", lo[n], ", ",
                                                    hi[n], ") on the ", n == 0 ? "x" : "y", " axis"));
    }
    std::int64_t imin[2] = {0, 0}, isize[2] = {0, 0};
    for (int n = 0; n < 2; ++n) {
        std::int64_t a = 0, b = 0;
        if (edge == EdgeHandling::Expand) {
            a = detail::ceil_i64(lo[n] - 0.5);
            b = detail::floor_i64(hi[n] + 0.5);
        } else {
            a = detail::ceil_i64(lo[n] + 0.5);
            b = detail::floor_i64(hi[n] - 0.5);
        }
        imin[n] = a;
        isize[n] = b - a + 1;
    }
    return make_axes(imin[0], imin[1], isize[0], isize[1]);
}

/// Prints `Box2I(Point2I(x, y), Extent2I(w, h))`, or `Box2I()` for the empty box (lsst.geom operator<<).
inline std::ostream& operator<<(std::ostream& os, Box2I const& b) {
    if (b.empty()) return os << "Box2I()";
    return os << "Box2I(" << b.min() << ", " << b.dimensions() << ")";
}

/// Prints `Box2D(Point2D(x, y), Extent2D(w, h))`, or `Box2D()` for the empty box (lsst.geom operator<<).
inline std::ostream& operator<<(std::ostream& os, Box2D const& b) {
    if (b.empty()) return os << "Box2D()";
    return os << "Box2D(" << b.min() << ", " << b.dimensions() << ")";
}

} // namespace skystack

template <>
struct std::hash<skystack::Box2I> {
    std::size_t operator()(skystack::Box2I const& b) const noexcept {
        std::size_t h = std::hash<skystack::Point2I>{}(b.min());
        return skystack::detail::hash_combine(h, std::hash<skystack::Extent2I>{}(b.dimensions()));
    }
};
template <>
struct std::hash<skystack::Box2D> {
    std::size_t operator()(skystack::Box2D const& b) const noexcept {
        if (b.empty()) return 179; // all empty boxes are equal, so they hash alike (as upstream)
        std::size_t h = std::hash<skystack::Point2D>{}(b.min());
        return skystack::detail::hash_combine(h, std::hash<skystack::Point2D>{}(b.max()));
    }
};
