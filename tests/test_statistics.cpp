// SPDX-License-Identifier: MIT
// Every expected value below is worked out by hand from afw's formulas (data-model.md section 5), not taken from
// the implementation.
#include <skystack/statistics/statistics.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

using namespace skystack;

namespace {
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

template <class T>
Image<T> make_image(std::vector<double> const& v, int width) {
    int const h = int(v.size()) / width;
    Image<T> img(width, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < width; ++x) img(x, y) = static_cast<T>(v[std::size_t(y * width + x)]);
    return img;
}
} // namespace

TEST_CASE_TEMPLATE("mean, variance, stdev, sum, min, max of an odd count", T, float, double, std::int32_t,
                   std::uint16_t) {
    // 1..5: mean 3, sum 15, sample variance ((4+1+0+1+4)/4) = 2.5
    auto img = make_image<T>({1, 2, 3, 4, 5}, 5);
    auto s = statistics(img, Stat::NPoint | Stat::Mean | Stat::Variance | Stat::Stdev | Stat::Sum | Stat::Min |
                                 Stat::Max | Stat::Median | Stat::MeanSquare);
    CHECK(s.value(Stat::NPoint) == 5);
    CHECK(s.value(Stat::Mean) == doctest::Approx(3.0));
    CHECK(s.value(Stat::Variance) == doctest::Approx(2.5));
    CHECK(s.value(Stat::Stdev) == doctest::Approx(std::sqrt(2.5)));
    CHECK(s.value(Stat::Sum) == doctest::Approx(15.0));
    CHECK(s.value(Stat::Min) == 1.0);
    CHECK(s.value(Stat::Max) == 5.0);
    CHECK(s.value(Stat::Median) == 3.0);
    // MEANSQUARE = (n-1)/n * var + mean^2 = 4/5*2.5 + 9 = 11 = (1+4+9+16+25)/5
    CHECK(s.value(Stat::MeanSquare) == doctest::Approx(11.0));
    CHECK(std::isnan(s.error(Stat::Mean))); // no Errors requested
}

TEST_CASE("median and quartiles of an even count interpolate (afw idx = f (n - 1))") {
    // {1,2,3,4}: median idx 1.5 -> 2.5; q25 idx 0.75 -> 1.75; q75 idx 2.25 -> 3.25; IQR 1.5
    auto img = make_image<float>({4, 1, 3, 2}, 2);
    auto s = statistics(img, Stat::Median | Stat::IqRange);
    CHECK(s.value(Stat::Median) == 2.5);
    CHECK(s.value(Stat::IqRange) == 1.5);
    auto odd = statistics(make_image<double>({5, 1, 4, 2, 3}, 5), Stat::IqRange);
    CHECK(odd.value() == 2.0); // q25 = 2 (idx 1), q75 = 4 (idx 3)
    std::vector<double> v = {4, 1, 3, 2};
    Quartiles q = quartiles(std::span<double>(v));
    CHECK(q.q25 == 1.75);
    CHECK(q.median == 2.5);
    CHECK(q.q75 == 3.25);
    std::vector<int> one = {7};
    CHECK(median(std::span<int>(one)) == 7.0);
    std::vector<float> none;
    CHECK(std::isnan(median(std::span<float>(none))));
}

TEST_CASE("errors follow afw's formulas") {
    // 1..5: s^2 = 2.5, n = 5
    auto s = statistics(make_image<float>({1, 2, 3, 4, 5}, 5),
                        Stat::Errors | Stat::Mean | Stat::Variance | Stat::Stdev | Stat::Median | Stat::MeanSquare |
                            Stat::NPoint | Stat::Sum | Stat::Min | Stat::Max | Stat::IqRange);
    CHECK(s.error(Stat::Mean) == doctest::Approx(std::sqrt(0.5)));     // sqrt(s^2 / n)
    CHECK(s.error(Stat::Variance) == doctest::Approx(std::sqrt(2.0))); // sqrt(2 (n-1) s^4 / n^2) = sqrt(2)
    CHECK(s.error(Stat::Stdev) == doctest::Approx(0.5 * std::sqrt(2.0) / std::sqrt(2.5)));
    CHECK(s.error(Stat::Median) == doctest::Approx(std::sqrt(std::numbers::pi / 4))); // sqrt(pi/2 * 2.5 / 5)
    CHECK(s.error(Stat::MeanSquare) == doctest::Approx(std::sqrt(2.0) * 11.0 / 5.0));
    CHECK(s.error(Stat::NPoint) == 0.0);
    CHECK(s.error(Stat::Sum) == 0.0);
    CHECK(s.error(Stat::Min) == 0.0);
    CHECK(s.error(Stat::Max) == 0.0);
    CHECK(std::isnan(s.error(Stat::IqRange)));
}

TEST_CASE("NaN and infinity are skipped when nan_safe, and poison the sums otherwise") {
    float const inf = std::numeric_limits<float>::infinity();
    auto img = make_image<float>({1, qnan, 3, inf}, 4);
    auto s = statistics(img, Stat::NPoint | Stat::Mean | Stat::Variance | Stat::NMasked | Stat::Median | Stat::Max);
    CHECK(s.value(Stat::NPoint) == 2);
    CHECK(s.value(Stat::NMasked) == 2);
    CHECK(s.value(Stat::Mean) == 2.0);
    CHECK(s.value(Stat::Variance) == 2.0); // (1 + 1) / (2 - 1)
    CHECK(s.value(Stat::Median) == 2.0);
    CHECK(s.value(Stat::Max) == 3.0);
    auto raw = statistics(img, Stat::NPoint | Stat::Mean, {.nan_safe = false});
    CHECK(raw.value(Stat::NPoint) == 4);
    CHECK(std::isnan(raw.value(Stat::Mean)));
}

TEST_CASE("masked pixels are excluded by bad_mask, counted in NMASKED, and OR-ed into ORMASK when accepted") {
    MaskedImage<float> mi(Extent2I{3, 2});
    float const vals[6] = {1, 2, 3, 4, 5, 100};
    MaskPixel const masks[6] = {0, 0x4, 0, 0, 0, 0x1};
    for (int i = 0; i < 6; ++i) {
        mi.image()(i % 3, i / 3) = vals[i];
        mi.mask()(i % 3, i / 3) = masks[i];
        mi.variance()(i % 3, i / 3) = 1.0f;
    }
    auto s = statistics(mi, Stat::NPoint | Stat::Mean | Stat::OrMask | Stat::NMasked | Stat::Median | Stat::Max,
                        {.bad_mask = 0x1});
    CHECK(s.value(Stat::NPoint) == 5);
    CHECK(s.value(Stat::NMasked) == 1);
    CHECK(s.value(Stat::Mean) == 3.0);
    CHECK(s.value(Stat::Median) == 3.0);
    CHECK(s.value(Stat::Max) == 5.0);
    CHECK(s.or_mask() == 0x4);
    auto all = statistics(mi, Stat::NPoint | Stat::OrMask | Stat::Max);
    CHECK(all.value(Stat::NPoint) == 6);
    CHECK(all.or_mask() == 0x5);
    CHECK(all.value(Stat::Max) == 100.0);
}

TEST_CASE("all pixels masked: NaN values and n = 0, not an exception") {
    MaskedImage<float> mi(Extent2I{4, 4});
    mi.image().view().fill(2.0f);
    mi.mask().view().fill(0x1);
    auto s = statistics(mi,
                        Stat::NPoint | Stat::Mean | Stat::Stdev | Stat::Median | Stat::IqRange | Stat::MeanClip |
                            Stat::StdevClip | Stat::Min | Stat::Max | Stat::NClipped | Stat::NMasked | Stat::Sum,
                        {.bad_mask = 0x1});
    CHECK(s.value(Stat::NPoint) == 0);
    CHECK(s.value(Stat::NMasked) == 16);
    CHECK(std::isnan(s.value(Stat::Mean)));
    CHECK(std::isnan(s.value(Stat::Stdev)));
    CHECK(std::isnan(s.value(Stat::Median)));
    CHECK(std::isnan(s.value(Stat::IqRange)));
    CHECK(std::isnan(s.value(Stat::MeanClip)));
    CHECK(std::isnan(s.value(Stat::StdevClip)));
    CHECK(std::isnan(s.value(Stat::Min)));
    CHECK(std::isnan(s.value(Stat::Max)));
    CHECK(s.value(Stat::NClipped) == 0);
    CHECK(s.value(Stat::Sum) == 0.0); // afw: an empty sum is 0
}

TEST_CASE("an image without pixels is an error") {
    Image<float> empty;
    CHECK_THROWS_AS((void)statistics(empty, Stat::Mean), InvalidParameterError);
}

TEST_CASE("explicit per-pixel weights: weighted mean, debiased weighted variance, weighted sum") {
    // x = {1,2,3}, w = {1,1,2}: sum w = 4, sum w^2 = 6, mean = 9/4; biased var = 2.75/4 = 0.6875;
    // debias 16/(16-6) = 1.6 -> 1.1; err^2(mean) = 1.1 * 6 / 16 = 0.4125; sum = 9
    auto img = make_image<float>({1, 2, 3}, 3);
    auto w = make_image<float>({1, 1, 2}, 3);
    auto s = statistics(img, w, Stat::Mean | Stat::Variance | Stat::Sum | Stat::Errors | Stat::Median);
    CHECK(s.value(Stat::Mean) == doctest::Approx(2.25));
    CHECK(s.value(Stat::Variance) == doctest::Approx(1.1));
    CHECK(s.value(Stat::Sum) == doctest::Approx(9.0));
    CHECK(s.error(Stat::Mean) == doctest::Approx(std::sqrt(0.4125)));
    CHECK(s.value(Stat::Median) == 2.0); // the median is unweighted
    auto wrong = make_image<float>({1, 1}, 2);
    CHECK_THROWS_AS((void)statistics(img, wrong, Stat::Mean), LengthError);
}

TEST_CASE("inverse-variance weighting of a masked image; variance <= 0 is not accepted") {
    // x = {1,2,3,7}, V = {1,1,0.5,0}: weights {1,1,2}, the last pixel dropped -> same numbers as above
    MaskedImage<float> mi(Extent2I{4, 1});
    float const x[4] = {1, 2, 3, 7}, v[4] = {1, 1, 0.5f, 0};
    for (int i = 0; i < 4; ++i) {
        mi.image()(i, 0) = x[i];
        mi.variance()(i, 0) = v[i];
    }
    auto s =
        statistics(mi, Stat::Mean | Stat::Variance | Stat::NPoint | Stat::NMasked | Stat::Errors, {.weighted = true});
    CHECK(s.value(Stat::NPoint) == 3);
    CHECK(s.value(Stat::NMasked) == 1);
    CHECK(s.value(Stat::Mean) == doctest::Approx(2.25));
    CHECK(s.value(Stat::Variance) == doctest::Approx(1.1));
    // error from the input variance: sum(w^2 V) / (sum w)^2 = (1 + 1 + 4 * 0.5) / 16 = 0.25
    auto e = statistics(mi, Stat::Mean | Stat::Errors, {.weighted = true, .error_from_input_variance = true});
    CHECK(e.error(Stat::Mean) == doctest::Approx(0.5));
    // unweighted, error from input variance: sum V / n^2 = (1 + 1 + 0.5 + 0) / 16
    auto u = statistics(mi, Stat::Mean | Stat::Errors, {.error_from_input_variance = true});
    CHECK(u.value(Stat::Mean) == doctest::Approx(13.0 / 4));
    CHECK(u.error(Stat::Mean) == doctest::Approx(std::sqrt(2.5 / 16)));
}

TEST_CASE("a scalar per-image weight scales only the sum") {
    auto img = make_image<double>({1, 2, 3}, 3);
    auto s = statistics(img, 2.0, Stat::Sum | Stat::Mean | Stat::Variance);
    CHECK(s.value(Stat::Sum) == 12.0);
    CHECK(s.value(Stat::Mean) == 2.0);
    CHECK(s.value(Stat::Variance) == 1.0);
    CHECK_THROWS_AS((void)statistics(img, 0.0, Stat::Sum), InvalidParameterError);
}

TEST_CASE("MEANCLIP: an outlier removed by the first, IQR-based clip") {
    // 1..9 and 1000: median 5.5, q25 3.25, q75 7.75, IQR 4.5; first half-width 3 * 0.7413 * 4.5 = 10.0076 drops
    // 1000; the survivors 1..9 have mean 5 and variance 7.5, and 5 +- 3 sqrt(7.5) keeps them all.
    auto img = make_image<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 1000}, 5);
    auto s = statistics(img, Stat::MeanClip | Stat::VarianceClip | Stat::StdevClip | Stat::NClipped | Stat::Mean);
    CHECK(s.value(Stat::Mean) == doctest::Approx(1045.0 / 10));
    CHECK(s.value(Stat::MeanClip) == doctest::Approx(5.0));
    CHECK(s.value(Stat::VarianceClip) == doctest::Approx(7.5));
    CHECK(s.value(Stat::StdevClip) == doctest::Approx(std::sqrt(7.5)));
    CHECK(s.value(Stat::NClipped) == 1);
}

TEST_CASE("MEANCLIP: an outlier only the later, stdev-based clip removes; max_iter counts passes") {
    // ten -1, ten +1 and 5 (n = 21): median 1 (idx 10), q25 -1, q75 1, IQR 2; pass 0 keeps |x - 1| <= 4.4478:
    // all 21, mean 5/21, var (45 - 21 (5/21)^2) / 20 = 2.190476, sd 1.480026; pass 1 keeps |x - 0.238| <= 4.44:
    // the 5 goes (4.762 away); the 20 left have mean 0, var 20/19; pass 2 keeps them all.
    std::vector<double> v(21, -1.0);
    for (int i = 10; i < 20; ++i) v[std::size_t(i)] = 1.0;
    v[20] = 5.0;
    auto img = make_image<float>(v, 7);
    auto s = statistics(img, Stat::MeanClip | Stat::VarianceClip | Stat::NClipped);
    CHECK(s.value(Stat::MeanClip) == doctest::Approx(0.0));
    CHECK(s.value(Stat::VarianceClip) == doctest::Approx(20.0 / 19));
    CHECK(s.value(Stat::NClipped) == 1);
    auto one = statistics(img, Stat::MeanClip | Stat::VarianceClip | Stat::NClipped, {.max_iter = 1});
    CHECK(one.value(Stat::MeanClip) == doctest::Approx(5.0 / 21));
    CHECK(one.value(Stat::VarianceClip) == doctest::Approx((45.0 - 25.0 / 21) / 20));
    CHECK(one.value(Stat::NClipped) == 0);
    auto two = statistics(img, Stat::MeanClip, {.max_iter = 2});
    CHECK(two.value() == doctest::Approx(0.0));
}

TEST_CASE("MEANCLIP keeps values exactly on the clip limit (|x - c| <= limit)") {
    // {5 x6, 7}: IQR 0, so the first window is [5, 5]: the 5s are kept (a strict < would keep nothing)
    auto img = make_image<double>({5, 5, 5, 7, 5, 5, 5}, 7);
    auto s = statistics(img, Stat::MeanClip | Stat::NClipped | Stat::VarianceClip);
    CHECK(s.value(Stat::MeanClip) == 5.0);
    CHECK(s.value(Stat::VarianceClip) == 0.0);
    CHECK(s.value(Stat::NClipped) == 1);
    // integer pixels take the same windows
    auto si = statistics(make_image<std::int16_t>({5, 5, 5, 7, 5, 5, 5}, 7), Stat::MeanClip | Stat::NClipped);
    CHECK(si.value(Stat::MeanClip) == 5.0);
    CHECK(si.value(Stat::NClipped) == 1);
}

TEST_CASE("weighted MEANCLIP: unweighted median/IQR window, weighted clipped mean") {
    // x = {1,2,3,100}, w = {1,1,2,1}: median 2.5, q25 1.75, q75 26.25, IQR 24.5 -> first window half-width
    // 3 * 0.7413 * 24.5 = 54.5 keeps 1,2,3 only; weighted mean 9/4, weighted var 1.1; pass 2 window
    // 2.25 +- 3 sqrt(1.1) keeps them.
    auto img = make_image<float>({1, 2, 3, 100}, 4);
    auto w = make_image<float>({1, 1, 2, 1}, 4);
    auto s = statistics(img, w, Stat::MeanClip | Stat::VarianceClip | Stat::NClipped);
    CHECK(s.value(Stat::MeanClip) == doctest::Approx(2.25));
    CHECK(s.value(Stat::VarianceClip) == doctest::Approx(1.1));
    CHECK(s.value(Stat::NClipped) == 1);
}

TEST_CASE("mask propagation thresholds add rejected bits to ORMASK") {
    // 4 pixels, the last (mask 0xA) rejected by bad_mask 0x2; bit 3 (0x8) carries rejected weight 1 of 1 + 3:
    // F = 0.25, propagated when its threshold is below 0.25
    MaskedImage<float> mi(Extent2I{4, 1});
    for (int i = 0; i < 4; ++i) {
        mi.image()(i, 0) = float(i + 1);
        mi.variance()(i, 0) = 1.0f;
    }
    mi.mask()(3, 0) = 0xA;
    StatisticsConfig cfg{.bad_mask = 0x2};
    CHECK(statistics(mi, Stat::OrMask, cfg).or_mask() == 0);
    cfg.set_mask_propagation_threshold(3, 0.2);
    CHECK(statistics(mi, Stat::OrMask, cfg).or_mask() == 0x8);
    cfg.set_mask_propagation_threshold(3, 0.3);
    CHECK(statistics(mi, Stat::OrMask, cfg).or_mask() == 0);
    CHECK_THROWS_AS(cfg.set_mask_propagation_threshold(32, 0.1), InvalidParameterError);
}

TEST_CASE("flags, names and result access") {
    CHECK(parse_stat("MEANCLIP") == Stat::MeanClip);
    CHECK(parse_stat("NMASKED") == Stat::NMasked);
    CHECK(try_parse_stat("meanclip") == std::nullopt);
    CHECK_THROWS_AS((void)parse_stat("AVERAGE"), InvalidParameterError);
    CHECK(std::uint32_t(Stat::MeanClip) == 0x80);
    CHECK(std::uint32_t(Stat::NMasked) == 0x10000);
    CHECK(name(Stat::StdevClip) == "STDEVCLIP");
    for (Stat f : all_stats) CHECK(parse_stat(name(f)) == f);
    auto s = statistics(make_image<float>({1, 2, 3}, 3), Stat::Mean | Stat::Errors);
    CHECK(s.value() == 2.0); // one statistic requested: the argument may be omitted
    CHECK(s.has(Stat::Mean));
    CHECK_FALSE(s.has(Stat::Median));
    CHECK_THROWS_AS((void)s.value(Stat::Median), InvalidParameterError);
    CHECK_THROWS_AS((void)s.value(Stat::Mean | Stat::Median), InvalidParameterError);
    CHECK_THROWS_AS((void)s.or_mask(), InvalidParameterError);
    auto two = statistics(make_image<float>({1, 2, 3}, 3), Stat::Mean | Stat::Max);
    CHECK_THROWS_AS((void)two.value(), InvalidParameterError);
}

TEST_CASE("invalid configuration is refused with the knob named") {
    auto img = make_image<float>({1, 2, 3}, 3);
    CHECK_THROWS_AS((void)statistics(img, Stat::MeanClip, {.nsigma = 0.0}), InvalidParameterError);
    CHECK_THROWS_AS((void)statistics(img, Stat::MeanClip, {.max_iter = 0}), InvalidParameterError);
    CHECK_THROWS_AS((void)statistics(img, Stat::Mean, {.weighted = true}), InvalidParameterError);
    CHECK_THROWS_AS((void)statistics(img, Stat::Mean, {.error_from_input_variance = true}), InvalidParameterError);
    CHECK_THROWS_AS((void)statistics(img, Stat(0x40000)), InvalidParameterError);
}

namespace {
// Independent reference: sort the accepted values, afw's interpolation on the sorted array; plain double sums.
struct Reference {
    double n = 0, mean = 0, var = 0, median = 0, q25 = 0, q75 = 0, min = 0, max = 0;
};
Reference reference(std::vector<double> v) {
    Reference r;
    r.n = double(v.size());
    std::sort(v.begin(), v.end());
    auto q = [&](double f) {
        double const idx = f * (r.n - 1);
        auto const lo = std::size_t(idx);
        double const fr = idx - double(lo);
        return fr == 0 ? v[lo] : (1 - fr) * v[lo] + fr * v[lo + 1];
    };
    r.median = q(0.5);
    r.q25 = q(0.25);
    r.q75 = q(0.75);
    double s = 0;
    for (double x : v) s += x;
    r.mean = s / r.n;
    double ss = 0;
    for (double x : v) ss += (x - r.mean) * (x - r.mean);
    r.var = ss / (r.n - 1);
    r.min = v.front();
    r.max = v.back();
    return r;
}
std::uint64_t lcg(std::uint64_t& s) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
}
} // namespace

TEST_CASE("large masked float image: SIMD sums and the sampled median agree with a sort-based reference") {
    // 600 x 500 = 300000 pixels (above the sampled-selection threshold), a view with padded rows,
    // 1% masked, 0.1% NaN, Gaussian-ish noise around 1000 plus outliers.
    MaskedImage<float> mi(Extent2I{600, 500});
    std::uint64_t seed = 42;
    std::vector<double> accepted;
    for (int y = 0; y < 500; ++y)
        for (int x = 0; x < 600; ++x) {
            double g = 0;
            for (int k = 0; k < 4; ++k) g += double(lcg(seed) % 1000) / 1000.0 - 0.5;
            float v = float(1000.0 + 20.0 * g + 0.01 * x);
            if (lcg(seed) % 1000 == 0) v = 65000.0f;
            MaskPixel m = lcg(seed) % 100 == 0 ? 0x1 : 0;
            if (lcg(seed) % 1000 == 0) v = std::numeric_limits<float>::quiet_NaN();
            mi.image()(x, y) = v;
            mi.mask()(x, y) = m;
            mi.variance()(x, y) = 1.0f;
            if (m == 0 && std::isfinite(v)) accepted.push_back(double(v));
        }
    Reference const ref = reference(accepted);
    // a subimage: rows are not contiguous, so the row loop with scalar tails runs
    auto sub = mi.cview().subimage(Box2I::from_min_size({3, 0}, {597, 500}));
    for (auto const& view : {mi.cview(), sub}) {
        std::vector<double> acc;
        if (view.width() != 600) {
            for (int y = 0; y < 500; ++y)
                for (int x = 0; x < 597; ++x) {
                    float const v = view.image()(x, y);
                    if (view.mask()(x, y) == 0 && std::isfinite(v)) acc.push_back(double(v));
                }
        }
        Reference const r = view.width() == 600 ? ref : reference(acc);
        auto s = statistics(
            view, Stat::NPoint | Stat::Mean | Stat::Variance | Stat::Median | Stat::IqRange | Stat::Min | Stat::Max,
            {.bad_mask = 0x1});
        CHECK(s.value(Stat::NPoint) == r.n);
        // float lanes flushed to double every 32 pixels per lane: float-level (1e-7) relative precision
        CHECK(s.value(Stat::Mean) == doctest::Approx(r.mean).epsilon(1e-8));
        CHECK(s.value(Stat::Variance) == doctest::Approx(r.var).epsilon(1e-6));
        CHECK(s.value(Stat::Median) == r.median);
        CHECK(s.value(Stat::IqRange) == doctest::Approx(r.q75 - r.q25).epsilon(1e-12));
        CHECK(s.value(Stat::Min) == r.min);
        CHECK(s.value(Stat::Max) == r.max);
        auto m = statistics(view, Stat::Median, {.bad_mask = 0x1}); // median-only path
        CHECK(m.value() == r.median);
    }
}

TEST_CASE("large images of awkward distributions: sampled selection matches the sorted reference") {
    int const w = 512, h = 300;
    std::uint64_t seed = 7;
    for (int kind = 0; kind < 4; ++kind) {
        Image<double> img(w, h);
        std::vector<double> all;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                double v = 0;
                switch (kind) {
                case 0:
                    v = 3.0;
                    break; // constant
                case 1:
                    v = double(y * w + x);
                    break; // a ramp (sorted rows)
                case 2:
                    v = double(lcg(seed) % 7);
                    break; // many ties
                default:
                    v = (y < h / 2) ? double(x) : 1e6 + double(x);
                    break; // two halves
                }
                img(x, y) = v;
                all.push_back(v);
            }
        Reference const r = reference(all);
        auto s = statistics(img, Stat::Median | Stat::IqRange);
        CHECK(s.value(Stat::Median) == r.median);
        CHECK(s.value(Stat::IqRange) == doctest::Approx(r.q75 - r.q25).epsilon(1e-12));
    }
}

TEST_CASE_TEMPLATE("masked images of other pixel types take the scalar path with the same rules", T, double,
                   std::int32_t) {
    MaskedImage<T> mi(Extent2I{3, 2});
    double const vals[6] = {1, 2, 3, 4, 5, 100};
    MaskPixel const masks[6] = {0, 0x4, 0, 0, 0, 0x1};
    for (int i = 0; i < 6; ++i) {
        mi.image()(i % 3, i / 3) = T(vals[i]);
        mi.mask()(i % 3, i / 3) = masks[i];
        mi.variance()(i % 3, i / 3) = 2.0f;
    }
    auto s = statistics(mi, Stat::NPoint | Stat::Mean | Stat::OrMask | Stat::Min | Stat::Max | Stat::Median,
                        {.bad_mask = 0x1});
    CHECK(s.value(Stat::NPoint) == 5);
    CHECK(s.value(Stat::Mean) == 3.0);
    CHECK(s.or_mask() == 0x4);
    CHECK(s.value(Stat::Min) == 1.0);
    CHECK(s.value(Stat::Max) == 5.0);
    CHECK(s.value(Stat::Median) == 3.0);
    // 1/variance weights all equal: same mean; error from the input variance: sum(w^2 V)/(sum w)^2 = V/n
    auto w = statistics(mi, Stat::Mean | Stat::Errors,
                        {.bad_mask = 0x1, .weighted = true, .error_from_input_variance = true});
    CHECK(w.value(Stat::Mean) == doctest::Approx(3.0));
    CHECK(w.error(Stat::Mean) == doctest::Approx(std::sqrt(2.0 / 5)));
}

TEST_CASE("large weighted images: SIMD weighted sums agree with a plain double loop") {
    int const w = 257, h = 130; // odd width: SIMD body plus scalar tails
    MaskedImage<float> mi(Extent2I{w, h});
    Image<float> wt(w, h);
    std::uint64_t seed = 99;
    double sw = 0, sw2 = 0, swx = 0, swv = 0, n = 0;  // explicit weights
    double iw = 0, iw2 = 0, iwx = 0, iwv = 0, in = 0; // inverse variance
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float const v = float(500.0 + double(lcg(seed) % 2000) / 100.0);
            float const var = (lcg(seed) % 50 == 0) ? 0.0f : float(1.0 + double(lcg(seed) % 100) / 25.0);
            float const ww = float(double(lcg(seed) % 100) / 10.0);
            MaskPixel const m = (lcg(seed) % 40 == 0) ? 0x2 : 0;
            mi.image()(x, y) = v;
            mi.variance()(x, y) = var;
            mi.mask()(x, y) = m;
            wt(x, y) = ww;
            if (m != 0) continue;
            sw += ww;
            sw2 += double(ww) * ww;
            swx += double(ww) * v;
            swv += double(ww) * ww * var;
            n += 1;
            if (var > 0) {
                double const q = 1.0 / double(var);
                iw += q;
                iw2 += q * q;
                iwx += q * v;
                iwv += q * q * var;
                in += 1;
            }
        }
    auto var_of = [&](bool inverse) {
        double num = 0;
        double const mean = inverse ? iwx / iw : swx / sw;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                if (mi.mask()(x, y) != 0) continue;
                double q = wt(x, y);
                if (inverse) {
                    if (!(mi.variance()(x, y) > 0)) continue;
                    q = 1.0 / double(mi.variance()(x, y));
                }
                double const d = double(mi.image()(x, y)) - mean;
                num += q * d * d;
            }
        double const a = inverse ? iw : sw, b = inverse ? iw2 : sw2;
        return num / a * a * a / (a * a - b);
    };
    StatisticsConfig cfg{.bad_mask = 0x2, .error_from_input_variance = true};
    auto e = statistics(mi, wt, Stat::NPoint | Stat::Mean | Stat::Sum | Stat::Variance | Stat::Errors, cfg);
    CHECK(e.value(Stat::NPoint) == n);
    CHECK(e.value(Stat::Mean) == doctest::Approx(swx / sw).epsilon(1e-9));
    CHECK(e.value(Stat::Sum) == doctest::Approx(swx).epsilon(1e-7)); // sum(w) in float lanes, times the shift
    CHECK(e.value(Stat::Variance) == doctest::Approx(var_of(false)).epsilon(1e-5));
    CHECK(e.error(Stat::Mean) == doctest::Approx(std::sqrt(swv / (sw * sw))).epsilon(1e-6));
    cfg.weighted = true;
    auto i = statistics(mi, Stat::NPoint | Stat::Mean | Stat::Variance | Stat::Errors, cfg);
    CHECK(i.value(Stat::NPoint) == in);
    CHECK(i.value(Stat::Mean) == doctest::Approx(iwx / iw).epsilon(1e-9));
    CHECK(i.value(Stat::Variance) == doctest::Approx(var_of(true)).epsilon(1e-5));
    CHECK(i.error(Stat::Mean) == doctest::Approx(std::sqrt(iwv / (iw * iw))).epsilon(1e-6));
}

TEST_CASE("large plain float image with NaN and inf: optimistic chunks fall back pixel by pixel") {
    Image<float> img(300, 200);
    std::uint64_t seed = 5;
    std::vector<double> acc;
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 300; ++x) {
            float v = float(200.0 + double(lcg(seed) % 1000) / 50.0);
            auto const r = lcg(seed) % 2000;
            if (r == 0) v = std::numeric_limits<float>::quiet_NaN();
            if (r == 1) v = std::numeric_limits<float>::infinity();
            if (r == 2) v = -std::numeric_limits<float>::infinity();
            img(x, y) = v;
            if (std::isfinite(v)) acc.push_back(double(v));
        }
    Reference const r = reference(acc);
    auto s = statistics(img, Stat::NPoint | Stat::Mean | Stat::Variance | Stat::Min | Stat::Max | Stat::NMasked);
    CHECK(s.value(Stat::NPoint) == r.n);
    CHECK(s.value(Stat::NMasked) == 60000 - r.n);
    CHECK(s.value(Stat::Mean) == doctest::Approx(r.mean).epsilon(1e-9));
    CHECK(s.value(Stat::Variance) == doctest::Approx(r.var).epsilon(1e-6));
    CHECK(s.value(Stat::Min) == r.min);
    CHECK(s.value(Stat::Max) == r.max);
}

TEST_CASE("nan_safe = false: NaN sorts after every number in the median") {
    auto img = make_image<float>({1, qnan, 3}, 3);
    auto s = statistics(img, Stat::Median | Stat::NPoint, {.nan_safe = false});
    CHECK(s.value(Stat::NPoint) == 3);
    CHECK(s.value(Stat::Median) == 3.0); // order 1, 3, NaN
}
