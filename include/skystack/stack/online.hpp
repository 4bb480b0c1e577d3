// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/detail/kernels.hpp>
#include <skystack/stack/policies.hpp>
#include <skystack/stack/stacker.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

namespace skystack {

/// A streaming stack (meas_algorithms AccumulatorMeanStack, coadd.md §5): add inputs one at a time, merge partial
/// stacks, finish() once. Memory: a few accumulator planes over the output bbox, never the inputs.
///
/// Uses the same frame-by-frame kernel as Stacker, so adding inputs in the same order with the same weights gives
/// results bit-identical to `Stacker<Combine>`; merging partial stacks equals the single pass to float rounding
/// (sums are regrouped). Accumulating policies only (Mean, WeightedMean, Sum, Min, Max). Variance from the inputs
/// (default), or for the means from the scatter (`VarianceSource::scatter`, AccumulatorMeanStack's
/// calc_error_from_input_variance=False): Σw², Σw·x and Σw·x² of the accepted samples are then kept in double
/// per pixel, and finish() gives s²·Σw²/(Σw)² with s² the debiased weighted sample variance (NaN for a pixel with
/// one input), as Stacker computes it from all samples. Inputs are clipped to the bbox; uncovered pixels behave
/// as absent samples. Not thread-safe: one stacker per thread, then merge().
template <class T = float, class Combine = WeightedMean>
class OnlineStacker {
    static_assert(std::is_floating_point_v<T>, "OnlineStacker: pixel type must be float or double");
    static constexpr Accumulate kind = detail::accumulate_of<Combine>();
    static_assert(kind != Accumulate::none, "OnlineStacker needs an accumulating policy (Mean, Sum, Min, Max...)");

    Box2I m_bbox;
    StackConfig m_cfg;
    std::shared_ptr<MaskPlanes> m_planes;
    detail::StackPlan<T> m_plan;
    detail::TileBuffers<T> m_buf;
    std::vector<double> m_weights;
    // scatter mode only: per pixel (bbox row-major) Σw, Σw², Σw·x, Σw·x² of the accepted samples, in double
    std::vector<double> m_sw, m_sw2, m_swx, m_swxx;

    static constexpr bool scatter_capable =
        kind == Accumulate::weighted_sum && detail::error_model_of<Combine>() == ErrorModel::mean;
    [[nodiscard]] bool scatter() const noexcept { return m_cfg.variance == VarianceSource::scatter; }

    /// Scatter mode: add the accepted samples of `part` (value × scale, as the kernel scales it) with weight w.
    void add_moments(MaskedImageView<T const> const& part, T w, T scale) {
        auto const bw = std::size_t(m_bbox.width());
        double const wd = w;
        for (int y = 0; y < part.height(); ++y) {
            auto const img = part.image().row(y);
            auto const msk = part.mask().row(y);
            std::size_t const o = std::size_t(part.bbox().min_y() + y - m_bbox.min_y()) * bw +
                                  std::size_t(part.bbox().min_x() - m_bbox.min_x());
            for (std::size_t x = 0; x < img.size(); ++x) {
                T const xs = img[x] * scale;
                if (!std::isfinite(xs) || (msk[x] & m_plan.bad) != 0) continue; // the kernel's acceptance
                m_sw[o + x] += wd;
                m_sw2[o + x] += wd * wd;
                m_swx[o + x] += wd * double(xs);
                m_swxx[o + x] += wd * double(xs) * double(xs);
            }
        }
    }

public:
    /// @param bbox the output bbox; @param planes the registry every input mask must share
    /// @throws InvalidParameterError for an empty bbox, a scatter variance with Sum/Min/Max, or an invalid config
    explicit OnlineStacker(Box2I bbox, StackConfig cfg = {},
                           std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : m_bbox(bbox), m_cfg(std::move(cfg)), m_planes(std::move(planes)) {
        m_cfg.validate();
        if (bbox.empty()) throw InvalidParameterError("OnlineStacker: the output bbox is empty");
        if (!m_planes) throw InvalidParameterError("OnlineStacker: the mask registry must not be null");
        if (scatter() && !scatter_capable)
            throw InvalidParameterError(
                "OnlineStacker: VarianceSource::scatter needs a mean policy (Mean, WeightedMean); use Stacker");
        m_plan = detail::make_plan<T>(m_cfg, *m_planes);
        std::size_t const stride = detail::round_up(std::size_t(bbox.width()), detail::lanes_v<T>) + detail::lanes_v<T>;
        m_buf.resize(stride, std::size_t(bbox.height()), m_plan.thr_bits.size());
        m_buf.reset(kind);
        if (scatter()) {
            auto const n = std::size_t(bbox.area());
            m_sw.assign(n, 0.0);
            m_sw2.assign(n, 0.0);
            m_swx.assign(n, 0.0);
            m_swxx.assign(n, 0.0);
        }
    }

    [[nodiscard]] Box2I bbox() const noexcept { return m_bbox; }
    /// Number of inputs added (merged ones included).
    [[nodiscard]] std::size_t size() const noexcept { return m_weights.size(); }

    /// Add one input with its weight (ignored by unweighted policies) and photometric scale.
    /// @throws InvalidParameterError for a negative/NaN weight, a bad scale, an input outside the bbox or a
    /// different mask layout.
    void add(MaskedImageView<T const> in, double weight = 1.0, double scale = 1.0) {
        if (!(weight >= 0) || !std::isfinite(weight))
            throw InvalidParameterError(
                detail::msg("OnlineStacker::add: weight must be finite and >= 0, got ", weight));
        if (!(scale > 0) || !std::isfinite(scale))
            throw InvalidParameterError(detail::msg("OnlineStacker::add: scale must be finite and > 0, got ", scale));
        if (in.empty() || !in.bbox().overlaps(m_bbox))
            throw InvalidParameterError(detail::msg("OnlineStacker::add: input bbox ", in.bbox(),
                                                    " does not overlap the output bbox ", m_bbox));
        if (!in.mask().planes().same_layout(*m_planes))
            throw InvalidParameterError("OnlineStacker::add: the input mask uses a different plane layout");
        if (!detail::weighted_of<Combine>()) weight = 1.0;
        m_weights.push_back(weight);
        if (!(weight > 0)) return;
        std::size_t const k = m_plan.weight.size();
        m_plan.weight.push_back(T(weight));
        m_plan.scale.push_back(T(scale));
        m_plan.scale2.push_back(T(scale * scale));
        ++m_plan.n_active;
        auto const part = in.subimage(in.bbox().clipped_to(m_bbox));
        auto const ox = std::size_t(part.bbox().min_x() - m_bbox.min_x());
        auto const oy = std::size_t(part.bbox().min_y() - m_bbox.min_y());
        detail::accumulate_group<T, kind, 1>(m_buf, &part, &k, ox, oy, m_plan);
        if (scatter()) add_moments(part, T(weight), T(scale));
    }

    /// Fold another partial stack over the same bbox and config into this one (sums add, masks OR).
    /// @throws LengthError for a different bbox; InvalidParameterError for a different variance source.
    void merge(OnlineStacker const& o) {
        if (o.m_bbox != m_bbox)
            throw LengthError(detail::msg("OnlineStacker::merge: bboxes differ: ", m_bbox, " and ", o.m_bbox));
        if (o.scatter() != scatter())
            throw InvalidParameterError("OnlineStacker::merge: one stack keeps the scatter, the other does not");
        std::size_t const n = m_buf.stride * m_buf.rows;
        auto add = [n](auto& a, auto const& b) {
            for (std::size_t i = 0; i < n; ++i) a.data()[i] += b.data()[i];
        };
        add(m_buf.cnt, o.m_buf.cnt);
        add(m_buf.sw, o.m_buf.sw);
        for (std::size_t b = 0; b < m_buf.rb.size(); ++b) add(m_buf.rb[b], o.m_buf.rb[b]);
        for (std::size_t i = 0; i < n; ++i) {
            m_buf.orm.data()[i] |= o.m_buf.orm.data()[i];
        }
        if constexpr (kind == Accumulate::weighted_sum) {
            add(m_buf.a0, o.m_buf.a0);
            add(m_buf.a2, o.m_buf.a2);
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                T const a = m_buf.a0.data()[i], b = o.m_buf.a0.data()[i];
                if (kind == Accumulate::min ? b < a : b > a) {
                    m_buf.a0.data()[i] = b;
                    m_buf.a2.data()[i] = o.m_buf.a2.data()[i];
                }
            }
        }
        for (std::size_t i = 0; i < m_sw.size(); ++i) {
            m_sw[i] += o.m_sw[i];
            m_sw2[i] += o.m_sw2[i];
            m_swx[i] += o.m_swx[i];
            m_swxx[i] += o.m_swxx[i];
        }
        m_plan.n_active += o.m_plan.n_active;
        m_weights.insert(m_weights.end(), o.m_weights.begin(), o.m_weights.end());
    }

    /// The stack so far (the accumulators stay; more inputs may be added afterwards).
    [[nodiscard]] StackResult<T> finish() const {
        StackResult<T> res{MaskedImage<T>(m_bbox, m_planes), {}, m_weights};
        if (m_cfg.nimage) res.nimage = Image<std::uint16_t>(m_bbox);
        std::size_t const w = std::size_t(m_bbox.width());
        detail::AlignedBuffer<T> value(m_buf.stride), var(m_buf.stride);
        auto out = res.coadd.view();
        for (int y = 0; y < m_bbox.height(); ++y) {
            std::size_t const o = std::size_t(y) * m_buf.stride;
            detail::accumulated_row<T, kind, detail::error_model_of<Combine>()>(m_buf, o, w, value.data(), var.data());
            if (scatter())
                for (std::size_t x = 0; x < w; ++x) {
                    std::size_t const i = std::size_t(y) * w + x;
                    double const sw = m_sw[i], sw2 = m_sw2[i], m = m_swx[i] / sw;
                    double const dof = sw * sw - sw2; // 0 with one input: no scatter, NaN as upstream
                    double const s2 = dof > 0 ? std::max((m_swxx[i] / sw - m * m) * (sw * sw / dof), 0.0)
                                              : std::numeric_limits<double>::quiet_NaN();
                    var.data()[x] = T(s2 * sw2 / (sw * sw));
                }
            detail::finish_row<T>(m_buf, o, m_plan, value.data(), var.data(), nullptr, w, out.image().row(y).data(),
                                  out.mask().row(y).data(), out.variance().row(y).data(),
                                  m_cfg.nimage ? res.nimage.view().row(y).data() : nullptr);
        }
        return res;
    }
};

/// The online weighted mean (AccumulatorMeanStack).
template <class T = float>
using OnlineMeanStacker = OnlineStacker<T, WeightedMean>;

} // namespace skystack
