// SPDX-License-Identifier: MIT
#include <skystack/skystack.hpp>
#include <doctest/doctest.h>

using namespace skystack;

TEST_CASE_TEMPLATE("subimage writes through to its parent", T, std::uint16_t, std::int32_t, float, double) {
    Image<T> img(Box2I::from_min_size({10, 20}, {4, 3}));
    img.subimage(Box2I::from_min_size({11, 21}, {2, 2}))(0, 0) = T(7); // local (0,0) = parent (11,21)
    CHECK(img(1, 1) == T(7));
    CHECK(img(Point2I{11, 21}) == T(7));
}
