// SPDX-License-Identifier: MIT
#include <skystack/synthetic.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace skystack;

namespace {
synthetic::Config small_config() {
    synthetic::Config c;
    c.n_exposures = 5;
    c.size = {160, 128};
    c.origin = {100, -50};
    c.max_offset = 4;
    c.n_stars = 30;
    c.n_galaxies = 6;
    c.n_saturated = 1;
    c.n_cosmic_rays = 20;
    c.threads = 1;
    return c;
}
} // namespace

TEST_CASE("synthetic stack is deterministic and independent of the thread count") {
    auto c = small_config();
    auto const a = synthetic::make_dataset(c);
    c.threads = 3;
    auto const b = synthetic::make_dataset(c);
    REQUIRE(a.exposures.size() == 5);
    for (std::size_t k = 0; k < a.exposures.size(); ++k) {
        auto const& ea = a.exposures[k].image;
        auto const& eb = b.exposures[k].image;
        REQUIRE(ea.bbox() == eb.bbox());
        for (int y = 0; y < ea.height(); ++y)
            for (int x = 0; x < ea.width(); ++x) {
                REQUIRE(ea.image()(x, y) == eb.image()(x, y));
                REQUIRE(ea.mask()(x, y) == eb.mask()(x, y));
                REQUIRE(ea.variance()(x, y) == eb.variance()(x, y));
            }
    }
    c.seed += 1;
    auto const d = synthetic::make_dataset(c);
    CHECK(d.exposures[0].image.image()(10, 10) != a.exposures[0].image.image()(10, 10));
}

TEST_CASE("synthetic geometry: offsets via xy0, union bbox, zero points") {
    auto const c = small_config();
    auto const ds = synthetic::make_dataset(c);
    Box2I all = ds.exposures[0].image.bbox();
    bool some_offset = false;
    for (auto const& e : ds.exposures) {
        CHECK(e.image.dimensions() == c.size);
        CHECK(e.image.xy0() == c.origin + e.offset);
        CHECK(std::abs(e.offset.x) <= c.max_offset);
        CHECK(std::abs(e.offset.y) <= c.max_offset);
        some_offset = some_offset || e.offset != Extent2I{0, 0};
        all = all.expanded_to(e.image.bbox());
        CHECK(std::abs(e.zero_point - c.zp_ref) <= c.zp_scatter);
        CHECK(e.scale == doctest::Approx(std::pow(10.0, -0.4 * (e.zero_point - c.zp_ref))));
        CHECK(e.seeing >= c.seeing_min);
        CHECK(e.seeing <= c.seeing_max);
    }
    CHECK(some_offset);
    CHECK(ds.truth.bbox == all);
    CHECK(ds.truth.background.bbox() == all);
    CHECK(ds.truth.sources.bbox() == all);
    CHECK(ds.views().size() == ds.exposures.size());
}

TEST_CASE("synthetic noise matches the variance plane and the calibrated sky matches the truth") {
    auto c = small_config();
    c.n_cosmic_rays = 0;
    c.satellite_exposure = -1;
    c.n_bad_columns = 0;
    auto const ds = synthetic::make_dataset(c);
    for (auto const& e : ds.exposures) {
        double s = 0, s2 = 0, calib = 0;
        long n = 0;
        auto const bb = e.image.bbox();
        for (int y = 0; y < bb.height(); ++y)
            for (int x = 0; x < bb.width(); ++x) {
                Point2I const p{bb.min_x() + x, bb.min_y() + y};
                if (ds.truth.sources(p) > 0.5 || e.image.mask()(x, y) != 0) continue;
                double const model = ds.truth.background(p) / e.scale; // ADU
                double const v = e.image.variance()(x, y);
                // variance = model / gain + read_noise^2, from the noiseless model
                REQUIRE(v == doctest::Approx(model / c.gain + c.read_noise * c.read_noise).epsilon(0.01));
                double const z = (e.image.image()(x, y) - model) / std::sqrt(v);
                s += z;
                s2 += z * z;
                calib += e.image.image()(x, y) * e.scale - ds.truth.background(p);
                ++n;
            }
        REQUIRE(n > 5000);
        double const mean = s / double(n), sd = std::sqrt(s2 / double(n) - mean * mean);
        CHECK(std::abs(mean) < 0.05);
        CHECK(sd == doctest::Approx(1.0).epsilon(0.05));
        CHECK(std::abs(calib / double(n)) < 2.0); // calibrated sky within 2 units of the 1000-unit truth
    }
}

TEST_CASE("synthetic artifacts: cosmic rays, trail, bad columns and saturation are where the dataset says") {
    auto const c = small_config();
    auto const ds = synthetic::make_dataset(c);
    auto const cr = MaskPlanes::shared_default()->bit_mask("CR");
    auto const bad = MaskPlanes::shared_default()->bit_mask("BAD");
    auto const sat = MaskPlanes::shared_default()->bit_mask("SAT");
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        auto const& e = ds.exposures[k];
        CHECK(e.cr_flagged == (k % 2 == 0));
        REQUIRE(!e.cosmic_rays.empty());
        for (auto p : e.cosmic_rays) {
            bool const flagged = (e.image.mask()(p) & cr) != 0;
            CHECK(flagged == e.cr_flagged);
        }
        // CR pixels stand far above the local noise (away from sources, BAD columns and SAT).
        for (auto p : e.cosmic_rays) {
            if ((e.image.mask()(p) & (bad | sat)) || ds.truth.sources(p) > 5) continue;
            double const model = (ds.truth.background(p) + ds.truth.sources(p)) / e.scale;
            CHECK(e.image.image()(p) - model > 10 * std::sqrt(e.image.variance()(p)));
        }
        REQUIRE(e.bad_columns.size() == 2);
        for (int x : e.bad_columns) {
            Point2I const p{x, e.image.bbox().max_y()};
            CHECK(e.image.image()(p) == 0.0f);
            CHECK((e.image.mask()(p) & bad) != 0);
        }
        for (int y = 0; y < e.image.height(); ++y)
            for (int x = 0; x < e.image.width(); ++x)
                if (e.image.mask()(x, y) & sat) REQUIRE(e.image.image()(x, y) == float(c.saturation));
    }
    // The saturating star saturates in the sharpest exposure.
    auto const sharpest = std::min_element(ds.exposures.begin(), ds.exposures.end(),
                                           [](auto const& a, auto const& b) { return a.seeing < b.seeing; });
    CHECK(sharpest->saturated_pixels > 0);
    REQUIRE(ds.truth.saturated_stars.size() == 1);
    // The trail: one exposure, pixels on the line raised by about the amplitude.
    REQUIRE(ds.truth.trail.has_value());
    auto const& tr = *ds.truth.trail;
    CHECK(tr.exposure == c.satellite_exposure);
    auto const& e = ds.exposures[std::size_t(tr.exposure)];
    double excess = 0;
    int n = 0;
    for (int y = 0; y < e.image.height(); ++y)
        for (int x = 0; x < e.image.width(); ++x) {
            Point2I const p{e.image.xy0().x + x, e.image.xy0().y + y};
            if (tr.distance(p.x, p.y) > 0.3 || e.image.mask()(x, y) != 0 || ds.truth.sources(p) > 1) continue;
            excess += e.image.image()(x, y) - ds.truth.background(p) / e.scale;
            ++n;
        }
    REQUIRE(n > 20);
    CHECK(excess / n == doctest::Approx(c.satellite_amplitude).epsilon(0.1));
}

TEST_CASE("synthetic config validation names the bad value") {
    auto c = small_config();
    c.n_exposures = 0;
    CHECK_THROWS_AS(synthetic::make_dataset(c), InvalidParameterError);
    c = small_config();
    c.satellite_exposure = 9;
    CHECK_THROWS_WITH_AS(synthetic::make_dataset(c), doctest::Contains("satellite_exposure"), InvalidParameterError);
}

TEST_CASE("synthetic outlier_count counts unflagged cosmic rays and trail pixels per exposure") {
    auto const c = small_config();
    auto const ds = synthetic::make_dataset(c);
    auto const n = synthetic::outlier_count(ds, 3.0);
    REQUIRE(n.bbox() == ds.truth.bbox);
    std::int64_t total = 0;
    for (int y = 0; y < n.height(); ++y)
        for (auto v : n.row(y)) total += v;
    std::int64_t expect = 0;
    for (auto const& e : ds.exposures) {
        if (e.cr_flagged) continue;
        auto pts = e.cosmic_rays;
        std::sort(pts.begin(), pts.end());
        expect += std::unique(pts.begin(), pts.end()) - pts.begin();
    }
    auto const& t = *ds.truth.trail;
    auto const bb = ds.exposures[std::size_t(t.exposure)].image.bbox();
    for (int y = bb.min_y(); y <= bb.max_y(); ++y)
        for (int x = bb.min_x(); x <= bb.max_x(); ++x) expect += t.distance(x, y) < 3.0 * t.width ? 1 : 0;
    CHECK(total == expect);
}

TEST_CASE("synthetic DETECTED footprints cover sources, not empty sky") {
    auto const c = small_config();
    auto const ds = synthetic::make_dataset(c);
    auto const det = MaskPlanes::shared_default()->bit_mask("DETECTED");
    for (auto const& e : ds.exposures) {
        long n = 0, on_sky = 0;
        for (int y = 0; y < e.image.height(); ++y)
            for (int x = 0; x < e.image.width(); ++x) {
                if (!(e.image.mask()(x, y) & det)) continue;
                ++n;
                Point2I const p{e.image.xy0().x + x, e.image.xy0().y + y};
                on_sky += ds.truth.sources(p) < 0.1 ? 1 : 0;
            }
        CHECK(n > 50);
        CHECK(on_sky == 0);
        // The brightest star's centre is detected.
        auto const s = ds.truth.saturated_stars.front();
        Point2I const centre{int(std::lround(s.x)), int(std::lround(s.y))};
        if (e.image.bbox().contains(centre)) CHECK((e.image.mask()(centre) & det) != 0);
    }
}
