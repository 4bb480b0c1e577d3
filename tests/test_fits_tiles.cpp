// SPDX-License-Identifier: MIT
// Tile-compressed writes with tiles of several rows (cfitsio compresses a tile from one write call only).
#include <doctest/doctest.h>

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

using namespace skystack;
namespace fs = std::filesystem;

TEST_CASE("fits: compressed planes with multi-row tiles read back exactly") {
    fs::path const dir = fs::path(SKYSTACK_TEST_TMPDIR) / ("fits_tiles_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    // 84 x 56 with a padded row stride (rows of an Image are not contiguous): the tiles below span 16 or 28 rows
    MaskedImage<float> mi(Box2I::from_min_size({-3, 7}, {84, 56}));
    std::mt19937 rng(5);
    std::normal_distribution<float> g(10.0f, 3.0f);
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = g(rng);
            mi.mask()(x, y) = rng() % 5 == 0 ? MaskPixel(8192) : rng() % 7 == 0 ? MaskPixel(3) : MaskPixel(0);
            mi.variance()(x, y) = float(x * y) + 0.5f;
        }
    mi.image()(5, 5) = std::nanf("");
    for (auto comp : {fits::Compression::gzip, fits::Compression::rice})
        for (long t : {16L, 28L, 56L}) {
            CAPTURE(t);
            fs::path const f = dir / ("t" + std::to_string(t) + "_" + std::to_string(int(comp)) + ".fits");
            fits::write(f, mi, {.compression = comp, .tile = {t, t}, .overwrite = true});
            auto const r = fits::read_masked_image<float>(f);
            REQUIRE(r.bbox() == mi.bbox());
            int diffs = 0;
            for (int y = 0; y < mi.height(); ++y)
                for (int x = 0; x < mi.width(); ++x) {
                    float const a = mi.image()(x, y), b = r.image()(x, y);
                    diffs += (std::isnan(a) ? !std::isnan(b) : a != b) || mi.mask()(x, y) != r.mask()(x, y) ||
                             mi.variance()(x, y) != r.variance()(x, y);
                }
            CHECK(diffs == 0);
        }
    // lossy quantization with multi-row tiles: every pixel within the quantization step of its value
    fs::path const q = dir / "quantized.fits";
    fits::write(q, mi.image(),
                {.compression = fits::Compression::rice, .quantize_level = 16, .tile = {28, 28}, .overwrite = true});
    auto const r = fits::read_image<float>(q);
    int far = 0;
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            float const a = mi.image()(x, y), b = r(x, y);
            if (std::isnan(a))
                far += !std::isnan(b);
            else
                far += !(std::abs(a - b) < 1.0f); // sigma 3 / 16 per step: a step is ~0.2
        }
    CHECK(far == 0);
    fs::remove_all(dir);
}
#endif
