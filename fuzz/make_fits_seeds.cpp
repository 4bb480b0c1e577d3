// SPDX-License-Identifier: MIT
// Writes the seed corpus of the FITS reader fuzzer: small files of every layout skystack reads.
// Usage: fuzz_fits_seeds <dir>
#include <skystack/io/fits.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

using namespace skystack;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
        return 2;
    }
    std::filesystem::path const dir = argv[1];
    std::filesystem::create_directories(dir);
    auto planes = MaskPlanes::make_standard();
    MaskedImage<float> mi(Box2I::from_min_size({-3, 12}, {16, 12}), planes);
    mi.mask().add_plane("A_LONG_CUSTOM_PLANE");
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = float(x * 0.5 - y) + float((x * 7 + y * 13) % 5);
            mi.variance()(x, y) = float(1 + x % 3);
            mi.mask()(x, y) = MaskPixel((x * y) % 7) | (MaskPixel(x == y) << 14);
        }
    mi.image()(1, 1) = std::numeric_limits<float>::quiet_NaN();
    fits::Header hdr;
    hdr.set("OBJECT", "seed");
    hdr.set("LONGSTR", std::string(100, 'q'));
    hdr.set("EXPTIME", 12.5);
    hdr.add_history("seed corpus");
    fits::WriteOptions o{.header = hdr, .overwrite = true};
    fits::write(dir / "mi.fits", mi, o);
    o.compression = fits::Compression::gzip;
    fits::write(dir / "mi_gzip.fits", mi, o);
    o.compression = fits::Compression::rice;
    o.tile = {8, 4};
    fits::write(dir / "mi_rice_tiles.fits", mi, o);
    o.quantize_level = 4.0f;
    fits::write(dir / "mi_lossy.fits", mi, o);
    fits::write(dir / "mask.fits", mi.mask(), {.overwrite = true});
    Image<std::uint16_t> u(Box2I::from_min_size({0, 0}, {10, 6}), 60000);
    fits::write(dir / "u16.fits", u, {.overwrite = true});
    fits::write(dir / "u16_rice.fits", u, {.compression = fits::Compression::rice, .overwrite = true});
    Image<double> d(Box2I::from_min_size({5, 5}, {4, 3}), 1.25);
    fits::write(dir / "f64.fits", d, {.overwrite = true});
    Image<std::int64_t> l(Box2I::from_min_size({0, 0}, {3, 3}), -7);
    fits::write(dir / "i64.fits", l, {.overwrite = true});
    std::printf("seeds written to %s\n", dir.c_str());
    return 0;
}
