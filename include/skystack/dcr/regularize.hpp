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
/// gaussian_filter defaults). sigma ≤ 0 returns a copy. Both passes run along rows so the inner loops vectorise.
[[nodiscard]] inline Image<float> gaussian_filter(ImageView<float const> in, double sigma, Edge edge) {
    if (!(sigma > 0) || in.empty()) return in.clone();
    int const r = int(4.0 * sigma + 0.5);
    std::vector<float> k(std::size_t(2 * r + 1));
    double ks = 0;
    for (int i = -r; i <= r; ++i) ks += std::exp(-0.5 * i * i / (sigma * sigma));
    for (int i = -r; i <= r; ++i) k[std::size_t(i + r)] = float(std::exp(-0.5 * i * i / (sigma * sigma)) / ks);
    int const w = in.width(), h = in.height();
    auto reflect = [](int i, int n) {
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
    };
    // horizontal pass: edges with index mapping, interior without
    Image<float> tmp(in.bbox());
    for (int y = 0; y < h; ++y) {
        float const* src = in.row(y).data();
        float* dst = tmp.row(y).data();
        auto edge_px = [&](int x) {
            float s = 0;
            for (int j = -r; j <= r; ++j) {
                int idx = x + j;
                if (idx < 0 || idx >= w) {
                    if (edge == Edge::zero) continue;
                    idx = reflect(idx, w);
                }
                s += k[std::size_t(j + r)] * src[idx];
            }
            dst[x] = s;
        };
        int const lo = std::min(r, w), hi = std::max(lo, w - r);
        for (int x = 0; x < lo; ++x) edge_px(x);
        for (int x = lo; x < hi; ++x) dst[x] = 0.0f;
        for (int j = -r; j <= r; ++j) {
            float const kj = k[std::size_t(j + r)];
            float const* sj = src + j;
            for (int x = lo; x < hi; ++x) dst[x] += kj * sj[x];
        }
        for (int x = hi; x < w; ++x) edge_px(x);
    }
    // vertical pass: each output row is a weighted sum of whole input rows
    Image<float> out(in.bbox());
    for (int y = 0; y < h; ++y) {
        float* dst = out.row(y).data();
        for (int j = -r; j <= r; ++j) {
            int yy = y + j;
            if (yy < 0 || yy >= h) {
                if (edge == Edge::zero) continue;
                yy = reflect(yy, h);
            }
            float const kj = k[std::size_t(j + r)];
            float const* src = tmp.row(yy).data();
            for (int x = 0; x < w; ++x) dst[x] += kj * src[x];
        }
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
    if (radius <= 0 || m.w == 0 || m.h == 0) return;
    // zero-padded copies (one pixel each side) so the cross steps need no bounds checks
    int const pw = m.w + 2, ph = m.h + 2;
    std::vector<std::uint8_t> a(std::size_t(pw) * std::size_t(ph), 0), b(a.size(), 0);
    for (int y = 0; y < m.h; ++y)
        std::copy_n(&m.f[std::size_t(y) * std::size_t(m.w)], m.w, &a[std::size_t(y + 1) * std::size_t(pw) + 1]);
    auto step = [&](bool erode) {
        for (int y = 1; y <= m.h; ++y) {
            std::uint8_t const* c = &a[std::size_t(y) * std::size_t(pw)];
            std::uint8_t const* u = c - pw;
            std::uint8_t const* d = c + pw;
            std::uint8_t* o = &b[std::size_t(y) * std::size_t(pw)];
            if (erode)
                for (int x = 1; x <= m.w; ++x) o[x] = c[x] & c[x - 1] & c[x + 1] & u[x] & d[x];
            else
                for (int x = 1; x <= m.w; ++x) o[x] = c[x] | c[x - 1] | c[x + 1] | u[x] | d[x];
        }
        std::swap(a, b); // the zero border of both buffers is never written
    };
    for (int i = 0; i < radius; ++i) step(true);
    for (int i = 0; i < radius; ++i) step(false);
    for (int y = 0; y < m.h; ++y)
        std::copy_n(&a[std::size_t(y + 1) * std::size_t(pw) + 1], m.w, &m.f[std::size_t(y) * std::size_t(m.w)]);
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
