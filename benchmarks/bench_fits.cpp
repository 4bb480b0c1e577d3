// SPDX-License-Identifier: MIT
// FITS I/O throughput: writing and reading an uncompressed 4096x4096 MaskedImage<float> (192 MiB of pixels) next
// to a plain file copy of the same bytes (read + write in 1 MiB chunks, as a careful user would write it), and to
// the raw read and write halves. Files go to $SKYSTACK_BENCH_DIR (default: the current directory).
// Target (issue 8): skystack read and write >= 50 % of the copy's bytes per second.
#include <benchmark/benchmark.h>

#if SKYSTACK_HAS_CFITSIO

#include <skystack/io/fits.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

constexpr int side = 4096;

fs::path bench_dir() {
    char const* d = std::getenv("SKYSTACK_BENCH_DIR");
    return d ? fs::path(d) : fs::current_path();
}

struct Fixture {
    MaskedImage<float> mi{Box2I::from_min_size({100, 200}, {side, side})};
    fs::path src = bench_dir() / "bench_fits_src.fits";
    fs::path dst = bench_dir() / "bench_fits_dst.fits";
    std::uintmax_t bytes = 0;
    Fixture() {
        for (int y = 0; y < side; ++y) {
            auto im = mi.image().row(y);
            auto mk = mi.mask().row(y);
            auto va = mi.variance().row(y);
            for (int x = 0; x < side; ++x) {
                im[std::size_t(x)] = float(x) * 0.5f - float(y);
                mk[std::size_t(x)] = MaskPixel(x & 15);
                va[std::size_t(x)] = 1.0f + float(x % 7);
            }
        }
        fits::write(src, mi, {.overwrite = true});
        bytes = fs::file_size(src);
    }
    ~Fixture() {
        std::error_code ec;
        fs::remove(src, ec);
        fs::remove(dst, ec);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_Raw_FileCopy(benchmark::State& st) {
    auto& f = fixture();
    std::vector<char> buf(1 << 20);
    for (auto _ : st) {
        std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(f.src.c_str(), "rb"), &std::fclose);
        std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(f.dst.c_str(), "wb"), &std::fclose);
        std::size_t n = 0;
        while ((n = std::fread(buf.data(), 1, buf.size(), in.get())) > 0) std::fwrite(buf.data(), 1, n, out.get());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(f.bytes));
}

void BM_Raw_FileRead(benchmark::State& st) {
    auto& f = fixture();
    std::vector<char> buf(f.bytes);
    for (auto _ : st) {
        std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(f.src.c_str(), "rb"), &std::fclose);
        benchmark::DoNotOptimize(std::fread(buf.data(), 1, buf.size(), in.get()));
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(f.bytes));
}

void BM_Raw_FileWrite(benchmark::State& st) {
    auto& f = fixture();
    std::vector<char> buf(f.bytes, 1);
    for (auto _ : st) {
        std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(f.dst.c_str(), "wb"), &std::fclose);
        benchmark::DoNotOptimize(std::fwrite(buf.data(), 1, buf.size(), out.get()));
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(f.bytes));
}

void BM_Skystack_WriteMaskedImage(benchmark::State& st) {
    auto& f = fixture();
    for (auto _ : st) fits::write(f.dst, f.mi, {.overwrite = true});
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(f.bytes));
}

void BM_Skystack_ReadMaskedImage(benchmark::State& st) {
    auto& f = fixture();
    for (auto _ : st) {
        auto mi = fits::read_masked_image<float>(f.src);
        benchmark::DoNotOptimize(mi.image().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(f.bytes));
}

} // namespace

BENCHMARK(BM_Raw_FileCopy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Raw_FileRead)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Raw_FileWrite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Skystack_WriteMaskedImage)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Skystack_ReadMaskedImage)->Unit(benchmark::kMillisecond)->UseRealTime();

#else

static void BM_NoCfitsio(benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(0);
    st.SetLabel("built without cfitsio: no FITS benchmarks");
}
BENCHMARK(BM_NoCfitsio);

#endif

BENCHMARK_MAIN();
