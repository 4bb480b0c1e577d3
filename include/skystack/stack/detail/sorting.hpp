// SPDX-License-Identifier: MIT
// Sorting networks (Batcher's odd-even merge sort) over xsimd batches, lane-wise: the batch paths of Median and
// SigmaClip sort each pixel's samples with them (+inf, the not-accepted samples, sort last).
#pragma once

#include <skystack/config.hpp>
#include <skystack/simd/xsimd_compat.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

// GCC 12 reports its own _mm512_min_ps/_mm512_max_ps (built on _mm512_undefined_ps) as "used uninitialized"
// when inlined here under -mavx512f (GCC bug 105593); the suppression covers this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace skystack::detail {

/// Comparator pairs (i < j) of Batcher's odd-even merge sort for n elements: the network for the next power
/// of two with every comparator touching an index ≥ n dropped, which is exact when the missing elements are
/// +inf (they would never move).
inline std::vector<std::pair<std::uint16_t, std::uint16_t>> sorting_network(std::size_t n) {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
    std::size_t N = 1;
    while (N < n) N <<= 1;
    for (std::size_t p = 1; p < N; p <<= 1)
        for (std::size_t k = p; k >= 1; k >>= 1)
            for (std::size_t j = k % p; j + k < N; j += 2 * k)
                for (std::size_t i = 0; i < std::min(k, N - j - k); ++i)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n)
                        out.emplace_back(std::uint16_t(i + j), std::uint16_t(i + j + k));
    return out;
}

/// The network for n ≤ 1024 inputs, built once per size (thread-safe static per size bucket).
inline std::span<std::pair<std::uint16_t, std::uint16_t> const> cached_sorting_network(std::size_t n) {
    static constexpr std::size_t max_cached = 1024;
    if (n > max_cached) return {};
    static std::vector<std::vector<std::pair<std::uint16_t, std::uint16_t>>> const nets = [] {
        std::vector<std::vector<std::pair<std::uint16_t, std::uint16_t>>> v;
        v.reserve(65);
        for (std::size_t i = 0; i <= 64; ++i) v.push_back(sorting_network(i));
        return v;
    }();
    if (n <= 64) return nets[n];
    thread_local std::vector<std::pair<std::uint16_t, std::uint16_t>> big;
    thread_local std::size_t big_n = 0;
    if (big_n != n) {
        big = sorting_network(n);
        big_n = n;
    }
    return big;
}

/// Number of comparators of Batcher's network for N (a power of two) elements.
constexpr std::size_t batcher_size(std::size_t N) {
    std::size_t c = 0;
    for (std::size_t p = 1; p < N; p <<= 1)
        for (std::size_t k = p; k >= 1; k >>= 1)
            for (std::size_t j = k % p; j + k < N; j += 2 * k)
                for (std::size_t i = 0; i < std::min(k, N - j - k); ++i)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) ++c;
    return c;
}
/// Batcher's network for N (a power of two) elements, as a compile-time array of comparator pairs.
template <std::size_t N>
consteval auto batcher_network() {
    std::array<std::pair<std::uint8_t, std::uint8_t>, batcher_size(N)> out{};
    std::size_t c = 0;
    for (std::size_t p = 1; p < N; p <<= 1)
        for (std::size_t k = p; k >= 1; k >>= 1)
            for (std::size_t j = k % p; j + k < N; j += 2 * k)
                for (std::size_t i = 0; i < std::min(k, N - j - k); ++i)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p))
                        out[c++] = {std::uint8_t(i + j), std::uint8_t(i + j + k)};
    return out;
}
/// Comparators [Off, Off + 128) of the N-input network, unrolled (folds stay under clang's 256-expression limit).
template <std::size_t N, std::size_t Off, class B>
SKYSTACK_FORCEINLINE void sort_block(B* r) noexcept {
    static constexpr auto net = batcher_network<N>();
    constexpr std::size_t count = std::min<std::size_t>(128, net.size() - Off);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((void)([&] {
             constexpr auto c = net[Off + I];
             B const a = r[c.first], b = r[c.second];
             r[c.first] = xsimd::min(a, b);
             r[c.second] = xsimd::max(a, b);
         }()),
         ...);
    }
    (std::make_index_sequence<count>{});
}
/// Sort N batches held in a local array, fully unrolled so that they can live in registers.
template <std::size_t N, class B>
SKYSTACK_FORCEINLINE void sort_fixed(B* r) noexcept {
    constexpr std::size_t size = batcher_size(N);
    [&]<std::size_t... K>(std::index_sequence<K...>) { (sort_block<N, K * 128>(r), ...); }
    (std::make_index_sequence<(size + 127) / 128>{});
}
template <std::size_t N, class B>
void sort_padded(std::span<B const> src, std::span<B> v) noexcept {
    B r[N];
    std::size_t const n = v.size();
    for (std::size_t i = 0; i < n; ++i) r[i] = src[i];
    for (std::size_t i = n; i < N; ++i) r[i] = B(std::numeric_limits<typename B::value_type>::infinity());
    sort_fixed<N>(r);
    for (std::size_t i = 0; i < n; ++i) v[i] = r[i];
}

/// Sort v[0..n) lane-wise in place (ascending; +inf last). Up to 64 inputs: the unrolled network of the next
/// power of two, padded with +inf (the same result as the n-input network); beyond, a cached comparator list.
template <class B>
void sort_batches(std::span<B const> src, std::span<B> v) noexcept {
    std::size_t const n = v.size();
    if (n <= 4) return sort_padded<4>(src, v);
    if (n <= 8) return sort_padded<8>(src, v);
    if (n <= 16) return sort_padded<16>(src, v);
    if (n <= 32) return sort_padded<32>(src, v);
    if (n <= 64) return sort_padded<64>(src, v);
    if (src.data() != v.data()) std::copy(src.begin(), src.end(), v.begin());
    auto const net = cached_sorting_network(n);
    if (net.empty()) { // > 1024 inputs: odd-even transposition sort (n rounds), also a network
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t i = r % 2; i + 1 < n; i += 2) {
                B const a = v[i], b = v[i + 1];
                v[i] = xsimd::min(a, b);
                v[i + 1] = xsimd::max(a, b);
            }
        return;
    }
    for (auto [i, j] : net) {
        B const a = v[i], b = v[j];
        v[i] = xsimd::min(a, b);
        v[j] = xsimd::max(a, b);
    }
}

/// Sort v in place (see above).
template <class B>
void sort_batches(std::span<B> v) noexcept {
    sort_batches(std::span<B const>(v.data(), v.size()), v);
}

} // namespace skystack::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
