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
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

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
