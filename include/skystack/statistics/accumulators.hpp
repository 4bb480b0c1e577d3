// SPDX-License-Identifier: MIT
// From pass sums to afw's estimators (src/math/Statistics.cc processPixels): weighted mean, debiased weighted
// variance, the error of the mean and of the variance.
#pragma once

#include <skystack/simd/kernels.hpp>

#include <cmath>
#include <cstddef>
#include <limits>

namespace skystack::detail {

/// afw's estimators over one pass (standard or clipped).
struct PassResult {
    double n = 0;    ///< accepted pixels
    double sumw = 0; ///< sum of weights (n when unweighted)
    double sum = 0;  ///< sum of w*x
    double mean = std::numeric_limits<double>::quiet_NaN();
    double mean_var = std::numeric_limits<double>::quiet_NaN();     ///< (error of the mean)^2
    double variance = std::numeric_limits<double>::quiet_NaN();     ///< debiased sample variance
    double variance_var = std::numeric_limits<double>::quiet_NaN(); ///< (error of the variance)^2
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
    MaskPixel ormask = 0;
};

/// afw varianceError: 2 (n - 1) s^4 / n^2 (Gaussian; "incorrect if weighted", as afw says).
inline double variance_error2(double variance, double n) noexcept {
    return 2.0 * (n - 1.0) * variance * variance / (n * n);
}

/// Turn sums taken with d = x - shift into afw's estimators:
///   mean = sum(w d)/sum(w) + shift,
///   s^2 = (sum(w d^2)/sum(w) - (sum(w d)/sum(w))^2) * sum(w)^2 / (sum(w)^2 - sum(w^2)),
///   err^2(mean) = sum(w^2 V)/sum(w)^2 with error_from_input_variance, else s^2 sum(w^2)/sum(w)^2.
/// Unweighted sums use sum(w) = sum(w^2) = n. n = 0 gives NaN everywhere except sum = 0; n = 1 a NaN variance.
inline PassResult finish_pass(simd::Moments const& m, double shift, bool weighted, bool error_from_input_variance) {
    PassResult r;
    double const n = m.n;
    double const sumw = weighted ? m.sumw : n;
    double const sumw2 = weighted ? m.sumw2 : n;
    r.n = n;
    r.sumw = sumw;
    double const mean_d = m.sumx / sumw;
    double variance = m.sumx2 / sumw - mean_d * mean_d;
    variance *= sumw * sumw / (sumw * sumw - sumw2);
    r.variance = variance;
    r.mean_var = error_from_input_variance ? m.sumvw2 / (sumw * sumw) : variance * sumw2 / (sumw * sumw);
    r.variance_var = variance_error2(variance, n);
    r.sum = m.sumx + sumw * shift;
    r.mean = mean_d + shift;
    if (n > 0) {
        r.min = m.min;
        r.max = m.max;
    }
    r.ormask = m.ormask;
    return r;
}

} // namespace skystack::detail
