// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/dcr/conditions.hpp>
#include <skystack/dcr/dcr_config.hpp>
#include <skystack/dcr/regularize.hpp>
#include <skystack/dcr/shift.hpp>
#include <skystack/error.hpp>
#include <skystack/masked_image.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <stop_token>
#include <thread>
#include <vector>

namespace skystack {

/// Progress of a DCR fit: called after each finished subregion with (done, total), from worker threads (serialised).
using DcrProgress = std::function<void(std::size_t done, std::size_t total)>;

/// Why a subregion's iteration stopped (reference dcr.md §10).
enum class DcrStop {
    converged,      ///< relative improvement below convergence_threshold after min iterations
    max_iterations, ///< iteration count exceeded max_iterations() (always the case without use_convergence)
    diverged,       ///< the metric got worse after min iterations (the update is reverted if configured)
    no_data,        ///< no pixel usable for the convergence metric
};

/// What happened in one subregion.
struct DcrSubregionReport {
    Box2I box{};                     ///< the un-grown box whose pixels were written
    Box2I grown{};                   ///< the box the fit worked on (box grown by the buffer, clipped to the model)
    std::vector<double> convergence; ///< metric of the initial model, then after each kept update
    std::vector<double> gains;       ///< gain used by each update
    int updates = 0;                 ///< number of updates applied (a reverted one included)
    DcrStop stop = DcrStop::converged;
};

/// What happened in a fit.
struct DcrFitReport {
    int buffer_size = 0;
    std::vector<DcrSubregionReport> subregions; ///< in row-major order of the subregion grid
};

namespace detail::dcr {

/// Population standard deviation of `img` over pixels of `box` (parent) whose `mask` has none of `exclude`.
/// Returns 0 when no pixel qualifies.
[[nodiscard]] inline double background_std(ImageView<float const> img, ImageView<MaskPixel const> mask, Box2I box,
                                           MaskPixel exclude) {
    double s = 0, s2 = 0;
    std::size_t n = 0;
    for (int y = box.min_y(); y <= box.max_y(); ++y)
        for (int x = box.min_x(); x <= box.max_x(); ++x) {
            float const v = img(Point2I{x, y});
            if ((mask(Point2I{x, y}) & exclude) || !std::isfinite(v)) continue;
            s += v;
            s2 += double(v) * v;
            ++n;
        }
    if (n == 0) return 0.0;
    double const m = s / double(n);
    return std::sqrt(std::max(0.0, s2 / double(n) - m * m));
}

/// Bits of the named planes that `planes` knows (unknown names are skipped).
[[nodiscard]] inline MaskPixel known_bits(MaskPlanes const& planes, std::vector<std::string> const& names) {
    MaskPixel m = 0;
    for (auto const& n : names)
        if (auto i = planes.find(n)) m |= MaskPixel(1) << *i;
    return m;
}

/// 1 / mean variance of the good pixels of `in` inside `box` (0 when there are none or the mean is not > 0):
/// the per-input weight of DcrConfig::use_variance_weights.
[[nodiscard]] inline double inverse_mean_variance(MaskedImageView<float const> in, Box2I box, MaskPixel bad) {
    Box2I const ov = in.bbox().clipped_to(box);
    double s = 0;
    std::size_t n = 0;
    for (int y = ov.min_y(); y <= ov.max_y() && !ov.empty(); ++y)
        for (int x = ov.min_x(); x <= ov.max_x(); ++x) {
            Point2I const p{x, y};
            float const v = in.variance()(p);
            if ((in.mask()(p) & bad) || !std::isfinite(v) || !std::isfinite(in.image()(p))) continue;
            s += v;
            ++n;
        }
    double const m = n ? s / double(n) : 0.0;
    return m > 0 && std::isfinite(m) ? 1.0 / m : 0.0;
}

/// Gain for the next update from the convergence and gain histories (upstream calculateGain, reference §9).
/// @throws InvalidParameterError when len(convergence) != len(gains) + 1.
[[nodiscard]] inline double calculate_gain(std::vector<double> const& conv, std::vector<double>& gains,
                                           double base_gain, bool progressive) {
    if (conv.size() != gains.size() + 1)
        throw InvalidParameterError(detail::msg("calculate_gain: ", conv.size(), " convergence values need ",
                                                conv.size() - 1, " gains, got ", gains.size()));
    double g = base_gain;
    std::size_t const n = conv.size();
    if (progressive && n > 2) {
        std::vector<double> est;
        for (std::size_t j = 0; j + 1 < n; ++j)
            est.push_back(std::max(0.0, ((1 + gains[j]) * conv[j + 1] - conv[j]) / gains[j]));
        std::size_t const take = std::min<std::size_t>(4, n - 1);
        std::vector<double> last(est.end() - std::ptrdiff_t(take), est.end());
        std::sort(last.begin(), last.end());
        double const e = take % 2 ? last[take / 2] : 0.5 * (last[take / 2 - 1] + last[take / 2]);
        double const gl = gains.back(), cl = conv[n - 2], cn = conv[n - 1];
        double const cp = (e * gl + cl) / (1 + gl);
        double const denom = (cl - e) / (1 + gl);
        double const delta = denom != 0 ? (cp - cn) / denom : 0.0;
        g = std::max(base_gain, (1 - std::abs(delta) + gl) / 2);
    }
    gains.push_back(g);
    return g;
}

/// The fit of one subregion: inputs and model copied onto the grown box, iterated on their own (upstream iterates
/// each subregion to convergence separately), results read back on the un-grown box.
class Subregion {
    DcrConfig const& m_cfg;
    int m_n, m_k;
    Box2I m_core, m_grown;
    std::span<std::vector<SubfilterShift> const> m_shifts;
    bool m_cubic;
    MaskPixel m_c_bad, m_c_conv;
    ImageView<MaskPixel const> m_c_mask;
    std::vector<Image<float>> m_s, m_w;     // inputs (bad → 0) and coverage (0/1)
    std::vector<Image<std::uint8_t>> m_use; // pixels that enter the convergence metric
    std::vector<Image<float>> m_model, m_dcr_weight;
    std::vector<Image<std::int32_t>> m_nimage;
    Image<float> m_cn, m_model_weight;
    int m_buffer;

    void forward(std::size_t i, ImageView<float> t) const {
        auto const& yhat = m_yhat;
        auto const& spline = m_spline;
        t.fill(0.0f);
        for (std::size_t a = 0; a < std::size_t(m_n); ++a) {
            SubfilterShift const& sh = m_shifts[i][a];
            ImageView<float const> const sp = m_cubic ? spline[a].cview() : ImageView<float const>{};
            if (sh.split) {
                shift_add(yhat[a], t, sh.half[0], 0.5f, sp);
                shift_add(yhat[a], t, sh.half[1], 0.5f, sp);
            } else {
                shift_add(yhat[a], t, sh.mean, 1.0f, sp);
            }
        }
    }

    // scratch images on the grown box, allocated once per subregion and reused by every update and metric
    mutable std::vector<Image<float>> m_yhat, m_spline;
    mutable Image<float> m_mean, m_t;
    std::vector<Image<float>> m_u;
    Image<float> m_lo, m_hi, m_sref, m_before;
    Image<std::uint8_t> m_good;

    /// m_mean = m̄, then m_yhat = m̄ + A·(m_α − m̄), with spline coefficients when cubic.
    void accelerated() const {
        compute_mean();
        float const A = float(m_cfg.accelerate_model);
        if (m_yhat.empty())
            for (int a = 0; a < m_n; ++a) m_yhat.emplace_back(m_grown);
        m_spline.clear();
        for (std::size_t a = 0; a < std::size_t(m_n); ++a) {
            for (int r = 0; r < m_grown.height(); ++r) {
                auto yr = m_yhat[a].row(r);
                auto mr = m_model[a].row(r);
                auto br = m_mean.row(r);
                for (std::size_t c = 0; c < yr.size(); ++c) yr[c] = br[c] + A * (mr[c] - br[c]);
            }
            if (m_cubic) m_spline.push_back(spline_prefilter(m_yhat[a]));
        }
    }

    void compute_mean() const {
        if (m_mean.empty()) m_mean = Image<float>(m_grown);
        float const inv = 1.0f / float(m_n);
        for (int r = 0; r < m_grown.height(); ++r) {
            auto br = m_mean.row(r);
            std::fill(br.begin(), br.end(), 0.0f);
            for (std::size_t a = 0; a < std::size_t(m_n); ++a) {
                auto mr = m_model[a].row(r);
                for (std::size_t c = 0; c < br.size(); ++c) br[c] += mr[c];
            }
            for (auto& v : br) v *= inv;
        }
    }

    /// Reference §8 on the new planes `m_u`; `m_mean` holds the mean of the old planes (it becomes the reference).
    void frequency_regularize() {
        int const w = m_cfg.regularization_width;
        float const max_diff = float(std::sqrt(m_cfg.regularize_model_frequency));
        Box2I nbox = m_grown.eroded_by(5);
        if (nbox.empty()) nbox = m_grown;
        double noise = background_std(m_u[0], m_c_mask, nbox, m_c_bad | m_c_conv);
        float const off = float(3.0 * noise / (w > 0 ? 2.0 * w : 1.0));
        Image<float>& ref = m_mean;
        if (m_good.empty()) m_good = Image<std::uint8_t>(m_grown);
        bool any = false;
        for (int r = 0; r < m_grown.height(); ++r) {
            auto vr = ref.row(r);
            auto gr = m_good.row(r);
            for (std::size_t c = 0; c < vr.size(); ++c) {
                bool const ok = std::isfinite(vr[c]) && vr[c] > 0;
                gr[c] = ok;
                any |= ok;
                if (!ok) vr[c] = 0.0f;
            }
        }
        if (!any) return;
        m_sref = gaussian_filter(ref, w, Edge::zero);
        if (m_lo.empty()) m_lo = Image<float>(m_grown);
        if (m_hi.empty()) m_hi = Image<float>(m_grown);
        for (int r = 0; r < m_grown.height(); ++r) {
            auto sr = m_sref.row(r);
            auto lr = m_lo.row(r);
            auto hr = m_hi.row(r);
            for (std::size_t c = 0; c < sr.size(); ++c) {
                sr[c] += off;
                lr[c] = sr[c] / max_diff;
                hr[c] = sr[c] * max_diff;
            }
        }
        ImageView<float const> const lov = m_lo.cview(), hiv = m_hi.cview();
        for (auto& plane : m_u) {
            if (m_before.empty()) m_before = Image<float>(m_grown);
            m_before.assign(plane.cview());
            apply_thresholds(plane.view(), &hiv, &lov, w);
            Image<float> rho = gaussian_filter(plane, w, Edge::zero);
            for (int r = 0; r < m_grown.height(); ++r) {
                auto rr = rho.row(r);
                auto sr = m_sref.row(r);
                for (std::size_t c = 0; c < rr.size(); ++c) rr[c] = (rr[c] + off) / sr[c];
            }
            Image<float> const rho2 = gaussian_filter(rho, w / 3.0, Edge::reflect);
            for (int r = 0; r < m_grown.height(); ++r) {
                auto pr = plane.row(r);
                auto rr = rho.row(r);
                auto r2 = rho2.row(r);
                auto fr = ref.row(r);
                auto br = m_before.row(r);
                auto gr = m_good.row(r);
                // pixels without a positive reference keep their value (upstream zeroes them, §13.10)
                for (std::size_t c = 0; c < pr.size(); ++c)
                    pr[c] = gr[c] ? (rr[c] + 3.0f * (rr[c] - r2[c])) * fr[c] : br[c];
            }
        }
    }

public:
    Subregion(DcrConfig const& cfg, Box2I core, Box2I grown, std::span<MaskedImageView<float const> const> inputs,
              std::span<MaskPixel const> bad_bits, std::span<MaskPixel const> conv_bits,
              std::span<std::vector<SubfilterShift> const> shifts, std::span<Image<float> const> model,
              MaskedImageView<float const> coadd, int buffer, std::span<double const> input_weights = {})
        : m_cfg(cfg), m_n(cfg.num_subfilters), m_k(int(inputs.size())), m_core(core), m_grown(grown), m_shifts(shifts),
          m_cubic(cfg.image_interp == ShiftInterp::cubic), m_c_mask(coadd.mask()), m_cn(grown), m_model_weight(grown),
          m_buffer(buffer) {
        m_c_bad = known_bits(coadd.mask().planes(), cfg.bad_mask_planes);
        m_c_conv = known_bits(coadd.mask().planes(), cfg.convergence_mask_planes);
        auto const cimg = coadd.image().subimage(grown);
        for (int r = 0; r < grown.height(); ++r)
            for (int c = 0; c < grown.width(); ++c) {
                float const v = cimg(c, r);
                m_cn(c, r) = std::isfinite(v) ? v / float(m_n) : 0.0f;
            }
        for (int a = 0; a < m_n; ++a) {
            Image<float> p(grown);
            p.assign(model[std::size_t(a)].subimage(grown));
            for (int r = 0; r < p.height(); ++r)
                for (auto& v : p.row(r))
                    if (!std::isfinite(v)) v = 0.0f;
            m_model.push_back(std::move(p));
        }
        // inputs on the grown box
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            Image<float> s(grown), w(grown);
            Image<std::uint8_t> use(grown);
            float const weight = input_weights.empty() ? 1.0f : float(input_weights[i]);
            Box2I const ov = inputs[i].bbox().clipped_to(grown);
            if (!ov.empty()) {
                auto const im = inputs[i].image();
                auto const mk = inputs[i].mask();
                for (int y = ov.min_y(); y <= ov.max_y(); ++y)
                    for (int x = ov.min_x(); x <= ov.max_x(); ++x) {
                        Point2I const p{x, y};
                        float const v = im(p);
                        MaskPixel const mv = mk(p);
                        bool const good = std::isfinite(v) && !(mv & bad_bits[i]);
                        s(p) = good ? v : 0.0f;
                        w(p) = good ? weight : 0.0f;
                        use(p) = good && (mv & conv_bits[i]);
                    }
            }
            m_s.push_back(std::move(s));
            m_w.push_back(std::move(w));
            m_use.push_back(std::move(use));
        }
        // coverage per subfilter: counts (usable pixels, nImage) and weighted sums (the update's normalisation);
        // the 0/1 coverage of input i is m_w[i] / weight_i, and shifting is linear
        Image<float> tmp(grown);
        std::vector<Image<float>> cov, wcov;
        for (int a = 0; a < m_n; ++a) {
            cov.emplace_back(grown);
            wcov.emplace_back(grown);
            m_nimage.emplace_back(grown);
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                float const weight = input_weights.empty() ? 1.0f : float(input_weights[i]);
                if (weight == 0.0f) continue; // a dropped input covers nothing
                Extent2D const d = -m_shifts[i][std::size_t(a)].mean;
                tmp.fill(0.0f);
                if (m_cubic) {
                    Image<float> const sp = spline_prefilter(m_w[i]);
                    shift_add(m_w[i], tmp.view(), d, 1.0f / weight, sp.cview());
                } else {
                    shift_add(m_w[i], tmp.view(), d, 1.0f / weight);
                }
                for (int r = 0; r < tmp.height(); ++r)
                    for (int c = 0; c < tmp.width(); ++c) {
                        cov.back()(c, r) += tmp(c, r);
                        wcov.back()(c, r) += weight * tmp(c, r);
                        m_nimage.back()(c, r) += std::int32_t(std::floor(tmp(c, r) + 0.5f));
                    }
            }
        }
        for (int a = 0; a < m_n; ++a) m_dcr_weight.emplace_back(grown);
        for (int r = 0; r < grown.height(); ++r)
            for (int c = 0; c < grown.width(); ++c) {
                bool usable = true;
                for (std::size_t a = 0; a < std::size_t(m_n); ++a)
                    usable &= cov[a](c, r) > cfg.min_coverage && wcov[a](c, r) > 0;
                for (std::size_t a = 0; a < std::size_t(m_n); ++a) {
                    m_dcr_weight[a](c, r) = usable ? 1.0f / wcov[a](c, r) : 0.0f;
                    if (!usable) m_nimage[a](c, r) = 0;
                }
            }
        // model weights: tapered DETECTED footprint of the coadd, normalised by its max (guarded, §13.5)
        if (cfg.use_model_weights) {
            Image<float> det(grown);
            for (int y = grown.min_y(); y <= grown.max_y(); ++y)
                for (int x = grown.min_x(); x <= grown.max_x(); ++x)
                    det(Point2I{x, y}) = (coadd.mask()(Point2I{x, y}) & m_c_conv) ? 1.0f : 0.0f;
            m_model_weight = gaussian_filter(det, cfg.model_weights_width, Edge::reflect);
            float mx = 0;
            for (int r = 0; r < grown.height(); ++r)
                for (float v : m_model_weight.row(r)) mx = std::max(mx, v);
            for (int r = 0; r < grown.height(); ++r)
                for (auto& v : m_model_weight.row(r)) v = mx > 0 ? v / mx : 0.0f;
        }
    }

    [[nodiscard]] Box2I core() const noexcept { return m_core; }
    [[nodiscard]] std::vector<Image<float>> const& model() const noexcept { return m_model; }
    [[nodiscard]] std::vector<Image<std::int32_t>> const& n_image() const noexcept { return m_nimage; }

    /// One update of the model (reference §7 steps 2–8) with conditioning gain `gain`.
    void update(double gain) {
        accelerated(); // also leaves m̄ of the old planes in m_mean (the frequency regulariser's reference)
        if (m_u.empty())
            for (int a = 0; a < m_n; ++a) m_u.emplace_back(m_grown);
        for (auto& u : m_u) u.fill(0.0f);
        if (m_t.empty()) m_t = Image<float>(m_grown);
        for (std::size_t i = 0; i < std::size_t(m_k); ++i) {
            forward(i, m_t.view());
            for (int r = 0; r < m_grown.height(); ++r) {
                auto tr = m_t.row(r);
                auto sr = m_s[i].row(r);
                auto wr = m_w[i].row(r);
                for (std::size_t c = 0; c < tr.size(); ++c) tr[c] = (sr[c] - tr[c]) * wr[c];
            }
            Image<float> sp;
            if (m_cubic) sp = spline_prefilter(m_t);
            for (std::size_t a = 0; a < std::size_t(m_n); ++a)
                shift_add(m_t, m_u[a].view(), -m_shifts[i][a].mean, 1.0f,
                          m_cubic ? sp.cview() : ImageView<float const>{});
        }
        for (std::size_t a = 0; a < std::size_t(m_n); ++a)
            for (int r = 0; r < m_grown.height(); ++r) {
                auto ur = m_u[a].row(r);
                auto mr = m_model[a].row(r);
                auto wr = m_dcr_weight[a].row(r);
                for (std::size_t c = 0; c < ur.size(); ++c) {
                    float const v = mr[c] + wr[c] * ur[c];
                    ur[c] = std::isfinite(v) ? v : mr[c];
                }
            }
        if (m_cfg.regularize_model_iterations > 0) {
            float const f = float(m_cfg.regularize_model_iterations);
            if (m_lo.empty()) m_lo = Image<float>(m_grown);
            if (m_hi.empty()) m_hi = Image<float>(m_grown);
            for (std::size_t a = 0; a < std::size_t(m_n); ++a) {
                for (int r = 0; r < m_grown.height(); ++r) {
                    auto mr = m_model[a].row(r);
                    auto lr = m_lo.row(r);
                    auto hr = m_hi.row(r);
                    // upstream's low bound m/f lies above m when m < 0, which drags negative (noise) pixels towards
                    // 0 and breaks the no-DCR fixed point; min(m/f, m·f) keeps m inside the range
                    for (std::size_t c = 0; c < mr.size(); ++c) {
                        lr[c] = std::min(mr[c] / f, mr[c] * f);
                        hr[c] = std::abs(mr[c]) * f;
                    }
                }
                ImageView<float const> const lov = m_lo.cview(), hiv = m_hi.cview();
                apply_thresholds(m_u[a].view(), &hiv, &lov, m_cfg.regularization_width);
            }
        }
        if (m_cfg.regularize_model_frequency > 0) frequency_regularize();
        float const g = float(gain);
        for (std::size_t a = 0; a < std::size_t(m_n); ++a)
            for (int r = 0; r < m_grown.height(); ++r) {
                auto ur = m_u[a].row(r);
                auto mr = m_model[a].row(r);
                auto wr = m_model_weight.row(r);
                auto cr = m_cn.row(r);
                for (std::size_t c = 0; c < ur.size(); ++c) {
                    float v = (g * ur[c] + mr[c]) / (1.0f + g);
                    if (m_cfg.use_model_weights) v = wr[c] * v + (1.0f - wr[c]) * cr[c];
                    ur[c] = v;
                }
            }
        for (std::size_t a = 0; a < std::size_t(m_n); ++a) m_model[a].assign(m_u[a].subimage(m_core), m_core);
    }

    /// Convergence metric of the current model (reference §10): mean over inputs with usable pixels of
    /// Σ|s − t|·S / Σ(|s + t|/2)·S on the un-grown box; 0 when no input has a usable pixel.
    [[nodiscard]] double metric() const {
        accelerated(); // m_mean = m̄, m_yhat = ŷ
        Box2I nbox = m_core.eroded_by(m_buffer);
        if (nbox.empty()) nbox = m_core;
        double const sigma =
            background_std(m_model[std::size_t(std::min(1, m_n - 1))], m_c_mask, nbox, m_c_bad | m_c_conv);
        int const ox = m_core.min_x() - m_grown.min_x(), oy = m_core.min_y() - m_grown.min_y();
        int const cw = m_core.width(), ch = m_core.height();
        std::vector<float> sig(std::size_t(cw) * std::size_t(ch));
        float mx = 0;
        for (int y = 0; y < ch; ++y) {
            float const* br = m_mean.row(y + oy).data() + ox;
            for (int x = 0; x < cw; ++x) {
                float const v = float(std::abs(br[x]) + 3 * sigma);
                sig[std::size_t(y) * std::size_t(cw) + std::size_t(x)] = v;
                mx = std::max(mx, v);
            }
        }
        if (mx == 0)
            for (auto& v : sig) v += 1.0f;
        if (m_t.empty()) m_t = Image<float>(m_grown);
        double sum = 0;
        int count = 0;
        for (std::size_t i = 0; i < std::size_t(m_k); ++i) {
            forward(i, m_t.view());
            double d = 0, f = 0;
            bool any = false;
            for (int y = 0; y < ch; ++y) {
                float const* tr = m_t.row(y + oy).data() + ox;
                float const* sr = m_s[i].row(y + oy).data() + ox;
                std::uint8_t const* ur = m_use[i].row(y + oy).data() + ox;
                float const* gr = &sig[std::size_t(y) * std::size_t(cw)];
                for (int x = 0; x < cw; ++x) {
                    if (!ur[x]) continue;
                    d += std::abs(double(sr[x]) - tr[x]) * gr[x];
                    f += std::abs(double(sr[x]) + tr[x]) * 0.5 * gr[x];
                    any = true;
                }
            }
            if (any && f > 0) {
                sum += d / f;
                ++count;
            }
        }
        return count ? sum / count : 0.0;
    }

    /// Iterate to convergence (reference §10 stopping rule).
    [[nodiscard]] DcrSubregionReport run() {
        DcrSubregionReport rep;
        rep.box = m_core;
        rep.grown = m_grown;
        int const max_it = m_cfg.max_iterations(), min_it = m_cfg.min_iterations();
        double const base = m_cfg.gain();
        if (!m_cfg.use_convergence) {
            for (int it = 0; it <= max_it + 1; ++it) {
                update(base);
                rep.gains.push_back(base);
                ++rep.updates;
            }
            rep.stop = DcrStop::max_iterations;
            return rep;
        }
        rep.convergence.push_back(metric());
        if (rep.convergence.back() == 0) {
            rep.stop = DcrStop::no_data;
            return rep;
        }
        double check = std::numeric_limits<double>::infinity();
        int it = 0;
        rep.stop = DcrStop::converged;
        while (check > m_cfg.convergence_threshold || it <= min_it) {
            double const g = calculate_gain(rep.convergence, rep.gains, base, m_cfg.use_progressive_gain);
            std::vector<Image<float>> previous;
            if (m_cfg.revert_on_divergence) previous = m_model;
            update(g);
            ++rep.updates;
            double const metric_now = metric();
            if (metric_now == 0) {
                rep.stop = DcrStop::no_data;
                break;
            }
            check = (rep.convergence.back() - metric_now) / metric_now;
            if (check < 0 && it > min_it) {
                rep.stop = DcrStop::diverged;
                if (m_cfg.revert_on_divergence) m_model = std::move(previous);
                rep.gains.pop_back();
                break;
            }
            rep.convergence.push_back(metric_now);
            if (it > max_it) {
                rep.stop = DcrStop::max_iterations;
                break;
            }
            ++it;
        }
        return rep;
    }
};

} // namespace detail::dcr

/// A plain mean of masked inputs over `bbox`, the starting point of the DCR model (a stand-in for the generic
/// stacker): per pixel the mean of inputs that cover it with a finite value and none of `bad_planes`; variance
/// Σvar/n²; mask = OR of the contributing inputs' other bits; NaN and NO_DATA where no input contributes.
/// @throws InvalidParameterError when there are no inputs or their masks use different plane layouts.
[[nodiscard]] inline MaskedImage<float>
dcr_plain_coadd(std::span<MaskedImageView<float const> const> inputs, Box2I bbox,
                std::vector<std::string> const& bad_planes = {"NO_DATA", "BAD", "SAT"}) {
    if (inputs.empty()) throw InvalidParameterError("dcr_plain_coadd: no inputs");
    auto planes = inputs[0].mask().planes().shared_from_this();
    for (auto const& in : inputs)
        if (!in.mask().planes().same_layout(*planes))
            throw InvalidParameterError("dcr_plain_coadd: the inputs' masks use different plane layouts");
    MaskPixel const bad = detail::dcr::known_bits(*planes, bad_planes);
    MaskPixel const no_data = MaskPixel(1) << planes->add("NO_DATA");
    MaskedImage<float> out(bbox, planes);
    for (int y = bbox.min_y(); y <= bbox.max_y(); ++y)
        for (int x = bbox.min_x(); x <= bbox.max_x(); ++x) {
            Point2I const p{x, y};
            double s = 0, v = 0;
            int n = 0;
            MaskPixel m = 0;
            for (auto const& in : inputs) {
                if (!in.bbox().contains(p)) continue;
                float const val = in.image()(p);
                MaskPixel const mv = in.mask()(p);
                if (!std::isfinite(val) || (mv & bad)) continue;
                s += val;
                v += in.variance()(p);
                m |= mv & ~bad;
                ++n;
            }
            out.image()(p) = n ? float(s / n) : std::numeric_limits<float>::quiet_NaN();
            out.variance()(p) = n ? float(v / (double(n) * n)) : std::numeric_limits<float>::quiet_NaN();
            out.mask()(p) = n ? m : no_data;
        }
    return out;
}

/// The DCR subfilter model (ip_diffim `DcrModel` + drp_tasks `DcrAssembleCoaddTask`): N subfilter planes on the
/// coadd grid, fitted so that each input ≈ Σ_α B_iα ŷ_α, ŷ_α = m̄ + A·(m_α − m̄) (reference dcr.md §4).
///
/// The published subfilter images are ŷ_α (subfilter()); their mask is the coadd's and their variance Var(C)/N (not
/// propagated through the fit, as upstream). Every shift is evaluated once per exposure with the Jacobian given at
/// construction (one evaluation point for forward and reverse shifts).
class DcrModel {
    DcrConfig m_cfg;
    SkyJacobian m_jac;
    MaskedImage<float> m_coadd;
    std::vector<Image<float>> m_planes;
    std::vector<Image<std::int32_t>> m_nimage;

public:
    /// Initial model m_α = C/N (non-finite C → 0) from the plain coadd C of the same inputs on the model grid.
    /// @throws InvalidParameterError for an invalid config or Jacobian, or an empty coadd.
    DcrModel(MaskedImage<float> coadd, SkyJacobian jac, DcrConfig cfg)
        : m_cfg(std::move(cfg)), m_jac(jac), m_coadd(std::move(coadd)) {
        m_cfg.validate();
        m_jac.validate();
        if (m_coadd.empty()) throw InvalidParameterError("DcrModel: the coadd is empty");
        float const inv = 1.0f / float(m_cfg.num_subfilters);
        for (int a = 0; a < m_cfg.num_subfilters; ++a) {
            Image<float> p(m_coadd.bbox());
            for (int r = 0; r < p.height(); ++r) {
                auto src = m_coadd.image().row(r);
                auto dst = p.row(r);
                for (std::size_t c = 0; c < dst.size(); ++c) dst[c] = std::isfinite(src[c]) ? src[c] * inv : 0.0f;
            }
            m_planes.push_back(std::move(p));
            m_nimage.emplace_back(m_coadd.bbox());
        }
    }

    [[nodiscard]] int num_subfilters() const noexcept { return m_cfg.num_subfilters; }
    [[nodiscard]] Box2I bbox() const noexcept { return m_coadd.bbox(); }
    [[nodiscard]] DcrConfig const& config() const noexcept { return m_cfg; }
    [[nodiscard]] SkyJacobian const& jacobian() const noexcept { return m_jac; }
    /// The plain coadd C the model started from.
    [[nodiscard]] MaskedImage<float> const& coadd() const noexcept { return m_coadd; }
    /// Internal (un-accelerated) plane m_α. @throws LengthError for α out of range.
    [[nodiscard]] ImageView<float const> plane(int a) const { return m_planes.at(std::size_t(a)).cview(); }
    /// Number of inputs covering each pixel of subfilter α after the reverse shift (0 where not updated).
    [[nodiscard]] ImageView<std::int32_t const> n_image(int a) const { return m_nimage.at(std::size_t(a)).cview(); }

    /// Shifts of an exposure taken under `cond` on this model's grid.
    [[nodiscard]] std::vector<SubfilterShift> shifts(ObservingConditions const& cond) const {
        return dcr_shifts(cond, m_jac, m_cfg);
    }

    /// Published subfilter image ŷ_α = m̄ + A·(m_α − m̄). @throws LengthError for α out of range.
    [[nodiscard]] Image<float> subfilter_image(int a) const {
        if (a < 0 || a >= num_subfilters())
            throw LengthError(detail::msg("DcrModel: subfilter ", a, " outside [0, ", num_subfilters(), ")"));
        Image<float> out(bbox());
        double const A = m_cfg.accelerate_model;
        float const inv = 1.0f / float(num_subfilters());
        for (int r = 0; r < out.height(); ++r) {
            auto o = out.row(r);
            for (std::size_t c = 0; c < o.size(); ++c) {
                float mean = 0;
                for (auto const& p : m_planes) mean += p.row(r)[c];
                mean *= inv;
                o[c] = float(mean + A * (m_planes[std::size_t(a)].row(r)[c] - mean));
            }
        }
        return out;
    }

    /// Subfilter α as a MaskedImage: ŷ_α, the coadd's mask, variance Var(C)/N.
    [[nodiscard]] MaskedImage<float> subfilter(int a) const {
        Image<float> var = m_coadd.variance().clone();
        float const inv = 1.0f / float(num_subfilters());
        for (int r = 0; r < var.height(); ++r)
            for (auto& v : var.row(r)) v *= inv;
        return MaskedImage<float>(subfilter_image(a), m_coadd.mask().clone(), std::move(var));
    }

    /// Full-band DCR coadd Σ_α ŷ_α (= Σ_α m_α), the coadd's mask and variance.
    [[nodiscard]] MaskedImage<float> full_band() const {
        Image<float> img(bbox());
        for (auto const& p : m_planes)
            for (int r = 0; r < img.height(); ++r) {
                auto o = img.row(r);
                auto s = p.row(r);
                for (std::size_t c = 0; c < o.size(); ++c) o[c] += s[c];
            }
        return MaskedImage<float>(std::move(img), m_coadd.mask().clone(), m_coadd.variance().clone());
    }

    /// DCR-matched template for an exposure with per-subfilter shifts `shifts` (forward model §4, split as
    /// configured): Σ_α B_α ŷ_α; mask and variance of the coadd (N planes of variance Var(C)/N).
    /// @throws LengthError when `shifts` does not have one entry per subfilter.
    [[nodiscard]] MaskedImage<float> matched_template(std::span<SubfilterShift const> shifts) const {
        if (int(shifts.size()) != num_subfilters())
            throw LengthError(
                detail::msg("matched_template: ", shifts.size(), " shifts for ", num_subfilters(), " subfilters"));
        Image<float> img(bbox());
        for (int a = 0; a < num_subfilters(); ++a) {
            Image<float> const y = subfilter_image(a);
            Image<float> sp;
            if (m_cfg.image_interp == ShiftInterp::cubic) sp = spline_prefilter(y);
            ImageView<float const> const spv = sp.empty() ? ImageView<float const>{} : sp.cview();
            SubfilterShift const& s = shifts[std::size_t(a)];
            if (s.split) {
                shift_add(y, img.view(), s.half[0], 0.5f, spv);
                shift_add(y, img.view(), s.half[1], 0.5f, spv);
            } else {
                shift_add(y, img.view(), s.mean, 1.0f, spv);
            }
        }
        return MaskedImage<float>(std::move(img), m_coadd.mask().clone(), m_coadd.variance().clone());
    }
    /// DCR-matched template for an exposure taken under `cond`.
    [[nodiscard]] MaskedImage<float> matched_template(ObservingConditions const& cond) const {
        auto const s = shifts(cond);
        return matched_template(std::span<SubfilterShift const>(s));
    }

    /// Fit the model to `inputs` (warps on this model's grid, any bbox overlapping it) observed under `conditions`
    /// (one per input): the patch is split into subregion_size boxes, each grown by the DCR buffer, iterated to
    /// convergence on its own and written back on the un-grown box; subregions run on `num_threads` threads.
    /// `stop`: once a stop is requested no new subregion starts, and the call throws CancelledError with the model
    /// unchanged.
    /// @throws LengthError when the counts differ or there are no inputs; InvalidParameterError for bad conditions.
    DcrFitReport fit(std::span<MaskedImageView<float const> const> inputs,
                     std::span<ObservingConditions const> conditions, DcrProgress const& progress = {},
                     std::stop_token stop = {}) {
        if (inputs.empty()) throw LengthError("DcrModel::fit: no inputs");
        if (inputs.size() != conditions.size())
            throw LengthError(detail::msg("DcrModel::fit: ", inputs.size(), " inputs but ", conditions.size(),
                                          " observing conditions"));
        std::vector<std::vector<SubfilterShift>> shifts;
        std::vector<MaskPixel> bad_bits, conv_bits;
        std::vector<double> weights;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            shifts.push_back(this->shifts(conditions[i]));
            bad_bits.push_back(detail::dcr::known_bits(inputs[i].mask().planes(), m_cfg.bad_mask_planes));
            conv_bits.push_back(detail::dcr::known_bits(inputs[i].mask().planes(), m_cfg.convergence_mask_planes));
            if (m_cfg.use_variance_weights)
                weights.push_back(detail::dcr::inverse_mean_variance(inputs[i], bbox(), bad_bits.back()));
        }
        DcrFitReport report;
        report.buffer_size = dcr_buffer_size(std::span<std::vector<SubfilterShift> const>(shifts), m_cfg.image_interp);
        std::vector<Box2I> cores;
        Box2I const bb = bbox();
        for (int y = bb.min_y(); y <= bb.max_y(); y += m_cfg.subregion_size.y)
            for (int x = bb.min_x(); x <= bb.max_x(); x += m_cfg.subregion_size.x)
                cores.push_back(Box2I::from_min_size({x, y}, m_cfg.subregion_size).clipped_to(bb));
        report.subregions.resize(cores.size());
        std::vector<Image<float>> next;
        for (auto const& p : m_planes) next.push_back(p.clone());
        MaskedImageView<float const> const cview = m_coadd.cview();

        std::atomic<std::size_t> next_job{0};
        std::size_t done = 0;
        std::mutex mtx;
        std::exception_ptr error;
        auto worker = [&] {
            for (;;) {
                if (stop.stop_requested()) return;
                std::size_t const j = next_job.fetch_add(1);
                if (j >= cores.size()) return;
                try {
                    Box2I const grown = cores[j].dilated_by(report.buffer_size).clipped_to(bb);
                    detail::dcr::Subregion sub(m_cfg, cores[j], grown, inputs, bad_bits, conv_bits, shifts, m_planes,
                                               cview, report.buffer_size, weights);
                    report.subregions[j] = sub.run();
                    for (std::size_t a = 0; a < m_planes.size(); ++a) {
                        next[a].assign(sub.model()[a].subimage(cores[j]), cores[j]);
                        m_nimage[a].assign(sub.n_image()[a].subimage(cores[j]), cores[j]);
                    }
                    std::lock_guard lock(mtx);
                    ++done;
                    if (progress) progress(done, cores.size());
                } catch (...) {
                    std::lock_guard lock(mtx);
                    if (!error) error = std::current_exception();
                    next_job = cores.size();
                    return;
                }
            }
        };
        std::size_t nthreads =
            m_cfg.num_threads > 0 ? std::size_t(m_cfg.num_threads) : std::max(1u, std::thread::hardware_concurrency());
        nthreads = std::min(nthreads, cores.size());
        if (nthreads <= 1) {
            worker();
        } else {
            std::vector<std::jthread> pool;
            for (std::size_t t = 0; t < nthreads; ++t) pool.emplace_back(worker);
        }
        if (error) std::rethrow_exception(error);
        if (done < cores.size())
            throw CancelledError(
                detail::msg("DcrModel::fit: cancelled after ", done, " of ", cores.size(), " subregions"));
        m_planes = std::move(next);
        return report;
    }
};

/// Result of dcr_stack(): the fitted model and what happened.
struct DcrStackResult {
    DcrModel model;
    DcrFitReport report;
    /// The published subfilter MaskedImages ŷ_α (α = 0 bluest).
    [[nodiscard]] std::vector<MaskedImage<float>> subfilters() const {
        std::vector<MaskedImage<float>> out;
        for (int a = 0; a < model.num_subfilters(); ++a) out.push_back(model.subfilter(a));
        return out;
    }
};

/// One call from warps to DCR subfilter coadds (the entry point for skystack-coadd): plain mean coadd of `inputs`
/// over `bbox` (or `coadd` when given), initial model C/N, fit. `jacobian` describes the coadd WCS at the patch
/// centre; `conditions[i]` belongs to `inputs[i]`.
/// @throws as DcrModel::fit (CancelledError once `stop` is requested) and dcr_plain_coadd.
[[nodiscard]] inline DcrStackResult dcr_stack(std::span<MaskedImageView<float const> const> inputs,
                                              std::span<ObservingConditions const> conditions, Box2I bbox,
                                              SkyJacobian const& jacobian, DcrConfig const& cfg,
                                              DcrProgress const& progress = {}, std::stop_token stop = {}) {
    cfg.validate();
    DcrModel model(dcr_plain_coadd(inputs, bbox, cfg.bad_mask_planes), jacobian, cfg);
    DcrFitReport rep = model.fit(inputs, conditions, progress, std::move(stop));
    return {std::move(model), std::move(rep)};
}

} // namespace skystack
