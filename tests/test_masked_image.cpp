// SPDX-License-Identifier: MIT
#include <skystack/masked_image.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <type_traits>

using namespace skystack;

namespace {
Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }

template <class T, class V>
void number(MaskedImageView<T, V> mi) {
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = T(100 * y + x);
            mi.mask()(x, y) = MaskPixel(1) << ((x + y) % 4);
            mi.variance()(x, y) = V(1000 + 100 * y + x);
        }
}
} // namespace

static_assert(std::is_convertible_v<MaskedImageView<float>, MaskedImageView<float const>>);
static_assert(!std::is_convertible_v<MaskedImageView<float const>, MaskedImageView<float>>);
static_assert(std::is_convertible_v<MaskedImage<float> const&, MaskedImageView<float const>>);
static_assert(!std::is_convertible_v<MaskedImage<float> const&, MaskedImageView<float>>);
static_assert(
    std::is_same_v<decltype(std::declval<MaskedImageView<float const>>().variance()), ImageView<float const>>);
static_assert(std::is_same_v<decltype(std::declval<MaskedImageView<float const>>().mask()), ConstMaskView>);
static_assert(std::is_same_v<MaskedImage<double>::variance_type, float>); // afw VariancePixel

TEST_CASE_TEMPLATE("three planes share one bbox", T, float, double, std::int32_t, std::uint16_t) {
    MaskedImage<T> mi(box(10, 20, 4, 3));
    CHECK(mi.bbox() == box(10, 20, 4, 3));
    CHECK(mi.image().bbox() == mi.bbox());
    CHECK(mi.mask().bbox() == mi.bbox());
    CHECK(mi.variance().bbox() == mi.bbox());
    CHECK(mi.xy0() == Point2I{10, 20});
    CHECK(mi.bbox(Origin::local) == box(0, 0, 4, 3));
    CHECK(mi.width() == 4);
    CHECK(mi.height() == 3);
    CHECK(mi.image()(3, 2) == T(0));
    CHECK(mi.mask()(3, 2) == 0u);
    CHECK(mi.variance()(3, 2) == 0.0f);
    CHECK(mi.mask().planes_ptr() == MaskPlanes::shared_default());
    MaskedImage<T> from_dims(Extent2I{2, 2});
    CHECK(from_dims.xy0() == Point2I{0, 0});

    mi.set_xy0({-5, 7});
    CHECK(mi.image().xy0() == Point2I{-5, 7});
    CHECK(mi.mask().xy0() == Point2I{-5, 7});
    CHECK(mi.variance().xy0() == Point2I{-5, 7});
}

TEST_CASE("construction from planes checks their bboxes") {
    auto planes = MaskPlanes::make_standard();
    Image<float> img(box(0, 0, 3, 2), 1.0f);
    MaskedImage<float> ok(img, Mask(box(0, 0, 3, 2), planes), Image<float>(box(0, 0, 3, 2), 2.0f));
    CHECK(ok.image()(2, 1) == 1.0f);
    CHECK(ok.variance()(2, 1) == 2.0f);
    CHECK(ok.mask().planes_ptr() == planes);
    CHECK_THROWS_AS(MaskedImage<float>(img, Mask(box(0, 0, 2, 2)), Image<float>(box(0, 0, 3, 2))), LengthError);
    CHECK_THROWS_AS(MaskedImage<float>(img, Mask(box(0, 0, 3, 2)), Image<float>(box(1, 0, 3, 2))), LengthError);
    auto mi = MaskedImage<float>::from_image(img, planes);
    CHECK(mi.bbox() == img.bbox());
    CHECK(mi.image()(1, 1) == 1.0f);
    CHECK(mi.variance()(1, 1) == 0.0f);
    CHECK(mi.mask().planes_ptr() == planes);
    CHECK_THROWS_AS(
        MaskedImageView<float>(mi.image().view(), mi.mask().subimage(box(0, 0, 1, 1)), mi.variance().view()),
        LengthError);
}

TEST_CASE("subimage views all three planes and writes through") {
    MaskedImage<float> mi(box(10, 20, 6, 5));
    number(mi.view());
    auto sub = mi.subimage(box(12, 21, 3, 2));
    CHECK(sub.bbox() == box(12, 21, 3, 2));
    CHECK(sub.image().bbox() == sub.bbox());
    CHECK(sub.mask().bbox() == sub.bbox());
    CHECK(sub.variance().bbox() == sub.bbox());
    CHECK(sub.image()(0, 0) == 102.0f); // parent (12,21) = local (2,1) of mi
    CHECK(sub.variance()(0, 0) == 1102.0f);
    CHECK(sub.mask()(0, 0) == (1u << 3));
    sub.image()(1, 1) = -1.0f;
    sub.mask()(1, 1) = 0xFFu;
    sub.variance()(1, 1) = -2.0f;
    CHECK(mi.image()(3, 2) == -1.0f);
    CHECK(mi.mask()(3, 2) == 0xFFu);
    CHECK(mi.variance()(3, 2) == -2.0f);
    // nested + local
    auto inner = sub.subimage(box(1, 1, 2, 1), Origin::local);
    CHECK(inner.xy0() == Point2I{13, 22});
    CHECK(inner.image()(0, 0) == -1.0f);
    CHECK(inner.mask().xy0() == Point2I{13, 22});
    CHECK(inner.variance().xy0() == Point2I{13, 22});
    CHECK_THROWS_AS((void)mi.subimage(box(9, 20, 2, 2)), LengthError);
    CHECK_THROWS_AS((void)sub.subimage(box(12, 21, 4, 1)), LengthError);
    // const owner gives read-only views
    MaskedImage<float> const& cmi = mi;
    MaskedImageView<float const> csub = cmi.subimage(box(12, 21, 1, 1));
    CHECK(csub.image()(0, 0) == 102.0f);
}

TEST_CASE("clone is deep for all three planes and shares the mask registry") {
    auto planes = MaskPlanes::make_standard();
    MaskedImage<double> mi(box(3, 4, 4, 3), planes);
    number(mi.view());
    MaskedImage<double> c = mi.clone();
    CHECK(c.bbox() == mi.bbox());
    CHECK(c.mask().planes_ptr() == planes);
    c.image()(1, 1) = -9.0;
    c.mask()(1, 1) = 0u;
    c.variance()(1, 1) = -9.0f;
    CHECK(mi.image()(1, 1) == 101.0);
    CHECK(mi.mask()(1, 1) == (1u << 2));
    CHECK(mi.variance()(1, 1) == 1101.0f);
    // clone of a view
    auto vc = mi.subimage(box(4, 5, 2, 2)).clone();
    static_assert(std::is_same_v<decltype(vc), MaskedImage<double>>);
    CHECK(vc.bbox() == box(4, 5, 2, 2));
    CHECK(vc.image()(0, 0) == 101.0);
    CHECK(vc.variance()(1, 1) == 1202.0f);
    mi.image()(1, 1) = 5.0;
    CHECK(vc.image()(0, 0) == 101.0);
    // copy construction / assignment are deep too
    MaskedImage<double> cc(mi);
    cc.variance()(0, 0) = 42.0f;
    CHECK(mi.variance()(0, 0) == 1000.0f);
}

TEST_CASE("assign keeps the three planes in step") {
    auto planes = MaskPlanes::make_standard();
    MaskedImage<float> src(box(50, 50, 2, 2), planes);
    number(src.view());
    MaskedImage<float> dst(box(0, 0, 4, 4), planes);
    dst.assign(src, box(1, 1, 2, 2));
    CHECK(dst.image()(2, 2) == 101.0f);
    CHECK(dst.mask()(2, 2) == (1u << 2));
    CHECK(dst.variance()(2, 2) == 1101.0f);
    CHECK(dst.image()(0, 0) == 0.0f);
    CHECK(dst.variance()(3, 3) == 0.0f);
    dst.assign(src, box(2, 2, 2, 2), Origin::local);
    CHECK(dst.image()(3, 3) == 101.0f);

    MaskedImage<float> same(box(0, 0, 2, 2), planes);
    same.assign(src);
    CHECK(same.variance()(1, 0) == 1001.0f);

    CHECK_THROWS_AS(dst.assign(src), LengthError);                  // 4x4 <- 2x2
    CHECK_THROWS_AS(dst.assign(src, box(3, 3, 2, 2)), LengthError); // region outside
    MaskedImage<float> alien(box(0, 0, 2, 2), std::make_shared<MaskPlanes>());
    CHECK_THROWS_AS(same.assign(alien), InvalidParameterError); // different mask layout
    CHECK(same.image()(1, 0) == 1.0f);                          // nothing written
    MaskedImage<float> alien_big(box(0, 0, 3, 3), std::make_shared<MaskPlanes>());
    CHECK_THROWS_AS(same.assign(alien_big), LengthError); // size is checked first
}

TEST_CASE("default-registry masked images combine with each other") {
    MaskedImage<float> a(box(0, 0, 2, 1)), b(box(7, 7, 2, 1));
    b.mask()(0, 0) = b.mask().bit_mask("CR");
    a.assign(b);
    CHECK(a.mask()(0, 0) == a.mask().bit_mask("CR"));
    CHECK(a.xy0() == Point2I{0, 0});
}
