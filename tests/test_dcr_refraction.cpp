// SPDX-License-Identifier: MIT
#include <skystack/dcr/refraction.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>

using namespace skystack;

namespace {
constexpr double deg = std::numbers::pi / 180.0;
constexpr double arcsec = deg / 3600.0;
double const qnan = std::numeric_limits<double>::quiet_NaN();
} // namespace

// Reference values below were worked out step by step from Stone (1996) / Owens (1967) as written in the reference
// (dcr.md §5) with /usr/bin/python3 used as a calculator (plain `math`, no skystack code):
//
// Point A: λ = 500 nm, E = 45°, φ = −30.2446°, h = 2663 m, T = 10 °C, P = 73000 Pa, RH = 20 %
//   x = ln(0.20) = −1.60943791243
//   T_d = 238.3·((T+238.3)x + 17.2694T)/((T+238.3)(17.2694−x) − 17.2694T) = −11.9774584332 °C
//   P_w = poly(T_d)·133.32239 = 223.171440536 Pa
//   D_s = 2.57120951271 (p_s = (P − P_w)/100 mbar, T_K = 283.15)
//   D_w = 0.00782276060071
//   σ = 2 µm⁻¹: (n−1)·1e8 = 20441.5126582
//   κ = 1 + 0.005302 sin²φ − 0.00000583 sin²2φ − 0.000000315h = 1.00050188985
//   β = 4.5908e-6·T_K = 0.00129988502; tan z = 1
//   R = (n−1)κ(1−β)tan z − (n−1)κ((n−1)/2 − β)tan³z = 2.04496817202183e-4 rad = 42.1804963784″
//
// Point B: λ = 400 nm, E = 30°, φ = 19.8°, h = 4200 m, weather not supplied (NaN) → defaults:
//   T = 19 − 6.5·4.2 = −8.3 °C, P = 101325·exp(−9.80665·0.0289644·4200/(8.31447·264.85)) = 58943.6487748 Pa, RH = 40
//   T_d = −19.504640952, P_w = 109.489917424 Pa, D_s = 2.22238472664, D_w = 0.00411559336547
//   (n−1)·1e8 = 17890.3611285, κ = 0.99928300061, β = 0.00121587338, tan z = 1.73205080757
//   R = 3.1031785743142e-4 rad = 64.0076527381″
//
// Point C: differential refraction 400 nm − 550 nm at airmass 2 (E = 30°), φ = −30.2446°, h = 2663 m, default
//   weather (T = 1.6905 °C, P = 72771.4130518 Pa, RH = 40): (n−1)·1e8 = 21278.8507555 and 20907.8595847,
//   R = 76.2268724119″ and 74.8982928038″, ΔR = 1.32857960808″.

TEST_CASE("refraction intermediate quantities match the published formulae") {
    Weather const w{10.0, 73000.0, 20.0};
    CHECK(detail::dew_point_c(w.temperature_c, w.humidity_pct) == doctest::Approx(-11.9774584332).epsilon(1e-10));
    CHECK(detail::water_vapour_pressure_pa(w) == doctest::Approx(223.171440536).epsilon(1e-10));
    CHECK(detail::density_factor_dry(w) == doctest::Approx(2.57120951271).epsilon(1e-10));
    CHECK(detail::density_factor_water(w) == doctest::Approx(0.00782276060071).epsilon(1e-10));
    CHECK(refractivity(500.0, w) * 1e8 == doctest::Approx(20441.5126582).epsilon(1e-10));
}

TEST_CASE("refraction at a measured-weather point") {
    Site const rubin{-30.2446, 2663.0};
    double const r = refraction(500.0, 45.0 * deg, rubin, Weather{10.0, 73000.0, 20.0});
    CHECK(r == doctest::Approx(2.04496817202183e-4).epsilon(1e-10));
    CHECK(r / arcsec == doctest::Approx(42.1804963784).epsilon(1e-10));
}

TEST_CASE("default weather and NaN substitution") {
    Weather const d = default_weather(4200.0);
    CHECK(d.temperature_c == doctest::Approx(-8.3).epsilon(1e-12));
    CHECK(d.pressure_pa == doctest::Approx(58943.6487748).epsilon(1e-10));
    CHECK(d.humidity_pct == 40.0);

    Site const mk{19.8, 4200.0};
    double const expect = 3.1031785743142e-4;
    CHECK(refraction(400.0, 30.0 * deg, mk) == doctest::Approx(expect).epsilon(1e-10));
    // each NaN field alone is replaced by its default (upstream would propagate the NaN)
    CHECK(refraction(400.0, 30.0 * deg, mk, Weather{qnan, d.pressure_pa, 40.0}) ==
          doctest::Approx(expect).epsilon(1e-10));
    CHECK(refraction(400.0, 30.0 * deg, mk, Weather{d.temperature_c, qnan, 40.0}) ==
          doctest::Approx(expect).epsilon(1e-10));
    CHECK(refraction(400.0, 30.0 * deg, mk, Weather{d.temperature_c, d.pressure_pa, qnan}) ==
          doctest::Approx(expect).epsilon(1e-10));
}

TEST_CASE("differential refraction across g band at airmass 2") {
    Site const rubin{-30.2446, 2663.0};
    double const e = std::asin(1.0 / 2.0);
    double const dr = differential_refraction(400.0, 550.0, e, rubin);
    CHECK(dr / arcsec == doctest::Approx(1.32857960808).epsilon(1e-8));
    CHECK(differential_refraction(550.0, 400.0, e, rubin) == doctest::Approx(-dr));
    // blue is bent more: positive towards the zenith
    CHECK(dr > 0);
    // at the zenith there is no refraction at all
    CHECK(refraction(500.0, 90.0 * deg, rubin) == doctest::Approx(0.0).epsilon(1e-18));
}

TEST_CASE("dry air: zero humidity is guarded (no log(0))") {
    Weather const dry{10.0, 73000.0, 0.0};
    CHECK(detail::water_vapour_pressure_pa(dry) == 0.0);
    CHECK(detail::density_factor_water(dry) == 0.0);
    double const r = refraction(500.0, 45.0 * deg, Site{-30.2446, 2663.0}, dry);
    CHECK(std::isfinite(r));
    CHECK(r > 0);
}

TEST_CASE("refraction rejects bad input with InvalidParameterError") {
    Site const s{-30.0, 2000.0};
    CHECK_THROWS_AS((void)refraction(230.1, 0.8, s), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(2058.7, 0.8, s), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(qnan, 0.8, s), InvalidParameterError);
    CHECK_NOTHROW((void)refraction(230.2, 0.8, s));
    CHECK_NOTHROW((void)refraction(2058.6, 0.8, s));
    CHECK_THROWS_AS((void)differential_refraction(500.0, 3000.0, 0.8, s), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(500.0, 0.0, s), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(500.0, 2.0, s), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(500.0, 0.8, Site{}), InvalidParameterError);
    CHECK_THROWS_AS((void)refraction(500.0, 0.8, s, Weather{10.0, -5.0, 20.0}), InvalidParameterError);
    CHECK_THROWS_WITH_AS((void)refraction(100.0, 0.8, s), doctest::Contains("100"), InvalidParameterError);
}

TEST_CASE("parallactic angle geometry") {
    double const lat = -30.0 * deg;
    // on the meridian, target north of the zenith (dec > lat): the zenith is due South, q = 180°
    CHECK(std::abs(parallactic_angle(0.0, -10.0 * deg, lat)) == doctest::Approx(std::numbers::pi));
    // target south of the zenith: the zenith is due North, q = 0
    CHECK(parallactic_angle(0.0, -60.0 * deg, lat) == doctest::Approx(0.0));
    // west of the meridian (H > 0) the zenith lies to the East of North: 0 < q
    CHECK(parallactic_angle(1.0, -60.0 * deg, lat) > 0);
    CHECK(parallactic_angle(-1.0, -60.0 * deg, lat) == doctest::Approx(-parallactic_angle(1.0, -60.0 * deg, lat)));
}
