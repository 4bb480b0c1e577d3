// SPDX-License-Identifier: MIT
// In-place MaskedImage<float> += MaskedImage<float> against a raw loop over the same six arrays, plus a plain read
// probe. Bytes counted per pixel: read x, y (2 x 4), M_x, M_y (2 x 4), V_x, V_y (2 x 4); write x, M_x, V_x (3 x 4)
// = 36 bytes. Run with --benchmark_repetitions=3 and compare the medians of one run.
#include <skystack/arithmetic.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

using namespace skystack;

namespace {
constexpr std::int64_t bytes_per_pixel = 6 * 4 + 3 * 4;

struct Pair {
    MaskedImage<float> a, b;
    explicit Pair(int n) : a(Box2I::from_min_size({0, 0}, {n, n})), b(Box2I::from_min_size({0, 0}, {n, n})) {
        a.image().fill(1.0f);
        a.variance().fill(0.5f);
        a.mask().fill(0x1u);
        b.image().fill(1e-7f); // small: a stays finite however many iterations run
        b.variance().fill(1e-7f);
        b.mask().fill(0x2u);
    }
};

void BM_Skystack_MaskedImagePlusEq(benchmark::State& st) {
    int const n = int(st.range(0));
    Pair p(n);
    for (auto _ : st) {
        p.a += p.b;
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(st.iterations() * std::int64_t(n) * n * bytes_per_pixel);
}

// The same loop written by a careful user: contiguous arrays (the images have no row padding at these sizes,
// since 4 * n is a multiple of 64), restrict pointers, one fused pass.
void raw_plus_eq(float* __restrict__ x, MaskPixel* __restrict__ mx, float* __restrict__ vx, float const* __restrict__ y,
                 MaskPixel const* __restrict__ my, float const* __restrict__ vy, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        x[i] += y[i];
        mx[i] |= my[i];
        vx[i] += vy[i];
    }
}

void BM_Raw_MaskedImagePlusEq(benchmark::State& st) {
    int const n = int(st.range(0));
    Pair p(n);
    if (p.a.image().row_stride() != n) st.SkipWithError("rows are padded: the raw loop needs contiguous rows");
    std::size_t const count = std::size_t(n) * std::size_t(n);
    for (auto _ : st) {
        raw_plus_eq(p.a.image().data(), p.a.mask().data(), p.a.variance().data(), p.b.image().data(), p.b.mask().data(),
                    p.b.variance().data(), count);
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(st.iterations() * std::int64_t(n) * n * bytes_per_pixel);
}

// Read bandwidth probe: sum the six planes as 32-bit integers (read only; integer adds, so no denormal slow-down
// on the mask words), to show where the memory ceiling is in this run.
void BM_ReadProbe(benchmark::State& st) {
    int const n = int(st.range(0));
    Pair p(n);
    std::size_t const count = std::size_t(n) * std::size_t(n);
    auto const* a_img = reinterpret_cast<std::uint32_t const*>(p.a.image().data());
    auto const* a_var = reinterpret_cast<std::uint32_t const*>(p.a.variance().data());
    auto const* b_img = reinterpret_cast<std::uint32_t const*>(p.b.image().data());
    auto const* b_var = reinterpret_cast<std::uint32_t const*>(p.b.variance().data());
    std::uint32_t const* planes[] = {a_img, a_var, b_img, b_var, p.a.mask().data(), p.b.mask().data()};
    for (auto _ : st) {
        std::uint32_t s = 0;
        for (std::uint32_t const* q : planes) {
            std::uint32_t acc = 0;
            for (std::size_t i = 0; i < count; ++i) acc += q[i];
            s ^= acc;
        }
        benchmark::DoNotOptimize(s);
    }
    st.SetBytesProcessed(st.iterations() * std::int64_t(n) * n * 6 * 4);
}

// Scalar and plain-image forms, for reference (same 4096^2 size).
void BM_Skystack_MaskedImageTimesEq(benchmark::State& st) {
    int const n = int(st.range(0));
    Pair p(n);
    p.b.image().fill(1.0f);
    for (auto _ : st) {
        p.a *= p.b;
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(st.iterations() * std::int64_t(n) * n * bytes_per_pixel);
}
void BM_Skystack_ImagePlusEqScalar(benchmark::State& st) {
    int const n = int(st.range(0));
    Image<float> a(Box2I::from_min_size({0, 0}, {n, n}), 1.0f);
    for (auto _ : st) {
        a += 1e-7f;
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(st.iterations() * std::int64_t(n) * n * 8);
}
} // namespace

BENCHMARK(BM_Raw_MaskedImagePlusEq)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Skystack_MaskedImagePlusEq)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadProbe)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Skystack_MaskedImageTimesEq)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Skystack_ImagePlusEqScalar)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
