// SPDX-License-Identifier: MIT
// The image model in one page: owners and views, PARENT/LOCAL coordinates, mask planes, masked-image arithmetic
// with variance propagation, and Eigen interop. Built and run by ctest (example.image_basics); docs/image-model.md
// quotes it.
#include <skystack/algorithm.hpp>
#include <skystack/arithmetic.hpp>
#include <skystack/interop/eigen.hpp>
#include <skystack/skystack.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace skystack;

#define EXPECT(cond)                                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "image_basics: %s failed (line %d)\n", #cond, __LINE__);                              \
            return EXIT_FAILURE;                                                                                       \
        }                                                                                                              \
    } while (0)

int main() {
    //! [views]
    // An owning image whose local pixel (0, 0) sits at parent position (10, 20) (afw xy0).
    Image<float> img(Box2I::from_min_size({10, 20}, {64, 48}));
    // A subimage is a view sharing pixels; the box is in PARENT coordinates by default.
    ImageView<float> sub = img.subimage(Box2I::from_min_size({12, 21}, {8, 4}));
    sub(0, 0) = 7.0f;                     // bare integers: LOCAL indices of the view
    EXPECT(img(Point2I{12, 21}) == 7.0f); // a Point2I: PARENT position, xy0 included
    EXPECT(img(2, 1) == 7.0f);            // the same pixel as a local index of img
    // A LOCAL box takes a tag; nested subimages keep the parent frame.
    auto inner = sub.subimage(Box2I::from_min_size({1, 1}, {2, 2}), skystack::local);
    EXPECT(inner.xy0() == (Point2I{13, 22}));
    // clone() deep-copies; const-ness lives in the element type.
    Image<float> copy = sub.clone();
    ImageView<float const> ro = copy;
    EXPECT(ro(0, 0) == 7.0f && copy.bbox() == sub.bbox());
    // Rows are contiguous spans: write loops over them and they vectorise.
    for (int y = 0; y < sub.height(); ++y)
        for (float& v : sub.row(y)) v += 1.0f;
    //! [views]

    //! [masks]
    // Masks share afw's default plane registry unless given their own; bits are allocated by name.
    auto planes = MaskPlanes::make_standard();
    Mask mask(img.bbox(), planes);
    int const streak = mask.add_plane("MY_STREAK"); // lowest free bit
    MaskPixel const bad = mask.bit_mask({"BAD", "SAT", "MY_STREAK"});
    mask(3, 3) = mask.bit_mask("CR") | (MaskPixel(1) << streak);
    EXPECT((mask(3, 3) & bad) != 0);
    EXPECT(mask.describe(mask(3, 3)) == "CR,MY_STREAK");
    // Masks with another layout are conformed (bits permuted by name) before they are combined.
    auto foreign = std::make_shared<MaskPlanes>();
    foreign->add("CR"); // bit 0 there, bit 3 here
    Mask other(img.bbox(), foreign);
    other(5, 5) = 0x1u;
    other.conform_to(planes);
    mask |= other;
    EXPECT(mask(5, 5) == mask.bit_mask("CR"));
    //! [masks]

    //! [arithmetic]
    // MaskedImage: image + mask + variance over one bbox; arithmetic propagates variance as afw.
    MaskedImage<float> a(Box2I::from_min_size({0, 0}, {4, 4}), planes), b(Extent2I{4, 4}, planes);
    a.image().fill(6.0f);
    a.variance().fill(4.0f);
    b.image().fill(2.0f);
    b.variance().fill(3.0f);
    b.mask().fill(b.mask().bit_mask("SAT"));
    a *= b; // x·y, x²·V_y + y²·V_x (old x), M_x | M_y
    EXPECT(a.image()(0, 0) == 12.0f);
    EXPECT(a.variance()(0, 0) == 36.0f * 3.0f + 4.0f * 4.0f);
    EXPECT(a.mask()(0, 0) == a.mask().bit_mask("SAT"));
    scaled_plus(a, 0.5, b); // x + c·y, V_x + c²·V_y
    EXPECT(a.image()(1, 1) == 13.0f);
    a.subimage(Box2I::from_min_size({0, 0}, {2, 2})) /= 2.0f; // on a view: only that region, V / s²
    EXPECT(a.variance()(0, 0) == (124.0f + 0.75f) / 4.0f);
    //! [arithmetic]

    //! [eigen]
    // Eigen sees the pixels in place (rows = y, the row stride honoured) and copies back into images.
    auto m = as_eigen(img.subimage(Box2I::from_min_size({10, 20}, {3, 2})));
    m.setConstant(1.5f);
    EXPECT(img(2, 1) == 1.5f);
    Image<double> from = image_from_eigen(Eigen::MatrixXd::Identity(3, 3), {100, 100});
    EXPECT(from(Point2I{101, 101}) == 1.0);
    //! [eigen]

    //! [algorithm]
    double sum = 0;
    for_each_pixel([&](float v) { sum += v; }, img.cview());
    Image<float> snr(a.bbox());
    transform_pixels(
        snr, [](float x, float v) { return x / std::sqrt(v); }, a.image(), a.variance());
    EXPECT(snr(3, 3) > 0.0f && sum > 0.0);
    //! [algorithm]

    std::puts("image_basics: ok");
    return EXIT_SUCCESS;
}
