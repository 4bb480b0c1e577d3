// SPDX-License-Identifier: MIT
// Quantiles by selection (std::nth_element), with afw's interpolation: for a fraction f of n values the index is
// f*(n-1) and the result interpolates linearly between the two neighbouring order statistics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <type_traits>

namespace skystack {

/// Median and quartiles of one sample, with afw's interpolation (afw medianAndQuartiles).
struct Quartiles {
    double q25 = std::numeric_limits<double>::quiet_NaN();
    double median = std::numeric_limits<double>::quiet_NaN();
    double q75 = std::numeric_limits<double>::quiet_NaN();
    [[nodiscard]] constexpr double iqrange() const noexcept { return q75 - q25; }
};

namespace detail {

/// Strict weak order that puts NaN after every number, so selection stays well defined on unfiltered data.
struct NanLastLess {
    template <class T>
    constexpr bool operator()(T a, T b) const noexcept {
        if constexpr (std::is_floating_point_v<T>)
            return a < b || (b != b && a == a);
        else
            return a < b;
    }
};

/// The interpolation position of fraction f among n values: lower rank and the weight of the upper one.
struct QuantileIndex {
    std::size_t lo = 0;
    double frac = 0.0; // weight of rank lo + 1
};
constexpr QuantileIndex quantile_index(double f, std::size_t n) noexcept {
    double const idx = f * double(n - 1);
    auto const lo = static_cast<std::size_t>(idx);
    return {lo, idx - double(lo)};
}

/// Reorder v so that v[k] holds its k-th order statistic for every k in the ascending list `ranks`, each range
/// partitioned around it (a multi-select: each nth_element works on the part between already placed ranks).
template <class T, class Less>
void select_ranks(std::span<T> v, std::span<std::size_t const> ranks, Less less) {
    if (ranks.empty() || v.empty()) return;
    std::size_t const mid = ranks.size() / 2;
    std::size_t const k = ranks[mid];
    if (k >= v.size()) {
        select_ranks(v, ranks.first(mid), less);
        return;
    }
    if (k == 0)
        std::iter_swap(v.begin(), std::min_element(v.begin(), v.end(), less));
    else if (k + 1 == v.size())
        std::iter_swap(v.end() - 1, std::max_element(v.begin(), v.end(), less));
    else
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end(), less);
    select_ranks(v.first(k), ranks.first(mid), less);
    auto right = ranks.subspan(mid + 1);
    if (!right.empty()) {
        // shift the remaining ranks into the right part's frame
        std::size_t shifted[8];
        std::size_t m = 0;
        for (std::size_t r : right) shifted[m++] = r - (k + 1);
        select_ranks(v.subspan(k + 1), std::span<std::size_t const>(shifted, m), less);
    }
}

template <class T>
double interpolate(std::span<T const> v, QuantileIndex q) {
    double const a = static_cast<double>(v[q.lo]);
    if (q.frac == 0.0 || q.lo + 1 >= v.size()) return a;
    return (1.0 - q.frac) * a + q.frac * static_cast<double>(v[q.lo + 1]);
}

} // namespace detail

/// The quantile at fraction f in [0, 1] of v, as afw's percentile(): index f*(n-1), linear interpolation between
/// the neighbouring order statistics; one value gives itself, none gives NaN. Reorders v (selection, no sort).
/// NaN values sort after all numbers.
template <class T>
double quantile(std::span<T> v, double f) {
    static_assert(!std::is_const_v<T>, "quantile reorders its input");
    std::size_t const n = v.size();
    if (n == 0) return std::numeric_limits<double>::quiet_NaN();
    if (n == 1) return static_cast<double>(v[0]);
    auto const q = detail::quantile_index(std::clamp(f, 0.0, 1.0), n);
    std::size_t const ranks[2] = {q.lo, q.lo + 1};
    detail::select_ranks(v, std::span<std::size_t const>(ranks, q.frac == 0.0 ? 1 : 2), detail::NanLastLess{});
    return detail::interpolate(std::span<T const>(v), q);
}

/// The median of v (quantile 0.5). Reorders v.
template <class T>
double median(std::span<T> v) {
    return quantile(v, 0.5);
}

/// Median and quartiles of v (afw medianAndQuartiles: fractions 0.25, 0.5, 0.75, same interpolation). Reorders v.
template <class T>
Quartiles quartiles(std::span<T> v) {
    static_assert(!std::is_const_v<T>, "quartiles reorders its input");
    std::size_t const n = v.size();
    if (n == 0) return {};
    if (n == 1) return {double(v[0]), double(v[0]), double(v[0])};
    auto const a = detail::quantile_index(0.25, n), b = detail::quantile_index(0.5, n),
               c = detail::quantile_index(0.75, n);
    std::size_t ranks[6] = {a.lo, a.lo + 1, b.lo, b.lo + 1, c.lo, c.lo + 1};
    std::sort(ranks, ranks + 6);
    std::size_t const m = static_cast<std::size_t>(std::unique(ranks, ranks + 6) - ranks);
    detail::select_ranks(v, std::span<std::size_t const>(ranks, m), detail::NanLastLess{});
    std::span<T const> cv(v);
    return {detail::interpolate(cv, a), detail::interpolate(cv, b), detail::interpolate(cv, c)};
}

} // namespace skystack
