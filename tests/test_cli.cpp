// SPDX-License-Identifier: MIT
// End-to-end tests of tools/skystack-coadd: the tool is run as a separate process on FITS files written here
// with the FITS API, and its outputs are checked against the library's Stacker called directly, against the
// synthetic truth, and for clear failures (message, exit code, no output left behind) on bad input.
#include <doctest/doctest.h>

#if defined(SKYSTACK_COADD_EXE)

#include <skystack/cells/cell_coadd.hpp>
#include <skystack/dcr/dcr_model.hpp>
#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/cell_fits.hpp>
#include <skystack/io/fits.hpp>
#endif
#include <skystack/stack/stacker.hpp>
#include <skystack/statistics/statistics.hpp>
#include <skystack/synthetic.hpp>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

struct Run {
    int code = -1;
    std::string out, err;
};

std::string slurp(fs::path const& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// Run skystack-coadd with `args` (already shell-quoted where needed).
Run run_tool(std::string const& args, fs::path const& work) {
    fs::create_directories(work);
    auto const out = work / "stdout.txt", err = work / "stderr.txt";
    std::string const cmd =
        std::string("'") + SKYSTACK_COADD_EXE + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    int const st = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

fs::path fresh_dir(std::string const& name) {
    fs::path const d = fs::path(SKYSTACK_TEST_TMPDIR) / "cli" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::pair<int, int> png_size(fs::path const& p) {
    std::string const s = slurp(p);
    REQUIRE(s.size() > 24);
    REQUIRE(s.substr(1, 3) == "PNG");
    auto be32 = [&](std::size_t o) {
        return int((unsigned char)s[o]) << 24 | int((unsigned char)s[o + 1]) << 16 | int((unsigned char)s[o + 2]) << 8 |
               int((unsigned char)s[o + 3]);
    };
    return {be32(16), be32(20)};
}

} // namespace

#if SKYSTACK_HAS_CFITSIO

namespace {

/// A small synthetic stack of `n` exposures (96 × 80 at (1000, 2000), stars, galaxies, cosmic rays, a trail).
synthetic::Config small_stack(int n = 7) {
    synthetic::Config c;
    c.n_exposures = n;
    c.size = {96, 80};
    c.origin = {1000, 2000};
    c.max_offset = 3;
    c.n_stars = 25;
    c.n_galaxies = 5;
    c.n_saturated = 1;
    c.n_cosmic_rays = 25;
    c.satellite_exposure = 2;
    c.threads = 1;
    return c;
}

/// Write the dataset as afw MaskedImage files with MAGZERO headers, and a list file naming them.
fs::path write_inputs(synthetic::Dataset const& ds, fs::path const& dir) {
    std::ofstream list(dir / "inputs.txt");
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        std::string const name = "warp_" + std::to_string(k) + ".fits";
        fits::WriteOptions w;
        w.overwrite = true;
        w.header.set("MAGZERO", ds.exposures[k].zero_point);
        fits::write(dir / name, ds.exposures[k].image, w);
        list << name << "\n";
    }
    return dir / "inputs.txt";
}

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

/// drp_tasks' input weights, computed independently of the tool: 1 / MEANCLIP of each (scaled) variance plane
/// inside `bbox`, with the bad mask, 3 sigma, 2 iterations (afw makeStatistics through statistics()).
std::vector<double> ivar_weights(std::vector<MaskedImage<float>> const& in, Box2I bbox,
                                 std::vector<std::string> const& bad_planes, std::vector<double> const& scales) {
    std::vector<double> w;
    StatisticsConfig sc;
    sc.nsigma = 3.0;
    sc.max_iter = 2;
    sc.bad_mask = in[0].mask().planes().bit_mask(std::span<std::string const>(bad_planes));
    for (std::size_t k = 0; k < in.size(); ++k) {
        auto const part = in[k].subimage(in[k].bbox().clipped_to(bbox));
        MaskedImageView<float const> const var(part.variance(), part.mask(), part.variance());
        double const m = statistics(var, Stat::MeanClip, sc).get(Stat::MeanClip).value;
        double const s = scales.empty() ? 1.0 : scales[k];
        w.push_back(1.0 / (m * s * s));
    }
    return w;
}

} // namespace

TEST_CASE("skystack-coadd on FITS inputs matches the library's Stacker, the report and the truth") {
    auto const dir = fresh_dir("e2e");
    auto const ds = synthetic::make_dataset(small_stack());
    auto const list = write_inputs(ds, dir);
    auto const out = dir / "out";
    auto const r = run_tool("-l '" + list.string() + "' -o '" + out.string() +
                                "' --zp-keyword MAGZERO --zp-ref 27 --bad-mask-planes NO_DATA,BAD,SAT,EDGE,CR "
                                "--nimage --threads 2 --tile 32 -q",
                            dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.empty()); // -q
    for (auto const* f : {"coadd.fits", "coadd_nimage.fits", "coadd.png", "report.json", "report.txt"})
        CHECK(fs::exists(out / f));
    // Nothing left over from the staging area.
    for (auto const& e : fs::directory_iterator(out)) CHECK(e.path().filename().string().front() != '.');

    // The same stack through the library, from the same files.
    std::vector<MaskedImage<float>> in;
    std::vector<double> scales;
    Box2I bbox;
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        fits::Header h;
        fits::ReadOptions ro;
        ro.metadata = &h;
        in.push_back(fits::read_masked_image<float>(dir / ("warp_" + std::to_string(k) + ".fits"), ro));
        scales.push_back(std::pow(10.0, -0.4 * (h.get<double>("MAGZERO") - 27.0)));
        bbox = k == 0 ? in.back().bbox() : bbox.expanded_to(in.back().bbox());
    }
    StackConfig cfg;
    cfg.bad_mask_planes = {"NO_DATA", "BAD", "SAT", "EDGE", "CR"};
    cfg.scales = scales;
    cfg.nimage = true;
    cfg.weights = ivar_weights(in, bbox, cfg.bad_mask_planes, scales);
    auto const expect = Stacker<ClippedMean>(cfg)(in, bbox);
    auto const coadd = fits::read_masked_image<float>(out / "coadd.fits");
    REQUIRE(coadd.bbox() == bbox);
    long mismatches = 0;
    for (int y = 0; y < bbox.height(); ++y)
        for (int x = 0; x < bbox.width(); ++x) {
            mismatches += !same(coadd.image()(x, y), expect.coadd.image()(x, y));
            mismatches += !same(coadd.variance()(x, y), expect.coadd.variance()(x, y));
            mismatches += coadd.mask()(x, y) != expect.coadd.mask()(x, y);
        }
    CHECK(mismatches == 0);
    auto const nimage = fits::read_image<std::uint16_t>(out / "coadd_nimage.fits");
    REQUIRE(nimage.bbox() == bbox);
    long nmis = 0;
    for (int y = 0; y < bbox.height(); ++y)
        for (int x = 0; x < bbox.width(); ++x) nmis += nimage(x, y) != expect.nimage(x, y);
    CHECK(nmis == 0);

    // The report: inputs, scales from the headers, weights as the stacker chose them, rejections per plane.
    auto const j = nlohmann::json::parse(slurp(out / "report.json"));
    REQUIRE(j["n_inputs"] == ds.exposures.size());
    CHECK(j["config"]["statistic"] == "meanclip");
    CHECK(j["bbox"]["size"][0] == bbox.width());
    auto const cr = in[0].mask().bit_mask("CR"), bad = in[0].mask().bit_mask("BAD");
    std::int64_t cr_total = 0, bad_total = 0;
    for (std::size_t k = 0; k < in.size(); ++k) {
        auto const& jr = j["inputs"][k];
        CHECK(jr["scale"].get<double>() == doctest::Approx(scales[k]).epsilon(1e-12));
        CHECK(jr["zero_point"].get<double>() == doctest::Approx(ds.exposures[k].zero_point));
        CHECK(jr["weight"].get<double>() == doctest::Approx(expect.weights[k]).epsilon(1e-12));
        std::int64_t ncr = 0, nbad = 0;
        for (int y = 0; y < in[k].height(); ++y)
            for (auto m : in[k].mask().row(y)) ncr += (m & cr) != 0, nbad += (m & bad) != 0;
        CHECK(jr["rejected_by_plane"]["CR"].get<std::int64_t>() == ncr);
        CHECK(jr["rejected_by_plane"]["BAD"].get<std::int64_t>() == nbad);
        if (ds.exposures[k].cr_flagged) { // every flagged CR pixel once (tracks may overlap)
            CHECK(ncr > 0);
            CHECK(ncr <= std::int64_t(ds.exposures[k].cosmic_rays.size()));
        } else {
            CHECK(ncr == 0);
        }
        cr_total += ncr, bad_total += nbad;
    }
    CHECK(j["rejected"]["by_plane"]["CR"].get<std::int64_t>() == cr_total);
    CHECK(j["rejected"]["by_plane"]["BAD"].get<std::int64_t>() == bad_total);
    std::int64_t clipped = 0, nodata = 0;
    auto const clip_bit = coadd.mask().bit_mask("CLIPPED"), nd_bit = coadd.mask().bit_mask("NO_DATA");
    for (int y = 0; y < bbox.height(); ++y)
        for (auto m : coadd.mask().row(y)) clipped += (m & clip_bit) != 0, nodata += (m & nd_bit) != 0;
    CHECK(j["rejected"]["coadd_pixels_clipped"].get<std::int64_t>() == clipped);
    CHECK(j["output"]["no_data_pixels"].get<std::int64_t>() == nodata);
    CHECK(j["output"]["pixels"].get<std::int64_t>() == bbox.area());
    CHECK(j["output"]["median"].get<double>() == doctest::Approx(1000.0).epsilon(0.15)); // the sky
    CHECK(j["timing"]["stack_s"].get<double>() >= 0.0);
    CHECK(j["timing"]["bytes_stacked"].get<std::int64_t>() > 0);

    // The PNG: one panel the size of the bbox plus a 10-pixel margin each side.
    auto const [pw, ph] = png_size(out / "coadd.png");
    CHECK(pw == bbox.width() + 20);
    CHECK(ph > bbox.height() + 20);  // + title and margin
    CHECK(ph < bbox.height() + 100); // + legend

    // Artifacts are gone: no coadd pixel on the satellite trail or an unflagged cosmic ray above sky + 5 sigma
    // (away from sources), although they stand far above it in their input.
    auto const& truth = ds.truth;
    REQUIRE(truth.trail.has_value());
    auto const outliers = synthetic::outlier_count(ds);
    auto covered = [&](Point2I p) { // clipping needs samples: one outlier among >= 5 inputs
        int n = 0;
        for (auto const& e : ds.exposures) n += e.image.bbox().contains(p) ? 1 : 0;
        return n >= 5 && outliers(p) == 1;
    };
    int checked = 0;
    double worst_in = 0;
    for (int y = bbox.min_y(); y <= bbox.max_y(); ++y)
        for (int x = bbox.min_x(); x <= bbox.max_x(); ++x) {
            Point2I const p{x, y};
            auto const& e = ds.exposures[std::size_t(truth.trail->exposure)];
            if (truth.trail->distance(x, y) > 1.0 || !e.image.bbox().contains(p) || !covered(p)) continue;
            double const sig = std::sqrt(double(coadd.variance()(p)));
            if (!(sig > 0) || truth.sources(p) > 0.5 * sig) continue;
            CHECK(coadd.image()(p) - truth.background(p) < 5 * sig);
            worst_in = std::max(worst_in, (e.image.image()(p) * e.scale - truth.background(p)) / sig);
            ++checked;
        }
    CHECK(checked > 20);
    CHECK(worst_in > 50); // the trail was there to be removed
    int crs = 0;
    for (auto const& e : ds.exposures) {
        if (e.cr_flagged) continue;
        for (auto p : e.cosmic_rays) {
            double const sig = std::sqrt(double(coadd.variance()(p)));
            if (!(sig > 0) || truth.sources(p) > 0.5 * sig || (e.image.mask()(p) & bad) || !covered(p)) continue;
            CHECK(coadd.image()(p) - truth.background(p) < 5 * sig);
            ++crs;
        }
    }
    CHECK(crs > 20);
}

TEST_CASE("skystack-coadd statistics by name agree with the Stacker (mean, weighted-mean, median, sum, min, max)") {
    auto const dir = fresh_dir("stats");
    auto const ds = synthetic::make_dataset(small_stack(5));
    auto const list = write_inputs(ds, dir);
    std::vector<MaskedImage<float>> in;
    for (std::size_t k = 0; k < ds.exposures.size(); ++k)
        in.push_back(fits::read_masked_image<float>(dir / ("warp_" + std::to_string(k) + ".fits")));
    StackConfig sc; // afw defaults; --zp-keyword none, so no scaling
    sc.weights = ivar_weights(in, ds.truth.bbox, sc.bad_mask_planes, {});
    for (auto const* name : {"mean", "weighted-mean", "median", "sum", "min", "max"}) {
        CAPTURE(name);
        auto const out = dir / name;
        auto const r = run_tool("-l '" + list.string() + "' -o '" + out.string() + "' --statistic " + name +
                                    " --zp-keyword none --preview none -q",
                                dir);
        INFO(r.err);
        REQUIRE(r.code == 0);
        CHECK(!fs::exists(out / "coadd.png"));
        auto const got = fits::read_masked_image<float>(out / "coadd.fits");
        std::string const n = name;
        auto const want = n == "mean"            ? Stacker<Mean>(sc)(in, got.bbox())
                          : n == "weighted-mean" ? Stacker<WeightedMean>(sc)(in, got.bbox())
                          : n == "sum"           ? Stacker<Sum>(sc)(in, got.bbox())
                          : n == "min"           ? Stacker<Min>(sc)(in, got.bbox())
                          : n == "max"           ? Stacker<Max>(sc)(in, got.bbox())
                                                 : Stacker<Median>(sc)(in, got.bbox());
        long mis = 0;
        for (int y = 0; y < got.height(); ++y)
            for (int x = 0; x < got.width(); ++x) mis += !same(got.image()(x, y), want.coadd.image()(x, y));
        CHECK(mis == 0);
    }
}

TEST_CASE("skystack-coadd --cells writes the cell coadd that build_cell_coadd gives") {
    auto const dir = fresh_dir("cells");
    auto const ds = synthetic::make_dataset(small_stack(5));
    auto const list = write_inputs(ds, dir);
    std::vector<MaskedImage<float>> in;
    for (std::size_t k = 0; k < ds.exposures.size(); ++k)
        in.push_back(fits::read_masked_image<float>(dir / ("warp_" + std::to_string(k) + ".fits")));
    auto const out = dir / "out";
    auto const r = run_tool("-l '" + list.string() + "' -o '" + out.string() +
                                "' --statistic meanclip --zp-keyword none --preview none --cells 40:8 -q",
                            dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto const got = fits::read_cell_coadd<float>(out / "coadd_cells.fits");
    auto const coadd = fits::read_masked_image<float>(out / "coadd.fits");
    auto const grid = CellGrid::covering(coadd.bbox().eroded_by(8), {40, 40}, 8);
    CHECK(got.grid() == grid);
    CellConfig cc;
    cc.stack.weights = ivar_weights(in, coadd.bbox(), cc.stack.bad_mask_planes, {});
    auto const want = build_cell_coadd<ClippedMean>(in, grid, cc);
    std::size_t used = 0;
    for (auto i : grid.indices()) {
        auto const& a = got.cell(i);
        auto const& b = want.cell(i);
        REQUIRE(a.inputs.size() == b.inputs.size());
        for (std::size_t j = 0; j < a.inputs.size(); ++j) {
            CHECK(a.inputs[j].index == b.inputs[j].index);
            CHECK(a.inputs[j].weight == doctest::Approx(b.inputs[j].weight).epsilon(1e-12));
        }
        if (a.empty()) continue;
        ++used;
        long mis = 0;
        for (int y = 0; y < a.outer.height(); ++y)
            for (int x = 0; x < a.outer.width(); ++x)
                mis +=
                    !same(a.coadd.image()(x, y), b.coadd.image()(x, y)) || a.coadd.mask()(x, y) != b.coadd.mask()(x, y);
        CHECK(mis == 0);
    }
    CHECK(used > 0);
    // bad values are usage errors before anything runs
    for (auto const* bad : {"0", "40:-1", "x", "40:y"}) {
        CAPTURE(bad);
        auto const e = run_tool("-l '" + list.string() + "' -o '" + (dir / "bad").string() + "' --cells " + bad, dir);
        CHECK(e.code == 2);
        CHECK(!fs::exists(dir / "bad" / "coadd.fits"));
    }
}

TEST_CASE("skystack-coadd --statistic dcr matches dcr_stack called directly") {
    auto const dir = fresh_dir("dcr");
    auto const ds = synthetic::make_dataset(small_stack(5));
    std::vector<ObservingConditions> conds;
    std::ofstream list(dir / "inputs.txt");
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        ObservingConditions c;
        c.airmass = 1.1 + 0.15 * double(k);
        c.parallactic_angle_deg = -40.0 + 20.0 * double(k);
        c.site = {-30.2446, 2663.0};
        conds.push_back(c);
        fits::WriteOptions w;
        w.overwrite = true;
        w.header.set("AIRMASS", c.airmass);
        w.header.set("PARANGLE", c.parallactic_angle_deg);
        std::string const name = "warp_" + std::to_string(k) + ".fits";
        fits::write(dir / name, ds.exposures[k].image, w);
        list << name << "\n";
    }
    list.close();
    auto const out = dir / "out";
    auto const r = run_tool("-l '" + (dir / "inputs.txt").string() + "' -o '" + out.string() +
                                "' --statistic dcr --dcr-wavelength 478.5 --dcr-bandwidth 147 --dcr-subfilters 3 "
                                "--pixel-scale 0.2 --threads 1 -q",
                            dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    std::vector<MaskedImage<float>> in;
    Box2I bbox;
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        in.push_back(fits::read_masked_image<float>(dir / ("warp_" + std::to_string(k) + ".fits")));
        bbox = k == 0 ? in.back().bbox() : bbox.expanded_to(in.back().bbox());
    }
    std::vector<MaskedImageView<float const>> views(in.begin(), in.end());
    DcrConfig dc;
    dc.num_subfilters = 3;
    dc.effective_wavelength = 478.5;
    dc.bandwidth = 147;
    dc.bad_mask_planes = {"NO_DATA", "BAD", "SAT", "EDGE"};
    dc.num_threads = 1;
    auto const want =
        dcr_stack(std::span<MaskedImageView<float const> const>(views), std::span<ObservingConditions const>(conds),
                  bbox, SkyJacobian::north_up_east_left(0.2), dc);
    auto const subs = want.subfilters();
    for (int a = 0; a < 3; ++a) {
        CAPTURE(a);
        auto const got = fits::read_masked_image<float>(out / ("coadd_dcr_" + std::to_string(a) + ".fits"));
        REQUIRE(got.bbox() == subs[std::size_t(a)].bbox());
        long mis = 0;
        for (int y = 0; y < got.height(); ++y)
            for (int x = 0; x < got.width(); ++x) mis += !same(got.image()(x, y), subs[std::size_t(a)].image()(x, y));
        CHECK(mis == 0);
    }
    auto const j = nlohmann::json::parse(slurp(out / "report.json"));
    CHECK(j["dcr"]["subfilters"] == 3);
    CHECK(j["dcr"]["wavelengths_nm"][0][0].get<double>() == doctest::Approx(478.5 - 73.5));

    // Without the band, or without the conditions in the headers: a clear refusal.
    auto const r2 = run_tool(
        "-l '" + (dir / "inputs.txt").string() + "' -o '" + (dir / "out2").string() + "' --statistic dcr", dir);
    CHECK(r2.code == 2);
    CHECK(r2.err.find("--dcr-wavelength") != std::string::npos);
    CHECK(!fs::exists(dir / "out2"));
    auto const r3 = run_tool("-l '" + (dir / "inputs.txt").string() + "' -o '" + (dir / "out3").string() +
                                 "' --statistic dcr --dcr-wavelength 478.5 --dcr-bandwidth 147 --airmass-keyword AM",
                             dir);
    CHECK(r3.code == 3);
    CHECK(r3.err.find("warp_0.fits: header keyword AM") != std::string::npos);
    CHECK(!fs::exists(dir / "out3"));
}

TEST_CASE("skystack-coadd on plain images with weight maps and a zero-point table") {
    auto const dir = fresh_dir("plain");
    auto const ds = synthetic::make_dataset(small_stack(4));
    std::ofstream zpt(dir / "zp.txt");
    zpt.precision(17);
    std::vector<MaskedImage<float>> expect_in;
    std::vector<double> scales;
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        auto const& e = ds.exposures[k].image;
        // A plain image and a weight map 1/variance, with a hole (weight 0) that must become NO_DATA.
        Image<float> w(e.bbox());
        for (int y = 0; y < e.height(); ++y)
            for (int x = 0; x < e.width(); ++x) w(x, y) = (x < 5 && y < 5) ? 0.0f : 1.0f / e.variance()(x, y);
        fits::WriteOptions wo;
        wo.overwrite = true;
        std::string const stem = "plain_" + std::to_string(k);
        fits::write(dir / (stem + ".fits"), e.image(), wo);
        fits::write(dir / (stem + ".weight.fits"), w, wo);
        zpt << stem << ".fits " << ds.exposures[k].zero_point << "\n";
        scales.push_back(std::pow(10.0, -0.4 * (ds.exposures[k].zero_point - ds.exposures[0].zero_point)));
        // What the tool should build from them: variance 1/w, NO_DATA where w = 0, no other mask bits.
        MaskedImage<float> m(e.bbox());
        m.image().assign(e.image().cview());
        auto const nd = m.mask().bit_mask("NO_DATA");
        for (int y = 0; y < e.height(); ++y)
            for (int x = 0; x < e.width(); ++x) {
                if (w(x, y) > 0)
                    m.variance()(x, y) = 1.0f / w(x, y);
                else {
                    m.variance()(x, y) = std::numeric_limits<float>::infinity();
                    m.mask()(x, y) |= nd;
                }
            }
        expect_in.push_back(std::move(m));
    }
    zpt.close();
    std::ostringstream zp0s;
    zp0s.precision(17);
    zp0s << ds.exposures[0].zero_point;
    std::string const zp0 = zp0s.str();
    auto const out = dir / "out";
    auto const r = run_tool("'" + (dir / "plain_[0-9].fits").string() + "' --zp-table '" + (dir / "zp.txt").string() +
                                "' --statistic weighted-mean --zp-ref " + zp0 + " -o '" + out.string() + "' -q",
                            dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    StackConfig sc;
    sc.scales = scales; // --zp-ref is the first input's zero point
    sc.weights = ivar_weights(expect_in, ds.truth.bbox, sc.bad_mask_planes, scales);
    auto const want = Stacker<WeightedMean>(sc)(expect_in, ds.truth.bbox);
    auto const got = fits::read_masked_image<float>(out / "coadd.fits");
    REQUIRE(got.bbox() == want.coadd.bbox());
    long mis = 0;
    for (int y = 0; y < got.height(); ++y)
        for (int x = 0; x < got.width(); ++x) {
            mis += !same(got.image()(x, y), want.coadd.image()(x, y));
            mis += !same(got.variance()(x, y), want.coadd.variance()(x, y));
        }
    CHECK(mis == 0);
    auto const j = nlohmann::json::parse(slurp(out / "report.json"));
    REQUIRE(j["n_inputs"] == 4);
    CHECK(j["inputs"][0]["rejected_by_plane"]["NO_DATA"] == 25);
    CHECK(j["inputs"][2]["scale"].get<double>() == doctest::Approx(scales[2]).epsilon(1e-9));
}

namespace {

/// Three afw files holding one calibrated scene (sky 10, a 2000-unit source at parent (105, 205)) in the
/// calibrations `zps` (magnitude zero points): pixel = truth * 10^(0.4 (zp - 27)). `cards(k, header)` writes the
/// calibration cards of input k. Returns the paths, shell-quoted and joined.
template <class Cards>
std::string write_calibrated(fs::path const& dir, std::vector<double> const& zps, Cards cards) {
    std::string args;
    for (std::size_t k = 0; k < zps.size(); ++k) {
        MaskedImage<float> m(Box2I::from_min_size({100, 200}, {12, 10}));
        double const c = std::pow(10.0, 0.4 * (zps[k] - 27.0));
        for (int y = 0; y < m.height(); ++y)
            for (int x = 0; x < m.width(); ++x) {
                double const truth = 10.0 + (x == 5 && y == 5 ? 2000.0 : 0.0);
                m.image()(x, y) = float(truth * c);
                m.variance()(x, y) = float(c * c);
            }
        fits::WriteOptions w;
        w.overwrite = true;
        cards(k, w.header);
        auto const p = dir / ("cal_" + std::to_string(k) + ".fits");
        fits::write(p, m, w);
        args += " '" + p.string() + "'";
    }
    return args;
}

} // namespace

TEST_CASE("skystack-coadd flux scale: MAGZERO, FLUXMAG0, FLXSCALE, nJy and COADDZP, refusals when ambiguous") {
    auto const dir = fresh_dir("flux");
    std::vector<double> const zps{27.5, 26.0, 27.0};
    // Scale factors to zero point 27, by hand: 10^(-0.4 (zp - 27)).
    std::vector<double> const want_scale{0.63095734448019325, 2.5118864315095801, 1.0};
    auto check_coadd = [&](fs::path const& out, double zp_ref, std::vector<double> const& scales) {
        auto const coadd = fits::read_masked_image<float>(out / "coadd.fits");
        double const c = std::pow(10.0, 0.4 * (zp_ref - 27.0));                  // truth expressed at zp_ref
        CHECK(coadd.image()(5, 5) == doctest::Approx(2010.0 * c).epsilon(1e-5)); // the source, sky included
        CHECK(coadd.image()(0, 0) == doctest::Approx(10.0 * c).epsilon(1e-5));
        auto const h = fits::read_header(out / "coadd.fits", 0);
        CHECK(h.get<double>("MAGZERO") == doctest::Approx(zp_ref).epsilon(1e-12));
        CHECK(h.get<double>("FLUXMAG0") == doctest::Approx(std::pow(10.0, 0.4 * zp_ref)).epsilon(1e-12));
        auto const j = nlohmann::json::parse(slurp(out / "report.json"));
        for (std::size_t k = 0; k < scales.size(); ++k)
            CHECK(j["inputs"][k]["scale"].get<double>() == doctest::Approx(scales[k]).epsilon(1e-9));
        return h;
    };
    auto run = [&](std::string const& name, std::string const& files, std::string const& opts) {
        auto const r =
            run_tool(files + " --statistic mean --preview none -q " + opts + " -o '" + (dir / name).string() + "'",
                     dir / ("run_" + name));
        INFO(name, ": ", r.err);
        return r;
    };

    // MAGZERO with --zp-ref 27.
    auto const mag = write_calibrated(dir / "", zps, [&](std::size_t k, fits::Header& h) { h.set("MAGZERO", zps[k]); });
    auto r = run("magzero", mag, "--zp-keyword MAGZERO --zp-ref 27");
    REQUIRE(r.code == 0);
    check_coadd(dir / "magzero", 27.0, want_scale);
    // Without --zp-ref the zero points differ: no silent choice of the first input's.
    r = run("magzero_noref", mag, "--zp-keyword MAGZERO");
    CHECK(r.code == 2);
    CHECK(r.err.find("--zp-ref") != std::string::npos);
    CHECK(!fs::exists(dir / "magzero_noref"));
    // Without --zp-keyword differing zero points are refused, not stacked unscaled.
    r = run("magzero_nokey", mag, "");
    CHECK(r.code == 3);
    CHECK(r.err.find("differing zero points") != std::string::npos);
    CHECK(r.err.find("cal_0.fits") != std::string::npos);
    CHECK(!fs::exists(dir / "magzero_nokey"));
    // --zp-keyword none stacks them as they are: the plain mean of the raw pixels.
    r = run("magzero_none", mag, "--zp-keyword none");
    REQUIRE(r.code == 0);
    {
        auto const coadd = fits::read_masked_image<float>(dir / "magzero_none" / "coadd.fits");
        double raw = 0;
        for (double z : zps) raw += 2010.0 * std::pow(10.0, 0.4 * (z - 27.0)) / 3.0;
        CHECK(coadd.image()(5, 5) == doctest::Approx(raw).epsilon(1e-5));
    }

    // FLUXMAG0 (flux of magnitude 0: zp = 2.5 log10 FLUXMAG0) with COADDZP = 28 in the headers.
    fs::create_directories(dir / "f0");
    auto const f0 = write_calibrated(dir / "f0", zps, [&](std::size_t k, fits::Header& h) {
        h.set("FLUXMAG0", std::pow(10.0, 0.4 * zps[k]));
        h.set("COADDZP", 28.0);
    });
    r = run("fluxmag0", f0, "--zp-keyword FLUXMAG0");
    REQUIRE(r.code == 0);
    // To 28: 10^(-0.4 (zp - 28)) = 10^(0.2), 10^(0.8), 10^(0.4).
    check_coadd(dir / "fluxmag0", 28.0, {1.5848931924611136, 6.3095734448019343, 2.5118864315095801});

    // FLXSCALE is a factor, not a magnitude.
    fs::create_directories(dir / "fs");
    auto const fsx =
        write_calibrated(dir / "fs", zps, [&](std::size_t k, fits::Header& h) { h.set("FLXSCALE", want_scale[k]); });
    r = run("flxscale", fsx, "--zp-keyword FLXSCALE --zp-ref 27");
    REQUIRE(r.code == 0);
    check_coadd(dir / "flxscale", 27.0, want_scale);
    r = run("flxscale_nokey", fsx, "");
    CHECK(r.code == 3);
    CHECK(r.err.find("FLXSCALE") != std::string::npos);

    // nJy inputs (afw PhotoCalib units) all at zero point 31.4: stacked as they are, the coadd says nJy.
    fs::create_directories(dir / "njy");
    auto const njy = write_calibrated(dir / "njy", {27.0, 27.0, 27.0},
                                      [](std::size_t, fits::Header& h) { h.set("BUNIT", std::string("nJy")); });
    r = run("njy", njy, "");
    REQUIRE(r.code == 0);
    {
        auto const coadd = fits::read_masked_image<float>(dir / "njy" / "coadd.fits");
        CHECK(coadd.image()(5, 5) == doctest::Approx(2010.0).epsilon(1e-6));
        auto const h = fits::read_header(dir / "njy" / "coadd.fits", 0);
        CHECK(h.get<std::string>("BUNIT") == "nJy");
        CHECK(h.get<double>("MAGZERO") == doctest::Approx(31.4));
        CHECK(h.get<double>("FLUXMAG0") == doctest::Approx(3.6307805477010e12).epsilon(1e-12)); // 10^(0.4 * 31.4)
    }
}

TEST_CASE("skystack-coadd --demo writes the coadd, a side-by-side PNG and a report") {
    auto const dir = fresh_dir("demo");
    auto const out = dir / "demo";
    auto const r = run_tool("--demo --demo-size 128 --demo-frames 6 -o '" + out.string() + "'", dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("coadd.png") != std::string::npos); // says where things are
    CHECK(r.err.empty());                                // no progress bar: stderr is not a terminal
    for (auto const* f : {"coadd.fits", "coadd.png", "report.json", "report.txt"}) CHECK(fs::exists(out / f));
    auto const j = nlohmann::json::parse(slurp(out / "report.json"));
    CHECK(j["mode"] == "demo");
    CHECK(j["n_inputs"] == 6);
    auto const w = j["bbox"]["size"][0].get<int>();
    auto const [pw, ph] = png_size(out / "coadd.png");
    CHECK(pw == 3 * w + 40); // input | coadd | coadd mask
    CHECK(ph > j["bbox"]["size"][1].get<int>());
    CHECK(j["demo"]["satellite_trail"]["coadd_pixels_above_5_sigma"] == 0);
    CHECK(j["demo"]["satellite_trail"]["max_sigma_in_input"].get<double>() > 20);

    // --write-demo-inputs writes FITS files the tool reads back.
    auto const ind = dir / "inputs";
    auto const r2 = run_tool("--write-demo-inputs '" + ind.string() + "' --demo-size 96 --demo-frames 4 -q", dir);
    INFO(r2.err);
    REQUIRE(r2.code == 0);
    for (int k = 0; k < 4; ++k) CHECK(fs::exists(ind / ("exposure_0" + std::to_string(k) + ".fits")));
    auto const r3 = run_tool("'" + (ind / "exposure_*.fits").string() + "' --zp-keyword MAGZERO -q -o '" +
                                 (dir / "fromdemo").string() + "'",
                             dir);
    INFO(r3.err);
    CHECK(r3.code == 0);
    CHECK(fs::exists(dir / "fromdemo" / "coadd.fits"));
}

TEST_CASE("skystack-coadd --help documents options and exit codes") {
    auto const dir = fresh_dir("help");
    auto const r = run_tool("--help", dir);
    CHECK(r.code == 0);
    for (auto const* s : {"--statistic", "--nsigma", "--bad-mask-planes", "--zp-keyword", "--zp-table", "--nimage",
                          "--compress", "--threads", "--tile", "--demo", "Exit codes"})
        CHECK(r.out.find(s) != std::string::npos);
}

TEST_CASE("skystack-coadd bad inputs: clear message, documented exit code, no output") {
    auto const dir = fresh_dir("bad");
    auto const ds = synthetic::make_dataset(small_stack(3));
    write_inputs(ds, dir);
    std::string const good = "'" + (dir / "warp_0.fits").string() + "' '" + (dir / "warp_1.fits").string() + "'";
    auto expect_failure = [&](std::string const& what, std::string const& args, int code,
                              std::vector<std::string> const& needles) {
        CAPTURE(what);
        auto const out = dir / ("out_" + what);
        auto const r = run_tool(args + " -o '" + out.string() + "'", dir / ("run_" + what));
        INFO(r.err);
        CHECK(r.code == code);
        for (auto const& n : needles) CHECK(r.err.find(n) != std::string::npos);
        CHECK(r.err.find("error") != std::string::npos);
        CHECK(!fs::exists(out)); // no partial output, not even the directory
    };

    auto const missing = (dir / "nope.fits").string();
    expect_failure("missing", good + " '" + missing + "'", 3, {missing, "not found"});

    auto const text = dir / "notes.fits";
    std::ofstream(text) << "this is not a FITS file\n";
    expect_failure("notfits", good + " '" + text.string() + "'", 3, {text.string(), "not a FITS file"});

    Image<double> dbl(Box2I::from_min_size({1000, 2000}, {40, 40}), 1000.0);
    fits::WriteOptions w;
    w.overwrite = true;
    fits::write(dir / "double.fits", dbl, w);
    expect_failure("types", good + " '" + (dir / "double.fits").string() + "'", 3,
                   {"mismatched pixel types", (dir / "double.fits").string(), "float64"});

    expect_failure("overlap", good + " --bbox 0 0 50 50", 5, {"does not overlap", "warp_0.fits"});

    expect_failure("plane", good + " --zp-keyword none --bad-mask-planes BAD,NOT_A_PLANE", 2,
                   {"unknown mask plane 'NOT_A_PLANE'"});

    expect_failure("statistic", good + " --statistic average", 2, {"--statistic"});

    auto const blocker = dir / "a_file";
    std::ofstream(blocker) << "x";
    auto const r = run_tool(good + " -o '" + (blocker / "sub").string() + "'", dir / "run_unwritable");
    INFO(r.err);
    CHECK(r.code == 4);
    CHECK(r.err.find((blocker / "sub").string()) != std::string::npos);
    CHECK(fs::is_regular_file(blocker));

    auto const r2 = run_tool("-l '" + (dir / "missing_list.txt").string() + "'", dir / "run_list");
    CHECK(r2.code == 3);
    CHECK(r2.err.find("missing_list.txt") != std::string::npos);
}

TEST_CASE("skystack-coadd command line: list options keep positionals, demo only when asked, clear ranges") {
    auto const dir = fresh_dir("cmdline");
    auto const ds = synthetic::make_dataset(small_stack(3));
    write_inputs(ds, dir);
    std::string const files = " '" + (dir / "warp_0.fits").string() + "' '" + (dir / "warp_1.fits").string() + "'";
    // The plane list is one argument: the files after it are inputs, with a space or with '='.
    for (std::string const form : {"--bad-mask-planes BAD,SAT", "--bad-mask-planes=BAD,SAT"}) {
        CAPTURE(form);
        auto const out = dir / ("out_" + std::to_string(form.size()));
        auto const r = run_tool("--zp-keyword none --preview none -q -o '" + out.string() + "' " + form + files, dir);
        INFO(r.err);
        REQUIRE(r.code == 0);
        auto const j = nlohmann::json::parse(slurp(out / "report.json"));
        CHECK(j["mode"] == "files");
        CHECK(j["n_inputs"] == 2);
        CHECK(j["config"]["bad_mask_planes"] == nlohmann::json::array({"BAD", "SAT"}));
    }
    auto expect_usage = [&](std::string const& what, std::string const& args, std::vector<std::string> const& needles,
                            int code = 2) {
        CAPTURE(what);
        auto const r = run_tool(args, dir / ("run_" + what));
        INFO(r.err);
        CHECK(r.code == code);
        for (auto const& n : needles) CHECK(r.err.find(n) != std::string::npos);
        CHECK(r.err.size() < 400); // no 300-digit ranges
        CHECK(r.err.find("generating the synthetic demo") == std::string::npos);
        CHECK(r.out.find("generating the synthetic demo") == std::string::npos);
    };
    auto const o = " -o '" + (dir / "never").string() + "'";
    expect_usage("plane_first", "--bad-mask-planes BAD,NOT_A_PLANE" + files + " --zp-keyword none" + o,
                 {"unknown mask plane 'NOT_A_PLANE'"});
    expect_usage("no_inputs", "--bad-mask-planes BAD" + o, {"no inputs given"});
    expect_usage("threads", "-j -1" + files + o, {"--threads", ">= 0", "-1"});
    expect_usage("nsigma", "--nsigma 0" + files + o, {"--nsigma", "> 0"});
    expect_usage("compare", "--compare-input 7 --zp-keyword none" + files + o, {"--compare-input 7", "only 2 inputs"});
    CHECK(!fs::exists(dir / "never"));
    expect_usage("fits_output", files + " -o '" + (dir / "x.fits").string() + "'", {"x.fits", "directory"});
    CHECK(!fs::exists(dir / "x.fits"));

    // Exit 5 when every output pixel is NO_DATA, as --help promises.
    std::string masked;
    for (int k = 0; k < 2; ++k) {
        auto m = ds.exposures[std::size_t(k)].image.clone();
        m.mask().fill(m.mask().bit_mask("NO_DATA"));
        fits::WriteOptions w;
        w.overwrite = true;
        auto const p = dir / ("masked_" + std::to_string(k) + ".fits");
        fits::write(p, m, w);
        masked += " '" + p.string() + "'";
    }
    auto const r = run_tool(masked + " -q -o '" + (dir / "out_masked").string() + "'", dir / "run_masked");
    INFO(r.err);
    CHECK(r.code == 5);
    CHECK(r.err.find("NO_DATA") != std::string::npos);
    CHECK(!fs::exists(dir / "out_masked"));
}

TEST_CASE("skystack-coadd output directory: kill -9 then rerun, stale outputs removed, full disk is an error") {
    auto const dir = fresh_dir("staging");
    auto const ds = synthetic::make_dataset(small_stack(3));
    write_inputs(ds, dir);
    std::string const in = "-l '" + (dir / "inputs.txt").string() + "' --zp-keyword MAGZERO --zp-ref 27 -q";
    auto const out = dir / "out";
    auto staging_dirs = [&] {
        int n = 0;
        for (auto const& e : fs::directory_iterator(out)) n += e.path().filename().string().starts_with(".skystack");
        return n;
    };
    // SIGKILL with every file staged: the hidden staging directory stays behind, as after a real kill -9.
    int const st = std::system(("SKYSTACK_COADD_TEST_RAISE=kill-write '" + std::string(SKYSTACK_COADD_EXE) + "' " + in +
                                " --nimage -o '" + out.string() + "' 2>/dev/null")
                                   .c_str());
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 128 + 9); // the shell reports the SIGKILL
    REQUIRE(fs::exists(out));
    CHECK(staging_dirs() == 1);
    CHECK(!fs::exists(out / "coadd.fits"));
    // A staging directory of a live process (this test) is left alone.
    auto const live = out / (".skystack-coadd-staging-" + std::to_string(::getpid()));
    fs::create_directories(live);
    // The rerun removes the dead one and writes its outputs.
    auto r = run_tool(in + " --nimage -o '" + out.string() + "'", dir / "run_again");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(staging_dirs() == 1);
    CHECK(fs::exists(live));
    fs::remove_all(live);
    CHECK(fs::exists(out / "coadd_nimage.fits"));
    CHECK(fs::exists(out / "coadd.png"));
    // A later run into the same directory without --nimage and the PNG: the old ones go, other files stay.
    std::ofstream(out / "notes.txt") << "mine\n";
    r = run_tool(in + " --preview none -o '" + out.string() + "'", dir / "run_third");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(!fs::exists(out / "coadd_nimage.fits"));
    CHECK(!fs::exists(out / "coadd.png"));
    CHECK(fs::exists(out / "coadd.fits"));
    CHECK(fs::exists(out / "notes.txt"));

    // A full disk: a small tmpfs where the coadd fits but not everything (needs root and mount).
    auto const mnt = dir / "tiny";
    fs::create_directories(mnt);
    if (std::system(("mount -t tmpfs -o size=64k tmpfs '" + mnt.string() + "' 2>/dev/null").c_str()) != 0) {
        MESSAGE("skipped the full-disk case: cannot mount a tmpfs here (needs root)");
        return;
    }
    auto const full = mnt / "out";
    r = run_tool(in + " --preview none -o '" + full.string() + "'", dir / "run_full");
    CHECK(r.code == 4);
    CHECK(!fs::exists(full / "coadd.fits"));
    CHECK(!fs::exists(full / "report.txt"));
    CHECK(std::system(("umount '" + mnt.string() + "'").c_str()) == 0);
}

TEST_CASE("skystack-coadd interrupted by SIGINT: exit 130, nothing written, no staging directory left") {
    // SKYSTACK_COADD_TEST_RAISE makes the tool raise SIGINT in itself at a known point, through its real handler
    auto const dir = fresh_dir("interrupt");
    auto const ds = synthetic::make_dataset(small_stack(4));
    write_inputs(ds, dir);
    std::string const in = "-l '" + (dir / "inputs.txt").string() + "' --tile 16 --zp-keyword MAGZERO --zp-ref 27";
    for (std::string phase : {"stack", "write"}) {
        CAPTURE(phase);
        ::setenv("SKYSTACK_COADD_TEST_RAISE", phase.c_str(), 1);
        // an output directory the tool creates is removed again
        auto const fresh = dir / ("new_" + phase);
        auto const r = run_tool(in + " -o '" + fresh.string() + "'", dir / ("run_" + phase));
        INFO(r.err);
        CHECK(r.code == 130);
        CHECK(r.err.find("interrupted") != std::string::npos);
        CHECK(!fs::exists(fresh));
        // in an existing directory nothing appears, not even the hidden staging directory
        auto const existing = dir / ("existing_" + phase);
        fs::create_directories(existing);
        std::ofstream(existing / "keep.txt") << "mine";
        auto const r2 = run_tool(in + " -o '" + existing.string() + "'", dir / ("run2_" + phase));
        CHECK(r2.code == 130);
        std::vector<std::string> left;
        for (auto const& e : fs::directory_iterator(existing)) left.push_back(e.path().filename().string());
        CHECK(left == std::vector<std::string>{"keep.txt"});
        ::unsetenv("SKYSTACK_COADD_TEST_RAISE");
    }
    // without the hook the same command succeeds
    auto const r3 = run_tool(in + " -q -o '" + (dir / "ok").string() + "'", dir / "run_ok");
    CHECK(r3.code == 0);
    CHECK(fs::exists(dir / "ok" / "coadd.fits"));
}

#else // the tool without cfitsio

TEST_CASE("skystack-coadd without cfitsio: --demo writes the PNG and the report, no FITS, and says so") {
    auto const dir = fresh_dir("demo_nofits");
    auto const out = dir / "demo";
    auto const r = run_tool("--demo --demo-size 96 --demo-frames 5 -o '" + out.string() + "'", dir);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.err.find("built without cfitsio") != std::string::npos);
    CHECK(fs::exists(out / "coadd.png"));
    CHECK(fs::exists(out / "report.json"));
    CHECK(!fs::exists(out / "coadd.fits"));
    auto const j = nlohmann::json::parse(slurp(out / "report.json"));
    CHECK(j["n_inputs"] == 5);
    CHECK(j["demo"]["satellite_trail"]["coadd_pixels_above_5_sigma"] == 0);
    auto const [pw, ph] = png_size(out / "coadd.png");
    CHECK(pw == 3 * j["bbox"]["size"][0].get<int>() + 40);
    CHECK(ph > 0);
}

#endif // SKYSTACK_HAS_CFITSIO

#else

TEST_CASE("skystack-coadd end-to-end tests need the tool") {
    MESSAGE("skystack-coadd not built (SKYSTACK_BUILD_TOOLS=OFF or missing CLI11/libpng/nlohmann-json)");
}

#endif
