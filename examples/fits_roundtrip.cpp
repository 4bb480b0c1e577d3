// SPDX-License-Identifier: MIT
// FITS I/O in afw's layout: write a MaskedImage with metadata, read it back (whole and a sub-region), conform its
// mask planes to another registry, and write a compressed copy. Built and run by ctest (example.fits_roundtrip);
// docs/fits.md quotes it. Without cfitsio it only says so.
#include <cstdio>
#include <cstdlib>

#if SKYSTACK_HAS_CFITSIO

#include <skystack/io/fits.hpp>
#include <skystack/skystack.hpp>

#include <filesystem>
#include <memory>

using namespace skystack;

#define EXPECT(cond)                                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "fits_roundtrip: %s failed (line %d)\n", #cond, __LINE__);                            \
            return EXIT_FAILURE;                                                                                       \
        }                                                                                                              \
    } while (0)

int main() try {
    //! [write]
    // A coadd-like masked image with xy0 = (1000, 2000) and a plane of our own.
    MaskedImage<float> mi(Box2I::from_min_size({1000, 2000}, {64, 48}));
    int const streak = mi.mask().add_plane("MY_STREAK_FLAG", "found by my detector");
    mi.image().fill(1.5f);
    mi.variance().fill(0.25f);
    mi.mask()(3, 4) = mi.mask().bit_mask({"CR", "MY_STREAK_FLAG"});

    fits::Header meta; // user metadata goes to the primary HDU
    meta.set("FILTER", "r", "band");
    meta.set("NCOMBINE", 12);
    meta.add_history("stacked by skystack");
    // Empty primary + IMAGE, MASK, VARIANCE extensions; written to a temporary name, then renamed.
    fits::write("example_coadd.fits", mi, {.header = meta, .overwrite = true});
    //! [write]

    //! [read]
    fits::Header back_meta;
    auto const back = fits::read_masked_image<float>("example_coadd.fits", {.metadata = &back_meta});
    EXPECT(back.bbox() == mi.bbox()); // xy0 from the "A" pseudo-WCS
    EXPECT(back.image()(3, 4) == 1.5f);
    EXPECT(back.mask()(3, 4) == mi.mask().bit_mask({"CR", "MY_STREAK_FLAG"}));
    EXPECT(back_meta.get<int>("NCOMBINE") == 12);
    EXPECT(back_meta.get<std::string>("FILTER") == "r");

    // Only a sub-region, in parent coordinates.
    Box2I const cut = Box2I::from_min_size({1010, 2005}, {16, 8});
    auto const part = fits::read_masked_image<float>("example_coadd.fits", {.bbox = cut});
    EXPECT(part.bbox() == cut);

    // Mask planes conform to the registry you pass: names match, bits move.
    auto mine = std::make_shared<MaskPlanes>();
    mine->add("MY_STREAK_FLAG"); // bit 0 here, bit `streak` in the file
    Mask const m = fits::read_mask("example_coadd.fits", {.planes = mine});
    EXPECT(m(3, 4) == (mine->bit_mask("MY_STREAK_FLAG") | mine->bit_mask("CR")));
    EXPECT(streak != 0 && mine->index("MY_STREAK_FLAG") == 0);
    //! [read]

    //! [compress]
    // Lossless tile compression for all planes, or quantized (lossy) floats with the lsst.images preset.
    fits::write("example_coadd_gz.fits", mi, {.compression = fits::Compression::gzip, .overwrite = true});
    fits::write("example_coadd_q16.fits", mi,
                {.compression = fits::Compression::rice, .quantize_level = 16.0f, .overwrite = true});
    EXPECT(fits::image_info("example_coadd_gz.fits").compressed);
    EXPECT(fits::read_masked_image<float>("example_coadd_gz.fits").variance()(0, 0) == 0.25f);
    //! [compress]

    for (char const* f : {"example_coadd.fits", "example_coadd_gz.fits", "example_coadd_q16.fits"})
        std::filesystem::remove(f);
    std::puts("fits_roundtrip: ok");
    return EXIT_SUCCESS;
} catch (std::exception const& e) {
    std::fprintf(stderr, "fits_roundtrip: %s\n", e.what());
    return EXIT_FAILURE;
}

#else

int main() {
    std::puts("fits_roundtrip: skystack was built without cfitsio (SKYSTACK_WITH_CFITSIO=OFF); nothing to show");
    return EXIT_SUCCESS;
}

#endif
