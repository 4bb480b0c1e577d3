// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/image.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/simd/kernels.hpp>
#include <skystack/statistics/accumulators.hpp>
#include <skystack/statistics/clip.hpp>
#include <skystack/statistics/config.hpp>
#include <skystack/statistics/quantile.hpp>
#include <skystack/statistics/stat.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace skystack {

/// A value and its error (afw Statistics::Value). The error is NaN unless Stat::Errors was requested.
struct Measurement {
    double value = std::numeric_limits<double>::quiet_NaN();
    double error = std::numeric_limits<double>::quiet_NaN();
};

namespace detail {
struct StatisticsAccess;
}

/// The result of `statistics()`: one Measurement per requested flag (afw Statistics).
///
/// Asking for a flag that was not requested throws InvalidParameterError, as afw does.
class Statistics {
    friend struct detail::StatisticsAccess;
    static constexpr std::size_t nslots = 17;
    Stat m_flags = Stat::Nothing;
    std::array<Measurement, nslots> m_results{};
    MaskPixel m_ormask = 0;

    static constexpr std::size_t slot(Stat s) noexcept { return std::size_t(std::countr_zero(std::uint32_t(s))); }

public:
    Statistics() = default;

    /// The flags that were requested (Errors included if it was).
    [[nodiscard]] constexpr Stat flags() const noexcept { return m_flags; }
    /// True when the single flag `s` was requested (and so can be read).
    [[nodiscard]] constexpr bool has(Stat s) const noexcept {
        return is_single(s) && s != Stat::Errors && any_of(m_flags, s);
    }
    /// Value and error of flag `s` (afw getResult). With Stat::Nothing, the one flag requested besides Errors.
    /// @throws InvalidParameterError when `s` is not one flag, was not requested, or Nothing is ambiguous.
    [[nodiscard]] Measurement get(Stat s = Stat::Nothing) const {
        if (s == Stat::Nothing) {
            Stat const asked = m_flags & ~Stat::Errors;
            if (!is_single(asked))
                throw InvalidParameterError("Statistics::get: name the statistic; more (or less) than one was "
                                            "requested");
            s = asked;
        }
        if (!is_single(s))
            throw InvalidParameterError(detail::msg("Statistics::get: ask for one statistic at a time, got flags 0x",
                                                    std::hex, std::uint32_t(s)));
        if (!has(s))
            throw InvalidParameterError(
                detail::msg("Statistics::get: ", name(s), " was not requested from statistics()"));
        return m_results[slot(s)];
    }
    /// Value of flag `s` (afw getValue). @throws InvalidParameterError as get().
    [[nodiscard]] double value(Stat s = Stat::Nothing) const { return get(s).value; }
    /// Error of flag `s` (afw getError); NaN unless Stat::Errors was requested. @throws as get().
    [[nodiscard]] double error(Stat s = Stat::Nothing) const { return get(s).error; }
    /// The OR of the masks of accepted pixels plus propagated bits (afw getOrMask).
    /// @throws InvalidParameterError when Stat::OrMask was not requested.
    [[nodiscard]] MaskPixel or_mask() const {
        if (!has(Stat::OrMask)) throw InvalidParameterError("Statistics::or_mask: ORMASK was not requested");
        return m_ormask;
    }
};

namespace detail {

struct StatisticsAccess {
    static void set(Statistics& s, Stat f, double value, double error) {
        s.m_results[Statistics::slot(f)] = {value, error};
    }
    static void flags(Statistics& s, Stat f) { s.m_flags = f; }
    static void ormask(Statistics& s, MaskPixel m) { s.m_ormask = m; }
};

namespace statistics_impl {

/// Call f(std::bool_constant<b>...) for run-time bools, so that `if constexpr` removes dead tests from loops.
template <class F>
decltype(auto) with_bools(F&& f) {
    return f();
}
template <class F, class... Rest>
decltype(auto) with_bools(F&& f, bool b, Rest... rest) {
    if (b) return with_bools([&](auto... c) -> decltype(auto) { return f(std::true_type{}, c...); }, rest...);
    return with_bools([&](auto... c) -> decltype(auto) { return f(std::false_type{}, c...); }, rest...);
}

struct NoWeights {};

/// The planes statistics() reads. Masked: mask and variance present. W: per-pixel weight type, or NoWeights.
template <class T, bool Masked, class W>
struct Source {
    ImageView<T const> img;
    ImageView<MaskPixel const> mask{};
    ImageView<VariancePixel const> var{};
    ImageView<std::conditional_t<std::is_same_v<W, NoWeights>, T, W> const> w{};
    static constexpr bool weighted = !std::is_same_v<W, NoWeights>;
    using weight_type = std::conditional_t<weighted, W, T>;

    [[nodiscard]] bool contiguous() const noexcept {
        bool ok = img.is_contiguous();
        if constexpr (Masked) ok = ok && mask.is_contiguous() && var.is_contiguous();
        if constexpr (weighted) ok = ok && w.is_contiguous();
        return ok;
    }
    /// Call f(x, m, v, w, n) for each row, or once for the whole image when every plane is contiguous.
    template <class F>
    void for_rows(F&& f) const {
        int const h = img.height();
        std::size_t const width = static_cast<std::size_t>(img.width());
        auto rowp = [](auto const& view, int y) { return view.data() + std::ptrdiff_t(y) * view.row_stride(); };
        if (contiguous()) {
            f(img.data(), Masked ? mask.data() : nullptr, Masked ? var.data() : nullptr, weighted ? w.data() : nullptr,
              width * std::size_t(h));
            return;
        }
        for (int y = 0; y < h; ++y)
            f(rowp(img, y), Masked ? rowp(mask, y) : nullptr, Masked ? rowp(var, y) : nullptr,
              weighted ? rowp(w, y) : nullptr, width);
    }
};

/// A robust shift for the sums: the median of a few pixels sampled over the image (afw uses a crude mean).
template <class T, bool Masked, class W>
double crude_center(Source<T, Masked, W> const& s, StatisticsConfig const& cfg) {
    std::vector<T> sample;
    int const h = s.img.height(), wd = s.img.width();
    int const rows = std::min(h, 32);
    int const run = std::min(wd, 32);
    sample.reserve(std::size_t(rows) * std::size_t(run));
    for (int r = 0; r < rows; ++r) {
        int const y = int((long long)(r)*h / rows);
        int const x0 = (wd - run) / 2;
        for (int x = x0; x < x0 + run; ++x) {
            T const v = s.img(x, y);
            if constexpr (std::is_floating_point_v<T>)
                if (!std::isfinite(v)) continue;
            if constexpr (Masked)
                if ((s.mask(x, y) & cfg.bad_mask) != 0) continue;
            sample.push_back(v);
        }
    }
    if (sample.empty()) return 0.0;
    auto mid = sample.begin() + std::ptrdiff_t(sample.size() / 2);
    std::nth_element(sample.begin(), mid, sample.end());
    return static_cast<double>(*mid);
}

/// One pass of sums over the source with compile-time options O.
template <simd::MomentsOptions O, class T, bool Masked, class W>
simd::Moments run_pass(Source<T, Masked, W> const& s, simd::MomentsParams<T> const& p) {
    simd::Moments acc;
    s.for_rows([&](T const* x, MaskPixel const* m, VariancePixel const* v, auto const* w, std::size_t n) {
        simd::accumulate_moments<O>(x, m, v, w, n, p, acc);
    });
    return acc;
}

/// The standard (unclipped) or a clipped pass, options chosen once from run-time knobs.
template <class T, bool Masked, class W>
PassResult moments_pass(Source<T, Masked, W> const& s, StatisticsConfig const& cfg, bool extras, bool inverse_var,
                        bool variance_error, bool clip, ClipWindow window, T shift) {
    simd::MomentsParams<T> p;
    p.shift = shift;
    p.bad = cfg.bad_mask;
    if (clip) std::tie(p.lo, p.hi) = pixel_window<T>(window);
    bool const weighted = Source<T, Masked, W>::weighted || inverse_var;
    simd::Moments const m = with_bools(
        [&](auto nan_safe, auto ext, auto inv, auto varerr, auto clp) {
            constexpr simd::Weighting wt = Source<T, Masked, W>::weighted     ? simd::Weighting::multiply
                                           : (Masked && decltype(inv)::value) ? simd::Weighting::inverse_variance
                                                                              : simd::Weighting::none;
            constexpr simd::MomentsOptions O{.nan_safe = decltype(nan_safe)::value && std::is_floating_point_v<T>,
                                             .masked = Masked,
                                             .clip = decltype(clp)::value,
                                             .minmax = decltype(ext)::value && !decltype(clp)::value,
                                             .ormask = Masked && decltype(ext)::value && !decltype(clp)::value,
                                             .weighting = wt,
                                             .variance_error = Masked && decltype(varerr)::value};
            return run_pass<O>(s, p);
        },
        cfg.nan_safe, extras && !clip, inverse_var && Masked, variance_error && Masked, clip);
    return finish_pass(m, static_cast<double>(shift), weighted, variance_error);
}

/// afw mask propagation (data-model.md 5.4): for each bit b with threshold t_b < 1, R_b = sum of weights of
/// rejected (non-finite or masked) pixels carrying b; b joins the OR mask when R_b / (sum w + R_b) > t_b.
template <class T, bool Masked, class W>
MaskPixel propagated_bits(Source<T, Masked, W> const& s, StatisticsConfig const& cfg, bool inverse_var,
                          double sumw_accepted) {
    if constexpr (!Masked) {
        return 0;
    } else {
        std::array<double, 32> rejected{};
        s.for_rows([&](T const* x, MaskPixel const* m, VariancePixel const* v, auto const* w, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) {
                bool finite = true;
                if constexpr (std::is_floating_point_v<T>) finite = !cfg.nan_safe || std::isfinite(x[i]);
                if (finite && (m[i] & cfg.bad_mask) == 0) continue; // accepted
                if (m[i] == 0) continue;
                double wt = 1.0;
                if constexpr (Source<T, Masked, W>::weighted)
                    wt = static_cast<double>(w[i]);
                else if (inverse_var) {
                    if (!(v[i] > 0)) continue;
                    wt = 1.0 / static_cast<double>(v[i]);
                }
                for (int b = 0; b < 32; ++b)
                    if (m[i] & (MaskPixel(1) << b)) rejected[std::size_t(b)] += wt;
            }
        });
        MaskPixel bits = 0;
        for (std::size_t b = 0; b < 32; ++b) {
            double const t = cfg.mask_propagation_thresholds[b];
            if (t >= 1.0) continue;
            double const f = rejected[b] / (sumw_accepted + rejected[b]);
            if (f > t) bits |= MaskPixel(1) << b;
        }
        return bits;
    }
}

/// Copy accepted pixels (finite when nan_safe, unmasked) into a vector.
template <class T, bool Masked, class W>
std::vector<T> accepted_copy(Source<T, Masked, W> const& s, StatisticsConfig const& cfg) {
    std::vector<T> out(static_cast<std::size_t>(s.img.width()) * static_cast<std::size_t>(s.img.height()));
    std::size_t k = 0;
    bool const nan_safe = cfg.nan_safe && std::is_floating_point_v<T>;
    s.for_rows([&](T const* x, MaskPixel const* m, VariancePixel const*, auto const*, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            bool ok = true;
            if constexpr (std::is_floating_point_v<T>) ok = !nan_safe || std::isfinite(x[i]);
            if constexpr (Masked) ok = ok && (m[i] & cfg.bad_mask) == 0;
            out[k] = x[i];
            k += ok ? 1 : 0; // branch-free append
        }
    });
    out.resize(k);
    return out;
}

/// Order statistics at the given fractions (ascending), afw interpolation, over accepted pixels; also returns N.
/// Large images: a sample of ~128k pixels brackets each wanted rank, one streaming pass counts the pixels below
/// each bracket and copies those inside, and only those are selected; any miss falls back to a full copy.
template <class T, bool Masked, class W>
std::pair<std::array<double, 3>, std::size_t>
order_statistics(Source<T, Masked, W> const& s, StatisticsConfig const& cfg, std::span<double const> fractions) {
    std::array<double, 3> out{};
    std::size_t const npix = static_cast<std::size_t>(s.img.width()) * static_cast<std::size_t>(s.img.height());
    bool const nan_safe = cfg.nan_safe || !std::is_floating_point_v<T>;
    auto from_copy = [&] {
        std::vector<T> v = accepted_copy(s, cfg);
        std::size_t const n = v.size();
        if (fractions.size() == 1)
            out[0] = quantile(std::span<T>(v), fractions[0]);
        else {
            Quartiles const q = quartiles(std::span<T>(v));
            out = {q.q25, q.median, q.q75};
        }
        return std::pair{out, n};
    };
    constexpr std::size_t min_fast = std::size_t(1) << 17;
    if (!nan_safe || npix < min_fast) return from_copy();

    // 1. a sample: contiguous runs from up to 128 rows spread over the image
    std::vector<T> sample;
    {
        int const h = s.img.height(), wd = s.img.width();
        int const rows = std::min(h, 128);
        int const run = std::min(wd, std::max(1, int(131072 / rows)));
        sample.reserve(std::size_t(rows) * std::size_t(run));
        for (int r = 0; r < rows; ++r) {
            int const y = int((long long)(r)*h / rows);
            double const phase = std::fmod(0.6180339887498949 * r, 1.0);
            int const x0 = int(phase * double(wd - run));
            T const* x = s.img.data() + std::ptrdiff_t(y) * s.img.row_stride();
            MaskPixel const* m = Masked ? s.mask.data() + std::ptrdiff_t(y) * s.mask.row_stride() : nullptr;
            for (int i = x0; i < x0 + run; ++i) {
                if constexpr (std::is_floating_point_v<T>)
                    if (!std::isfinite(x[i])) continue;
                if constexpr (Masked)
                    if ((m[i] & cfg.bad_mask) != 0) continue;
                sample.push_back(x[i]);
            }
        }
    }
    std::size_t const ms = sample.size();
    if (ms < 4096) return from_copy();

    // 2. brackets [sample rank of p - delta, p + delta] around each fraction, merged where they overlap
    std::array<std::size_t, 6> sranks{};
    std::size_t nsr = 0;
    for (double p : fractions) {
        double const delta = 3.5 * std::sqrt(p * (1.0 - p) / double(ms)) + 4.0 / double(ms);
        double const a = std::max(0.0, (p - delta) * double(ms - 1)),
                     b = std::min(double(ms - 1), (p + delta) * double(ms - 1));
        sranks[nsr++] = std::size_t(std::floor(a));
        sranks[nsr++] = std::size_t(std::ceil(b));
    }
    std::array<std::size_t, 6> sorted = sranks;
    std::sort(sorted.begin(), sorted.begin() + std::ptrdiff_t(nsr));
    std::size_t const nu =
        std::size_t(std::unique(sorted.begin(), sorted.begin() + std::ptrdiff_t(nsr)) - sorted.begin());
    select_ranks(std::span<T>(sample), std::span<std::size_t const>(sorted.data(), nu), std::less<T>{});
    T lo[3], hi[3];
    int nwin = 0;
    for (std::size_t j = 0; j < fractions.size(); ++j) {
        T const l = (sranks[2 * j] == 0) ? std::numeric_limits<T>::lowest() : sample[sranks[2 * j]];
        T const u = (sranks[2 * j + 1] == ms - 1) ? std::numeric_limits<T>::max() : sample[sranks[2 * j + 1]];
        if (nwin > 0 && l <= hi[nwin - 1])
            hi[nwin - 1] = std::max(hi[nwin - 1], u);
        else {
            lo[nwin] = l;
            hi[nwin] = u;
            ++nwin;
        }
    }

    // 3. one streaming pass: counts below each window, copies inside
    std::size_t below[3] = {0, 0, 0}, total = 0;
    std::vector<T> inside[3];
    for (int j = 0; j < nwin; ++j) inside[j].reserve(std::size_t(double(npix) * 10.0 / std::sqrt(double(ms))) + 64);
    s.for_rows([&](T const* x, MaskPixel const* m, VariancePixel const*, auto const*, std::size_t n) {
        simd::window_collect<T, true, Masked>(x, m, n, cfg.bad_mask, nwin, lo, hi, below, inside, total);
    });

    // 4. every wanted rank must fall in a window; select it there
    if (total == 0) {
        out.fill(std::numeric_limits<double>::quiet_NaN());
        return {out, 0};
    }
    std::array<std::size_t, 6> local[3];
    std::size_t nlocal[3] = {0, 0, 0};
    std::array<int, 6> win_of{};
    std::array<std::size_t, 6> rank_of{};
    std::size_t nr = 0;
    for (double p : fractions) {
        QuantileIndex const q = quantile_index(p, total);
        for (std::size_t r : {q.lo, std::min(q.lo + 1, total - 1)}) {
            int found = -1;
            for (int j = 0; j < nwin; ++j)
                if (r >= below[j] && r < below[j] + inside[j].size()) found = j;
            if (found < 0) return from_copy();
            win_of[nr] = found;
            rank_of[nr] = r - below[found];
            local[found][nlocal[found]++] = r - below[found];
            ++nr;
        }
    }
    for (int j = 0; j < nwin; ++j) {
        auto& l = local[j];
        std::sort(l.begin(), l.begin() + std::ptrdiff_t(nlocal[j]));
        std::size_t const u = std::size_t(std::unique(l.begin(), l.begin() + std::ptrdiff_t(nlocal[j])) - l.begin());
        select_ranks(std::span<T>(inside[j]), std::span<std::size_t const>(l.data(), u), std::less<T>{});
    }
    for (std::size_t k = 0; k < fractions.size(); ++k) {
        QuantileIndex const q = quantile_index(fractions[k], total);
        double const a = double(inside[win_of[2 * k]][rank_of[2 * k]]);
        double const b = double(inside[win_of[2 * k + 1]][rank_of[2 * k + 1]]);
        out[k] = (q.frac == 0.0 || total == 1) ? a : (1.0 - q.frac) * a + q.frac * b;
    }
    return {out, total};
}

template <class T, bool Masked, class W>
Statistics compute(Source<T, Masked, W> const& s, Stat flags, StatisticsConfig const& cfg, double scalar_weight) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    cfg.validate();
    if ((std::uint32_t(flags) & ~0x1ffffu) != 0)
        throw InvalidParameterError(
            detail::msg("statistics: unknown flag bits 0x", std::hex, std::uint32_t(flags) & ~0x1ffffu));
    if (s.img.width() <= 0 || s.img.height() <= 0) throw InvalidParameterError("statistics: image contains no pixels");
    if (cfg.error_from_input_variance && !Masked)
        throw InvalidParameterError("statistics: error_from_input_variance needs a masked image (variance plane)");
    if (cfg.weighted && !Masked && !Source<T, Masked, W>::weighted)
        throw InvalidParameterError("statistics: weighted needs a masked image (1/variance) or explicit weights");

    bool const errors = any_of(flags, Stat::Errors);
    bool const inverse_var = Masked && cfg.weighted && !Source<T, Masked, W>::weighted;
    constexpr Stat clip_flags = Stat::MeanClip | Stat::StdevClip | Stat::VarianceClip | Stat::NClipped;
    constexpr Stat quantile_flags = Stat::Median | Stat::IqRange;
    bool const want_clip = any_of(flags, clip_flags);
    bool const want_quant = any_of(flags, quantile_flags) || want_clip;
    bool const want_standard =
        any_of(flags, ~(quantile_flags | Stat::Errors)) || (errors && any_of(flags, Stat::Median));
    bool const extras = any_of(flags, Stat::Min | Stat::Max | Stat::OrMask);
    bool const variance_error = cfg.error_from_input_variance && errors;
    std::size_t const npix = static_cast<std::size_t>(s.img.width()) * static_cast<std::size_t>(s.img.height());

    Statistics out;
    StatisticsAccess::flags(out, flags);
    auto set = [&](Stat f, double v, double e) {
        if (any_of(flags, f)) StatisticsAccess::set(out, f, v, errors ? e : nan);
    };

    T shift{};
    PassResult st;
    if (want_standard || want_clip) {
        double const c = crude_center(s, cfg);
        shift = std::is_floating_point_v<T> ? static_cast<T>(c) : static_cast<T>(std::llround(c));
        st = moments_pass(s, cfg, extras, inverse_var, variance_error, false, ClipWindow{}, shift);
        double const n = st.n;
        double const sum = st.sum * scalar_weight;
        set(Stat::NPoint, n, 0.0);
        set(Stat::Sum, sum, 0.0);
        set(Stat::Mean, st.mean, std::sqrt(st.mean_var));
        set(Stat::Variance, st.variance, std::sqrt(st.variance_var));
        double const stdev = std::sqrt(st.variance);
        set(Stat::Stdev, stdev, 0.5 * std::sqrt(st.variance_var) / stdev);
        double const ms = (n - 1.0) / n * st.variance + st.mean * st.mean;
        set(Stat::MeanSquare, ms, std::sqrt(2.0 * (ms / n) * (ms / n)));
        set(Stat::Min, st.min, 0.0);
        set(Stat::Max, st.max, 0.0);
        set(Stat::NMasked, double(npix) - n, 0.0);
        if (any_of(flags, Stat::OrMask)) {
            MaskPixel om = st.ormask;
            if (Masked && cfg.propagates_masks()) om |= propagated_bits(s, cfg, inverse_var, st.sumw);
            StatisticsAccess::ormask(out, om);
            set(Stat::OrMask, double(om), 0.0);
        }
    }
    if (want_quant) {
        bool const need_quartiles = any_of(flags, Stat::IqRange) || want_clip;
        static constexpr double median_only[1] = {0.5};
        static constexpr double three[3] = {0.25, 0.5, 0.75};
        std::span<double const> fr =
            need_quartiles ? std::span<double const>(three) : std::span<double const>(median_only);
        auto const [q, nq] = order_statistics(s, cfg, fr);
        double const med = need_quartiles ? q[1] : q[0];
        double const iqr = need_quartiles ? q[2] - q[0] : nan;
        set(Stat::Median, med, std::sqrt(std::numbers::pi / 2.0 * st.variance / st.n));
        set(Stat::IqRange, iqr, nan);
        if (want_clip) {
            ClipResult const cr = iterate_clip(med, iqr, st.n, cfg, [&](ClipWindow w) {
                return moments_pass(s, cfg, false, inverse_var, variance_error, true, w, shift);
            });
            PassResult const& c = cr.last;
            set(Stat::MeanClip, c.mean, std::sqrt(c.mean_var));
            double const vc = c.variance, vvc = variance_error2(vc, c.n);
            set(Stat::VarianceClip, vc, std::sqrt(vvc));
            double const sc = std::sqrt(vc);
            set(Stat::StdevClip, sc, 0.5 * std::sqrt(vvc) / sc);
            set(Stat::NClipped, st.n - c.n, 0.0);
        }
        (void)nq;
    }
    return out;
}

template <class T>
auto as_source(ImageView<T> v) {
    return Source<std::remove_const_t<T>, false, NoWeights>{ImageView<std::remove_const_t<T> const>(v)};
}
template <class T>
auto as_source(Image<T> const& img) {
    return as_source(img.cview());
}
template <class T, class V>
auto as_source(MaskedImageView<T, V> const& mi) {
    static_assert(std::is_same_v<std::remove_const_t<V>, VariancePixel>,
                  "statistics(): the variance plane must hold VariancePixel (float)");
    using P = std::remove_const_t<T>;
    Source<P, true, NoWeights> s{ImageView<P const>(mi.image())};
    s.mask = ImageView<MaskPixel const>(mi.mask());
    s.var = ImageView<VariancePixel const>(mi.variance());
    return s;
}
template <class T, class V>
auto as_source(MaskedImage<T, V> const& mi) {
    return as_source(mi.cview());
}

template <class W>
auto as_weights(ImageView<W> v) {
    return ImageView<std::remove_const_t<W> const>(v);
}
template <class W>
auto as_weights(Image<W> const& img) {
    return img.cview();
}

} // namespace statistics_impl
} // namespace detail

/// An image statistics() accepts: Image, ImageView, MaskedImage or MaskedImageView of any pixel type.
template <class I>
concept StatisticsInput = requires(I const& i) {
    detail::statistics_impl::as_source(i);
};

/// A per-pixel weight image statistics() accepts: Image<W> or ImageView<W>.
template <class W>
concept StatisticsWeights = requires(W const& w) {
    detail::statistics_impl::as_weights(w);
};

/// Compute the requested statistics of an image, exactly as afw's makeStatistics (data-model.md section 5).
///
/// A pixel is accepted when it is finite (cfg.nan_safe), has no bit of cfg.bad_mask (masked images) and, when
/// weighting by 1/variance (cfg.weighted), has a positive variance. Median and quartiles are unweighted; the
/// means, variances and sums are weighted when weights are used. No accepted pixel gives NaN values and
/// NPoint = 0 (not an error).
/// @param img     Image, ImageView, MaskedImage or MaskedImageView (const or not)
/// @param flags   what to compute, e.g. `Stat::Mean | Stat::Stdev | Stat::Errors`
/// @param cfg     clipping, masking, NaN and weighting knobs (afw StatisticsControl defaults)
/// @throws InvalidParameterError for an image without pixels, an invalid cfg, unknown flag bits, or
///         error_from_input_variance / weighted without a variance plane.
template <StatisticsInput I>
Statistics statistics(I const& img, Stat flags, StatisticsConfig const& cfg = {}) {
    auto const s = detail::statistics_impl::as_source(img);
    return detail::statistics_impl::compute(s, flags, cfg, 1.0);
}

/// Statistics with per-pixel weights (afw makeStatistics(img, weights, ...), "multiplicative" weights): mean
/// = sum(w x)/sum(w), variance debiased with sum(w)^2 / (sum(w)^2 - sum(w^2)), Sum = sum(w x). Weights are used
/// whatever cfg.weighted says. @throws LengthError when the weight image's size differs from the image's.
template <StatisticsInput I, StatisticsWeights Wt>
Statistics statistics(I const& img, Wt const& weights, Stat flags, StatisticsConfig const& cfg = {}) {
    using namespace detail::statistics_impl;
    auto const s = as_source(img);
    auto const w = as_weights(weights);
    using S = std::remove_const_t<decltype(s)>;
    using T = std::remove_const_t<typename decltype(s.img)::element_type>;
    using W = typename decltype(w)::value_type;
    constexpr bool masked = std::is_same_v<S, Source<T, true, NoWeights>>;
    if (w.dimensions() != s.img.dimensions())
        throw LengthError(detail::msg("statistics: weight image dimensions ", w.dimensions(), " differ from image ",
                                      s.img.dimensions()));
    Source<T, masked, W> sw{s.img, s.mask, s.var, w};
    return compute(sw, flags, cfg, 1.0);
}

/// Statistics with one weight for every pixel (a per-image weight): only Sum changes (it is weight * sum x);
/// means, variances and errors are those of the unweighted case, as afw's formulas give for equal weights.
/// @throws InvalidParameterError when the weight is not finite and > 0.
template <StatisticsInput I, class Wt>
requires std::is_arithmetic_v<Wt> Statistics statistics(I const& img, Wt weight, Stat flags,
                                                        StatisticsConfig const& cfg = {}) {
    double const w = static_cast<double>(weight);
    if (!(w > 0.0) || !std::isfinite(w))
        throw InvalidParameterError(detail::msg("statistics: the image weight must be finite and > 0, got ", w));
    auto const s = detail::statistics_impl::as_source(img);
    return detail::statistics_impl::compute(s, flags, cfg, w);
}

} // namespace skystack
