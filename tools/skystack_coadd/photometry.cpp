// SPDX-License-Identifier: MIT
#include "photometry.hpp"

#include "options.hpp"

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <sstream>

namespace skystack::tool {

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string num(double v) {
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
}

bool same_zp(double a, double b) { return std::abs(a - b) <= 1e-6; }

} // namespace

ZpKind zp_kind(std::string const& keyword) {
    auto const k = upper(keyword);
    if (k == "FLUXMAG0") return ZpKind::flux_of_mag0;
    if (k == "FLXSCALE") return ZpKind::flux_scale;
    if (k == "NONE") return ZpKind::none;
    return ZpKind::magnitude;
}

std::optional<double> implied_zero_point(PhotoCards const& c) {
    if (c.magzero) return c.magzero;
    if (c.fluxmag0 && *c.fluxmag0 > 0 && std::isfinite(*c.fluxmag0)) return 2.5 * std::log10(*c.fluxmag0);
    if (upper(c.bunit) == "NJY") return njy_zero_point;
    return std::nullopt;
}

#if SKYSTACK_HAS_CFITSIO
PhotoCards read_photo_cards(std::string const& path, std::string const& zp_keyword) {
    PhotoCards c;
    std::string const key = upper(zp_keyword);
    bool const other = !key.empty() && key != "NONE" && key != "MAGZERO" && key != "FLUXMAG0" && key != "FLXSCALE";
    try {
        int const n = fits::hdu_count(path);
        for (int hdu = 0; hdu < std::min(n, 2); ++hdu) {
            auto const h = fits::read_header(path, hdu);
            auto num_card = [&](char const* k, std::optional<double>& v) {
                if (!v && h.contains(k)) v = h.get<double>(k);
            };
            num_card("MAGZERO", c.magzero);
            num_card("FLUXMAG0", c.fluxmag0);
            num_card("FLXSCALE", c.flxscale);
            num_card("COADDZP", c.coaddzp);
            if (c.bunit.empty() && h.contains("BUNIT")) c.bunit = h.get<std::string>("BUNIT");
            if (other) num_card(key.c_str(), c.keyword);
        }
    } catch (std::exception const& e) {
        throw ToolError(exit_input, path + ": cannot read its photometric header cards: " + e.what());
    }
    return c;
}
#else
PhotoCards read_photo_cards(std::string const& path, std::string const&) {
    throw ToolError(exit_usage, path + ": built without cfitsio");
}
#endif

FluxPlan plan_flux_scale(std::vector<std::string> const& paths, std::vector<std::optional<double>> const& given,
                         std::vector<PhotoCards> const& cards, std::string const& zp_keyword,
                         std::optional<double> zp_ref) {
    std::size_t const n = paths.size();
    auto card = [&](std::size_t k) { return k < cards.size() ? cards[k] : PhotoCards{}; };
    FluxPlan p;
    p.zps.assign(n, std::numeric_limits<double>::quiet_NaN());
    ZpKind const kind = zp_keyword.empty() ? ZpKind::magnitude : zp_kind(zp_keyword);
    std::string const key = upper(zp_keyword);

    // Per input: a magnitude zero point, or (FLXSCALE) a scale factor.
    std::vector<std::optional<double>> zp(n), factor(n);
    bool const any_given = std::any_of(given.begin(), given.end(), [](auto const& z) { return z.has_value(); });
    if (kind == ZpKind::none) {
        if (any_given)
            throw ToolError(exit_usage, "--zp-keyword none contradicts the zero points of the list file / --zp-table");
        p.zp_ref = zp_ref ? *zp_ref : p.zp_ref;
        p.rule = "no scaling (--zp-keyword none)";
    } else if (!zp_keyword.empty() || any_given) {
        for (std::size_t k = 0; k < n; ++k) {
            if (k < given.size() && given[k]) {
                zp[k] = given[k];
                continue;
            }
            if (zp_keyword.empty())
                throw ToolError(exit_input, paths[k] + ": no zero point, but other inputs have one (list file or "
                                                       "--zp-table)");
            auto const c = card(k);
            std::optional<double> const v = kind == ZpKind::flux_of_mag0 ? c.fluxmag0
                                            : kind == ZpKind::flux_scale ? c.flxscale
                                            : key == "MAGZERO"           ? c.magzero
                                                                         : c.keyword;
            if (!v) throw ToolError(exit_input, paths[k] + ": header keyword " + key + " (--zp-keyword) is missing");
            if (kind == ZpKind::magnitude) {
                if (!std::isfinite(*v))
                    throw ToolError(exit_input, paths[k] + ": " + key + " = " + num(*v) + " is not a finite magnitude");
                zp[k] = *v;
            } else {
                if (!(*v > 0) || !std::isfinite(*v))
                    throw ToolError(exit_input,
                                    paths[k] + ": " + key + " = " + num(*v) +
                                        (kind == ZpKind::flux_scale
                                             ? " is not a valid flux scale (must be finite and > 0)"
                                             : " is not a valid flux of magnitude 0 (must be finite and > 0)"));
                if (kind == ZpKind::flux_of_mag0)
                    zp[k] = 2.5 * std::log10(*v);
                else
                    factor[k] = *v;
            }
        }
        p.rule = any_given && zp_keyword.empty() ? "zero points from the list file / --zp-table"
                                                 : "zero points from the " + key + " header cards";
    } else {
        // No --zp-keyword: look at what the headers say; refuse to mix differing calibrations silently.
        std::vector<std::optional<double>> implied(n);
        for (std::size_t k = 0; k < n; ++k) implied[k] = implied_zero_point(card(k));
        std::size_t first = n;
        for (std::size_t k = 0; k < n; ++k)
            if (implied[k]) {
                first = k;
                break;
            }
        for (std::size_t k = 0; k < n && first < n; ++k)
            if (!implied[k] || !same_zp(*implied[k], *implied[first]))
                throw ToolError(exit_input,
                                "inputs carry differing zero points (" + paths[first] + ": " + num(*implied[first]) +
                                    ", " + paths[k] + ": " + (implied[k] ? num(*implied[k]) : "none") +
                                    ") and no --zp-keyword was given: stacking them unscaled would mix flux scales; "
                                    "give --zp-keyword MAGZERO, FLUXMAG0 or FLXSCALE (and --zp-ref) to scale them, or "
                                    "--zp-keyword none to stack them as they are");
        for (std::size_t k = 0; k < n; ++k) {
            auto const f = card(k).flxscale;
            if (f && !(std::abs(*f - 1.0) <= 1e-9))
                throw ToolError(exit_input, paths[k] + ": FLXSCALE = " + num(*f) +
                                                " but no --zp-keyword was given: give --zp-keyword FLXSCALE to apply "
                                                "it, or --zp-keyword none to stack unscaled");
        }
        if (first == n) { // nothing to go by: no scaling
            p.zp_ref = zp_ref ? *zp_ref : p.zp_ref;
            p.rule = "no zero points in the inputs: no scaling";
            if (zp_ref) p.rule += "; coadd zero point from --zp-ref";
            return p;
        }
        zp = implied;
        p.rule = "every input at zero point " + num(*implied[first]) + " (from its header)";
    }
    if (kind == ZpKind::none) return p;

    // The coadd's zero point: --zp-ref, else COADDZP, else the inputs' common zero point.
    std::optional<double> ref = zp_ref;
    std::string ref_from = "--zp-ref";
    if (!ref) {
        for (std::size_t k = 0; k < n; ++k)
            if (auto const c = card(k).coaddzp) {
                if (ref && !same_zp(*ref, *c))
                    throw ToolError(exit_input, "inputs disagree on COADDZP (" + num(*ref) + " and " + num(*c) +
                                                    " in " + paths[k] + "); give --zp-ref");
                ref = c;
                ref_from = "COADDZP";
            }
    }
    if (!ref && kind != ZpKind::flux_scale) {
        bool all_same = true;
        for (std::size_t k = 1; k < n; ++k) all_same = all_same && same_zp(*zp[k], *zp[0]);
        if (!all_same) {
            std::size_t k = 1;
            while (same_zp(*zp[k], *zp[0])) ++k;
            throw ToolError(exit_usage, "the inputs' zero points differ (" + paths[0] + ": " + num(*zp[0]) + ", " +
                                            paths[k] + ": " + num(*zp[k]) +
                                            ") and no coadd zero point is given: give --zp-ref MAG (31.4 for nJy, "
                                            "as afw) or a COADDZP header card");
        }
        ref = zp[0];
        ref_from = "the inputs' common zero point";
    }
    p.zp_ref = ref ? *ref : p.zp_ref;
    p.rule += "; coadd zero point " + (ref ? num(*ref) + " from " + ref_from : std::string("unknown"));
    bool unit = true;
    for (std::size_t k = 0; k < n; ++k) {
        double const s = factor[k] ? *factor[k] : std::pow(10.0, -0.4 * (*zp[k] - *ref));
        p.scales.push_back(s);
        p.zps[k] = factor[k] ? (ref ? *ref - 2.5 * std::log10(s) : p.zps[k]) : *zp[k];
        unit = unit && s == 1.0;
    }
    if (ref && std::abs(*ref - njy_zero_point) <= 1e-9) {
        p.bunit = "nJy";
    } else if (unit) {
        p.bunit = card(0).bunit;
        for (std::size_t k = 1; k < n; ++k)
            if (card(k).bunit != p.bunit) p.bunit.clear();
    }
    return p;
}

void write_flux_cards(fits::Header& h, FluxPlan const& p) {
    if (std::isfinite(p.zp_ref)) {
        h.set("MAGZERO", p.zp_ref, "magnitude zero point of the coadd");
        h.set("FLUXMAG0", std::pow(10.0, 0.4 * p.zp_ref), "flux of a magnitude-0 source in coadd units");
    }
    if (!p.bunit.empty()) h.set("BUNIT", p.bunit, "unit of the coadd pixels");
}

} // namespace skystack::tool
