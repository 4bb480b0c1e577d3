// SPDX-License-Identifier: MIT
#include <skystack/image.hpp>
#include <skystack/image_view.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <type_traits>
#include <utility>

using namespace skystack;

namespace {
Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }

/// Fill pixel (x, y) [local] with 100*y + x, so every pixel is identifiable.
template <class T>
void number(ImageView<T> v) {
    for (int y = 0; y < v.height(); ++y)
        for (int x = 0; x < v.width(); ++x) v(x, y) = T(100 * y + x);
}
} // namespace

static_assert(Pixel<float> && Pixel<std::uint16_t> && Pixel<std::uint64_t> && Pixel<double const>);
static_assert(!Pixel<bool> && !Pixel<int*>);
static_assert(ReadableView<ImageView<std::uint16_t const>> && WritableView<ImageView<std::int32_t>>);
static_assert(!WritableView<ImageView<double const>>);
static_assert(std::is_convertible_v<ImageView<float>, ImageView<float const>>);
static_assert(!std::is_convertible_v<ImageView<float const>, ImageView<float>>);
static_assert(std::is_convertible_v<Image<float> const&, ImageView<float const>>);
static_assert(!std::is_convertible_v<Image<float> const&, ImageView<float>>); // const owner: read-only views
static_assert(std::is_trivially_copyable_v<ImageView<std::uint16_t>>);

TEST_CASE_TEMPLATE("construction: bbox, xy0, zero fill, aligned padded rows", T, float, double, std::int32_t,
                   std::uint16_t, std::uint64_t, std::int64_t, std::uint8_t) {
    Image<T> img(box(10, 20, 5, 3));
    CHECK(img.bbox() == box(10, 20, 5, 3));
    CHECK(img.xy0() == Point2I{10, 20});
    CHECK(img.width() == 5);
    CHECK(img.height() == 3);
    CHECK(img.dimensions() == Extent2I{5, 3});
    CHECK(img.bbox(Origin::local) == box(0, 0, 5, 3));
    CHECK(img.row_stride() >= 5);
    CHECK(img.row_stride() * std::ptrdiff_t(sizeof(T)) % 64 == 0);
    for (int y = 0; y < 3; ++y) {
        CHECK(reinterpret_cast<std::uintptr_t>(img.row(y).data()) % 64 == 0);
        CHECK(img.row(y).size() == 5u);
        for (T v : img.row(y)) CHECK(v == T(0));
    }
    Image<T> filled(box(-3, -4, 2, 2), T(7));
    CHECK(filled(1, 1) == T(7));
    CHECK(filled(Point2I{-3, -4}) == T(7));
    Image<T> from_dims(Extent2I{4, 2});
    CHECK(from_dims.xy0() == Point2I{0, 0});
    Image<T> from_wh(4, 2);
    CHECK(from_wh.bbox() == box(0, 0, 4, 2));
}

TEST_CASE("empty images") {
    Image<float> e;
    CHECK(e.empty());
    CHECK(e.width() == 0);
    Image<float> z(box(3, 3, 0, 5)); // zero width: the canonical empty box
    CHECK(z.empty());
    CHECK(z.bbox() == Box2I{});
    Image<float> c = z.clone();
    CHECK(c.empty());
}

TEST_CASE_TEMPLATE("element access: local (x, y), parent Point2I, checked at()", T, float, std::int32_t,
                   std::uint16_t) {
    Image<T> img(box(10, 20, 4, 3));
    number(img.view());
    CHECK(img(3, 2) == T(203));            // local
    CHECK(img(Point2I{13, 22}) == T(203)); // parent = local + xy0
    CHECK(img(Point2I{10, 20}) == T(0));
    CHECK(img.at(1, 2) == T(201));
    CHECK(img.at(Point2I{11, 22}) == T(201));
    CHECK_THROWS_AS((void)img.at(4, 0), LengthError);
    CHECK_THROWS_AS((void)img.at(0, 3), LengthError);
    CHECK_THROWS_AS((void)img.at(-1, 0), LengthError);
    CHECK_THROWS_AS((void)img.at(Point2I{9, 20}), LengthError); // parent x 9 < xy0.x
    CHECK_THROWS_AS((void)img.at(Point2I{3, 2}), LengthError);  // a local index is not a parent position here
    CHECK_THROWS_WITH_AS((void)img.at(Point2I{14, 20}), doctest::Contains("[parent]"), LengthError);
    img.at(Point2I{12, 21}) = T(55);
    CHECK(img(2, 1) == T(55));
    ImageView<T> v = img;
    CHECK(v.to_parent({1, 2}) == Point2I{11, 22});
    CHECK(v.to_local({11, 22}) == Point2I{1, 2});
    CHECK(v.area() == 12);
}

TEST_CASE_TEMPLATE("subimage views share pixels with the parent", T, float, double, std::int32_t, std::uint16_t,
                   std::uint64_t) {
    Image<T> img(box(10, 20, 6, 5));
    ImageView<T> sub = img.subimage(box(12, 21, 3, 2)); // PARENT by default
    CHECK(sub.bbox() == box(12, 21, 3, 2));
    CHECK(sub.xy0() == Point2I{12, 21});
    CHECK(sub.row_stride() == img.row_stride());
    sub(0, 0) = T(5); // local (0,0) of sub = parent (12,21) = local (2,1) of img
    CHECK(img(2, 1) == T(5));
    img(4, 2) = T(9); // parent (14, 22) = sub local (2, 1)
    CHECK(sub(2, 1) == T(9));
    CHECK(sub(Point2I{14, 22}) == T(9));
    sub.fill(T(3));
    int threes = 0;
    for (int y = 0; y < img.height(); ++y)
        for (T v : img.row(y)) threes += v == T(3);
    CHECK(threes == 6);
    CHECK(img(1, 1) == T(0)); // outside the subimage: untouched
    CHECK(img(5, 1) == T(0));
}

TEST_CASE("xy0 after nested subimages, PARENT vs LOCAL boxes") {
    Image<float> img(box(100, 200, 20, 10));
    number(img.view());
    auto a = img.subimage(box(105, 202, 10, 6)); // parent box
    CHECK(a.xy0() == Point2I{105, 202});
    auto b = a.subimage(box(107, 203, 4, 3)); // parent box, relative to nothing
    CHECK(b.xy0() == Point2I{107, 203});
    CHECK(b(0, 0) == float(100 * 3 + 7));                // img local (7, 3)
    auto c = a.subimage(box(2, 1, 4, 3), Origin::local); // local to a: parent (107, 203)
    CHECK(c.bbox() == b.bbox());
    CHECK(c.data() == b.data());
    auto d = b.subimage(box(1, 1, 2, 2), local); // local to b: parent (108, 204)
    CHECK(d.xy0() == Point2I{108, 204});
    CHECK(d(0, 0) == float(100 * 4 + 8));
    CHECK(d(Point2I{109, 205}) == float(100 * 5 + 9));
    CHECK(img.bbox(Origin::local) == box(0, 0, 20, 10));
    CHECK(d.bbox(Origin::local) == box(0, 0, 2, 2));
    // a LOCAL box on an image with xy0: offset by xy0
    auto e = img.subimage(box(0, 0, 2, 2), Origin::local);
    CHECK(e.xy0() == Point2I{100, 200});
    // the same numbers as a PARENT box are outside the image
    CHECK_THROWS_AS((void)img.subimage(box(0, 0, 2, 2)), LengthError);
}

TEST_CASE("subimage bounds are checked") {
    Image<std::int32_t> img(box(10, 20, 6, 5));
    CHECK_THROWS_AS((void)img.subimage(box(9, 20, 2, 2)), LengthError);  // sticks out left
    CHECK_THROWS_AS((void)img.subimage(box(15, 20, 2, 2)), LengthError); // sticks out right
    CHECK_THROWS_AS((void)img.subimage(box(10, 24, 1, 2)), LengthError); // sticks out top
    CHECK_THROWS_AS((void)img.subimage(box(6, 0, 1, 1), local), LengthError);
    CHECK_THROWS_WITH_AS((void)img.subimage(box(10, 20, 7, 1)), doctest::Contains("not inside"), LengthError);
    CHECK_NOTHROW((void)img.subimage(img.bbox()));
    auto whole = img.subimage(box(0, 0, 6, 5), local);
    CHECK(whole.bbox() == img.bbox());
    // an empty box is inside every image (lsst.geom) and gives an empty view
    auto none = img.subimage(Box2I{});
    CHECK(none.empty());
    // nested: the inner box must lie inside the view, not just inside the parent
    auto v = img.subimage(box(11, 21, 2, 2));
    CHECK_THROWS_AS((void)v.subimage(box(10, 20, 1, 1)), LengthError);
}

TEST_CASE_TEMPLATE("clone is a deep, independent copy", T, float, std::uint16_t, std::uint64_t) {
    Image<T> img(box(3, 4, 5, 4));
    number(img.view());
    Image<T> copy = img.clone();
    CHECK(copy.bbox() == img.bbox());
    CHECK(copy.data() != img.data());
    copy(1, 1) = T(77);
    CHECK(img(1, 1) == T(101));
    img(2, 2) = T(66);
    CHECK(copy(2, 2) == T(202));

    // clone of a view: an owner with the view's bbox and pixels, contiguous rows of its own
    auto sub = img.subimage(box(4, 5, 3, 2));
    Image<T> sc = sub.clone();
    CHECK(sc.bbox() == box(4, 5, 3, 2));
    CHECK(sc(0, 0) == T(101 - 100 + 100)); // img local (1, 1) was 101
    CHECK(sc(2, 1) == T(203));
    sub(0, 0) = T(1);
    CHECK(sc(0, 0) == T(101));

    // copy construction and assignment are deep too
    Image<T> cc(img);
    cc(0, 0) = T(9);
    CHECK(img(0, 0) == T(0));
    Image<T> ca;
    ca = img;
    CHECK(ca.bbox() == img.bbox());
    ca(0, 0) = T(8);
    CHECK(img(0, 0) == T(0));
    // move leaves the source empty and keeps the pixels
    T const* p = img.data();
    Image<T> moved(std::move(img));
    CHECK(moved.data() == p);
    CHECK(img.empty()); // NOLINT(bugprone-use-after-move)
}

TEST_CASE("const views are read-only, views convert to const views") {
    Image<float> img(box(0, 0, 3, 3));
    ImageView<float> w = img;
    ImageView<float const> r = w;
    w(1, 1) = 2.5f;
    CHECK(r(1, 1) == 2.5f);
    Image<float> const& cimg = img;
    ImageView<float const> cr = cimg.subimage(box(1, 1, 2, 2));
    CHECK(cr(0, 0) == 2.5f);
    static_assert(std::is_same_v<decltype(cimg.subimage(box(1, 1, 1, 1))), ImageView<float const>>);
    static_assert(std::is_same_v<decltype(cimg.row(0)), std::span<float const>>);
    static_assert(std::is_same_v<decltype(r.row(0)), std::span<float const>>);
    static_assert(std::is_same_v<decltype(w.row(0)), std::span<float>>);
    Image<float> c = cr.clone();
    CHECK(c(0, 0) == 2.5f);
}

TEST_CASE("row iteration: rows are contiguous spans, strided by row_stride") {
    Image<std::int32_t> img(box(0, 0, 7, 4));
    number(img.view());
    auto sub = img.subimage(box(2, 1, 3, 2));
    CHECK_FALSE(sub.is_contiguous());
    std::int64_t sum = 0;
    for (int y = 0; y < sub.height(); ++y) {
        auto r = sub.row(y);
        CHECK(r.size() == 3u);
        CHECK(r.data() == &img(2, y + 1));
        sum = std::accumulate(r.begin(), r.end(), sum);
    }
    CHECK(sum == (102 + 103 + 104) + (202 + 203 + 204));
    CHECK(img.subimage(box(0, 2, 7, 1)).is_contiguous()); // one row
}

TEST_CASE_TEMPLATE("assign between images of equal dimensions", T, float, std::int32_t, std::uint16_t) {
    Image<T> src(box(50, 60, 3, 2));
    number(src.view());
    Image<T> dst(box(0, 0, 3, 2));
    dst.assign(src); // xy0 may differ, as afw
    CHECK(dst(2, 1) == T(102));
    CHECK(dst.xy0() == Point2I{0, 0});

    Image<T> big(box(0, 0, 6, 4));
    big.assign(src, box(2, 1, 3, 2)); // into a region (afw assign(rhs, bbox))
    CHECK(big(2, 1) == T(0));
    CHECK(big(4, 2) == T(102));
    CHECK(big(5, 3) == T(0));
    big.assign(src, box(0, 2, 3, 2), Origin::local);
    CHECK(big(2, 3) == T(102));

    Image<T> wrong(box(0, 0, 2, 3));
    CHECK_THROWS_AS(wrong.assign(src), LengthError);
    CHECK_THROWS_WITH_AS(big.view().assign(src), doctest::Contains("differ"), LengthError);
    CHECK_THROWS_AS(big.assign(src, box(5, 0, 3, 2)), LengthError); // region outside
}

TEST_CASE("assign handles overlapping source and destination") {
    Image<std::int32_t> img(box(0, 0, 6, 1));
    for (int x = 0; x < 6; ++x) img(x, 0) = x;
    // shift right by one: a naive forward copy would smear pixel 0 across the row
    img.subimage(box(1, 0, 5, 1)).assign(img.subimage(box(0, 0, 5, 1)));
    std::int32_t const want[] = {0, 0, 1, 2, 3, 4};
    for (int x = 0; x < 6; ++x) CHECK(img(x, 0) == want[x]);
    img.view().assign(img.cview()); // self-assignment is a no-op
    CHECK(img(5, 0) == 4);
}

TEST_CASE("set_xy0 moves the frame, not the pixels") {
    Image<float> img(box(0, 0, 3, 2));
    img(1, 1) = 4.0f;
    img.set_xy0({-10, 7});
    CHECK(img.bbox() == box(-10, 7, 3, 2));
    CHECK(img(1, 1) == 4.0f);
    CHECK(img(Point2I{-9, 8}) == 4.0f);
}

TEST_CASE("Image::from_eigen-like construction from a row-major matrix object") {
    struct Mat { // anything with rows(), cols(), m(r, c)
        int rows() const { return 2; }
        int cols() const { return 3; }
        double operator()(int r, int c) const { return 10.0 * r + c; }
    };
    auto img = Image<float>::from_eigen(Mat{}, {5, 6});
    CHECK(img.bbox() == box(5, 6, 3, 2));
    CHECK(img(2, 1) == 12.0f); // x = column, y = row
    CHECK(img(Point2I{5, 6}) == 0.0f);

    struct Huge { // too many rows for an int-sized image: refused before any allocation
        long long rows() const { return 1LL << 32; }
        long long cols() const { return 1; }
        float operator()(long long, long long) const { return 0; }
    };
    CHECK_THROWS_AS((void)Image<float>::from_eigen(Huge{}), OverflowError);
}

TEST_CASE("afw aliases") {
    static_assert(std::is_same_v<ImageF, Image<float>>);
    static_assert(std::is_same_v<ImageU, Image<std::uint16_t>>);
    static_assert(std::is_same_v<ImageL, Image<std::uint64_t>>);
    static_assert(std::is_same_v<ConstImageView<float>, ImageView<float const>>);
}

// --- algorithm.hpp -------------------------------------------------------------------------------------------
#include <skystack/algorithm.hpp>

TEST_CASE("for_each_row / for_each_pixel / transform_pixels over several images") {
    Image<float> a(box(0, 0, 3, 2));
    Image<std::uint16_t> b(box(10, 10, 3, 2)); // xy0 may differ, types may differ
    number(a.view());
    number(b.view());
    int rows = 0;
    for_each_row(
        [&](std::span<float> ra, std::span<std::uint16_t const> rb) {
            for (std::size_t i = 0; i < ra.size(); ++i) ra[i] += float(rb[i]);
            ++rows;
        },
        a, std::as_const(b));
    CHECK(rows == 2);
    CHECK(a(2, 1) == 2.0f * 102);
    double sum = 0;
    for_each_pixel([&](float const& v) { sum += v; }, a.cview());
    CHECK(sum == 2.0 * (0 + 1 + 2 + 100 + 101 + 102));
    for_each_pixel([](float& v, std::uint16_t& w) { w = std::uint16_t(v / 2); }, a.view(), b);
    CHECK(b(1, 1) == 101);
    Image<double> out(box(0, 0, 3, 2));
    transform_pixels(
        out, [](float x, std::uint16_t y) { return double(x) - y; }, a, b);
    CHECK(out(2, 1) == 102.0);
    transform_pixels(
        a.subimage(box(0, 0, 1, 1)), [](float x) { return x + 0.5f; }, a.subimage(box(0, 0, 1, 1)));
    CHECK(a(0, 0) == 0.5f);
    Image<float> wrong(box(0, 0, 2, 2));
    CHECK_THROWS_AS(for_each_row([](auto, auto) {}, a, wrong), LengthError);
    CHECK_THROWS_AS(transform_pixels(
                        wrong, [](float x) { return x; }, a),
                    LengthError);
}
