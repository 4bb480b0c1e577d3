// SPDX-License-Identifier: MIT
// Variance-aware rejection: a sample is judged against its own (scaled) variance and the variance of the centre
// it is compared with, not against the scatter of a handful of samples (docs/quality.md).
#pragma once

#include <skystack/stack/policies.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace skystack {

/// Variance-aware clipping (a ScalarReject policy). With k = `nsigma`, the scaled variances Vᵢ of the samples and
/// n ≥ 3 samples:
///  - pass 0: centre = median m of all samples, V_m = (π/2)/Σ(1/Vⱼ); keep |xᵢ − m| ≤ k·√(Vᵢ + V_m);
///  - passes 1, 2, …: every sample (rejected ones too) is compared with the inverse-variance weighted
///    mean of the *other* current survivors, μ₋ᵢ, whose variance is V₋ᵢ = 1/Σ_{j≠i}(1/Vⱼ): keep
///    |xᵢ − μ₋ᵢ| ≤ k·√(Vᵢ + V₋ᵢ). xᵢ and μ₋ᵢ are independent, so on pure noise a sample is rejected with the
///    Gaussian two-sided tail probability 2Φ(−k), whatever n is; passes repeat until no decision changes (at most
///    `max_passes` in all). `ClipParams::max_iter` is not used: stopping before the decisions settle leaves
///    the rejected fraction on pure noise below 2Φ(−k) (tests/test_varclip.cpp).
/// Small-n rule: n = 1 keeps the sample; n = 2 keeps both when |x₁ − x₂| ≤ k·√(V₁ + V₂) and otherwise only the
/// lower one (the artefacts a coadd meets, cosmic rays, trails, ghosts, add light); if a pass would reject every
/// sample, the one nearest the median is kept. Samples whose variance is not finite and positive are never
/// rejected and take no part in a centre; with fewer than two valid variances nothing is rejected.
struct VarClip {
    static constexpr std::string_view name = "varclip";
    static constexpr int max_passes = 16; ///< cap on passes; they stop as soon as no decision changes

    template <class T>
    std::size_t scalar(std::span<T> v, std::span<T> w, std::span<T> var, ClipParams p) const {
        std::size_t const n = v.size();
        if (n <= 1) return n;
        double const k = p.nsigma;
        auto valid = [&](std::size_t i) { return std::isfinite(double(var[i])) && double(var[i]) > 0; };
        thread_local std::vector<unsigned char> keep;
        keep.assign(n, 1);
        std::size_t nvalid = 0;
        for (std::size_t i = 0; i < n; ++i) nvalid += valid(i);
        if (nvalid < 2) return n;

        if (n == 2) {
            if (!valid(0) || !valid(1)) return n;
            double const d = double(v[0]) - double(v[1]);
            if (std::abs(d) <= k * std::sqrt(double(var[0]) + double(var[1]))) return 2;
            keep[d < 0 ? 1 : 0] = 0; // keep the lower sample
            return compact(v, w, var, keep);
        }

        // Pass 0: median centre (of the valid samples) with the median's variance.
        thread_local std::vector<double> s;
        s.clear();
        double sum_inv = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (valid(i)) {
                s.push_back(double(v[i]));
                sum_inv += 1.0 / double(var[i]);
            }
        std::sort(s.begin(), s.end());
        std::size_t const m = s.size();
        double const med = m % 2 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
        double const var_med = std::numbers::pi / 2 / sum_inv;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            keep[i] = !valid(i) || std::abs(double(v[i]) - med) <= k * std::sqrt(double(var[i]) + var_med);
            kept += keep[i];
        }
        if (kept == 0) keep_nearest(v, med, keep);

        // Passes 1 …: leave-one-out inverse-variance weighted mean of the current survivors.
        thread_local std::vector<unsigned char> next;
        for (int it = 1; it < max_passes; ++it) {
            double sw = 0, swx = 0;
            std::size_t nsurv = 0;
            for (std::size_t i = 0; i < n; ++i)
                if (keep[i] && valid(i)) {
                    sw += 1.0 / double(var[i]);
                    swx += double(v[i]) / double(var[i]);
                    ++nsurv;
                }
            next.assign(keep.begin(), keep.end());
            std::size_t nkept = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!valid(i)) {
                    next[i] = 1;
                    ++nkept;
                    continue;
                }
                double wo = sw, wxo = swx;
                if (keep[i]) {
                    wo -= 1.0 / double(var[i]);
                    wxo -= double(v[i]) / double(var[i]);
                }
                if (nsurv - keep[i] == 0 || !(wo > 0)) { // no other survivor to compare with: keep as it was
                    nkept += next[i];
                    continue;
                }
                double const mu = wxo / wo;
                next[i] = std::abs(double(v[i]) - mu) <= k * std::sqrt(double(var[i]) + 1.0 / wo);
                nkept += next[i];
            }
            if (nkept == 0) keep_nearest(v, med, next);
            bool const same = std::equal(next.begin(), next.end(), keep.begin());
            keep.swap(next);
            if (same) break;
        }
        return compact(v, w, var, keep);
    }

private:
    template <class T>
    static void keep_nearest(std::span<T> v, double centre, std::vector<unsigned char>& keep) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < v.size(); ++i)
            if (std::abs(double(v[i]) - centre) < std::abs(double(v[best]) - centre)) best = i;
        keep[best] = 1;
    }
    template <class T>
    static std::size_t compact(std::span<T> v, std::span<T> w, std::span<T> var, std::vector<unsigned char>& keep) {
        std::size_t k = 0;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (keep[i]) {
                std::swap(v[k], v[i]);
                std::swap(w[k], w[i]);
                std::swap(var[k], var[i]);
                std::swap(keep[k], keep[i]);
                ++k;
            }
        return k;
    }
};
static_assert(ScalarReject<VarClip, float>);
static_assert(ScalarReject<VarClip, double>);

} // namespace skystack
