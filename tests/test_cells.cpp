// SPDX-License-Identifier: MIT
#include <skystack/cells/cell_coadd.hpp>
#include <skystack/cells/grid.hpp>
#include <skystack/stack/stack.hpp>
#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/cell_fits.hpp>
#endif

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <stop_token>
#include <vector>

using namespace skystack;

namespace {

Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }

/// An input over `bb`: smooth sky + seeded noise, variance `var`, mask empty.
MaskedImage<float> make_input(Box2I bb, unsigned seed, float var = 4.0f, float level = 100.0f) {
    MaskedImage<float> mi(bb);
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, std::sqrt(var));
    for (int y = 0; y < bb.height(); ++y)
        for (int x = 0; x < bb.width(); ++x) {
            mi.image()(x, y) = level + 0.01f * float(x + bb.min_x()) + g(rng);
            mi.variance()(x, y) = var;
        }
    return mi;
}

/// Masked images compare equal bit for bit (NaN == NaN).
bool same_bits(MaskedImageView<float const> a, MaskedImageView<float const> b) {
    if (a.bbox() != b.bbox()) return false;
    for (int y = 0; y < a.height(); ++y) {
        if (std::memcmp(a.image().row(y).data(), b.image().row(y).data(), sizeof(float) * std::size_t(a.width())) ||
            std::memcmp(a.variance().row(y).data(), b.variance().row(y).data(),
                        sizeof(float) * std::size_t(a.width())) ||
            std::memcmp(a.mask().row(y).data(), b.mask().row(y).data(), sizeof(MaskPixel) * std::size_t(a.width())))
            return false;
    }
    return true;
}

} // namespace

TEST_CASE("CellGrid: a divisible grid, worked by hand") {
    auto const g = CellGrid::from_bbox_cell_size(box(10, 20, 300, 200), {100, 100}, 20);
    CHECK(g.shape() == Extent2I{3, 2});
    CHECK(g.size() == 6);
    CHECK(g.border() == 20);
    CHECK(g.inner_bbox({0, 0}) == box(10, 20, 100, 100));
    CHECK(g.inner_bbox({1, 0}) == box(110, 20, 100, 100));
    CHECK(g.inner_bbox({2, 1}) == box(210, 120, 100, 100));
    CHECK(g.outer_bbox({1, 0}) == box(90, 0, 140, 140));
    CHECK(g.outer_bbox({2, 1}) == box(190, 100, 140, 140));
    CHECK(g.outer_bbox() == box(-10, 0, 340, 240));
    // index: inner boxes own their pixels; the border region belongs to the nearest edge cell
    CHECK(g.index({10, 20}) == CellIndex{0, 0});
    CHECK(g.index({109, 119}) == CellIndex{0, 0});
    CHECK(g.index({110, 119}) == CellIndex{1, 0});
    CHECK(g.index({210, 120}) == CellIndex{2, 1});
    CHECK(g.index({309, 219}) == CellIndex{2, 1});
    CHECK(g.index({-10, 0}) == CellIndex{0, 0});
    CHECK(g.index({329, 239}) == CellIndex{2, 1});
    CHECK_THROWS_AS((void)g.index({-11, 0}), InvalidParameterError);
    CHECK_THROWS_AS((void)g.index({330, 100}), InvalidParameterError);
    CHECK_THROWS_AS((void)g.inner_bbox({3, 0}), InvalidParameterError);
    CHECK_THROWS_AS((void)g.inner_bbox({0, -1}), InvalidParameterError);
    // flat order is row-major
    CHECK(g.flat({2, 0}) == 2);
    CHECK(g.flat({0, 1}) == 3);
    CHECK(g.unflat(4) == CellIndex{1, 1});
    CHECK(g.indices().size() == 6);
    CHECK(g.indices()[5] == CellIndex{2, 1});
    // cells overlapping a box straddling four cells
    auto const ov = g.overlapping(box(100, 110, 20, 20));
    REQUIRE(ov.size() == 4);
    CHECK(ov[0] == CellIndex{0, 0});
    CHECK(ov[3] == CellIndex{1, 1});
    // the inner boxes tile the grid bbox exactly
    std::int64_t area = 0;
    for (auto i : g.indices()) {
        area += g.inner_bbox(i).area();
        for (auto j : g.indices())
            if (!(i == j)) CHECK_FALSE(g.inner_bbox(i).overlaps(g.inner_bbox(j)));
    }
    CHECK(area == g.bbox().area());
}

TEST_CASE("CellGrid: a patch not divisible by the cell size") {
    CHECK_THROWS_AS((void)CellGrid::from_bbox_cell_size(box(0, 0, 250, 150), {100, 100}, 10), LengthError);
    auto const g = CellGrid::covering(box(0, 0, 250, 150), {100, 100}, 10);
    CHECK(g.shape() == Extent2I{3, 2});
    CHECK(g.inner_bbox({2, 0}) == box(200, 0, 50, 100));
    CHECK(g.inner_bbox({2, 1}) == box(200, 100, 50, 50));
    CHECK(g.outer_bbox({2, 1}) == box(190, 90, 70, 70));
    CHECK(g.outer_bbox({0, 1}) == box(-10, 90, 120, 70));
    CHECK(g.index({249, 149}) == CellIndex{2, 1});
    CHECK(g.index({259, 159}) == CellIndex{2, 1});
    CHECK_THROWS_AS((void)g.index({260, 0}), InvalidParameterError);
    std::int64_t area = 0;
    for (auto i : g.indices()) area += g.inner_bbox(i).area();
    CHECK(area == 250 * 150);
    CHECK_THROWS_AS((void)CellGrid::covering(box(0, 0, 10, 10), {0, 5}), InvalidParameterError);
    CHECK_THROWS_AS((void)CellGrid::covering(box(0, 0, 10, 10), {5, 5}, -1), InvalidParameterError);
    CHECK_THROWS_AS((void)CellGrid::covering(Box2I(), {5, 5}), InvalidParameterError);
}

TEST_CASE("cell coadd: inputs must cover the outer box; stitched cells equal a direct stack of their inputs") {
    auto const grid = CellGrid::from_bbox_cell_size(box(0, 0, 96, 64), {32, 32}, 8);
    Box2I const full = grid.outer_bbox(); // (-8,-8) 112 x 80
    std::vector<MaskedImage<float>> in;
    in.push_back(make_input(full, 1, 4.0f));
    in.push_back(make_input(full, 2, 9.0f));
    in.push_back(make_input(full, 3, 1.0f));
    // input 3 covers cell (0,0)'s inner box [0,32)² but not its outer box [-8,40)²
    in.push_back(make_input(box(-4, -4, 60, 60), 4, 2.0f));
    // input 4 covers everything, but has NO_DATA at x in [60, 64), y in [40, 50): inside cell (1,1)'s inner box and
    // cell (2,1)'s outer (not inner) box
    in.push_back(make_input(full, 5, 3.0f));
    MaskPixel const nodata = in[4].mask().bit_mask("NO_DATA");
    for (int y = 40; y < 50; ++y)
        for (int x = 60; x < 64; ++x) in[4].mask().view()(x + 8, y + 8) |= nodata;

    CellConfig cfg;
    cfg.stack.weights = {1.0, 0.5, 2.0, 1.5, 0.75};
    auto const cc = build_cell_coadd<WeightedMean>(in, grid, cfg);
    auto const ids = [](SingleCell<float> const& c) {
        std::vector<std::size_t> v;
        for (auto const& i : c.inputs) v.push_back(i.index);
        return v;
    };
    CHECK(ids(cc.cell({0, 0})) == std::vector<std::size_t>{0, 1, 2, 4});
    CHECK(ids(cc.cell({1, 0})) == std::vector<std::size_t>{0, 1, 2, 4});
    CHECK(ids(cc.cell({2, 1})) == std::vector<std::size_t>{0, 1, 2});
    CHECK(ids(cc.cell({1, 1})) == std::vector<std::size_t>{0, 1, 2}); // outer [24,72) x [24,72) holds the NO_DATA
    CHECK(cc.cell({0, 0}).inputs[1].weight == 0.5);
    CHECK(cc.cell({0, 0}).coadd.bbox() == grid.outer_bbox({0, 0}));

    // where a cell has all four full-coverage inputs, the stitched inner box equals the direct stack bit for bit
    std::vector<MaskedImageView<float const>> four{in[0].cview(), in[1].cview(), in[2].cview(), in[4].cview()};
    StackConfig sc;
    sc.weights = {1.0, 0.5, 2.0, 0.75};
    auto const direct4 = Stacker<WeightedMean>(sc)(four, grid.bbox());
    std::vector<MaskedImageView<float const>> three{in[0].cview(), in[1].cview(), in[2].cview()};
    sc.weights = {1.0, 0.5, 2.0};
    auto const direct3 = Stacker<WeightedMean>(sc)(three, grid.bbox());
    auto const st = cc.stitch();
    CHECK(st.bbox() == grid.bbox());
    for (auto i : grid.indices()) {
        Box2I const b = grid.inner_bbox(i);
        auto const& ref = cc.cell(i).inputs.size() == 4 ? direct4 : direct3;
        CHECK(same_bits(st.image.subimage(b), ref.coadd.subimage(b)));
    }

    // an input with weight 0 never contributes
    cfg.stack.weights = {1.0, 0.0, 2.0, 1.5, 0.75};
    auto const cc0 = build_cell_coadd<WeightedMean>(in, grid, cfg);
    CHECK(ids(cc0.cell({0, 0})) == std::vector<std::size_t>{0, 2, 4});
}

TEST_CASE("cell coadd: an input mostly masked in a cell's inner box is skipped (max_mask_fraction)") {
    auto const grid = CellGrid::from_bbox_cell_size(box(0, 0, 40, 20), {20, 20}, 4);
    std::vector<MaskedImage<float>> in{make_input(grid.outer_bbox(), 1), make_input(grid.outer_bbox(), 2)};
    MaskPixel const bad = in[1].mask().bit_mask("BAD");
    // cell (0,0) inner box: 20 x 20 = 400 pixels; mask 200 (exactly half) of input 1 there
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 20; ++x) in[1].mask().view()(x + 4, y + 4) |= bad;
    // cell (1,0): 199 pixels, just under half
    for (int k = 0; k < 199; ++k) in[1].mask().view()(20 + k % 20 + 4, k / 20 + 4) |= bad;
    CellConfig cfg;
    cfg.stack.weights = {1.0, 1.0};
    auto const cc = build_cell_coadd<WeightedMean>(in, grid, cfg);
    CHECK(cc.cell({0, 0}).inputs.size() == 1); // good fraction 0.5 <= 1 - 0.5: skipped, as upstream
    CHECK(cc.cell({1, 0}).inputs.size() == 2);
    cfg.max_mask_fraction = 0.6;
    CHECK(build_cell_coadd<WeightedMean>(in, grid, cfg).cell({0, 0}).inputs.size() == 2);
}

TEST_CASE("cell coadd: mask fractions are the weighted fraction of contributing inputs carrying the plane") {
    auto const grid = CellGrid::from_bbox_cell_size(box(0, 0, 16, 16), {8, 8}, 2);
    std::vector<MaskedImage<float>> in{make_input(grid.outer_bbox(), 1), make_input(grid.outer_bbox(), 2),
                                       make_input(grid.outer_bbox(), 3)};
    MaskPixel const sat = in[0].mask().bit_mask("SAT"), badb = in[0].mask().bit_mask("BAD");
    auto at = [&](std::size_t k, int x, int y) -> MaskPixel& { return in[k].mask().view()(x + 2, y + 2); };
    at(1, 3, 3) |= sat;           // weight 2 of 6
    at(0, 3, 3) |= sat;           // + weight 1
    at(2, 5, 1) |= badb;          // weight 3 of 6
    at(1, 9, 9) |= sat | badb;    // cell (1,1): weight 2 of 6 for both planes
    at(0, -2 + 0, -2 + 0) |= sat; // a border pixel of cell (0,0) only: weight 1 of 6 there
    CellConfig cfg;
    cfg.stack.weights = {1.0, 2.0, 3.0};
    cfg.stack.bad_mask_planes = {"NO_DATA"}; // keep SAT/BAD pixels in the stack
    cfg.mask_fraction_planes = {"SAT", "BAD"};
    auto const cc = build_cell_coadd<WeightedMean>(in, grid, cfg);
    auto const& c00 = cc.cell({0, 0});
    REQUIRE(c00.mask_fractions.size() == 2);
    CHECK(c00.mask_fractions[0].plane == "SAT");
    auto const& fsat = c00.mask_fractions[0].fraction;
    auto const& fbad = c00.mask_fractions[1].fraction;
    CHECK(fsat.bbox() == grid.outer_bbox({0, 0}));
    CHECK(fsat({3, 3}) == doctest::Approx(3.0 / 6.0));
    CHECK(fbad({5, 1}) == doctest::Approx(3.0 / 6.0));
    CHECK(fsat({5, 1}) == 0.0f);
    CHECK(fsat({-2, -2}) == doctest::Approx(1.0 / 6.0));
    CHECK(fsat({0, 0}) == 0.0f);
    auto const& c11 = cc.cell({1, 1});
    CHECK(c11.mask_fractions[0].fraction({9, 9}) == doctest::Approx(2.0 / 6.0));
    CHECK(c11.mask_fractions[1].fraction({9, 9}) == doctest::Approx(2.0 / 6.0));
    // a direct count over every pixel of every cell
    for (auto const& c : cc.cells())
        for (std::size_t f = 0; f < 2; ++f) {
            MaskPixel const bit = f == 0 ? sat : badb;
            for (int y = c.outer.min_y(); y < c.outer.end_y(); ++y)
                for (int x = c.outer.min_x(); x < c.outer.end_x(); ++x) {
                    double s = 0;
                    for (std::size_t k = 0; k < 3; ++k)
                        if (in[k].mask()({x, y}) & bit) s += cfg.stack.weights[k];
                    CHECK(c.mask_fractions[f].fraction({x, y}) == doctest::Approx(s / 6.0));
                }
        }
    // stitched fractions come from the owning cell's inner box
    auto const st = cc.stitch();
    CHECK(st.mask_fractions[0].fraction({3, 3}) == doctest::Approx(0.5));
    CellConfig unknown;
    unknown.mask_fraction_planes = {"NOPE"};
    CHECK_THROWS_AS((void)build_cell_coadd<WeightedMean>(in, grid, unknown), NotFoundError);
}

TEST_CASE("cell coadd: noise realisations have the predicted variance and are independent") {
    auto const grid = CellGrid::from_bbox_cell_size(box(0, 0, 192, 96), {96, 96}, 16);
    std::vector<MaskedImage<float>> in{make_input(grid.outer_bbox(), 1, 4.0f), make_input(grid.outer_bbox(), 2, 9.0f),
                                       make_input(grid.outer_bbox(), 3, 1.0f)};
    CellConfig cfg;
    cfg.noise_realizations = 2;
    cfg.noise_seed = 7;
    cfg.stack.weights = {1.0, 0.5, 2.0};
    auto const cc = build_cell_coadd<WeightedMean>(in, grid, cfg);
    // predicted: Σw²σ²/(Σw)² with σ² the inputs' (constant) variance
    double const sw = 3.5, pred = (1.0 * 4.0 + 0.25 * 9.0 + 4.0 * 1.0) / (sw * sw);
    for (auto const& c : cc.cells()) {
        REQUIRE(c.noise.size() == 2);
        double s[2] = {0, 0}, ss[2] = {0, 0}, cross = 0;
        double const n = double(c.outer.area());
        for (int y = 0; y < c.outer.height(); ++y)
            for (int x = 0; x < c.outer.width(); ++x) {
                double const a = c.noise[0](x, y), b = c.noise[1](x, y);
                s[0] += a, s[1] += b, ss[0] += a * a, ss[1] += b * b, cross += a * b;
            }
        for (int r = 0; r < 2; ++r) {
            double const var = ss[r] / n - (s[r] / n) * (s[r] / n);
            // 16384 samples: the variance estimate's relative error is sqrt(2/n) ≈ 1.1 %; allow 5 %
            CHECK(var == doctest::Approx(pred).epsilon(0.05));
            CHECK(std::abs(s[r] / n) < 4.0 * std::sqrt(pred / n));
        }
        double const corr = (cross / n) / pred;
        CHECK(std::abs(corr) < 0.05); // 4.5 sigma for independent realisations
    }
    // the same input pixel gets the same noise in both cells whose outer boxes hold it
    auto const& a = cc.cell({0, 0});
    auto const& b = cc.cell({1, 0});
    for (int y = 0; y < 96; ++y)
        for (int x = 80; x < 112; ++x) CHECK(a.noise[0]({x, y}) == b.noise[0]({x, y}));
}

TEST_CASE("cell coadd: threads, progress and cancellation") {
    auto const grid = CellGrid::covering(box(0, 0, 70, 50), {20, 20}, 5);
    std::vector<MaskedImage<float>> in;
    for (unsigned k = 0; k < 5; ++k) in.push_back(make_input(grid.outer_bbox(), 10 + k, 1.0f + float(k)));
    in[2].image()(30, 30) = 1e6f; // an outlier for the clip
    CellConfig cfg;
    cfg.noise_realizations = 1;
    auto const one = build_cell_coadd<ClippedMean>(in, grid, cfg);
    std::atomic<std::size_t> calls{0}, last{0}, bad_total{0};
    cfg.threads = 3;
    cfg.progress = [&](std::size_t done, std::size_t total) { // called one at a time, from the workers
        if (total != grid.size()) ++bad_total;
        last = done;
        ++calls;
    };
    auto const three = build_cell_coadd<ClippedMean>(in, grid, cfg);
    CHECK(calls == grid.size());
    CHECK(last == grid.size());
    CHECK(bad_total == 0);
    for (auto i : grid.indices()) {
        CHECK(same_bits(one.cell(i).coadd.cview(), three.cell(i).coadd.cview()));
        CHECK(one.cell(i).inputs == three.cell(i).inputs);
    }
    // default weights are per cell: 1 / clipped mean variance of each input over the cell's outer box
    CHECK(one.cell({0, 0}).inputs[3].weight == doctest::Approx(1.0 / 4.0));
    std::stop_source stop;
    cfg.threads = 1;
    cfg.progress = [&](std::size_t done, std::size_t) {
        if (done == 2) stop.request_stop();
    };
    cfg.stop = stop.get_token();
    CHECK_THROWS_AS((void)build_cell_coadd<ClippedMean>(in, grid, cfg), CancelledError);
}

TEST_CASE("cell coadd: missing cells and the stitched subimage") {
    auto const grid = CellGrid::from_bbox_cell_size(box(100, 200, 40, 20), {20, 20}, 2);
    // one input covering only cell (0,0)'s outer box
    std::vector<MaskedImage<float>> in{make_input(grid.outer_bbox({0, 0}), 1)};
    CellConfig cfg;
    cfg.mask_fraction_planes = {"SAT"};
    auto const cc = build_cell_coadd<Mean>(in, grid, cfg);
    CHECK_FALSE(cc.cell({0, 0}).empty());
    CHECK(cc.cell({1, 0}).empty());
    auto const st = cc.stitch();
    MaskPixel const nodata = st.image.mask().bit_mask("NO_DATA");
    CHECK(std::isnan(st.image.image()({130, 210})));
    CHECK(st.image.mask()({130, 210}) == nodata);
    CHECK(std::isnan(st.mask_fractions[0].fraction({130, 210})));
    CHECK(st.image.image()({110, 210}) == cc.cell({0, 0}).coadd.image()({110, 210}));
    // parent and local slicing name the same pixels
    auto const p = st.subimage(box(115, 205, 10, 5));
    auto const l = st.subimage(box(15, 5, 10, 5), Origin::local);
    CHECK(p.bbox() == box(115, 205, 10, 5));
    CHECK(l.bbox() == p.bbox());
    CHECK(p.image.image()(0, 0) == st.image.image()({115, 205}));
    CHECK(p.mask_fractions.size() == 1);
    CHECK(p.mask_fractions[0].second.bbox() == p.bbox());
    CHECK_THROWS_AS((void)st.subimage(box(95, 200, 10, 5)), LengthError);
}

#if SKYSTACK_HAS_CFITSIO
TEST_CASE("cell coadd: FITS round trip is bit-exact, compressed or not") {
    auto const grid = CellGrid::covering(box(-10, 5, 50, 30), {20, 20}, 4);
    std::vector<MaskedImage<float>> in;
    for (unsigned k = 0; k < 4; ++k) in.push_back(make_input(grid.outer_bbox(), 20 + k, 1.0f + float(k)));
    in.push_back(make_input(grid.outer_bbox({0, 0}), 99)); // contributes to one cell only
    MaskPixel const sat = in[0].mask().bit_mask("SAT");
    in[1].mask().view()(3, 3) |= sat;
    CellConfig cfg;
    cfg.noise_realizations = 2;
    cfg.stack.bad_mask_planes = {"NO_DATA", "BAD"};
    auto const cc = build_cell_coadd<ClippedMean>(in, grid, cfg);
    namespace fs = std::filesystem;
    fs::path const dir = fs::path(SKYSTACK_TEST_TMPDIR) / "cells";
    fs::create_directories(dir);
    for (auto comp : {fits::Compression::none, fits::Compression::gzip}) {
        fs::path const f = dir / (comp == fits::Compression::none ? "plain.fits" : "gzip.fits");
        fits::write_cell_coadd(f, cc, {.compression = comp, .overwrite = true});
        auto const back = fits::read_cell_coadd<float>(f);
        CHECK(back.grid() == cc.grid());
        CHECK(back.n_inputs() == 5);
        CHECK(back.mask_fraction_planes() == cc.mask_fraction_planes());
        for (auto i : grid.indices()) {
            auto const& a = cc.cell(i);
            auto const& b = back.cell(i);
            CHECK(a.inputs == b.inputs);
            REQUIRE(a.empty() == b.empty());
            if (a.empty()) continue;
            CHECK(same_bits(a.coadd.cview(), b.coadd.cview()));
            REQUIRE(b.noise.size() == 2);
            for (std::size_t r = 0; r < 2; ++r)
                for (int y = 0; y < a.outer.height(); ++y)
                    CHECK(std::memcmp(a.noise[r].row(y).data(), b.noise[r].row(y).data(),
                                      sizeof(float) * std::size_t(a.outer.width())) == 0);
            for (std::size_t m = 0; m < a.mask_fractions.size(); ++m)
                for (int y = 0; y < a.outer.height(); ++y)
                    CHECK(std::memcmp(a.mask_fractions[m].fraction.row(y).data(),
                                      b.mask_fractions[m].fraction.row(y).data(),
                                      sizeof(float) * std::size_t(a.outer.width())) == 0);
        }
        // the stitched planes read as an ordinary afw MaskedImage
        auto const mi = fits::read_masked_image<float>(f);
        CHECK(same_bits(mi.cview(), cc.stitch().image.cview()));
    }
    // a file that is not a cell coadd
    fs::path const plain = dir / "not_cells.fits";
    fits::write(plain, in[0], {.overwrite = true});
    CHECK_THROWS_AS((void)fits::read_cell_coadd<float>(plain), FitsError);
}
#endif

TEST_CASE("online cell coadd: one pass equals build_cell_coadd; merged halves equal it to rounding") {
    auto const grid = CellGrid::covering(box(0, 0, 60, 40), {20, 20}, 5);
    std::vector<MaskedImage<float>> in;
    for (unsigned k = 0; k < 6; ++k) in.push_back(make_input(grid.outer_bbox(), 40 + k, 1.0f + float(k % 3)));
    in.push_back(make_input(grid.outer_bbox({0, 0}), 50)); // one cell only
    MaskPixel const sat = in[0].mask().bit_mask("SAT");
    for (int x = 0; x < 30; ++x) in[2].mask().view()(x + 3, 7) |= sat;
    in[3].image()(10, 10) = std::nanf("");
    CellConfig cfg;
    cfg.noise_realizations = 1;
    cfg.mask_fraction_planes = {"SAT"};
    auto const ref = build_cell_coadd<WeightedMean>(in, grid, cfg); // default (per-cell) weights
    OnlineCellCoadd<float, WeightedMean> all(grid, cfg), a(grid, cfg), b(grid, cfg, 3);
    for (std::size_t k = 0; k < in.size(); ++k) {
        all.add(in[k].cview());
        (k < 3 ? a : b).add(in[k].cview());
    }
    CHECK_THROWS_AS(b.merge(a), InvalidParameterError); // a's inputs (0..2) do not follow b's (3..6)
    a.merge(b);
    auto const one = all.finish(), merged = a.finish();
    CHECK(merged.n_inputs() == in.size());
    for (auto i : grid.indices()) {
        auto const& r = ref.cell(i);
        CHECK(one.cell(i).inputs == r.inputs);
        CHECK(merged.cell(i).inputs == r.inputs);
        REQUIRE_FALSE(r.empty());
        CHECK(same_bits(one.cell(i).coadd.cview(), r.coadd.cview()));
        CHECK(one.cell(i).mask_fractions[0].fraction(3, 2) == r.mask_fractions[0].fraction(3, 2));
        auto const& m = merged.cell(i).coadd;
        for (int y = 0; y < m.height(); ++y)
            for (int x = 0; x < m.width(); ++x) {
                CHECK(m.image()(x, y) == doctest::Approx(r.coadd.image()(x, y)).epsilon(1e-6));
                CHECK(m.variance()(x, y) == doctest::Approx(r.coadd.variance()(x, y)).epsilon(1e-5));
                CHECK(m.mask()(x, y) == r.coadd.mask()(x, y));
                CHECK(merged.cell(i).noise[0](x, y) == doctest::Approx(r.noise[0](x, y)).epsilon(1e-5));
            }
    }
    CellConfig with_weights;
    with_weights.stack.weights = {1.0};
    CHECK_THROWS_AS(OnlineCellCoadd<float>(grid, with_weights), InvalidParameterError);
}
