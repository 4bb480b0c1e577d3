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
#ifndef SKYSTACK_STACK_CHUNK
/// Pixels per gathered chunk of a row on the sample path: the chunk's samples (values and variances of every
/// input) should stay in L2.
#define SKYSTACK_STACK_CHUNK 2048
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
    std::size_t n_active = 0;                      ///< inputs with weight > 0 (NMASKED > 0 ⇔ n < n_active)
    std::vector<T> weight, weight2, scale, scale2; ///< per input; weight2 = weight² (the fused clip's Σw²)
    MaskPixel bad = 0, remove = 0, nodata = 0, clipped = 0;
    std::vector<MaskPixel> thr_bits;
    std::vector<T> thr;
    std::vector<std::pair<MaskPixel, MaskPixel>> map;
    bool scatter = false;
    bool record_clipped = true;
    /// Every active weight is 1 (Σw = count, w·x = x: the kernel skips Σw and the weight products, bit-identical).
    bool unit_weights = false;
    /// Every scale is 1 (x·1 = x: the kernel skips the scaling, bit-identical).
    bool unit_scales = false;
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

/// Most mask-propagation thresholds a stack may have: one per mask plane. Each costs a float per pixel of the
/// tile (of the bbox for OnlineStacker), and work only where a sample is rejected and at the finish.
inline constexpr std::size_t max_thresholds = 8 * sizeof(MaskPixel);

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
    bool sw_is_cnt = false; ///< unit weights: Σw is not accumulated, it equals the count

    /// Σw per pixel (the count where every weight is 1).
    [[nodiscard]] T const* sw_data() const noexcept { return sw_is_cnt ? cnt.data() : sw.data(); }

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
        sw_is_cnt = false;
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

/// The bookkeeping of one batch of pixels, held in registers while several inputs are added to it. The rejected
/// weights are not held: rejections are rare, so their (in-order) updates go straight to the tile buffers.
template <class T>
struct Regs {
    batch_t<T> cnt, sw, a0, a2;
    ubatch_t<T> orm;

    template <bool Acc = true, bool SW = true>
    SKYSTACK_FORCEINLINE void load(TileBuffers<T> const& tb, std::size_t o) noexcept {
        using B = batch_t<T>;
        cnt = B::load_unaligned(tb.cnt.data() + o);
        if constexpr (SW) sw = B::load_unaligned(tb.sw.data() + o);
        if constexpr (Acc) {
            a0 = B::load_unaligned(tb.a0.data() + o);
            a2 = B::load_unaligned(tb.a2.data() + o);
        }
        orm = ubatch_t<T>::load_unaligned(tb.orm.data() + o);
    }
    template <bool Acc = true, bool SW = true>
    SKYSTACK_FORCEINLINE void store(TileBuffers<T>& tb, std::size_t o) const noexcept {
        cnt.store_unaligned(tb.cnt.data() + o);
        if constexpr (SW) sw.store_unaligned(tb.sw.data() + o);
        if constexpr (Acc) {
            a0.store_unaligned(tb.a0.data() + o);
            a2.store_unaligned(tb.a2.data() + o);
        }
        orm.store_unaligned(tb.orm.data() + o);
    }
};

/// Per-input constants, broadcast once per input and row block.
template <class T>
struct InputConsts {
    batch_t<T> s, s2, w, w2;
};

/// The rarely taken part of add_sample, for a batch with some sample not accepted: such a sample contributes only
/// its bad bits to the mask bits, and its weight to the rejected weight of each threshold plane it carries (kept in
/// the tile buffers at offset `o`).
/// Returns the bits to OR into the mask bits.
template <class T>
inline ubatch_t<T> add_rejected(TileBuffers<T>& tb, std::size_t o, StackPlan<T> const& plan, batch_t<T> w,
                                xsimd::batch_bool<T> good, ubatch_t<T> m) noexcept {
    using B = batch_t<T>;
    using U = ubatch_t<T>;
    using UI = uint_for<T>;
    U const gu = simd::bool_bits(simd::bool_cast<UI>(good));
    for (std::size_t b = 0; b < plan.thr_bits.size(); ++b) {
        auto const rej = !good && simd::bool_cast<T>((m & U(UI(plan.thr_bits[b] & ~plan.remove))) != U(UI(0)));
        T* const p = tb.rb[b].data() + o;
        B const rb = B::load_unaligned(p);
        xsimd::select(rej, rb + w, rb).store_unaligned(p);
    }
    return m & (gu | U(UI(plan.bad)));
}

/// Add one batch of samples (raw value x, mask m, raw variance v) of one input to the registers (rejected weights:
/// to the tile buffers at offset `o`). Returns the accepted lanes; `xs` and `vs` receive the scaled value and
/// variance. The removed planes stay in the mask bits (finish_row clears them). UnitW/UnitS: every weight/scale of
/// the stack is 1, so Σw is the count and the products by w, w², s, s² (exact) are skipped.
template <class T, Accumulate Kind, bool UnitW = false, bool UnitS = false>
SKYSTACK_FORCEINLINE xsimd::batch_bool<T>
add_sample(Regs<T>& r, TileBuffers<T>& tb, std::size_t o, StackPlan<T> const& plan, InputConsts<T> const& c,
           batch_t<T> x, ubatch_t<T> m, batch_t<T> v, batch_t<T>& xs, batch_t<T>& vs) noexcept {
    using B = batch_t<T>;
    using U = ubatch_t<T>;
    using UI = uint_for<T>;
    if constexpr (UnitS)
        xs = x;
    else
        xs = x * c.s;
    // accepted: no bad bit and a finite value; kept as a lane mask (a k-register on AVX-512)
    auto const good = xsimd::isfinite(xs) && simd::bool_cast<T>((m & U(UI(plan.bad))) == U(UI(0)));
    r.cnt = xsimd::select(good, r.cnt + B(T(1)), r.cnt);
    if constexpr (!UnitW) r.sw = xsimd::select(good, r.sw + c.w, r.sw);
    if (xsimd::all(good)) [[likely]]
        r.orm |= m;
    else
        r.orm |= add_rejected<T>(tb, o, plan, c.w, good, m);
    if constexpr (UnitS)
        vs = v;
    else
        vs = v * c.s2;
    if constexpr (Kind == Accumulate::weighted_sum) {
        if constexpr (UnitW) {
            r.a0 = xsimd::select(good, r.a0 + xs, r.a0);
            r.a2 = xsimd::select(good, r.a2 + vs, r.a2);
        } else {
            r.a0 = xsimd::select(good, r.a0 + c.w * xs, r.a0);
            r.a2 = xsimd::select(good, r.a2 + c.w2 * vs, r.a2);
        }
    } else if constexpr (Kind == Accumulate::min || Kind == Accumulate::max) {
        constexpr T fill =
            Kind == Accumulate::min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
        B const xm = xsimd::select(good, xs, B(fill));
        auto const upd = Kind == Accumulate::min ? (xm < r.a0) : (xm > r.a0); // strict: ties keep the earlier input
        r.a0 = xsimd::select(upd, xm, r.a0);
        r.a2 = xsimd::select(upd, vs, r.a2);
    }
    return good;
}

/// Row pointers of one input part.
template <class T>
struct PartRow {
    T const* img;
    MaskPixel const* msk;
    float const* var;
    /// Software-prefetch the cache line at pixel `x` of the image and mask rows, and of the variance row when
    /// the policy reads it.
    template <bool WithVar = true>
    SKYSTACK_FORCEINLINE void prefetch([[maybe_unused]] std::size_t x) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(img + x);
        __builtin_prefetch(msk + x);
        if constexpr (WithVar) __builtin_prefetch(var + x);
#endif
    }
};

/// The last, partial batch of a row for G inputs, copied into padded temporaries: NaN values past the end are
/// never accepted and carry no mask bits, so the full-batch step can process it unchanged.
template <class T, std::size_t G, std::size_t L>
struct PaddedTail {
    alignas(64) T img[G][L];
    alignas(64) MaskPixel msk[G][L];
    alignas(64) float var[G][L];
    PartRow<T> rows[G];
    PaddedTail(PartRow<T> const* pr, std::size_t x, std::size_t width) noexcept {
        for (std::size_t g = 0; g < G; ++g) {
            for (std::size_t l = 0; l < L; ++l) {
                bool const in = x + l < width;
                img[g][l] = in ? pr[g].img[x + l] : std::numeric_limits<T>::quiet_NaN();
                msk[g][l] = in ? pr[g].msk[x + l] : 0;
                var[g][l] = in ? pr[g].var[x + l] : 0.f;
            }
            rows[g] = {img[g], msk[g], var[g]};
        }
    }
};

/// One batch of pixels (buffer offset `o`) of G inputs (row pointers + `off`), added in order in registers.
template <class T, Accumulate Kind, std::size_t G, bool UnitW, bool UnitS>
SKYSTACK_FORCEINLINE void accumulate_step(TileBuffers<T>& tb, StackPlan<T> const& plan, InputConsts<T> const* c,
                                          PartRow<T> const* rows, std::size_t off, std::size_t o) noexcept {
    using B = batch_t<T>;
    Regs<T> r;
    r.template load<true, !UnitW>(tb, o);
    [&]<std::size_t... I>(std::index_sequence<I...>) { // unrolled: inputs in order
        (
            (void)[&] {
                B xs, vs;
                add_sample<T, Kind, UnitW, UnitS>(r, tb, o, plan, c[I], B::load_unaligned(rows[I].img + off),
                                                  load_mask<T>(rows[I].msk + off), load_as<T>(rows[I].var + off), xs,
                                                  vs);
            }(),
            ...);
    }
    (std::make_index_sequence<G>{});
    r.template store<true, !UnitW>(tb, o);
}

/// Add G inputs whose parts share one bbox to the tile buffers: the buffers are loaded and stored once per G
/// inputs, the inputs are added in order in registers (the same per-pixel operation sequence as one at a time).
/// `ox, oy`: the parts' offset inside the tile. UnitW: Σw is not accumulated (TileBuffers::sw_is_cnt).
template <class T, Accumulate Kind, std::size_t G, bool UnitW, bool UnitS>
void accumulate_group_as(TileBuffers<T>& tb, MaskedImageView<T const> const* parts, std::size_t const* ks,
                         std::size_t ox, std::size_t oy, StackPlan<T> const& plan, MaskedImageView<T const> const* next,
                         std::size_t n_next) {
    using B = batch_t<T>;
    constexpr std::size_t L = lanes_v<T>;
    InputConsts<T> c[G];
    for (std::size_t g = 0; g < G; ++g) {
        T const w = plan.weight[ks[g]];
        c[g] = {B(plan.scale[ks[g]]), B(plan.scale2[ks[g]]), B(w), B(w * w)};
    }
    auto const width = static_cast<std::size_t>(parts[0].width());
    std::size_t const full = width / L * L;
    for (int y = 0; y < parts[0].height(); ++y) {
        PartRow<T> pr[G];
        for (std::size_t g = 0; g < G; ++g)
            pr[g] = {parts[g].image().row(y).data(), parts[g].mask().row(y).data(), parts[g].variance().row(y).data()};
        std::size_t const base = (oy + std::size_t(y)) * tb.stride + ox;
        // software prefetch, one line per stream a fixed distance ahead; near the row's end, of the next row
        constexpr std::size_t D = SKYSTACK_STACK_PREFETCH;
        std::size_t const split = width > D ? std::min(full, width - D) : 0;
        std::size_t x = 0;
        for (; x < split; x += L) {
#if defined(__GNUC__) || defined(__clang__)
            if constexpr (D > 0)
                if (x % (64 / sizeof(T)) == 0)
                    for (std::size_t g = 0; g < G; ++g) {
                        pr[g].prefetch(x + D);
                    }
#endif
            accumulate_step<T, Kind, G, UnitW, UnitS>(tb, plan, c, pr, x, base + x);
        }
        // the rows read next: this group's next row, or on its last row the first row of the next group
        PartRow<T> nr[G]{};
        std::size_t nn = 0, nwidth = 0;
        if (y + 1 < parts[0].height()) {
            nn = G;
            nwidth = width;
            for (std::size_t g = 0; g < G; ++g)
                nr[g] = {parts[g].image().row(y + 1).data(), parts[g].mask().row(y + 1).data(),
                         parts[g].variance().row(y + 1).data()};
        } else if (next != nullptr) {
            nn = std::min(G, n_next);
            nwidth = static_cast<std::size_t>(next[0].width());
            for (std::size_t g = 0; g < nn; ++g)
                nr[g] = {next[g].image().row(0).data(), next[g].mask().row(0).data(), next[g].variance().row(0).data()};
        }
        for (; x < full; x += L) {
#if defined(__GNUC__) || defined(__clang__)
            if (D > 0 && x % (64 / sizeof(T)) == 0) {
                std::size_t const nx = x + D - width;
                if (nx < nwidth)
                    for (std::size_t g = 0; g < nn; ++g) {
                        nr[g].prefetch(nx);
                    }
            }
#endif
            accumulate_step<T, Kind, G, UnitW, UnitS>(tb, plan, c, pr, x, base + x);
        }
        if (x < width) { // tail through padded temporaries: NaN values are never accepted and carry no bits
            PaddedTail<T, G, L> tail(pr, x, width);
            accumulate_step<T, Kind, G, UnitW, UnitS>(tb, plan, c, tail.rows, 0, base + x);
        }
    }
}

/// accumulate_group_as for the plan's weights and scales. Unit weights skip Σw only where the whole tile is
/// accumulated so (`tb.sw_is_cnt`); an OnlineStacker, whose later inputs are unknown, always keeps Σw.
/// `next`, `n_next`: the parts added after these (only prefetched), if any. Weighted = false: the caller
/// guarantees unit weights with `tb.sw_is_cnt` (an unweighted policy on Stacker), so only those kernels are built.
template <class T, Accumulate Kind, std::size_t G, bool Weighted = true>
void accumulate_group(TileBuffers<T>& tb, MaskedImageView<T const> const* parts, std::size_t const* ks, std::size_t ox,
                      std::size_t oy, StackPlan<T> const& plan, MaskedImageView<T const> const* next = nullptr,
                      std::size_t n_next = 0) {
    if constexpr (!Weighted) {
        if (plan.unit_scales)
            accumulate_group_as<T, Kind, G, true, true>(tb, parts, ks, ox, oy, plan, next, n_next);
        else
            accumulate_group_as<T, Kind, G, true, false>(tb, parts, ks, ox, oy, plan, next, n_next);
        return;
    }
    bool const unit_w = tb.sw_is_cnt;
    if (unit_w && plan.unit_scales)
        accumulate_group_as<T, Kind, G, true, true>(tb, parts, ks, ox, oy, plan, next, n_next);
    else if (unit_w)
        accumulate_group_as<T, Kind, G, true, false>(tb, parts, ks, ox, oy, plan, next, n_next);
    else if (plan.unit_scales)
        accumulate_group_as<T, Kind, G, false, true>(tb, parts, ks, ox, oy, plan, next, n_next);
    else
        accumulate_group_as<T, Kind, G, false, false>(tb, parts, ks, ox, oy, plan, next, n_next);
}

/// Add the parts of inputs `ks` (clipped to the tile; empty views are skipped) in order, grouping runs of
/// inputs with the same part bbox four or two at a time. Weighted = false: every weight is 1 (unweighted policy).
template <class T, Accumulate Kind, bool Weighted = true>
void accumulate_parts(TileBuffers<T>& tb, std::span<MaskedImageView<T const> const> parts, Box2I tile,
                      StackPlan<T> const& plan) {
    tb.sw_is_cnt = plan.unit_weights; // the tile is accumulated from scratch (reset) by these inputs only
    if constexpr (!Weighted) SKYSTACK_ASSERT(plan.unit_weights, "accumulate_parts: unweighted stack with weights");
    std::vector<std::size_t> ks;
    ks.reserve(parts.size());
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!parts[k].empty()) ks.push_back(k);
    MaskedImageView<T const> grp[8];
    std::size_t i = 0, g = 0;
    // group of the inputs from ks[j]: four, two or one with the same part bbox; copied to `dst`
    auto group_at = [&](std::size_t j, MaskedImageView<T const>* dst) {
        Box2I const b = parts[ks[j]].bbox();
        std::size_t run = 1;
        while (run < 4 && j + run < ks.size() && parts[ks[j + run]].bbox() == b) ++run;
        std::size_t const n = run == 4 ? 4 : run >= 2 ? 2 : 1;
        for (std::size_t q = 0; q < n; ++q) dst[q] = parts[ks[j + q]];
        return n;
    };
    if (!ks.empty()) g = group_at(0, grp);
    while (i < ks.size()) {
        std::size_t const gn = i + g < ks.size() ? group_at(i + g, grp + 4) : 0;
        MaskedImageView<T const> const* next = gn ? grp + 4 : nullptr;
        Box2I const b = grp[0].bbox();
        auto const ox = std::size_t(b.min_x() - tile.min_x());
        auto const oy = std::size_t(b.min_y() - tile.min_y());
        if (g == 4)
            accumulate_group<T, Kind, 4, Weighted>(tb, grp, &ks[i], ox, oy, plan, next, gn);
        else if (g == 2)
            accumulate_group<T, Kind, 2, Weighted>(tb, grp, &ks[i], ox, oy, plan, next, gn);
        else
            accumulate_group<T, Kind, 1, Weighted>(tb, grp, &ks[i], ox, oy, plan, next, gn);
        i += g;
        g = gn;
        for (std::size_t q = 0; q < gn; ++q) grp[q] = grp[4 + q];
    }
}

/// The rows a gather reads next (only prefetched): up to four inputs' row pointers, `width` pixels each.
template <class T>
struct NextRows {
    PartRow<T> rows[4]{};
    std::size_t n = 0, width = 0;
};

/// Sample path: add row `py` of the G parts (same bbox) of inputs `ks` to the one-row bookkeeping at offset
/// `ox` and write the scaled values (+inf where not accepted) to `vals + k·stride + ox` and, if NeedVar, the
/// scaled variances to `vars + k·stride + ox`. `next`: the rows gathered after these (prefetched near the row's end).
template <class T, bool NeedVar, std::size_t G>
void gather_group(TileBuffers<T>& tb, MaskedImageView<T const> const* parts, std::size_t const* ks, int py,
                  std::size_t ox, StackPlan<T> const& plan, T* vals, T* vars, std::size_t stride,
                  NextRows<T> const& next) {
    using B = batch_t<T>;
    constexpr std::size_t L = lanes_v<T>;
    InputConsts<T> c[G];
    PartRow<T> pr[G];
    for (std::size_t g = 0; g < G; ++g) {
        T const w = plan.weight[ks[g]];
        c[g] = {B(plan.scale[ks[g]]), B(plan.scale2[ks[g]]), B(w), B(w * w)};
        pr[g] = {parts[g].image().row(py).data(), parts[g].mask().row(py).data(), parts[g].variance().row(py).data()};
    }
    auto const width = static_cast<std::size_t>(parts[0].width());
    std::size_t const full = width / L * L;
    B const inf(std::numeric_limits<T>::infinity());
    std::size_t ko[G];
    for (std::size_t g = 0; g < G; ++g) ko[g] = ks[g] * stride + ox;
    auto step = [&](PartRow<T> const* rows, std::size_t off, std::size_t x) {
        Regs<T> r;
        r.template load<false>(tb, ox + x);
        [&]<std::size_t... I>(std::index_sequence<I...>) { // unrolled: inputs in order
            (
                (void)[&] {
                    B xs, vs;
                    auto const good = add_sample<T, Accumulate::none>(
                        r, tb, ox + x, plan, c[I], B::load_unaligned(rows[I].img + off),
                        load_mask<T>(rows[I].msk + off), load_as<T>(rows[I].var + off), xs, vs);
                    std::size_t const o = ko[I] + x;
                    xsimd::select(good, xs, inf).store_unaligned(vals + o);
                    if constexpr (NeedVar) vs.store_unaligned(vars + o);
                }(),
                ...);
        }
        (std::make_index_sequence<G>{});
        r.template store<false>(tb, ox + x);
    };
    // software prefetch, one line per stream a fixed distance ahead; near the row's end, of the rows read next
    constexpr std::size_t D = SKYSTACK_STACK_PREFETCH;
    std::size_t const split = width > D ? std::min(full, width - D) : 0;
    std::size_t x = 0;
    for (; x < split; x += L) {
#if defined(__GNUC__) || defined(__clang__)
        if constexpr (D > 0)
            if (x % (64 / sizeof(T)) == 0)
                for (std::size_t g = 0; g < G; ++g) {
                    pr[g].template prefetch<NeedVar>(x + D);
                }
#endif
        step(pr, x, x);
    }
    for (; x < full; x += L) {
#if defined(__GNUC__) || defined(__clang__)
        if (D > 0 && x % (64 / sizeof(T)) == 0) {
            std::size_t const nx = x + D - width;
            if (nx < next.width)
                for (std::size_t g = 0; g < next.n; ++g) {
                    next.rows[g].template prefetch<NeedVar>(nx);
                }
        }
#endif
        step(pr, x, x);
    }
    if (x < width) {
        PaddedTail<T, G, L> tail(pr, x, width);
        step(tail.rows, 0, x);
    }
}

/// The row pointers of row `py` of up to four parts, as NextRows.
template <class T>
NextRows<T> next_rows(MaskedImageView<T const> const* parts, std::size_t n, int py) noexcept {
    NextRows<T> r;
    r.n = std::min<std::size_t>(n, 4);
    r.width = r.n ? static_cast<std::size_t>(parts[0].width()) : 0;
    for (std::size_t g = 0; g < r.n; ++g)
        r.rows[g] = {parts[g].image().row(py).data(), parts[g].mask().row(py).data(),
                     parts[g].variance().row(py).data()};
    return r;
}

/// Sample path, one tile row `ty`: gather every input covering it, grouping inputs with the same part bbox.
/// Rows of inputs that do not cover the whole tile row are first filled with +inf. `after`: the rows gathered
/// after this tile row (prefetched near the end of its last group's row).
template <class T, bool NeedVar>
void gather_tile_row(TileBuffers<T>& tb, std::span<MaskedImageView<T const> const> parts, Box2I tile, int ty,
                     StackPlan<T> const& plan, T* vals, T* vars, std::size_t stride, NextRows<T> const& after = {}) {
    T const inf = std::numeric_limits<T>::infinity();
    auto const tw = std::size_t(tile.width());
    auto covers = [&](std::size_t k) {
        auto const& p = parts[k];
        if (p.empty()) return false;
        int const py = tile.min_y() + ty - p.bbox().min_y();
        return py >= 0 && py < p.height();
    };
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!covers(k) || std::size_t(parts[k].width()) != tw) std::fill_n(vals + k * stride, stride, inf);
    // group starting at input k (which covers the row): four, two or one with the same part bbox
    auto group_at = [&](std::size_t k) {
        Box2I const b = parts[k].bbox();
        std::size_t run = 1;
        while (run < 4 && k + run < parts.size() && covers(k + run) && parts[k + run].bbox() == b) ++run;
        return run == 4 ? std::size_t(4) : run >= 2 ? std::size_t(2) : std::size_t(1);
    };
    auto first_from = [&](std::size_t k) {
        while (k < parts.size() && !covers(k)) ++k;
        return k;
    };
    std::size_t ks[4];
    MaskedImageView<T const> grp[4];
    std::size_t k = first_from(0);
    while (k < parts.size()) {
        std::size_t const g = group_at(k);
        for (std::size_t j = 0; j < g; ++j) {
            ks[j] = k + j;
            grp[j] = parts[k + j];
        }
        Box2I const b = parts[k].bbox();
        int const py = tile.min_y() + ty - b.min_y();
        auto const ox = std::size_t(b.min_x() - tile.min_x());
        // the rows read next: the next group's row, or after the last group the caller's `after`
        std::size_t const kn = first_from(k + g);
        NextRows<T> nr;
        if (kn < parts.size()) {
            std::size_t const gn = group_at(kn);
            nr = next_rows<T>(&parts[kn], gn, tile.min_y() + ty - parts[kn].bbox().min_y());
        } else {
            nr = after;
        }
        if (g == 4)
            gather_group<T, NeedVar, 4>(tb, grp, ks, py, ox, plan, vals, vars, stride, nr);
        else if (g == 2)
            gather_group<T, NeedVar, 2>(tb, grp, ks, py, ox, plan, vals, vars, stride, nr);
        else
            gather_group<T, NeedVar, 1>(tb, grp, ks, py, ox, plan, vals, vars, stride, nr);
        k = kn;
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

/// Debiased weighted sample variance s² of the samples with w > 0 (afw; NaN for a single sample), plus Σw and Σw².
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
    // one sample (Σw² = (Σw)²): no scatter, NaN (not ±inf from a rounding residue in sdd)
    B const dof = sw * sw - sw2;
    B const s2 = xsimd::select(dof > B(0), (sdd / sw) * (sw * sw / dof),
                               B(std::numeric_limits<typename B::value_type>::quiet_NaN()));
    return {s2, sw, sw2};
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
        B const sw = B::load_aligned(tb.sw_data() + o + x);
        U const bits = U::load_aligned(tb.orm.data() + o + x) & U(UI(~plan.remove)); // removed planes cleared here
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
        // a NaN value (any policy's, user policies included) always carries NO_DATA (issue 16)
        mask = mask | (U(UI(plan.nodata)) & as_uint<T>(simd::bool_bits(xsimd::isnan(B::load_unaligned(value + x)))));
        if (!plan.map.empty()) {
            U const some_rejected = as_uint<T>(simd::bool_bits(n < nact));
            for (auto [from, to] : plan.map)
                mask = mask | (U(UI(to)) & some_rejected & simd::bool_bits((bits & U(UI(from))) != U(UI(0))));
        }
        B const val = xsimd::select(none, nan, B::load_unaligned(value + x));
        B const vv = xsimd::select(none, nan, B::load_unaligned(var + x));
        alignas(64) T tv[L], tvv[L], tn[L];
        alignas(64) UI tm[L];
        std::size_t const m = std::min(L, width - x);
        if constexpr (std::is_same_v<T, float> && std::is_same_v<UI, MaskPixel>) {
            if (m == L) { // a whole batch: straight to the output rows
                val.store_unaligned(out_img + x);
                vv.store_unaligned(out_var + x);
                mask.store_unaligned(out_msk + x);
                if (out_n) {
                    n.store_aligned(tn);
                    for (std::size_t l = 0; l < L; ++l) out_n[x + l] = static_cast<std::uint16_t>(tn[l]);
                }
                continue;
            }
        }
        val.store_aligned(tv);
        vv.store_aligned(tvv);
        mask.store_aligned(tm);
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
