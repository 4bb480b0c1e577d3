// SPDX-License-Identifier: MIT
// DCR subfilter model: one iteration on 8 × 2048² inputs with 3 subfilters, beside a plain mean stack of the same
// inputs, a raw read of the same image planes, and the shift operator alone.
#include <skystack/dcr/dcr_model.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

using namespace skystack;

namespace {

constexpr int n_inputs = 8;
constexpr int side = 2048;

struct Stack {
    Box2I box = Box2I::from_min_size({0, 0}, {side, side});
    DcrConfig cfg;
    SkyJacobian jac = SkyJacobian::north_up_east_left(0.2);
    std::vector<MaskedImage<float>> owned;
    std::vector<MaskedImageView<float const>> views;
    std::vector<ObservingConditions> conds;
    std::vector<std::vector<SubfilterShift>> shifts;
    std::vector<MaskPixel> bad, conv;

    Stack() {
        cfg.effective_wavelength = 475;
        cfg.bandwidth = 150;
        cfg.num_subfilters = 3;
        cfg.subregion_size = {side, side};
        std::mt19937 rng(1);
        std::normal_distribution<float> noise(0.0f, 5.0f);
        std::uniform_real_distribution<double> pos(20.0, side - 20.0);
        std::vector<std::array<double, 2>> stars(2000);
        for (auto& s : stars) s = {pos(rng), pos(rng)};
        for (int i = 0; i < n_inputs; ++i) {
            ObservingConditions c;
            c.airmass = 1.0 + i / double(n_inputs - 1);
            c.parallactic_angle_deg = -60.0 + 120.0 * ((i * 3) % n_inputs) / double(n_inputs - 1);
            c.site = {-30.2446, 2663.0};
            conds.push_back(c);
            shifts.push_back(dcr_shifts(c, jac, cfg));
            MaskedImage<float> mi(box);
            MaskPixel const det = mi.mask().bit_mask("DETECTED");
            for (int y = 0; y < side; ++y) {
                auto r = mi.image().row(y);
                for (auto& v : r) v = noise(rng);
                for (auto& v : mi.variance().row(y)) v = 25.0f;
            }
            for (auto const& s : stars) { // 7×7 footprints with a Gaussian core
                int const cx = int(s[0]), cy = int(s[1]);
                for (int dy = -3; dy <= 3; ++dy)
                    for (int dx = -3; dx <= 3; ++dx) {
                        mi.image()(cx + dx, cy + dy) += float(500.0 * std::exp(-(dx * dx + dy * dy) / 4.5));
                        mi.mask()(cx + dx, cy + dy) = det;
                    }
            }
            owned.push_back(std::move(mi));
            bad.push_back(owned.back().mask().bit_mask({"NO_DATA", "BAD", "SAT"}));
            conv.push_back(owned.back().mask().bit_mask("DETECTED"));
        }
        for (auto const& o : owned) views.push_back(o.cview());
    }
    [[nodiscard]] double input_pixels() const { return double(n_inputs) * side * side; }
};

Stack& stack() {
    static Stack s;
    return s;
}

void per_input_pixel(benchmark::State& st, double pixels) {
    st.counters["input_px"] = benchmark::Counter(pixels, benchmark::Counter::kIsIterationInvariantRate);
}

// Raw read of the 8 image planes (bandwidth baseline for this machine, this run).
void BM_Raw_ReadImages(benchmark::State& st) {
    auto& s = stack();
    for (auto _ : st) {
        float acc[16] = {}; // 16 independent partial sums so the compiler vectorises without -ffast-math
        for (auto const& v : s.views)
            for (int y = 0; y < side; ++y) {
                float const* p = v.image().row(y).data();
                for (int x = 0; x < side; x += 16)
                    for (int j = 0; j < 16; ++j) acc[j] += p[x + j];
            }
        benchmark::DoNotOptimize(acc);
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(s.input_pixels()) * 4);
    per_input_pixel(st, s.input_pixels());
}

// Plain mask-aware mean of the same inputs, as a careful user would write it (row blocks, one pass per input).
void BM_Raw_MeanStack(benchmark::State& st) {
    auto& s = stack();
    Image<float> out(s.box);
    std::vector<float> sum(side), cnt(side);
    for (auto _ : st) {
        for (int y = 0; y < side; ++y) {
            std::fill(sum.begin(), sum.end(), 0.0f);
            std::fill(cnt.begin(), cnt.end(), 0.0f);
            for (std::size_t i = 0; i < s.views.size(); ++i) {
                auto im = s.views[i].image().row(y);
                auto mk = s.views[i].mask().row(y);
                MaskPixel const bad = s.bad[i];
                for (int x = 0; x < side; ++x) {
                    bool const ok = !(mk[std::size_t(x)] & bad);
                    sum[std::size_t(x)] += ok ? im[std::size_t(x)] : 0.0f;
                    cnt[std::size_t(x)] += ok ? 1.0f : 0.0f;
                }
            }
            auto o = out.row(y);
            for (int x = 0; x < side; ++x) o[std::size_t(x)] = sum[std::size_t(x)] / cnt[std::size_t(x)];
        }
        benchmark::DoNotOptimize(out.data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(s.input_pixels()) * 8);
    per_input_pixel(st, s.input_pixels());
}

// dcr_plain_coadd: the initial coadd the DCR model starts from (mean, variance, mask).
void BM_Dcr_PlainCoadd(benchmark::State& st) {
    auto& s = stack();
    for (auto _ : st) benchmark::DoNotOptimize(dcr_plain_coadd(s.views, s.box));
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(s.input_pixels()) * 12);
    per_input_pixel(st, s.input_pixels());
}

// One bilinear sub-pixel shift_add of a 2048² plane (the hot loop: 2·K·N of them per iteration, more when split).
void BM_Dcr_ShiftAdd(benchmark::State& st) {
    auto& s = stack();
    Image<float> out(s.box);
    for (auto _ : st) {
        shift_add(s.views[0].image(), out.view(), {1.37, -2.61});
        benchmark::DoNotOptimize(out.data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * side * side * 8);
    per_input_pixel(st, double(side) * side);
}

// Raw axpy over the same plane: the floor for one shift pass (read in, read+write out).
void BM_Raw_Axpy(benchmark::State& st) {
    auto& s = stack();
    Image<float> out(s.box);
    for (auto _ : st) {
        for (int y = 0; y < side; ++y) {
            auto in = s.views[0].image().row(y);
            float* o = out.row(y).data();
            for (int x = 0; x < side; ++x) o[x] += 0.5f * in[std::size_t(x)];
        }
        benchmark::DoNotOptimize(out.data());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * side * side * 8);
    per_input_pixel(st, double(side) * side);
}

// One DCR iteration (update §7 with all default regularisation) on the whole 2048² patch, 8 inputs, 3 subfilters.
// range(0) = 1 adds the convergence metric (§10) that the default loop computes after each update.
void BM_Dcr_Iteration(benchmark::State& st) {
    auto& s = stack();
    bool const with_metric = st.range(0) != 0;
    DcrModel model(dcr_plain_coadd(s.views, s.box), s.jac, s.cfg);
    int const buffer = dcr_buffer_size(std::span<std::vector<SubfilterShift> const>(s.shifts), s.cfg.image_interp);
    std::vector<Image<float>> planes;
    for (int a = 0; a < 3; ++a) planes.push_back(model.plane(a).clone());
    auto sub = std::make_unique<detail::dcr::Subregion>(s.cfg, s.box, s.box, s.views, s.bad, s.conv, s.shifts, planes,
                                                        model.coadd().cview(), buffer);
    for (auto _ : st) {
        sub->update(0.5);
        if (with_metric) benchmark::DoNotOptimize(sub->metric());
    }
    st.SetBytesProcessed(std::int64_t(st.iterations()) * std::int64_t(s.input_pixels()) * 8);
    per_input_pixel(st, s.input_pixels());
}

} // namespace

BENCHMARK(BM_Raw_ReadImages)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Raw_MeanStack)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dcr_PlainCoadd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Raw_Axpy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dcr_ShiftAdd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dcr_Iteration)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
