// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>
#include <skystack/image.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace skystack {

/// Interpolation used by the sub-pixel shift operator (reference dcr.md §5.2, upstream `imageInterpOrder`).
enum class ShiftInterp {
    linear = 1, ///< bilinear (spline order 1), the default
    cubic = 3,  ///< cubic B-spline (order 3) on prefiltered coefficients, see spline_prefilter()
};

namespace detail {

/// Taps of a 1-D shift: out[c] = Σ_j w[j]·in[c + offset + j]. Zero-weight taps are dropped, so an integer shift has
/// one tap of weight exactly 1 (exact copy, and a NaN neighbour does not leak in through 0·NaN).
struct ShiftTaps {
    std::array<double, 4> w{};
    int n = 0;
    int offset = 0;
};

/// Cubic B-spline β³(t).
[[nodiscard]] inline double bspline3(double t) noexcept {
    t = std::abs(t);
    if (t < 1) return 2.0 / 3.0 - t * t + 0.5 * t * t * t;
    if (t < 2) return (2 - t) * (2 - t) * (2 - t) / 6.0;
    return 0.0;
}

/// Taps for sampling local source position c + s (s real) for every output index c.
[[nodiscard]] inline ShiftTaps shift_taps(double s, bool cubic) noexcept {
    double const k = std::floor(s);
    double const f = s - k;
    ShiftTaps t;
    if (f == 0.0) { // integer: exact copy for both orders (the cubic path reads the original image then)
        t.n = 1;
        t.w[0] = 1.0;
        t.offset = int(k);
        return t;
    }
    if (!cubic) {
        t.n = 2;
        t.w = {1.0 - f, f, 0.0, 0.0};
        t.offset = int(k);
        return t;
    }
    t.n = 4;
    t.w = {bspline3(f + 1), bspline3(f), bspline3(1 - f), bspline3(2 - f)};
    t.offset = int(k) - 1;
    return t;
}

/// out[c] += Σ_{jy<NY} Σ_{jx<NX} w[jy][jx]·rows[jy][c + jx] over c in [lo, hi); rows already include the x offset.
/// The inner loop runs along x with fixed tap counts, so it vectorises.
template <int NX, int NY>
inline void shift_row_kernel(float* SKYSTACK_RESTRICT out, std::array<float const*, 4> const& rows,
                             std::array<std::array<float, 4>, 4> const& w, int lo, int hi) noexcept {
    for (int c = lo; c < hi; ++c) {
        float acc = 0.0f;
        for (int jy = 0; jy < NY; ++jy)
            for (int jx = 0; jx < NX; ++jx) acc += w[jy][jx] * rows[jy][c + jx];
        out[c] += acc;
    }
}

template <int NX>
inline void shift_row_dispatch_y(int ny, float* out, std::array<float const*, 4> const& rows,
                                 std::array<std::array<float, 4>, 4> const& w, int lo, int hi) noexcept {
    switch (ny) {
    case 1:
        shift_row_kernel<NX, 1>(out, rows, w, lo, hi);
        break;
    case 2:
        shift_row_kernel<NX, 2>(out, rows, w, lo, hi);
        break;
    case 3:
        shift_row_kernel<NX, 3>(out, rows, w, lo, hi);
        break;
    default:
        shift_row_kernel<NX, 4>(out, rows, w, lo, hi);
        break;
    }
}

/// Causal + anticausal recursion of the cubic B-spline prefilter (pole z = √3 − 2, mirror boundaries; Unser 1999,
/// Thévenaz et al. 2000) on `n` samples `stride` elements apart, in double.
inline void spline_prefilter_line(double* c, int n) noexcept {
    if (n < 2) return;
    double const z = std::sqrt(3.0) - 2.0;
    double const lambda = (1.0 - z) * (1.0 - 1.0 / z);
    for (int k = 0; k < n; ++k) c[k] *= lambda;
    // initial causal coefficient (mirror-symmetric extension)
    int const horizon = 24; // |z|^24 < 1e-13
    double sum;
    if (n > horizon) {
        double zn = 1.0;
        sum = 0.0;
        for (int k = 0; k < horizon; ++k) {
            sum += zn * c[k];
            zn *= z;
        }
    } else {
        double zn = z;
        double const iz = 1.0 / z;
        double z2n = std::pow(z, n - 1);
        sum = c[0] + z2n * c[n - 1];
        z2n *= z2n * iz;
        for (int k = 1; k <= n - 2; ++k) {
            sum += (zn + z2n) * c[k];
            zn *= z;
            z2n *= iz;
        }
        sum /= (1.0 - zn * zn);
    }
    c[0] = sum;
    for (int k = 1; k < n; ++k) c[k] += z * c[k - 1];
    c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1]);
    for (int k = n - 2; k >= 0; --k) c[k] = z * (c[k + 1] - c[k]);
}

} // namespace detail

/// Cubic B-spline coefficients of `in` (mirror boundaries), for shift_add() with ShiftInterp::cubic; same bbox as
/// `in`. Interpolating these coefficients at integer positions gives back `in` (to rounding).
[[nodiscard]] inline Image<float> spline_prefilter(ImageView<float const> in) {
    Image<float> out(in.bbox());
    int const w = in.width(), h = in.height();
    std::vector<double> line(static_cast<std::size_t>(std::max(w, h)));
    for (int y = 0; y < h; ++y) {
        auto src = in.row(y);
        std::copy(src.begin(), src.end(), line.begin());
        detail::spline_prefilter_line(line.data(), w);
        auto dst = out.row(y);
        for (int x = 0; x < w; ++x) dst[x] = float(line[x]);
    }
    for (int x = 0; x < w; ++x) { // column pass (images here are small tiles; strided access is acceptable)
        for (int y = 0; y < h; ++y) line[y] = out(x, y);
        detail::spline_prefilter_line(line.data(), h);
        for (int y = 0; y < h; ++y) out(x, y) = float(line[y]);
    }
    return out;
}

/// Accumulate a shifted copy: out(p) += weight · in(p − d) for every pixel p of `out`, in parent coordinates
/// (`in` and `out` may cover different boxes). Same convention as scipy.ndimage.shift(in, (dy, dx)):
/// out(r, c) = in(r − dy, c − dx). Samples that fall outside `in` count as 0 (scipy mode "grid-constant"; it
/// differs from scipy's default "constant" only in the outermost ring of pixels).
///
/// Linear (default): bilinear interpolation; the linear operator for −d is the exact transpose of the one for d,
/// so shift_add(…, −d) is the adjoint B*. Cubic: pass `spline = spline_prefilter(in)`; cubic B-spline
/// interpolation of the coefficients (the −d shift is then the inverse shift, not the exact transpose).
/// Integer shifts copy pixels exactly in both modes.
/// @throws LengthError when `spline` is given with a bbox different from `in`'s;
///         InvalidParameterError for a non-finite shift.
inline void shift_add(ImageView<float const> in, ImageView<float> out, Extent2D d, float weight = 1.0f,
                      ImageView<float const> spline = {}) {
    if (!std::isfinite(d.x) || !std::isfinite(d.y))
        throw InvalidParameterError(detail::msg("shift_add: shift ", d, " is not finite"));
    bool const cubic = !spline.empty();
    if (cubic && spline.bbox() != in.bbox())
        throw LengthError(
            detail::msg("shift_add: spline coefficients ", spline.bbox(), " do not match image ", in.bbox()));
    if (in.empty() || out.empty() || weight == 0.0f) return;
    // local source position of out-local (c, r): c + (out.x0 − in.x0) − dx
    double const sx = double(out.xy0().x - in.xy0().x) - d.x;
    double const sy = double(out.xy0().y - in.xy0().y) - d.y;
    auto const tx = detail::shift_taps(sx, cubic);
    auto const ty = detail::shift_taps(sy, cubic);
    // an integer shift on both axes reads the original image: exact in both modes
    ImageView<float const> const src = (cubic && !(tx.n == 1 && ty.n == 1)) ? spline : in;
    int const iw = in.width(), ih = in.height(), ow = out.width(), oh = out.height();
    // x range where every x tap is inside: 0 <= c + tx.offset and c + tx.offset + tx.n − 1 <= iw − 1
    int const lo = std::clamp(-tx.offset, 0, ow);
    int const hi = std::clamp(iw - tx.offset - tx.n + 1, lo, ow);
    for (int r = 0; r < oh; ++r) {
        std::array<float const*, 4> rows{};
        std::array<std::array<float, 4>, 4> w{};
        int ny = 0;
        for (int j = 0; j < ty.n; ++j) {
            int const yr = r + ty.offset + j;
            if (yr < 0 || yr >= ih) continue;
            rows[ny] = src.row(yr).data() + tx.offset;
            for (int i = 0; i < tx.n; ++i) w[ny][i] = float(double(weight) * ty.w[j] * tx.w[i]);
            ++ny;
        }
        if (ny == 0) continue;
        float* const o = out.row(r).data();
        // edges: per-tap bounds checks
        auto edge = [&](int c0, int c1) {
            for (int c = c0; c < c1; ++c) {
                float acc = 0.0f;
                for (int jy = 0; jy < ny; ++jy)
                    for (int jx = 0; jx < tx.n; ++jx) {
                        int const xs = c + tx.offset + jx;
                        if (xs >= 0 && xs < iw) acc += w[jy][jx] * rows[jy][c + jx];
                    }
                o[c] += acc;
            }
        };
        edge(0, lo);
        switch (tx.n) {
        case 1:
            detail::shift_row_dispatch_y<1>(ny, o, rows, w, lo, hi);
            break;
        case 2:
            detail::shift_row_dispatch_y<2>(ny, o, rows, w, lo, hi);
            break;
        default:
            detail::shift_row_dispatch_y<4>(ny, o, rows, w, lo, hi);
            break;
        }
        edge(hi, ow);
    }
}

/// out = in shifted by d (out(p) = in(p − d), parent coordinates), with the given interpolation; pixels whose
/// samples lie outside `in` get 0 contributions. See shift_add().
inline void shift_image(ImageView<float const> in, ImageView<float> out, Extent2D d,
                        ShiftInterp interp = ShiftInterp::linear) {
    out.fill(0.0f);
    if (interp == ShiftInterp::cubic) {
        Image<float> const coef = spline_prefilter(in);
        shift_add(in, out, d, 1.0f, coef.cview());
    } else {
        shift_add(in, out, d, 1.0f);
    }
}

/// A new image over in's bbox holding `in` shifted by d. See shift_image().
[[nodiscard]] inline Image<float> shifted(ImageView<float const> in, Extent2D d,
                                          ShiftInterp interp = ShiftInterp::linear) {
    Image<float> out(in.bbox());
    shift_image(in, out.view(), d, interp);
    return out;
}

} // namespace skystack
