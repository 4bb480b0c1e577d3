// SPDX-License-Identifier: MIT
// Streaming files→coadd (skystack/io/stream.hpp): the banded result equals the in-memory Stacker on the fully
// loaded inputs bit for bit (image, mask, variance, nImage, weights) for every statistic, band height and thread
// count; the handle pool keeps at most its capacity of files open.
#include <doctest/doctest.h>

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#include <skystack/io/fits_stream.hpp>
#include <skystack/io/stream.hpp>

#include <dirent.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

fs::path tmp_dir(std::string const& name) {
    fs::path d = fs::path(SKYSTACK_TEST_TMPDIR) / ("stream_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

/// n afw MaskedImage files of w×h with noise, outliers, BAD/SAT pixels and per-input variance; input 1 is shifted
/// by (3, 5) so that some bands do not cover it and the output has pixels with fewer inputs.
std::vector<fs::path> write_inputs(fs::path const& dir, int n, int w, int h, bool shift_one = true) {
    std::mt19937 rng(1234);
    std::normal_distribution<float> noise(0.f, 1.f);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    auto const reg = MaskPlanes::shared_default();
    MaskPixel const bad = reg->bit_mask("BAD"), sat = reg->bit_mask("SAT");
    std::vector<fs::path> paths;
    for (int k = 0; k < n; ++k) {
        Point2I const xy0 = (shift_one && k == 1) ? Point2I{3, 5} : Point2I{0, 0};
        MaskedImage<float> mi(Box2I::from_min_size(xy0, {w, h}));
        float const sigma2 = 1.0f + 0.25f * float(k);
        for (int y = 0; y < h; ++y) {
            float* im = mi.image().view().row(y).data();
            MaskPixel* m = mi.mask().view().row(y).data();
            float* v = mi.variance().view().row(y).data();
            for (int x = 0; x < w; ++x) {
                im[x] = 10.f + std::sqrt(sigma2) * noise(rng) + (u(rng) < 0.02f ? 500.f : 0.f);
                m[x] = u(rng) < 0.03f ? bad : (u(rng) < 0.02f ? sat : 0);
                v[x] = sigma2 * (0.9f + 0.2f * u(rng));
            }
        }
        paths.push_back(dir / ("in" + std::to_string(k) + ".fits"));
        fits::write(paths.back(), mi);
    }
    return paths;
}

template <class T>
bool same_bytes(ImageView<T const> a, ImageView<T const> b) {
    if (a.bbox() != b.bbox()) return false;
    for (int y = 0; y < a.height(); ++y)
        if (std::memcmp(a.row(y).data(), b.row(y).data(), std::size_t(a.width()) * sizeof(T)) != 0) return false;
    return true;
}

template <class C, class R>
void check_identical(Stacker<C, R> const& st, std::vector<fs::path> const& paths, StreamOptions so) {
    std::vector<MaskedImage<float>> loaded;
    for (auto const& p : paths) loaded.push_back(fits::read_masked_image<float>(p));
    std::vector<MaskedImageView<float const>> views(loaded.begin(), loaded.end());
    Box2I bbox;
    for (auto const& v : views) bbox = bbox.empty() ? v.bbox() : bbox.expanded_to(v.bbox());
    StackResult<float> const want = st(views, bbox);
    StackResult<float> const got = stream_stack<float>(st, paths, {}, so);
    CHECK(got.coadd.bbox() == bbox);
    CHECK(same_bytes<float>(got.coadd.image().cview(), want.coadd.image().cview()));
    CHECK(same_bytes<MaskPixel>(got.coadd.mask().cview(), want.coadd.mask().cview()));
    CHECK(same_bytes<float>(got.coadd.variance().cview(), want.coadd.variance().cview()));
    CHECK(same_bytes<std::uint16_t>(got.nimage.cview(), want.nimage.cview()));
    REQUIRE(got.weights.size() == want.weights.size());
    for (std::size_t k = 0; k < got.weights.size(); ++k) CHECK(got.weights[k] == want.weights[k]);
}

template <class C, class R = typename detail::default_reject<C>::type>
void check_all_bands(std::vector<fs::path> const& paths, int h) {
    for (int threads : {1, 2})
        for (int rows : {h + 10, (h + 6) / 2 + 1, 3, 1}) { // 1 band, 2 bands, many bands, one row per band
            CAPTURE(threads);
            CAPTURE(rows);
            StackConfig cfg;
            cfg.threads = threads;
            cfg.nimage = true;
            StreamOptions so;
            so.band_rows = rows;
            so.read_threads = threads;
            check_identical(Stacker<C, R>(cfg), paths, so);
        }
}

int open_fds() {
    int n = 0;
    for (auto const& e : fs::directory_iterator("/proc/self/fd")) {
        (void)e;
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("stream_stack equals the in-memory stack bit for bit for every statistic, band height and thread count") {
    int const w = 37, h = 23;
    auto const paths = write_inputs(tmp_dir("identity"), 7, w, h);
    SUBCASE("mean") { check_all_bands<Mean>(paths, h); }
    SUBCASE("weighted mean (default AssembleCoadd weights)") { check_all_bands<WeightedMean>(paths, h); }
    SUBCASE("meanclip") { check_all_bands<ClippedMean>(paths, h); }
    SUBCASE("median") { check_all_bands<Median>(paths, h); }
    SUBCASE("sum") { check_all_bands<Sum>(paths, h); }
    SUBCASE("min") { check_all_bands<Min>(paths, h); }
    SUBCASE("max") { check_all_bands<Max>(paths, h); }
}

TEST_CASE("stream_stack: explicit weights and scales are honoured per input, also where a band omits an input") {
    int const w = 20, h = 16;
    auto const paths = write_inputs(tmp_dir("weights"), 5, w, h);
    StackConfig cfg;
    cfg.nimage = true;
    cfg.weights = {1.0, 0.5, 2.0, 0.0, 1.5};
    cfg.scales = {1.0, 1.1, 0.9, 1.0, 1.2};
    StreamOptions so;
    so.band_rows = 2;
    check_identical(Stacker<ClippedMean>(cfg), paths, so);
}

TEST_CASE("stream_band_rows keeps the double-buffered bands and the output within the budget") {
    // 32 inputs of 2048 columns, 10 bytes per pixel, output 2048² × 12 bytes, budget 512 MiB
    std::size_t const out = std::size_t(2048) * 2048 * 12;
    int const rows = stream_band_rows(std::size_t(512) << 20, 32, 2048, 2048, 10, out);
    CHECK(2.0 * 32 * rows * 2048 * 10 + double(out) <= double(std::size_t(512) << 20));
    CHECK(2.0 * 32 * (rows + 1) * 2048 * 10 + double(out) > double(std::size_t(512) << 20));
    CHECK(stream_band_rows(100, 32, 2048, 2048, 10, 1000) == 1);         // a budget below the output: one row
    CHECK(stream_band_rows(std::size_t(1) << 40, 2, 10, 7, 10, 0) == 7); // never more than the height
}

TEST_CASE("HandlePool keeps at most its capacity of files open; 300 inputs stream through a pool of 8") {
    int const w = 8, h = 6, n = 300;
    auto const paths = write_inputs(tmp_dir("many"), n, w, h, false);
    int const before = open_fds();
    {
        fits::HandlePool pool(paths, 8);
        for (std::size_t k = 0; k < paths.size(); ++k) (void)fits::image_bbox(pool, k);
        CHECK(open_fds() - before <= 8);
    }
    CHECK(open_fds() == before);
    StackConfig cfg;
    cfg.nimage = true;
    StreamOptions so;
    so.max_open_files = 8;
    so.band_rows = 2;
    check_identical(Stacker<Median>(cfg), paths, so);
}

TEST_CASE("stream_stack under ulimit -n 64 with 300 inputs (default pool capacity from the limit)") {
    // re-run this binary's own pool test in a shell with a 64-descriptor limit
    char const* self = std::getenv("SKYSTACK_STREAM_SELF");
    if (self) { // child: the limit is already set
        auto const paths = write_inputs(tmp_dir("ulimit"), 300, 8, 6, false);
        StackConfig cfg;
        StackResult<float> r = stream_stack<float>(Stacker<ClippedMean>(cfg), paths);
        CHECK(r.coadd.bbox() == Box2I::from_min_size({0, 0}, {8, 6}));
        CHECK(fits::HandlePool::default_capacity() == 16);
        return;
    }
    std::string const exe = fs::read_symlink("/proc/self/exe").string();
    std::string const cmd = "sh -c 'ulimit -n 64 && SKYSTACK_STREAM_SELF=1 \"" + exe +
                            "\" -tc=\"stream_stack under ulimit*\" >/dev/null 2>&1'";
    CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("stream_stack errors: no inputs, missing file, input outside the bbox") {
    Stacker<Mean> st;
    CHECK_THROWS_AS((void)stream_stack<float>(st, {}), InvalidParameterError);
    CHECK_THROWS_AS((void)stream_stack<float>(st, {fs::path(SKYSTACK_TEST_TMPDIR) / "no_such.fits"}), FitsError);
    auto const paths = write_inputs(tmp_dir("outside"), 2, 8, 8, false);
    CHECK_THROWS_AS((void)stream_stack<float>(st, paths, Box2I::from_min_size({100, 100}, {4, 4})),
                    InvalidParameterError);
}

TEST_CASE("stream_stack refuses a band that misses an input when NO_DATA is not a bad plane") {
    auto const paths = write_inputs(tmp_dir("nodata"), 3, 8, 8); // input 1 starts at (3, 5)
    StackConfig cfg;
    cfg.bad_mask_planes = {"BAD"};
    StreamOptions so;
    so.band_rows = 2;
    CHECK_THROWS_AS((void)stream_stack<float>(Stacker<Mean>(cfg), paths, {}, so), InvalidParameterError);
    so.band_rows = 100; // one band covers every input: fine, and equal to the in-memory stack
    check_identical(Stacker<Mean>(cfg), paths, so);
}

#endif // SKYSTACK_HAS_CFITSIO
