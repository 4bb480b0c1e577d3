// SPDX-License-Identifier: MIT
#include <skystack/interop/eigen.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>

using namespace skystack;

namespace {
Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }
} // namespace

TEST_CASE_TEMPLATE("as_eigen maps pixels row-major, rows = y", T, float, double, std::int32_t, std::uint16_t) {
    Image<T> img(box(10, 20, 5, 3));
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 5; ++x) img(x, y) = T(10 * y + x);
    auto m = as_eigen(img);
    CHECK(m.rows() == 3);
    CHECK(m.cols() == 5);
    CHECK(m.data() == img.data());
    CHECK(m(2, 4) == T(24)); // row = y, column = x
    CHECK(m(1, 0) == T(10));
    m(0, 3) = T(99); // writes through
    CHECK(img(3, 0) == T(99));
    CHECK(m.sum() == T(0 + 1 + 2 + 99 + 4 + 10 + 11 + 12 + 13 + 14 + 20 + 21 + 22 + 23 + 24));
}

TEST_CASE("as_eigen honours the row stride of subimages") {
    Image<float> img(box(0, 0, 7, 4)); // stride 16 floats (64-byte rows)
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 7; ++x) img(x, y) = float(10 * y + x);
    auto sub = img.subimage(box(2, 1, 3, 2));
    auto m = as_eigen(sub);
    CHECK(m.outerStride() == img.row_stride());
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m(0, 0) == 12.0f);
    CHECK(m(1, 2) == 24.0f);
    CHECK(m.sum() == 12.0f + 13 + 14 + 22 + 23 + 24);
    m.setZero(); // only the subimage
    CHECK(img(2, 1) == 0.0f);
    CHECK(img(1, 1) == 11.0f);
    CHECK(img(5, 2) == 25.0f);
    // Eigen expressions over the map
    Eigen::MatrixXf twice = 2.0f * as_eigen(img.subimage(box(0, 0, 2, 2)));
    CHECK(twice(1, 1) == 22.0f);
}

TEST_CASE("as_eigen is const-correct") {
    Image<double> img(box(0, 0, 2, 2), 1.5);
    Image<double> const& cimg = img;
    auto cm = as_eigen(cimg);
    static_assert(std::is_same_v<decltype(cm), EigenMap<double const>>);
    static_assert(!std::is_lvalue_reference_v<decltype(cm(0, 0))> ||
                  std::is_const_v<std::remove_reference_t<decltype(cm(0, 0))>>);
    CHECK(cm(1, 1) == 1.5);
    auto rm = as_eigen(img.cview());
    static_assert(std::is_same_v<decltype(rm), EigenMap<double const>>);
    auto wm = as_eigen(img.view());
    static_assert(std::is_same_v<decltype(wm), EigenMap<double>>);
}

TEST_CASE("image_from_eigen copies a matrix into a new image with xy0") {
    Eigen::Matrix<float, 2, 3> m;
    m << 1, 2, 3, 4, 5, 6; // row-major reading: row 0 = 1 2 3
    auto img = image_from_eigen(m, {100, 200});
    static_assert(std::is_same_v<decltype(img), Image<float>>);
    CHECK(img.bbox() == box(100, 200, 3, 2));
    CHECK(img(0, 0) == 1.0f);
    CHECK(img(2, 0) == 3.0f);
    CHECK(img(0, 1) == 4.0f);
    CHECK(img(Point2I{102, 201}) == 6.0f);
    m(0, 0) = -1.0f; // a copy, not a view
    CHECK(img(0, 0) == 1.0f);

    Eigen::MatrixXd col_major(2, 2); // storage order does not matter
    col_major << 1, 2, 3, 4;
    auto d = image_from_eigen(col_major);
    CHECK(d.xy0() == Point2I{0, 0});
    CHECK(d(1, 0) == 2.0);
    CHECK(d(0, 1) == 3.0);
    auto e = image_from_eigen(col_major.transpose() * 2.0); // expressions work
    CHECK(e(1, 0) == 6.0);
    auto u = Image<std::uint16_t>::from_eigen(Eigen::Matrix<int, 1, 2>(7, 8));
    CHECK(u(1, 0) == 8);
    // round trip
    auto back = image_from_eigen(as_eigen(img.cview()), img.xy0());
    CHECK(back.bbox() == img.bbox());
    CHECK(back(2, 1) == 6.0f);
}

TEST_CASE("empty images map to empty matrices") {
    Image<float> e;
    auto m = as_eigen(e);
    CHECK(m.size() == 0);
    auto img = image_from_eigen(Eigen::MatrixXf(0, 3));
    CHECK(img.empty());
}
