// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/image.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

/// Image helpers of the DCR regularisation (reference dcr.md §8): Gaussian smoothing with scipy's kernel and edge
/// modes, binary opening with a diamond, and per-pixel thresholds. Internal to skystack's DCR code.
namespace skystack::detail::dcr {

enum class Edge { zero, reflect }; ///< scipy mode "constant" (cval 0) and "reflect" (d c b a | a b c d)

/// Separable Gaussian filter of `in` with standard deviation `sigma` [px], kernel truncated at 4σ (scipy
/// gaussian_filter defaults). sigma ≤ 0 returns a copy.
[[nodiscard]] inline Image<float> gaussian_filter(ImageView<float const> in, double sigma, Edge edge) {
    Image<float> out = in.clone();
    if (!(sigma > 0) || in.empty()) return out;
    int const r = int(4.0 * sigma + 0.5);
    std::vector<double> k(std::size_t(2 * r + 1));
    double ks = 0;
    for (int i = -r; i <= r; ++i) ks += k[std::size_t(i + r)] = std::exp(-0.5 * i * i / (sigma * sigma));
    for (auto& v : k) v /= ks;
    int const w = in.width(), h = in.height();
    auto reflect = [](int i, int n) {
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
    };
    std::vector<double> line(std::size_t(std::max(w, h))), res(line.size());
    auto filter_line = [&](int n) {
        for (int i = 0; i < n; ++i) {
            double s = 0;
            for (int j = -r; j <= r; ++j) {
                int idx = i + j;
                if (idx < 0 || idx >= n) {
                    if (edge == Edge::zero) continue;
                    idx = reflect(idx, n);
                }
                s += k[std::size_t(j + r)] * line[std::size_t(idx)];
            }
            res[std::size_t(i)] = s;
        }
    };
    for (int y = 0; y < h; ++y) {
        auto row = out.row(y);
        std::copy(row.begin(), row.end(), line.begin());
        filter_line(w);
        for (int x = 0; x < w; ++x) row[std::size_t(x)] = float(res[std::size_t(x)]);
    }
    for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h; ++y) line[std::size_t(y)] = out(x, y);
        filter_line(h);
        for (int y = 0; y < h; ++y) out(x, y) = float(res[std::size_t(y)]);
    }
    return out;
}

/// A row-major 0/1 flag map of w × h.
struct FlagMap {
    int w = 0, h = 0;
    std::vector<std::uint8_t> f;
    FlagMap(int w_, int h_) : w(w_), h(h_), f(std::size_t(w_) * std::size_t(h_), 0) {}
    std::uint8_t& operator()(int x, int y) { return f[std::size_t(y) * std::size_t(w) + std::size_t(x)]; }
    std::uint8_t operator()(int x, int y) const { return f[std::size_t(y) * std::size_t(w) + std::size_t(x)]; }
};

/// Binary opening (erosion then dilation) with the diamond |Δx| + |Δy| ≤ radius, as scipy binary_opening with
/// iterate_structure(generate_binary_structure(2, 1), radius) and border 0: a diamond is `radius` repeated crosses.
inline void binary_opening(FlagMap& m, int radius) {
    if (radius <= 0) return;
    FlagMap tmp(m.w, m.h);
    auto step = [&](bool erode) {
        for (int y = 0; y < m.h; ++y)
            for (int x = 0; x < m.w; ++x) {
                auto at = [&](int xx, int yy) -> std::uint8_t {
                    return (xx < 0 || yy < 0 || xx >= m.w || yy >= m.h) ? 0 : m(xx, yy);
                };
                std::uint8_t const c = m(x, y), l = at(x - 1, y), r = at(x + 1, y), u = at(x, y - 1), d = at(x, y + 1);
                tmp(x, y) = erode ? (c & l & r & u & d) : (c | l | r | u | d);
            }
        std::swap(m.f, tmp.f);
    };
    for (int i = 0; i < radius; ++i) step(true);
    for (int i = 0; i < radius; ++i) step(false);
}

/// Upstream `applyImageThresholds`: flag pixels of `img` above `hi` (and, separately, below `lo`), open each flag
/// map with a diamond of `radius` so isolated (noise) pixels are left alone, and set surviving pixels to the
/// threshold. `hi`/`lo` may be null to skip that side. All images have the same dimensions.
inline void apply_thresholds(ImageView<float> img, ImageView<float const> const* hi, ImageView<float const> const* lo,
                             int radius) {
    int const w = img.width(), h = img.height();
    auto side = [&](ImageView<float const> const& t, bool upper) {
        FlagMap m(w, h);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) m(x, y) = upper ? img(x, y) > t(x, y) : img(x, y) < t(x, y);
        binary_opening(m, radius);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                if (m(x, y)) img(x, y) = t(x, y);
    };
    if (hi) side(*hi, true);
    if (lo) side(*lo, false);
}

} // namespace skystack::detail::dcr
