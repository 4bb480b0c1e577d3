// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <type_traits>

namespace skystack {

template <class T>
struct Point;

namespace detail {

/// Combines two hashes (boost::hash_combine with a 64-bit constant).
constexpr std::size_t hash_combine(std::size_t seed, std::size_t h) noexcept {
    return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

/// True for a finite double (constexpr; std::isfinite is not in C++20).
constexpr bool is_finite(double v) noexcept { return v - v == 0.0; }

/// Largest magnitude for which the helpers below convert to int64 exactly; larger values never fit in int.
inline constexpr double i64_safe = 4611686018427387904.0; // 2^62

/// floor(v) as int64 for finite v; |v| > 2^62 is clamped to +-2^62 (out of int range either way).
constexpr std::int64_t floor_i64(double v) noexcept {
    if (v > i64_safe) v = i64_safe;
    if (v < -i64_safe) v = -i64_safe;
    auto t = static_cast<std::int64_t>(v);
    if (static_cast<double>(t) > v) --t;
    return t;
}

/// ceil(v) as int64 for finite v, clamped like floor_i64.
constexpr std::int64_t ceil_i64(double v) noexcept {
    if (v > i64_safe) v = i64_safe;
    if (v < -i64_safe) v = -i64_safe;
    auto t = static_cast<std::int64_t>(v);
    if (static_cast<double>(t) < v) ++t;
    return t;
}

/// Converts one floating coordinate to int with `round` (true: floor(v + 0.5) as lsst.geom Point2I(Point2D);
/// false: truncation toward zero as Extent2I(Extent2D)).
/// @throws InvalidParameterError for NaN or infinity; OverflowError when the result does not fit in int.
template <class I, class F>
constexpr I to_integer_coordinate(F v, bool round, char const* what) {
    double const d = static_cast<double>(v);
    if (!is_finite(d)) throw InvalidParameterError(msg(what, ": cannot convert non-finite coordinate ", d, " to int"));
    std::int64_t r = 0;
    if (round) {
        r = floor_i64(d + 0.5);
    } else {
        r = d < 0 ? ceil_i64(d) : floor_i64(d);
    }
    if (r < std::numeric_limits<I>::min() || r > std::numeric_limits<I>::max())
        throw OverflowError(msg(what, ": coordinate ", d, " does not fit in int"));
    return static_cast<I>(r);
}

template <class T>
constexpr char const* coord_suffix() noexcept {
    if constexpr (std::is_same_v<T, int>)
        return "2I";
    else if constexpr (std::is_same_v<T, double>)
        return "2D";
    else
        return "";
}

} // namespace detail

/// A size or displacement (lsst::geom::Extent2I / Extent2D).
///
/// Algebra as lsst.geom: Extent +/- Extent = Extent, Extent * scalar, Extent / scalar, -Extent, Extent + Point =
/// Point. Mixing Extent2I with Extent2D (or with a double scalar) promotes to Extent2D; in-place `*=`/`/=` of an
/// Extent2I by a double does not compile (it would truncate), as upstream. Integer division truncates toward zero.
template <class T>
struct Extent {
    T x{};
    T y{};

    constexpr auto operator<=>(Extent const&) const = default;

    /// Explicit conversion between integer and floating extents, as lsst.geom `Extent2I(Extent2D)`: int -> double
    /// is exact; double -> int truncates toward zero.
    /// @throws InvalidParameterError for a non-finite coordinate, OverflowError when it does not fit in int.
    template <class U>
    constexpr explicit operator Extent<U>() const {
        if constexpr (std::integral<U> && std::floating_point<T>) {
            return {detail::to_integer_coordinate<U>(x, false, "Extent"),
                    detail::to_integer_coordinate<U>(y, false, "Extent")};
        } else {
            return {static_cast<U>(x), static_cast<U>(y)};
        }
    }
    /// The point at this displacement from the origin (lsst::geom `Point(Extent)`, explicit there too).
    [[nodiscard]] constexpr Point<T> as_point() const noexcept { return {x, y}; }

    constexpr Extent operator+() const noexcept { return *this; }
    constexpr Extent operator-() const noexcept { return {-x, -y}; }
    constexpr Extent& operator+=(Extent const& o) noexcept {
        x += o.x;
        y += o.y;
        return *this;
    }
    constexpr Extent& operator-=(Extent const& o) noexcept {
        x -= o.x;
        y -= o.y;
        return *this;
    }
    constexpr Extent& operator*=(T s) noexcept {
        x *= s;
        y *= s;
        return *this;
    }
    constexpr Extent& operator/=(T s) noexcept {
        x /= s;
        y /= s;
        return *this;
    }
    /// In-place scaling of an integer extent by a floating scalar would truncate: refused at compile time
    /// (lsst.geom static_asserts the same). Use `Extent2D(e) * s`.
    template <std::floating_point S>
    requires std::integral<T> Extent& operator*=(S) = delete;
    template <std::floating_point S>
    requires std::integral<T> Extent& operator/=(S) = delete;
};

/// A position (lsst::geom::Point2I / Point2D). Point - Point = Extent; Point +/- Extent = Point; Point + Point does
/// not compile. Mixing Point2I with Extent2D (or Point2D with Extent2I/Point2I) promotes to double, as upstream.
template <class T>
struct Point {
    T x{};
    T y{};

    constexpr auto operator<=>(Point const&) const = default;

    /// Explicit conversion, as lsst.geom `Point2I(Point2D)`: double -> int **rounds to the nearest integer**
    /// (floor(v + 0.5)), so a position converts to the pixel it lies on; int -> double is exact.
    /// @throws InvalidParameterError for a non-finite coordinate, OverflowError when it does not fit in int.
    template <class U>
    constexpr explicit operator Point<U>() const {
        if constexpr (std::integral<U> && std::floating_point<T>) {
            return {detail::to_integer_coordinate<U>(x, true, "Point"),
                    detail::to_integer_coordinate<U>(y, true, "Point")};
        } else {
            return {static_cast<U>(x), static_cast<U>(y)};
        }
    }
    /// The displacement of this point from the origin (lsst::geom `Extent(Point)`, explicit there too).
    [[nodiscard]] constexpr Extent<T> as_extent() const noexcept { return {x, y}; }

    constexpr Point& operator+=(Extent<T> const& e) noexcept {
        x += e.x;
        y += e.y;
        return *this;
    }
    constexpr Point& operator-=(Extent<T> const& e) noexcept {
        x -= e.x;
        y -= e.y;
        return *this;
    }
};

using Point2I = Point<int>;
using Point2D = Point<double>;
using Extent2I = Extent<int>;
using Extent2D = Extent<double>;

// --- same-type algebra ---
template <class T>
constexpr Extent<T> operator-(Point<T> const& a, Point<T> const& b) noexcept {
    return {a.x - b.x, a.y - b.y};
}
template <class T>
constexpr Point<T> operator+(Point<T> p, Extent<T> const& e) noexcept {
    return p += e;
}
template <class T>
constexpr Point<T> operator+(Extent<T> const& e, Point<T> p) noexcept {
    return p += e;
}
template <class T>
constexpr Point<T> operator-(Point<T> p, Extent<T> const& e) noexcept {
    return p -= e;
}
template <class T>
constexpr Extent<T> operator+(Extent<T> a, Extent<T> const& b) noexcept {
    return a += b;
}
template <class T>
constexpr Extent<T> operator-(Extent<T> a, Extent<T> const& b) noexcept {
    return a -= b;
}
template <class T>
constexpr Extent<T> operator*(Extent<T> a, std::type_identity_t<T> s) noexcept {
    return a *= s;
}
template <class T>
constexpr Extent<T> operator*(std::type_identity_t<T> s, Extent<T> a) noexcept {
    return a *= s;
}
template <class T>
constexpr Extent<T> operator/(Extent<T> a, std::type_identity_t<T> s) noexcept {
    return a /= s;
}

// --- mixed int/double algebra (lsst.geom Point.h / Extent.h): the result is floating ---
namespace detail {
constexpr Extent2D to_double(Extent2I e) noexcept { return {double(e.x), double(e.y)}; }
constexpr Point2D to_double(Point2I p) noexcept { return {double(p.x), double(p.y)}; }
} // namespace detail

constexpr Extent2D operator*(Extent2I const& e, double s) noexcept { return detail::to_double(e) * s; }
constexpr Extent2D operator*(double s, Extent2I const& e) noexcept { return detail::to_double(e) * s; }
constexpr Extent2D operator/(Extent2I const& e, double s) noexcept { return detail::to_double(e) / s; }
constexpr Extent2D operator+(Extent2D const& a, Extent2I const& b) noexcept { return a + detail::to_double(b); }
constexpr Extent2D operator+(Extent2I const& a, Extent2D const& b) noexcept { return detail::to_double(a) + b; }
constexpr Extent2D operator-(Extent2D const& a, Extent2I const& b) noexcept { return a - detail::to_double(b); }
constexpr Extent2D operator-(Extent2I const& a, Extent2D const& b) noexcept { return detail::to_double(a) - b; }
constexpr Extent2D& operator+=(Extent2D& a, Extent2I const& b) noexcept { return a += detail::to_double(b); }
constexpr Extent2D& operator-=(Extent2D& a, Extent2I const& b) noexcept { return a -= detail::to_double(b); }
constexpr Point2D operator+(Point2D const& p, Extent2I const& e) noexcept { return p + detail::to_double(e); }
constexpr Point2D operator+(Extent2I const& e, Point2D const& p) noexcept { return p + detail::to_double(e); }
constexpr Point2D operator+(Point2I const& p, Extent2D const& e) noexcept { return detail::to_double(p) + e; }
constexpr Point2D operator-(Point2D const& p, Extent2I const& e) noexcept { return p - detail::to_double(e); }
constexpr Point2D operator-(Point2I const& p, Extent2D const& e) noexcept { return detail::to_double(p) - e; }
constexpr Point2D& operator+=(Point2D& p, Extent2I const& e) noexcept { return p += detail::to_double(e); }
constexpr Point2D& operator-=(Point2D& p, Extent2I const& e) noexcept { return p -= detail::to_double(e); }
constexpr Extent2D operator-(Point2D const& a, Point2I const& b) noexcept { return a - detail::to_double(b); }
constexpr Extent2D operator-(Point2I const& a, Point2D const& b) noexcept { return detail::to_double(a) - b; }

/// Prints `Point2I(1, 2)` / `Point2D(0.5, 1.5)` (the lsst.geom Python repr).
template <class T>
std::ostream& operator<<(std::ostream& os, Point<T> const& p) {
    return os << "Point" << detail::coord_suffix<T>() << "(" << p.x << ", " << p.y << ")";
}
/// Prints `Extent2I(3, 4)` / `Extent2D(0.5, 1.5)` (the lsst.geom Python repr).
template <class T>
std::ostream& operator<<(std::ostream& os, Extent<T> const& e) {
    return os << "Extent" << detail::coord_suffix<T>() << "(" << e.x << ", " << e.y << ")";
}

} // namespace skystack

template <class T>
struct std::hash<skystack::Point<T>> {
    std::size_t operator()(skystack::Point<T> const& p) const noexcept {
        return skystack::detail::hash_combine(std::hash<T>{}(p.x), std::hash<T>{}(p.y));
    }
};
template <class T>
struct std::hash<skystack::Extent<T>> {
    std::size_t operator()(skystack::Extent<T> const& e) const noexcept {
        return skystack::detail::hash_combine(std::hash<T>{}(e.x), std::hash<T>{}(e.y));
    }
};
