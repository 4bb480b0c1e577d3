// SPDX-License-Identifier: MIT
// statistics() on a 4096 x 4096 float image beside raw loops over the same buffer. Report ratios from one run:
//   MEAN+STDEV time / raw read time  (target: raw read >= 70 % of MEAN+STDEV throughput)
//   MEDIAN time / MEAN time          (target <= 5)
#include <skystack/simd/xsimd_compat.hpp>
#include <skystack/statistics/statistics.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using namespace skystack;

namespace {
constexpr int side = 4096;

Image<float> const& image() {
    static Image<float> const img = [] {
        Image<float> im(side, side);
        std::mt19937 rng(1);
        std::normal_distribution<float> noise(1000.0f, 10.0f);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int y = 0; y < side; ++y)
            for (float& v : im.view().row(y)) v = u(rng) < 0.001f ? 65000.0f : noise(rng);
        return im;
    }();
    return img;
}

MaskedImage<float> const& masked_image() {
    static MaskedImage<float> const mi = [] {
        MaskedImage<float> m(Extent2I{side, side});
        m.image().view().assign(image().cview());
        std::mt19937 rng(2);
        for (int y = 0; y < side; ++y)
            for (MaskPixel& v : m.mask().view().row(y)) v = (rng() % 1000 == 0) ? 0x1 : 0x0;
        m.variance().view().fill(100.0f);
        return m;
    }();
    return mi;
}

std::int64_t bytes_of(Image<float> const& img) { return std::int64_t(img.width()) * img.height() * 4; }

// A careful user's read loop: SIMD sum with four accumulators over every row (the bandwidth probe).
void BM_Raw_ReadBandwidth(benchmark::State& st) {
    auto const& img = image();
    using B = simd::batch<float>;
    constexpr std::size_t L = B::size;
    for (auto _ : st) {
        B a(0.0f), b(0.0f), c(0.0f), d(0.0f);
        for (int y = 0; y < img.height(); ++y) {
            float const* p = img.cview().row(y).data();
            std::size_t const n = std::size_t(img.width());
            for (std::size_t i = 0; i + 4 * L <= n; i += 4 * L) {
                a += B::load_aligned(p + i);
                b += B::load_aligned(p + i + L);
                c += B::load_aligned(p + i + 2 * L);
                d += B::load_aligned(p + i + 3 * L);
            }
        }
        benchmark::DoNotOptimize(simd::reduce_add(a + b + c + d));
    }
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Raw_ReadBandwidth)->Unit(benchmark::kMillisecond);

// The same read plus a scalar double mean/variance (what a plain loop gives).
void BM_Raw_ScalarMeanStdev(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) {
        double s = 0, ss = 0;
        std::size_t n = 0;
        for (int y = 0; y < img.height(); ++y)
            for (float v : img.cview().row(y)) {
                if (!std::isfinite(v)) continue;
                double const d = double(v) - 1000.0;
                s += d;
                ss += d * d;
                ++n;
            }
        benchmark::DoNotOptimize(s + ss + double(n));
    }
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Raw_ScalarMeanStdev)->Unit(benchmark::kMillisecond);

void BM_Skystack_Mean(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) benchmark::DoNotOptimize(statistics(img, Stat::Mean).value());
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_Mean)->Unit(benchmark::kMillisecond);

void BM_Skystack_MeanStdev(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) benchmark::DoNotOptimize(statistics(img, Stat::Mean | Stat::Stdev).value(Stat::Stdev));
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_MeanStdev)->Unit(benchmark::kMillisecond);

void BM_Skystack_MeanStdevMinMax(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st)
        benchmark::DoNotOptimize(statistics(img, Stat::Mean | Stat::Stdev | Stat::Min | Stat::Max).value(Stat::Max));
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_MeanStdevMinMax)->Unit(benchmark::kMillisecond);

// Masked: image + mask planes are read (8 bytes per pixel).
void BM_Skystack_MaskedMeanStdev(benchmark::State& st) {
    auto const& mi = masked_image();
    for (auto _ : st)
        benchmark::DoNotOptimize(statistics(mi, Stat::Mean | Stat::Stdev, {.bad_mask = 0x1}).value(Stat::Stdev));
    st.SetBytesProcessed(st.iterations() * 2 * bytes_of(image()));
}
BENCHMARK(BM_Skystack_MaskedMeanStdev)->Unit(benchmark::kMillisecond);

void BM_Skystack_Median(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) benchmark::DoNotOptimize(statistics(img, Stat::Median).value());
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_Median)->Unit(benchmark::kMillisecond);

void BM_Skystack_MedianIqr(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) benchmark::DoNotOptimize(statistics(img, Stat::Median | Stat::IqRange).value(Stat::IqRange));
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_MedianIqr)->Unit(benchmark::kMillisecond);

void BM_Skystack_MeanClip(benchmark::State& st) {
    auto const& img = image();
    for (auto _ : st) benchmark::DoNotOptimize(statistics(img, Stat::MeanClip).value());
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Skystack_MeanClip)->Unit(benchmark::kMillisecond);

// What a careful user would do for a median: copy the finite pixels, std::nth_element.
void BM_Raw_MedianNthElement(benchmark::State& st) {
    auto const& img = image();
    std::vector<float> buf;
    for (auto _ : st) {
        buf.clear();
        for (int y = 0; y < img.height(); ++y)
            for (float v : img.cview().row(y))
                if (std::isfinite(v)) buf.push_back(v);
        auto mid = buf.begin() + std::ptrdiff_t(buf.size() / 2);
        std::nth_element(buf.begin(), mid, buf.end());
        benchmark::DoNotOptimize(*mid);
    }
    st.SetBytesProcessed(st.iterations() * bytes_of(img));
}
BENCHMARK(BM_Raw_MedianNthElement)->Unit(benchmark::kMillisecond);
} // namespace

BENCHMARK_MAIN();
