// SPDX-License-Identifier: MIT
// Command-line driver for tests/interop/statistics_interop.py: reads a raw float32 image (and optionally a raw
// uint32 mask), prints every statistic as "NAME value" lines.
//   statistics_driver IMAGE.f32 WIDTH HEIGHT [MASK.u32 BAD_MASK] [NSIGMA MAX_ITER]
#include <skystack/statistics/statistics.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace skystack;

namespace {
template <class T>
std::vector<T> read_raw(char const* path, std::size_t n) {
    std::vector<T> v(n);
    std::ifstream f(path, std::ios::binary);
    if (!f.read(reinterpret_cast<char*>(v.data()), std::streamsize(n * sizeof(T)))) {
        std::cerr << "cannot read " << n << " values from " << path << "\n";
        std::exit(2);
    }
    return v;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: statistics_driver IMAGE.f32 WIDTH HEIGHT [MASK.u32 BAD_MASK] [NSIGMA MAX_ITER]\n";
        return 2;
    }
    int const w = std::atoi(argv[2]), h = std::atoi(argv[3]);
    auto const pix = read_raw<float>(argv[1], std::size_t(w) * std::size_t(h));
    MaskedImage<float> mi(Extent2I{w, h});
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) mi.image()(x, y) = pix[std::size_t(y) * std::size_t(w) + std::size_t(x)];
    mi.variance().view().fill(1.0f);
    StatisticsConfig cfg;
    if (argc >= 6) {
        auto const m = read_raw<MaskPixel>(argv[4], std::size_t(w) * std::size_t(h));
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) mi.mask()(x, y) = m[std::size_t(y) * std::size_t(w) + std::size_t(x)];
        cfg.bad_mask = MaskPixel(std::stoul(argv[5]));
    }
    if (argc >= 8) {
        cfg.nsigma = std::stod(argv[6]);
        cfg.max_iter = std::atoi(argv[7]);
    }
    Stat all = Stat::Nothing;
    for (Stat f : all_stats) all |= f;
    auto const s = statistics(mi, all, cfg);
    for (Stat f : all_stats) {
        if (f == Stat::Errors) continue;
        std::printf("%s %.17g %.17g\n", std::string(name(f)).c_str(), s.value(f), s.error(f));
    }
    return 0;
}
