// SPDX-License-Identifier: MIT
// Helper for fits_interop.py: writes files with skystack for astropy to check, and prints what skystack reads
// from files astropy wrote. Pixel patterns are documented in fits_interop.py, which recomputes them with numpy.
#include <skystack/io/fits.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

double img_pattern(int x, int y) { return x * 0.25 - y * 1.5 + 1e-3 * x * y; }

void write_all(fs::path const& dir) {
    auto planes = MaskPlanes::make_standard();
    MaskedImage<float> mi(Box2I::from_min_size({-5, 17}, {7, 5}), planes);
    int const mine = mi.mask().add_plane("MY_CUSTOM_PLANE");
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = float(img_pattern(x, y));
            mi.variance()(x, y) = float(x + 10 * y);
            MaskPixel m = 0;
            if ((x + y) % 2 == 0) m |= mi.mask().bit_mask("CR");
            if (x == 0) m |= mi.mask().bit_mask("EDGE");
            if (x == y) m |= MaskPixel(1) << mine;
            mi.mask()(x, y) = m;
        }
    mi.mask()(6, 4) = mi.mask().bit_mask("BAD");
    fits::Header hdr;
    hdr.set("OBSERVER", "skystack", "who wrote it");
    hdr.set("EXPTIME", 30.5);
    hdr.set("NCOMBINE", 12);
    fits::write(dir / "sk_mi.fits", mi, {.header = hdr, .overwrite = true});
    fits::write(dir / "sk_mi_gz.fits", mi, {.compression = fits::Compression::gzip, .header = hdr, .overwrite = true});

    Image<std::uint16_t> u(Box2I::from_min_size({3, 4}, {6, 4}));
    for (int y = 0; y < u.height(); ++y)
        for (int x = 0; x < u.width(); ++x) u(x, y) = std::uint16_t(60000 + x + 7 * y);
    fits::write(dir / "sk_u16.fits", u, {.overwrite = true});
    Image<std::int32_t> i(Box2I::from_min_size({0, 0}, {6, 4}));
    for (int y = 0; y < i.height(); ++y)
        for (int x = 0; x < i.width(); ++x) i(x, y) = -1000 + 31 * x - 17 * y;
    fits::write(dir / "sk_i32_rice.fits", i, {.compression = fits::Compression::rice, .overwrite = true});
}

template <class V>
void print_plane(char const* name, V const& v) {
    std::printf("%s %d %d %d %d\n", name, v.bbox().min_x(), v.bbox().min_y(), v.width(), v.height());
    for (int y = 0; y < v.height(); ++y) {
        for (int x = 0; x < v.width(); ++x) {
            if constexpr (std::is_floating_point_v<std::decay_t<decltype(v(x, y))>>)
                std::printf(" %.17g", double(v(x, y)));
            else if constexpr (std::is_signed_v<std::decay_t<decltype(v(x, y))>>)
                std::printf(" %lld", (long long)v(x, y));
            else
                std::printf(" %llu", (unsigned long long)v(x, y));
        }
        std::printf("\n");
    }
}

void dump(fs::path const& file, std::string const& kind) {
    if (kind == "masked") {
        auto planes = MaskPlanes::make_standard();
        fits::Header meta;
        auto const mi = fits::read_masked_image<float>(file, {.planes = planes, .metadata = &meta});
        print_plane("image", mi.image());
        print_plane("mask", mi.mask());
        print_plane("variance", mi.variance());
        for (auto const& p : planes->planes()) std::printf("plane %s %d\n", p.name.c_str(), p.index);
        for (auto const& c : meta)
            if (auto const* s = std::get_if<std::string>(&c.value))
                std::printf("meta %s %s\n", c.keyword.c_str(), s->c_str());
    } else if (kind == "float") {
        print_plane("image", fits::read_image<double>(file));
    } else if (kind == "int") {
        print_plane("image", fits::read_image<std::int64_t>(file));
    } else {
        throw std::runtime_error("unknown kind " + kind);
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        std::string const cmd = argc > 1 ? argv[1] : "";
        if (cmd == "write" && argc == 3)
            write_all(argv[2]);
        else if (cmd == "dump" && argc == 4)
            dump(argv[2], argv[3]);
        else {
            std::fprintf(stderr, "usage: %s write <dir> | dump <file> masked|float|int\n", argv[0]);
            return 2;
        }
    } catch (std::exception const& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
