// SPDX-License-Identifier: MIT
// Every expected value below is worked out by hand from data-model.md §4.1 (comments show the arithmetic).
#include <skystack/arithmetic.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

using namespace skystack;

namespace {
Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }

auto planes() {
    static auto p = MaskPlanes::make_standard();
    return p;
}

/// A 2x1 masked image: pixel 0 = (x0, M0, V0), pixel 1 = (x1, M1, V1).
template <class T = float, class V = float>
MaskedImage<T, V> mi2(T x0, MaskPixel m0, V v0, T x1, MaskPixel m1, V v1, Point2I xy0 = {0, 0}) {
    MaskedImage<T, V> mi(Box2I::from_min_size(xy0, {2, 1}), planes());
    mi.image()(0, 0) = x0;
    mi.mask()(0, 0) = m0;
    mi.variance()(0, 0) = v0;
    mi.image()(1, 0) = x1;
    mi.mask()(1, 0) = m1;
    mi.variance()(1, 0) = v1;
    return mi;
}

// lhs pixels: (x=6, M=0x1, V=4) and (x=-1.5, M=0x0, V=0.5); rhs pixels: (y=2, M=0x8, V=3) and (y=0.5, M=0x2, V=2).
template <class T = float, class V = float>
MaskedImage<T, V> lhs() {
    return mi2<T, V>(6, 0x1u, 4, -1.5, 0x0u, 0.5);
}
template <class T = float, class V = float>
MaskedImage<T, V> rhs() {
    return mi2<T, V>(2, 0x8u, 3, 0.5, 0x2u, 2, {40, 50}); // xy0 may differ (afw checks dimensions only)
}

template <class T, class V>
void check_pixel(MaskedImage<T, V> const& mi, int x, double image, MaskPixel mask, double variance) {
    CHECK(double(mi.image()(x, 0)) == doctest::Approx(image));
    CHECK(mi.mask()(x, 0) == mask);
    CHECK(double(mi.variance()(x, 0)) == doctest::Approx(variance));
}
} // namespace

TEST_CASE_TEMPLATE("masked image op masked image: afw variance formulas", T, float, double) {
    SUBCASE("+=: x + y, V_x + V_y, M_x | M_y") {
        auto a = lhs<T>();
        a += rhs<T>();
        check_pixel(a, 0, 6 + 2, 0x9u, 4 + 3);
        check_pixel(a, 1, -1.5 + 0.5, 0x2u, 0.5 + 2);
    }
    SUBCASE("-=: x - y, V_x + V_y") {
        auto a = lhs<T>();
        a -= rhs<T>();
        check_pixel(a, 0, 6 - 2, 0x9u, 4 + 3);
        check_pixel(a, 1, -1.5 - 0.5, 0x2u, 0.5 + 2);
    }
    SUBCASE("*=: x*y, x^2 V_y + y^2 V_x from the OLD x") {
        auto a = lhs<T>();
        a *= rhs<T>();
        check_pixel(a, 0, 12, 0x9u, 36 * 3 + 4 * 4);           // 124 (with the new x, 12: 444)
        check_pixel(a, 1, -0.75, 0x2u, 2.25 * 2 + 0.25 * 0.5); // 4.625
    }
    SUBCASE("/=: x/y, (x^2 V_y + y^2 V_x) / y^4") {
        auto a = lhs<T>();
        a /= rhs<T>();
        check_pixel(a, 0, 3, 0x9u, (36 * 3 + 4 * 4) / 16.0);           // 7.75
        check_pixel(a, 1, -3, 0x2u, (2.25 * 2 + 0.25 * 0.5) / 0.0625); // 74
    }
    SUBCASE("scaled_plus(c=3): x + c y, V_x + c^2 V_y") {
        auto a = lhs<T>();
        scaled_plus(a, 3.0, rhs<T>());
        check_pixel(a, 0, 6 + 3 * 2, 0x9u, 4 + 9 * 3);    // 12, 31
        check_pixel(a, 1, -1.5 + 1.5, 0x2u, 0.5 + 9 * 2); // 0, 18.5
    }
    SUBCASE("scaled_minus(c=3): x - c y, V_x + c^2 V_y") {
        auto a = lhs<T>();
        scaled_minus(a, 3.0, rhs<T>());
        check_pixel(a, 0, 6 - 3 * 2, 0x9u, 4 + 9 * 3);    // 0, 31
        check_pixel(a, 1, -1.5 - 1.5, 0x2u, 0.5 + 9 * 2); // -3, 18.5
    }
    SUBCASE("scaled_multiplies(c=3): c x y, c^2 (x^2 V_y + y^2 V_x)") {
        auto a = lhs<T>();
        scaled_multiplies(a, 3.0, rhs<T>());
        check_pixel(a, 0, 3 * 6 * 2, 0x9u, 9 * 124);   // 36, 1116
        check_pixel(a, 1, 3 * -0.75, 0x2u, 9 * 4.625); // -2.25, 41.625
    }
    SUBCASE("scaled_divides(c=0.5): x / (c y), (x^2 V_y + y^2 V_x) / (c^2 y^4)") {
        auto a = lhs<T>();
        scaled_divides(a, 0.5, rhs<T>());
        check_pixel(a, 0, 6 / (0.5 * 2), 0x9u, 124 / (0.25 * 16));            // 6, 31
        check_pixel(a, 1, -1.5 / (0.5 * 0.5), 0x2u, 4.625 / (0.25 * 0.0625)); // -6, 296
    }
}

TEST_CASE("masked image op scalar") {
    SUBCASE("+= s: variance and mask unchanged") {
        auto a = lhs();
        a += 2.0f;
        check_pixel(a, 0, 8, 0x1u, 4);
        check_pixel(a, 1, 0.5, 0x0u, 0.5);
    }
    SUBCASE("-= s") {
        auto a = lhs();
        a -= 2.0f;
        check_pixel(a, 0, 4, 0x1u, 4);
    }
    SUBCASE("*= s: s^2 V_x") {
        auto a = lhs();
        a *= -2.0f;
        check_pixel(a, 0, -12, 0x1u, 4 * 4);
        check_pixel(a, 1, 3, 0x0u, 0.5 * 4);
    }
    SUBCASE("/= s: V_x / s^2") {
        auto a = lhs();
        a /= 4.0f;
        check_pixel(a, 0, 1.5, 0x1u, 4 / 16.0);
        check_pixel(a, 1, -0.375, 0x0u, 0.5 / 16.0);
    }
    SUBCASE("on a view: only the region changes") {
        auto a = lhs();
        a.subimage(box(1, 0, 1, 1)) *= 2.0f;
        check_pixel(a, 0, 6, 0x1u, 4);
        check_pixel(a, 1, -3, 0x0u, 2);
    }
}

TEST_CASE("masked image op plain image (exact, no variance of its own)") {
    Image<float> g(box(0, 0, 2, 1));
    g(0, 0) = 2.0f;
    g(1, 0) = -0.5f;
    SUBCASE("+= g: variance and mask unchanged") {
        auto a = lhs();
        a += g;
        check_pixel(a, 0, 8, 0x1u, 4);
        check_pixel(a, 1, -2, 0x0u, 0.5);
    }
    SUBCASE("-= g") {
        auto a = lhs();
        a -= g;
        check_pixel(a, 0, 4, 0x1u, 4);
        check_pixel(a, 1, -1, 0x0u, 0.5);
    }
    SUBCASE("*= g: V_x g^2") {
        auto a = lhs();
        a *= g;
        check_pixel(a, 0, 12, 0x1u, 4 * 4);
        check_pixel(a, 1, 0.75, 0x0u, 0.5 * 0.25);
    }
    SUBCASE("/= g: V_x / g^2") {
        auto a = lhs();
        a /= g.cview();
        check_pixel(a, 0, 3, 0x1u, 1);
        check_pixel(a, 1, 3, 0x0u, 0.5 / 0.25);
    }
    SUBCASE("size mismatch") {
        auto a = lhs();
        Image<float> small(box(0, 0, 1, 1));
        CHECK_THROWS_AS(a += small, LengthError);
        CHECK_THROWS_AS(a *= small, LengthError);
        check_pixel(a, 0, 6, 0x1u, 4);
    }
}

TEST_CASE("double image with float variance, float image with double variance") {
    auto a = lhs<double, float>();
    a *= rhs<double, float>();
    check_pixel(a, 0, 12, 0x9u, 124);
    auto b = lhs<float, double>();
    b /= rhs<float, double>();
    check_pixel(b, 1, -3, 0x2u, 74);
    b *= 2.0f;
    check_pixel(b, 1, -6, 0x2u, 74 * 4);
}

TEST_CASE("masked arithmetic: bad inputs throw before anything is written") {
    auto a = lhs();
    auto wrong = MaskedImage<float>(box(0, 0, 3, 1), planes());
    CHECK_THROWS_AS(a += wrong, LengthError);
    CHECK_THROWS_AS(a -= wrong, LengthError);
    CHECK_THROWS_AS(a *= wrong, LengthError);
    CHECK_THROWS_AS(a /= wrong, LengthError);
    CHECK_THROWS_AS(scaled_plus(a, 2.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_minus(a, 2.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_multiplies(a, 2.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_divides(a, 2.0, wrong), LengthError);
    CHECK_THROWS_WITH_AS(a += wrong, doctest::Contains("different dimensions"), LengthError);

    MaskedImage<float> alien(box(0, 0, 2, 1), std::make_shared<MaskPlanes>()); // another mask layout
    CHECK_THROWS_AS(a += alien, InvalidParameterError);
    CHECK_THROWS_AS(a *= alien, InvalidParameterError);
    CHECK_THROWS_AS(scaled_plus(a, 1.0, alien), InvalidParameterError);
    CHECK_THROWS_WITH_AS(a -= alien, doctest::Contains("plane layouts"), InvalidParameterError);
    check_pixel(a, 0, 6, 0x1u, 4);
    check_pixel(a, 1, -1.5, 0x0u, 0.5);

    alien.mask().conform_to(planes()); // reconciled: now accepted
    CHECK_NOTHROW(a += alien);
}

TEST_CASE("NaN and inf propagate; masks are not consulted") {
    float const nan = std::numeric_limits<float>::quiet_NaN();
    auto a = mi2(nan, 0x1u, 1.0f, 1.0f, 0x0u, 1.0f);
    auto b = mi2(1.0f, 0x0u, 1.0f, 0.0f, 0x0u, 1.0f);
    a /= b;
    CHECK(std::isnan(a.image()(0, 0)));
    CHECK(std::isnan(a.variance()(0, 0)));
    CHECK(std::isinf(a.image()(1, 0)));    // 1 / 0
    CHECK(std::isinf(a.variance()(1, 0))); // (1*1 + 0*1) / 0
}

TEST_CASE("aliasing: an operand overlapping the target is read as it was") {
    SUBCASE("mi *= mi uses the old x for the variance") {
        auto a = lhs();
        a *= a;
        check_pixel(a, 0, 36, 0x1u, 36 * 4 + 36 * 4);  // 288
        check_pixel(a, 1, 2.25, 0x0u, 2.25 * 0.5 * 2); // 2.25
    }
    SUBCASE("shifted views of one image") {
        MaskedImage<float> m(box(0, 0, 3, 1), planes());
        for (int x = 0; x < 3; ++x) {
            m.image()(x, 0) = float(x + 1); // 1 2 3
            m.variance()(x, 0) = 1.0f;
            m.mask()(x, 0) = MaskPixel(1) << x;
        }
        m.subimage(box(1, 0, 2, 1)) += m.subimage(box(0, 0, 2, 1)); // [2,3] += [1,2] with the old values
        CHECK(m.image()(1, 0) == 3.0f);
        CHECK(m.image()(2, 0) == 5.0f); // not 2 + 3 + ... smeared
        CHECK(m.variance()(2, 0) == 2.0f);
        CHECK(m.mask()(2, 0) == (0x4u | 0x2u));
    }
    SUBCASE("plain images") {
        Image<std::int32_t> img(box(0, 0, 4, 1));
        for (int x = 0; x < 4; ++x) img(x, 0) = x + 1; // 1 2 3 4
        img.subimage(box(1, 0, 3, 1)) += img.subimage(box(0, 0, 3, 1));
        CHECK(img(1, 0) == 3);
        CHECK(img(2, 0) == 5);
        CHECK(img(3, 0) == 7);
        img *= img; // self
        CHECK(img(3, 0) == 49);
    }
}

TEST_CASE_TEMPLATE("plain image arithmetic for every pixel type", T, float, double, std::int32_t, std::uint16_t,
                   std::uint64_t) {
    Image<T> a(box(5, 5, 3, 2), T(12));
    Image<T> b(box(0, 0, 3, 2), T(4));
    a += b;
    CHECK(a(2, 1) == T(16));
    a -= b;
    CHECK(a(0, 0) == T(12));
    a *= b;
    CHECK(a(1, 1) == T(48));
    a /= b;
    CHECK(a(1, 0) == T(12));
    a += T(3);
    CHECK(a(0, 1) == T(15));
    a -= T(5);
    CHECK(a(0, 1) == T(10));
    a *= T(3);
    CHECK(a(0, 1) == T(30));
    a /= T(6);
    CHECK(a(0, 1) == T(5));
    scaled_plus(a, 2.0, b); // 5 + 2*4
    CHECK(a(2, 1) == T(13));
    scaled_minus(a, 0.5, b); // 13 - 0.5*4
    CHECK(a(2, 1) == T(11));
    scaled_multiplies(a, 0.5, b); // 0.5*11*4
    CHECK(a(2, 1) == T(22));
    scaled_divides(a, 0.5, b); // 22 / (0.5*4)
    CHECK(a(2, 1) == T(11));
    // views: only the region changes
    a.subimage(box(5, 5, 1, 1)) += T(1);
    CHECK(a(0, 0) == T(12));
    CHECK(a(1, 0) == T(11));
    auto av = a.view();
    av -= a.subimage(box(5, 5, 3, 2)); // self through a view: all zero
    CHECK(a(0, 0) == T(0));
    CHECK(a(2, 1) == T(0));

    Image<T> wrong(box(0, 0, 2, 3));
    CHECK_THROWS_AS(a += wrong, LengthError);
    CHECK_THROWS_AS(a -= wrong, LengthError);
    CHECK_THROWS_AS(a *= wrong, LengthError);
    CHECK_THROWS_AS(a /= wrong, LengthError);
    CHECK_THROWS_AS(scaled_plus(a, 1.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_minus(a, 1.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_multiplies(a, 1.0, wrong), LengthError);
    CHECK_THROWS_AS(scaled_divides(a, 1.0, wrong), LengthError);
}

TEST_CASE("integer masked images: variance from the float/double formulas") {
    auto a = lhs<std::int32_t>(); // x = 6 and -1 (-1.5 truncated by the int conversion in mi2)
    auto b = mi2<std::int32_t>(2, 0x8u, 3.0f, 1, 0x2u, 2.0f);
    a *= b;
    check_pixel(a, 0, 12, 0x9u, 124);             // 36*3 + 4*4
    check_pixel(a, 1, -1, 0x2u, 1 * 2 + 1 * 0.5); // 2.5
    a *= std::int32_t(3);
    check_pixel(a, 0, 36, 0x9u, 124 * 9);
}

TEST_CASE_TEMPLATE("image /= scalar multiplies by the reciprocal, as afw's float and double images", T, float, double) {
    // afw: Image<float/double>::operator/=(s) is `*this *= 1/s` with 1/s in the pixel type. Pick pixel values for
    // which that differs from a true division, so the test tells the two apart.
    T const s = T(10);
    T const inv = T(1) / s;
    std::vector<T> values;
    for (int i = 1; i < 100000 && values.size() < 8; ++i)
        if (T(i) / s != T(i) * inv) values.push_back(T(i));
    REQUIRE(values.size() == 8);
    skystack::Image<T> img(skystack::Extent2I{8, 1});
    for (int x = 0; x < 8; ++x) img(x, 0) = values[std::size_t(x)];
    skystack::MaskedImage<T> mi = skystack::MaskedImage<T>::from_image(img.clone());
    mi.variance().fill(4.0f);
    img /= s;
    mi /= s;
    for (int x = 0; x < 8; ++x) {
        CHECK(img(x, 0) == values[std::size_t(x)] * inv);
        CHECK(mi.image()(x, 0) == values[std::size_t(x)] * inv);
    }
}
