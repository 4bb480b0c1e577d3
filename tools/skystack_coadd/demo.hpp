// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"

#include <skystack/synthetic.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace skystack::tool {

/// The synthetic stack the demo coadds, sized by --demo-size / --demo-frames / --demo-seed.
synthetic::Config demo_config(Options const& o);

/// Write every exposure of `ds` as an afw MaskedImage FITS file (MAGZERO, SEEING, OFFSETX/Y in the primary
/// header) plus inputs.txt listing them, into `dir`. @throws ToolError(exit_output) naming the file.
void write_demo_inputs(synthetic::Dataset const& ds, std::string const& dir, bool quiet);

/// The exposure to show beside the coadd: the one with the satellite trail (else 0).
int demo_showcase(synthetic::Dataset const& ds);

/// Truth checks for the report: on the trail and on unflagged cosmic rays, the largest excess of the coadd over
/// the noiseless truth in units of the coadd's sigma, and the same in the showcased input.
nlohmann::json demo_truth_checks(synthetic::Dataset const& ds, MaskedImageView<float const> coadd);

} // namespace skystack::tool
