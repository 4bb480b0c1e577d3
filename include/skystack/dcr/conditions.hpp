// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/dcr/dcr_config.hpp>
#include <skystack/dcr/refraction.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace skystack {

/// Local linearisation of the coadd (model) WCS at the evaluation point: J = ∂(ξ, η)/∂(x, y) in arcsec per pixel,
/// ξ towards East and η towards North on the tangent plane. It carries pixel scale, rotation and parity.
struct SkyJacobian {
    double dxi_dx = std::numeric_limits<double>::quiet_NaN();
    double dxi_dy = std::numeric_limits<double>::quiet_NaN();
    double deta_dx = std::numeric_limits<double>::quiet_NaN();
    double deta_dy = std::numeric_limits<double>::quiet_NaN();

    /// A North-up, East-left grid (the usual sky orientation, RA increasing to the left) of `scale` arcsec/px.
    [[nodiscard]] static SkyJacobian north_up_east_left(double scale_arcsec) noexcept {
        return {-scale_arcsec, 0.0, 0.0, scale_arcsec};
    }
    /// From a FITS CD matrix in degrees per pixel (CD1_1 = ∂ξ/∂x, CD1_2 = ∂ξ/∂y, CD2_1 = ∂η/∂x, CD2_2 = ∂η/∂y).
    [[nodiscard]] static SkyJacobian from_cd(double cd1_1, double cd1_2, double cd2_1, double cd2_2) noexcept {
        return {cd1_1 * 3600.0, cd1_2 * 3600.0, cd2_1 * 3600.0, cd2_2 * 3600.0};
    }
    [[nodiscard]] double determinant() const noexcept { return dxi_dx * deta_dy - dxi_dy * deta_dx; }
    /// @throws InvalidParameterError for a non-finite or singular matrix.
    void validate() const {
        double const d = determinant();
        if (!std::isfinite(d) || d == 0.0)
            throw InvalidParameterError(detail::msg("SkyJacobian [[", dxi_dx, ", ", dxi_dy, "], [", deta_dx, ", ",
                                                    deta_dy, "]] arcsec/px is not finite and invertible"));
    }
    /// Pixel offset (dx, dy) of a tangent-plane offset (ξ, η) in arcsec: J⁻¹·(ξ, η).
    [[nodiscard]] Extent2D to_pixels(double xi, double eta) const noexcept {
        double const d = determinant();
        return {(deta_dy * xi - dxi_dy * eta) / d, (-deta_dx * xi + dxi_dx * eta) / d};
    }
};

/// What DCR needs to know about one exposure (afw VisitInfo fields). Angles in degrees.
struct ObservingConditions {
    double elevation_deg = std::numeric_limits<double>::quiet_NaN(); ///< boresight elevation (preferred)
    double airmass = std::numeric_limits<double>::quiet_NaN();       ///< used when elevation is NaN: E = asin(1/X)
    /// Parallactic angle q: position angle (North through East) of the zenith as seen from the target.
    double parallactic_angle_deg = std::numeric_limits<double>::quiet_NaN();
    Weather weather{}; ///< NaN fields → default_weather(site.height_m)
    Site site{};       ///< latitude and height, required

    /// Elevation in radians. @throws InvalidParameterError when neither a valid elevation nor airmass ≥ 1 is set.
    [[nodiscard]] double elevation_rad() const {
        if (std::isfinite(elevation_deg)) {
            if (!(elevation_deg > 0 && elevation_deg <= 90))
                throw InvalidParameterError(
                    detail::msg("ObservingConditions: elevation ", elevation_deg, " deg is outside (0, 90]"));
            return elevation_deg * std::numbers::pi / 180.0;
        }
        if (!(airmass >= 1.0) || !std::isfinite(airmass))
            throw InvalidParameterError(
                detail::msg("ObservingConditions: no elevation and airmass ", airmass, " is not a finite value >= 1"));
        return std::asin(1.0 / airmass);
    }
};

/// The DCR shift of one subfilter in one exposure, in pixels (reference dcr.md §5.1).
struct SubfilterShift {
    Extent2D mean{};                ///< (a0 + a1)/2 along the zenith direction; the reverse shift is −mean
    std::array<Extent2D, 2> half{}; ///< the two half-shifts 0.75·a0 + 0.25·a1 and 0.25·a0 + 0.75·a1
    bool split = false;             ///< forward-model with the average of the two half-shifts
};

/// Per-subfilter shifts of an exposure taken under `cond`, on a coadd grid with Jacobian `jac`.
///
/// Endpoint offsets a0, a1 = ΔR(λ_lo/hi relative to λ_eff) along the zenith direction (ξ, η) = ΔR·(sin q, cos q),
/// converted to pixels by J⁻¹; positive ΔR points towards the zenith. Split mode is used when enabled and the
/// half-shifts differ by ≥ split_threshold in some component; otherwise the forward shift is `mean`.
/// @throws InvalidParameterError for bad conditions, Jacobian, config or wavelengths outside the refraction model.
[[nodiscard]] inline std::vector<SubfilterShift> dcr_shifts(ObservingConditions const& cond, SkyJacobian const& jac,
                                                            DcrConfig const& cfg) {
    cfg.validate();
    jac.validate();
    if (!std::isfinite(cond.parallactic_angle_deg))
        throw InvalidParameterError(
            detail::msg("ObservingConditions: parallactic angle ", cond.parallactic_angle_deg, " deg is not finite"));
    double const e = cond.elevation_rad();
    double const q = cond.parallactic_angle_deg * std::numbers::pi / 180.0;
    double const sq = std::sin(q), cq = std::cos(q);
    constexpr double rad_to_arcsec = 180.0 / std::numbers::pi * 3600.0;
    auto const bands = cfg.subfilter_wavelengths();
    std::vector<SubfilterShift> out(bands.size());
    for (std::size_t a = 0; a < bands.size(); ++a) {
        double const a0 =
            differential_refraction(bands[a][0], cfg.effective_wavelength, e, cond.site, cond.weather) * rad_to_arcsec;
        double const a1 =
            differential_refraction(bands[a][1], cfg.effective_wavelength, e, cond.site, cond.weather) * rad_to_arcsec;
        Extent2D const v0 = jac.to_pixels(a0 * sq, a0 * cq), v1 = jac.to_pixels(a1 * sq, a1 * cq);
        SubfilterShift& s = out[a];
        s.half[0] = v0 * 0.75 + v1 * 0.25;
        s.half[1] = v0 * 0.25 + v1 * 0.75;
        s.mean = (s.half[0] + s.half[1]) * 0.5;
        double const diff = std::max(std::abs(s.half[0].x - s.half[1].x), std::abs(s.half[0].y - s.half[1].y));
        s.split = cfg.split_subfilters && diff >= cfg.split_threshold;
    }
    return out;
}

/// Buffer [px] by which subregions are grown: ceil(largest |component| of any shift used) + 1, plus 1 more for cubic
/// interpolation (its kernel reaches two pixels).
[[nodiscard]] inline int dcr_buffer_size(std::span<std::vector<SubfilterShift> const> shifts, ShiftInterp interp) {
    double m = 0;
    for (auto const& per_exposure : shifts)
        for (auto const& s : per_exposure) {
            m = std::max({m, std::abs(s.mean.x), std::abs(s.mean.y)});
            if (s.split)
                for (auto const& h : s.half) m = std::max({m, std::abs(h.x), std::abs(h.y)});
        }
    return int(std::ceil(m)) + 1 + (interp == ShiftInterp::cubic ? 1 : 0);
}

/// Observing conditions from FITS header keywords, read through `get(key) -> std::optional<double>` so that any
/// header model can be used. Keywords (afw VisitInfo names, plus Gemini's PARANGLE):
/// - elevation: BORE-ALT [deg]; else airmass BORE-AIRMASS or AIRMASS;
/// - parallactic angle: PARANGLE [deg]; else computed from the hour angle H = AVG-ERA + OBS-LONG − BORE-RA [deg],
///   BORE-DEC and OBS-LAT with parallactic_angle();
/// - site: OBS-LAT [deg], OBS-ELEV [m]; weather: AIRTEMP [°C], AIRPRESS [Pa], HUMIDITY [%] (missing → NaN →
///   default weather).
/// Missing required values stay NaN and are reported by dcr_shifts().
template <class Lookup>
[[nodiscard]] ObservingConditions observing_conditions_from_header(Lookup&& get) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    auto val = [&](std::string_view k) -> double {
        std::optional<double> v = get(k);
        return v ? *v : nan;
    };
    ObservingConditions c;
    c.elevation_deg = val("BORE-ALT");
    c.airmass = val("BORE-AIRMASS");
    if (std::isnan(c.airmass)) c.airmass = val("AIRMASS");
    c.site = {val("OBS-LAT"), val("OBS-ELEV")};
    c.weather = {val("AIRTEMP"), val("AIRPRESS"), val("HUMIDITY")};
    c.parallactic_angle_deg = val("PARANGLE");
    if (std::isnan(c.parallactic_angle_deg)) {
        double const ha = val("AVG-ERA") + val("OBS-LONG") - val("BORE-RA");
        double const dec = val("BORE-DEC");
        constexpr double d2r = std::numbers::pi / 180.0;
        if (std::isfinite(ha) && std::isfinite(dec) && std::isfinite(c.site.latitude_deg))
            c.parallactic_angle_deg = parallactic_angle(ha * d2r, dec * d2r, c.site.latitude_deg * d2r) / d2r;
    }
    return c;
}

} // namespace skystack
