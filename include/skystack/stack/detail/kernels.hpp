// SPDX-License-Identifier: MIT
// The stacker's tile kernels: frame-by-frame accumulation into tile buffers (mergeable sums, min, max), the
// per-row gather for order-statistic policies, and the per-row finish (value, variance, mask). Everything is a
// batch of pixels along x; a row's tail is processed as a full batch through padded temporaries, so a pixel's
// result never depends on where a tile boundary falls (bit-identical across tilings and thread counts).
#pragma once

#include <skystack/config.hpp>
#include <skystack/detail/aligned_buffer.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/simd/xsimd_compat.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/policies.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace skystack::detail {

template <class T>
using uint_for = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
template <class T>
using batch_t = xsimd::batch<T>;
template <class T>
using ubatch_t = xsimd::batch<uint_for<T>>;
template <class T>
inline constexpr std::size_t lanes_v = batch_t<T>::size;

/// Everything about one stack that the kernels need, resolved once (bits looked up, weights fixed).
template <class T>
struct StackPlan {
    std::size_t n_active = 0; ///< inputs with weight > 0 (NMASKED > 0 ⇔ n < n_active)
    std::vector<T> weight, scale, scale2;
    MaskPixel bad = 0, remove = 0, nodata = 0, clipped = 0;
    std::vector<MaskPixel> thr_bits;
    std::vector<T> thr;
    std::vector<std::pair<MaskPixel, MaskPixel>> map;
    bool scatter = false;
    bool record_clipped = true;
    ClipParams clip{};
};

template <class T>
SKYSTACK_FORCEINLINE ubatch_t<T> load_mask(MaskPixel const* p) noexcept {
    if constexpr (sizeof(T) == 4) {
        return ubatch_t<T>::load_unaligned(p);
    } else {
        alignas(64) uint_for<T> t[lanes_v<T>];
        for (std::size_t l = 0; l < lanes_v<T>; ++l) t[l] = p[l];
        return ubatch_t<T>::load_aligned(t);
    }
}
template <class T, class V>
SKYSTACK_FORCEINLINE batch_t<T> load_as(V const* p) noexcept {
    if constexpr (std::is_same_v<T, V>) {
        return batch_t<T>::load_unaligned(p);
    } else {
        alignas(64) T t[lanes_v<T>];
        for (std::size_t l = 0; l < lanes_v<T>; ++l) t[l] = T(p[l]);
        return batch_t<T>::load_aligned(t);
    }
}
template <class T>
SKYSTACK_FORCEINLINE batch_t<T> as_float(ubatch_t<T> u) noexcept {
    return simd::bit_cast_batch<T>(u);
}
template <class T>
SKYSTACK_FORCEINLINE ubatch_t<T> as_uint(batch_t<T> f) noexcept {
    return simd::bit_cast_batch<uint_for<T>>(f);
}

/// Per-pixel bookkeeping shared by every policy, over one tile (accumulating path) or one row (sample path):
/// accepted count, accepted weight, OR of accepted masks, OR of all masks, rejected weight per threshold plane;
/// plus the accumulators a0..a2 of the accumulating kinds (Σwx / Σw²V, or min/max value / its variance).
template <class T>
struct TileBuffers {
    std::size_t stride = 0, rows = 0;
    AlignedBuffer<T> cnt, sw, a0, a2;
    AlignedBuffer<uint_for<T>> orm, orall;
    std::vector<AlignedBuffer<T>> rb;

    void resize(std::size_t stride_, std::size_t rows_, std::size_t nthr) {
        std::size_t const n = stride_ * rows_;
        if (n > cnt.size() || rb.size() != nthr) {
            cnt = AlignedBuffer<T>(n);
            sw = AlignedBuffer<T>(n);
            a0 = AlignedBuffer<T>(n);
            a2 = AlignedBuffer<T>(n);
            orm = AlignedBuffer<uint_for<T>>(n);
            orall = AlignedBuffer<uint_for<T>>(n);
            rb.clear();
            for (std::size_t i = 0; i < nthr; ++i) rb.emplace_back(n);
        }
        stride = stride_;
        rows = rows_;
    }
    void reset(Accumulate kind) {
        std::size_t const n = stride * rows;
        std::fill_n(cnt.data(), n, T(0));
        std::fill_n(sw.data(), n, T(0));
        T const init = kind == Accumulate::min   ? std::numeric_limits<T>::infinity()
                       : kind == Accumulate::max ? -std::numeric_limits<T>::infinity()
                                                 : T(0);
        std::fill_n(a0.data(), n, init);
        std::fill_n(a2.data(), n, T(0));
        std::fill_n(orm.data(), n, uint_for<T>(0));
        std::fill_n(orall.data(), n, uint_for<T>(0));
        for (auto& b : rb) std::fill_n(b.data(), n, T(0));
    }
};

/// Classify one batch of input samples and update the shared bookkeeping at buffer offset `o`. Returns the
/// accepted lanes as all-ones bits (as T) and the scaled value and variance.
template <class T, Accumulate Kind, bool WantVar>
SKYSTACK_FORCEINLINE void accumulate_batch(TileBuffers<T>& tb, std::size_t o, StackPlan<T> const& plan, batch_t<T> x,
                                           ubatch_t<T> m, batch_t<T> V, batch_t<T> w, batch_t<T> w2, batch_t<T>* vals,
                                           batch_t<T>* vars) noexcept {
    using B = batch_t<T>;
    using U = ubatch_t<T>;
    using UI = uint_for<T>;
    U const bad(UI(plan.bad));
    U const gu = simd::bool_bits((m & bad) == U(UI(0))) & as_uint<T>(simd::bool_bits(xsimd::isfinite(x)));
    B const gf = as_float<T>(gu);
    m = m & U(UI(~plan.remove));
    B const one(T(1));
    (B::load_unaligned(tb.cnt.data() + o) + (one & gf)).store_unaligned(tb.cnt.data() + o);
    (B::load_unaligned(tb.sw.data() + o) + (w & gf)).store_unaligned(tb.sw.data() + o);
    (U::load_unaligned(tb.orm.data() + o) | (m & gu)).store_unaligned(tb.orm.data() + o);
    (U::load_unaligned(tb.orall.data() + o) | m).store_unaligned(tb.orall.data() + o);
    if (!plan.thr_bits.empty()) {
        U const ru = ~gu;
        for (std::size_t b = 0; b < plan.thr_bits.size(); ++b) {
            U const bit(UI(plan.thr_bits[b]));
            U const has = simd::bool_bits((m & bit) != U(UI(0))) & ru;
            T* r = tb.rb[b].data() + o;
            (B::load_unaligned(r) + (w & as_float<T>(has))).store_unaligned(r);
        }
    }
    if constexpr (Kind == Accumulate::weighted_sum) {
        (B::load_unaligned(tb.a0.data() + o) + ((w * x) & gf)).store_unaligned(tb.a0.data() + o);
        if constexpr (WantVar)
            (B::load_unaligned(tb.a2.data() + o) + ((w2 * V) & gf)).store_unaligned(tb.a2.data() + o);
    } else if constexpr (Kind == Accumulate::min || Kind == Accumulate::max) {
        constexpr T fill =
            Kind == Accumulate::min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
        B const xs = (x & gf) | (B(fill) & as_float<T>(~gu));
        B const cur = B::load_unaligned(tb.a0.data() + o);
        auto const upd = Kind == Accumulate::min ? (xs < cur) : (xs > cur); // strict: ties keep the earlier input
        xsimd::select(upd, xs, cur).store_unaligned(tb.a0.data() + o);
        xsimd::select(upd, V, B::load_unaligned(tb.a2.data() + o)).store_unaligned(tb.a2.data() + o);
    } else { // gather for the sample path: value (+inf where not accepted) and variance
        B const inf(std::numeric_limits<T>::infinity());
        *vals = (x & gf) | (inf & as_float<T>(~gu));
        *vars = V;
    }
}

/// Add one input's part (already clipped to the tile) to the tile buffers, frame by frame.
/// `ox, oy`: the part's offset inside the tile. For the sample kind, `vals/vars` receive the gathered row
/// (only rows `row_lo..row_hi` of the part are processed; buffers are then one row).
template <class T, Accumulate Kind, bool WantVar>
void accumulate_part(TileBuffers<T>& tb, MaskedImageView<T const> part, std::size_t ox, std::size_t oy, std::size_t k,
                     StackPlan<T> const& plan, int row_lo, int row_hi, T* vals, T* vars) {
    using B = batch_t<T>;
    constexpr std::size_t L = lanes_v<T>;
    B const s(plan.scale[k]), s2(plan.scale2[k]), w(plan.weight[k]), w2(plan.weight[k] * plan.weight[k]);
    auto const width = static_cast<std::size_t>(part.width());
    std::size_t const full = width / L * L;
    constexpr bool sample = Kind == Accumulate::none;
    for (int y = row_lo; y < row_hi; ++y) {
        T const* ip = part.image().row(y).data();
        MaskPixel const* mp = part.mask().row(y).data();
        float const* vp = part.variance().row(y).data();
        std::size_t const base = sample ? ox : (oy + std::size_t(y)) * tb.stride + ox;
        auto one = [&](T const* pi, MaskPixel const* pm, float const* pv, std::size_t x) {
            B const xv = B::load_unaligned(pi) * s;
            B V(T(0));
            if constexpr (WantVar || Kind != Accumulate::weighted_sum) V = load_as<T>(pv) * s2;
            B gv, gvar;
            accumulate_batch<T, Kind, WantVar>(tb, base + x, plan, xv, load_mask<T>(pm), V, w, w2, &gv, &gvar);
            if constexpr (sample) {
                gv.store_unaligned(vals + ox + x);
                gvar.store_unaligned(vars + ox + x);
            }
        };
        std::size_t x = 0;
        for (; x < full; x += L) one(ip + x, mp + x, vp + x, x);
        if (x < width) { // tail through padded temporaries: NaN values are never accepted and carry no bits
            alignas(64) T ti[L];
            alignas(64) MaskPixel tm[L];
            alignas(64) float tv[L];
            for (std::size_t l = 0; l < L; ++l) {
                bool const in = x + l < width;
                ti[l] = in ? ip[x + l] : std::numeric_limits<T>::quiet_NaN();
                tm[l] = in ? mp[x + l] : 0;
                tv[l] = in ? vp[x + l] : 0.f;
            }
            one(ti, tm, tv, x);
        }
    }
}

/// Σw²V/(Σw)² over the columns' samples with w > 0.
template <class B>
SKYSTACK_FORCEINLINE B input_variance(std::span<B const> w, std::span<B const> var) noexcept {
    B sw(0), s(0);
    for (std::size_t i = 0; i < w.size(); ++i) {
        sw += w[i];
        s += xsimd::select(w[i] > B(0), w[i] * w[i] * var[i], B(0));
    }
    return s / (sw * sw);
}

/// Debiased weighted sample variance s² of the samples with w > 0 (afw), plus Σw and Σw².
template <class B>
struct Scatter {
    B s2, sw, sw2;
};
template <class B>
SKYSTACK_FORCEINLINE Scatter<B> weighted_scatter(std::span<B const> v, std::span<B const> w) noexcept {
    B sw(0), sw2(0), swx(0);
    for (std::size_t i = 0; i < v.size(); ++i) {
        sw += w[i];
        sw2 += w[i] * w[i];
        swx += xsimd::select(w[i] > B(0), w[i] * v[i], B(0));
    }
    B const m = swx / sw;
    B sdd(0);
    for (std::size_t i = 0; i < v.size(); ++i) {
        B const d = xsimd::select(w[i] > B(0), v[i] - m, B(0));
        sdd += w[i] * d * d;
    }
    return {(sdd / sw) * (sw * sw / (sw * sw - sw2)), sw, sw2};
}

/// Finish `width` pixels of one row: mask from the bookkeeping at buffer offset `o`, value/variance/nclipped
/// from row arrays (padded to whole batches), written to the output rows.
template <class T>
void finish_row(TileBuffers<T> const& tb, std::size_t o, StackPlan<T> const& plan, T const* value, T const* var,
                T const* nclip, std::size_t width, T* out_img, MaskPixel* out_msk, float* out_var,
                std::uint16_t* out_n) {
    using B = batch_t<T>;
    using U = ubatch_t<T>;
    using UI = uint_for<T>;
    constexpr std::size_t L = lanes_v<T>;
    B const nan(std::numeric_limits<T>::quiet_NaN());
    B const nact(T(plan.n_active));
    for (std::size_t x = 0; x < width; x += L) {
        B const n = B::load_aligned(tb.cnt.data() + o + x);
        B const sw = B::load_aligned(tb.sw.data() + o + x);
        U mask = U::load_aligned(tb.orm.data() + o + x);
        for (std::size_t b = 0; b < plan.thr_bits.size(); ++b) {
            B const r = B::load_aligned(tb.rb[b].data() + o + x);
            auto const over = r / (sw + r) > B(plan.thr[b]); // 0/0 = NaN compares false
            mask = mask | (U(UI(plan.thr_bits[b])) & as_uint<T>(simd::bool_bits(over)));
        }
        if (nclip && plan.record_clipped)
            mask = mask | (U(UI(plan.clipped)) & as_uint<T>(simd::bool_bits(B::load_unaligned(nclip + x) > B(0))));
        auto const none = n == B(T(0));
        mask = xsimd::select(as_uint<T>(simd::bool_bits(none)) != U(UI(0)), U(UI(plan.nodata)), mask);
        if (!plan.map.empty()) {
            U const all = U::load_aligned(tb.orall.data() + o + x);
            U const some_rejected = as_uint<T>(simd::bool_bits(n < nact));
            for (auto [from, to] : plan.map)
                mask = mask | (U(UI(to)) & some_rejected & simd::bool_bits((all & U(UI(from))) != U(UI(0))));
        }
        B const val = xsimd::select(none, nan, B::load_unaligned(value + x));
        B const vv = xsimd::select(none, nan, B::load_unaligned(var + x));
        alignas(64) T tv[L], tvv[L], tn[L];
        alignas(64) UI tm[L];
        val.store_aligned(tv);
        vv.store_aligned(tvv);
        mask.store_aligned(tm);
        std::size_t const m = std::min(L, width - x);
        for (std::size_t l = 0; l < m; ++l) {
            out_img[x + l] = tv[l];
            out_var[x + l] = float(tvv[l]);
            out_msk[x + l] = MaskPixel(tm[l]);
        }
        if (out_n) {
            n.store_aligned(tn);
            for (std::size_t l = 0; l < m; ++l) out_n[x + l] = static_cast<std::uint16_t>(tn[l]);
        }
    }
}

} // namespace skystack::detail
