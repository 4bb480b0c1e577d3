// SPDX-License-Identifier: MIT
#include <skystack/dcr/dcr_model.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <stop_token>
#include <vector>

using namespace skystack;

namespace {

// A synthetic g-band field with known per-subfilter truth (reference dcr.md §5.1: g band at 0.2"/px gives shifts of
// ~2-3 px for the outer subfilters at airmass 2).
struct Field {
    DcrConfig cfg;
    SkyJacobian jac = SkyJacobian::north_up_east_left(0.2);
    Site site{-30.2446, 2663.0};
    Box2I box = Box2I::from_min_size({100, 200}, {96, 96});
    std::vector<Image<float>> truth; // per subfilter, noiseless
    double noise = 2.0;

    Field() {
        cfg.effective_wavelength = 475.0;
        cfg.bandwidth = 150.0;
        cfg.num_subfilters = 3;
        std::mt19937 rng(42);
        std::uniform_real_distribution<double> pos(14.0, 82.0), flux(3000.0, 20000.0);
        // fraction of each source's flux per subfilter: blue, flat and red continua. Stellar continua are smooth
        // across 150 nm, so the middle subfilter lies between the outer ones; a spectrum peaked in the middle
        // subfilter (an emission line) excites the near-degenerate mode of the DCR model (the middle plane trading
        // flux with both outer planes changes only the second moment of each source), which the iteration
        // recovers only slowly.
        double const spectra[3][3] = {{0.50, 0.35, 0.15}, {0.33, 0.34, 0.33}, {0.15, 0.35, 0.50}};
        for (int a = 0; a < 3; ++a) truth.emplace_back(box);
        for (int k = 0; k < 14; ++k) {
            double const cx = box.min_x() + pos(rng), cy = box.min_y() + pos(rng), f = flux(rng);
            auto const& spec = spectra[k % 3];
            double const sig = 1.6;
            for (int a = 0; a < 3; ++a)
                for (int y = 0; y < box.height(); ++y)
                    for (int x = 0; x < box.width(); ++x) {
                        double const dx = x + box.min_x() - cx, dy = y + box.min_y() - cy;
                        truth[std::size_t(a)](x, y) += float(f * spec[a] / (2 * M_PI * sig * sig) *
                                                             std::exp(-(dx * dx + dy * dy) / (2 * sig * sig)));
                    }
        }
    }
    ObservingConditions conditions(double airmass, double q_deg) const {
        ObservingConditions c;
        c.airmass = airmass;
        c.parallactic_angle_deg = q_deg;
        c.site = site;
        return c;
    }
    /// The noiseless exposure under `c`, through the same forward model as the fit (split shifts).
    Image<float> observe(ObservingConditions const& c) const {
        auto const sh = dcr_shifts(c, jac, cfg);
        Image<float> out(box);
        for (std::size_t a = 0; a < sh.size(); ++a) {
            if (sh[a].split) {
                shift_add(truth[a], out.view(), sh[a].half[0], 0.5f);
                shift_add(truth[a], out.view(), sh[a].half[1], 0.5f);
            } else {
                shift_add(truth[a], out.view(), sh[a].mean, 1.0f);
            }
        }
        return out;
    }
    MaskedImage<float> exposure(ObservingConditions const& c, unsigned seed) const {
        Image<float> clean = observe(c);
        MaskedImage<float> mi(box);
        std::mt19937 rng(seed);
        std::normal_distribution<float> g(0.0f, float(noise));
        MaskPixel const det = mi.mask().bit_mask("DETECTED");
        for (int y = 0; y < box.height(); ++y)
            for (int x = 0; x < box.width(); ++x) {
                mi.image()(x, y) = clean(x, y) + g(rng);
                mi.variance()(x, y) = float(noise * noise);
                // "detection": footprint of the noiseless image above 3σ, grown by 2 px
                bool hit = false;
                for (int dy = -2; dy <= 2 && !hit; ++dy)
                    for (int dx = -2; dx <= 2 && !hit; ++dx) {
                        int const xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < box.width() && yy < box.height() && clean(xx, yy) > 3 * noise)
                            hit = true;
                    }
                if (hit) mi.mask()(x, y) = det;
            }
        return mi;
    }
};

double rms_diff(ImageView<float const> a, ImageView<float const> b, int edge) {
    double s = 0;
    std::size_t n = 0;
    for (int y = edge; y < a.height() - edge; ++y)
        for (int x = edge; x < a.width() - edge; ++x) {
            double const d = double(a(x, y)) - b(x, y);
            s += d * d;
            ++n;
        }
    return std::sqrt(s / double(n));
}

struct Inputs {
    std::vector<MaskedImage<float>> owned;
    std::vector<MaskedImageView<float const>> views;
    std::vector<ObservingConditions> conds;
};

Inputs make_inputs(Field const& f, int k) {
    Inputs in;
    for (int i = 0; i < k; ++i) {
        double const airmass = 1.0 + double(i) / (k - 1);                     // 1.0 … 2.0
        double const q = -75.0 + 150.0 * double((i * 5) % k) / double(k - 1); // angles spread and shuffled
        in.conds.push_back(f.conditions(airmass, q));
        in.owned.push_back(f.exposure(in.conds.back(), 1000u + unsigned(i)));
    }
    for (auto const& o : in.owned) in.views.push_back(o.cview());
    return in;
}

} // namespace

TEST_CASE("configuration and conditions are validated") {
    DcrConfig cfg;
    CHECK_THROWS_AS(cfg.validate(), InvalidParameterError); // wavelength and bandwidth are required
    cfg.effective_wavelength = 475;
    cfg.bandwidth = 150;
    CHECK_NOTHROW(cfg.validate());
    CHECK(cfg.max_iterations() == 9);
    CHECK(cfg.min_iterations() == 3);
    CHECK(cfg.gain() == doctest::Approx(0.5));
    auto bands = cfg.subfilter_wavelengths();
    REQUIRE(bands.size() == 3);
    CHECK(bands[0][0] == doctest::Approx(400));
    CHECK(bands[0][1] == doctest::Approx(450));
    CHECK(bands[2][1] == doctest::Approx(550));
    DcrConfig bad = cfg;
    bad.num_subfilters = 1;
    CHECK_THROWS_AS(bad.validate(), InvalidParameterError);
    bad = cfg;
    bad.effective_wavelength = 150; // outside the refraction model
    ObservingConditions c;
    c.airmass = 1.5;
    c.parallactic_angle_deg = 0;
    c.site = {-30, 2000};
    CHECK_THROWS_AS((void)dcr_shifts(c, SkyJacobian::north_up_east_left(0.2), bad), InvalidParameterError);
    CHECK_THROWS_AS((void)dcr_shifts(c, SkyJacobian{}, cfg), InvalidParameterError);
    c.airmass = 0.5;
    CHECK_THROWS_AS((void)dcr_shifts(c, SkyJacobian::north_up_east_left(0.2), cfg), InvalidParameterError);
}

TEST_CASE("shift geometry: direction by parallactic angle through the WCS Jacobian") {
    DcrConfig cfg;
    cfg.effective_wavelength = 475;
    cfg.bandwidth = 150;
    ObservingConditions c;
    c.airmass = 2.0;
    c.site = {-30.2446, 2663.0};
    double const e = std::asin(0.5);
    // amplitude of the bluest subfilter by hand: mean of the endpoint offsets in pixels of 0.2"
    double const a0 = differential_refraction(400, 475, e, c.site) * 180 / M_PI * 3600 / 0.2;
    double const a1 = differential_refraction(450, 475, e, c.site) * 180 / M_PI * 3600 / 0.2;
    double const amp = 0.5 * (a0 + a1);
    CHECK(amp > 1.5);
    CHECK(amp < 3.5);
    // North-up/East-left: q = 0 (zenith due North) moves blue light up (+y); q = 90° (zenith East) to the left
    c.parallactic_angle_deg = 0;
    auto s = dcr_shifts(c, SkyJacobian::north_up_east_left(0.2), cfg);
    CHECK(s[0].mean.x == doctest::Approx(0.0).epsilon(1e-12));
    CHECK(s[0].mean.y == doctest::Approx(amp));
    CHECK(s[2].mean.y < 0); // red subfilter moves away from the zenith
    c.parallactic_angle_deg = 90;
    s = dcr_shifts(c, SkyJacobian::north_up_east_left(0.2), cfg);
    CHECK(s[0].mean.x == doctest::Approx(-amp));
    // East-right (flipped parity, CD1_1 > 0) mirrors x
    s = dcr_shifts(c, SkyJacobian::from_cd(0.2 / 3600, 0, 0, 0.2 / 3600), cfg);
    CHECK(s[0].mean.x == doctest::Approx(amp));
    // a grid rotated by 90° (x points North, y points East): the East-pointing zenith moves blue light along +y
    s = dcr_shifts(c, SkyJacobian{0.0, 0.2, 0.2, 0.0}, cfg);
    CHECK(s[0].mean.y == doctest::Approx(amp));
    CHECK(std::abs(s[0].mean.x) < 1e-9);
    // split: half-shifts at 0.75/0.25 of the endpoints, used when they differ by >= 0.1 px
    CHECK(s[0].split);
    CHECK(s[0].half[0].y == doctest::Approx(0.75 * a0 + 0.25 * a1));
    CHECK(s[0].half[1].y == doctest::Approx(0.25 * a0 + 0.75 * a1));
    cfg.split_threshold = 100;
    s = dcr_shifts(c, SkyJacobian{0.0, 0.2, 0.2, 0.0}, cfg);
    CHECK(!s[0].split);
    // the middle subfilter has a small non-zero shift; zenith pointing gives none
    CHECK(std::abs(s[1].mean.y) > 0);
    CHECK(std::abs(s[1].mean.y) < 0.3);
    c.airmass = 1.0;
    s = dcr_shifts(c, SkyJacobian::north_up_east_left(0.2), cfg);
    CHECK(std::abs(s[0].mean.x) + std::abs(s[0].mean.y) < 1e-9);
    // buffer: ceil(max |component|) + 1
    std::vector<std::vector<SubfilterShift>> all{{SubfilterShift{{2.2, -0.3}, {}, false}}};
    CHECK(dcr_buffer_size(all, ShiftInterp::linear) == 4);
}

TEST_CASE("observing conditions from header keywords") {
    auto get = [](std::string_view k) -> std::optional<double> {
        if (k == "BORE-AIRMASS") return 1.5;
        if (k == "OBS-LAT") return -30.0;
        if (k == "OBS-ELEV") return 2000.0;
        if (k == "AIRTEMP") return 12.0;
        if (k == "PARANGLE") return 33.0;
        return std::nullopt;
    };
    ObservingConditions const c = observing_conditions_from_header(get);
    CHECK(std::isnan(c.elevation_deg));
    CHECK(c.airmass == 1.5);
    CHECK(c.elevation_rad() == doctest::Approx(std::asin(1 / 1.5)));
    CHECK(c.parallactic_angle_deg == 33.0);
    CHECK(c.weather.temperature_c == 12.0);
    CHECK(std::isnan(c.weather.pressure_pa)); // → default weather
    CHECK(c.site.height_m == 2000.0);

    // no PARANGLE: from the hour angle AVG-ERA + OBS-LONG − BORE-RA = 0 (on the meridian) and a target south of
    // the zenith of a southern site: the zenith is due North, q = 0; 3 h later (H = 45°) it is East of North
    double era = 100.0;
    auto get2 = [&](std::string_view k) -> std::optional<double> {
        if (k == "BORE-ALT") return 60.0;
        if (k == "OBS-LAT") return -30.0;
        if (k == "OBS-LONG") return -70.0;
        if (k == "BORE-RA") return 30.0;
        if (k == "BORE-DEC") return -60.0;
        if (k == "AVG-ERA") return era;
        return std::nullopt;
    };
    ObservingConditions const m = observing_conditions_from_header(get2);
    CHECK(m.elevation_deg == 60.0);
    CHECK(m.parallactic_angle_deg == doctest::Approx(0.0).scale(1.0));
    era = 145.0;
    CHECK(observing_conditions_from_header(get2).parallactic_angle_deg > 0);
    CHECK(std::isnan(observing_conditions_from_header([](std::string_view) -> std::optional<double> {
                         return std::nullopt;
                     }).parallactic_angle_deg));
}

TEST_CASE("progressive gain follows the published rule") {
    std::vector<double> gains;
    std::vector<double> conv{1.0};
    CHECK(detail::dcr::calculate_gain(conv, gains, 0.5, true) == 0.5);
    conv.push_back(0.8);
    CHECK(detail::dcr::calculate_gain(conv, gains, 0.5, true) == 0.5); // n = 2: base gain
    conv.push_back(0.7);
    // by hand: E_0 = (1.5·0.8 − 1)/0.5 = 0.4, E_1 = (1.5·0.7 − 0.8)/0.5 = 0.5, Ê = 0.45,
    // C_P = (0.45·0.5 + 0.8)/1.5 = 0.683333, δ = (0.683333 − 0.7)/((0.8 − 0.45)/1.5) = −0.0714286,
    // g = max(0.5, (1 − 0.0714286 + 0.5)/2) = 0.714286
    CHECK(detail::dcr::calculate_gain(conv, gains, 0.5, true) == doctest::Approx(0.7142857));
    CHECK_THROWS_AS((void)detail::dcr::calculate_gain(conv, gains, 0.5, true), InvalidParameterError);
}

TEST_CASE("without DCR the initial model C/N is the fixed point") {
    Field f;
    Inputs in;
    for (int i = 0; i < 4; ++i) {
        in.conds.push_back(f.conditions(1.0, 0.0)); // zenith: no refraction
        in.owned.push_back(f.exposure(in.conds.back(), 7u + unsigned(i)));
    }
    for (auto const& o : in.owned) in.views.push_back(o.cview());
    DcrConfig cfg = f.cfg;
    cfg.use_convergence = false;
    cfg.max_num_iter = 2;
    // the frequency regulariser reshapes every plane as a smooth modulation of the old mean and so moves sources
    // sharper than its σ even without DCR (upstream design); the update itself must leave C/N unchanged
    cfg.regularize_model_frequency = 0;
    auto res = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    Image<float> const c = res.model.coadd().image().clone();
    for (int a = 0; a < 3; ++a) {
        auto const p = res.model.plane(a);
        double maxdiff = 0;
        for (int y = 0; y < p.height(); ++y)
            for (int x = 0; x < p.width(); ++x) maxdiff = std::max(maxdiff, double(std::abs(p(x, y) - c(x, y) / 3)));
        CHECK(maxdiff < 1e-3);
    }
    CHECK(res.report.subregions.at(0).updates == 4); // useConvergence off: maxNumIter + 2 updates
}

TEST_CASE("end to end: subfilter planes and a matched template from 12 exposures with known truth") {
    Field f;
    Inputs in = make_inputs(f, 12);
    DcrConfig cfg = f.cfg;
    cfg.num_threads = 1;
    auto res = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    auto const& rep = res.report.subregions.at(0);
    MESSAGE("buffer ", res.report.buffer_size, ", updates ", rep.updates, ", stop ", int(rep.stop));
    for (std::size_t j = 0; j < rep.convergence.size(); ++j) MESSAGE("metric[", j, "] = ", rep.convergence[j]);

    // each subfilter: RMS error against the truth vs that of the plain coadd / N
    Image<float> cn = res.model.coadd().image().clone();
    for (int y = 0; y < cn.height(); ++y)
        for (auto& v : cn.row(y)) v /= 3.0f;
    for (int a = 0; a < 3; ++a) {
        Image<float> const yhat = res.model.subfilter_image(a);
        double const e_model = rms_diff(yhat, f.truth[std::size_t(a)], 4);
        double const e_plain = rms_diff(cn, f.truth[std::size_t(a)], 4);
        MESSAGE("subfilter ", a, ": rms(model - truth) = ", e_model, ", rms(C/N - truth) = ", e_plain, ", ratio ",
                e_model / e_plain);
        CHECK(e_model <= 0.5 * e_plain);
    }

    // held-out exposure at airmass 1.9 with a new angle: DCR-matched template vs the plain coadd
    ObservingConditions const held = f.conditions(1.9, 40.0);
    Image<float> const truth_img = f.observe(held);
    MaskedImage<float> const tmpl = res.model.matched_template(held);
    double const r_dcr = rms_diff(truth_img, tmpl.image(), 4);
    double const r_plain = rms_diff(truth_img, res.model.coadd().image(), 4);
    MESSAGE("held-out residual rms: DCR template ", r_dcr, ", plain coadd ", r_plain, ", ratio ", r_dcr / r_plain);
    CHECK(r_dcr <= 0.35 * r_plain);

    // convergence: the metric decreases at every update, no divergence, at most maxNumIter + 2 updates (§10)
    CHECK(rep.stop != DcrStop::diverged);
    CHECK(rep.stop != DcrStop::no_data);
    CHECK(rep.updates <= cfg.max_iterations() + 2);
    CHECK(rep.convergence.size() == std::size_t(rep.updates) + 1);
    for (std::size_t j = 1; j < rep.convergence.size(); ++j) CHECK(rep.convergence[j] < rep.convergence[j - 1]);
    CHECK(rep.convergence.back() < 0.5 * rep.convergence.front());

    // outputs: variance Var(C)/N, mask of the coadd; full band = Σ planes; template variance = Var(C)
    MaskedImage<float> const s0 = res.model.subfilter(0);
    CHECK(s0.variance()(10, 10) == doctest::Approx(res.model.coadd().variance()(10, 10) / 3));
    CHECK(s0.mask()(50, 50) == res.model.coadd().mask()(50, 50));
    CHECK(tmpl.variance()(10, 10) == doctest::Approx(res.model.coadd().variance()(10, 10)));
    MaskedImage<float> const full = res.model.full_band();
    double fs = 0, ps = 0;
    for (int a = 0; a < 3; ++a) ps += res.model.subfilter_image(a)(40, 40);
    fs = full.image()(40, 40);
    CHECK(fs == doctest::Approx(ps).epsilon(1e-4));
    CHECK(res.model.n_image(0)(48, 48) == 12);
}

TEST_CASE("the stopping rule: converged once the relative improvement falls below the threshold") {
    Field f;
    Inputs in = make_inputs(f, 10);
    DcrConfig cfg = f.cfg;
    cfg.convergence_threshold = 0.08;
    auto res = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    auto const& rep = res.report.subregions.at(0);
    for (std::size_t j = 0; j < rep.convergence.size(); ++j) MESSAGE("metric[", j, "] = ", rep.convergence[j]);
    CHECK(rep.stop == DcrStop::converged);
    CHECK(rep.updates >= cfg.min_iterations() + 1);
    CHECK(rep.updates <= cfg.max_iterations());
    for (std::size_t j = 1; j < rep.convergence.size(); ++j) CHECK(rep.convergence[j] < rep.convergence[j - 1]);
    auto const n = rep.convergence.size();
    CHECK((rep.convergence[n - 2] - rep.convergence[n - 1]) / rep.convergence[n - 1] <= 0.08);
}

TEST_CASE("cubic spline shifts (imageInterpOrder 3) fit as well") {
    Field f;
    Inputs in = make_inputs(f, 10);
    DcrConfig cfg = f.cfg;
    cfg.image_interp = ShiftInterp::cubic;
    auto res = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    auto const& rep = res.report.subregions.at(0);
    for (std::size_t j = 1; j < rep.convergence.size(); ++j) CHECK(rep.convergence[j] < rep.convergence[j - 1]);
    ObservingConditions const held = f.conditions(1.9, 40.0);
    Image<float> const truth_img = f.observe(held);
    double const r_dcr = rms_diff(truth_img, res.model.matched_template(held).image(), 4);
    double const r_plain = rms_diff(truth_img, res.model.coadd().image(), 4);
    MESSAGE("cubic: held-out residual ratio ", r_dcr / r_plain);
    CHECK(r_dcr <= 0.35 * r_plain);
    std::vector<std::vector<SubfilterShift>> one{{SubfilterShift{{2.2, -0.3}, {}, false}}};
    CHECK(dcr_buffer_size(one, ShiftInterp::cubic) == 5);
}

TEST_CASE("inverse-variance weighted updates down-weight noisy exposures") {
    Field f;
    Inputs clean = make_inputs(f, 10);
    Field noisy = f;
    noisy.noise = 40.0; // two exposures 20× noisier than the rest (their variance planes say so)
    Inputs in = make_inputs(f, 10);
    for (int i = 0; i < 2; ++i) {
        in.owned[std::size_t(i)] = noisy.exposure(in.conds[std::size_t(i)], 77u + unsigned(i));
        in.views[std::size_t(i)] = in.owned[std::size_t(i)].cview();
    }
    // the same fit on the low-noise exposures is the reference; both runs start from that run's coadd so that only
    // the update differs
    DcrConfig cfg = f.cfg;
    MaskedImage<float> const start = dcr_plain_coadd(clean.views, f.box);
    DcrModel ref(start, f.jac, cfg);
    (void)ref.fit(clean.views, clean.conds);
    auto deviation = [&](bool weighted) {
        DcrConfig c = cfg;
        c.use_variance_weights = weighted;
        DcrModel model(start, f.jac, c);
        (void)model.fit(in.views, in.conds);
        double e = 0;
        for (int a = 0; a < 3; ++a) e += rms_diff(model.subfilter_image(a), ref.subfilter_image(a), 4);
        return e / 3;
    };
    double const plain = deviation(false), weighted = deviation(true);
    MESSAGE("rms deviation from the low-noise fit: unweighted ", plain, ", inverse-variance weighted ", weighted);
    CHECK(weighted < 0.8 * plain);
    CHECK(detail::dcr::inverse_mean_variance(in.views[0], f.box, 0) == doctest::Approx(1.0 / 1600.0));
}

TEST_CASE("no DETECTED pixel anywhere: guarded model weights, no NaN, the model stays C/N") {
    Field f;
    Inputs in = make_inputs(f, 6);
    for (auto& o : in.owned) o.mask().view().fill(0); // no detection masks
    DcrConfig cfg = f.cfg;
    auto res = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    CHECK(res.report.subregions.at(0).stop == DcrStop::no_data); // the metric has no pixel to use
    cfg.use_convergence = false;                                 // updates run, but model weights are all 0
    auto res2 = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    CHECK(res2.report.subregions.at(0).updates == cfg.max_iterations() + 2);
    bool finite = true, same = true;
    for (int a = 0; a < 3; ++a) {
        auto const p = res2.model.plane(a);
        for (int y = 0; y < p.height(); ++y)
            for (int x = 0; x < p.width(); ++x) {
                finite &= std::isfinite(p(x, y));
                same &= std::abs(p(x, y) - res2.model.coadd().image()(x, y) / 3) < 1e-3f;
            }
    }
    CHECK(finite);
    CHECK(same);
}

TEST_CASE("subregions run in parallel, deterministic, with progress") {
    Field f;
    Inputs in = make_inputs(f, 8);
    DcrConfig cfg = f.cfg;
    cfg.subregion_size = {48, 48};
    cfg.num_threads = 1;
    auto one = dcr_stack(in.views, in.conds, f.box, f.jac, cfg);
    cfg.num_threads = 3;
    std::vector<std::size_t> seen;
    auto many = dcr_stack(in.views, in.conds, f.box, f.jac, cfg, [&](std::size_t done, std::size_t total) {
        CHECK(total == 4);
        seen.push_back(done);
    });
    CHECK(seen == std::vector<std::size_t>{1, 2, 3, 4});
    REQUIRE(many.report.subregions.size() == 4);
    CHECK(many.report.subregions[1].box == Box2I::from_min_size({148, 200}, {48, 48}));
    CHECK(many.report.subregions[1].grown ==
          Box2I::from_min_max({148 - many.report.buffer_size, 200}, {195, 247 + many.report.buffer_size}));
    for (int a = 0; a < 3; ++a) {
        auto const p1 = one.model.plane(a), p2 = many.model.plane(a);
        bool same = true;
        for (int y = 0; y < p1.height(); ++y)
            for (int x = 0; x < p1.width(); ++x) same &= p1(x, y) == p2(x, y);
        CHECK(same);
    }
}

TEST_CASE("fit rejects mismatched inputs") {
    Field f;
    Inputs in = make_inputs(f, 3);
    DcrModel model(dcr_plain_coadd(in.views, f.box), f.jac, f.cfg);
    std::vector<ObservingConditions> two(in.conds.begin(), in.conds.begin() + 2);
    CHECK_THROWS_AS(model.fit(in.views, two), LengthError);
    std::vector<ObservingConditions> bad = in.conds;
    bad[1].parallactic_angle_deg = std::nan("");
    CHECK_THROWS_AS(model.fit(in.views, bad), InvalidParameterError);
    CHECK_THROWS_AS((void)model.subfilter(3), LengthError);
}

TEST_CASE("a stop requested from the progress callback cancels the fit and leaves the model as it was") {
    Field f;
    Inputs in = make_inputs(f, 6);
    DcrConfig cfg = f.cfg;
    cfg.subregion_size = {48, 48}; // 4 subregions
    cfg.num_threads = 1;
    MaskedImage<float> const start = dcr_plain_coadd(in.views, f.box);
    DcrModel model(start, f.jac, cfg);
    std::vector<Image<float>> before;
    for (int a = 0; a < 3; ++a) before.push_back(model.plane(a).clone());
    std::stop_source src;
    std::size_t calls = 0;
    CHECK_THROWS_AS(model.fit(
                        in.views, in.conds,
                        [&](std::size_t, std::size_t) {
                            ++calls;
                            src.request_stop();
                        },
                        src.get_token()),
                    CancelledError);
    CHECK(calls == 1); // one subregion finished, no other started
    bool same = true;
    for (int a = 0; a < 3; ++a)
        for (int y = 0; y < before[std::size_t(a)].height(); ++y)
            for (int x = 0; x < before[std::size_t(a)].width(); ++x)
                same &= model.plane(a)(x, y) == before[std::size_t(a)](x, y);
    CHECK(same);
    // a token that is never stopped changes nothing
    std::stop_source idle;
    CHECK_NOTHROW((void)model.fit(in.views, in.conds, {}, idle.get_token()));
}
