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

// The umbrella alone gives statistics and stacking (issue #16): this file includes nothing else of skystack.
TEST_CASE("the umbrella header gives statistics and the stacker") {
    Box2I const box = Box2I::from_min_size({0, 0}, {3, 2});
    MaskedImage<float> a(box), b(box);
    a.image().fill(1.0f);
    b.image().fill(4.0f);
    a.variance().fill(1.0f);
    b.variance().fill(1.0f);
    CHECK(statistics(a.image(), Stat::Mean).value(Stat::Mean) == doctest::Approx(1.0));
    std::vector<MaskedImageView<float const>> const in{a.cview(), b.cview()};
    auto const r = stack<float>(Statistic::mean, in, box);
    CHECK(r.coadd.image()(2, 1) == doctest::Approx(2.5)); // (1 + 4) / 2
}
