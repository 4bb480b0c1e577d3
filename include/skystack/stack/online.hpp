// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/detail/kernels.hpp>
#include <skystack/stack/policies.hpp>
#include <skystack/stack/stacker.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace skystack {

/// A streaming stack (meas_algorithms AccumulatorMeanStack, coadd.md §5): add inputs one at a time, merge partial
/// stacks, finish() once. Memory: a few accumulator planes over the output bbox, never the inputs.
///
/// Uses the same frame-by-frame kernel as Stacker, so adding inputs in the same order with the same weights gives
/// results bit-identical to `Stacker<Combine>`; merging partial stacks equals the single pass to float rounding
/// (sums are regrouped). Accumulating policies only (Mean, WeightedMean, Sum, Min, Max); variance from the
/// inputs (the scatter needs all samples: use Stacker). Inputs are clipped to the bbox; uncovered pixels behave
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

public:
    /// @param bbox the output bbox; @param planes the registry every input mask must share
    /// @throws InvalidParameterError for an empty bbox, a scatter variance or an invalid config
    explicit OnlineStacker(Box2I bbox, StackConfig cfg = {},
                           std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : m_bbox(bbox), m_cfg(std::move(cfg)), m_planes(std::move(planes)) {
        m_cfg.validate();
        if (bbox.empty()) throw InvalidParameterError("OnlineStacker: the output bbox is empty");
        if (!m_planes) throw InvalidParameterError("OnlineStacker: the mask registry must not be null");
        if (m_cfg.variance != VarianceSource::inputs)
            throw InvalidParameterError("OnlineStacker: only VarianceSource::inputs is supported; use Stacker");
        m_plan = detail::make_plan<T>(m_cfg, *m_planes);
        std::size_t const stride = detail::round_up(std::size_t(bbox.width()), detail::lanes_v<T>) + detail::lanes_v<T>;
        m_buf.resize(stride, std::size_t(bbox.height()), m_plan.thr_bits.size());
        m_buf.reset(kind);
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
    }

    /// Fold another partial stack over the same bbox and config into this one (sums add, masks OR).
    /// @throws LengthError for a different bbox.
    void merge(OnlineStacker const& o) {
        if (o.m_bbox != m_bbox)
            throw LengthError(detail::msg("OnlineStacker::merge: bboxes differ: ", m_bbox, " and ", o.m_bbox));
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
