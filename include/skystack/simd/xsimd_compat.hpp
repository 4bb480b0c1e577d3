// SPDX-License-Identifier: MIT
// The one place where xsimd version differences live (Debian 12 ships 8.1; current releases are 13/14).
// Everything else in skystack uses only the public batch API plus the helpers below.
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <cstddef>

#ifndef XSIMD_VERSION_MAJOR
#error "xsimd version macros not found"
#endif

namespace skystack::simd {

/// The architecture the user's compile flags select (xsimd::default_arch).
using default_arch = xsimd::default_arch;

template <class T, class A = default_arch>
using batch = xsimd::batch<T, A>;

/// Lanes of a batch of T on architecture A.
template <class T, class A = default_arch>
inline constexpr std::size_t lanes = xsimd::batch<T, A>::size;

/// Horizontal sum.
template <class T, class A>
T reduce_add(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_add(b);
#else
    return xsimd::hadd(b); // the 8.1 name, removed in 9.0
#endif
}

/// Horizontal minimum (reduce_min is 9.0+; spill and loop on 8.1).
template <class T, class A>
T reduce_min(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_min(b);
#else
    alignas(64) std::array<T, xsimd::batch<T, A>::size> t;
    b.store_aligned(t.data());
    return *std::min_element(t.begin(), t.end());
#endif
}

/// Horizontal maximum.
template <class T, class A>
T reduce_max(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_max(b);
#else
    alignas(64) std::array<T, xsimd::batch<T, A>::size> t;
    b.store_aligned(t.data());
    return *std::max_element(t.begin(), t.end());
#endif
}

/// Number of true lanes (xsimd::count is 13.1+): select 1/0 and sum.
template <class T, class A>
std::size_t count_true(xsimd::batch_bool<T, A> const& m) noexcept {
    using B = xsimd::batch<T, A>;
    return static_cast<std::size_t>(reduce_add(xsimd::select(m, B(T(1)), B(T(0)))));
}

/// Reinterpret the bits of a batch as a batch of another element type of the same width (xsimd's bitwise_cast
/// takes the target batch type on 8.x and the target element type from 9.0).
template <class To, class From, class A>
xsimd::batch<To, A> bit_cast_batch(xsimd::batch<From, A> const& b) noexcept {
    static_assert(sizeof(To) == sizeof(From));
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::bitwise_cast<To>(b);
#else
    return xsimd::bitwise_cast<xsimd::batch<To, A>>(b);
#endif
}

/// A batch_bool as a batch of all-ones / all-zeros lanes of the same element type (portable across versions).
template <class T, class A>
xsimd::batch<T, A> bool_bits(xsimd::batch_bool<T, A> const& m) noexcept {
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    T const ones = std::bit_cast<T>(~U(0));
    return xsimd::select(m, xsimd::batch<T, A>(ones), xsimd::batch<T, A>(T(0)));
}

/// True when compress_store is a few instructions (AVX-512), so calling it on every batch beats a branch.
template <class T, class A>
inline constexpr bool fast_compress =
#if defined(__AVX512F__)
    std::is_base_of_v<xsimd::avx512f, A> && (std::is_same_v<T, float> || std::is_same_v<T, double>);
#else
    false;
#endif

/// Store the lanes of v selected by m contiguously at dst and return how many were stored. dst must have room for
/// a whole batch (lanes past the count are scratch). AVX-512: one in-register compress and a full store (a
/// compress straight to memory is microcoded on some cores); elsewhere a branch-free lane loop.
template <class T, class A>
std::size_t compress_store(T* dst, xsimd::batch<T, A> const& v, xsimd::batch_bool<T, A> const& m) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, float>) {
        __mmask16 const k = static_cast<__mmask16>(m);
        _mm512_storeu_ps(dst, _mm512_maskz_compress_ps(k, v));
        return static_cast<std::size_t>(std::popcount(static_cast<unsigned>(k)));
    } else if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, double>) {
        __mmask8 const k = static_cast<__mmask8>(m);
        _mm512_storeu_pd(dst, _mm512_maskz_compress_pd(k, v));
        return static_cast<std::size_t>(std::popcount(static_cast<unsigned>(k)));
    } else
#endif
    {
        constexpr std::size_t L = xsimd::batch<T, A>::size;
        alignas(64) T vals[L];
        alignas(64) T flags[L];
        v.store_aligned(vals);
        xsimd::select(m, xsimd::batch<T, A>(T(1)), xsimd::batch<T, A>(T(0))).store_aligned(flags);
        std::size_t p = 0;
        for (std::size_t k = 0; k < L; ++k) {
            dst[p] = vals[k];
            p += flags[k] != T(0) ? 1 : 0;
        }
        return p;
    }
}

/// Reinterpret a batch_bool as the batch_bool of another element type of the same width (lane masks carry over).
/// Where both share one register type (AVX-512 mask registers) this is free; otherwise it goes through the
/// all-ones lane bits.
template <class To, class From, class A>
xsimd::batch_bool<To, A> bool_cast(xsimd::batch_bool<From, A> const& b) noexcept {
    static_assert(sizeof(To) == sizeof(From));
    using RF = typename xsimd::batch_bool<From, A>::register_type;
    // a bit-mask register (one bit per lane, AVX-512 k-registers) is the same for every element type
    if constexpr (sizeof(RF) * 8 == xsimd::batch_bool<From, A>::size) {
        return xsimd::batch_bool<To, A>(static_cast<RF>(b));
    } else {
        return xsimd::batch_bool<To, A>(
            static_cast<typename xsimd::batch<To, A>::register_type>(bit_cast_batch<To>(bool_bits(b))));
    }
}

} // namespace skystack::simd
