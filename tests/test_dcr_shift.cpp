// SPDX-License-Identifier: MIT
#include <skystack/dcr/shift.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace skystack;

namespace {
Image<float> random_image(Box2I box, unsigned seed) {
    Image<float> img(box);
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (int y = 0; y < img.height(); ++y)
        for (auto& v : img.row(y)) v = g(rng);
    return img;
}
double dot(ImageView<float const> a, ImageView<float const> b) {
    double s = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) s += double(a(x, y)) * double(b(x, y));
    return s;
}
double sum(ImageView<float const> a) {
    double s = 0;
    for (int y = 0; y < a.height(); ++y)
        for (float v : a.row(y)) s += v;
    return s;
}
Image<float> gaussian_blob(Box2I box, double cx, double cy, double sigma) {
    Image<float> img(box);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            double const dx = x + box.min_x() - cx, dy = y + box.min_y() - cy;
            img(x, y) = float(1000.0 * std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)));
        }
    return img;
}
} // namespace

TEST_CASE("shift follows scipy.ndimage.shift: out(r, c) = in(r - dy, c - dx)") {
    Image<float> in(Extent2I{8, 8});
    in(3, 4) = 1.0f;
    // dx = +0.25: the pixel's flux moves right by a quarter pixel
    Image<float> out = shifted(in, {0.25, 0.0});
    CHECK(out(3, 4) == doctest::Approx(0.75));
    CHECK(out(4, 4) == doctest::Approx(0.25));
    CHECK(sum(out) == doctest::Approx(1.0));
    // dy = -0.5: half of it moves up one row (towards smaller y)
    Image<float> up = shifted(in, {0.0, -0.5});
    CHECK(up(3, 4) == doctest::Approx(0.5));
    CHECK(up(3, 3) == doctest::Approx(0.5));
}

TEST_CASE("integer shifts move pixels exactly, zeros come in from outside") {
    Box2I const box = Box2I::from_min_size({0, 0}, {24, 20});
    Image<float> const in = random_image(box, 1);
    for (auto interp : {ShiftInterp::linear, ShiftInterp::cubic}) {
        Image<float> const out = shifted(in, {3.0, -2.0}, interp);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 24; ++x) {
                int const xs = x - 3, ys = y + 2;
                float const expect = (xs >= 0 && ys < 20) ? in(xs, ys) : 0.0f;
                REQUIRE(out(x, y) == expect); // bit-exact
            }
    }
    // a NaN next to the source pixel does not leak in through a zero weight
    Image<float> nanimg(box, 1.0f);
    nanimg(5, 5) = std::numeric_limits<float>::quiet_NaN();
    Image<float> const moved = shifted(nanimg, {1.0, 0.0});
    CHECK(moved(5, 5) == 1.0f);
    CHECK(std::isnan(moved(6, 5)));
}

TEST_CASE("sub-pixel shifts conserve flux away from the edges") {
    Box2I const box = Box2I::from_min_size({-10, 5}, {48, 40});
    Image<float> const in = gaussian_blob(box, 12.3, 24.1, 2.0);
    double const total = sum(in);
    for (auto interp : {ShiftInterp::linear, ShiftInterp::cubic})
        for (Extent2D d : {Extent2D{1.3, -0.7}, Extent2D{-2.55, 2.45}, Extent2D{0.5, 0.0}}) {
            Image<float> const out = shifted(in, d, interp);
            CHECK(sum(out) == doctest::Approx(total).epsilon(1e-5));
            // the centroid moves by d
            double mx = 0, my = 0;
            for (int y = 0; y < out.height(); ++y)
                for (int x = 0; x < out.width(); ++x) {
                    mx += out(x, y) * (x + box.min_x());
                    my += out(x, y) * (y + box.min_y());
                }
            CHECK(mx / sum(out) == doctest::Approx(12.3 + d.x).epsilon(1e-4));
            CHECK(my / sum(out) == doctest::Approx(24.1 + d.y).epsilon(1e-4));
        }
}

TEST_CASE("bilinear shift reproduces a linear ramp; cubic reproduces a smooth wave") {
    Box2I const box = Box2I::from_min_size({0, 0}, {40, 32});
    Image<float> ramp(box);
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 40; ++x) ramp(x, y) = float(3.0 + 0.5 * x - 0.25 * y);
    Extent2D const d{1.4, -0.6};
    Image<float> const out = shifted(ramp, d);
    for (int y = 2; y < 30; ++y)
        for (int x = 3; x < 38; ++x)
            REQUIRE(out(x, y) == doctest::Approx(3.0 + 0.5 * (x - d.x) - 0.25 * (y - d.y)).epsilon(1e-6));

    Image<float> wave(box);
    auto f = [](double x, double y) { return 10.0 + std::sin(0.3 * x) * std::cos(0.2 * y); };
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 40; ++x) wave(x, y) = float(f(x, y));
    Image<float> const cub = shifted(wave, d, ShiftInterp::cubic);
    Image<float> const lin = shifted(wave, d, ShiftInterp::linear);
    double err_c = 0, err_l = 0;
    for (int y = 6; y < 26; ++y)
        for (int x = 6; x < 34; ++x) {
            err_c = std::max(err_c, std::abs(cub(x, y) - f(x - d.x, y - d.y)));
            err_l = std::max(err_l, std::abs(lin(x, y) - f(x - d.x, y - d.y)));
        }
    CHECK(err_c < 2e-3);
    CHECK(err_c < 0.2 * err_l); // the higher order is markedly more accurate
}

TEST_CASE("the shift by -d is the exact adjoint of the bilinear shift by d") {
    Box2I const box = Box2I::from_min_size({3, -4}, {37, 29});
    Image<float> const x = random_image(box, 7);
    Image<float> const y = random_image(box, 8);
    for (Extent2D d : {Extent2D{1.37, -2.61}, Extent2D{-0.5, 0.25}, Extent2D{2.0, 0.75}, Extent2D{-3.0, 1.0}}) {
        Image<float> const bx = shifted(x, d);
        Image<float> const bty = shifted(y, -d);
        double const lhs = dot(bx, y), rhs = dot(x, bty);
        CHECK(lhs == doctest::Approx(rhs).epsilon(1e-5));
    }
}

TEST_CASE("shift_add works in parent coordinates between different boxes and accumulates") {
    Image<float> in(Box2I::from_min_size({10, 20}, {6, 6}));
    in(Point2I{12, 22}) = 4.0f;
    Image<float> out(Box2I::from_min_size({8, 18}, {12, 12}), 1.0f);
    shift_add(in, out.view(), {2.0, 1.0}, 0.5f);
    CHECK(out(Point2I{14, 23}) == 3.0f); // 1 + 0.5·4 at (12+2, 22+1)
    CHECK(out(Point2I{12, 22}) == 1.0f);
    CHECK(sum(out) == doctest::Approx(144.0 + 2.0));
}

TEST_CASE("shift rejects bad arguments") {
    Image<float> in(Extent2I{8, 8});
    Image<float> out(Extent2I{8, 8});
    CHECK_THROWS_AS(shift_add(in, out.view(), {std::nan(""), 0.0}), InvalidParameterError);
    Image<float> wrong(Extent2I{7, 8});
    CHECK_THROWS_AS(shift_add(in, out.view(), {0.5, 0.0}, 1.0f, wrong.cview()), LengthError);
}
