// SPDX-License-Identifier: MIT
// GCC 12 at -O3 -march=native (AVX-512) warns -Wmaybe-uninitialized inside xsimd 8.1's avx512 hadd, on the
// `__m256d __Y = __Y` idiom of _mm256_undefined_pd in GCC's own intrinsics: a false positive. The warning is
// attributed to the intrinsic headers' lines, so it is silenced for them only, where xsimd first includes them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <skystack/simd/xsimd_compat.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <doctest/doctest.h>

#include <vector>

using namespace skystack;

TEST_CASE_TEMPLATE("xsimd compat reductions match a scalar loop", T, float, double) {
    constexpr std::size_t n = simd::lanes<T>;
    alignas(64) T v[n];
    for (std::size_t i = 0; i < n; ++i) v[i] = T(i % 3 == 0 ? -1.5 * double(i) : double(i) + 0.25);
    auto b = simd::batch<T>::load_aligned(v);
    T sum = 0, mn = v[0], mx = v[0];
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += v[i];
        mn = std::min(mn, v[i]);
        mx = std::max(mx, v[i]);
        pos += v[i] > 0;
    }
    CHECK(simd::reduce_add(b) == doctest::Approx(sum));
    CHECK(simd::reduce_min(b) == mn);
    CHECK(simd::reduce_max(b) == mx);
    CHECK(simd::count_true(b > simd::batch<T>(T(0))) == pos);
}
