// SPDX-License-Identifier: MIT
// Files→coadd: stream_stack from afw MaskedImage files beside a raw read (`cat`-equivalent) of the same files.
// The inputs are written once to a temp dir (SKYSTACK_BENCH_FILES_N inputs of SKYSTACK_BENCH_FILES_SIZE², default
// 32 × 2048²) and removed at exit. `bench_files --rss N` instead stacks N inputs (meanclip, 512 MiB budget) and
// prints the peak RSS, for the memory-budget figure.
#include <cstdio>

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#include <skystack/io/stream.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

using namespace skystack;
namespace fs = std::filesystem;

namespace {

int env_int(char const* name, int def) {
    char const* v = std::getenv(name);
    return v ? std::atoi(v) : def;
}

struct Inputs {
    fs::path dir;
    std::vector<fs::path> paths;
    std::size_t bytes = 0;
    Inputs(int n, int size) {
        dir = fs::temp_directory_path() / ("skystack_bench_files_" + std::to_string(::getpid()));
        fs::create_directories(dir);
        std::mt19937 rng(7);
        std::normal_distribution<float> g(0.f, 1.f);
        MaskedImage<float> mi(Extent2I{size, size});
        for (int k = 0; k < n; ++k) {
            for (int y = 0; y < size; ++y) {
                float* im = mi.image().view().row(y).data();
                float* v = mi.variance().view().row(y).data();
                for (int x = 0; x < size; ++x) {
                    im[x] = 100.f + g(rng);
                    v[x] = 1.f + 0.1f * float(k);
                }
            }
            paths.push_back(dir / ("in" + std::to_string(k) + ".fits"));
            fits::write(paths.back(), mi);
            bytes += fs::file_size(paths.back());
        }
    }
    ~Inputs() { fs::remove_all(dir); }
};

Inputs& inputs() {
    static Inputs in(env_int("SKYSTACK_BENCH_FILES_N", 32), env_int("SKYSTACK_BENCH_FILES_SIZE", 2048));
    return in;
}

void BM_RawRead(benchmark::State& state) {
    auto& in = inputs();
    std::vector<char> buf(std::size_t(1) << 20);
    for (auto _ : state) {
        std::size_t total = 0;
        for (auto const& p : in.paths) {
            std::FILE* f = std::fopen(p.c_str(), "rb");
            for (std::size_t r; (r = std::fread(buf.data(), 1, buf.size(), f)) > 0;) total += r;
            std::fclose(f);
        }
        benchmark::DoNotOptimize(total);
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(in.bytes));
}
BENCHMARK(BM_RawRead)->Unit(benchmark::kMillisecond)->UseRealTime();

template <class C>
void BM_Stream(benchmark::State& state) {
    auto& in = inputs();
    StackConfig cfg;
    cfg.threads = int(state.range(0));
    Stacker<C> const st(cfg);
    StreamOptions so;
    so.memory_budget = std::size_t(512) << 20;
    for (auto _ : state) {
        auto r = stream_stack<float>(st, in.paths, {}, so);
        benchmark::DoNotOptimize(r.coadd.image().view().row(0).data());
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(in.bytes));
}
BENCHMARK(BM_Stream<Mean>)->Name("BM_Stream/mean")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Stream<Median>)->Name("BM_Stream/median")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Stream<ClippedMean>)
    ->Name("BM_Stream/meanclip")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--rss") == 0) {
        int const n = std::atoi(argv[2]);
        ::setenv("SKYSTACK_BENCH_FILES_N", argv[2], 1);
        auto& in = inputs();
        rusage before{};
        ::getrusage(RUSAGE_SELF, &before); // after writing the inputs (one input buffer in memory)
        StackConfig cfg;
        cfg.threads = 2;
        StreamOptions so;
        so.memory_budget = std::size_t(512) << 20;
        auto r = stream_stack<float>(Stacker<ClippedMean>(cfg), in.paths, {}, so);
        rusage after{};
        ::getrusage(RUSAGE_SELF, &after);
        std::cout << "inputs " << n << " peak_rss_MiB " << double(after.ru_maxrss) / 1024.0
                  << " (after writing inputs: " << double(before.ru_maxrss) / 1024.0 << ")\n";
        return r.coadd.empty() ? 1 : 0;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

#else
int main() {
    std::puts("bench_files: built without cfitsio, nothing to measure");
    return 0;
}
#endif
