// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/detail/kernels.hpp>
#include <skystack/stack/policies.hpp>
#include <skystack/statistics/statistics.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <numbers>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace skystack {

/// Feeds one input's pixels per tile, so that a stack larger than memory can be assembled: called as
/// `reader(k, tile)` it returns input k's pixels inside `tile` (any sub-box of it; an empty MaskedImage when the
/// input does not cover the tile). Calls are serialised by the stacker (one at a time), in no fixed order.
template <class T>
using TileReader = std::function<MaskedImage<T>(std::size_t input, Box2I tile)>;

/// afw MEANCLIP (AssembleCoadd's default statistic): the weighted mean of the samples that survive SigmaClip.
/// `Stacker<ClippedMean>` is `Stacker<WeightedMean, SigmaClip>` under a name of its own.
struct ClippedMean : WeightedMean {
    static constexpr std::string_view name = "meanclip";
    using default_reject = SigmaClip;
};

namespace detail {
template <class C>
struct default_reject {
    using type = NoReject;
};
template <class C>
requires requires { typename C::default_reject; }
struct default_reject<C> {
    using type = typename C::default_reject;
};

/// AssembleCoadd's input weight: 1 / MEANCLIP of the input's variance plane (pixels with `bad` bits skipped,
/// NaN-safe, unweighted), scaled by s²; computed with skystack::statistics on a masked view whose image is the
/// variance plane. Returns NaN when no pixel is accepted.
template <class T>
double mean_clip_variance(MaskedImageView<T const> v, MaskPixel bad, ClipParams p, double scale2) {
    MaskedImageView<float const> const var_as_image(v.variance(), ConstMaskView(v.mask()), v.variance());
    StatisticsConfig sc;
    sc.nsigma = p.nsigma;
    sc.max_iter = p.max_iter;
    sc.bad_mask = bad;
    return statistics(var_as_image, Stat::MeanClip, sc).value(Stat::MeanClip) * scale2;
}

template <class T>
struct ThreadScratch {
    TileBuffers<T> tb;
    AlignedBuffer<T> vals, vars, rvalue, rvar, rnclip;
    std::vector<batch_t<T>> colv, colw, colvar, scratch;
    std::vector<T> sv, sw, svar;
    std::vector<double> msw, msw2, mswd, mswdd, mref; ///< scatter moments of the accumulating engine, per tile pixel
    std::vector<MaskedImageView<T const>> parts, chunk_parts;
    std::vector<MaskedImage<T>> owned;
};

/// Resolve a config against a mask registry: bits looked up once, output planes (CLIPPED, REJECTED,
/// SENSOR_EDGE) added to the registry when the config asks for them. Weights and scales are left empty.
template <class T>
StackPlan<T> make_plan(StackConfig const& cfg, MaskPlanes& reg) {
    StackPlan<T> plan;
    plan.bad = cfg.bad_mask | reg.bit_mask(std::span<std::string const>(cfg.bad_mask_planes));
    for (auto const& r : cfg.remove_mask_planes)
        if (auto i = reg.find(r)) plan.remove |= MaskPixel(1) << *i;
    plan.nodata = reg.bit_mask("NO_DATA");
    if (cfg.record_clipped || cfg.rejected_mask_mapping) plan.clipped = MaskPixel(1) << reg.add("CLIPPED");
    if (cfg.mask_propagation_thresholds.size() > max_thresholds)
        throw InvalidParameterError(detail::msg("stack: at most ", max_thresholds,
                                                " mask propagation thresholds are supported, got ",
                                                cfg.mask_propagation_thresholds.size()));
    for (auto const& [name, t] : cfg.mask_propagation_thresholds) {
        plan.thr_bits.push_back(reg.bit_mask(name));
        plan.thr.push_back(T(t));
    }
    if (cfg.rejected_mask_mapping) {
        MaskPixel const rejected = MaskPixel(1) << reg.add("REJECTED", "coadd: a bad input pixel was rejected");
        MaskPixel const sensor_edge = MaskPixel(1)
                                      << reg.add("SENSOR_EDGE", "coadd: an input's sensor edge was rejected");
        auto const edge = reg.find("EDGE");
        MaskPixel const e = edge ? MaskPixel(1) << *edge : 0;
        MaskPixel const to_reject = plan.bad & ~plan.nodata & ~e & ~plan.clipped;
        if (to_reject) plan.map.emplace_back(to_reject, rejected);
        if (e) plan.map.emplace_back(e, sensor_edge);
        plan.map.emplace_back(plan.clipped, plan.clipped);
    }
    plan.record_clipped = cfg.record_clipped;
    plan.scatter = cfg.variance == VarianceSource::scatter;
    plan.clip = cfg.clip;
    return plan;
}

/// Value and variance of one row of accumulated pixels (mean: Σwx/Σw and Σw²V/(Σw)²; sum: Σwx, Σw²V;
/// min/max: the selected value and its variance).
template <class T, Accumulate Kind, ErrorModel Error>
void accumulated_row(TileBuffers<T> const& tb, std::size_t o, std::size_t width, T* value, T* var) noexcept {
    using B = batch_t<T>;
    for (std::size_t x = 0; x < width; x += lanes_v<T>) {
        B const a0 = B::load_aligned(tb.a0.data() + o + x);
        B const a2 = B::load_aligned(tb.a2.data() + o + x);
        if constexpr (Kind == Accumulate::weighted_sum && Error != ErrorModel::sum) {
            B const sw = B::load_aligned(tb.sw_data() + o + x);
            (a0 / sw).store_aligned(value + x);
            (a2 / (sw * sw)).store_aligned(var + x);
        } else {
            a0.store_aligned(value + x);
            a2.store_aligned(var + x);
        }
    }
}

inline std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }
} // namespace detail

/// The coadd engine (afw statisticsStack + AssembleCoadd's subregion loop): combines N aligned masked images into
/// one with the statistic `Combine` after the optional rejection `Reject`, tile by tile.
///
/// Per output pixel, an input sample is accepted when it has none of the bad mask planes and a finite value;
/// weights and scale factors come from the StackConfig. The output mask follows afw: OR of the accepted
/// samples' masks, planes whose rejected-weight fraction exceeds their threshold, CLIPPED where rejection removed
/// a sample, the rejected-mask mapping, and NO_DATA (with NaN image and variance) where no sample is accepted.
///
/// Two engines, chosen at compile time from the policies only: policies that accumulate (Mean, WeightedMean, Sum,
/// Min, Max without rejection; a scatter variance from moments kept in double) are summed frame by frame into tile
/// buffers; the others get
/// all samples of a row of pixels at once (Median, rejection, user policies). Both are vectorised along x when
/// the policies have a batch path. Every per-pixel sum runs in input order, so results are bit-identical for any
/// tile size and thread count.
///
/// @tparam Combine a combine policy (ScalarCombine; optionally BatchCombine and `accumulate`)
/// @tparam Reject a rejection policy (NoReject, SigmaClip, or a ScalarReject/BatchReject user type)
template <class Combine, class Reject = typename detail::default_reject<Combine>::type>
class Stacker {
    static_assert(ScalarCombine<Combine, float> || ScalarCombine<Combine, double>,
                  "a combine policy needs at least `T scalar(std::span<T> v, std::span<T const> w) const`");
    [[no_unique_address]] Combine m_combine{};
    [[no_unique_address]] Reject m_reject{};
    StackConfig m_cfg{};

    static constexpr bool rejects = !std::is_same_v<Reject, NoReject>;
    static constexpr Accumulate kind = detail::accumulate_of<Combine>();
    static constexpr ErrorModel error = detail::error_model_of<Combine>();
    static constexpr bool weighted = detail::weighted_of<Combine>();

public:
    using combine_type = Combine;
    using reject_type = Reject;

    Stacker() = default;
    /// @throws InvalidParameterError when the config does not validate.
    explicit Stacker(StackConfig cfg, Combine c = {}, Reject r = {})
        : m_combine(c), m_reject(r), m_cfg(std::move(cfg)) {
        m_cfg.validate();
    }
    [[nodiscard]] StackConfig const& config() const noexcept { return m_cfg; }

    /// Stack `inputs` over `bbox` (inputs are clipped to it; each must overlap it).
    /// @throws InvalidParameterError for an empty stack, an empty bbox, an input that does not overlap bbox,
    /// masks with different plane layouts, or bad weights/scales (negative, NaN, wrong count).
    template <class T>
    StackResult<T> operator()(std::span<MaskedImageView<T const> const> inputs, Box2I bbox) const {
        return stack_views<T>(inputs, bbox, nullptr, {});
    }

    /// Stack into an existing output, e.g. a sub-box of a patch coadd, without allocating: `out.bbox()` is the
    /// output bbox; `nimage`, when not empty, must have the same bbox. @returns the weight used per input.
    /// @throws as operator(), and LengthError when nimage's bbox differs from out's.
    template <class T>
    std::vector<double> into(std::span<MaskedImageView<T const> const> inputs, MaskedImageView<T> out,
                             ImageView<std::uint16_t> nimage = {}) const {
        if (!nimage.empty() && nimage.bbox() != out.bbox())
            throw LengthError(
                detail::msg("stack: nImage bbox ", nimage.bbox(), " differs from the output bbox ", out.bbox()));
        return stack_views<T>(inputs, out.bbox(), &out, nimage).weights;
    }
    template <class T>
    std::vector<double> into(std::vector<MaskedImageView<T const>> const& inputs, MaskedImageView<T> out,
                             ImageView<std::uint16_t> nimage = {}) const {
        return into<T>(std::span<MaskedImageView<T const> const>(inputs), out, nimage);
    }

private:
    template <class T>
    StackResult<T> stack_views(std::span<MaskedImageView<T const> const> inputs, Box2I bbox,
                               MaskedImageView<T> const* into_out, ImageView<std::uint16_t> into_n) const {
        static_assert(std::is_floating_point_v<T>, "Stacker: pixel type must be float or double");
        if (inputs.empty()) throw InvalidParameterError("stack: no inputs (empty stack)");
        check_bbox(bbox);
        MaskPlanes& planes = inputs[0].mask().planes();
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            if (inputs[k].empty() || !inputs[k].bbox().overlaps(bbox))
                throw InvalidParameterError(detail::msg("stack: input ", k, " with bbox ", inputs[k].bbox(),
                                                        " does not overlap the output bbox ", bbox));
            if (!inputs[k].mask().planes().same_layout(planes))
                throw InvalidParameterError(detail::msg("stack: input ", k,
                                                        "'s mask uses a different plane layout "
                                                        "than input 0; conform the masks first"));
        }
        auto part_of = [&](std::size_t k, Box2I tile, detail::ThreadScratch<T>&) -> MaskedImageView<T const> {
            Box2I const b = inputs[k].bbox().clipped_to(tile);
            return b.empty() ? MaskedImageView<T const>{} : inputs[k].subimage(b);
        };
        std::vector<double> w = resolve_weights(inputs.size());
        return run<T>(inputs.size(), bbox, planes.shared_from_this(), std::move(w), part_of, into_out, into_n);
    }

public:
    template <class T>
    StackResult<T> operator()(std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox) const {
        return (*this)(std::span<MaskedImageView<T const> const>(inputs), bbox);
    }
    template <class T>
    StackResult<T> operator()(std::vector<MaskedImage<T>> const& inputs, Box2I bbox) const {
        std::vector<MaskedImageView<T const>> v(inputs.begin(), inputs.end());
        return (*this)(std::span<MaskedImageView<T const> const>(v), bbox);
    }
    /// Stack over the union of the inputs' bboxes.
    template <class T>
    StackResult<T> operator()(std::vector<MaskedImageView<T const>> const& inputs) const {
        Box2I b;
        for (auto const& in : inputs) b = b.empty() ? in.bbox() : b.expanded_to(in.bbox());
        return (*this)(inputs, b);
    }

    /// Stack inputs read tile by tile (memory bounded by tile size × inputs). Weighted policies without explicit
    /// weights first read each input once over the whole bbox, one at a time, for its default weight.
    /// @param planes the mask registry every input mask must share (the output mask uses it)
    template <class T>
    StackResult<T> operator()(TileReader<T> const& reader, std::size_t n_inputs, Box2I bbox,
                              std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default()) const {
        static_assert(std::is_floating_point_v<T>, "Stacker: pixel type must be float or double");
        if (n_inputs == 0) throw InvalidParameterError("stack: no inputs (empty stack)");
        if (!reader) throw InvalidParameterError("stack: the tile reader is empty");
        if (!planes) throw InvalidParameterError("stack: the mask registry must not be null");
        check_bbox(bbox);
        std::vector<double> w = resolve_weights(n_inputs);
        std::mutex read_mutex;
        MaskPlanes const* const reg = planes.get(); // `planes` itself is moved into run()
        auto part_of = [&](std::size_t k, Box2I tile, detail::ThreadScratch<T>& s) -> MaskedImageView<T const> {
            MaskedImage<T> mi;
            {
                std::lock_guard lock(read_mutex);
                mi = reader(k, tile);
            }
            if (mi.empty()) return {};
            if (!tile.contains(mi.bbox()))
                throw LengthError(detail::msg("stack: reader returned bbox ", mi.bbox(), " for input ", k,
                                              ", outside the requested tile ", tile));
            if (!mi.mask().planes().same_layout(*reg))
                throw InvalidParameterError(
                    detail::msg("stack: input ", k, "'s mask uses a different plane layout than the stack's"));
            s.owned[k] = std::move(mi);
            return s.owned[k].cview();
        };
        return run<T>(n_inputs, bbox, std::move(planes), std::move(w), part_of);
    }

private:
    static void check_bbox(Box2I bbox) {
        if (bbox.empty()) throw InvalidParameterError("stack: the output bbox is empty");
    }

    /// Weights per input: 1 (unweighted policies) or explicit (validated); run() fills in default weights.
    std::vector<double> resolve_weights(std::size_t n) const {
        if (!m_cfg.scales.empty() && m_cfg.scales.size() != n)
            throw InvalidParameterError(
                detail::msg("stack: ", m_cfg.scales.size(), " scale factors for ", n, " inputs"));
        for (std::size_t k = 0; k < m_cfg.scales.size(); ++k)
            if (!(m_cfg.scales[k] > 0) || !std::isfinite(m_cfg.scales[k]))
                throw InvalidParameterError(
                    detail::msg("stack: scale factor ", k, " must be finite and > 0, got ", m_cfg.scales[k]));
        if (!m_cfg.weights.empty()) {
            if (m_cfg.weights.size() != n)
                throw InvalidParameterError(
                    detail::msg("stack: ", m_cfg.weights.size(), " weights for ", n, " inputs"));
            for (std::size_t k = 0; k < n; ++k)
                if (!(m_cfg.weights[k] >= 0) || !std::isfinite(m_cfg.weights[k]))
                    throw InvalidParameterError(
                        detail::msg("stack: weight ", k, " must be finite and >= 0, got ", m_cfg.weights[k]));
        }
        std::vector<double> w(n, 1.0);
        if constexpr (weighted) {
            if (!m_cfg.weights.empty()) return m_cfg.weights;
            return w; // filled in run(), once the bad mask is known
        }
        return w;
    }

    template <class T, class PartOf>
    StackResult<T> run(std::size_t n, Box2I bbox, std::shared_ptr<MaskPlanes> planes, std::vector<double> w,
                       PartOf&& part_of, MaskedImageView<T> const* into = nullptr,
                       ImageView<std::uint16_t> into_n = {}) const {
        using namespace detail;
        StackPlan<T> plan = make_plan<T>(m_cfg, *planes);
        if constexpr (weighted) {
            if (m_cfg.weights.empty()) { // AssembleCoadd: 1 / MEANCLIP(variance), 0 (dropped) if not > 0 finite
                ThreadScratch<T> s;
                s.owned.resize(n);
                for (std::size_t k = 0; k < n; ++k) {
                    double const sc = m_cfg.scales.empty() ? 1.0 : m_cfg.scales[k];
                    w[k] = default_weight(k, plan.bad, sc, part_of, bbox, s);
                }
            }
        }
        for (std::size_t k = 0; k < n; ++k) {
            double const sc = m_cfg.scales.empty() ? 1.0 : m_cfg.scales[k];
            plan.weight.push_back(T(w[k]));
            plan.weight2.push_back(T(double(plan.weight.back()) * double(plan.weight.back())));
            plan.scale.push_back(T(sc));
            plan.scale2.push_back(T(sc * sc));
            if (w[k] > 0) ++plan.n_active;
        }
        plan.unit_weights =
            std::all_of(plan.weight.begin(), plan.weight.end(), [](T x) { return x == T(0) || x == T(1); });
        plan.unit_scales = std::all_of(plan.scale.begin(), plan.scale.end(), [](T x) { return x == T(1); });

        StackResult<T> res{{}, {}, w};
        MaskedImageView<T> out_view;
        ImageView<std::uint16_t> nim_view;
        if (into) {
            if (!into->mask().planes().same_layout(*planes))
                throw InvalidParameterError("stack: the output mask uses a different plane layout than the inputs");
            out_view = *into;
            nim_view = into_n;
        } else {
            res.coadd = MaskedImage<T>(bbox, planes);
            out_view = res.coadd.view();
            if (m_cfg.nimage) {
                res.nimage = Image<std::uint16_t>(bbox);
                nim_view = res.nimage.view();
            }
        }

        std::vector<Box2I> tiles;
        for (int y = bbox.min_y(); y < bbox.end_y(); y += m_cfg.tile_size.y)
            for (int x = bbox.min_x(); x < bbox.end_x(); x += m_cfg.tile_size.x)
                tiles.push_back(Box2I::from_min_size({x, y}, {m_cfg.tile_size.x, m_cfg.tile_size.y}).clipped_to(bbox));

        std::size_t nthreads =
            m_cfg.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : std::size_t(m_cfg.threads);
        nthreads = std::min(nthreads, tiles.size());
        std::atomic<std::size_t> next{0};
        std::atomic<bool> failed{false};
        std::size_t done = 0;
        std::mutex mtx;
        std::exception_ptr err;
        auto worker = [&] {
            ThreadScratch<T> s;
            s.owned.resize(n);
            s.parts.resize(n);
            while (!failed.load()) {
                if (m_cfg.stop.stop_requested()) {
                    failed = true;
                    break;
                }
                std::size_t const i = next.fetch_add(1);
                if (i >= tiles.size()) break;
                try {
                    Box2I const tile = tiles[i];
                    for (std::size_t k = 0; k < n; ++k)
                        s.parts[k] = plan.weight[k] > 0 ? part_of(k, tile, s) : MaskedImageView<T const>{};
                    ImageView<std::uint16_t> nim;
                    if (!nim_view.empty()) nim = nim_view.subimage(tile);
                    stack_tile(tile, s, plan, out_view.subimage(tile), nim);
                    for (auto& o : s.owned) o = MaskedImage<T>();
                } catch (...) {
                    std::lock_guard lock(mtx);
                    if (!err) err = std::current_exception();
                    failed = true;
                    return;
                }
                std::lock_guard lock(mtx);
                ++done;
                if (m_cfg.progress) m_cfg.progress(done, tiles.size());
            }
        };
        if (nthreads <= 1) {
            worker();
        } else {
            std::vector<std::jthread> pool;
            pool.reserve(nthreads);
            for (std::size_t t = 0; t < nthreads; ++t) pool.emplace_back(worker);
        }
        if (err) std::rethrow_exception(err);
        if (m_cfg.stop.stop_requested() && done < tiles.size())
            throw CancelledError(detail::msg("stack: cancelled after ", done, " of ", tiles.size(), " tiles"));
        return res;
    }

    template <class T, class PartOf>
    double default_weight(std::size_t k, MaskPixel bad, double sc, PartOf& part_of, Box2I bbox,
                          detail::ThreadScratch<T>& s) const {
        auto const v = part_of(k, bbox, s);
        if (v.empty()) return 0.0;
        double const mv = detail::mean_clip_variance<T>(v, bad, m_cfg.clip, sc * sc);
        s.owned[k] = MaskedImage<T>();
        return (mv > 0 && std::isfinite(mv)) ? 1.0 / mv : 0.0;
    }

    template <class T>
    void stack_tile(Box2I tile, detail::ThreadScratch<T>& s, detail::StackPlan<T> const& plan, MaskedImageView<T> out,
                    ImageView<std::uint16_t> nim) const {
        using namespace detail;
        constexpr std::size_t L = lanes_v<T>;
        auto const tw = std::size_t(tile.width());
        std::size_t const stride = round_up(tw, L) + L;
        if (s.rvalue.size() < stride) {
            s.rvalue = AlignedBuffer<T>(stride);
            s.rvar = AlignedBuffer<T>(stride);
            s.rnclip = AlignedBuffer<T>(stride);
        }
        // finish `w` pixels of tile row y from column x0 (bookkeeping at buffer offset o)
        auto out_row = [&](int y, std::size_t o, T const* nclip, std::size_t x0, std::size_t w) {
            finish_row<T>(s.tb, o, plan, s.rvalue.data(), s.rvar.data(), nclip, w, out.image().row(y).data() + x0,
                          out.mask().row(y).data() + x0, out.variance().row(y).data() + x0,
                          nim.empty() ? nullptr : nim.row(y).data() + x0);
        };
        // the engine follows from the policies alone: accumulating policies never reach the sample engine (a
        // scatter variance comes from moments kept in double beside the tile buffers)
        if constexpr (kind != Accumulate::none && !rejects) {
            s.tb.resize(stride, std::size_t(tile.height()), plan.thr_bits.size());
            s.tb.reset(kind);
            accumulate_parts<T, kind, weighted>(s.tb, std::span<MaskedImageView<T const> const>(s.parts), tile, plan);
            constexpr bool scatter_capable = kind == Accumulate::weighted_sum && error == ErrorModel::mean;
            if (scatter_capable && plan.scatter) scatter_moments(tile, s, plan);
            for (int y = 0; y < tile.height(); ++y) {
                std::size_t const o = std::size_t(y) * stride;
                accumulated_row<T, kind, error>(s.tb, o, tw, s.rvalue.data(), s.rvar.data());
                if (scatter_capable && plan.scatter) scatter_row(s, std::size_t(y) * tw, tw);
                out_row(y, o, nullptr, 0, tw);
            }
        } else {
            sample_tile(tile, s, plan, out_row);
        }
    }

    /// Scatter variance on the accumulating engine: per pixel of the tile, Σw, Σw², Σw·d and Σw·d² of the
    /// accepted samples (the kernel's acceptance: finite scaled value, no bad bit) in double, d = x − (the pixel's
    /// first accepted sample), so that the one-pass variance does not cancel. Inputs in order, per pixel: the
    /// result does not depend on the tiling.
    template <class T>
    static void scatter_moments(Box2I tile, detail::ThreadScratch<T>& s, detail::StackPlan<T> const& plan) {
        auto const tw = std::size_t(tile.width());
        std::size_t const n = tw * std::size_t(tile.height());
        for (auto* v : {&s.msw, &s.msw2, &s.mswd, &s.mswdd, &s.mref}) v->assign(n, 0.0);
        for (std::size_t k = 0; k < s.parts.size(); ++k) {
            auto const& part = s.parts[k];
            if (part.empty()) continue;
            double const w = double(plan.weight[k]);
            T const sc = plan.scale[k];
            for (int y = 0; y < part.height(); ++y) {
                auto const img = part.image().row(y);
                auto const msk = part.mask().row(y);
                std::size_t const o = std::size_t(part.bbox().min_y() + y - tile.min_y()) * tw +
                                      std::size_t(part.bbox().min_x() - tile.min_x());
                for (std::size_t x = 0; x < img.size(); ++x) {
                    T const xs = img[x] * sc;
                    if (!std::isfinite(xs) || (msk[x] & plan.bad) != 0) continue;
                    std::size_t const i = o + x;
                    if (s.msw[i] == 0.0) s.mref[i] = double(xs);
                    double const d = double(xs) - s.mref[i];
                    s.msw[i] += w;
                    s.msw2[i] += w * w;
                    s.mswd[i] += w * d;
                    s.mswdd[i] += w * d * d;
                }
            }
        }
    }
    /// The scatter variance s²·Σw²/(Σw)² of `width` pixels from moment index `i0` into s.rvar (s² debiased and
    /// weighted as afw; NaN for one sample).
    template <class T>
    static void scatter_row(detail::ThreadScratch<T>& s, std::size_t i0, std::size_t width) {
        for (std::size_t x = 0; x < width; ++x) {
            std::size_t const i = i0 + x;
            double const sw = s.msw[i], sw2 = s.msw2[i], m = s.mswd[i] / sw;
            double const dof = sw * sw - sw2; // 0 for a single sample: no scatter, NaN
            double const s2 = dof > 0 ? std::max((s.mswdd[i] / sw - m * m) * (sw * sw / dof), 0.0)
                                      : std::numeric_limits<double>::quiet_NaN();
            s.rvar.data()[x] = T(s2 * sw2 / (sw * sw));
        }
    }

    template <class T, class OutRow>
    void sample_tile(Box2I tile, detail::ThreadScratch<T>& s, detail::StackPlan<T> const& plan, OutRow& out_row) const {
        using namespace detail;
        using B = batch_t<T>;
        constexpr std::size_t L = lanes_v<T>;
        constexpr bool use_batch = BatchCombine<Combine, B> && (!rejects || BatchReject<Reject, B>);
        constexpr bool fused_clip =
            std::is_same_v<Reject, SigmaClip> && kind == Accumulate::weighted_sum && error == ErrorModel::mean;
        // the median's error comes from the scatter; built-in batch rejections do not read variances
        constexpr bool need_var =
            !use_batch || error != ErrorModel::median || (rejects && !std::is_same_v<Reject, SigmaClip>);
        std::size_t const n = s.parts.size();
        // rows are gathered in chunks of `chunk` pixels, so that the gathered samples stay in L2
        constexpr std::size_t chunk = SKYSTACK_STACK_CHUNK;
        std::size_t const stride = chunk + L;
        if (s.vals.size() < n * stride) {
            s.vals = AlignedBuffer<T>(n * stride);
            s.vars = AlignedBuffer<T>(n * stride);
        }
        s.tb.resize(stride, 1, plan.thr_bits.size());
        s.colv.resize(n);
        s.colw.resize(n);
        s.colvar.resize(n);
        s.scratch.resize(n);
        T const inf = std::numeric_limits<T>::infinity();
        s.chunk_parts.resize(n);

        [[maybe_unused]] SampleColumns<T> const cols{s.vals.data(),      s.vars.data(),       stride,
                                                     plan.weight.data(), plan.weight2.data(), n};
        // value, variance and clipped count of the batch of pixels at x of the gathered chunk
        auto compute = [&](std::size_t x) {
            B const n0 = B::load_aligned(s.tb.cnt.data() + x);
            if constexpr (fused_clip) { // reads the gathered columns in place
                auto const r = m_reject.batch_mean(cols, x, n0, std::span<B>(s.scratch), plan.clip);
                r.mean.store_aligned(s.rvalue.data() + x);
                (plan.scatter ? r.var_scatter : r.var_inputs).store_aligned(s.rvar.data() + x);
                (n0 - r.kept).store_aligned(s.rnclip.data() + x);
            } else if constexpr (use_batch) {
                for (std::size_t k = 0; k < n; ++k) {
                    s.colv[k] = B::load_aligned(s.vals.data() + k * stride + x);
                    s.colw[k] = xsimd::select(s.colv[k] < B(inf), B(plan.weight[k]), B(T(0)));
                    if constexpr (need_var) s.colvar[k] = B::load_aligned(s.vars.data() + k * stride + x);
                }
                std::span<B> v(s.colv), w(s.colw);
                std::span<B const> var(s.colvar);
                B n1 = n0;
                if constexpr (rejects) n1 = m_reject.batch(v, w, var, n0, std::span<B>(s.scratch), plan.clip);
                B vv;
                if constexpr (error == ErrorModel::mean) {
                    if (plan.scatter) {
                        auto const sc = weighted_scatter<B>(v, w);
                        vv = sc.s2 * sc.sw2 / (sc.sw * sc.sw);
                    } else {
                        vv = input_variance<B>(w, var);
                    }
                } else if constexpr (error == ErrorModel::median) {
                    vv = B(T(std::numbers::pi / 2)) * weighted_scatter<B>(v, w).s2 / n1;
                } else if constexpr (error == ErrorModel::sum) {
                    B sw(0);
                    for (auto const& wi : w) sw += wi;
                    vv = input_variance<B>(w, var) * sw * sw;
                } else {
                    vv = B(std::numeric_limits<T>::quiet_NaN());
                }
                B const val = m_combine.batch(v, std::span<B const>(w), n1);
                val.store_aligned(s.rvalue.data() + x);
                vv.store_aligned(s.rvar.data() + x);
                (n0 - n1).store_aligned(s.rnclip.data() + x);
            } else {
                for (std::size_t l = 0; l < L; ++l) scalar_pixel(s, plan, stride, x + l);
            }
        };
        for (int ty = 0; ty < tile.height(); ++ty)
            for (int cx = 0; cx < tile.width(); cx += int(chunk)) {
                Box2I const cb = Box2I::from_min_size({tile.min_x() + cx, tile.min_y() + ty},
                                                      {std::min(int(chunk), tile.width() - cx), 1});
                for (std::size_t k = 0; k < n; ++k) {
                    Box2I const b = s.parts[k].empty() ? Box2I() : s.parts[k].bbox().clipped_to(cb);
                    s.chunk_parts[k] = b.empty() ? MaskedImageView<T const>{} : s.parts[k].subimage(b);
                }
                // the first rows gathered for the next chunk of this tile (prefetched at the end of this gather)
                NextRows<T> after;
                {
                    int const nx = cx + int(chunk) < tile.width() ? cx + int(chunk) : 0;
                    int const ny = nx != 0 ? ty : ty + 1;
                    if (ny < tile.height()) {
                        Box2I const nb = Box2I::from_min_size({tile.min_x() + nx, tile.min_y() + ny},
                                                              {std::min(int(chunk), tile.width() - nx), 1});
                        Box2I first;
                        MaskedImageView<T const> np[4];
                        for (std::size_t k = 0; k < n && after.n < 4; ++k) {
                            if (s.parts[k].empty()) continue;
                            Box2I const b = s.parts[k].bbox().clipped_to(nb);
                            if (b.empty()) continue;
                            if (after.n == 0)
                                first = b;
                            else if (!(b == first))
                                break;
                            np[after.n++] = s.parts[k].subimage(b);
                        }
                        after = next_rows<T>(np, after.n, 0);
                    }
                }
                s.tb.reset(Accumulate::none);
                gather_tile_row<T, need_var>(s.tb, std::span<MaskedImageView<T const> const>(s.chunk_parts), cb, 0,
                                             plan, s.vals.data(), s.vars.data(), stride, after);
                auto const tw = std::size_t(cb.width());
                for (std::size_t x = 0; x < tw; x += L) compute(x);
                out_row(ty, 0, rejects ? s.rnclip.data() : nullptr, std::size_t(cx), tw);
            }
    }

    template <class T>
    void scalar_pixel(detail::ThreadScratch<T>& s, detail::StackPlan<T> const& plan, std::size_t stride,
                      std::size_t x) const {
        std::size_t const n = s.parts.size();
        s.sv.clear();
        s.sw.clear();
        s.svar.clear();
        for (std::size_t k = 0; k < n; ++k) {
            T const v = s.vals.data()[k * stride + x];
            if (!(v < std::numeric_limits<T>::infinity()) || !(plan.weight[k] > 0)) continue;
            s.sv.push_back(v);
            s.sw.push_back(plan.weight[k]);
            s.svar.push_back(s.vars.data()[k * stride + x]);
        }
        std::size_t const n0 = s.sv.size();
        std::size_t n1 = n0;
        T const nan = std::numeric_limits<T>::quiet_NaN();
        if (n0 == 0) {
            s.rvalue.data()[x] = nan;
            s.rvar.data()[x] = nan;
            s.rnclip.data()[x] = 0;
            return;
        }
        if constexpr (rejects)
            n1 = m_reject.scalar(std::span<T>(s.sv), std::span<T>(s.sw), std::span<T>(s.svar), plan.clip);
        double sw = 0, sw2 = 0, swx = 0, sw2v = 0;
        for (std::size_t i = 0; i < n1; ++i) {
            sw += s.sw[i];
            sw2 += double(s.sw[i]) * s.sw[i];
            swx += double(s.sw[i]) * s.sv[i];
            sw2v += double(s.sw[i]) * s.sw[i] * s.svar[i];
        }
        double const m = swx / sw;
        double sdd = 0;
        for (std::size_t i = 0; i < n1; ++i) sdd += s.sw[i] * (s.sv[i] - m) * (s.sv[i] - m);
        double const dof = sw * sw - sw2; // 0 for a single sample: no scatter, NaN
        double const s2 = dof > 0 ? (sdd / sw) * (sw * sw / dof) : std::numeric_limits<double>::quiet_NaN();
        double vv = std::numeric_limits<double>::quiet_NaN();
        if constexpr (error == ErrorModel::mean)
            vv = plan.scatter ? s2 * sw2 / (sw * sw) : sw2v / (sw * sw);
        else if constexpr (error == ErrorModel::median)
            vv = std::numbers::pi / 2 * s2 / double(n1);
        else if constexpr (error == ErrorModel::sum)
            vv = sw2v;
        T val = nan;
        if (n1 > 0) val = m_combine.scalar(std::span<T>(s.sv.data(), n1), std::span<T const>(s.sw.data(), n1));
        s.rvalue.data()[x] = val;
        s.rvar.data()[x] = T(vv);
        s.rnclip.data()[x] = T(n0 - n1);
    }
};

/// Stack with a policy chosen at compile time: `stack<Median>(inputs, bbox, cfg)`.
template <class Combine, class Reject = typename detail::default_reject<Combine>::type, class T>
StackResult<T> stack(std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox, StackConfig cfg = {}) {
    return Stacker<Combine, Reject>(std::move(cfg))(inputs, bbox);
}

} // namespace skystack
