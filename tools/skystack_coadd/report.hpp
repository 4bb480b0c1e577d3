// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"

#include <skystack/masked_image.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace skystack::tool {

/// What the report says about one input.
struct InputReport {
    std::string path;
    Box2I bbox{};
    std::string pixel_type;
    double zero_point = 0;                                 ///< NaN when the input has none
    double scale = 1;                                      ///< photometric scale applied (image x s, variance x s^2)
    double weight = 1;                                     ///< weight used by the stacker
    std::int64_t pixels_in_output = 0;                     ///< pixels of this input inside the output bbox
    std::int64_t pixels_rejected = 0;                      ///< of those, excluded by the bad mask or not finite
    std::map<std::string, std::int64_t> rejected_by_plane; ///< excluded pixels carrying each bad plane
    std::int64_t non_finite = 0;                           ///< NaN / inf pixels (excluded too)
};

/// Robust statistics of the coadd (finite pixels without NO_DATA).
struct OutputStats {
    std::int64_t pixels = 0, valid = 0;
    double mean = 0, median = 0, stddev = 0, clipped_mean = 0, clipped_stddev = 0, min = 0, max = 0;
    double median_error = 0;                         ///< median of sqrt(variance): the typical per-pixel noise
    std::map<std::string, std::int64_t> mask_counts; ///< coadd pixels carrying each plane
};

struct Timing {
    double prepare_s = 0; ///< reading or generating the inputs
    double stack_s = 0;   ///< the stacker
    double write_s = 0;   ///< FITS, PNG and report
    double total_s = 0;
    std::int64_t bytes_stacked = 0; ///< image + mask + variance bytes of the inputs within the output bbox
    std::int64_t output_pixels = 0;
};

/// Everything in report.json / report.txt.
struct Report {
    std::string command_line;
    std::string mode; ///< "demo" or "files"
    Options const* options = nullptr;
    Box2I bbox{};
    double zp_ref = 0;
    std::vector<InputReport> inputs;
    std::vector<std::string> skipped; ///< inputs given but not used, with why
    OutputStats output;
    Timing timing;
    std::map<std::string, std::string> files;        ///< role -> path written
    nlohmann::json extra = nlohmann::json::object(); ///< top-level sections: "demo" truth checks, "dcr" fit
};

/// Statistics of the coadd (iterative 3-sigma clip, 3 iterations, for the clipped numbers).
OutputStats output_stats(MaskedImageView<float const> coadd);
OutputStats output_stats(MaskedImageView<double const> coadd);

/// Count, for one input, the pixels inside `bbox` that the stacker excludes (bad planes, non-finite).
InputReport count_rejections(MaskedImageView<float const> in, Box2I bbox, std::vector<std::string> const& bad_planes);
InputReport count_rejections(MaskedImageView<double const> in, Box2I bbox, std::vector<std::string> const& bad_planes);

nlohmann::json to_json(Report const& r);
/// A short human-readable summary (also printed to stdout).
std::string to_text(Report const& r);

} // namespace skystack::tool
