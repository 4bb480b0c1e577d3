// SPDX-License-Identifier: MIT
// A cell coadd against a plain stack of the same patch, in one run (issue #20): a 4000² patch in 150² cells with a
// 50 px border, 32 inputs. To keep memory modest on a shared machine the 32 inputs are views of 4 distinct frames
// (each frame appears 8 times; 4 × 4100² × 12 B ≈ 0.8 GB, far beyond any cache, so the memory traffic is that of
// 32 distinct frames). The grid covers the patch with partial edge cells (4000 is not a multiple of 150).
// Counters: bytes of input planes read per second (image + mask + variance of every input over the stacked area).
#include <skystack/cells/cell_coadd.hpp>
#include <skystack/stack/stacker.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

using namespace skystack;

namespace {

int env_int(char const* name, int def) {
    char const* s = std::getenv(name);
    return s ? std::atoi(s) : def;
}

struct Patch {
    int size = env_int("SKYSTACK_BENCH_PATCH", 4000);
    int cell = env_int("SKYSTACK_BENCH_CELL", 150);
    int border = env_int("SKYSTACK_BENCH_BORDER", 50);
    int n = env_int("SKYSTACK_BENCH_N", 32);
    CellGrid grid;
    std::vector<MaskedImage<float>> frames;
    std::vector<MaskedImageView<float const>> views;
    std::vector<double> weights;

    Patch() {
        grid = CellGrid::covering(Box2I::from_min_size({0, 0}, {size, size}), {cell, cell}, border);
        Box2I const outer = grid.outer_bbox();
        std::mt19937 rng(3);
        std::normal_distribution<float> g(0.0f, 1.0f);
        for (int f = 0; f < 4; ++f) {
            MaskedImage<float> mi(outer);
            float const sigma = 20.0f + 5.0f * float(f);
            for (int y = 0; y < mi.height(); ++y) {
                auto img = mi.image().row(y);
                auto var = mi.variance().row(y);
                for (std::size_t x = 0; x < img.size(); ++x) {
                    img[x] = 1000.0f + sigma * g(rng);
                    var[x] = sigma * sigma;
                }
            }
            frames.push_back(std::move(mi));
        }
        for (int k = 0; k < n; ++k) {
            views.push_back(frames[std::size_t(k % 4)].cview());
            weights.push_back(1.0 / (20.0 + 5.0 * (k % 4)) / (20.0 + 5.0 * (k % 4)));
        }
    }
    static Patch& get() {
        static Patch p;
        return p;
    }
};

int threads_of(benchmark::State const& st) { return int(st.range(0)); }

void BM_PlainStack(benchmark::State& st) {
    auto& p = Patch::get();
    StackConfig cfg;
    cfg.weights = p.weights;
    cfg.threads = threads_of(st);
    Stacker<WeightedMean> const stacker(cfg);
    MaskedImage<float> out(p.grid.bbox());
    for (auto _ : st) {
        stacker.into(p.views, out.view());
        benchmark::DoNotOptimize(out.image().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * p.grid.bbox().area() * p.n * 12);
}

// The same plain stack with a freshly allocated output per call, as build_cell_coadd allocates its cells.
void BM_PlainStackAlloc(benchmark::State& st) {
    auto& p = Patch::get();
    StackConfig cfg;
    cfg.weights = p.weights;
    cfg.threads = threads_of(st);
    Stacker<WeightedMean> const stacker(cfg);
    for (auto _ : st) {
        auto r = stacker(p.views, p.grid.bbox());
        benchmark::DoNotOptimize(r.coadd.image().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * p.grid.bbox().area() * p.n * 12);
}

void BM_CellCoadd(benchmark::State& st) {
    auto& p = Patch::get();
    CellConfig cfg;
    cfg.stack.weights = p.weights;
    cfg.threads = threads_of(st);
    cfg.mask_fraction_planes = {"SAT"};
    std::int64_t stacked = 0;
    for (auto i : p.grid.indices()) stacked += p.grid.outer_bbox(i).area();
    for (auto _ : st) {
        auto cc = build_cell_coadd<WeightedMean>(p.views, p.grid, cfg);
        benchmark::DoNotOptimize(cc.cells().data());
    }
    st.counters["cells"] = double(p.grid.size());
    st.counters["stacked_px_per_patch_px"] = double(stacked) / double(p.grid.bbox().area());
    st.SetBytesProcessed(std::int64_t(st.iterations()) * stacked * p.n * 12);
}

void BM_CellCoaddStitch(benchmark::State& st) {
    auto& p = Patch::get();
    CellConfig cfg;
    cfg.stack.weights = p.weights;
    cfg.threads = threads_of(st);
    cfg.mask_fraction_planes = {};
    auto const cc = build_cell_coadd<WeightedMean>(p.views, p.grid, cfg);
    for (auto _ : st) {
        auto s = cc.stitch();
        benchmark::DoNotOptimize(s.image.image().data());
    }
}

} // namespace

BENCHMARK(BM_PlainStack)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlainStackAlloc)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CellCoadd)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CellCoaddStitch)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
