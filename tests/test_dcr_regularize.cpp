// SPDX-License-Identifier: MIT
// Image helpers of the DCR model checked against scipy.ndimage. The expected arrays were computed independently
// with /usr/bin/python3 (scipy 1.10.1), e.g. ndimage.gaussian_filter(a, 1.0, mode='constant'), for the input
// a(y, x) = ((7x + 3y) mod 11) − 2.5·[x = 2] on a 7 × 6 grid.
#include <skystack/dcr/regularize.hpp>
#include <skystack/dcr/shift.hpp>
#include <doctest/doctest.h>

#include <vector>

using namespace skystack;
using namespace skystack::detail::dcr;

namespace {
constexpr int W = 7, H = 6;
Image<float> input() {
    Image<float> a(Extent2I{W, H});
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) a(x, y) = float((7 * x + 3 * y) % 11) - (x == 2 ? 2.5f : 0.0f);
    return a;
}
void check_equal(ImageView<float const> got, std::vector<double> const& want, double eps) {
    REQUIRE(want.size() == std::size_t(got.width() * got.height()));
    for (int y = 0; y < got.height(); ++y)
        for (int x = 0; x < got.width(); ++x) {
            INFO("pixel (", x, ", ", y, ")");
            CHECK(got(x, y) == doctest::Approx(want[std::size_t(y * got.width() + x)]).epsilon(eps).scale(1.0));
        }
}
} // namespace

TEST_CASE("gaussian_filter matches scipy gaussian_filter (constant and reflect)") {
    Image<float> const a = input();
    check_equal(gaussian_filter(a, 1.0, Edge::zero),
                {1.82467802, 3.01095768, 3.32513166, 3.80990749, 3.91872426, 3.34950729, 2.49053539,
                 3.0038184,  4.3592497,  4.43384854, 4.6274502,  4.86086037, 4.34201255, 2.97487894,
                 3.60485712, 4.45192241, 4.29090012, 4.3760195,  4.49408152, 4.30047563, 3.21255067,
                 3.58238369, 4.06298701, 3.6226303,  3.91792717, 4.22278046, 4.21892168, 3.60461712,
                 2.75588659, 3.35252889, 3.05146813, 3.56007328, 4.42294105, 4.46910929, 3.65165479,
                 1.59581124, 2.07827462, 2.23629525, 2.91369463, 3.83778339, 3.66086862, 2.53154013},
                1e-5);
    check_equal(gaussian_filter(a, 0.7, Edge::reflect),
                {2.19102276, 4.80726392, 4.00699075, 6.39215934, 6.08692603, 4.52950383, 6.2515843,
                 4.0292016,  5.7644411,  4.52083988, 4.69707161, 5.77709496, 4.94665257, 3.75490378,
                 5.54802252, 4.6525917,  4.36935443, 4.48667021, 4.18219643, 4.83360869, 4.42749748,
                 6.22672224, 4.50809785, 2.78144753, 4.30374099, 4.05853763, 3.72822605, 5.89328623,
                 3.80738395, 4.25912889, 2.62960143, 3.17141104, 5.17357994, 4.84340055, 6.62528871,
                 3.05568716, 2.5433321,  3.1433184,  4.12734819, 6.95225373, 5.76192005, 4.15068943},
                1e-5);
    Image<float> const same = gaussian_filter(a, 0.0, Edge::zero);
    CHECK(same(3, 3) == a(3, 3));
}

TEST_CASE("bilinear shift matches scipy.ndimage.shift(order=1, mode='grid-constant')") {
    Image<float> const a = input();
    check_equal(shifted(a, {-1.4, 0.25}),
                {3.3,  3.225, 6.3,  3.3,  3.6,  4.05, 0, 6.65, 3.25, 5.7,  6.65, 3.75, 1.8,  0,
                 4.7,  5.15,  3.75, 4.7,  5.65, 1.95, 0, 2.75, 3.2,  5.65, 2.75, 3.7,  3.75, 0,
                 4.65, 1.25,  3.7,  4.65, 5.05, 5.55, 0, 2.7,  3.15, 5.05, 7.65, 4.75, 2.4,  0},
                1e-6);
}

TEST_CASE("binary_opening with a diamond matches scipy binary_opening") {
    FlagMap m(10, 9);
    for (int y = 1; y < 8; ++y)
        for (int x = 1; x < 8; ++x) m(x, y) = 1; // a 7×7 block
    m(9, 0) = 1;                                 // isolated pixels vanish
    m(9, 4) = 1;
    binary_opening(m, 2);
    std::vector<int> const want = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1,
                                   1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1,
                                   1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,
                                   0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int y = 0; y < 9; ++y)
        for (int x = 0; x < 10; ++x) {
            INFO("pixel (", x, ", ", y, ")");
            CHECK(int(m(x, y)) == want[std::size_t(y * 10 + x)]);
        }
}

TEST_CASE("apply_thresholds clamps only regions wider than the opening") {
    Image<float> img(Box2I::from_min_size({0, 0}, {12, 12}), 1.0f);
    for (int y = 2; y < 9; ++y)
        for (int x = 2; x < 9; ++x) img(x, y) = 10.0f; // a 7×7 bright patch
    img(10, 10) = 10.0f;                               // an isolated bright pixel
    Image<float> const hi(Box2I::from_min_size({0, 0}, {12, 12}), 5.0f);
    ImageView<float const> const hv = hi.cview();
    apply_thresholds(img.view(), &hv, nullptr, 2);
    CHECK(img(5, 5) == 5.0f);    // inside the patch: clamped to the threshold
    CHECK(img(2, 2) == 10.0f);   // patch corner: not covered by any diamond inside the patch
    CHECK(img(10, 10) == 10.0f); // isolated: left alone
    CHECK(img(0, 0) == 1.0f);
}
