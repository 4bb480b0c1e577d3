// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/geom/box.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace skystack::tool {

/// Exit codes scripts can rely on (documented in --help and docs/cli.md).
enum ExitCode : int {
    exit_ok = 0,            ///< coadd (or demo) written
    exit_internal = 1,      ///< unexpected failure (a bug): please report it
    exit_usage = 2,         ///< bad command line: unknown option, bad value, unknown statistic or mask plane
    exit_input = 3,         ///< an input cannot be used: missing, not FITS, mismatched pixel types, no overlap, ...
    exit_output = 4,        ///< an output cannot be written: directory not writable, disk full, ...
    exit_no_data = 5,       ///< inputs are valid but nothing can be stacked (no input overlaps the output bbox)
    exit_interrupted = 130, ///< stopped by SIGINT (Ctrl-C) or SIGTERM: nothing was written (128 + SIGINT)
};

/// An error that ends the run with a given exit code; the message names the file or option at fault.
class ToolError : public std::runtime_error {
    int m_code;

public:
    ToolError(int code, std::string const& what) : std::runtime_error(what), m_code(code) {}
    [[nodiscard]] int code() const noexcept { return m_code; }
};

enum class Statistic { mean, weighted_mean, median, meanclip, varclip, sum, min, max, dcr };
enum class Stretch { asinh, zscale, linear };
enum class Weighting { inverse_variance, uniform };

/// Everything the command line can say.
struct Options {
    // inputs
    std::vector<std::string> inputs; ///< paths or glob patterns
    std::string list_file;           ///< a file listing inputs, one per line, with optional key=value columns
    std::optional<Box2I> bbox;       ///< output bbox (parent coordinates); default: union of the inputs
    // algorithm
    Statistic statistic = Statistic::meanclip;
    double nsigma = 3.0;                                                       ///< drp_tasks sigmaClip
    int iterations = 2;                                                        ///< drp_tasks clipIter
    std::vector<std::string> bad_mask_planes{"NO_DATA", "BAD", "SAT", "EDGE"}; ///< drp_tasks badMaskPlanes
    bool bad_planes_given = false;
    std::string zp_keyword;       ///< header keyword holding each input's magnitude zero point
    std::string zp_table;         ///< a table "name zp"
    std::optional<double> zp_ref; ///< zero point of the coadd (default: COADDZP, else the inputs' common one)
    Weighting weighting = Weighting::inverse_variance;
    std::string weight_table; ///< a table "name weight", overrides the weighting rule
    int tile = 0;             ///< tile size in pixels (0: the stacker's default)
    int threads = 0;          ///< 0: all cores
    int dcr_subfilters = 3;   ///< DCR: number of sub-filters
    double dcr_wavelength = std::numeric_limits<double>::quiet_NaN(); ///< DCR: effective wavelength, nm
    double dcr_bandwidth = std::numeric_limits<double>::quiet_NaN();  ///< DCR: band width, nm
    double site_latitude = -30.2446;                                  ///< DCR: observatory latitude, deg (Rubin)
    double site_height = 2663.0;                                      ///< DCR: observatory height, m (Rubin)
    double pixel_scale = 0.2;                  ///< DCR: coadd pixel scale, arcsec (north up, east left)
    std::string airmass_keyword = "AIRMASS";   ///< DCR: per-input airmass
    std::string parangle_keyword = "PARANGLE"; ///< DCR: per-input parallactic angle, deg
    // outputs
    std::string output = "out/coadd"; ///< output directory
    bool output_given = false;
    std::string compress = "none";                   ///< FITS tile compression of the coadd
    bool nimage = false;                             ///< also write the nImage (inputs per pixel) image
    int cell_size = 0;                               ///< --cells SIZE[:BORDER]: also write a cell coadd (0: none)
    int cell_border = 0;                             ///< its cell border
    std::optional<Stretch> preview = Stretch::asinh; ///< nullopt: no PNG
    std::string overlay = "default";                 ///< mask planes drawn on the preview
    int compare_input = -1;                          ///< input shown beside the coadd in the preview (-1: none)
    int preview_max = 2048; ///< largest panel width or height in the PNG (block-averaged above)
    bool quiet = false;
    bool force_progress = false;
    // demo
    bool demo = false;
    std::string write_demo_inputs; ///< write the synthetic inputs as FITS into this directory
    int demo_frames = 12;
    int demo_size = 1024;
    std::uint64_t demo_seed = 20260601;

    std::string command_line; ///< as typed, for the report
};

/// Parse argv. Prints --help / --version and returns nullopt when the program should exit 0 right away.
/// @throws ToolError(exit_usage) on a bad command line.
std::optional<Options> parse_options(int argc, char** argv);

std::string to_string(Statistic s);
std::string to_string(Stretch s);

} // namespace skystack::tool
