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

#ifndef SKYSTACK_STACK_PREFETCH
/// Software prefetch distance (pixels) of the accumulating kernel; 0 disables it.
#define SKYSTACK_STACK_PREFETCH 256
#endif

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

/// Most mask-propagation thresholds a stack may have (one accumulator register each, kept in registers).
inline constexpr std::size_t max_thresholds = 4;

/// Per-pixel bookkeeping shared by every policy, over one tile (accumulating path) or one row (sample path):
/// accepted count, accepted weight, mask bits (OR of the accepted samples' masks and of the rejected samples'
/// bad bits: accepted samples never carry bad bits, so `orm & ~bad` is afw's ORMASK and `orm & bad` says which
/// bad planes were rejected), rejected weight per threshold plane; plus the accumulators a0, a2 of the
/// accumulating kinds (Σwx and Σw²V, or the min/max value and its variance).
template <class T>
struct TileBuffers {
    std::size_t stride = 0, rows = 0;
    AlignedBuffer<T> cnt, sw, a0, a2;
    AlignedBuffer<uint_for<T>> orm;
    std::vector<AlignedBuffer<T>> rb;

    void resize(std::size_t stride_, std::size_t rows_, std::size_t nthr) {
        std::size_t const n = stride_ * rows_;
        if (n > cnt.size() || rb.size() != nthr) {
            cnt = AlignedBuffer<T>(n);
            sw = AlignedBuffer<T>(n);
            a0 = AlignedBuffer<T>(n);
            a2 = AlignedBuffer<T>(n);
            orm = AlignedBuffer<uint_for<T>>(n);
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
        for (auto& b : rb) std::fill_n(b.data(), n, T(0));
    }
};

/// The bookkeeping of one batch of pixels, held in registers while several inputs are added to it.
template <class T>
struct Regs {
    batch_t<T> cnt, sw, a0, a2;
    ubatch_t<T> orm;
    batch_t<T> rb[max_thresholds];

    template <bool Acc = true>
    SKYSTACK_FORCEINLINE void load(TileBuffers<T> const& tb, std::size_t o, std::size_t nthr) noexcept {
        using B = batch_t<T>;
        cnt = B::load_unaligned(tb.cnt.data() + o);
        sw = B::load_unaligned(tb.sw.data() + o);
        if constexpr (Acc) {
            a0 = B::load_unaligned(tb.a0.data() + o);
            a2 = B::load_unaligned(tb.a2.data() + o);
        }
        orm = ubatch_t<T>::load_unaligned(tb.orm.data() + o);
        for (std::size_t b = 0; b < max_thresholds; ++b) // fixed bound: rb[b] stays in registers
            rb[b] = b < nthr ? B::load_unaligned(tb.rb[b].data() + o) : B(T(0));
    }
    template <bool Acc = true>
    SKYSTACK_FORCEINLINE void store(TileBuffers<T>& tb, std::size_t o, std::size_t nthr) const noexcept {
        cnt.store_unaligned(tb.cnt.data() + o);
        sw.store_unaligned(tb.sw.data() + o);
        if constexpr (Acc) {
            a0.store_unaligned(tb.a0.data() + o);
            a2.store_unaligned(tb.a2.data() + o);
        }
        orm.store_unaligned(tb.orm.data() + o);
        for (std::size_t b = 0; b < max_thresholds; ++b)
            if (b < nthr) rb[b].store_unaligned(tb.rb[b].data() + o);
    }
};

/// Per-input constants, broadcast once per input and row block.
template <class T>
struct InputConsts {
    batch_t<T> s, s2, w, w2;
};

/// Add one batch of samples (raw value x, mask m, raw variance v) of one input to the registers. Returns the
/// accepted lanes as all-ones bits; `xs` and `vs` receive the scaled value and variance.
template <class T, Accumulate Kind>
SKYSTACK_FORCEINLINE ubatch_t<T> add_sample(Regs<T>& r, StackPlan<T> const& plan, InputConsts<T> const& c, batch_t<T> x,
                                            ubatch_t<T> m, batch_t<T> v, batch_t<T>& xs, batch_t<T>& vs) noexcept {
    using B = batch_t<T>;
    using U = ubatch_t<T>;
    using UI = uint_for<T>;
    xs = x * c.s;
    U const bad(UI(plan.bad));
    // accepted: no bad bit and a finite value; kept as a lane mask (a k-register on AVX-512)
    auto const good = xsimd::isfinite(xs) && simd::bool_cast<T>((m & bad) == U(UI(0)));
    U const gu = simd::bool_bits(simd::bool_cast<UI>(good));
    m = m & U(UI(~plan.remove));
    r.cnt = xsimd::select(good, r.cnt + B(T(1)), r.cnt);
    r.sw = xsimd::select(good, r.sw + c.w, r.sw);
    r.orm |= m & (gu | bad);
    if (std::size_t const nthr = plan.thr_bits.size(); nthr != 0) {
        for (std::size_t b = 0; b < max_thresholds; ++b)
            if (b < nthr) {
                auto const rej = !good && simd::bool_cast<T>((m & U(UI(plan.thr_bits[b]))) != U(UI(0)));
                r.rb[b] = xsimd::select(rej, r.rb[b] + c.w, r.rb[b]);
            }
    }
    vs = v * c.s2;
    if constexpr (Kind == Accumulate::weighted_sum) {
        r.a0 = xsimd::select(good, r.a0 + c.w * xs, r.a0);
        r.a2 = xsimd::select(good, r.a2 + c.w2 * vs, r.a2);
    } else if constexpr (Kind == Accumulate::min || Kind == Accumulate::max) {
        constexpr T fill =
            Kind == Accumulate::min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
        B const xm = xsimd::select(good, xs, B(fill));
        auto const upd = Kind == Accumulate::min ? (xm < r.a0) : (xm > r.a0); // strict: ties keep the earlier input
        r.a0 = xsimd::select(upd, xm, r.a0);
        r.a2 = xsimd::select(upd, vs, r.a2);
    }
    return gu;
}

/// Row pointers of one input part.
template <class T>
struct PartRow {
    T const* img;
    MaskPixel const* msk;
    float const* var;
};

/// Add G inputs whose parts share one bbox to the tile buffers: the buffers are loaded and stored once per G
/// inputs, the inputs are added in order in registers (the same per-pixel operation sequence as one at a time).
/// `ox, oy`: the parts' offset inside the tile.
template <class T, Accumulate Kind, std::size_t G>
void accumulate_group(TileBuffers<T>& tb, MaskedImageView<T const> const* parts, std::size_t const* ks, std::size_t ox,
                      std::size_t oy, StackPlan<T> const& plan) {
    using B = batch_t<T>;
    constexpr std::size_t L = lanes_v<T>;
    InputConsts<T> c[G];
    for (std::size_t g = 0; g < G; ++g) {
        T const w = plan.weight[ks[g]];
        c[g] = {B(plan.scale[ks[g]]), B(plan.scale2[ks[g]]), B(w), B(w * w)};
    }
    std::size_t const nthr = plan.thr_bits.size();
    auto const width = static_cast<std::size_t>(parts[0].width());
    std::size_t const full = width / L * L;
    for (int y = 0; y < parts[0].height(); ++y) {
        PartRow<T> pr[G];
        for (std::size_t g = 0; g < G; ++g)
            pr[g] = {parts[g].image().row(y).data(), parts[g].mask().row(y).data(), parts[g].variance().row(y).data()};
        std::size_t const base = (oy + std::size_t(y)) * tb.stride + ox;
        auto step = [&](PartRow<T> const* rows, std::size_t off, std::size_t o) {
            Regs<T> r;
            r.load(tb, o, nthr);
            [&]<std::size_t... I>(std::index_sequence<I...>) { // unrolled: inputs in order
                (
                    (void)[&] {
                        B xs, vs;
                        add_sample<T, Kind>(r, plan, c[I], B::load_unaligned(rows[I].img + off),
                                            load_mask<T>(rows[I].msk + off), load_as<T>(rows[I].var + off), xs, vs);
                    }(),
                    ...);
            }
            (std::make_index_sequence<G>{});
            r.store(tb, o, nthr);
        };
        std::size_t x = 0;
        for (; x < full; x += L) {
#if defined(__GNUC__) || defined(__clang__)
            if (x % (64 / sizeof(T)) == 0 && x + SKYSTACK_STACK_PREFETCH < width)
                for (std::size_t g = 0; g < G; ++g) { // one line per stream, a fixed distance ahead
                    __builtin_prefetch(pr[g].img + x + SKYSTACK_STACK_PREFETCH);
                    __builtin_prefetch(pr[g].msk + x + SKYSTACK_STACK_PREFETCH);
                    __builtin_prefetch(pr[g].var + x + SKYSTACK_STACK_PREFETCH);
                }
#endif
            step(pr, x, base + x);
        }
        if (x < width) { // tail through padded temporaries: NaN values are never accepted and carry no bits
            alignas(64) T ti[G][L];
            alignas(64) MaskPixel tm[G][L];
            alignas(64) float tv[G][L];
            PartRow<T> tr[G];
            for (std::size_t g = 0; g < G; ++g) {
                for (std::size_t l = 0; l < L; ++l) {
                    bool const in = x + l < width;
                    ti[g][l] = in ? pr[g].img[x + l] : std::numeric_limits<T>::quiet_NaN();
                    tm[g][l] = in ? pr[g].msk[x + l] : 0;
                    tv[g][l] = in ? pr[g].var[x + l] : 0.f;
                }
                tr[g] = {ti[g], tm[g], tv[g]};
            }
            step(tr, 0, base + x);
        }
    }
}

/// Add the parts of inputs `ks` (clipped to the tile; empty views are skipped) in order, grouping runs of
/// inputs with the same part bbox four or two at a time.
template <class T, Accumulate Kind>
void accumulate_parts(TileBuffers<T>& tb, std::span<MaskedImageView<T const> const> parts, Box2I tile,
                      StackPlan<T> const& plan) {
    std::vector<std::size_t> ks;
    ks.reserve(parts.size());
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!parts[k].empty()) ks.push_back(k);
    MaskedImageView<T const> grp[4];
    for (std::size_t i = 0; i < ks.size();) {
        Box2I const b = parts[ks[i]].bbox();
        std::size_t run = 1;
        while (run < 4 && i + run < ks.size() && parts[ks[i + run]].bbox() == b) ++run;
        auto const ox = std::size_t(b.min_x() - tile.min_x());
        auto const oy = std::size_t(b.min_y() - tile.min_y());
        std::size_t const g = run == 4 ? 4 : run >= 2 ? 2 : 1;
        for (std::size_t j = 0; j < g; ++j) grp[j] = parts[ks[i + j]];
        if (g == 4)
            accumulate_group<T, Kind, 4>(tb, grp, &ks[i], ox, oy, plan);
        else if (g == 2)
            accumulate_group<T, Kind, 2>(tb, grp, &ks[i], ox, oy, plan);
        else
            accumulate_group<T, Kind, 1>(tb, grp, &ks[i], ox, oy, plan);
        i += g;
    }
}

/// Sample path: add row `py` of the G parts (same bbox) of inputs `ks` to the one-row bookkeeping at offset
/// `ox` and write the scaled values (+inf where not accepted) to `vals + k·stride + ox` and, if NeedVar, the
/// scaled variances to `vars + k·stride + ox`.
template <class T, bool NeedVar, std::size_t G>
void gather_group(TileBuffers<T>& tb, MaskedImageView<T const> const* parts, std::size_t const* ks, int py,
                  std::size_t ox, StackPlan<T> const& plan, T* vals, T* vars, std::size_t stride) {
    using B = batch_t<T>;
    constexpr std::size_t L = lanes_v<T>;
    InputConsts<T> c[G];
    PartRow<T> pr[G];
    for (std::size_t g = 0; g < G; ++g) {
        T const w = plan.weight[ks[g]];
        c[g] = {B(plan.scale[ks[g]]), B(plan.scale2[ks[g]]), B(w), B(w * w)};
        pr[g] = {parts[g].image().row(py).data(), parts[g].mask().row(py).data(), parts[g].variance().row(py).data()};
    }
    std::size_t const nthr = plan.thr_bits.size();
    auto const width = static_cast<std::size_t>(parts[0].width());
    std::size_t const full = width / L * L;
    B const inf(std::numeric_limits<T>::infinity());
    std::size_t ko[G];
    for (std::size_t g = 0; g < G; ++g) ko[g] = ks[g] * stride + ox;
    auto step = [&](PartRow<T> const* rows, std::size_t off, std::size_t x) {
        Regs<T> r;
        r.template load<false>(tb, ox + x, nthr);
        [&]<std::size_t... I>(std::index_sequence<I...>) { // unrolled: inputs in order
            (
                (void)[&] {
                    B xs, vs;
                    auto const gu = add_sample<T, Accumulate::none>(r, plan, c[I], B::load_unaligned(rows[I].img + off),
                                                                    load_mask<T>(rows[I].msk + off),
                                                                    load_as<T>(rows[I].var + off), xs, vs);
                    std::size_t const o = ko[I] + x;
                    ((xs & as_float<T>(gu)) | (inf & as_float<T>(~gu))).store_unaligned(vals + o);
                    if constexpr (NeedVar) vs.store_unaligned(vars + o);
                }(),
                ...);
        }
        (std::make_index_sequence<G>{});
        r.template store<false>(tb, ox + x, nthr);
    };
    std::size_t x = 0;
    for (; x < full; x += L) {
#if defined(__GNUC__) || defined(__clang__)
        if (x % (64 / sizeof(T)) == 0 && x + SKYSTACK_STACK_PREFETCH < width)
            for (std::size_t g = 0; g < G; ++g) {
                __builtin_prefetch(pr[g].img + x + SKYSTACK_STACK_PREFETCH);
                __builtin_prefetch(pr[g].msk + x + SKYSTACK_STACK_PREFETCH);
                if constexpr (NeedVar) __builtin_prefetch(pr[g].var + x + SKYSTACK_STACK_PREFETCH);
            }
#endif
        step(pr, x, x);
    }
    if (x < width) {
        alignas(64) T ti[G][L];
        alignas(64) MaskPixel tm[G][L];
        alignas(64) float tv[G][L];
        PartRow<T> tr[G];
        for (std::size_t g = 0; g < G; ++g) {
            for (std::size_t l = 0; l < L; ++l) {
                bool const in = x + l < width;
                ti[g][l] = in ? pr[g].img[x + l] : std::numeric_limits<T>::quiet_NaN();
                tm[g][l] = in ? pr[g].msk[x + l] : 0;
                tv[g][l] = in ? pr[g].var[x + l] : 0.f;
            }
            tr[g] = {ti[g], tm[g], tv[g]};
        }
        step(tr, 0, x);
    }
}

/// Sample path, one tile row `ty`: gather every input covering it, grouping inputs with the same part bbox.
/// Rows of inputs that do not cover the whole tile row are first filled with +inf.
template <class T, bool NeedVar>
void gather_tile_row(TileBuffers<T>& tb, std::span<MaskedImageView<T const> const> parts, Box2I tile, int ty,
                     StackPlan<T> const& plan, T* vals, T* vars, std::size_t stride) {
    T const inf = std::numeric_limits<T>::infinity();
    std::size_t ks[4];
    MaskedImageView<T const> grp[4];
    auto const tw = std::size_t(tile.width());
    auto covers = [&](std::size_t k) {
        auto const& p = parts[k];
        if (p.empty()) return false;
        int const py = tile.min_y() + ty - p.bbox().min_y();
        return py >= 0 && py < p.height();
    };
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!covers(k) || std::size_t(parts[k].width()) != tw) std::fill_n(vals + k * stride, stride, inf);
    for (std::size_t k = 0; k < parts.size();) {
        if (!covers(k)) {
            ++k;
            continue;
        }
        Box2I const b = parts[k].bbox();
        std::size_t run = 1;
        while (run < 4 && k + run < parts.size() && covers(k + run) && parts[k + run].bbox() == b) ++run;
        std::size_t const g = run == 4 ? 4 : run >= 2 ? 2 : 1;
        for (std::size_t j = 0; j < g; ++j) {
            ks[j] = k + j;
            grp[j] = parts[k + j];
        }
        int const py = tile.min_y() + ty - b.min_y();
        auto const ox = std::size_t(b.min_x() - tile.min_x());
        if (g == 4)
            gather_group<T, NeedVar, 4>(tb, grp, ks, py, ox, plan, vals, vars, stride);
        else if (g == 2)
            gather_group<T, NeedVar, 2>(tb, grp, ks, py, ox, plan, vals, vars, stride);
        else
            gather_group<T, NeedVar, 1>(tb, grp, ks, py, ox, plan, vals, vars, stride);
        k += g;
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
        U const bits = U::load_aligned(tb.orm.data() + o + x);
        U mask = bits & U(UI(~plan.bad)); // afw ORMASK: accepted samples carry no bad bits
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
            U const some_rejected = as_uint<T>(simd::bool_bits(n < nact));
            for (auto [from, to] : plan.map)
                mask = mask | (U(UI(to)) & some_rejected & simd::bool_bits((bits & U(UI(from))) != U(UI(0))));
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
