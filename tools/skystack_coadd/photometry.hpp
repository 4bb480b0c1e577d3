// SPDX-License-Identifier: MIT
// The coadd's flux scale: what the inputs' headers say about their calibration, and the per-input scale factors.
#pragma once

#include <skystack/io/fits_header.hpp>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace skystack::tool {

/// AB magnitude zero point of a flux in nJy: -2.5 log10(1e-9 Jy / 3631 Jy) = 31.4 (afw's PhotoCalib unit).
inline constexpr double njy_zero_point = 31.4;

/// The photometric cards of one input header (primary HDU, then the first extension).
struct PhotoCards {
    std::optional<double> magzero;  ///< MAGZERO: magnitude zero point
    std::optional<double> fluxmag0; ///< FLUXMAG0: flux of a magnitude-0 source (zp = 2.5 log10 FLUXMAG0)
    std::optional<double> flxscale; ///< FLXSCALE: multiplicative factor to the common calibration
    std::optional<double> coaddzp;  ///< COADDZP: zero point the coadd should have
    std::string bunit;              ///< BUNIT ('nJy': calibrated, zp 31.4)
    std::optional<double> keyword;  ///< the value of --zp-keyword when it names another card
};

/// How a --zp-keyword value is read.
enum class ZpKind { magnitude, flux_of_mag0, flux_scale, none };
/// FLUXMAG0 -> flux_of_mag0, FLXSCALE -> flux_scale, "none" -> none, anything else (MAGZERO, ...) -> magnitude.
ZpKind zp_kind(std::string const& keyword);

/// The magnitude zero point a header implies without being told which card to use: MAGZERO, else
/// 2.5 log10 FLUXMAG0, else 31.4 when BUNIT is nJy; nullopt when it says nothing.
std::optional<double> implied_zero_point(PhotoCards const& c);

/// Read the cards of `path` (and the value of `zp_keyword` if it is not one of the known ones).
/// @throws ToolError(exit_input) naming the file when it cannot be read.
PhotoCards read_photo_cards(std::string const& path, std::string const& zp_keyword);

/// The flux scale of a run.
struct FluxPlan {
    std::vector<double> scales; ///< per input (image x s, variance x s^2); empty: no scaling
    std::vector<double> zps;    ///< per input magnitude zero point (NaN: unknown)
    double zp_ref = std::numeric_limits<double>::quiet_NaN(); ///< the coadd's zero point (NaN: unknown)
    std::string bunit;                                        ///< the coadd's BUNIT (empty: not written)
    std::string rule;                                         ///< how the scale was chosen, for the report
};

/// Decide the flux scale (rules in docs/cli.md, "Flux scale").
/// `given[k]`: a zero point from the list file or --zp-table (a magnitude); `cards[k]`: the input's header cards
/// (may be empty, e.g. for the demo); `zp_ref`: --zp-ref.
/// @throws ToolError(exit_input) for a missing or invalid card, inputs carrying differing zero points with no
///         --zp-keyword; ToolError(exit_usage) when zero points differ and no coadd zero point is given.
FluxPlan plan_flux_scale(std::vector<std::string> const& paths, std::vector<std::optional<double>> const& given,
                         std::vector<PhotoCards> const& cards, std::string const& zp_keyword,
                         std::optional<double> zp_ref);

/// The coadd's calibration cards: MAGZERO and FLUXMAG0 (= 10^(0.4 MAGZERO)) when its zero point is known,
/// BUNIT when known ('nJy' at zero point 31.4).
void write_flux_cards(fits::Header& h, FluxPlan const& p);

} // namespace skystack::tool
