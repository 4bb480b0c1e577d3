// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>

#include <cmath>
#include <limits>
#include <numbers>

namespace skystack {

/// Air conditions at the observatory during an exposure (afw `lsst.afw.coord.Weather`).
///
/// A NaN field means "not measured": refraction() then uses that field of default_weather() for the site height
/// (upstream lets NaN propagate into every shift; skystack substitutes the default, reference dcr.md §13.4).
struct Weather {
    double temperature_c = std::numeric_limits<double>::quiet_NaN(); ///< air temperature [°C]
    double pressure_pa = std::numeric_limits<double>::quiet_NaN();   ///< air pressure [Pa]
    double humidity_pct = std::numeric_limits<double>::quiet_NaN();  ///< relative humidity [%], 0..100
};

/// Observatory position (afw `lsst.afw.coord.Observatory`; longitude is not needed for refraction).
struct Site {
    double latitude_deg = std::numeric_limits<double>::quiet_NaN(); ///< geodetic latitude [deg], north positive
    double height_m = std::numeric_limits<double>::quiet_NaN();     ///< height above sea level [m]
};

/// Smallest and largest wavelength [nm] for which the Owens (1967) refractivity used here is valid.
inline constexpr double refraction_min_wavelength_nm = 230.2;
inline constexpr double refraction_max_wavelength_nm = 2058.6;

/// Typical weather at height `height_m` (afw `defaultWeather`): T = 19 °C − 6.5 °C/km·h, barometric pressure
/// P = 101325 Pa · exp(−g·M·h / (R₀·T_K)), RH = 40 %.
/// @throws InvalidParameterError for a non-finite height.
[[nodiscard]] inline Weather default_weather(double height_m) {
    if (!std::isfinite(height_m))
        throw InvalidParameterError(detail::msg("default_weather: site height ", height_m, " m is not finite"));
    constexpr double p0 = 101325.0, g = 9.80665, molar_mass = 0.0289644, r0 = 8.31447;
    double const t = 19.0 - 6.5e-3 * height_m;
    double const tk = t + 273.15;
    return {t, p0 * std::exp(-(g * molar_mass * height_m) / (r0 * tk)), 40.0};
}

/// `w` with each NaN field replaced by the same field of default_weather(height_m).
[[nodiscard]] inline Weather resolved_weather(Weather w, double height_m) {
    if (std::isnan(w.temperature_c) || std::isnan(w.pressure_pa) || std::isnan(w.humidity_pct)) {
        Weather const d = default_weather(height_m);
        if (std::isnan(w.temperature_c)) w.temperature_c = d.temperature_c;
        if (std::isnan(w.pressure_pa)) w.pressure_pa = d.pressure_pa;
        if (std::isnan(w.humidity_pct)) w.humidity_pct = d.humidity_pct;
    }
    return w;
}

namespace detail {

inline void check_weather(Weather const& w) {
    if (!std::isfinite(w.temperature_c) || w.temperature_c <= -273.15)
        throw InvalidParameterError(detail::msg("refraction: air temperature ", w.temperature_c, " °C is invalid"));
    if (!std::isfinite(w.pressure_pa) || w.pressure_pa < 0)
        throw InvalidParameterError(detail::msg("refraction: air pressure ", w.pressure_pa, " Pa is invalid"));
    if (!std::isfinite(w.humidity_pct) || w.humidity_pct < 0)
        throw InvalidParameterError(detail::msg("refraction: relative humidity ", w.humidity_pct, " % is invalid"));
}

/// Dew point [°C] from temperature and relative humidity (Stone 1996 eq. 20, Magnus form). RH = 0 gives −∞.
[[nodiscard]] inline double dew_point_c(double t_c, double rh_pct) noexcept {
    if (rh_pct <= 0) return -std::numeric_limits<double>::infinity();
    double const x = std::log(rh_pct / 100.0);
    return 238.3 * ((t_c + 238.3) * x + 17.2694 * t_c) / ((t_c + 238.3) * (17.2694 - x) - 17.2694 * t_c);
}

/// Partial pressure of water vapour [Pa] (Stone 1996 eq. 18: polynomial in the dew point, mmHg → Pa).
/// Zero for RH = 0 (the polynomial is not evaluated at a dew point of −∞).
[[nodiscard]] inline double water_vapour_pressure_pa(Weather const& w) noexcept {
    if (w.humidity_pct <= 0) return 0.0;
    double const td = dew_point_c(w.temperature_c, w.humidity_pct);
    double const mmhg =
        4.50874 + td * (0.341724 + td * (0.0106778 + td * (0.184889e-3 + td * (0.238294e-5 + td * 0.203447e-7))));
    return mmhg * 133.32239;
}

/// Density factor of dry air D_s (Stone 1996 eq. 15), pressures in mbar.
[[nodiscard]] inline double density_factor_dry(Weather const& w) noexcept {
    double const tk = w.temperature_c + 273.15;
    double const ps = (w.pressure_pa - water_vapour_pressure_pa(w)) / 100.0;
    return (1.0 + ps * (57.90e-8 - 9.3250e-4 / tk + 0.25844 / (tk * tk))) * ps / tk;
}

/// Density factor of water vapour D_w (Stone 1996 eq. 16). The last constant is afw's 7.75141e-4; Owens and Stone
/// print 7.75141e4 (reference dcr.md §13.12): kept for parity with LSST, negligible for differential refraction.
[[nodiscard]] inline double density_factor_water(Weather const& w) noexcept {
    double const tk = w.temperature_c + 273.15;
    double const pw = water_vapour_pressure_pa(w) / 100.0;
    double const eqn1 = -2.37321e-3 + 2.23366 / tk - 710.792 / (tk * tk) + 7.75141e-4 / (tk * tk * tk);
    double const eqn2 = pw * (1.0 + 3.7e-4 * pw);
    return (1.0 + eqn2 * eqn1) * pw / tk;
}

inline void check_wavelength(double lambda_nm, char const* what) {
    if (!(lambda_nm >= refraction_min_wavelength_nm && lambda_nm <= refraction_max_wavelength_nm))
        throw InvalidParameterError(detail::msg("refraction: ", what, " ", lambda_nm,
                                                " nm is outside the valid range [", refraction_min_wavelength_nm, ", ",
                                                refraction_max_wavelength_nm, "] nm"));
}

} // namespace detail

/// Refractivity of moist air, n − 1 (Owens 1967 as in Stone 1996 eq. 14), at `lambda_nm` for fully specified
/// weather (no NaN). @throws InvalidParameterError for a wavelength outside [230.2, 2058.6] nm or invalid weather.
[[nodiscard]] inline double refractivity(double lambda_nm, Weather const& w) {
    detail::check_wavelength(lambda_nm, "wavelength");
    detail::check_weather(w);
    double const s2 = (1e3 / lambda_nm) * (1e3 / lambda_nm); // wave number squared [µm⁻²]
    double const dry = 2371.34 + 683939.7 / (130.0 - s2) + 4547.3 / (38.9 - s2);
    double const wet = 6487.31 + s2 * (58.058 + s2 * (-0.71150 + s2 * 0.08851));
    return (dry * detail::density_factor_dry(w) + wet * detail::density_factor_water(w)) * 1e-8;
}

/// Total atmospheric refraction [radians] for light of `lambda_nm` observed at `elevation_rad` (Stone 1996,
/// afw `refraction`): R = (n−1)·κ·(1−β)·tan z − (n−1)·κ·((n−1)/2 − β)·tan³ z, z = π/2 − elevation.
///
/// NaN fields of `weather` are replaced by default_weather(site.height_m).
/// @throws InvalidParameterError for a wavelength outside [230.2, 2058.6] nm, a non-finite site or elevation,
///         an elevation outside (0, 90°], or invalid weather.
[[nodiscard]] inline double refraction(double lambda_nm, double elevation_rad, Site const& site, Weather weather = {}) {
    detail::check_wavelength(lambda_nm, "wavelength");
    if (!std::isfinite(site.latitude_deg) || !std::isfinite(site.height_m))
        throw InvalidParameterError(detail::msg("refraction: site latitude ", site.latitude_deg, " deg and height ",
                                                site.height_m, " m must be finite"));
    if (!(elevation_rad > 0 && elevation_rad <= std::numbers::pi / 2))
        throw InvalidParameterError(detail::msg("refraction: elevation ", elevation_rad, " rad is outside (0, pi/2]"));
    weather = resolved_weather(weather, site.height_m);
    double const n1 = refractivity(lambda_nm, weather);
    double const beta = 4.5908e-6 * (weather.temperature_c + 273.15);
    double const phi = site.latitude_deg * std::numbers::pi / 180.0;
    double const s1 = std::sin(phi), s2 = std::sin(2 * phi);
    double const kappa = 1.0 + 0.005302 * s1 * s1 - 0.00000583 * s2 * s2 - 0.000000315 * site.height_m;
    double const tan_z = std::tan(std::numbers::pi / 2 - elevation_rad);
    return n1 * kappa * (1.0 - beta) * tan_z - n1 * kappa * (n1 / 2.0 - beta) * tan_z * tan_z * tan_z;
}

/// Refraction at `lambda_nm` minus refraction at `lambda_ref_nm` [radians] (afw `differentialRefraction`).
/// Positive when `lambda_nm` is bent more (bluer), i.e. displaced towards the zenith relative to the reference.
/// @throws InvalidParameterError as refraction().
[[nodiscard]] inline double differential_refraction(double lambda_nm, double lambda_ref_nm, double elevation_rad,
                                                    Site const& site, Weather const& weather = {}) {
    return refraction(lambda_nm, elevation_rad, site, weather) -
           refraction(lambda_ref_nm, elevation_rad, site, weather);
}

/// Parallactic angle [radians] of a target at hour angle `hour_angle_rad` and declination `dec_rad` seen from
/// latitude `latitude_rad`: the position angle (North through East) of the zenith seen from the target,
/// q = atan2(sin H, cos δ·tan φ − sin δ·cos H). Zero when the zenith is due North of the target.
[[nodiscard]] inline double parallactic_angle(double hour_angle_rad, double dec_rad, double latitude_rad) noexcept {
    return std::atan2(std::sin(hour_angle_rad),
                      std::cos(dec_rad) * std::tan(latitude_rad) - std::sin(dec_rad) * std::cos(hour_angle_rad));
}

} // namespace skystack
