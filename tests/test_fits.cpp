// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#if SKYSTACK_HAS_CFITSIO

#include <skystack/io/fits.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <fitsio.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

/// A fresh directory per test case under the build tree's tmp dir, removed at the end.
struct TmpDir {
    fs::path dir;
    TmpDir() {
        static std::atomic<int> n{0};
        dir = fs::path(SKYSTACK_TEST_TMPDIR) / ("fits_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~TmpDir() {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir, ec);
    }
    fs::path operator/(char const* name) const { return dir / name; }
};

/// Pixel value at local (x, y), chosen to exercise each type's range: distinct values, negatives for signed
/// types, values above the signed range for unsigned ones, fractions for floating types.
template <class T> T pattern(int x, int y) {
    if constexpr (std::is_floating_point_v<T>) return T(x * 0.25 - y * 1.5 + 1e-3 * x * y);
    else if constexpr (std::is_same_v<T, std::uint16_t>) return T(60000 + x + 7 * y);
    else if constexpr (std::is_same_v<T, std::uint64_t>) return T((std::uint64_t(1) << 63) + 977u * x + y);
    else if constexpr (std::is_same_v<T, std::uint32_t>) return T(4000000000u + 13u * x + y);
    else if constexpr (std::is_signed_v<T>) return T(-1000 + 31 * x - 17 * y);
    else return T(x + y);
}

template <class T> Image<T> make_image(Box2I box) {
    Image<T> img(box);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) img(x, y) = pattern<T>(x, y);
    return img;
}

template <class A, class B> void check_same_pixels(A const& a, B const& b) {
    REQUIRE(a.bbox() == b.bbox());
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) REQUIRE(a(x, y) == b(x, y));
}

std::string error_of(auto&& f) {
    try {
        f();
    } catch (std::exception const& e) {
        return e.what();
    }
    return "(no exception)";
}

[[maybe_unused]] std::vector<std::byte> slurp(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(c.size());
    std::memcpy(out.data(), c.data(), c.size());
    return out;
}

/// Reads a keyword straight from the file with cfitsio (independent of skystack's header code).
std::string raw_key(fs::path const& p, int hdu, char const* key) {
    fitsfile* f = nullptr;
    int status = 0, type = 0;
    char value[FLEN_VALUE] = {}, comment[FLEN_COMMENT] = {};
    fits_open_diskfile(&f, p.c_str(), READONLY, &status);
    fits_movabs_hdu(f, hdu + 1, &type, &status);
    fits_read_keyword(f, key, value, comment, &status);
    fits_close_file(f, &status);
    if (status) {
        fits_clear_errmsg();
        return "<missing>";
    }
    std::string v = value; // drop the padding inside quotes: 'GZIP_2  ' -> 'GZIP_2'
    if (v.size() > 1 && v.front() == '\'') {
        v.pop_back();
        while (!v.empty() && v.back() == ' ') v.pop_back();
        v += '\'';
    }
    return v;
}

} // namespace

TEST_CASE_TEMPLATE("image round trip keeps pixels, xy0 and BITPIX", T, std::uint8_t, std::int16_t, std::uint16_t,
                   std::int32_t, std::uint32_t, std::int64_t, std::uint64_t, float, double) {
    TmpDir tmp;
    auto const path = tmp / "img.fits";
    Box2I const box = Box2I::from_min_size({-7, 1234}, {13, 9}); // odd width: padded rows
    Image<T> const img = make_image<T>(box);
    fits::write(path, img);
    Image<T> const back = fits::read_image<T>(path);
    check_same_pixels(back, img);
    // BITPIX as FITS defines it; unsigned types via BZERO.
    int const bitpix = std::is_floating_point_v<T> ? -8 * int(sizeof(T)) : 8 * int(sizeof(T));
    CHECK(std::stoi(raw_key(path, 0, "BITPIX")) == bitpix);
    if constexpr (std::is_same_v<T, std::uint16_t>) CHECK(raw_key(path, 0, "BZERO") == "32768");
    if constexpr (std::is_same_v<T, std::int32_t> || std::is_floating_point_v<T>)
        CHECK(raw_key(path, 0, "BZERO") == "<missing>");
    CHECK(raw_key(path, 0, "CRVAL1A") == "-7");
    CHECK(raw_key(path, 0, "CRVAL2A") == "1234");
    CHECK(raw_key(path, 0, "CRPIX1A") == "1");
    CHECK(raw_key(path, 0, "CTYPE1A") == "'LINEAR'");
    CHECK(raw_key(path, 0, "CUNIT2A") == "'PIXEL'");
}

TEST_CASE_TEMPLATE("compressed image round trip is lossless", T, std::uint16_t, std::int32_t, float, double) {
    TmpDir tmp;
    Box2I const box = Box2I::from_min_size({3, -4}, {40, 30});
    Image<T> img = make_image<T>(box);
    if constexpr (std::is_floating_point_v<T>) img(5, 6) = std::numeric_limits<T>::quiet_NaN();
    for (auto c : {fits::Compression::gzip, fits::Compression::rice}) {
        auto const path = tmp / (c == fits::Compression::gzip ? "gz.fits" : "rice.fits");
        fits::write(path, img, {.compression = c, .tile = {16, 8}});
        CHECK(raw_key(path, 1, "ZIMAGE") == "T");
        CHECK(raw_key(path, 1, "ZCMPTYPE") ==
              (c == fits::Compression::rice && !std::is_floating_point_v<T> ? "'RICE_1'" : "'GZIP_2'"));
        auto const info = fits::image_info(path);
        CHECK(info.compressed);
        CHECK(info.hdu == 1);
        CHECK(info.bbox == box);
        Image<T> const back = fits::read_image<T>(path);
        REQUIRE(back.bbox() == box);
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                if constexpr (std::is_floating_point_v<T>) {
                    if (std::isnan(img(x, y))) {
                        CHECK(std::isnan(back(x, y)));
                        continue;
                    }
                }
                REQUIRE(back(x, y) == img(x, y));
            }
        // a sub-region of a compressed image
        Box2I const sub = Box2I::from_min_size({10, 0}, {20, 11});
        Image<T> const part = fits::read_image<T>(path, {.bbox = sub});
        REQUIRE(part.bbox() == sub);
        for (int y = 0; y < sub.height(); ++y)
            for (int x = 0; x < sub.width(); ++x)
                if (!std::isnan(double(img(sub.min() + Extent2I{x, y}))))
                    REQUIRE(part(x, y) == img(sub.min() + Extent2I{x, y}));
    }
}

TEST_CASE("masked image round trip in afw layout") {
    TmpDir tmp;
    auto const path = tmp / "mi.fits";
    auto planes = MaskPlanes::make_standard();
    Box2I const box = Box2I::from_min_size({100, -20}, {17, 11});
    MaskedImage<float> mi(box, planes);
    int const custom = mi.mask().add_plane("MY_VERY_LONG_PLANE_NAME");
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = pattern<float>(x, y);
            mi.variance()(x, y) = float(x + 100 * y);
            mi.mask()(x, y) = MaskPixel((x + y) % 3 == 0 ? mi.mask().bit_mask("CR") : 0) |
                              MaskPixel(x == y ? MaskPixel(1) << custom : 0);
        }
    mi.mask()(0, 0) = mi.mask().bit_mask({"BAD", "NO_DATA", "MY_VERY_LONG_PLANE_NAME"});
    fits::Header hdr;
    hdr.set("OBSERVER", "Vera Rubin", "who");
    hdr.set("EXPTIME", 30.5);
    hdr.set("NCOMBINE", 12);
    hdr.set("FLAG", true);
    hdr.add_history("made by test_fits");
    fits::write(path, mi, {.header = hdr});

    // layout, read independently through cfitsio
    CHECK(fits::hdu_count(path) == 4);
    CHECK(raw_key(path, 0, "NAXIS") == "0");
    CHECK(raw_key(path, 0, "OBSERVER") == "'Vera Rubin'");
    CHECK(raw_key(path, 1, "EXTNAME") == "'IMAGE'");
    CHECK(raw_key(path, 1, "EXTTYPE") == "'IMAGE'");
    CHECK(raw_key(path, 1, "INHERIT") == "T");
    CHECK(raw_key(path, 1, "BITPIX") == "-32");
    CHECK(raw_key(path, 2, "EXTNAME") == "'MASK'");
    CHECK(raw_key(path, 2, "BITPIX") == "32");
    CHECK(raw_key(path, 2, "BZERO") == "<missing>");
    CHECK(raw_key(path, 2, "MP_CR") == "3");
    CHECK(raw_key(path, 2, "MP_MY_VERY_LONG_PLANE_NAME") == std::to_string(custom));
    CHECK(raw_key(path, 2, "MP_DETECTED_NEGATIVE") == "6");
    CHECK(raw_key(path, 3, "EXTNAME") == "'VARIANCE'");
    for (int h = 1; h <= 3; ++h) {
        CHECK(raw_key(path, h, "CRVAL1A") == "100");
        CHECK(raw_key(path, h, "CRVAL2A") == "-20");
    }

    fits::Header meta;
    auto const back = fits::read_masked_image<float>(path, {.planes = planes, .metadata = &meta});
    check_same_pixels(back.image(), mi.image());
    check_same_pixels(back.mask(), mi.mask());
    check_same_pixels(back.variance(), mi.variance());
    CHECK(back.mask().planes_ptr() == planes);
    CHECK(meta == hdr);
}

TEST_CASE("mask planes are conformed to a registry with another layout") {
    TmpDir tmp;
    auto const path = tmp / "mask.fits";
    auto file_planes = std::make_shared<MaskPlanes>();
    file_planes->add("A"); // bit 0
    file_planes->add("B"); // bit 1
    file_planes->add("C"); // bit 2
    Mask m(Box2I::from_min_size({5, 6}, {4, 3}), file_planes);
    m(0, 0) = 0b001; // A
    m(1, 0) = 0b010; // B
    m(2, 0) = 0b100; // C
    m(3, 0) = 0b111;
    m(0, 1) = 0b1000; // bit 3: no plane name in the file -> dropped
    fits::write(path, m);

    auto target = std::make_shared<MaskPlanes>();
    target->add("C"); // bit 0
    target->add("X"); // bit 1
    target->add("A"); // bit 2
    Mask const back = fits::read_mask(path, {.planes = target});
    CHECK(back.planes_ptr() == target);
    CHECK(target->index("B") == 3); // added at the lowest free bit
    CHECK(back(0, 0) == 0b0100);
    CHECK(back(1, 0) == 0b1000);
    CHECK(back(2, 0) == 0b0001);
    CHECK(back(3, 0) == 0b1101);
    CHECK(back(0, 1) == 0);
    CHECK(back.bbox() == m.bbox());
}

TEST_CASE("sub-region reads use parent coordinates") {
    TmpDir tmp;
    auto const path = tmp / "mi.fits";
    Box2I const box = Box2I::from_min_size({1000, 2000}, {30, 20});
    MaskedImage<float> mi(box);
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = float(x + 1000 * y);
            mi.variance()(x, y) = float(2 * x);
            mi.mask()(x, y) = MaskPixel(x % 4);
        }
    fits::write(path, mi);
    Box2I const sub = Box2I::from_min_size({1010, 2005}, {7, 4});
    auto const part = fits::read_masked_image<float>(path, {.bbox = sub});
    CHECK(part.bbox() == sub);
    for (int y = 0; y < sub.height(); ++y)
        for (int x = 0; x < sub.width(); ++x) {
            CHECK(part.image()(x, y) == float((x + 10) + 1000 * (y + 5)));
            CHECK(part.variance()(x, y) == float(2 * (x + 10)));
            CHECK(part.mask()(x, y) == MaskPixel((x + 10) % 4));
        }
    auto const msg = error_of([&] { (void)fits::read_image<float>(path, {.bbox = box.dilated_by(1)}); });
    CHECK(msg.find("not inside the image bbox") != std::string::npos);
}

#endif // SKYSTACK_HAS_CFITSIO
