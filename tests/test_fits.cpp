// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#if SKYSTACK_HAS_CFITSIO

#include <skystack/io/fits.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fitsio.h>
#include <sys/mount.h>
#include <sys/resource.h>
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
template <class T>
T pattern(int x, int y) {
    if constexpr (std::is_floating_point_v<T>)
        return T(x * 0.25 - y * 1.5 + 1e-3 * x * y);
    else if constexpr (std::is_same_v<T, std::uint16_t>)
        return T(60000 + x + 7 * y);
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return T((std::uint64_t(1) << 63) + 977u * x + y);
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return T(4000000000u + 13u * x + y);
    else if constexpr (std::is_signed_v<T>)
        return T(-1000 + 31 * x - 17 * y);
    else
        return T(x + y);
}

template <class T>
Image<T> make_image(Box2I box) {
    Image<T> img(box);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) img(x, y) = pattern<T>(x, y);
    return img;
}

template <class A, class B>
void check_same_pixels(A const& a, B const& b) {
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

std::vector<std::byte> slurp(fs::path const& p) {
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

TEST_CASE_TEMPLATE("image round trip keeps pixels, xy0 and BITPIX", T, std::uint8_t, std::int8_t, std::int16_t,
                   std::uint16_t, std::int32_t, std::uint32_t, std::int64_t, std::uint64_t, float, double) {
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

TEST_CASE("header cards survive a round trip in order") {
    TmpDir tmp;
    auto const path = tmp / "hdr.fits";
    fits::Header hdr;
    hdr.set("OBJECT", "M31 'core'", "with quotes");
    hdr.set("LONGSTR", std::string(150, 'x') + "end"); // CONTINUE convention
    hdr.set("PI", 3.141592653589793);                  // needs 16 significant digits
    hdr.set("TINY", 1e-300);
    hdr.set("BIGINT", std::int64_t(-9000000000000000000));
    hdr.set("YES", true);
    hdr.set("NO", false);
    hdr.set("LONG_KEYWORD_NAME", 42); // > 8 characters: HIERARCH
    hdr.append({"UNDEF", {}, "no value"});
    hdr.add_comment("first comment");
    hdr.add_history("step 1");
    hdr.add_history("step 2");
    // managed and structural cards in a user header are ignored on write
    fits::Header with_managed = hdr;
    with_managed.set("NAXIS", 7);
    with_managed.set("CRVAL1A", 99);
    with_managed.set("MP_FAKE", 3);
    with_managed.set("EXTNAME", "NOPE");
    Image<float> img(Box2I::from_min_size({2, 3}, {4, 5}), 1.0f);
    fits::write(path, img, {.header = with_managed});
    CHECK(raw_key(path, 0, "LONG_KEYWORD_NAME") == "42");
    CHECK(raw_key(path, 0, "PI") == "3.141592653589793");
    CHECK(raw_key(path, 0, "NAXIS") == "2");
    CHECK(raw_key(path, 0, "CRVAL1A") == "2");
    CHECK(raw_key(path, 0, "MP_FAKE") == "<missing>");
    CHECK(raw_key(path, 0, "EXTNAME") == "<missing>");

    fits::Header meta;
    Image<float> const back = fits::read_image<float>(path, {.metadata = &meta});
    CHECK(back.xy0() == Point2I{2, 3});
    CHECK(meta == hdr); // xy0 cards stripped, everything else in order
    CHECK(meta.get<std::string>("LONGSTR") == std::string(150, 'x') + "end");
    CHECK(meta.get<double>("PI") == 3.141592653589793);
    CHECK(meta.get<std::int64_t>("BIGINT") == -9000000000000000000);
    CHECK(meta.find("OBJECT")->comment == "with quotes");

    // the raw header keeps the xy0 cards
    fits::Header const raw = fits::read_header(path);
    CHECK(raw.get<int>("CRPIX1A") == 1);
    CHECK(raw.get<std::string>("CTYPE1A") == "LINEAR");

    fits::Header bad;
    bad.set("NAN", std::numeric_limits<double>::quiet_NaN());
    auto const msg = error_of([&] { fits::write(tmp / "nan.fits", img, {.header = bad}); });
    CHECK(msg.find("NAN") != std::string::npos);
    CHECK(msg.find("non-finite") != std::string::npos);
    CHECK(!fs::exists(tmp / "nan.fits"));
}

TEST_CASE("Header typed access") {
    fits::Header h{{"A", std::int64_t(5), ""}, {"B", 2.5, ""}, {"C", std::string("s"), ""}, {"D", true, ""}};
    CHECK(h.get<int>("a") == 5); // keywords compare case-insensitively
    CHECK(h.get<double>("A") == 5.0);
    CHECK(h.get<float>("B") == 2.5f);
    CHECK(h.get<std::string>("C") == "s");
    CHECK(h.get<bool>("D"));
    CHECK(h.get<int>("MISSING", -1) == -1);
    CHECK_THROWS_AS((void)h.get<int>("MISSING"), NotFoundError);
    CHECK_THROWS_AS((void)h.get<int>("B"), InvalidParameterError); // 2.5 is not an integer
    h.set("A", 300);
    CHECK_THROWS_AS((void)h.get<std::uint8_t>("A"), InvalidParameterError);
    CHECK_THROWS_AS((void)h.get<std::string>("A"), InvalidParameterError);
    CHECK(h.size() == 4);
    CHECK(h.cards()[0].keyword == "A"); // set updates in place
    CHECK(h.erase("a") == 1);
    CHECK_THROWS_AS(h.set("COMMENT", 1), InvalidParameterError);
}

TEST_CASE("lossy quantized compression of floating planes") {
    TmpDir tmp;
    auto const path = tmp / "lossy.fits";
    MaskedImage<float> mi(Box2I::from_min_size({0, 0}, {64, 48}));
    std::uint32_t state = 12345;
    auto gauss = [&] { // sum of 12 uniforms - 6: unit variance
        double s = 0;
        for (int i = 0; i < 12; ++i) {
            state = state * 1664525u + 1013904223u;
            s += (state >> 8) / double(1 << 24);
        }
        return s - 6.0;
    };
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = float(100.0 + gauss());
            mi.variance()(x, y) = 1.0f;
            mi.mask()(x, y) = MaskPixel(x & 7);
        }
    mi.image()(3, 3) = std::numeric_limits<float>::quiet_NaN();
    fits::write(path, mi, {.compression = fits::Compression::gzip, .quantize_level = 16.0f});
    auto const algo = raw_key(path, 1, "ZCMPTYPE");
    CHECK((algo == "'RICE_1'" || algo == "'RICE_ONE'")); // cfitsio spells it either way
    CHECK(raw_key(path, 1, "ZQUANTIZ") == "'SUBTRACTIVE_DITHER_2'");
    CHECK(raw_key(path, 2, "ZCMPTYPE") == "'GZIP_2'"); // the mask stays lossless
    auto const back = fits::read_masked_image<float>(path);
    double maxerr = 0;
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            if (x == 3 && y == 3) continue;
            maxerr = std::max(maxerr, double(std::abs(back.image()(x, y) - mi.image()(x, y))));
            REQUIRE(back.mask()(x, y) == mi.mask()(x, y));
        }
    CHECK(std::isnan(back.image()(3, 3)));
    CHECK(maxerr > 0);                 // it is lossy
    CHECK(maxerr <= 0.5 * 1.2 / 16.0); // within half a step of sigma/q (sigma estimated ~1)
    CHECK_THROWS_AS(fits::write(tmp / "x.fits", mi, {.quantize_level = 4.0f}), InvalidParameterError);
    CHECK_THROWS_AS(fits::write(tmp / "y.fits", mi, {.compression = fits::Compression::rice, .dither_seed = 0}),
                    InvalidParameterError);
    Image<std::int64_t> i64(Box2I::from_min_size({0, 0}, {2, 2}));
    auto const msg = error_of([&] { fits::write(tmp / "i64.fits", i64, {.compression = fits::Compression::gzip}); });
    CHECK(msg.find("64-bit integer") != std::string::npos);
    CHECK(!fs::exists(tmp / "i64.fits"));
}

TEST_CASE("reading from memory gives the same result as from the file") {
    TmpDir tmp;
    auto const path = tmp / "mi.fits";
    MaskedImage<double> mi(Box2I::from_min_size({-3, -4}, {9, 7}));
    mi.image().assign(make_image<double>(mi.bbox()));
    mi.mask().fill(mi.mask().bit_mask("EDGE"));
    fits::write(path, mi, {.compression = fits::Compression::rice});
    auto const bytes = slurp(path);
    auto const a = fits::read_masked_image<double>(std::span<std::byte const>(bytes));
    check_same_pixels(a.image(), mi.image());
    check_same_pixels(a.mask(), mi.mask());
    CHECK(fits::image_info(std::span<std::byte const>(bytes)).bbox == mi.bbox());
}

TEST_CASE("writes are atomic") {
    TmpDir tmp;
    auto const path = tmp / "out.fits";
    Image<float> a(Box2I::from_min_size({0, 0}, {5, 5}), 1.0f);
    Image<float> b(Box2I::from_min_size({0, 0}, {6, 6}), 2.0f);
    fits::write(path, a);
    auto const before = slurp(path);

    // existing file, overwrite not asked
    auto msg = error_of([&] { fits::write(path, b); });
    CHECK(msg.find("exists") != std::string::npos);
    CHECK(msg.find(path.string()) != std::string::npos);
    CHECK_THROWS_AS(fits::write(path, b), IoError);
    CHECK(slurp(path) == before);

    // a failure in the middle of writing (a header value FITS cannot hold) leaves the old file
    fits::Header bad;
    bad.set("BAD", std::numeric_limits<double>::infinity());
    CHECK_THROWS_AS(fits::write(path, b, {.header = bad, .overwrite = true}), InvalidParameterError);
    CHECK(slurp(path) == before);
    // and no temporary file behind
    int n = 0;
    for (auto const& e : fs::directory_iterator(tmp.dir)) {
        (void)e;
        ++n;
    }
    CHECK(n == 1);

    // overwrite replaces it
    fits::write(path, b, {.overwrite = true, .sync = true});
    CHECK(fits::read_image<float>(path).bbox() == b.bbox());

    // a directory that does not exist, or cannot be written
    msg = error_of([&] { fits::write(tmp.dir / "no" / "such" / "x.fits", a); });
    CHECK(msg.find("cannot create a temporary file") != std::string::npos);
    CHECK_THROWS_AS(fits::write(tmp.dir / "no" / "x.fits", a), FitsError);
    if (::geteuid() != 0) { // root ignores permissions
        auto const ro = tmp.dir / "ro";
        fs::create_directory(ro);
        fits::write(ro / "keep.fits", a);
        fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
        msg = error_of([&] { fits::write(ro / "keep.fits", b, {.overwrite = true}); });
        fs::permissions(ro, fs::perms::owner_all);
        CHECK(msg.find("keep.fits") != std::string::npos);
        CHECK(fits::read_image<float>(ro / "keep.fits").bbox() == a.bbox());
    }
    // a directory nobody can create files in, not even root
    if (fs::is_directory("/proc/self")) {
        msg = error_of([&] { fits::write("/proc/self/skystack_test.fits", a); });
        CHECK(msg.find("cannot create a temporary file") != std::string::npos);
        CHECK(msg.find("/proc/self/skystack_test.fits") != std::string::npos);
    }
    // a directory in the way
    fs::create_directory(tmp.dir / "d.fits");
    CHECK_THROWS_AS(fits::write(tmp.dir / "d.fits", a, {.overwrite = true}), IoError);
}

namespace {
void write_raw(fs::path const& p, std::vector<std::byte> const& bytes, std::size_t n) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<char const*>(bytes.data()), std::streamsize(n));
}
/// A file made directly with cfitsio: `kind` 0 = 3-D image, 1 = binary table in HDU 1, 2 = empty primary only,
/// 3 = mask with a bad MP_ card, 4 = float image with a value too large for int16.
void make_special(fs::path const& p, int kind) {
    fitsfile* f = nullptr;
    int status = 0;
    fits_create_diskfile(&f, p.c_str(), &status);
    if (kind == 0) {
        long naxes[3] = {4, 3, 2};
        fits_create_img(f, FLOAT_IMG, 3, naxes, &status);
    } else if (kind == 1) {
        fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
        char const* ttype[] = {"X"};
        char const* tform[] = {"1E"};
        fits_create_tbl(f, BINARY_TBL, 3, 1, const_cast<char**>(ttype), const_cast<char**>(tform), nullptr, "T",
                        &status);
    } else if (kind == 2) {
        fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
    } else if (kind == 3) {
        long naxes[2] = {3, 2};
        fits_create_img(f, LONG_IMG, 2, naxes, &status);
        int bad = 40;
        fits_write_key(f, TINT, "MP_BAD", &bad, nullptr, &status);
        int zero[6] = {};
        fits_write_img(f, TINT, 1, 6, zero, &status);
    } else {
        long naxes[2] = {2, 1};
        fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
        float v[2] = {1.0f, 1e10f};
        fits_write_img(f, TFLOAT, 1, 2, v, &status);
    }
    fits_close_file(f, &status);
    REQUIRE(status == 0);
}
} // namespace

TEST_CASE("malformed and unexpected files give clear errors") {
    TmpDir tmp;
    auto const path = tmp / "mi.fits";
    MaskedImage<float> mi(Box2I::from_min_size({0, 0}, {50, 40}));
    fits::write(path, mi);
    auto const bytes = slurp(path);

    SUBCASE("missing file") {
        auto const msg = error_of([&] { (void)fits::read_image<float>(tmp / "nope.fits"); });
        CHECK(msg.find("nope.fits") != std::string::npos);
        CHECK(msg.find("no such") != std::string::npos);
    }
    SUBCASE("truncated file") {
        for (std::size_t n : {std::size_t(100), std::size_t(2880), bytes.size() / 2, bytes.size() - 2880}) {
            write_raw(tmp / "cut.fits", bytes, n);
            try {
                (void)fits::read_masked_image<float>(tmp / "cut.fits");
                FAIL("no exception for a file cut at ", n);
            } catch (FitsError const& e) {
                CHECK(e.file() == (tmp / "cut.fits").string());
                std::string const w = e.what();
                CHECK(w.find("cut.fits") != std::string::npos);
                if (n == bytes.size() - 2880) CHECK(w.find("truncated") != std::string::npos);
            }
        }
    }
    SUBCASE("garbage") {
        std::vector<std::byte> junk(5000);
        for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = std::byte((i * 7919) & 255);
        write_raw(tmp / "junk.fits", junk, junk.size());
        try {
            (void)fits::read_image<float>(tmp / "junk.fits");
            FAIL("no exception");
        } catch (FitsError const& e) {
            CHECK(e.status() != 0);
            CHECK(std::string(e.what()).find("cfitsio status") != std::string::npos);
        }
        CHECK_THROWS_AS((void)fits::read_image<float>(std::span<std::byte const>(junk)), FitsError);
        CHECK_THROWS_AS((void)fits::read_image<float>(std::span<std::byte const>()), FitsError);
    }
    SUBCASE("HDU past the end") {
        auto const msg = error_of([&] { (void)fits::read_image<float>(path, {.hdu = 7}); });
        CHECK(msg.find("HDU 7") != std::string::npos);
    }
    SUBCASE("binary table instead of an image") {
        make_special(tmp / "tbl.fits", 1);
        try {
            (void)fits::read_image<float>(tmp / "tbl.fits", {.hdu = 1});
            FAIL("no exception");
        } catch (FitsError const& e) {
            CHECK(std::string(e.what()).find("binary table, not an image") != std::string::npos);
            CHECK(e.hdu() == 2); // 1-based in FitsError
        }
    }
    SUBCASE("empty primary without extensions") {
        make_special(tmp / "empty.fits", 2);
        CHECK(error_of([&] { (void)fits::read_image<float>(tmp / "empty.fits"); }).find("no image data") !=
              std::string::npos);
        CHECK(error_of([&] { (void)fits::read_image<float>(tmp / "empty.fits", {.hdu = 0}); }).find("NAXIS = 0") !=
              std::string::npos);
    }
    SUBCASE("3-D image") {
        make_special(tmp / "cube.fits", 0);
        CHECK(error_of([&] { (void)fits::read_image<float>(tmp / "cube.fits"); }).find("expected a 2-D image") !=
              std::string::npos);
    }
    SUBCASE("bad mask plane card") {
        make_special(tmp / "mp.fits", 3);
        CHECK(error_of([&] { (void)fits::read_mask(tmp / "mp.fits"); }).find("MP_BAD is not a bit index") !=
              std::string::npos);
    }
    SUBCASE("value out of range of the requested type") {
        make_special(tmp / "big.fits", 4);
        try {
            (void)fits::read_image<std::int16_t>(tmp / "big.fits");
            FAIL("no exception");
        } catch (FitsError const& e) {
            CHECK(e.status() == NUM_OVERFLOW);
        }
        CHECK(fits::read_image<double>(tmp / "big.fits")(1, 0) == double(1e10f)); // converting reads work
    }
}

TEST_CASE("inputs that crashed cfitsio while fuzzing are rejected cleanly") {
    // fuzz/regressions holds files that crashed or hung cfitsio 4.2 before skystack's guards; each must now give a
    // skystack::Error (or read), from a file and from memory.
    fs::path const dir = fs::path(SKYSTACK_SOURCE_DIR) / "fuzz" / "regressions";
    REQUIRE(fs::is_directory(dir));
    int n = 0;
    for (auto const& e : fs::directory_iterator(dir)) {
        ++n;
        auto const bytes = slurp(e.path());
        std::span<std::byte const> const mem(bytes);
        for (int hdu = -1; hdu < 4; ++hdu) {
            auto attempt = [&](auto&& f) {
                try {
                    f();
                } catch (skystack::Error const&) {
                }
            };
            attempt([&] { (void)fits::read_image<float>(e.path(), {.hdu = hdu, .max_pixels = 1 << 20}); });
            attempt([&] { (void)fits::read_image<std::int32_t>(mem, {.hdu = hdu, .max_pixels = 1 << 20}); });
            attempt([&] { (void)fits::read_mask(mem, {.hdu = hdu, .planes = std::make_shared<MaskPlanes>()}); });
        }
        try {
            (void)fits::read_masked_image<float>(e.path(), {.max_pixels = 1 << 20});
        } catch (skystack::Error const& err) {
            CHECK(std::string(err.what()).find(e.path().filename().string()) != std::string::npos);
        }
    }
    CHECK(n >= 5);
}

TEST_CASE("views and subimages are written with their own bbox") {
    TmpDir tmp;
    MaskedImage<float> mi(Box2I::from_min_size({10, 20}, {64, 32}));
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = float(x + 100 * y);
            mi.mask()(x, y) = MaskPixel(y);
            mi.variance()(x, y) = float(x);
        }
    Box2I const sub = Box2I::from_min_size({15, 22}, {7, 5}); // rows of the view are not contiguous
    fits::write(tmp / "mv.fits", mi.subimage(sub));
    fits::write(tmp / "cmv.fits", std::as_const(mi).subimage(sub));
    fits::write(tmp / "iv.fits", mi.image().subimage(sub));
    fits::write(tmp / "m.fits", mi.mask().subimage(sub));
    auto const a = fits::read_masked_image<float>(tmp / "mv.fits");
    auto const b = fits::read_masked_image<float>(tmp / "cmv.fits");
    auto const c = fits::read_image<float>(tmp / "iv.fits");
    auto const m = fits::read_mask(tmp / "m.fits");
    CHECK(a.bbox() == sub);
    CHECK(b.bbox() == sub);
    CHECK(c.bbox() == sub);
    CHECK(m.bbox() == sub);
    for (int y = 0; y < sub.height(); ++y)
        for (int x = 0; x < sub.width(); ++x) {
            CHECK(a.image()(x, y) == float(x + 5 + 100 * (y + 2)));
            CHECK(b.variance()(x, y) == float(x + 5));
            CHECK(c(x, y) == float(x + 5 + 100 * (y + 2)));
            CHECK(m(x, y) == MaskPixel(y + 2));
        }
}

#endif // SKYSTACK_HAS_CFITSIO

namespace {

/// A masked image with distinct values in every plane (NaN and a few mask planes included).
MaskedImage<float> afw_sample(std::shared_ptr<MaskPlanes> planes) {
    MaskedImage<float> mi(Box2I::from_min_size({100, -20}, {17, 11}), std::move(planes));
    for (int y = 0; y < mi.height(); ++y)
        for (int x = 0; x < mi.width(); ++x) {
            mi.image()(x, y) = pattern<float>(x, y);
            mi.variance()(x, y) = float(1 + x + 100 * y);
            mi.mask()(x, y) = MaskPixel((x * 7 + y) % 5 == 0 ? mi.mask().bit_mask("CR") : 0) |
                              MaskPixel(x == y ? mi.mask().bit_mask("SAT") : 0);
        }
    mi.image()(3, 4) = std::numeric_limits<float>::quiet_NaN();
    return mi;
}

template <class A, class B>
bool same_bits(A const& a, B const& b) {
    if (a.bbox() != b.bbox()) return false;
    for (int y = 0; y < a.height(); ++y)
        if (std::memcmp(a.row(y).data(), b.row(y).data(), a.row(y).size_bytes()) != 0) return false;
    return true;
}

/// Offsets of the 80-byte header cards of every HDU (found by walking the 2880-byte blocks: headers start with
/// SIMPLE or XTENSION and end at END; data blocks in between are skipped).
std::vector<std::size_t> header_cards(std::vector<std::byte> const& bytes) {
    std::vector<std::size_t> out;
    for (std::size_t b = 0; b + 2880 <= bytes.size(); b += 2880) {
        std::string_view const first(reinterpret_cast<char const*>(bytes.data()) + b, 8);
        if (first != "SIMPLE  " && first != "XTENSION") continue;
        for (std::size_t c = b; c + 80 <= bytes.size(); c += 80) {
            out.push_back(c);
            if (std::string_view(reinterpret_cast<char const*>(bytes.data()) + c, 8) == "END     ") break;
        }
    }
    return out;
}

/// Replace the value of card `key` in HDU `hdu` (0-based, by walking headers) with `value`, left-justified.
std::vector<std::byte> with_card(std::vector<std::byte> bytes, int hdu, std::string_view key, std::string_view value) {
    int h = -1;
    for (std::size_t c : header_cards(bytes)) {
        std::string_view const card(reinterpret_cast<char const*>(bytes.data()) + c, 80);
        if (card.starts_with("SIMPLE  ") || card.starts_with("XTENSION")) ++h;
        std::string k(card.substr(0, 8));
        while (!k.empty() && k.back() == ' ') k.pop_back();
        if (h != hdu || k != key) continue;
        std::string v(value);
        v.resize(70, ' ');
        std::memcpy(bytes.data() + c + 10, v.data(), 70);
        return bytes;
    }
    FAIL("no card ", key, " in HDU ", hdu);
    return bytes;
}

} // namespace

TEST_CASE("damaged afw files are never read as plain images (mutation test)") {
    // Every mutation of a valid afw file must either throw a skystack::Error or read back the very same planes:
    // never a success with other pixels, or with the mask and variance replaced by zeros.
    TmpDir tmp;
    auto const planes = MaskPlanes::make_standard();
    auto const mi = afw_sample(planes);
    fits::write(tmp / "afw.fits", mi);
    auto const good = slurp(tmp / "afw.fits");
    REQUIRE(good.size() == 7 * 2880); // primary + 3 x (header, data)
    {
        auto const l = fits::inspect(tmp / "afw.fits");
        CHECK(l.kind == fits::Layout::afw);
        CHECK((l.image == 1 && l.mask == 2 && l.variance == 3 && l.hdus == 4));
    }
    { // the checksums fits::write adds are valid by cfitsio's own verification (header and data)
        fitsfile* f = nullptr;
        int status = 0, type = 0;
        fits_open_diskfile(&f, (tmp / "afw.fits").c_str(), READONLY, &status);
        for (int hdu = 1; hdu <= 4; ++hdu) {
            int dataok = 0, hduok = 0;
            fits_movabs_hdu(f, hdu, &type, &status);
            fits_verify_chksum(f, &dataok, &hduok, &status);
            INFO("HDU ", hdu, " dataok ", dataok, " hduok ", hduok);
            CHECK((dataok == 1 && hduok == 1));
        }
        fits_close_file(f, &status);
        CHECK(status == 0);
    }
    int thrown = 0, identical = 0;
    std::vector<std::string> wrong;
    auto attempt = [&](std::vector<std::byte> const& bytes, std::string const& what) {
        try {
            auto const back = fits::read_masked_image<float>(std::span<std::byte const>(bytes),
                                                             {.planes = MaskPlanes::make_standard()});
            if (same_bits(back.image(), mi.image()) && same_bits(back.mask(), mi.mask()) &&
                same_bits(back.variance(), mi.variance()))
                ++identical;
            else
                wrong.push_back(what);
        } catch (skystack::Error const& e) {
            ++thrown;
            std::string const m = e.what();
            if (m.find(fits::detail::memory_name) == std::string::npos) wrong.push_back(what + ": no file in " + m);
        }
    };
    // truncations: every 80 bytes, and one byte either side of every block boundary
    for (std::size_t n = 80; n < good.size(); n += 80)
        attempt({good.begin(), good.begin() + std::ptrdiff_t(n)}, "cut at " + std::to_string(n));
    for (std::size_t n = 2880; n < good.size(); n += 2880)
        for (std::size_t d : {n - 1, n + 1})
            attempt({good.begin(), good.begin() + std::ptrdiff_t(d)}, "cut at " + std::to_string(d));
    // single-byte damage at several columns of every header card (keyword, '=', value, comment)
    auto const cards = header_cards(good);
    REQUIRE(cards.size() > 40);
    for (std::size_t c : cards)
        for (std::size_t col : {0, 3, 7, 8, 9, 10, 11, 19, 25, 29, 30, 33, 40})
            for (char repl : {' ', '9', 'X', '\'', '\0'}) {
                auto bad = good;
                if (bad[c + col] == std::byte(repl)) continue;
                bad[c + col] = std::byte(repl);
                attempt(bad, "byte " + std::to_string(c + col) + " = '" + std::string(1, repl) + "'");
            }
    // END cards removed
    for (std::size_t c : cards)
        if (std::memcmp(good.data() + c, "END     ", 8) == 0) {
            auto bad = good;
            std::memset(bad.data() + c, ' ', 3);
            attempt(bad, "END removed at " + std::to_string(c));
        }
    // changed structural and naming cards of each extension
    for (int hdu = 1; hdu <= 3; ++hdu) {
        for (char const* v : {"16", "18", "1", "0", "34", "2147483647"}) {
            attempt(with_card(good, hdu, "NAXIS1", v), "NAXIS1");
            attempt(with_card(good, hdu, "NAXIS2", v), "NAXIS2");
        }
        for (char const* v : {"8", "16", "32", "64", "-32", "-64"})
            attempt(with_card(good, hdu, "BITPIX", v), "BITPIX " + std::to_string(hdu) + " " + v);
        for (char const* v : {"'IMAGE'", "'MASK'", "'VARIANCE'", "'OTHER'", "''"}) {
            attempt(with_card(good, hdu, "EXTNAME", v), std::string("EXTNAME ") + v);
            attempt(with_card(with_card(good, hdu, "EXTNAME", v), hdu, "EXTTYPE", v), std::string("both ") + v);
        }
        attempt(with_card(good, hdu, "NAXIS", "3"), "NAXIS 3");
        attempt(with_card(good, hdu, "CRVAL1A", "101"), "CRVAL1A");
    }
    MESSAGE(thrown, " mutations threw, ", identical, " read back identical");
    CHECK(thrown > 500);
    CHECK(identical > 100); // damage to comments and padding is harmless
    for (auto const& w : std::span(wrong).first(std::min<std::size_t>(wrong.size(), 2000))) MESSAGE("wrong: ", w);
    CHECK(wrong.empty());
}

TEST_CASE("a missing plane is an error naming the file and the HDU") {
    TmpDir tmp;
    fits::write(tmp / "afw.fits", afw_sample(MaskPlanes::make_standard()));
    auto const good = slurp(tmp / "afw.fits");
    // the file ends after the MASK HDU: the variance is missing, which is an error, not a zero variance
    write_raw(tmp / "cut.fits", good, 5 * 2880);
    try {
        (void)fits::read_masked_image<float>(tmp / "cut.fits");
        FAIL("no exception");
    } catch (FitsError const& e) {
        std::string const m = e.what();
        CHECK(m.find("cut.fits") != std::string::npos);
        CHECK(m.find("VARIANCE") != std::string::npos);
        CHECK(e.hdu() == 4); // 1-based: the HDU after MASK
    }
    CHECK_THROWS_AS((void)fits::image_info(tmp / "cut.fits"), FitsError);
    CHECK_THROWS_AS((void)fits::inspect(tmp / "cut.fits"), FitsError);
}

TEST_CASE("image in the primary HDU with MASK and VARIANCE extensions (issue #15)") {
    // Written directly with cfitsio: primary = float image, HDU 1 = MASK (int32, MP_ cards), HDU 2 = VARIANCE.
    TmpDir tmp;
    auto const path = tmp / "prim.fits";
    long naxes[2] = {5, 3};
    std::vector<float> img(15), var(15);
    std::vector<int> msk(15);
    for (int i = 0; i < 15; ++i)
        img[std::size_t(i)] = float(i) * 0.5f, var[std::size_t(i)] = float(10 + i),
        msk[std::size_t(i)] = i % 3 == 0 ? 1 << 3 : 0; // bit 3 named CR below
    fitsfile* f = nullptr;
    int status = 0;
    fits_create_diskfile(&f, path.c_str(), &status);
    fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
    fits_write_img(f, TFLOAT, 1, 15, img.data(), &status);
    fits_create_img(f, LONG_IMG, 2, naxes, &status);
    fits_write_key(f, TSTRING, "EXTNAME", const_cast<char*>("MASK"), nullptr, &status);
    int bit = 3;
    fits_write_key(f, TINT, "MP_CR", &bit, nullptr, &status);
    fits_write_img(f, TINT, 1, 15, msk.data(), &status);
    fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
    fits_write_key(f, TSTRING, "EXTNAME", const_cast<char*>("VARIANCE"), nullptr, &status);
    fits_write_img(f, TFLOAT, 1, 15, var.data(), &status);
    fits_close_file(f, &status);
    REQUIRE(status == 0);

    auto const l = fits::inspect(path);
    CHECK(l.kind == fits::Layout::primary_masked);
    CHECK((l.image == 0 && l.mask == 1 && l.variance == 2));
    auto planes = std::make_shared<MaskPlanes>(); // empty registry: CR gets bit 0
    auto const mi = fits::read_masked_image<float>(path, {.planes = planes});
    REQUIRE(mi.bbox() == Box2I::from_min_size({0, 0}, {5, 3}));
    CHECK(mi.image()(4, 2) == 7.0f);                  // pixel 14 * 0.5
    CHECK(mi.variance()(4, 2) == 24.0f);              // 10 + 14
    CHECK(mi.mask()(1, 1) == planes->bit_mask("CR")); // pixel 6 = (1, 1): 6 % 3 == 0
    CHECK(mi.mask()(3, 0) == planes->bit_mask("CR"));
    CHECK(mi.mask()(1, 0) == 0u);
    // a sub-region reads the same planes
    auto const sub =
        fits::read_masked_image<float>(path, {.bbox = Box2I::from_min_size({3, 0}, {2, 2}), .planes = planes});
    CHECK(sub.variance()(0, 0) == 13.0f);
    CHECK(sub.mask()(0, 0) == planes->bit_mask("CR"));
}

TEST_CASE(".fits.gz files (gzip of a whole file) read with mask and variance") {
    TmpDir tmp;
    auto const planes = MaskPlanes::make_standard();
    auto const mi = afw_sample(planes);
    fits::Header hdr;
    hdr.set("EXPTIME", 30.0);
    fits::write(tmp / "afw.fits", mi, {.header = hdr});
    // compressed by gzip(1), independently of skystack and cfitsio
    std::string const cmd = "gzip -c '" + (tmp / "afw.fits").string() + "' > '" + (tmp / "afw.fits.gz").string() + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    REQUIRE(fs::file_size(tmp / "afw.fits.gz") < fs::file_size(tmp / "afw.fits"));
    fits::Header meta;
    auto const back = fits::read_masked_image<float>(tmp / "afw.fits.gz", {.planes = planes, .metadata = &meta});
    CHECK(same_bits(back.image(), mi.image()));
    CHECK(same_bits(back.mask(), mi.mask()));
    CHECK(same_bits(back.variance(), mi.variance()));
    CHECK(meta.get<double>("EXPTIME") == 30.0);
    CHECK(fits::inspect(tmp / "afw.fits.gz").kind == fits::Layout::afw);
    CHECK(fits::image_info(tmp / "afw.fits.gz").bbox == mi.bbox());
    auto const sub = Box2I::from_min_size({104, -18}, {5, 3});
    CHECK(same_bits(fits::read_masked_image<float>(tmp / "afw.fits.gz", {.bbox = sub, .planes = planes}).variance(),
                    mi.variance().subimage(sub)));
    // a truncated .gz is an error naming the file
    auto const gz = slurp(tmp / "afw.fits.gz");
    write_raw(tmp / "cut.fits.gz", gz, gz.size() / 2);
    auto const msg = error_of([&] { (void)fits::read_masked_image<float>(tmp / "cut.fits.gz"); });
    CHECK(msg.find("cut.fits.gz") != std::string::npos);
}

namespace {

/// Blank the card `key` of HDU `hdu` (a blank card is valid FITS): used to drop CHECKSUM from a patched header.
std::vector<std::byte> without_card(std::vector<std::byte> bytes, int hdu, std::string_view key) {
    int h = -1;
    for (std::size_t c : header_cards(bytes)) {
        std::string_view const card(reinterpret_cast<char const*>(bytes.data()) + c, 80);
        if (card.starts_with("SIMPLE  ") || card.starts_with("XTENSION")) ++h;
        std::string k(card.substr(0, 8));
        while (!k.empty() && k.back() == ' ') k.pop_back();
        if (h == hdu && k == key) {
            std::memset(bytes.data() + c, ' ', 80);
            return bytes;
        }
    }
    FAIL("no card ", key, " in HDU ", hdu);
    return bytes;
}

long peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024; // kB on Linux
}

} // namespace

TEST_CASE("NAXIS1 = NAXIS2 = 2^31 - 1 is a truncated file, not an overflow or bad_alloc") {
    TmpDir tmp;
    fits::write(tmp / "img.fits", make_image<float>(Box2I::from_min_size({0, 0}, {9, 7})));
    fits::write(tmp / "afw.fits", afw_sample(MaskPlanes::make_standard()));
    auto const img =
        with_card(with_card(slurp(tmp / "img.fits"), 0, "NAXIS1", "2147483647"), 0, "NAXIS2", "2147483647");
    auto const afw =
        with_card(with_card(slurp(tmp / "afw.fits"), 2, "NAXIS1", "2147483647"), 2, "NAXIS2", "2147483647");
    write_raw(tmp / "huge.fits", img, img.size());
    for (std::int64_t limit : {std::int64_t(0), std::int64_t(1) << 28}) {
        auto const m1 = error_of([&] { (void)fits::read_image<float>(tmp / "huge.fits", {.max_pixels = limit}); });
        CHECK(m1.find("truncated") != std::string::npos);
        CHECK(m1.find("huge.fits") != std::string::npos);
        CHECK_THROWS_AS((void)fits::read_image<double>(std::span<std::byte const>(img), {.max_pixels = limit}),
                        FitsError);
        CHECK_THROWS_AS((void)fits::read_masked_image<float>(std::span<std::byte const>(afw), {.max_pixels = limit}),
                        FitsError);
    }
    CHECK_THROWS_AS((void)fits::image_info(tmp / "huge.fits"), FitsError);
}

TEST_CASE("a tiny compressed file declaring 16384^2 pixels in one tile is refused before allocating") {
    TmpDir tmp;
    fits::write(tmp / "z.fits", Image<float>(Box2I::from_min_size({0, 0}, {16, 16})),
                {.compression = fits::Compression::gzip, .tile = {16, 16}});
    auto bytes = without_card(slurp(tmp / "z.fits"), 1, "CHECKSUM");
    for (char const* k : {"ZNAXIS1", "ZNAXIS2", "ZTILE1", "ZTILE2"}) bytes = with_card(bytes, 1, k, "16384");
    REQUIRE(bytes.size() < 16 * 2880);
    long const before = peak_rss_mib();
    for (std::int64_t limit : {std::int64_t(0), std::int64_t(1) << 28}) {
        auto const m =
            error_of([&] { (void)fits::read_image<float>(std::span<std::byte const>(bytes), {.max_pixels = limit}); });
        CHECK(m.find("GZIP tile 1") != std::string::npos);
        CHECK_THROWS_AS((void)fits::read_masked_image<float>(std::span<std::byte const>(bytes), {.max_pixels = limit}),
                        FitsError);
    }
    INFO("peak RSS before ", before, " MiB, after ", peak_rss_mib(), " MiB");
    CHECK(peak_rss_mib() < before + 200);                           // a 1 GiB tile (or image) was never allocated
    CHECK(fits::ReadOptions{}.max_pixels == std::int64_t(1) << 28); // the documented default
}

TEST_CASE("NaN read into an integer pixel type is a FitsError") {
    TmpDir tmp;
    Image<float> img(Box2I::from_min_size({0, 0}, {4, 3}));
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) img(x, y) = float(x - 2 * y); // exact integers
    fits::write(tmp / "ok.fits", img);
    img(1, 2) = std::numeric_limits<float>::quiet_NaN();
    fits::write(tmp / "nan.fits", img);
    fits::write(tmp / "nan_gz.fits", img, {.compression = fits::Compression::gzip});
    auto const ok = fits::read_image<std::int32_t>(tmp / "ok.fits"); // finite values still convert
    CHECK(ok(3, 0) == 3);
    CHECK(ok(0, 2) == -4);
    for (char const* f : {"nan.fits", "nan_gz.fits"}) {
        CAPTURE(f);
        auto const m = error_of([&] { (void)fits::read_image<std::int32_t>(tmp / f); });
        CHECK(m.find("NaN") != std::string::npos);
        CHECK(m.find(f) != std::string::npos);
        CHECK_THROWS_AS((void)fits::read_image<std::int16_t>(tmp / f), FitsError);
        CHECK_THROWS_AS((void)fits::read_image<std::uint8_t>(tmp / f), FitsError);
        CHECK_THROWS_AS((void)fits::read_image<std::int64_t>(tmp / f), FitsError);
        CHECK_THROWS_AS((void)fits::read_image<std::uint16_t>(tmp / f), FitsError);
        // a region without the NaN reads
        CHECK(fits::read_image<std::int32_t>(tmp / f, {.bbox = Box2I::from_min_size({0, 0}, {4, 2})})(3, 1) == 1);
    }
}

TEST_CASE("a full disk is reported with the OS reason and without cfitsio's stale messages") {
    TmpDir tmp;
    fs::path const mnt = tmp.dir / "small";
    fs::create_directories(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
        MESSAGE("skipped: cannot mount a 64 KiB tmpfs here (", std::strerror(errno), "; needs root)");
        return;
    }
    struct Unmount {
        fs::path p;
        ~Unmount() { ::umount(p.c_str()); }
    } const unmount{mnt};
    MaskedImage<float> mi(Box2I::from_min_size({0, 0}, {100, 100})); // 3 planes of 40 KB: cannot fit in 64 KiB
    fits::Header hdr;
    for (int i = 0; i < 11; ++i) // long keywords: cfitsio writes them as HIERARCH and stacks a warning for each
        hdr.set("LONG_KEYWORD_NUMBER_" + std::to_string(i), i);
    auto const target = mnt / "coadd.fits";
    try {
        fits::write(target, mi, {.header = hdr});
        FAIL("no exception writing 120 KB into 64 KiB");
    } catch (FitsError const& e) {
        std::string const m = e.what();
        INFO(m);
        CHECK(m.find("No space left on device") != std::string::npos);
        CHECK(m.find("coadd.fits") != std::string::npos);
        CHECK(m.find("HIERARCH") == std::string::npos);
        CHECK(m.find("LONG_KEYWORD") == std::string::npos);
    }
    CHECK(fs::is_empty(mnt)); // neither the file nor the temporary one is left
}

TEST_CASE("read_masked_image with an explicit hdu") {
    TmpDir tmp;
    auto const planes = MaskPlanes::make_standard();
    auto const mi = afw_sample(planes);
    fits::write(tmp / "afw.fits", mi);
    auto const img = make_image<float>(Box2I::from_min_size({0, 0}, {4, 3}));
    fits::write(tmp / "img.fits", img);
    // the IMAGE HDU given: the mask and variance are the next two
    auto const back = fits::read_masked_image<float>(tmp / "afw.fits", {.hdu = 1, .planes = planes});
    CHECK((same_bits(back.image(), mi.image()) && same_bits(back.mask(), mi.mask()) &&
           same_bits(back.variance(), mi.variance())));
    // a plain image with nothing after it: zero mask and variance
    auto const plain = fits::read_masked_image<float>(tmp / "img.fits", {.hdu = 0});
    CHECK(same_bits(plain.image(), img));
    CHECK(plain.variance()(3, 2) == 0.0f);
    CHECK(plain.mask()(3, 2) == 0u);
    // the VARIANCE HDU as the image: there are no planes after it, and it is named, so this is an error
    CHECK_THROWS_AS((void)fits::read_masked_image<float>(tmp / "afw.fits", {.hdu = 3}), FitsError);
}
