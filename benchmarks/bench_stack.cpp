// SPDX-License-Identifier: MIT
// The stacker on the PEERS.md workload: 32 × 2048² float32 frames with variance and mask, already in memory.
// Beside it, in the same binary: a streaming read of the same planes (the bandwidth baseline) and a raw
// mask- and NaN-aware mean written as a careful user would (pixel-outer loop over the frames).
// Ratios to report: Mean / read time (all planes), Median and ClippedMean / Mean, 1 → 2 threads.
#include <skystack/stack/stacker.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace skystack;

namespace {

int env_int(char const* name, int def) {
    char const* s = std::getenv(name);
    return s ? std::atoi(s) : def;
}

/// The stack, built once: sky ~1000 with a gradient, Gaussian noise with per-frame read noise, 0.1 % cosmic rays
/// (unmasked), 0.005 % NaN (unmasked), a BAD dead column (value 0) and 0.02 % SAT hot pixels (65000).
struct Stack {
    int n = env_int("SKYSTACK_BENCH_N", 32);
    int size = env_int("SKYSTACK_BENCH_SIZE", 2048);
    std::vector<MaskedImageF> frames;
    std::vector<MaskedImageView<float const>> views;
    Box2I bbox;

    Stack() {
        bbox = Box2I::from_min_size({0, 0}, {size, size});
        auto const planes = MaskPlanes::shared_default();
        MaskPixel const bad = planes->bit_mask("BAD"), sat = planes->bit_mask("SAT");
        std::uint64_t st = 0x9E3779B97F4A7C15ull;
        auto next = [&] { // xorshift64*
            st ^= st >> 12;
            st ^= st << 25;
            st ^= st >> 27;
            return (st * 0x2545F4914F6CDD1Dull) >> 11;
        };
        auto uni = [&] { return float(next()) * (1.0f / 9007199254740992.0f); };
        for (int k = 0; k < n; ++k) {
            MaskedImageF mi(bbox);
            float const rn = 5.f + float(k % 7);
            float const var = 1000.f + rn * rn;
            for (int y = 0; y < size; ++y) {
                auto img = mi.image().view().row(y);
                auto msk = mi.mask().view().row(y);
                auto vv = mi.variance().view().row(y);
                for (int x = 0; x < size; ++x) {
                    float const g = (uni() + uni() + uni() + uni() - 2.f) * 1.7320508f; // ~N(0,1)
                    float v = 1000.f + 0.01f * float(x + y) + std::sqrt(var) * g;
                    MaskPixel m = 0;
                    float const r = uni();
                    if (r < 0.001f)
                        v += 5000.f * uni();
                    else if (r < 0.00105f)
                        v = std::numeric_limits<float>::quiet_NaN();
                    else if (r < 0.00125f)
                        v = 65000.f, m = sat;
                    if (x == 100 + k) v = 0.f, m = bad;
                    img[x] = v;
                    msk[x] = m;
                    vv[x] = var;
                }
            }
            frames.push_back(std::move(mi));
        }
        views.assign(frames.begin(), frames.end());
    }
    [[nodiscard]] double samples() const { return double(n) * size * size; }
};

Stack& data() {
    static Stack s;
    return s;
}

/// Streaming read of image + mask + variance planes of every frame (what a mean must read), on `threads`.
void BM_Read_AllPlanes(benchmark::State& st) {
    auto& d = data();
    int const nt = int(st.range(0));
    for (auto _ : st) {
        std::vector<double> part(std::size_t(nt), 0.0);
        auto work = [&](int t) {
            using B = xsimd::batch<float>;
            using U = xsimd::batch<std::uint32_t>;
            B acc(0.f);
            U orr(0u);
            for (int k = 0; k < d.n; ++k) {
                auto const& f = d.frames[std::size_t(k)];
                int const y0 = d.size * t / nt, y1 = d.size * (t + 1) / nt;
                for (int y = y0; y < y1; ++y) {
                    float const* a = f.image().row(y).data();
                    float const* v = f.variance().row(y).data();
                    MaskPixel const* m = f.mask().row(y).data();
                    for (int x = 0; x < d.size; x += int(B::size)) {
                        acc += B::load_aligned(a + x) + B::load_aligned(v + x);
                        orr |= U::load_aligned(m + x);
                    }
                }
            }
            alignas(64) float fa[B::size];
            alignas(64) std::uint32_t fo[B::size];
            acc.store_aligned(fa);
            orr.store_aligned(fo);
            for (std::size_t l = 0; l < B::size; ++l) part[std::size_t(t)] += double(fa[l]) + double(fo[l] & 1u);
        };
        if (nt == 1) {
            work(0);
        } else {
            std::vector<std::jthread> th;
            for (int t = 0; t < nt; ++t) th.emplace_back(work, t);
        }
        benchmark::DoNotOptimize(part);
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * d.samples() * 12));
}

/// Raw, mask- and NaN-aware weighted mean with variance, as a careful user writes it: for each pixel, loop over
/// the frames (32 streams), accumulate in float.
void BM_Raw_MaskedMean(benchmark::State& st) {
    auto& d = data();
    MaskPixel const bad = MaskPlanes::shared_default()->bit_mask({"NO_DATA", "BAD", "SAT", "EDGE"});
    MaskedImageF out(d.bbox);
    for (auto _ : st) {
        for (int y = 0; y < d.size; ++y) {
            float* oi = out.image().view().row(y).data();
            float* ov = out.variance().view().row(y).data();
            for (int x = 0; x < d.size; ++x) {
                float s = 0, sw = 0, sv = 0;
                for (int k = 0; k < d.n; ++k) {
                    auto const& f = d.frames[std::size_t(k)];
                    float const v = f.image()(x, y);
                    if ((f.mask()(x, y) & bad) || !std::isfinite(v)) continue;
                    s += v;
                    sw += 1;
                    sv += f.variance()(x, y);
                }
                oi[x] = s / sw;
                ov[x] = sv / (sw * sw);
            }
        }
        benchmark::DoNotOptimize(out.image().view().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * d.samples() * 12));
}

template <class C>
void BM_Stack(benchmark::State& st) {
    auto& d = data();
    StackConfig cfg;
    cfg.threads = int(st.range(0));
    cfg.weights.assign(std::size_t(d.n), 1.0); // default weights are a separate pass; time the combine
    if (st.range(1) > 0) cfg.tile_size = {int(st.range(1)), int(st.range(2))};
    Stacker<C> const s(cfg);
    for (auto _ : st) {
        auto r = s(d.views, d.bbox);
        benchmark::DoNotOptimize(r.coadd.image().view().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * d.samples() * 12)); // planes read: image, mask, variance
}

/// The same, written into a preallocated output (Stacker::into): the combine alone, without the page faults of
/// a fresh 48 MB output per call.
template <class C>
void BM_StackInto(benchmark::State& st) {
    auto& d = data();
    StackConfig cfg;
    cfg.threads = int(st.range(0));
    cfg.weights.assign(std::size_t(d.n), 1.0);
    if (st.range(1) > 0) cfg.tile_size = {int(st.range(1)), int(st.range(2))};
    Stacker<C> const s(cfg);
    MaskedImageF out(d.bbox);
    for (auto _ : st) {
        s.into(d.views, out.view());
        benchmark::DoNotOptimize(out.image().view().data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * d.samples() * 12));
}

} // namespace

BENCHMARK(BM_Read_AllPlanes)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Raw_MaskedMean)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_TEMPLATE(BM_Stack, Mean)->Args({1, 0, 0})->Args({2, 0, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Stack, WeightedMean)
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_Stack, Median)->Args({1, 0, 0})->Args({2, 0, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Stack, ClippedMean)
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_TEMPLATE(BM_StackInto, Mean)->Args({1, 0, 0})->Args({2, 0, 0})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_StackInto, Median)
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_StackInto, ClippedMean)
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Tile-shape sweep for the accumulating engine (threads, tile width, tile height).
BENCHMARK_TEMPLATE(BM_StackInto, Mean)
    ->Args({1, 512, 16})
    ->Args({1, 1024, 8})
    ->Args({1, 2048, 4})
    ->Args({1, 2048, 2})
    ->Args({1, 2048, 8})
    ->Args({1, 2048, 16})
    ->Args({1, 1024, 16})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
