// SPDX-License-Identifier: MIT
// The C++ side of python/bench/bench_coadd.py: skystack::stack() on N inputs of W x W float pixels filled with
// the formula the Python script uses, so the two timings compare the binding's overhead and nothing else.
// usage: skystack_python_bench [--benchmark_* flags]; SKYSTACK_BENCH_N / SKYSTACK_BENCH_W override 32 / 2048.
#include <skystack/stack/stack.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

int env_int(char const* name, int fallback) {
    char const* v = std::getenv(name);
    return v ? std::atoi(v) : fallback;
}

std::vector<skystack::MaskedImage<float>> const& inputs() {
    static std::vector<skystack::MaskedImage<float>> const in = [] {
        int const n = env_int("SKYSTACK_BENCH_N", 32), w = env_int("SKYSTACK_BENCH_W", 2048);
        std::vector<skystack::MaskedImage<float>> v;
        for (int k = 0; k < n; ++k) {
            skystack::MaskedImage<float> mi(skystack::Extent2I{w, w});
            for (int y = 0; y < w; ++y)
                for (int x = 0; x < w; ++x) mi.image()(x, y) = float(100 + (x * 7 + y * 13 + k * 31) % 17);
            mi.variance().fill(1.0f);
            mi.mask().fill(0);
            v.push_back(std::move(mi));
        }
        return v;
    }();
    return in;
}

void stack_call(benchmark::State& state, std::string const& statistic) {
    auto const& in = inputs();
    std::vector<skystack::MaskedImageView<float const>> views;
    for (auto const& mi : in) views.push_back(mi.cview());
    skystack::StackConfig cfg;
    cfg.nimage = true;
    for (auto _ : state) {
        auto r = skystack::stack<float>(statistic, views, in.front().bbox(), cfg);
        benchmark::DoNotOptimize(r.coadd.image().data());
    }
    std::int64_t const bytes = std::int64_t(in.size()) * in.front().bbox().area() * (4 + 4 + 4);
    state.SetBytesProcessed(state.iterations() * bytes);
}

} // namespace

BENCHMARK_CAPTURE(stack_call, mean, std::string("mean"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(stack_call, meanclip, std::string("meanclip"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
