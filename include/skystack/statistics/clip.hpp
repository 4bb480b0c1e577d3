// SPDX-License-Identifier: MIT
// afw's MEANCLIP iteration (src/math/Statistics.cc doStatistics): iteration 0 keeps |x - median| <= N * 0.7413 * IQR,
// iteration k >= 1 keeps |x - mean_{k-1}| <= N * stdev_{k-1}, where mean/stdev are the previous iteration's
// (weighted) clipped mean and standard deviation; max_iter passes in all.
#pragma once

#include <skystack/statistics/accumulators.hpp>
#include <skystack/statistics/config.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace skystack {

/// One sigma of a Gaussian in units of its interquartile range (afw IQ_TO_STDEV).
inline constexpr double iq_to_stdev = 0.741301109252802;

namespace detail {

/// The inclusive range of doubles y with fabs(y - center) <= halfwidth, evaluated exactly as afw's CheckClipRange
/// does in double arithmetic (so a pixel on the boundary is kept or dropped exactly as afw would). lo > hi when
/// nothing qualifies (negative or NaN halfwidth, NaN centre).
struct ClipWindow {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    [[nodiscard]] bool empty() const noexcept { return !(lo <= hi); }
};

inline ClipWindow clip_window(double center, double halfwidth) noexcept {
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (std::isnan(center) || std::isnan(halfwidth) || halfwidth < 0) return {};
    if (std::isinf(halfwidth)) return {-inf, inf};
    if (std::isinf(center)) return {center, center};
    auto ok = [&](double y) { return std::fabs(y - center) <= halfwidth; };
    ClipWindow w;
    // fl(y - c) is monotone in y, so the qualifying doubles form an interval; walk from c -+ h to its ends
    double lo = center - halfwidth, hi = center + halfwidth;
    for (int k = 0; k < 64 && !ok(lo); ++k) lo = std::nextafter(lo, inf);
    for (int k = 0; k < 64 && ok(std::nextafter(lo, -inf)); ++k) lo = std::nextafter(lo, -inf);
    for (int k = 0; k < 64 && !ok(hi); ++k) hi = std::nextafter(hi, -inf);
    for (int k = 0; k < 64 && ok(std::nextafter(hi, inf)); ++k) hi = std::nextafter(hi, inf);
    w.lo = lo;
    w.hi = hi;
    return w;
}

/// The same window in pixel type T: lo <= T(x) <= hi exactly when fabs(double(x) - c) <= h.
template <class T>
std::pair<T, T> pixel_window(ClipWindow w) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
        if (w.empty()) return {std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()};
        T lo = static_cast<T>(w.lo), hi = static_cast<T>(w.hi);
        if (static_cast<double>(lo) < w.lo) lo = std::nextafter(lo, std::numeric_limits<T>::infinity());
        if (static_cast<double>(hi) > w.hi) hi = std::nextafter(hi, -std::numeric_limits<T>::infinity());
        return {lo, hi};
    } else {
        constexpr double tmin = static_cast<double>(std::numeric_limits<T>::lowest());
        constexpr double tmax = static_cast<double>(std::numeric_limits<T>::max());
        double const lo = std::ceil(w.lo), hi = std::floor(w.hi);
        if (w.empty() || lo > tmax || hi < tmin || lo > hi)
            return {std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()};
        return {static_cast<T>(std::max(lo, tmin)), static_cast<T>(std::min(hi, tmax))};
    }
}

/// The outcome of afw's clip loop.
struct ClipResult {
    PassResult last;    ///< estimators over the pixels kept by the last iteration
    int iterations = 0; ///< passes run
};

/// Run afw's clip loop. `pass(ClipWindow)` computes the estimators over accepted pixels inside the window.
/// `n_accepted` is the standard pass's count (afw uses the first-sigma-from-IQR rule while it is <= 1).
template <class Pass>
ClipResult iterate_clip(double median, double iqrange, double n_accepted, StatisticsConfig const& cfg, Pass&& pass) {
    ClipResult r;
    for (int i = 0; i < cfg.max_iter; ++i) {
        double const center = i > 0 ? r.last.mean : median;
        double const hwidth = (i > 0 && n_accepted > 1) ? cfg.nsigma * std::sqrt(std::max(r.last.variance, 0.0))
                                                        : cfg.nsigma * iq_to_stdev * iqrange;
        ClipWindow const w = clip_window(center, hwidth);
        if (std::isnan(center) || std::isnan(hwidth)) {
            r.last = PassResult{}; // afw: a NaN centre or width gives NaN results and no survivors
        } else {
            r.last = pass(w);
        }
        ++r.iterations;
    }
    return r;
}

} // namespace detail
} // namespace skystack
