// SPDX-License-Identifier: MIT
// Row kernels shared by statistics() and the stacker: masked, NaN-aware, optionally weighted and clipped sums
// (count, sum w, sum w^2, sum w*d, sum w*d^2, sum w^2*V), min/max and OR of masks over one contiguous row, with
// d = x - shift. SIMD (xsimd, the user's default_arch) for float rows (with or without a 32-bit mask row) and
// unmasked double rows; a scalar loop with the same semantics otherwise and for row tails.
#pragma once

#include <skystack/config.hpp>
#include <skystack/pixel_traits.hpp>
#include <skystack/simd/xsimd_compat.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace skystack::simd {

/// How a pixel's weight is found.
enum class Weighting : std::uint8_t {
    none,             ///< every accepted pixel has weight 1
    multiply,         ///< weight = w[i] (afw explicit weights, "multiplicative")
    inverse_variance, ///< weight = 1 / var[i]; pixels with var <= 0 (or NaN) are not accepted
};

/// Compile-time options of accumulate_moments (a structural type, used as a template argument).
struct MomentsOptions {
    bool nan_safe = true; ///< reject non-finite x
    bool masked = false;  ///< reject (m[i] & bad) != 0; m must be given
    bool clip = false;    ///< reject x outside [lo, hi]
    bool minmax = false;  ///< track min and max of accepted x
    bool ormask = false;  ///< OR the masks of accepted pixels
    Weighting weighting = Weighting::none;
    bool variance_error = false; ///< accumulate sum w^2 * var (sum var when unweighted)
};

/// Run-time parameters of accumulate_moments.
template <class T>
struct MomentsParams {
    T shift{};    ///< d = x - shift: a value near the mean, for precision
    T lo{}, hi{}; ///< clip window (inclusive), used when MomentsOptions::clip
    MaskPixel bad = 0;
};

/// Sums over accepted pixels, in double. For Weighting::none, sumw = sumw2 = 0 (use n).
struct Moments {
    double n = 0, sumw = 0, sumw2 = 0, sumx = 0, sumx2 = 0, sumvw2 = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    MaskPixel ormask = 0;
};

namespace detail {

/// Horizontal sum / min / max through memory: used only at flushes, and it avoids xsimd 8.1's AVX-512 double
/// hadd, which trips GCC 12's -Wmaybe-uninitialized when inlined.
template <class T, class A>
T lanes_sum(xsimd::batch<T, A> const& b) noexcept {
    alignas(64) T t[xsimd::batch<T, A>::size];
    b.store_aligned(t);
    T s = T(0);
    for (T v : t) s += v;
    return s;
}
template <class T, class A>
T lanes_min(xsimd::batch<T, A> const& b) noexcept {
    alignas(64) T t[xsimd::batch<T, A>::size];
    b.store_aligned(t);
    T m = t[0];
    for (T v : t) m = v < m ? v : m;
    return m;
}
template <class T, class A>
T lanes_max(xsimd::batch<T, A> const& b) noexcept {
    alignas(64) T t[xsimd::batch<T, A>::size];
    b.store_aligned(t);
    T m = t[0];
    for (T v : t) m = v > m ? v : m;
    return m;
}

template <class T>
inline constexpr bool is_simd_float = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Whether the batch path applies: mask lanes must match value lanes, weights/variance must be T.
template <MomentsOptions O, class T, class W>
constexpr bool moments_simd_ok() {
    if constexpr (!is_simd_float<T>)
        return false;
    else {
        if (O.masked && sizeof(T) != sizeof(MaskPixel)) return false;
        if (O.ormask && !O.masked) return false;
        if (O.weighting == Weighting::multiply && !std::is_same_v<W, T>) return false;
        if ((O.weighting == Weighting::inverse_variance || O.variance_error) && !std::is_same_v<VariancePixel, T>)
            return false;
        return true;
    }
}

/// One pixel, scalar, in double: the reference semantics of the batch path.
template <MomentsOptions O, class T, class W>
SKYSTACK_FORCEINLINE void moments_scalar_one(T xv, MaskPixel mv, VariancePixel vv, W wv, MomentsParams<T> const& p,
                                             Moments& acc) noexcept {
    if constexpr (O.nan_safe && std::is_floating_point_v<T>)
        if (!std::isfinite(xv)) return;
    if constexpr (O.masked)
        if ((mv & p.bad) != 0) return;
    if constexpr (O.clip)
        if (!(xv >= p.lo && xv <= p.hi)) return;
    double w = 1.0;
    if constexpr (O.weighting == Weighting::multiply)
        w = static_cast<double>(wv);
    else if constexpr (O.weighting == Weighting::inverse_variance) {
        if (!(vv > 0)) return;
        w = 1.0 / static_cast<double>(vv);
    }
    double const d = static_cast<double>(xv) - static_cast<double>(p.shift);
    acc.n += 1;
    if constexpr (O.weighting != Weighting::none) {
        acc.sumw += w;
        acc.sumw2 += w * w;
        acc.sumx += w * d;
        acc.sumx2 += w * d * d;
        if constexpr (O.variance_error) acc.sumvw2 += static_cast<double>(vv) * w * w;
    } else {
        acc.sumx += d;
        acc.sumx2 += d * d;
        if constexpr (O.variance_error) acc.sumvw2 += static_cast<double>(vv);
    }
    if constexpr (O.minmax) {
        double const xd = static_cast<double>(xv);
        if (xd < acc.min) acc.min = xd;
        if (xd > acc.max) acc.max = xd;
    }
    if constexpr (O.ormask) acc.ormask |= mv;
}

template <MomentsOptions O, class T, class W>
void moments_scalar(T const* x, MaskPixel const* m, VariancePixel const* var, W const* w, std::size_t begin,
                    std::size_t end, MomentsParams<T> const& p, Moments& acc) noexcept {
    for (std::size_t i = begin; i < end; ++i) {
        MaskPixel const mv = O.masked ? m[i] : MaskPixel(0);
        VariancePixel const vv =
            (O.weighting == Weighting::inverse_variance || O.variance_error) ? var[i] : VariancePixel(0);
        W const wv = O.weighting == Weighting::multiply ? w[i] : W(1);
        moments_scalar_one<O>(x[i], mv, vv, wv, p, acc);
    }
}

/// Per-lane double sums, filled from float (or double) lanes at every flush, reduced once per call.
template <class T, class A>
struct LaneSums {
    static constexpr std::size_t L = xsimd::batch<T, A>::size;
    alignas(64) double n[L] = {}, sw[L] = {}, sw2[L] = {}, s1[L] = {}, s2[L] = {}, sv[L] = {};
    std::size_t nclean = 0;

    static void add(double* dst, xsimd::batch<T, A> const& b) noexcept {
        alignas(64) T t[L];
        b.store_aligned(t);
        for (std::size_t k = 0; k < L; ++k) dst[k] += static_cast<double>(t[k]);
    }
    static double total(double const* v) noexcept {
        double s = 0;
        for (std::size_t k = 0; k < L; ++k) s += v[k];
        return s;
    }
    void into(Moments& acc, bool weighted, bool variance_error) const noexcept {
        acc.n += total(n) + static_cast<double>(nclean);
        acc.sumx += total(s1);
        acc.sumx2 += total(s2);
        if (weighted) {
            acc.sumw += total(sw);
            acc.sumw2 += total(sw2);
        }
        if (variance_error) acc.sumvw2 += total(sv);
    }
};

/// Per-lane partial sums in T, flushed to double every few hundred pixels so float lanes stay precise.
template <MomentsOptions O, class T, class A>
struct MomentLanes {
    using B = xsimd::batch<T, A>;
    using U = xsimd::batch<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>, A>;
    // (parentheses, not braces: a braced batch{v} is xsimd's per-lane list constructor)
    B n = B(T(0)), sw = B(T(0)), sw2 = B(T(0)), s1 = B(T(0)), s2 = B(T(0)), sv = B(T(0));
    B mn = B(std::numeric_limits<T>::infinity()), mx = B(-std::numeric_limits<T>::infinity());
    U orm = U(0);

    std::size_t nclean = 0; // pixels of batches where every lane was accepted

    /// A batch where every lane is accepted: no per-lane masking at all (the common case).
    SKYSTACK_FORCEINLINE void add_all(B const x, U const mb, B const v, B const wt, B const shift) noexcept {
        B const d = x - shift;
        nclean += B::size;
        if constexpr (O.weighting != Weighting::none) {
            B w;
            if constexpr (O.weighting == Weighting::multiply)
                w = wt;
            else
                w = B(T(1)) / v;
            B const wd = w * d;
            sw += w;
            sw2 = xsimd::fma(w, w, sw2);
            s1 += wd;
            s2 = xsimd::fma(wd, d, s2);
            if constexpr (O.variance_error) sv = xsimd::fma(v, w * w, sv);
        } else {
            s1 += d;
            s2 = xsimd::fma(d, d, s2);
            if constexpr (O.variance_error) sv += v;
        }
        if constexpr (O.minmax) {
            mn = xsimd::select(x < mn, x, mn); // a NaN x never replaces (afw: val < min)
            mx = xsimd::select(x > mx, x, mx);
        }
        if constexpr (O.ormask) orm = orm | mb;
    }

    SKYSTACK_FORCEINLINE void add(B const x, U const mb, B const v, B const wt, B const shift, B const lo, B const hi,
                                  U const bad) noexcept {
        using UI = typename U::value_type;
        B const fones = bit_cast_batch<T>(U(~UI(0)));
        B const fzero(T(0));
        // decide once per batch whether any lane is rejected; rejected lanes are rare outside clip passes
        bool clean = true;
        if constexpr (O.nan_safe) clean = xsimd::all(xsimd::isfinite(x));
        if constexpr (O.masked) clean = clean && !xsimd::any((mb & bad) != U(0));
        if constexpr (O.clip) clean = clean && xsimd::all((x >= lo) && (x <= hi));
        if constexpr (O.weighting == Weighting::inverse_variance) clean = clean && xsimd::all(v > fzero);
        if (clean) {
            add_all(x, mb, v, wt, shift);
            return;
        }
        U keep_u(~UI(0));
        if constexpr (O.nan_safe) keep_u = keep_u & bit_cast_batch<UI>(xsimd::select(xsimd::isfinite(x), fones, fzero));
        if constexpr (O.masked) keep_u = keep_u & xsimd::select((mb & bad) == U(0), U(~UI(0)), U(0));
        if constexpr (O.clip) keep_u = keep_u & bit_cast_batch<UI>(xsimd::select((x >= lo) && (x <= hi), fones, fzero));
        if constexpr (O.weighting == Weighting::inverse_variance)
            keep_u = keep_u & bit_cast_batch<UI>(xsimd::select(v > fzero, fones, fzero));
        B const keep = bit_cast_batch<T>(keep_u);
        B const d = (x - shift) & keep;
        n += B(T(1)) & keep;
        if constexpr (O.weighting != Weighting::none) {
            B w;
            if constexpr (O.weighting == Weighting::multiply)
                w = wt & keep;
            else
                w = (B(T(1)) / v) & keep;
            B const wd = w * d;
            sw += w;
            sw2 = xsimd::fma(w, w, sw2);
            s1 += wd;
            s2 = xsimd::fma(wd, d, s2);
            if constexpr (O.variance_error) sv = xsimd::fma(v & keep, w * w, sv);
        } else {
            s1 += d;
            s2 = xsimd::fma(d, d, s2);
            if constexpr (O.variance_error) sv += v & keep;
        }
        if constexpr (O.minmax) {
            auto const rejected = keep == keep; // all-ones (NaN) lanes compare false: true = rejected
            B const xmin = xsimd::select(rejected, B(std::numeric_limits<T>::infinity()), x);
            B const xmax = xsimd::select(rejected, B(-std::numeric_limits<T>::infinity()), x);
            mn = xsimd::select(xmin < mn, xmin, mn); // a NaN x never replaces (afw: val < min)
            mx = xsimd::select(xmax > mx, xmax, mx);
        }
        if constexpr (O.ormask) orm = orm | (mb & keep_u);
    }

    /// Move the float partial sums into per-lane double sums (independent adds the compiler vectorises; a
    /// horizontal sum per flush would be a chain of dependent adds) and restart them.
    void flush(LaneSums<T, A>& d) noexcept {
        d.add(d.n, n);
        d.add(d.s1, s1);
        d.add(d.s2, s2);
        if constexpr (O.weighting != Weighting::none) {
            d.add(d.sw, sw);
            d.add(d.sw2, sw2);
        }
        if constexpr (O.variance_error) d.add(d.sv, sv);
        d.nclean += nclean;
        nclean = 0;
        n = s1 = s2 = sw = sw2 = sv = B(T(0));
    }

    /// Min, max and OR of masks (kept in the lanes across flushes) into acc.
    void finish(Moments& acc) const noexcept {
        if constexpr (O.minmax) {
            acc.min = std::min(acc.min, double(lanes_min(mn)));
            acc.max = std::max(acc.max, double(lanes_max(mx)));
        }
        if constexpr (O.ormask) {
            alignas(64) typename U::value_type t[U::size];
            orm.store_aligned(t);
            for (auto v : t) acc.ormask |= MaskPixel(v);
        }
    }
};

} // namespace detail

/// Accumulate the moments of x[0, n) into acc (see the file comment). m, var, w may be null when the options do
/// not read them. Semantics per pixel: accepted if finite (nan_safe), (m & bad) == 0 (masked), lo <= x <= hi
/// (clip) and var > 0 (inverse_variance); then n += 1, sums += w*d, w*d^2, ... with d = x - shift.
template <MomentsOptions O, class T, class W = T, class A = default_arch>
void accumulate_moments(T const* x, MaskPixel const* m, VariancePixel const* var, W const* w, std::size_t n,
                        MomentsParams<T> const& p, Moments& acc) noexcept {
    std::size_t i = 0;
    if constexpr (detail::moments_simd_ok<O, T, W>()) {
        using B = xsimd::batch<T, A>;
        using Lanes = detail::MomentLanes<O, T, A>;
        using U = typename Lanes::U;
        constexpr std::size_t L = B::size;
        constexpr std::size_t chunk = 2 * L * 32; // pixels per flush: 32 per lane and accumulator, for precision
        B const shift(p.shift), lo(p.lo), hi(p.hi);
        U const bad(static_cast<typename U::value_type>(p.bad));
        Lanes a, b;
        detail::LaneSums<T, A> sums;
        auto load_m = [&](std::size_t k) {
            if constexpr (O.masked)
                return U::load_unaligned(reinterpret_cast<typename U::value_type const*>(m + k));
            else
                return U(0);
        };
        auto load_v = [&](std::size_t k) {
            if constexpr (O.weighting == Weighting::inverse_variance || O.variance_error)
                return B::load_unaligned(reinterpret_cast<T const*>(var + k));
            else
                return B(T(0));
        };
        auto load_w = [&](std::size_t k) {
            if constexpr (O.weighting == Weighting::multiply)
                return B::load_unaligned(reinterpret_cast<T const*>(w + k));
            else
                return B(T(0));
        };
        auto careful = [&](std::size_t begin, std::size_t end) {
            for (std::size_t k = begin; k < end; k += 2 * L) {
                a.add(B::load_unaligned(x + k), load_m(k), load_v(k), load_w(k), shift, lo, hi, bad);
                b.add(B::load_unaligned(x + k + L), load_m(k + L), load_v(k + L), load_w(k + L), shift, lo, hi, bad);
            }
            a.flush(sums);
            b.flush(sums);
        };
        // A plain NaN-safe sum needs no per-pixel test: sum a chunk optimistically; any NaN or inf makes the
        // chunk's sum of squares non-finite, and only then is the chunk summed again pixel by pixel.
        constexpr bool optimistic =
            O.nan_safe && !O.masked && !O.clip && O.weighting == Weighting::none && !O.variance_error && !O.ormask;
        while (i + 2 * L <= n) {
            std::size_t const stop = std::min(n - (n - i) % (2 * L), i + chunk);
            if constexpr (optimistic) {
                B s1a(T(0)), s1b(T(0)), s2a(T(0)), s2b(T(0));
                B mna(std::numeric_limits<T>::infinity()), mxa(-std::numeric_limits<T>::infinity());
                B mnb = mna, mxb = mxa;
                for (std::size_t k = i; k < stop; k += 2 * L) {
                    B const x0 = B::load_unaligned(x + k), x1 = B::load_unaligned(x + k + L);
                    B const d0 = x0 - shift, d1 = x1 - shift;
                    s1a += d0;
                    s1b += d1;
                    s2a = xsimd::fma(d0, d0, s2a);
                    s2b = xsimd::fma(d1, d1, s2b);
                    if constexpr (O.minmax) {
                        mna = xsimd::select(x0 < mna, x0, mna);
                        mxa = xsimd::select(x0 > mxa, x0, mxa);
                        mnb = xsimd::select(x1 < mnb, x1, mnb);
                        mxb = xsimd::select(x1 > mxb, x1, mxb);
                    }
                }
                if (xsimd::all(xsimd::isfinite(s2a + s2b))) {
                    sums.add(sums.s1, s1a + s1b);
                    sums.add(sums.s2, s2a + s2b);
                    sums.nclean += stop - i;
                    if constexpr (O.minmax) {
                        a.mn = xsimd::select(mna < a.mn, mna, a.mn);
                        a.mx = xsimd::select(mxa > a.mx, mxa, a.mx);
                        b.mn = xsimd::select(mnb < b.mn, mnb, b.mn);
                        b.mx = xsimd::select(mxb > b.mx, mxb, b.mx);
                    }
                } else {
                    careful(i, stop);
                }
            } else {
                careful(i, stop);
            }
            i = stop;
        }
        sums.into(acc, O.weighting != Weighting::none, O.variance_error);
        a.finish(acc);
        b.finish(acc);
    }
    detail::moments_scalar<O>(x, m, var, w, i, n, p, acc);
}

/// Count x < lo and collect x in [lo, hi] for up to three disjoint windows, over accepted pixels (finite when
/// nan_safe, (m & bad) == 0 when m is given). Used by selection-based quantiles: only the few pixels near the
/// wanted ranks are copied. `total` counts every accepted pixel.
template <class T, bool NanSafe, bool Masked, class A = default_arch>
void window_collect(T const* x, MaskPixel const* m, std::size_t n, MaskPixel bad, int nwin, T const* lo, T const* hi,
                    std::size_t* below, std::vector<T>* out, std::size_t& total) {
    auto one = [&](T v, MaskPixel mv) {
        if constexpr (NanSafe && std::is_floating_point_v<T>)
            if (!std::isfinite(v)) return;
        if constexpr (Masked)
            if ((mv & bad) != 0) return;
        ++total;
        for (int j = 0; j < nwin; ++j) {
            if (v < lo[j]) {
                ++below[j];
            } else if (v <= hi[j]) {
                out[j].push_back(v);
            }
        }
    };
    std::size_t i = 0;
    if constexpr (detail::is_simd_float<T> && (!Masked || sizeof(T) == sizeof(MaskPixel))) {
        using B = xsimd::batch<T, A>;
        using UI = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        using U = xsimd::batch<UI, A>;
        constexpr std::size_t L = B::size;
        B const fones = bit_cast_batch<T>(U(~UI(0))), fzero(T(0)), one1(T(1));
        U const badb(static_cast<UI>(bad));
        B lob[3], hib[3], cnt_below[3], cnt_total(T(0));
        for (int j = 0; j < nwin; ++j) {
            lob[j] = B(lo[j]);
            hib[j] = B(hi[j]);
            cnt_below[j] = B(T(0));
        }
        std::size_t since_flush = 0, nclean = 0;
        std::size_t pos[3] = {0, 0, 0};
        for (int j = 0; j < nwin; ++j) pos[j] = out[j].size();
        // the branch-free path writes up to one batch per window per step: keep room for a flush period
        auto ensure_room = [&] {
            for (int j = 0; j < nwin; ++j)
                if (out[j].size() < pos[j] + 4097 * L) out[j].resize(2 * pos[j] + 4097 * L);
        };
        if constexpr (fast_compress<T, A>) ensure_room();
        auto flush = [&] {
            total += static_cast<std::size_t>(detail::lanes_sum(cnt_total)) + nclean;
            nclean = 0;
            cnt_total = B(T(0));
            for (int j = 0; j < nwin; ++j) {
                below[j] += static_cast<std::size_t>(detail::lanes_sum(cnt_below[j]));
                cnt_below[j] = B(T(0));
            }
            since_flush = 0;
        };
        for (; i + L <= n; i += L) {
            B const v = B::load_unaligned(x + i);
            U mb(0);
            if constexpr (Masked) mb = U::load_unaligned(reinterpret_cast<UI const*>(m + i));
            bool clean = true; // every lane accepted: skip the per-lane bookkeeping
            if constexpr (NanSafe) clean = xsimd::all(xsimd::isfinite(v));
            if constexpr (Masked) clean = clean && !xsimd::any((mb & badb) != U(0));
            if (clean) {
                nclean += L;
                for (int j = 0; j < nwin; ++j) {
                    cnt_below[j] += xsimd::select(v < lob[j], one1, fzero);
                    auto const in = (v >= lob[j]) && (v <= hib[j]);
                    if constexpr (fast_compress<T, A>) {
                        // branch-free: a compress per batch is cheaper than mispredicting which batches hit
                        pos[j] += compress_store(out[j].data() + pos[j], v, in);
                    } else if (xsimd::any(in)) {
                        if (out[j].size() < pos[j] + L) out[j].resize(2 * (pos[j] + L));
                        pos[j] += compress_store(out[j].data() + pos[j], v, in);
                    }
                }
            } else {
                U keep_u(~UI(0));
                if constexpr (NanSafe)
                    keep_u = keep_u & bit_cast_batch<UI>(xsimd::select(xsimd::isfinite(v), fones, fzero));
                if constexpr (Masked) keep_u = keep_u & xsimd::select((mb & badb) == U(0), U(~UI(0)), U(0));
                B const keep = bit_cast_batch<T>(keep_u);
                cnt_total += one1 & keep;
                auto const accepted = !(keep == keep); // all-ones (NaN) lanes are the accepted ones
                for (int j = 0; j < nwin; ++j) {
                    cnt_below[j] += xsimd::select(v < lob[j], one1, fzero) & keep;
                    auto const in = (v >= lob[j]) && (v <= hib[j]) && accepted;
                    if (xsimd::any(in)) {
                        if (out[j].size() < pos[j] + L) out[j].resize(2 * (pos[j] + L));
                        pos[j] += compress_store(out[j].data() + pos[j], v, in);
                    }
                }
            }
            if (++since_flush == 4096) {
                flush();
                if constexpr (fast_compress<T, A>) ensure_room();
            }
        }
        for (int j = 0; j < nwin; ++j) out[j].resize(pos[j]);
        flush();
    }
    for (; i < n; ++i) one(x[i], Masked ? m[i] : MaskPixel(0));
}

} // namespace skystack::simd
