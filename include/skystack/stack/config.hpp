// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>
#include <skystack/image.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/pixel_traits.hpp>
#include <skystack/stack/policies.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace skystack {

/// Where the output variance comes from (afw calcErrorFromInputVariance).
enum class VarianceSource {
    inputs,  ///< Σw²V/(Σw)² over the samples used (AssembleCoadd default)
    scatter, ///< the weighted sample variance of the samples used, s²·Σw²/(Σw)²
};

/// Everything a stack needs besides the combine/rejection policies (AssembleCoadd + afw StatisticsControl
/// knobs). Defaults are AssembleCoadd's. Numbers live here, not in the policies.
struct StackConfig {
    /// Input pixels with any of these planes are excluded (AssembleCoadd badMaskPlanes → andMask).
    std::vector<std::string> bad_mask_planes = {"NO_DATA", "BAD", "SAT", "EDGE"};
    /// Extra bad bits OR-ed into the planes above.
    MaskPixel bad_mask = 0;
    /// Planes cleared from the inputs before stacking, after nImage is counted (AssembleCoadd removeMaskPlanes);
    /// names the registry does not know are ignored.
    std::vector<std::string> remove_mask_planes = {"NOT_DEBLENDED"};
    /// One weight per input, finite and ≥ 0 (0 drops the input). Empty: policies with `weighted = true` use
    /// 1/MEANCLIP of each input's (scaled) variance plane with the bad mask (AssembleCoadd); an input whose
    /// clipped mean variance is not finite and > 0 gets weight 0. Unweighted policies (Mean, Sum) ignore this.
    std::vector<double> weights;
    /// One photometric scale factor per input (finite, > 0), applied as image×s and variance×s². Empty: 1.
    std::vector<double> scales;
    /// Plane → threshold: the plane is OR-ed into the output when the weight fraction of rejected samples that
    /// carry it exceeds the threshold (afw maskPropagationThresholds; AssembleCoadd {SAT: 0.1}).
    std::vector<std::pair<std::string, double>> mask_propagation_thresholds = {{"SAT", 0.1}};
    /// Set the CLIPPED plane where a rejection policy removed at least one sample.
    bool record_clipped = true;
    /// AssembleCoadd's rejected-mask mapping (coadd.md §4.1): bad planes other than NO_DATA, EDGE, CLIPPED →
    /// REJECTED; EDGE → SENSOR_EDGE; CLIPPED → CLIPPED, applied where some input sample was rejected.
    bool rejected_mask_mapping = true;
    /// Output variance from the input variances (default) or from the scatter of the samples.
    VarianceSource variance = VarianceSource::inputs;
    /// Also return the number of accepted inputs per pixel (before clipping), as AssembleCoadd's nImage.
    bool nimage = false;
    /// Parameters of rejection policies (SigmaClip: AssembleCoadd sigmaClip 3, clipIter 2) and of the default
    /// weights' MEANCLIP.
    ClipParams clip{};
    /// Tile (subregion) size in pixels: memory and parallel work unit. Results do not depend on it.
    Extent2I tile_size{2048, 4};
    /// Worker threads (tiles in parallel); 0 = std::thread::hardware_concurrency(). Results do not depend on it.
    int threads = 1;
    /// Called after each finished tile with (tiles done, tiles total), from one thread at a time.
    std::function<void(std::size_t, std::size_t)> progress;
    /// Cancellation: once a stop is requested (from any thread, e.g. from `progress`), the workers start no new
    /// tile and the call throws CancelledError. Stacker::into leaves the tiles finished before that written and
    /// the others unchanged.
    std::stop_token stop;

    /// @throws InvalidParameterError for a bad tile size, thread count, clip parameters or thresholds.
    void validate() const {
        if (tile_size.x <= 0 || tile_size.y <= 0)
            throw InvalidParameterError(detail::msg("StackConfig: tile_size must be positive, got ", tile_size));
        if (threads < 0) throw InvalidParameterError(detail::msg("StackConfig: threads must be >= 0, got ", threads));
        if (!(clip.nsigma > 0) || !std::isfinite(clip.nsigma))
            throw InvalidParameterError(detail::msg("StackConfig: clip.nsigma must be > 0, got ", clip.nsigma));
        if (clip.max_iter <= 0)
            throw InvalidParameterError(detail::msg("StackConfig: clip.max_iter must be > 0, got ", clip.max_iter));
        for (auto const& [name, t] : mask_propagation_thresholds)
            if (!(t >= 0.0 && t <= 1.0))
                throw InvalidParameterError(
                    detail::msg("StackConfig: mask propagation threshold of ", name, " must be in [0, 1], got ", t));
    }
};

/// What a stack returns.
template <class T>
struct StackResult {
    MaskedImage<T> coadd;        ///< image, mask and variance over the output bbox
    Image<std::uint16_t> nimage; ///< accepted inputs per pixel (empty unless StackConfig::nimage)
    std::vector<double> weights; ///< the weight used for each input (after defaults; 1 for unweighted)
};

} // namespace skystack
