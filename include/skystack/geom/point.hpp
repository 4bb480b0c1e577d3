// SPDX-License-Identifier: MIT
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>

namespace skystack {

template <class T> struct Point;

/// A size or displacement (lsst::geom::Extent). Extents add and subtract, scale by a scalar, and move points.
template <class T> struct Extent {
    T x{};
    T y{};

    constexpr auto operator<=>(Extent const&) const = default;

    /// Explicit conversion between integer and floating extents (int -> double exact; double -> int truncates).
    template <class U> constexpr explicit operator Extent<U>() const noexcept {
        return {static_cast<U>(x), static_cast<U>(y)};
    }
    /// The point at this displacement from the origin (lsst::geom Point(Extent), explicit there too).
    constexpr Point<T> as_point() const noexcept { return {x, y}; }

    constexpr Extent operator-() const noexcept { return {-x, -y}; }
    constexpr Extent& operator+=(Extent const& o) noexcept { x += o.x; y += o.y; return *this; }
    constexpr Extent& operator-=(Extent const& o) noexcept { x -= o.x; y -= o.y; return *this; }
    constexpr Extent& operator*=(T s) noexcept { x *= s; y *= s; return *this; }
    constexpr Extent& operator/=(T s) noexcept { x /= s; y /= s; return *this; }
};

/// A position (lsst::geom::Point). Point - Point is an Extent; Point +/- Extent is a Point; Point + Point does not
/// compile.
template <class T> struct Point {
    T x{};
    T y{};

    constexpr auto operator<=>(Point const&) const = default;

    template <class U> constexpr explicit operator Point<U>() const noexcept {
        return {static_cast<U>(x), static_cast<U>(y)};
    }
    /// The displacement of this point from the origin (lsst::geom Extent(Point), explicit there too).
    constexpr Extent<T> as_extent() const noexcept { return {x, y}; }

    constexpr Point& operator+=(Extent<T> const& e) noexcept { x += e.x; y += e.y; return *this; }
    constexpr Point& operator-=(Extent<T> const& e) noexcept { x -= e.x; y -= e.y; return *this; }
};

using Point2I = Point<int>;
using Point2D = Point<double>;
using Extent2I = Extent<int>;
using Extent2D = Extent<double>;

template <class T> constexpr Extent<T> operator-(Point<T> const& a, Point<T> const& b) noexcept {
    return {a.x - b.x, a.y - b.y};
}
template <class T> constexpr Point<T> operator+(Point<T> p, Extent<T> const& e) noexcept { return p += e; }
template <class T> constexpr Point<T> operator+(Extent<T> const& e, Point<T> p) noexcept { return p += e; }
template <class T> constexpr Point<T> operator-(Point<T> p, Extent<T> const& e) noexcept { return p -= e; }
template <class T> constexpr Extent<T> operator+(Extent<T> a, Extent<T> const& b) noexcept { return a += b; }
template <class T> constexpr Extent<T> operator-(Extent<T> a, Extent<T> const& b) noexcept { return a -= b; }
template <class T> constexpr Extent<T> operator*(Extent<T> a, T s) noexcept { return a *= s; }
template <class T> constexpr Extent<T> operator*(T s, Extent<T> a) noexcept { return a *= s; }
template <class T> constexpr Extent<T> operator/(Extent<T> a, T s) noexcept { return a /= s; }

template <class T> std::ostream& operator<<(std::ostream& os, Point<T> const& p) {
    return os << "Point(" << p.x << ", " << p.y << ")";
}
template <class T> std::ostream& operator<<(std::ostream& os, Extent<T> const& e) {
    return os << "Extent(" << e.x << ", " << e.y << ")";
}

namespace detail {
constexpr std::size_t hash_combine(std::size_t seed, std::size_t h) noexcept {
    return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}
} // namespace detail

} // namespace skystack

template <class T> struct std::hash<skystack::Point<T>> {
    std::size_t operator()(skystack::Point<T> const& p) const noexcept {
        return skystack::detail::hash_combine(std::hash<T>{}(p.x), std::hash<T>{}(p.y));
    }
};
template <class T> struct std::hash<skystack::Extent<T>> {
    std::size_t operator()(skystack::Extent<T> const& e) const noexcept {
        return skystack::detail::hash_combine(std::hash<T>{}(e.x), std::hash<T>{}(e.y));
    }
};
