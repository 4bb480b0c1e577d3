// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/dcr/shift.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace skystack {

/// Configuration of the DCR subfilter model (drp_tasks `DcrAssembleCoaddConfig`, reference dcr.md §12).
/// Defaults are upstream's; `effective_wavelength` and `bandwidth` have none and must be set.
struct DcrConfig {
    int num_subfilters = 3;                                                 ///< N ≥ 2 (dcrNumSubfilters)
    double effective_wavelength = std::numeric_limits<double>::quiet_NaN(); ///< λ_eff [nm], required
    double bandwidth = std::numeric_limits<double>::quiet_NaN();            ///< full band width [nm], required
    int max_num_iter = 0;                ///< maximum iterations; 0 → 3N (maxNumIter)
    int min_num_iter = 0;                ///< minimum iterations; 0 → N (minNumIter)
    double convergence_threshold = 1e-3; ///< stop when the relative metric improvement falls below this
    bool use_convergence = true;         ///< compute the convergence metric and allow early stopping
    double base_gain = 0.0;              ///< weight of the new solution vs the old; 0 → 1/(N−1) (baseGain None)
    bool use_progressive_gain = true;    ///< raise the gain when the metric is predicted well (§9)
    bool use_model_weights = true;       ///< keep C/N far from DETECTED pixels of the coadd
    double model_weights_width = 3.0;    ///< σ [px] of the taper of the DETECTED footprint
    bool split_subfilters = true;        ///< forward-model each subfilter with two half-shifts
    double split_threshold = 0.1;        ///< [px] split only when the half-shifts differ by at least this; 0 = always
    double regularize_model_iterations = 2.0; ///< max change factor per iteration; 0 disables (modelClampFactor)
    double regularize_model_frequency = 4.0;  ///< max factor between subfilters; 0 disables (frequencyClampFactor)
    int regularization_width = 2;             ///< opening radius and smoothing σ [px]
    ShiftInterp image_interp = ShiftInterp::linear; ///< spline order of the shifts (imageInterpOrder 1 or 3)
    double accelerate_model = 3.0;                  ///< A: published planes are m̄ + A·(m_α − m̄)
    Extent2I subregion_size{2000, 2000};            ///< work unit; each is grown by the DCR buffer
    std::vector<std::string> bad_mask_planes{"NO_DATA", "BAD", "SAT"}; ///< inputs' pixels with coverage 0
    std::vector<std::string> convergence_mask_planes{"DETECTED"};      ///< pixels used by the metric / weights
    /// A pixel is updated only where every subfilter's coverage W_α exceeds this (upstream 1, strict: pixels seen
    /// by a single exposure are never updated, reference §13.9).
    double min_coverage = 1.0;
    /// When an iteration makes the metric worse after min_num_iter, restore the previous model (DMTN-037);
    /// upstream keeps the diverged update (false).
    bool revert_on_divergence = true;
    /// Weight each input's residuals and coverage by 1 / (mean variance of its good pixels), so the update is an
    /// inverse-variance weighted average; upstream computes such per-warp weights but its update ignores them
    /// (reference §13.8). Off by default (upstream behaviour).
    bool use_variance_weights = false;
    int num_threads = 0; ///< worker threads over subregions; 0 = std::thread::hardware_concurrency()

    /// Effective maximum / minimum iteration counts and base gain after applying the "0 = default" rules.
    [[nodiscard]] int max_iterations() const noexcept { return max_num_iter > 0 ? max_num_iter : 3 * num_subfilters; }
    [[nodiscard]] int min_iterations() const noexcept { return min_num_iter > 0 ? min_num_iter : num_subfilters; }
    [[nodiscard]] double gain() const noexcept { return base_gain > 0 ? base_gain : 1.0 / (num_subfilters - 1); }

    /// Wavelength range [lo, hi] in nm of each subfilter α = 0 … N−1 (0 = bluest): λ_min = λ_eff − BW/2,
    /// step BW/N (reference §3). @throws InvalidParameterError as validate().
    [[nodiscard]] std::vector<std::array<double, 2>> subfilter_wavelengths() const {
        validate();
        std::vector<std::array<double, 2>> out(static_cast<std::size_t>(num_subfilters));
        double const lo = effective_wavelength - bandwidth / 2.0, step = bandwidth / num_subfilters;
        for (int a = 0; a < num_subfilters; ++a) out[std::size_t(a)] = {lo + a * step, lo + (a + 1) * step};
        return out;
    }

    /// @throws InvalidParameterError naming the first offending knob and its value.
    void validate() const {
        auto bad = [](char const* what, auto v) {
            throw InvalidParameterError(detail::msg("DcrConfig: ", what, " = ", v, " is invalid"));
        };
        if (num_subfilters < 2) bad("num_subfilters (must be >= 2)", num_subfilters);
        if (!(effective_wavelength > 0)) bad("effective_wavelength [nm] (required, > 0)", effective_wavelength);
        if (!(bandwidth > 0)) bad("bandwidth [nm] (required, > 0)", bandwidth);
        if (max_num_iter < 0) bad("max_num_iter", max_num_iter);
        if (min_num_iter < 0) bad("min_num_iter", min_num_iter);
        if (!(convergence_threshold >= 0)) bad("convergence_threshold", convergence_threshold);
        if (!(base_gain >= 0) || !std::isfinite(base_gain)) bad("base_gain", base_gain);
        if (use_model_weights && !(model_weights_width >= 0)) bad("model_weights_width", model_weights_width);
        if (!(split_threshold >= 0)) bad("split_threshold", split_threshold);
        if (!(regularize_model_iterations == 0 || regularize_model_iterations >= 1))
            bad("regularize_model_iterations (0 or >= 1)", regularize_model_iterations);
        if (!(regularize_model_frequency == 0 || regularize_model_frequency >= 1))
            bad("regularize_model_frequency (0 or >= 1)", regularize_model_frequency);
        if (regularization_width < 0) bad("regularization_width", regularization_width);
        if (image_interp != ShiftInterp::linear && image_interp != ShiftInterp::cubic)
            bad("image_interp (order 1 or 3)", int(image_interp));
        if (!(accelerate_model > 0) || !std::isfinite(accelerate_model)) bad("accelerate_model", accelerate_model);
        if (subregion_size.x <= 0 || subregion_size.y <= 0) bad("subregion_size", subregion_size);
        if (!(min_coverage >= 0)) bad("min_coverage", min_coverage);
        if (num_threads < 0) bad("num_threads", num_threads);
    }
};

} // namespace skystack
