// SPDX-License-Identifier: MIT
// Combine and rejection policies for Stacker: small stateless structs with a scalar path and, optionally, a
// batch (xsimd) path that the stacker detects with a concept and chooses once per stack, never per pixel.
#pragma once

#include <skystack/config.hpp>
#include <skystack/simd/xsimd_compat.hpp>
#include <skystack/stack/detail/sorting.hpp>
#include <skystack/statistics/clip.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <string_view>
#include <utility>
#include <vector>

// GCC 12 reports its own _mm512_min_ps/_mm512_max_ps (built on _mm512_undefined_ps) as "used uninitialized"
// when inlined here under -mavx512f (GCC bug 105593); the suppression covers this header's batch code only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace skystack {

/// How a policy's output variance is formed (afw getResult errors, squared).
enum class ErrorModel {
    mean,     ///< error of a weighted mean: Σw²V/(Σw)² from inputs, or s²·Σw²/(Σw)² from the scatter
    median,   ///< afw MEDIAN: (π/2)·s²/n from the weighted sample variance of the accepted samples
    sum,      ///< Σw²V (always from the input variances)
    selected, ///< the (scaled) variance of the selected sample (Min, Max)
};

/// What the stacker may keep per pixel instead of all samples, for policies that can be accumulated frame by
/// frame (mergeable partial stacks, coadd.md §10). `none`: the policy needs all samples of a pixel at once.
enum class Accumulate { none, weighted_sum, min, max };

namespace detail {
template <class C>
concept HasAccumulate = requires {
    { C::accumulate } -> std::convertible_to<Accumulate>;
};
template <class C>
consteval Accumulate accumulate_of() {
    if constexpr (HasAccumulate<C>)
        return C::accumulate;
    else
        return Accumulate::none;
}
template <class C>
concept HasErrorModel = requires {
    { C::error } -> std::convertible_to<ErrorModel>;
};
template <class C>
consteval ErrorModel error_model_of() {
    if constexpr (HasErrorModel<C>)
        return C::error;
    else
        return ErrorModel::mean;
}
template <class C>
concept HasWeighted = requires {
    { C::weighted } -> std::convertible_to<bool>;
};
template <class C>
consteval bool weighted_of() {
    if constexpr (HasWeighted<C>)
        return C::weighted;
    else
        return true;
}
} // namespace detail

/// A combine policy's scalar path: the accepted samples `v` of one pixel (masked, non-finite and rejected ones
/// already removed; order = input order, but the policy may reorder `v` in place) and their weights `w`.
/// `v` is never empty. This is all a user-written policy needs.
template <class C, class T>
concept ScalarCombine = requires(C const c, std::span<T> v, std::span<T const> w) {
    { c.scalar(v, w) } -> std::convertible_to<T>;
};

/// A combine policy's batch path, for `lanes` pixels at once: `v[k]` holds input k's samples (+inf where the
/// sample is not accepted, and then `w[k]` is 0), `n` the number of accepted samples per lane. The policy may
/// reorder `v`. Lanes with n = 0 may return anything (the stacker writes NaN there).
template <class C, class B>
concept BatchCombine = requires(C const c, std::span<B> v, std::span<B const> w, B n) {
    { c.batch(v, w, n) } -> std::convertible_to<B>;
};

/// Parameters that rejection policies read from the StackConfig (numbers live in the config, not the policy).
struct ClipParams {
    double nsigma = 3.0; ///< clip half-width in σ (afw numSigmaClip; AssembleCoadd sigmaClip)
    int max_iter = 2;    ///< clipping iterations (afw numIter; AssembleCoadd clipIter)
};

/// A rejection policy's scalar path: accepted samples v, weights w, variances var of one pixel; it moves the
/// kept samples to the front (same permutation on all three spans) and returns how many are kept.
template <class R, class T>
concept ScalarReject = requires(R const r, std::span<T> v, std::span<T> w, std::span<T> var, ClipParams p) {
    { r.scalar(v, w, var, p) } -> std::convertible_to<std::size_t>;
};

/// A rejection policy's batch path: like BatchCombine's layout; it sets rejected samples to +inf with weight 0,
/// may use `scratch` (same size as v) and returns the new count per lane.
template <class R, class B>
concept BatchReject = requires(R const r, std::span<B> v, std::span<B> w, std::span<B const> var, B n,
                               std::span<B> scratch, ClipParams p) {
    { r.batch(v, w, var, n, scratch, p) } -> std::convertible_to<B>;
};

// --------------------------------------------------------------------------------------------------------------
// Order statistics of sorted batches (the sorting networks are in stack/detail/sorting.hpp).

namespace detail {
/// (1 − w2)·v1 + w2·v2, exactly v1 where w2 = 0 (v2 may then be anything, +inf included). Both quantile picks
/// below use it, so that they agree bit for bit.
template <class B>
SKYSTACK_FORCEINLINE B interpolate_ranks(B v1, B v2, B w2) noexcept {
    using T = typename B::value_type;
    return xsimd::select(w2 == B(T(0)), v1, (B(T(1)) - w2) * v1 + w2 * v2);
}

/// Linear-interpolated order statistic at fraction f (afw percentile) of each lane of sorted batches `s`,
/// with `n` valid samples per lane (n = 0 → NaN, n = 1 → the value).
template <class B>
B sorted_quantile(std::span<B const> s, B n, double f) noexcept {
    using T = typename B::value_type;
    B const idx = B(T(f)) * (n - B(T(1)));
    B const q1 = xsimd::floor(idx);
    B const w2 = idx - q1;
    // pick s[q1] and s[q1 + 1] per lane by scanning only the ranks some lane needs
    auto const kmin = static_cast<std::ptrdiff_t>(simd::reduce_min(xsimd::max(q1, B(T(0)))));
    auto const kmax = std::min(static_cast<std::ptrdiff_t>(simd::reduce_max(q1)) + 1, std::ptrdiff_t(s.size()) - 1);
    B v1(T(0)), v2(T(0));
    for (std::ptrdiff_t k = kmin; k <= kmax; ++k) {
        B const kk = B(T(k));
        v1 = xsimd::select(q1 == kk, s[std::size_t(k)], v1);
        v2 = xsimd::select(q1 + B(T(1)) == kk, s[std::size_t(k)], v2);
    }
    B const r = interpolate_ranks(v1, v2, w2);
    return xsimd::select(n > B(T(0)), r, B(std::numeric_limits<T>::quiet_NaN()));
}

/// One chunk of gathered samples, one column per input: input k's (scaled) value at pixel x is
/// `vals[k·stride + x]` (+inf where the sample is not accepted), its scaled variance `vars[k·stride + x]`, its
/// weight `weight[k]` and its square `weight2[k]`. Batches at x are aligned.
template <class T>
struct SampleColumns {
    T const* vals = nullptr;
    T const* vars = nullptr;
    std::size_t stride = 0;
    T const* weight = nullptr;
    T const* weight2 = nullptr;
    std::size_t size = 0; ///< number of inputs (columns)
};

/// The afw quartiles (percentiles 0.25, 0.5, 0.75, linearly interpolated) of each lane.
template <class B>
struct LaneQuartiles {
    B q1, q2, q3;
};

/// sorted_quantile for a batch whose lanes all have `n` ≥ 1 samples: the rank is the same in every lane, so the
/// two order statistics are read directly; the arithmetic is the general path's, so the result is identical.
template <class B>
SKYSTACK_FORCEINLINE B uniform_quantile(B const* s, B n, typename B::value_type nu, double f) noexcept {
    using T = typename B::value_type;
    B const idx = B(T(f)) * (n - B(T(1)));
    B const w2 = idx - xsimd::floor(idx);
    auto const q1 = static_cast<std::size_t>(std::floor(T(f) * (nu - T(1))));
    B const v1 = s[q1];
    B const v2 = q1 + 1 < static_cast<std::size_t>(nu) ? s[q1 + 1] : v1;
    return interpolate_ranks(v1, v2, w2);
}

template <class B>
SKYSTACK_FORCEINLINE LaneQuartiles<B> quartiles_of_sorted(std::span<B const> s, B n) noexcept {
    using T = typename B::value_type;
    alignas(64) T lane[B::size];
    n.store_aligned(lane);
    if (lane[0] > T(0) && xsimd::all(n == B(lane[0])))
        return {uniform_quantile<B>(s.data(), n, lane[0], 0.25), uniform_quantile<B>(s.data(), n, lane[0], 0.5),
                uniform_quantile<B>(s.data(), n, lane[0], 0.75)};
    return {sorted_quantile<B>(s, n, 0.25), sorted_quantile<B>(s, n, 0.5), sorted_quantile<B>(s, n, 0.75)};
}

template <std::size_t N, class B>
SKYSTACK_FORCEINLINE LaneQuartiles<B> column_quartiles_fixed(SampleColumns<typename B::value_type> const& c,
                                                             std::size_t x, B n) noexcept {
    using T = typename B::value_type;
    B r[N];
    for (std::size_t i = 0; i < c.size; ++i) r[i] = B::load_aligned(c.vals + i * c.stride + x);
    for (std::size_t i = c.size; i < N; ++i) r[i] = B(std::numeric_limits<T>::infinity());
    sort_fixed<N>(r);
    return quartiles_of_sorted<B>(std::span<B const>(r, c.size), n);
}

/// Quartiles of each lane of the columns' batches at x (`n` accepted samples per lane; +inf samples sort last).
/// Up to 64 inputs the samples are sorted in a local array; beyond, in `scratch` (≥ c.size batches).
template <class B>
LaneQuartiles<B> column_quartiles(SampleColumns<typename B::value_type> const& c, std::size_t x, B n,
                                  std::span<B> scratch) noexcept {
    if (c.size <= 8) return column_quartiles_fixed<8, B>(c, x, n);
    if (c.size <= 16) return column_quartiles_fixed<16, B>(c, x, n);
    if (c.size <= 32) return column_quartiles_fixed<32, B>(c, x, n);
    if (c.size <= 64) return column_quartiles_fixed<64, B>(c, x, n);
    for (std::size_t i = 0; i < c.size; ++i) scratch[i] = B::load_aligned(c.vals + i * c.stride + x);
    sort_batches(std::span<B>(scratch.data(), c.size));
    return quartiles_of_sorted<B>(std::span<B const>(scratch.data(), c.size), n);
}

/// The same for one pixel's sorted samples (n ≥ 1).
template <class T>
T sorted_quantile(std::span<T const> s, double f) noexcept {
    std::size_t const nl = s.size();
    double const idx = f * double(nl - 1);
    auto const q1 = static_cast<std::size_t>(idx);
    if (q1 + 1 >= nl) return s[q1];
    double const w2 = idx - double(q1);
    return w2 == 0.0 ? s[q1] : T((1.0 - w2) * double(s[q1]) + w2 * double(s[q1 + 1]));
}
} // namespace detail

// --------------------------------------------------------------------------------------------------------------
// Overflow-safe clip moments. A clip pass sums w·d and w·d² of the deviations d = x − centre of the samples
// inside the window |d| ≤ hw; with one sample near 1e20 (float) d² overflows, σ² becomes inf − inf = NaN and the
// next window keeps nothing. The passes therefore sum the deviations scaled by a power of two s ≈ 1/hw (so the
// kept |d·s| < 4): scaling by a power of two is exact, so every result is bit-identical to the unscaled sums
// wherever those do not overflow, and finite (or a legitimately infinite variance) where they would.

namespace detail {
/// The power of two 2^(2−e) for hw = f·2^e (f ∈ [0.5, 1)), clamped to normal numbers: 1 where hw is 0 or NaN,
/// the smallest normal for hw = +inf.
template <class T>
T clip_scale(T hw) noexcept {
    if (!(hw > T(0))) return T(1);
    constexpr int emax = std::numeric_limits<T>::max_exponent;
    int e = emax;
    if (hw < std::numeric_limits<T>::infinity()) (void)std::frexp(hw, &e);
    return std::ldexp(T(1), 2 - std::clamp(e, 3 - emax, emax));
}
/// clip_scale per lane, from the exponent bits (biased exponent E → 2^(M − E − bias), M the all-ones exponent,
/// clamped to [1, M − 1]).
template <class B>
SKYSTACK_FORCEINLINE B clip_scale_batch(B hw) noexcept {
    using T = typename B::value_type;
    using UI = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    using U = xsimd::batch<UI, typename B::arch_type>;
    constexpr int mant = std::numeric_limits<T>::digits - 1;
    constexpr UI expmask = UI(sizeof(T) == 4 ? 0xFFu : 0x7FFu) << mant;
    U const e = simd::bit_cast_batch<UI>(hw) & U(expmask);
    B const s = simd::bit_cast_batch<T>(U(expmask) - e);
    B const big(std::ldexp(T(1), std::numeric_limits<T>::max_exponent - 1)); // hw subnormal: 2^(emax − 1)
    B const r = xsimd::select(hw < B(std::numeric_limits<T>::min()), big, s);
    B const r2 = xsimd::select(hw == B(std::numeric_limits<T>::infinity()), B(std::numeric_limits<T>::min()), r);
    return xsimd::select(hw > B(T(0)), r2, B(T(1)));
}
} // namespace detail

// --------------------------------------------------------------------------------------------------------------
// Combine policies

/// Unweighted mean of the accepted samples (every input weight 1): Σx/n. Variance ΣV/n² (or from the scatter).
struct Mean {
    static constexpr std::string_view name = "mean";
    static constexpr bool weighted = false;
    static constexpr Accumulate accumulate = Accumulate::weighted_sum;
    template <class T>
    T scalar(std::span<T> v, std::span<T const> w) const noexcept {
        T s{}, ws{};
        for (std::size_t i = 0; i < v.size(); ++i) {
            s += w[i] * v[i];
            ws += w[i];
        }
        return s / ws;
    }
    template <class B>
    B batch(std::span<B> v, std::span<B const> w, B) const noexcept {
        B s(0), ws(0);
        for (std::size_t i = 0; i < v.size(); ++i) {
            s += xsimd::select(w[i] > B(0), w[i] * v[i], B(0));
            ws += w[i];
        }
        return s / ws;
    }
};

/// Weighted mean Σw·x/Σw (afw MEAN with weights, AssembleCoadd "MEAN"); weights per input from the config
/// (default 1/mean variance of each input).
struct WeightedMean : Mean {
    static constexpr std::string_view name = "weighted_mean";
    static constexpr bool weighted = true;
};

/// Sum of the (scaled) accepted samples, unweighted: Σx; variance ΣV. A pixel with no accepted input is NaN.
struct Sum {
    static constexpr std::string_view name = "sum";
    static constexpr bool weighted = false;
    static constexpr Accumulate accumulate = Accumulate::weighted_sum;
    static constexpr ErrorModel error = ErrorModel::sum;
    template <class T>
    T scalar(std::span<T> v, std::span<T const> w) const noexcept {
        T s{};
        for (std::size_t i = 0; i < v.size(); ++i) s += w[i] * v[i];
        return s;
    }
};

/// Minimum of the accepted samples; variance is the selected sample's.
struct Min {
    static constexpr std::string_view name = "min";
    static constexpr bool weighted = false;
    static constexpr Accumulate accumulate = Accumulate::min;
    static constexpr ErrorModel error = ErrorModel::selected;
    template <class T>
    T scalar(std::span<T> v, std::span<T const>) const noexcept {
        return *std::min_element(v.begin(), v.end());
    }
};

/// Maximum of the accepted samples; variance is the selected sample's.
struct Max {
    static constexpr std::string_view name = "max";
    static constexpr bool weighted = false;
    static constexpr Accumulate accumulate = Accumulate::max;
    static constexpr ErrorModel error = ErrorModel::selected;
    template <class T>
    T scalar(std::span<T> v, std::span<T const>) const noexcept {
        return *std::max_element(v.begin(), v.end());
    }
};

/// Unweighted median of the accepted samples (afw MEDIAN: linear interpolation between the two middle order
/// statistics); variance (π/2)·s²/n from the weighted sample scatter (NaN for n = 1). The batch path sorts each
/// pixel's samples with a sorting network, masked samples (+inf) last, and picks the middle per lane.
struct Median {
    static constexpr std::string_view name = "median";
    static constexpr bool weighted = true; // weights enter only the scatter-based error, as in afw
    static constexpr ErrorModel error = ErrorModel::median;
    template <class T>
    T scalar(std::span<T> v, std::span<T const>) const noexcept {
        std::sort(v.begin(), v.end());
        return detail::sorted_quantile<T>(v, 0.5);
    }
    template <class B>
    B batch(std::span<B> v, std::span<B const>, B n) const noexcept {
        detail::sort_batches(v);
        return detail::sorted_quantile<B>(v, n, 0.5);
    }
};

// --------------------------------------------------------------------------------------------------------------
// Rejection policies

/// No rejection (the default).
struct NoReject {
    static constexpr std::string_view name = "";
};

/// afw MEANCLIP's per-pixel clip: iteration 0 keeps |x − median| ≤ nsigma·0.741301109252802·IQR (unweighted
/// quartiles), iterations k ≥ 1 keep |x − x̄| ≤ nsigma·σ about the previous iteration's weighted mean and
/// debiased weighted standard deviation; every iteration re-clips all accepted samples, as afw does. `max_iter`
/// iterations in total. skystack: a NaN σ (one survivor) is taken as 0, so the survivor equal to the mean stays instead
/// of the pixel becoming NaN.
struct SigmaClip {
    static constexpr std::string_view name = "clip";
    static constexpr double iqr_to_sigma = iq_to_stdev; // one constant with statistics (afw IQ_TO_STDEV)

    template <class T>
    std::size_t scalar(std::span<T> v, std::span<T> w, std::span<T> var, ClipParams p) const {
        std::size_t const n = v.size();
        if (n == 0) return 0;
        thread_local std::vector<T> s;
        s.assign(v.begin(), v.end());
        std::sort(s.begin(), s.end());
        std::span<T const> ss(s);
        double center = detail::sorted_quantile<T>(ss, 0.5);
        double hw = p.nsigma * iqr_to_sigma *
                    (double(detail::sorted_quantile<T>(ss, 0.75)) - double(detail::sorted_quantile<T>(ss, 0.25)));
        thread_local std::vector<unsigned char> keep;
        keep.assign(n, 0);
        for (int it = 0; it < p.max_iter; ++it) {
            double sw = 0, sw2 = 0, sd = 0, sdd = 0;
            double const sc = detail::clip_scale(hw), inv = 1.0 / sc; // moments of d·sc (see clip_scale)
            for (std::size_t i = 0; i < n; ++i) {
                double const d0 = double(v[i]) - center;
                keep[i] = std::abs(d0) <= hw;
                if (!keep[i]) continue;
                double const d = d0 * sc;
                double const wi = w[i];
                sw += wi;
                sw2 += wi * wi;
                sd += wi * d;
                sdd += wi * d * d;
            }
            double const m = sd / sw;
            double varc = (sdd / sw - m * m) * (sw * sw / (sw * sw - sw2));
            if (!(varc >= 0)) varc = 0; // negative (rounding) or NaN (one survivor)
            center += m * inv;
            hw = p.nsigma * std::sqrt(varc) * inv;
        }
        std::size_t k = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (keep[i]) {
                std::swap(v[k], v[i]);
                std::swap(w[k], w[i]);
                std::swap(var[k], var[i]);
                std::swap(keep[k], keep[i]);
                ++k;
            }
        return k;
    }

    /// The clipped weighted mean in one go (what `Stacker<ClippedMean>` runs): the last clipping pass also forms
    /// the mean, Σw²V and the scatter of the survivors, so no sample is visited again. It reads the gathered
    /// columns in place (`c`, batch at pixel offset `x`), and a sample's weight is its input's: a sample that is
    /// not accepted is +inf and fails every clip window, so its weight is never looked at.
    template <class B>
    struct MeanResult {
        B mean, var_inputs, var_scatter, kept;
    };
    template <class B>
    MeanResult<B> batch_mean(detail::SampleColumns<typename B::value_type> const& c, std::size_t x, B n,
                             std::span<B> scratch, ClipParams p) const noexcept {
        using T = typename B::value_type;
        std::size_t const N = c.size;
        auto const q = detail::column_quartiles<B>(c, x, n, scratch);
        B center = q.q2;
        B hw = B(T(p.nsigma * iqr_to_sigma)) * (q.q3 - q.q1);
        MeanResult<B> r{};
        struct Acc {
            B sw = B(T(0)), sw2 = sw, sd = sw, sdd = sw, sw2v = sw, kept = sw;
        };
        // one clipping pass about `center` ± `hw` over all samples; the last pass also forms Σw²V and the count.
        // Two accumulator sets (even and odd inputs) halve the dependency chains; the order is fixed, so the
        // result is still the same for any tiling or thread count.
        auto pass = [&]<bool Last>(std::bool_constant<Last>) {
            Acc a[2];
            B const sc = detail::clip_scale_batch(hw), inv = B(T(1)) / sc; // moments of d·sc (see clip_scale)
            auto add = [&](Acc& acc, std::size_t i) {
                B const d = B::load_aligned(c.vals + i * c.stride + x) - center;
                auto const k = xsimd::abs(d) <= hw; // +inf samples fail, a NaN window fails all
                B const u = d * sc;
                B const wi(c.weight[i]), wi2(c.weight2[i]);
                B const wd = wi * u; // NaN/inf for +inf samples, never selected
                acc.sw = xsimd::select(k, acc.sw + wi, acc.sw);
                acc.sw2 = xsimd::select(k, acc.sw2 + wi2, acc.sw2);
                acc.sd = xsimd::select(k, acc.sd + wd, acc.sd);
                acc.sdd = xsimd::select(k, xsimd::fma(wd, u, acc.sdd), acc.sdd);
                if constexpr (Last) {
                    B const var = B::load_aligned(c.vars + i * c.stride + x);
                    acc.sw2v = xsimd::select(k, xsimd::fma(wi2, var, acc.sw2v), acc.sw2v);
                    acc.kept = xsimd::select(k, acc.kept + B(1), acc.kept);
                }
            };
            std::size_t i = 0;
            for (; i + 1 < N; i += 2) {
                add(a[0], i);
                add(a[1], i + 1);
            }
            if (i < N) add(a[0], i);
            B const sw = a[0].sw + a[1].sw, sw2 = a[0].sw2 + a[1].sw2;
            B const m = (a[0].sd + a[1].sd) / sw;
            B const varc = ((a[0].sdd + a[1].sdd) / sw - m * m) * (sw * sw / (sw * sw - sw2));
            center += m * inv;
            hw = B(T(p.nsigma)) * xsimd::sqrt(xsimd::select(varc >= B(0), varc, B(0))) * inv;
            if constexpr (Last)
                r = {center, (a[0].sw2v + a[1].sw2v) / (sw * sw), varc * sw2 / (sw * sw) * inv * inv,
                     a[0].kept + a[1].kept};
        };
        for (int it = 0; it + 1 < p.max_iter; ++it) pass(std::false_type{});
        pass(std::true_type{});
        return r;
    }

    template <class B>
    B batch(std::span<B> v, std::span<B> w, std::span<B const>, B n, std::span<B> s, ClipParams p) const noexcept {
        using T = typename B::value_type;
        std::size_t const N = v.size();
        std::copy(v.begin(), v.end(), s.begin());
        detail::sort_batches(s);
        std::span<B const> ss(s.data(), N);
        B center = detail::sorted_quantile<B>(ss, n, 0.5);
        B hw = B(T(p.nsigma * iqr_to_sigma)) *
               (detail::sorted_quantile<B>(ss, n, 0.75) - detail::sorted_quantile<B>(ss, n, 0.25));
        B const inf(std::numeric_limits<T>::infinity());
        // keep flags live in s (1/0), so that the original values in v survive every iteration
        for (int it = 0; it < p.max_iter; ++it) {
            B sw(0), sw2(0), sd(0), sdd(0);
            B const sc = detail::clip_scale_batch(hw), inv = B(T(1)) / sc; // moments of d·sc (see clip_scale)
            for (std::size_t i = 0; i < N; ++i) {
                B const d = v[i] - center;
                auto const k = xsimd::abs(d) <= hw; // +inf samples fail (inf <= finite), NaN hw fails all
                B const wi = xsimd::select(k, w[i], B(0));
                B const dk = xsimd::select(k, d * sc, B(0));
                s[i] = xsimd::select(k, B(1), B(0));
                sw += wi;
                sw2 += wi * wi;
                sd += wi * dk;
                sdd += wi * dk * dk;
            }
            B const m = sd / sw;
            B varc = (sdd / sw - m * m) * (sw * sw / (sw * sw - sw2));
            varc = xsimd::select(varc >= B(0), varc, B(0)); // NaN or negative -> 0
            center += m * inv;
            hw = B(T(p.nsigma)) * xsimd::sqrt(varc) * inv;
        }
        B kept(0);
        for (std::size_t i = 0; i < N; ++i) {
            auto const k = s[i] > B(0);
            v[i] = xsimd::select(k, v[i], inf);
            w[i] = xsimd::select(k, w[i], B(0));
            kept += s[i];
        }
        (void)n;
        return kept;
    }
};

static_assert(std::is_empty_v<Mean> && std::is_empty_v<Median> && std::is_empty_v<SigmaClip>);

} // namespace skystack

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
