// SPDX-License-Identifier: MIT
// Stacker policies against hand-computed per-pixel expectations on tiny stacks (formulas: coadd.md §3-4,
// data-model.md §5). Every expected number is derived in the comment next to it.
#include <skystack/stack/online.hpp>
#include <skystack/stack/stack.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

using namespace skystack;

namespace {

float const fnan = std::numeric_limits<float>::quiet_NaN();

/// A masked image over `box` filled with value v, variance var and mask m.
MaskedImageF flat(Box2I box, float v, float var = 1.f, MaskPixel m = 0) {
    MaskedImageF mi(box);
    mi.image().view().fill(v);
    mi.variance().view().fill(var);
    mi.mask().view().fill(m);
    return mi;
}
MaskedImageF flat(float v, float var = 1.f, MaskPixel m = 0) {
    return flat(Box2I::from_min_size({0, 0}, {3, 2}), v, var, m);
}
std::vector<MaskedImageView<float const>> views(std::vector<MaskedImageF> const& v) { return {v.begin(), v.end()}; }
MaskPixel bit(char const* name) { return MaskPlanes::shared_default()->bit_mask(name); }
Box2I const box32 = Box2I::from_min_size({0, 0}, {3, 2});

/// Unit weights and no planes beyond the defaults: the afw formulas reduce to textbook ones.
StackConfig unit_cfg() {
    StackConfig c;
    c.mask_propagation_thresholds = {};
    return c;
}

} // namespace

TEST_CASE("Mean: plain average, variance ΣV/n², no mask bits") {
    std::vector<MaskedImageF> in{flat(1.f, 1.f), flat(2.f, 1.f), flat(6.f, 4.f)};
    auto r = Stacker<Mean>(unit_cfg())(views(in), box32);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x) {
            CHECK(r.coadd.image()(x, y) == doctest::Approx(3.0));          // (1+2+6)/3
            CHECK(r.coadd.variance()(x, y) == doctest::Approx(6.0 / 9.0)); // (1+1+4)/3²
            CHECK(r.coadd.mask()(x, y) == 0u);
        }
    CHECK(r.weights == std::vector<double>{1, 1, 1});
}

TEST_CASE("WeightedMean: explicit weights and default 1/mean-variance weights") {
    std::vector<MaskedImageF> in{flat(1.f, 1.f), flat(2.f, 2.f), flat(6.f, 4.f)};
    SUBCASE("explicit") {
        auto cfg = unit_cfg();
        cfg.weights = {1, 2, 1};
        auto r = Stacker<WeightedMean>(cfg)(views(in), box32);
        CHECK(r.coadd.image()(1, 1) == doctest::Approx(2.75));           // (1·1+2·2+1·6)/4
        CHECK(r.coadd.variance()(1, 1) == doctest::Approx(13.0 / 16.0)); // (1·1+4·2+1·4)/4²
    }
    SUBCASE("default = 1/MEANCLIP(variance)") {
        auto r = Stacker<WeightedMean>(unit_cfg())(views(in), box32);
        REQUIRE(r.weights.size() == 3);
        CHECK(r.weights[0] == doctest::Approx(1.0));
        CHECK(r.weights[1] == doctest::Approx(0.5));
        CHECK(r.weights[2] == doctest::Approx(0.25));
        CHECK(r.coadd.image()(0, 0) == doctest::Approx((1 + 1 + 1.5) / 1.75)); // Σx/V / Σ1/V = 2
        CHECK(r.coadd.variance()(0, 0) == doctest::Approx(1 / 1.75));          // inverse-variance: 1/Σ(1/V)
    }
    SUBCASE("weight 0 drops an input") {
        auto cfg = unit_cfg();
        cfg.weights = {1, 0, 1};
        auto r = Stacker<WeightedMean>(cfg)(views(in), box32);
        CHECK(r.coadd.image()(2, 0) == doctest::Approx(3.5)); // (1+6)/2
    }
}

TEST_CASE("scale factors multiply the image by s and the variance by s²") {
    std::vector<MaskedImageF> in{flat(3.f, 1.f), flat(5.f, 2.f)};
    auto cfg = unit_cfg();
    cfg.scales = {2, 1};
    auto r = Stacker<Mean>(cfg)(views(in), box32);
    CHECK(r.coadd.image()(0, 0) == doctest::Approx(5.5));        // (3·2 + 5)/2
    CHECK(r.coadd.variance()(0, 0) == doctest::Approx(6.0 / 4)); // (1·4 + 2)/2²
    auto s = Stacker<Sum>(cfg)(views(in), box32);
    CHECK(s.coadd.image()(0, 0) == doctest::Approx(11.0));
    CHECK(s.coadd.variance()(0, 0) == doctest::Approx(6.0));
}

TEST_CASE("masked and NaN samples are excluded; REJECTED / SENSOR_EDGE mapping; NO_DATA where none is left") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f)};
    in[1].mask()(0, 0) = bit("BAD");                    // rejected, maps to REJECTED
    in[2].image()(1, 0) = fnan;                         // unmasked NaN: rejected, carries no bit
    in[1].mask()(2, 0) = bit("EDGE");                   // rejected, maps to SENSOR_EDGE
    in[0].mask()(2, 0) = bit("DETECTED");               // accepted: ORed into the output
    for (auto& m : in) m.mask()(0, 1) = bit("NO_DATA"); // nothing left: NO_DATA only (NO_DATA maps to nothing)
    in[0].mask()(1, 1) = bit("SAT");
    in[1].mask()(1, 1) = bit("BAD");
    in[2].mask()(1, 1) = bit("NO_DATA");
    auto cfg = unit_cfg();
    cfg.nimage = true;
    auto r = Stacker<Mean>(cfg)(views(in), box32);
    auto const& img = r.coadd.image();
    auto const& msk = r.coadd.mask();
    CHECK(img(0, 0) == doctest::Approx(3.5)); // (1+6)/2
    CHECK(msk(0, 0) == msk.bit_mask("REJECTED"));
    CHECK(img(1, 0) == doctest::Approx(1.5)); // (1+2)/2
    CHECK(msk(1, 0) == 0u);
    CHECK(img(2, 0) == doctest::Approx(3.5));
    CHECK(msk(2, 0) == (bit("DETECTED") | msk.bit_mask("SENSOR_EDGE")));
    CHECK(std::isnan(img(0, 1)));
    CHECK(std::isnan(r.coadd.variance()(0, 1)));
    CHECK(msk(0, 1) == bit("NO_DATA"));
    CHECK(std::isnan(img(1, 1))); // SAT, BAD and NO_DATA: all rejected
    CHECK(msk(1, 1) == (bit("NO_DATA") | msk.bit_mask("REJECTED")));
    CHECK(img(2, 1) == doctest::Approx(3.0));
    CHECK(r.nimage(0, 0) == 2);
    CHECK(r.nimage(1, 0) == 2);
    CHECK(r.nimage(0, 1) == 0);
    CHECK(r.nimage(2, 1) == 3);
}

TEST_CASE("mask propagation threshold: F_b = R_b / (Σw_used + R_b) > t_b") {
    // SAT is bad (rejected) and has threshold 0.1 (AssembleCoadd defaults).
    StackConfig cfg;
    cfg.rejected_mask_mapping = false;
    SUBCASE("1 of 3 saturated: F = 1/3 > 0.1 -> SAT propagates") {
        std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f)};
        in[2].mask()(0, 0) = bit("SAT");
        auto r = Stacker<Mean>(cfg)(views(in), box32);
        CHECK(r.coadd.mask()(0, 0) == bit("SAT"));
        CHECK(r.coadd.image()(0, 0) == doctest::Approx(1.5));
        CHECK(r.coadd.mask()(1, 0) == 0u);
    }
    SUBCASE("1 of 11 saturated: F = 1/11 < 0.1 -> not propagated") {
        std::vector<MaskedImageF> in;
        for (int i = 0; i < 11; ++i) in.push_back(flat(float(i)));
        in[3].mask()(0, 0) = bit("SAT");
        auto r = Stacker<Mean>(cfg)(views(in), box32);
        CHECK(r.coadd.mask()(0, 0) == 0u);
        CHECK(r.coadd.image()(0, 0) == doctest::Approx(52.0 / 10)); // (55 - 3)/10
    }
    SUBCASE("weights enter the fraction: SAT input weight 1, others 9+9 -> F = 1/19 < 0.1") {
        std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f)};
        in[0].mask()(0, 0) = bit("SAT");
        cfg.weights = {1, 9, 9};
        auto r = Stacker<WeightedMean>(cfg)(views(in), box32);
        CHECK(r.coadd.mask()(0, 0) == 0u);
        cfg.weights = {3, 9, 9}; // 3/21 = 0.143 > 0.1
        auto r2 = Stacker<WeightedMean>(cfg)(views(in), box32);
        CHECK(r2.coadd.mask()(0, 0) == bit("SAT"));
    }
    SUBCASE("six planes with their own thresholds, each judged on its own") {
        // pixel (0,0): inputs carry SAT | BAD+CR | INTRP | SUSPECT | nothing; only the last is accepted (w 1),
        // so every plane present has F = 1/(1 + 1) = 0.5: SAT (0.1), CR (0.2), SUSPECT (0.3) propagate;
        // BAD (0.5, not > 0.5) and INTRP (0.9) do not; EDGE (0.0) is absent (F = 0).
        cfg.bad_mask_planes = {"NO_DATA", "BAD", "SAT", "EDGE", "CR", "INTRP", "SUSPECT"};
        cfg.mask_propagation_thresholds = {{"SAT", 0.1},   {"BAD", 0.5},     {"CR", 0.2},
                                           {"INTRP", 0.9}, {"SUSPECT", 0.3}, {"EDGE", 0.0}};
        std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(3.f), flat(4.f), flat(5.f)};
        in[0].mask()(0, 0) = bit("SAT");
        in[1].mask()(0, 0) = bit("BAD") | bit("CR");
        in[2].mask()(0, 0) = bit("INTRP");
        in[3].mask()(0, 0) = bit("SUSPECT");
        for (auto const& r : {Stacker<Mean>(cfg)(views(in), box32), Stacker<Median>(cfg)(views(in), box32)}) {
            CHECK(r.coadd.image()(0, 0) == doctest::Approx(5.0));
            CHECK(r.coadd.mask()(0, 0) == (bit("SAT") | bit("CR") | bit("SUSPECT")));
            CHECK(r.coadd.mask()(1, 0) == 0u);
        }
        StackConfig many = cfg;
        many.mask_propagation_thresholds.clear();
        for (int b = 0; b < 33; ++b) many.mask_propagation_thresholds.push_back({"P" + std::to_string(b), 0.5});
        CHECK_THROWS_AS((void)Stacker<Mean>(many)(views(in), box32), InvalidParameterError); // 33 > 32 planes
    }
}

TEST_CASE("Min, Max, Sum") {
    std::vector<MaskedImageF> in{flat(4.f, 1.f), flat(2.f, 2.f), flat(6.f, 3.f)};
    in[1].mask()(0, 0) = bit("BAD");
    auto cfg = unit_cfg();
    auto mn = Stacker<Min>(cfg)(views(in), box32);
    CHECK(mn.coadd.image()(1, 0) == 2.f);
    CHECK(mn.coadd.variance()(1, 0) == 2.f); // the selected sample's variance
    CHECK(mn.coadd.image()(0, 0) == 4.f);    // 2 is masked
    auto mx = Stacker<Max>(cfg)(views(in), box32);
    CHECK(mx.coadd.image()(1, 0) == 6.f);
    CHECK(mx.coadd.variance()(1, 0) == 3.f);
    auto sm = Stacker<Sum>(cfg)(views(in), box32);
    CHECK(sm.coadd.image()(1, 0) == doctest::Approx(12.0));
    CHECK(sm.coadd.variance()(1, 0) == doctest::Approx(6.0));
    CHECK(sm.coadd.image()(0, 0) == doctest::Approx(10.0));
}

TEST_CASE("Median: interpolated middle, error (π/2)·s²/n, masked samples excluded") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f), flat(100.f)};
    in[3].mask()(0, 0) = bit("BAD");
    in[2].image()(2, 1) = fnan;
    auto r = Stacker<Median>(unit_cfg())(views(in), box32);
    CHECK(r.coadd.image()(1, 0) == doctest::Approx(4.0)); // (2+6)/2 of {1,2,6,100}
    // s² of {1,2,6,100}: mean 27.25, Σd² = 26.25²+25.25²+21.25²+72.75² = 7070.75, /3 = 2356.9167
    CHECK(r.coadd.variance()(1, 0) == doctest::Approx(M_PI / 2 * (7070.75 / 3) / 4));
    CHECK(r.coadd.image()(0, 0) == doctest::Approx(2.0));                   // {1,2,6}
    CHECK(r.coadd.variance()(0, 0) == doctest::Approx(M_PI / 2 * 7.0 / 3)); // s² of {1,2,6} = 14/2
    CHECK(r.coadd.image()(2, 1) == doctest::Approx(2.0));                   // {1,2,100}
    SUBCASE("one sample: the value, variance NaN") {
        std::vector<MaskedImageF> one{flat(7.f)};
        auto r1 = Stacker<Median>(unit_cfg())(views(one), box32);
        CHECK(r1.coadd.image()(0, 0) == 7.f);
        CHECK(std::isnan(r1.coadd.variance()(0, 0)));
    }
}

TEST_CASE("ClippedMean (afw MEANCLIP): outlier clipped in iteration 0, CLIPPED recorded") {
    // {9,9,10,10,10,10,10,11,11,1000}: median 10, q25 = s[2.25] = 10, q75 = s[6.75] = 10.75, IQR 0.75,
    // window 10 ± 3·0.7413·0.75 = ±1.668 -> 1000 clipped; iteration 1: mean 10, s² = 4/8, window ±2.12 -> same.
    std::vector<float> vals{9, 10, 11, 10, 9, 11, 10, 10, 1000, 10};
    std::vector<MaskedImageF> in;
    for (float v : vals) in.push_back(flat(v, 1.f));
    StackConfig cfg;
    cfg.nimage = true;
    auto r = Stacker<ClippedMean>(cfg)(views(in), box32);
    CHECK(r.coadd.image()(0, 0) == doctest::Approx(10.0));
    CHECK(r.coadd.variance()(0, 0) == doctest::Approx(1.0 / 9)); // Σw²V/(Σw)² over the 9 survivors
    CHECK(r.coadd.mask()(0, 0) == r.coadd.mask().bit_mask("CLIPPED"));
    CHECK(r.nimage(0, 0) == 10); // nImage counts before clipping
    SUBCASE("no CLIPPED when record_clipped is off") {
        cfg.record_clipped = false;
        cfg.rejected_mask_mapping = false;
        auto r2 = Stacker<ClippedMean>(cfg)(views(in), box32);
        CHECK(r2.coadd.mask()(0, 0) == 0u);
    }
    SUBCASE("scatter variance: s²·Σw²/(Σw)² = 0.5/9") {
        cfg.variance = VarianceSource::scatter;
        auto r3 = Stacker<ClippedMean>(cfg)(views(in), box32);
        CHECK(r3.coadd.variance()(0, 0) == doctest::Approx(0.5 / 9));
    }
}

TEST_CASE("ClippedMean: a sample kept by the IQR clip is removed by the σ clip of iteration 1") {
    // 20 × 0, 20 × 10, one 24. Iteration 0: median s[20] = 10, q25 = 0, q75 = 10, window 10 ± 22.24 keeps 24.
    // Iteration 1: mean 224/41 = 5.4634, s² = (2576 − 41·5.4634²)/40 = 33.805, window ± 3·5.814 = ±17.44;
    // |24 − 5.46| = 18.54 -> clipped. Mean of the other 40 = 5.
    std::vector<MaskedImageF> in;
    for (int i = 0; i < 20; ++i) in.push_back(flat(0.f));
    for (int i = 0; i < 20; ++i) in.push_back(flat(10.f));
    in.push_back(flat(24.f));
    auto r = Stacker<ClippedMean>(StackConfig{})(views(in), box32);
    CHECK(r.coadd.image()(2, 1) == doctest::Approx(5.0));
    CHECK(r.coadd.variance()(2, 1) == doctest::Approx(1.0 / 40));
    CHECK((r.coadd.mask()(2, 1) & r.coadd.mask().bit_mask("CLIPPED")) != 0u);
    SUBCASE("one iteration only: 24 stays") {
        StackConfig cfg;
        cfg.clip.max_iter = 1;
        auto r1 = Stacker<ClippedMean>(cfg)(views(in), box32);
        CHECK(r1.coadd.image()(2, 1) == doctest::Approx(224.0 / 41));
        CHECK(r1.coadd.mask()(2, 1) == 0u);
    }
}

TEST_CASE("sub-region output bbox and partially overlapping inputs") {
    Box2I const big = Box2I::from_min_size({10, 20}, {6, 4});
    std::vector<MaskedImageF> in{flat(big, 1.f), flat(Box2I::from_min_size({13, 21}, {5, 5}), 3.f),
                                 flat(Box2I::from_min_size({8, 18}, {4, 4}), 8.f)};
    Box2I const out = Box2I::from_min_size({11, 20}, {4, 3});
    auto cfg = unit_cfg();
    cfg.nimage = true;
    auto r = Stacker<Mean>(cfg)(views(in), out);
    CHECK(r.coadd.bbox() == out);
    auto at = [&](int x, int y) { return r.coadd.image()(Point2I{x, y}); };
    CHECK(at(11, 20) == doctest::Approx(4.5)); // inputs 0 and 2
    CHECK(at(12, 20) == doctest::Approx(1.0)); // input 0 only
    CHECK(at(13, 21) == doctest::Approx(2.0)); // inputs 0 and 1
    CHECK(at(14, 22) == doctest::Approx(2.0));
    CHECK(at(11, 21) == doctest::Approx(4.5));
    CHECK(r.nimage(Point2I{12, 20}) == 1);
    CHECK(r.nimage(Point2I{11, 21}) == 2);
    // an input that does not cover a pixel is absent there, like a NO_DATA sample: no bits appear
    CHECK(r.coadd.mask()(Point2I{12, 20}) == 0u);
    SUBCASE("same through the sample engine (Median)") {
        auto m = Stacker<Median>(cfg)(views(in), out);
        CHECK(m.coadd.image()(Point2I{11, 20}) == doctest::Approx(4.5));
        CHECK(m.coadd.image()(Point2I{12, 20}) == doctest::Approx(1.0));
    }
}

namespace {
/// Random stack with masks, NaN and outliers, for engine-invariance tests.
std::vector<MaskedImageF> random_stack(int n, Box2I box, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(100.f, 5.f);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<MaskedImageF> in;
    for (int k = 0; k < n; ++k) {
        // inputs cover shifted parts of the box
        Box2I const b =
            Box2I::from_min_size({box.min_x() + k % 3, box.min_y() + (k % 2)}, {box.width() - 2, box.height() - 1});
        MaskedImageF mi(b);
        for (int y = 0; y < b.height(); ++y)
            for (int x = 0; x < b.width(); ++x) {
                float v = g(rng);
                if (u(rng) < 0.03f) v += 500.f;
                if (u(rng) < 0.02f) v = fnan;
                mi.image()(x, y) = v;
                mi.variance()(x, y) = 20.f + float(k);
                float const r = u(rng);
                mi.mask()(x, y) = r < 0.05f ? bit("BAD") : r < 0.08f ? bit("SAT") : r < 0.1f ? bit("DETECTED") : 0;
            }
        in.push_back(std::move(mi));
    }
    return in;
}
template <class C>
void check_invariance(std::vector<MaskedImageF> const& in, Box2I box) {
    StackConfig a;
    a.nimage = true;
    a.tile_size = {1000, 1000};
    a.threads = 1;
    StackConfig b = a;
    b.tile_size = {5, 3};
    b.threads = 3;
    auto ra = Stacker<C>(a)(views(in), box);
    auto rb = Stacker<C>(b)(views(in), box);
    int diff = 0;
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            float const ia = ra.coadd.image()(x, y), ib = rb.coadd.image()(x, y);
            float const va = ra.coadd.variance()(x, y), vb = rb.coadd.variance()(x, y);
            if (std::memcmp(&ia, &ib, 4) != 0 || std::memcmp(&va, &vb, 4) != 0 ||
                ra.coadd.mask()(x, y) != rb.coadd.mask()(x, y) || ra.nimage(x, y) != rb.nimage(x, y))
                ++diff;
        }
    CHECK(diff == 0);
}
} // namespace

TEST_CASE_TEMPLATE("bit-identical results for 1 vs 3 threads and untiled vs 5×3 tiles", C, Mean, WeightedMean, Sum, Min,
                   Max, Median, ClippedMean) {
    Box2I const box = Box2I::from_min_size({-3, 7}, {37, 23});
    auto const in = random_stack(9, box, 42);
    check_invariance<C>(in, box);
}

TEST_CASE("bad input throws") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f)};
    Stacker<Mean> const s(unit_cfg());
    CHECK_THROWS_AS(s(std::vector<MaskedImageView<float const>>{}, box32), InvalidParameterError);
    CHECK_THROWS_AS(s(views(in), Box2I()), InvalidParameterError);
    CHECK_THROWS_AS(s(views(in), Box2I::from_min_size({100, 100}, {2, 2})), InvalidParameterError);
    auto cfg = unit_cfg();
    cfg.weights = {1, -1};
    CHECK_THROWS_AS((Stacker<WeightedMean>(cfg))(views(in), box32), InvalidParameterError);
    cfg.weights = {1, fnan};
    CHECK_THROWS_AS((Stacker<WeightedMean>(cfg))(views(in), box32), InvalidParameterError);
    cfg.weights = {1};
    CHECK_THROWS_AS((Stacker<WeightedMean>(cfg))(views(in), box32), InvalidParameterError);
    cfg.weights = {};
    cfg.scales = {1, 0};
    CHECK_THROWS_AS((Stacker<Mean>(cfg))(views(in), box32), InvalidParameterError);
    cfg.scales = {};
    cfg.tile_size = {0, 4};
    CHECK_THROWS_AS((Stacker<Mean>(cfg)), InvalidParameterError);
    // masks with a different plane layout
    auto other = std::make_shared<MaskPlanes>();
    other->add("FOO");
    std::vector<MaskedImageF> mixed{flat(1.f), MaskedImageF(box32, other)};
    CHECK_THROWS_AS(s(views(mixed), box32), InvalidParameterError);
    // unknown plane name
    auto bad = unit_cfg();
    bad.bad_mask_planes = {"NOT_A_PLANE"};
    CHECK_THROWS_AS((Stacker<Mean>(bad))(views(in), box32), NotFoundError);
}

namespace {
/// A user-written policy: the mid-range (min + max)/2, scalar path only.
struct MidRange {
    static constexpr std::string_view name = "midrange";
    static constexpr bool weighted = false;
    template <class T>
    T scalar(std::span<T> v, std::span<T const>) const noexcept {
        auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        return (*lo + *hi) / 2;
    }
};
/// A user-written rejection: drop the single highest sample (scalar path).
struct DropMax {
    template <class T>
    std::size_t scalar(std::span<T> v, std::span<T> w, std::span<T> var, ClipParams) const {
        auto const i = std::size_t(std::max_element(v.begin(), v.end()) - v.begin());
        std::swap(v[i], v.back());
        std::swap(w[i], w.back());
        std::swap(var[i], var.back());
        return v.size() - 1;
    }
};
} // namespace

TEST_CASE("user-defined combine and rejection policies") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f), flat(10.f)};
    in[3].mask()(0, 0) = bit("BAD");
    CHECK(MidRange::name == "midrange");
    auto r = Stacker<MidRange>(unit_cfg())(views(in), box32);
    CHECK(r.coadd.image()(1, 0) == doctest::Approx(5.5));         // (1+10)/2
    CHECK(r.coadd.image()(0, 0) == doctest::Approx(3.5));         // (1+6)/2
    CHECK(r.coadd.variance()(1, 0) == doctest::Approx(4.0 / 16)); // default error model: Σw²V/(Σw)²
    auto c = Stacker<Mean, DropMax>(unit_cfg())(views(in), box32);
    CHECK(c.coadd.image()(1, 0) == doctest::Approx(3.0)); // (1+2+6)/3
    CHECK(c.coadd.image()(0, 0) == doctest::Approx(1.5)); // (1+2)/2
    CHECK((c.coadd.mask()(1, 0) & c.coadd.mask().bit_mask("CLIPPED")) != 0u);
}

TEST_CASE("by-name selection") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f), flat(100.f)};
    auto cfg = unit_cfg();
    CHECK(stack("median", views(in), box32, cfg).coadd.image()(0, 0) == doctest::Approx(4.0));
    CHECK(stack("MEAN", views(in), box32, cfg).coadd.image()(0, 0) == doctest::Approx(27.25));
    CHECK(stack("max", views(in), box32, cfg).coadd.image()(0, 0) == 100.f);
    CHECK_THROWS_AS(stack("nothing", views(in), box32, cfg), InvalidParameterError);
    CHECK(parse_statistic("meanclip") == Statistic::meanclip);
}

TEST_CASE("tile reader: inputs fed per tile give the same result as views") {
    Box2I const box = Box2I::from_min_size({0, 0}, {17, 11});
    auto const in = random_stack(5, box, 7);
    StackConfig cfg;
    cfg.tile_size = {6, 4};
    cfg.weights = {1, 2, 3, 4, 5};
    std::size_t reads = 0;
    TileReader<float> reader = [&](std::size_t k, Box2I tile) -> MaskedImageF {
        ++reads;
        Box2I const b = in[k].bbox().clipped_to(tile);
        if (b.empty()) return {};
        return in[k].subimage(b).clone();
    };
    std::size_t calls = 0;
    cfg.progress = [&](std::size_t done, std::size_t total) {
        ++calls;
        CHECK(done <= total);
    };
    auto a = Stacker<ClippedMean>(cfg)(reader, in.size(), box);
    auto b = Stacker<ClippedMean>(cfg)(views(in), box);
    CHECK(calls == 2 * 3 * 3); // 3×3 tiles, two stacks
    CHECK(reads == 5 * 9);
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            float const ia = a.coadd.image()(x, y), ib = b.coadd.image()(x, y);
            CHECK(std::memcmp(&ia, &ib, 4) == 0);
        }
}

TEST_CASE("OnlineMeanStacker equals the Mean path; partial stacks merge") {
    Box2I const box = Box2I::from_min_size({2, 3}, {13, 7});
    auto const in = random_stack(6, box, 3);
    StackConfig cfg;
    cfg.weights = {1, 2, 3, 1, 2, 3};
    cfg.nimage = true;
    auto ref = Stacker<WeightedMean>(cfg)(views(in), box);
    OnlineMeanStacker<float> all(box, cfg);
    for (std::size_t k = 0; k < in.size(); ++k) all.add(in[k], cfg.weights[k]);
    auto r = all.finish();
    OnlineMeanStacker<float> a(box, cfg), b(box, cfg);
    for (std::size_t k = 0; k < 3; ++k) a.add(in[k], cfg.weights[k]);
    for (std::size_t k = 3; k < 6; ++k) b.add(in[k], cfg.weights[k]);
    a.merge(b);
    auto m = a.finish();
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            float const e = ref.coadd.image()(x, y);
            if (std::isnan(e)) {
                CHECK(std::isnan(r.coadd.image()(x, y)));
                CHECK(std::isnan(m.coadd.image()(x, y)));
            } else {
                CHECK(r.coadd.image()(x, y) == e); // same order, same kernel: bit-identical
                CHECK(m.coadd.image()(x, y) == doctest::Approx(e).epsilon(1e-6));
                CHECK(m.coadd.variance()(x, y) == doctest::Approx(ref.coadd.variance()(x, y)).epsilon(1e-6));
            }
            CHECK(r.coadd.mask()(x, y) == ref.coadd.mask()(x, y));
            CHECK(m.coadd.mask()(x, y) == ref.coadd.mask()(x, y));
            CHECK(m.nimage(x, y) == ref.nimage(x, y));
        }
}

TEST_CASE("Stacker::into writes a sub-box of an existing coadd") {
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(6.f)};
    MaskedImageF patch(Box2I::from_min_size({-2, -2}, {8, 8}));
    patch.image().view().fill(-1.f);
    Image<std::uint16_t> nim(box32);
    auto w = Stacker<Mean>(unit_cfg()).into(views(in), patch.subimage(box32), nim.view());
    CHECK(w.size() == 3);
    CHECK(patch.image()(Point2I{0, 0}) == doctest::Approx(3.0));
    CHECK(patch.image()(Point2I{2, 1}) == doctest::Approx(3.0));
    CHECK(patch.image()(Point2I{-1, 0}) == -1.f); // outside the sub-box: untouched
    CHECK(nim(0, 0) == 3);
    Image<std::uint16_t> wrong(Box2I::from_min_size({0, 0}, {2, 2}));
    CHECK_THROWS_AS(Stacker<Mean>(unit_cfg()).into(views(in), patch.subimage(box32), wrong.view()), LengthError);
}

TEST_CASE("double pixels") {
    std::vector<MaskedImageD> in;
    for (double v : {1.0, 2.0, 6.0, 100.0}) {
        MaskedImageD mi(box32);
        mi.image().view().fill(v);
        mi.variance().view().fill(1.f);
        in.push_back(std::move(mi));
    }
    in[3].mask()(0, 0) = bit("BAD");
    std::vector<MaskedImageView<double const>> v(in.begin(), in.end());
    auto m = Stacker<Mean>(unit_cfg())(v, box32);
    CHECK(m.coadd.image()(1, 0) == doctest::Approx(27.25));
    CHECK(m.coadd.image()(0, 0) == doctest::Approx(3.0));
    auto md = Stacker<Median>(unit_cfg())(v, box32);
    CHECK(md.coadd.image()(1, 0) == doctest::Approx(4.0));
    CHECK(md.coadd.image()(0, 0) == doctest::Approx(2.0));
    // {1,2,6,100}: median 4, q25 1.75, q75 29.5, window 4 ± 3·0.7413·27.75 = ±61.7 clips 100; then mean 3,
    // s² = 7, window 3 ± 7.94 keeps 1, 2, 6. With 100 masked: {1,2,6} all kept. Both pixels: 3, variance 3/9.
    auto mc = Stacker<ClippedMean>(unit_cfg())(v, box32);
    CHECK(mc.coadd.image()(1, 0) == doctest::Approx(3.0));
    CHECK(mc.coadd.variance()(1, 0) == doctest::Approx(1.0 / 3));
    CHECK(mc.coadd.image()(0, 0) == doctest::Approx(3.0));
    CHECK((mc.coadd.mask()(1, 0) & bit("CLIPPED")) != 0u);
    CHECK((mc.coadd.mask()(0, 0) & bit("CLIPPED")) == 0u);
}

TEST_CASE_TEMPLATE("bit-identical across tilings for rows wider than the sample engine's 2048-pixel chunks", C, Median,
                   ClippedMean, Mean) {
    Box2I const box = Box2I::from_min_size({5, 0}, {2100, 3});
    auto const in = random_stack(5, box, 11);
    check_invariance<C>(in, box);
}

TEST_CASE("default weights: MEANCLIP of the variance plane ignores bad pixels and outliers, scaled by s²") {
    std::vector<MaskedImageF> in{flat(1.f, 2.f), flat(3.f, 4.f)};
    in[0].variance()(2, 1) = 1000.f; // clipped: median 2, IQR 0 -> window 2 ± 0
    in[1].variance()(0, 0) = 50.f;
    in[1].mask()(0, 0) = bit("BAD"); // excluded by the bad mask
    StackConfig cfg;
    cfg.scales = {1, 2};
    auto r = Stacker<WeightedMean>(cfg)(views(in), box32);
    CHECK(r.weights[0] == doctest::Approx(1.0 / 2));       // 1 / 2
    CHECK(r.weights[1] == doctest::Approx(1.0 / (4 * 4))); // 1 / (s² · 4) with s = 2
}

namespace {
/// afw MEANCLIP of one pixel, written out in double from coadd.md §4 (independent of the library's code):
/// iteration 0 clips at median ± nσ·0.741301109252802·IQR, each later iteration at the previous weighted mean
/// ± nσ·(debiased weighted σ); returns {mean, Σw²V/(Σw)², kept}.
struct RefClip {
    double mean, var;
    std::size_t kept;
};
RefClip ref_meanclip(std::vector<double> const& x, std::vector<double> const& w, std::vector<double> const& v,
                     double nsigma = 3.0, int iters = 2) {
    std::vector<double> s = x;
    std::sort(s.begin(), s.end());
    auto pct = [&](double f) {
        double const idx = f * double(s.size() - 1);
        auto const i = std::size_t(idx);
        double const a = idx - double(i);
        return i + 1 < s.size() ? (1 - a) * s[i] + a * s[i + 1] : s[i];
    };
    double center = pct(0.5), hw = nsigma * 0.741301109252802 * (pct(0.75) - pct(0.25));
    RefClip r{};
    for (int it = 0; it < iters; ++it) {
        double sw = 0, sw2 = 0, swx = 0, sw2v = 0;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (std::abs(x[i] - center) <= hw) {
                sw += w[i];
                sw2 += w[i] * w[i];
                swx += w[i] * x[i];
                sw2v += w[i] * w[i] * v[i];
                ++kept;
            }
        double const m = swx / sw;
        double sdd = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (std::abs(x[i] - center) <= hw) sdd += w[i] * (x[i] - m) * (x[i] - m);
        double const var = kept > 1 ? sdd / sw * (sw * sw / (sw * sw - sw2)) : 0.0;
        center = m;
        hw = nsigma * std::sqrt(std::max(var, 0.0));
        r = {m, sw2v / (sw * sw), kept};
    }
    return r;
}
} // namespace

TEST_CASE("ClippedMean matches a double-precision MEANCLIP on random stacks of 7, 24, 40 and 70 inputs") {
    // 7/24/40/70 inputs run the 8-, 32- and 64-wide sorting networks and the >64 path; weights differ per input;
    // 4 % of samples are outliers, 5 % masked BAD (those pixels take the per-lane quantile path)
    for (int n : {7, 24, 40, 70}) {
        CAPTURE(n);
        Box2I const box = Box2I::from_min_size({0, 0}, {37, 3});
        std::mt19937 rng(static_cast<unsigned>(n));
        std::normal_distribution<float> g(50.f, 3.f);
        std::uniform_real_distribution<float> u(0.f, 1.f);
        std::vector<MaskedImageF> in;
        for (int k = 0; k < n; ++k) {
            MaskedImageF mi(box);
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 37; ++x) {
                    mi.image()(x, y) = g(rng) + (u(rng) < 0.04f ? 300.f : 0.f);
                    mi.variance()(x, y) = 5.f + float(k % 5) + u(rng);
                    mi.mask()(x, y) = u(rng) < 0.05f ? bit("BAD") : 0;
                }
            in.push_back(std::move(mi));
        }
        StackConfig cfg;
        cfg.weights.resize(std::size_t(n));
        for (int k = 0; k < n; ++k) cfg.weights[std::size_t(k)] = 0.5 + 0.1 * (k % 7);
        auto r = Stacker<ClippedMean>(cfg)(views(in), box);
        int bad = 0;
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 37; ++x) {
                std::vector<double> xs, ws, vs;
                for (int k = 0; k < n; ++k) {
                    auto const& mi = in[std::size_t(k)];
                    if (mi.mask()(x, y) != 0) continue;
                    xs.push_back(mi.image()(x, y));
                    ws.push_back(cfg.weights[std::size_t(k)]);
                    vs.push_back(mi.variance()(x, y));
                }
                auto const e = ref_meanclip(xs, ws, vs);
                bool const ok = std::abs(r.coadd.image()(x, y) - e.mean) <= 1e-4 * std::abs(e.mean) &&
                                std::abs(r.coadd.variance()(x, y) - e.var) <= 1e-4 * e.var &&
                                ((r.coadd.mask()(x, y) & bit("CLIPPED")) != 0) == (e.kept < xs.size());
                if (!ok) ++bad;
            }
        CHECK(bad == 0);
    }
}

namespace {
template <class C>
void check_neighbour_independence() {
    Box2I const box = Box2I::from_min_size({0, 0}, {40, 2});
    std::mt19937 rng(7);
    std::normal_distribution<float> g(10.f, 2.f);
    std::vector<MaskedImageF> in;
    for (int k = 0; k < 32; ++k) {
        MaskedImageF mi(box);
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 40; ++x) mi.image()(x, y) = g(rng);
        mi.variance().view().fill(1.f + float(k));
        in.push_back(std::move(mi));
    }
    StackConfig const cfg;
    auto const a = Stacker<C>(cfg)(views(in), box);
    in[3].mask()(5, 0) = bit("BAD");
    auto const b = Stacker<C>(cfg)(views(in), box);
    int diff = 0;
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 40; ++x) {
            if (x == 5 && y == 0) continue;
            float const ia = a.coadd.image()(x, y), ib = b.coadd.image()(x, y);
            float const va = a.coadd.variance()(x, y), vb = b.coadd.variance()(x, y);
            if (std::memcmp(&ia, &ib, 4) != 0 || std::memcmp(&va, &vb, 4) != 0) ++diff;
        }
    CHECK(diff == 0);
    CHECK(a.coadd.image()(5, 0) != b.coadd.image()(5, 0));
}
} // namespace

TEST_CASE_TEMPLATE("a pixel's result does not depend on the masks of the pixels beside it", C, ClippedMean, Median) {
    // Masking one sample of one pixel moves that pixel's batch from the all-lanes-equal quantile path to the
    // per-lane one; every other pixel must stay bit-identical.
    check_neighbour_independence<C>();
}

TEST_CASE("a stop requested from the progress callback cancels the stack") {
    Box2I const box = Box2I::from_min_size({0, 0}, {16, 12});
    std::vector<MaskedImageF> in{flat(box, 1.f), flat(box, 3.f)};
    for (int threads : {1, 3}) {
        CAPTURE(threads);
        std::stop_source src;
        StackConfig cfg = unit_cfg();
        cfg.tile_size = {16, 1}; // 12 tiles
        cfg.threads = threads;
        std::size_t calls = 0;
        cfg.progress = [&](std::size_t, std::size_t) {
            ++calls;
            src.request_stop();
        };
        cfg.stop = src.get_token();
        CHECK_THROWS_AS((void)Stacker<Median>(cfg)(views(in), box), CancelledError);
        CHECK(calls >= 1);
        CHECK(calls <= std::size_t(threads)); // a worker finishes its tile; none starts another
    }
    // into(): the tiles finished before the stop are written, the others are untouched
    StackConfig cfg = unit_cfg();
    cfg.tile_size = {16, 1};
    MaskedImageF out = flat(box, -5.f);
    std::stop_source src;
    cfg.stop = src.get_token();
    cfg.progress = [&](std::size_t done, std::size_t) {
        if (done == 3) src.request_stop();
    };
    CHECK_THROWS_AS(Stacker<Mean>(cfg).into(views(in), out.view()), CancelledError);
    CHECK(out.image()(4, 2) == doctest::Approx(2.0)); // rows 0-2: the first three tiles
    CHECK(out.image()(4, 3) == -5.f);
    // a token that is never stopped changes nothing
    std::stop_source idle;
    StackConfig c2 = unit_cfg();
    c2.stop = idle.get_token();
    CHECK(Stacker<Mean>(c2)(views(in), box).coadd.image()(3, 3) == doctest::Approx(2.0));
}

TEST_CASE("ClippedMean of two inputs with unequal weights; an input of weight 0 takes no part") {
    // {1 (w 1), 3 (w 3)}: median 2, IQR 1, window 2 ± 2.22 keeps both; weighted mean (1 + 9)/4 = 2.5,
    // s² = (Σw d²/Σw − m²)·(Σw)²/((Σw)² − Σw²) = (4/4 − 0.25)·16/6 = 2, window 2.5 ± 4.24 keeps both.
    // Variance Σw²V/(Σw)² = (1 + 9)/16. The middle input (1000, weight 0) is ignored.
    std::vector<MaskedImageF> in{flat(1.f), flat(1000.f), flat(3.f)};
    StackConfig cfg;
    cfg.weights = {1.0, 0.0, 3.0};
    cfg.nimage = true;
    auto r = Stacker<ClippedMean>(cfg)(views(in), box32);
    CHECK(r.coadd.image()(2, 1) == doctest::Approx(2.5));
    CHECK(r.coadd.variance()(2, 1) == doctest::Approx(10.0 / 16));
    CHECK((r.coadd.mask()(2, 1) & r.coadd.mask().bit_mask("CLIPPED")) == 0u);
    CHECK(r.nimage(2, 1) == 2);
    StackConfig c1;
    c1.weights = {0.0, 0.0, 2.0}; // one active input: its value, its variance
    auto r1 = Stacker<ClippedMean>(c1)(views(in), box32);
    CHECK(r1.coadd.image()(0, 0) == doctest::Approx(3.0));
    CHECK(r1.coadd.variance()(0, 0) == doctest::Approx(1.0));
}

TEST_CASE("OnlineMeanStacker with the scatter variance (calc_error_from_input_variance=False)") {
    StackConfig cfg = unit_cfg();
    cfg.variance = VarianceSource::scatter;
    SUBCASE("by hand: {1, 2, 3} unit weights -> s² = 1, variance s²·3/9; one input -> NaN") {
        std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(3.f, 1.f, bit("BAD"))};
        in[2].mask()(0, 0) = 0; // only pixel (0,0) sees all three
        OnlineMeanStacker<float> st(box32, cfg);
        for (auto const& f : in) st.add(f, 1.0);
        auto r = st.finish();
        CHECK(r.coadd.image()(0, 0) == doctest::Approx(2.0));
        CHECK(r.coadd.variance()(0, 0) == doctest::Approx(1.0 / 3));
        // elsewhere {1, 2}: mean 1.5, s² = 0.5, variance 0.5·2/4
        CHECK(r.coadd.variance()(1, 0) == doctest::Approx(0.25));
        OnlineMeanStacker<float> one(box32, cfg);
        one.add(in[0], 1.0);
        CHECK(std::isnan(one.finish().coadd.variance()(0, 0)));
    }
    SUBCASE("equals Stacker<WeightedMean> with the scatter variance; merged partial stacks too") {
        Box2I const box = Box2I::from_min_size({2, 3}, {13, 7});
        auto const in = random_stack(6, box, 5);
        cfg.weights = {1, 2, 3, 1, 2, 3};
        cfg.scales = {1, 1.5, 1, 0.5, 1, 2};
        auto ref = Stacker<WeightedMean>(cfg)(views(in), box);
        OnlineMeanStacker<float> a(box, cfg), b(box, cfg);
        for (std::size_t k = 0; k < 3; ++k) a.add(in[k], cfg.weights[k], cfg.scales[k]);
        for (std::size_t k = 3; k < 6; ++k) b.add(in[k], cfg.weights[k], cfg.scales[k]);
        a.merge(b);
        auto m = a.finish();
        int bad = 0, checked = 0;
        for (int y = 0; y < box.height(); ++y)
            for (int x = 0; x < box.width(); ++x) {
                float const e = ref.coadd.variance()(x, y), g = m.coadd.variance()(x, y);
                if (std::isnan(e)) {
                    bad += !std::isnan(g);
                    continue;
                }
                ++checked;
                if (!(std::abs(g - e) <= 1e-4f * e + 1e-6f)) {
                    ++bad;
                    MESSAGE(x, ",", y, ": ", g, " vs ", e);
                }
            }
        CHECK(checked > 50);
        CHECK(bad == 0);
        OnlineMeanStacker<float> plain(box, unit_cfg());
        CHECK_THROWS_AS(a.merge(plain), InvalidParameterError);
    }
    SUBCASE("Sum keeps refusing it") {
        CHECK_THROWS_AS((OnlineStacker<float, Sum>(box32, cfg)), InvalidParameterError);
    }
}

namespace {
/// A scalar-only weighted mean (no batch path): Stacker runs its scalar pixel path with it.
struct ScalarOnlyMean {
    static constexpr std::string_view name = "scalar_mean";
    template <class T>
    T scalar(std::span<T> v, std::span<T const> w) const noexcept {
        double s = 0, ws = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            s += double(w[i]) * double(v[i]);
            ws += double(w[i]);
        }
        return T(s / ws);
    }
};
/// A user policy that gives NaN where its samples sum to a negative number, the mean elsewhere; with and
/// without a batch path.
struct NanIfNegative {
    static constexpr std::string_view name = "nan_if_negative";
    static constexpr bool weighted = false;
    template <class T>
    T scalar(std::span<T> v, std::span<T const>) const noexcept {
        T s = 0;
        for (T x : v) s += x;
        return s < 0 ? std::numeric_limits<T>::quiet_NaN() : s / T(v.size());
    }
};
struct NanIfNegativeBatch : NanIfNegative {
    template <class B>
    B batch(std::span<B> v, std::span<B const> w, B n) const noexcept {
        B s(0);
        for (std::size_t i = 0; i < v.size(); ++i) s += xsimd::select(w[i] > B(0), v[i], B(0));
        return xsimd::select(s < B(0), B(std::numeric_limits<typename B::value_type>::quiet_NaN()), s / n);
    }
};
} // namespace

TEST_CASE("issue 16: ClippedMean with one huge sample among 3 (float): a finite mean, no NaN, no NO_DATA") {
    // {1, 2, X}, unit weights, variance 1. Double reference (ref_meanclip): iteration 0 keeps all three
    // (|X − 2| ≤ 3·0.7413·(X/2 + 1 − 1.5)), iteration 1 the σ window (≈ 3·0.577·X) keeps all three: (3 + X)/3.
    // In float, Σw·d² of X = 1e20 (or 3e38) overflows; the clip must not turn that into "clip everything".
    for (float X : {1e20f, 3e38f}) {
        CAPTURE(X);
        std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(X)};
        auto const e = ref_meanclip({1.0, 2.0, double(X)}, {1, 1, 1}, {1, 1, 1});
        REQUIRE(e.kept == 3);
        auto r = Stacker<ClippedMean>(unit_cfg())(views(in), box32);
        MaskPixel const nodata = r.coadd.mask().bit_mask("NO_DATA");
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x) {
                CHECK(r.coadd.image()(x, y) == doctest::Approx(e.mean).epsilon(1e-6));
                CHECK((r.coadd.mask()(x, y) & nodata) == 0u);
                CHECK(r.coadd.variance()(x, y) == doctest::Approx(3.0 / 9.0)); // Σw²V/(Σw)²
            }
    }
}

TEST_CASE("issue 16: a frame at 3e38 does not make the whole ClippedMean coadd NaN (both paths, float and double)") {
    Box2I const box = Box2I::from_min_size({0, 0}, {37, 5}); // 37: whole batches and a tail
    std::vector<MaskedImageF> in{flat(box, 1.f), flat(box, 2.f), flat(box, 3e38f)};
    double const expect = (1.0 + 2.0 + double(3e38f)) / 3; // ref_meanclip keeps all three, as above
    auto r = Stacker<ClippedMean>(unit_cfg())(views(in), box);
    auto rs = Stacker<ScalarOnlyMean, SigmaClip>(unit_cfg())(views(in), box); // scalar pixel path
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            CHECK(r.coadd.image()(x, y) == doctest::Approx(expect).epsilon(1e-6));
            CHECK(rs.coadd.image()(x, y) == doctest::Approx(expect).epsilon(1e-6));
        }
    // double pixels: the same overflow at 1e300 (Σw·d² > DBL_MAX) in the batch and scalar paths
    std::vector<MaskedImageD> d;
    for (double v : {1.0, 2.0, 1e300}) {
        MaskedImageD mi(box);
        mi.image().view().fill(v);
        mi.variance().view().fill(1.f);
        mi.mask().view().fill(0);
        d.push_back(std::move(mi));
    }
    std::vector<MaskedImageView<double const>> dv(d.begin(), d.end());
    auto rd = Stacker<ClippedMean>(unit_cfg())(dv, box);
    auto rds = Stacker<ScalarOnlyMean, SigmaClip>(unit_cfg())(dv, box);
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            CHECK(rd.coadd.image()(x, y) == doctest::Approx(1e300 / 3).epsilon(1e-9));
            CHECK(rds.coadd.image()(x, y) == doctest::Approx(1e300 / 3).epsilon(1e-9));
        }
}

TEST_CASE("issue 16: Median + SigmaClip (the non-fused batch clip) with a huge sample keeps every sample") {
    // {1, 2, 1e20}: all three kept (as above), the median of the survivors is 2
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(1e20f)};
    auto r = Stacker<Median, SigmaClip>(unit_cfg())(views(in), box32);
    CHECK(r.coadd.image()(0, 0) == 2.f);
    CHECK((r.coadd.mask()(0, 0) & r.coadd.mask().bit_mask("CLIPPED")) == 0u);
}

TEST_CASE_TEMPLATE("issue 16: a NaN output pixel always carries NO_DATA, user policies included", C, NanIfNegative,
                   NanIfNegativeBatch) {
    // pixel (0,0): samples {-5, 1, 1} sum to −3 -> the policy gives NaN; elsewhere {1,1,1} -> 1, no NO_DATA
    std::vector<MaskedImageF> in{flat(1.f), flat(1.f), flat(1.f)};
    in[0].image()(0, 0) = -5.f;
    auto r = Stacker<C>(unit_cfg())(views(in), box32);
    MaskPixel const nodata = r.coadd.mask().bit_mask("NO_DATA");
    CHECK(std::isnan(r.coadd.image()(0, 0)));
    CHECK((r.coadd.mask()(0, 0) & nodata) != 0u);
    CHECK(r.coadd.image()(1, 0) == 1.f);
    CHECK((r.coadd.mask()(1, 0) & nodata) == 0u);
}

TEST_CASE("WeightedMean with the scatter variance runs on the accumulating engine: by hand, and tiling-independent") {
    // {1, 2, 3} with weights {1, 2, 1}: mean (1 + 4 + 3)/4 = 2; Σw·d² = 1 + 0 + 1 = 2, Σw = 4, Σw² = 6;
    // s² = (2/4)·(16/(16 − 6)) = 0.8; variance s²·Σw²/(Σw)² = 0.8·6/16 = 0.3. Pixel (2,1): input 1 BAD, so
    // {1, 3} with weights {1, 1}: mean 2, s² = 2, variance 2·2/4 = 1.
    std::vector<MaskedImageF> in{flat(1.f), flat(2.f), flat(3.f)};
    in[1].mask()(2, 1) = bit("BAD");
    StackConfig cfg = unit_cfg();
    cfg.weights = {1, 2, 1};
    cfg.variance = VarianceSource::scatter;
    auto r = Stacker<WeightedMean>(cfg)(views(in), box32);
    CHECK(r.coadd.image()(0, 0) == doctest::Approx(2.0));
    CHECK(r.coadd.variance()(0, 0) == doctest::Approx(0.3));
    CHECK(r.coadd.image()(2, 1) == doctest::Approx(2.0));
    CHECK(r.coadd.variance()(2, 1) == doctest::Approx(1.0));
    // random stacks: the same bits for any tile size and thread count
    Box2I const box = Box2I::from_min_size({1, 2}, {45, 9});
    auto const rin = random_stack(7, box, 11);
    StackConfig c1 = unit_cfg();
    c1.variance = VarianceSource::scatter;
    c1.weights = {1, 2, 3, 1, 2, 3, 0.5};
    StackConfig c2 = c1;
    c2.tile_size = {16, 4};
    c2.threads = 3;
    auto a = Stacker<WeightedMean>(c1)(views(rin), box);
    auto b = Stacker<WeightedMean>(c2)(views(rin), box);
    for (int y = 0; y < box.height(); ++y)
        for (int x = 0; x < box.width(); ++x) {
            float const va = a.coadd.variance()(x, y), vb = b.coadd.variance()(x, y);
            CHECK(std::memcmp(&va, &vb, sizeof va) == 0);
            CHECK(a.coadd.image()(x, y) == b.coadd.image()(x, y));
        }
}
