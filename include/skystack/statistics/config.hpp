// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/pixel_traits.hpp>

#include <array>
#include <cmath>

namespace skystack {

/// How `statistics()` computes (afw StatisticsControl as an aggregate; defaults are afw's).
///
/// ```cpp
/// auto s = statistics(img, Stat::MeanClip, {.nsigma = 2.5, .max_iter = 5, .bad_mask = bad});
/// ```
struct StatisticsConfig {
    /// Clip half-width in standard deviations (afw numSigmaClip); must be > 0.
    double nsigma = 3.0;
    /// Number of clipping iterations (afw numIter); must be > 0.
    int max_iter = 3;
    /// Pixels with any of these mask bits are ignored (afw andMask). Unused for plain images.
    MaskPixel bad_mask = 0;
    /// Skip non-finite values (afw nanSafe). When false, NaN/inf enter the sums and poison them.
    bool nan_safe = true;
    /// Weight masked-image pixels by 1/variance (afw weighted); pixels with variance <= 0 are then not accepted.
    /// Explicit weights passed to `statistics()` are used whatever this says.
    bool weighted = false;
    /// Error of the mean from the input variance plane: sum(w^2 V) / (sum w)^2 (afw calcErrorFromInputVariance).
    /// Needs a masked image.
    bool error_from_input_variance = false;
    /// Per mask bit b: if the weight fraction of rejected pixels carrying b exceeds this, b is OR-ed into the
    /// OrMask result (afw maskPropagationThreshold; 1.0 = never). Indexed by bit number.
    std::array<double, 32> mask_propagation_thresholds = all_ones();

    /// Set the propagation threshold of mask bit `bit` (0..31) and return *this, for chaining.
    /// @throws InvalidParameterError for a bit outside 0..31.
    constexpr StatisticsConfig& set_mask_propagation_threshold(int bit, double threshold) {
        if (bit < 0 || bit >= 32)
            throw InvalidParameterError(detail::msg("StatisticsConfig: mask bit ", bit, " outside 0..31"));
        mask_propagation_thresholds[static_cast<std::size_t>(bit)] = threshold;
        return *this;
    }
    /// True when some bit has a threshold below 1 (so rejected weights must be tracked).
    [[nodiscard]] constexpr bool propagates_masks() const noexcept {
        for (double t : mask_propagation_thresholds)
            if (t < 1.0) return true;
        return false;
    }

    /// Check every knob. @throws InvalidParameterError naming the knob and its value.
    void validate() const {
        if (!(nsigma > 0.0) || !std::isfinite(nsigma))
            throw InvalidParameterError(detail::msg("StatisticsConfig: nsigma must be finite and > 0, got ", nsigma));
        if (max_iter <= 0)
            throw InvalidParameterError(detail::msg("StatisticsConfig: max_iter must be > 0, got ", max_iter));
        for (std::size_t b = 0; b < mask_propagation_thresholds.size(); ++b)
            if (std::isnan(mask_propagation_thresholds[b]) || mask_propagation_thresholds[b] < 0.0)
                throw InvalidParameterError(detail::msg("StatisticsConfig: mask propagation threshold of bit ", b,
                                                        " must be >= 0, got ", mask_propagation_thresholds[b]));
    }

private:
    static constexpr std::array<double, 32> all_ones() noexcept {
        std::array<double, 32> a{};
        for (auto& v : a) v = 1.0;
        return a;
    }
};

} // namespace skystack
