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

namespace skystack {

/// An integer pixel rectangle with inclusive bounds (lsst::geom::Box2I): min and max are both inside.
///
/// Stored as min + dimensions. Every construction or operation that would give a zero or negative size on either
/// axis yields the canonical empty box (min (0,0), size (0,0)), so all empty boxes compare equal, as in lsst.geom.
/// A box whose size or far corner cannot be represented as int throws OverflowError.
class Box2I {
    Point2I m_min{};
    Extent2I m_size{};

    static constexpr void check_axis(std::int64_t lo, std::int64_t size, char const* axis) {
        constexpr std::int64_t imax = std::numeric_limits<int>::max();
        if (size > imax || lo + size - 1 > imax)
            throw OverflowError(detail::msg("Box2I: ", axis, " range starting at ", lo, " with size ", size,
                                            " does not fit in int"));
    }
    /// Normalised construction from 64-bit (lo, size) per axis; size <= 0 on any axis gives the empty box.
    static constexpr Box2I make(std::int64_t x0, std::int64_t y0, std::int64_t w, std::int64_t h) {
        if (w <= 0 || h <= 0) return Box2I{};
        check_axis(x0, w, "x");
        check_axis(y0, h, "y");
        Box2I b;
        b.m_min = {static_cast<int>(x0), static_cast<int>(y0)};
        b.m_size = {static_cast<int>(w), static_cast<int>(h)};
        return b;
    }
    /// One axis of afw's Box2I(corner, dims, invert=true): a negative size extends backwards from the corner.
    static constexpr void backwards(std::int64_t& lo, std::int64_t& size) noexcept {
        if (size < 0) {
            lo = lo + size + 1;
            size = -size;
        }
    }

public:
    /// The empty box.
    constexpr Box2I() noexcept = default;

    /// afw's `Box2I(corner, dimensions)` (invert = true): a negative dimension makes the box extend backwards
    /// from the corner, which is then the max on that axis; a zero dimension gives the empty box.
    constexpr Box2I(Point2I corner, Extent2I size) { *this = from_corner_size(corner, size); }

    /// Box with the given min and size; a non-positive size on either axis gives the empty box
    /// (afw `Box2I(min, dims, invert=false)`).
    static constexpr Box2I from_min_size(Point2I min, Extent2I size) { return make(min.x, min.y, size.x, size.y); }

    /// afw `Box2I(corner, dims, invert=true)`: negative sizes extend backwards from the corner.
    static constexpr Box2I from_corner_size(Point2I corner, Extent2I size) {
        std::int64_t x0 = corner.x, y0 = corner.y, w = size.x, h = size.y;
        backwards(x0, w);
        backwards(y0, h);
        return make(x0, y0, w, h);
    }

    /// Box with inclusive min and max; max < min on an axis gives the empty box (afw `Box2I(min, max, false)`).
    static constexpr Box2I from_min_max(Point2I min, Point2I max) {
        return make(min.x, min.y, std::int64_t(max.x) - min.x + 1, std::int64_t(max.y) - min.y + 1);
    }

    /// Smallest box holding two opposite corners in any order (afw `Box2I(min, max, invert=true)`).
    static constexpr Box2I from_corners(Point2I a, Point2I b) {
        return from_min_max({a.x < b.x ? a.x : b.x, a.y < b.y ? a.y : b.y},
                            {a.x < b.x ? b.x : a.x, a.y < b.y ? b.y : a.y});
    }

    // --- accessors (afw getMinX etc.) ---
    [[nodiscard]] constexpr Point2I min() const noexcept { return m_min; }
    /// Inclusive max corner. For the empty box this is (-1, -1), as afw.
    [[nodiscard]] constexpr Point2I max() const noexcept { return {m_min.x + m_size.x - 1, m_min.y + m_size.y - 1}; }
    /// One past the max corner (afw getEnd).
    [[nodiscard]] constexpr Point2I end() const noexcept { return {m_min.x + m_size.x, m_min.y + m_size.y}; }
    [[nodiscard]] constexpr int min_x() const noexcept { return m_min.x; }
    [[nodiscard]] constexpr int min_y() const noexcept { return m_min.y; }
    [[nodiscard]] constexpr int max_x() const noexcept { return m_min.x + m_size.x - 1; }
    [[nodiscard]] constexpr int max_y() const noexcept { return m_min.y + m_size.y - 1; }
    [[nodiscard]] constexpr int end_x() const noexcept { return m_min.x + m_size.x; }
    [[nodiscard]] constexpr int end_y() const noexcept { return m_min.y + m_size.y; }
    [[nodiscard]] constexpr int width() const noexcept { return m_size.x; }
    [[nodiscard]] constexpr int height() const noexcept { return m_size.y; }
    [[nodiscard]] constexpr Extent2I dimensions() const noexcept { return m_size; }
    /// Number of pixels, as 64-bit (a valid box may hold more than INT_MAX pixels).
    [[nodiscard]] constexpr std::int64_t area() const noexcept { return std::int64_t(m_size.x) * m_size.y; }
    [[nodiscard]] constexpr bool empty() const noexcept { return m_size.x == 0 || m_size.y == 0; }
    /// Centre of the equivalent floating box, (min + max) / 2 (afw getCenter).
    [[nodiscard]] constexpr Point2D center() const noexcept {
        return {0.5 * (double(m_min.x) + double(max_x())), 0.5 * (double(m_min.y) + double(max_y()))};
    }
    /// The four corners, counter-clockwise from min: (min.x,min.y), (max.x,min.y), (max.x,max.y), (min.x,max.y).
    [[nodiscard]] constexpr std::array<Point2I, 4> corners() const noexcept {
        return {Point2I{min_x(), min_y()}, Point2I{max_x(), min_y()}, Point2I{max_x(), max_y()},
                Point2I{min_x(), max_y()}};
    }

    // --- predicates ---
    [[nodiscard]] constexpr bool contains(Point2I p) const noexcept {
        return p.x >= m_min.x && p.y >= m_min.y && p.x <= max_x() && p.y <= max_y();
    }
    /// True when every pixel of `b` is inside this box; an empty `b` is contained in any box.
    [[nodiscard]] constexpr bool contains(Box2I const& b) const noexcept {
        return b.empty() || (!empty() && b.min_x() >= min_x() && b.min_y() >= min_y() && b.max_x() <= max_x() &&
                             b.max_y() <= max_y());
    }
    /// True when the boxes share at least one pixel; false if either is empty.
    [[nodiscard]] constexpr bool overlaps(Box2I const& b) const noexcept {
        return !empty() && !b.empty() && b.min_x() <= max_x() && b.max_x() >= min_x() && b.min_y() <= max_y() &&
               b.max_y() >= min_y();
    }

    // --- value-returning operations ---
    /// Intersection (afw clip); empty when disjoint or either is empty.
    [[nodiscard]] constexpr Box2I clipped_to(Box2I const& b) const {
        if (!overlaps(b)) return Box2I{};
        return from_min_max({std::max(min_x(), b.min_x()), std::max(min_y(), b.min_y())},
                            {std::min(max_x(), b.max_x()), std::min(max_y(), b.max_y())});
    }
    /// Smallest box covering this one and `p` (afw include); empty + p = the 1x1 box at p.
    [[nodiscard]] constexpr Box2I expanded_to(Point2I p) const {
        if (empty()) return from_min_size(p, {1, 1});
        return from_min_max({std::min(min_x(), p.x), std::min(min_y(), p.y)},
                            {std::max(max_x(), p.x), std::max(max_y(), p.y)});
    }
    /// Smallest box covering both boxes (afw include); an empty argument changes nothing.
    [[nodiscard]] constexpr Box2I expanded_to(Box2I const& b) const {
        if (b.empty()) return *this;
        if (empty()) return b;
        return from_min_max({std::min(min_x(), b.min_x()), std::min(min_y(), b.min_y())},
                            {std::max(max_x(), b.max_x()), std::max(max_y(), b.max_y())});
    }
    /// Grow every side by d (per axis); a negative d erodes. Empty stays empty (afw grow).
    [[nodiscard]] constexpr Box2I dilated_by(Extent2I d) const {
        if (empty()) return *this;
        return make(std::int64_t(min_x()) - d.x, std::int64_t(min_y()) - d.y, std::int64_t(width()) + 2 * d.x,
                    std::int64_t(height()) + 2 * d.y);
    }
    [[nodiscard]] constexpr Box2I dilated_by(int d) const { return dilated_by(Extent2I{d, d}); }
    /// Shrink every side by d; eroding past the centre gives the empty box.
    [[nodiscard]] constexpr Box2I eroded_by(Extent2I d) const { return dilated_by(-d); }
    [[nodiscard]] constexpr Box2I eroded_by(int d) const { return dilated_by(Extent2I{-d, -d}); }
    /// Translate; the empty box stays empty (afw shift).
    [[nodiscard]] constexpr Box2I shifted_by(Extent2I off) const {
        if (empty()) return *this;
        return make(std::int64_t(min_x()) + off.x, std::int64_t(min_y()) + off.y, width(), height());
    }
    /// Mirror left-right inside a parent of width `parent_width` whose min x is 0 (afw flipLR):
    /// x -> parent_width - 1 - x.
    [[nodiscard]] constexpr Box2I flipped_lr(int parent_width) const {
        if (empty()) return *this;
        return make(std::int64_t(parent_width) - 1 - max_x(), min_y(), width(), height());
    }
    /// Mirror top-bottom inside a parent of height `parent_height` (afw flipTB): y -> parent_height - 1 - y.
    [[nodiscard]] constexpr Box2I flipped_tb(int parent_height) const {
        if (empty()) return *this;
        return make(min_x(), std::int64_t(parent_height) - 1 - max_y(), width(), height());
    }

    // --- in-place forms (afw clip, include, grow, erode, shift, flipLR, flipTB) ---
    constexpr Box2I& clip(Box2I const& b) { return *this = clipped_to(b); }
    constexpr Box2I& include(Point2I p) { return *this = expanded_to(p); }
    constexpr Box2I& include(Box2I const& b) { return *this = expanded_to(b); }
    constexpr Box2I& grow(int d) { return *this = dilated_by(d); }
    constexpr Box2I& grow(Extent2I d) { return *this = dilated_by(d); }
    constexpr Box2I& erode(int d) { return *this = eroded_by(d); }
    constexpr Box2I& erode(Extent2I d) { return *this = eroded_by(d); }
    constexpr Box2I& shift(Extent2I off) { return *this = shifted_by(off); }
    constexpr Box2I& flip_lr(int parent_width) { return *this = flipped_lr(parent_width); }
    constexpr Box2I& flip_tb(int parent_height) { return *this = flipped_tb(parent_height); }

    constexpr bool operator==(Box2I const&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, Box2I const& b) {
    return os << "Box2I(min=(" << b.min_x() << ", " << b.min_y() << "), dimensions=(" << b.width() << ", "
              << b.height() << "))";
}

} // namespace skystack

template <> struct std::hash<skystack::Box2I> {
    std::size_t operator()(skystack::Box2I const& b) const noexcept {
        std::size_t h = std::hash<skystack::Point2I>{}(b.min());
        return skystack::detail::hash_combine(h, std::hash<skystack::Extent2I>{}(b.dimensions()));
    }
};
