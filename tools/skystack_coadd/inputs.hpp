// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"

#include <skystack/masked_image.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skystack::tool {

/// One input as the user gave it.
struct InputSpec {
    std::string path;
    std::string variance;               ///< plain images: a variance image
    std::string weight;                 ///< plain images: a weight map (variance = 1 / weight; 0 = no data)
    std::string mask;                   ///< plain images: a mask image
    std::optional<double> zp;           ///< zero point from the list file
    std::optional<double> weight_value; ///< scalar weight from the list file
};

/// Expand positional inputs (globs included) and the list file into specs; finds <stem>.var.fits and
/// <stem>.weight.fits beside plain images. @throws ToolError(exit_input) naming the file or pattern.
std::vector<InputSpec> discover_inputs(Options const& o);

/// A "name value" table (zero points or weights). @throws ToolError(exit_input) naming the file and line.
struct Table {
    std::string file;
    std::map<std::string, double> values;
    /// Value for an input path: looked up by the path as given, then by its file name.
    [[nodiscard]] std::optional<double> lookup(std::string const& path) const;
};
Table read_table(std::string const& path, char const* what);

/// What a file holds before reading its pixels.
struct Probe {
    bool masked = false; ///< afw layout: IMAGE, MASK and VARIANCE HDUs
    int bitpix = 0;
    Box2I bbox{};
};
/// @throws ToolError(exit_input): missing, unreadable or not a FITS image, with the file name.
Probe probe_input(InputSpec const& s);
/// "float32 (BITPIX -32)".
std::string bitpix_name(int bitpix);

/// Read an input as a masked image in the stack's pixel type T (float or double). Plain images: the variance
/// comes from the variance file, else 1 / weight map, else the image's robust scatter (one value); NaN pixels
/// and zero weights are flagged NO_DATA. `zp_keyword` non-empty: its value in the header goes to `zp`.
/// `extra` (when not null) receives the numeric values of the header keywords `extra_keys` (nullopt if absent).
/// @throws ToolError(exit_input) naming the file.
template <class T>
MaskedImage<T> load_input(InputSpec const& s, Probe const& p, std::string const& zp_keyword, std::optional<double>& zp,
                          std::vector<std::string> const& extra_keys = {},
                          std::vector<std::optional<double>>* extra = nullptr);

/// Whether this build can read and write FITS.
bool fits_available() noexcept;

} // namespace skystack::tool
