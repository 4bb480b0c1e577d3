// SPDX-License-Identifier: MIT
// The one place where xsimd version differences live (Debian 12 ships 8.1; current releases are 13/14).
// Everything else in skystack uses only the public batch API plus the helpers below.
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

#ifndef XSIMD_VERSION_MAJOR
#error "xsimd version macros not found"
#endif

namespace skystack::simd {

/// The architecture the user's compile flags select (xsimd::default_arch).
using default_arch = xsimd::default_arch;

template <class T, class A = default_arch> using batch = xsimd::batch<T, A>;

/// Lanes of a batch of T on architecture A.
template <class T, class A = default_arch> inline constexpr std::size_t lanes = xsimd::batch<T, A>::size;

/// Horizontal sum.
template <class T, class A> T reduce_add(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_add(b);
#else
    return xsimd::hadd(b); // the 8.1 name, removed in 9.0
#endif
}

/// Horizontal minimum (reduce_min is 9.0+; spill and loop on 8.1).
template <class T, class A> T reduce_min(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_min(b);
#else
    alignas(64) std::array<T, xsimd::batch<T, A>::size> t;
    b.store_aligned(t.data());
    return *std::min_element(t.begin(), t.end());
#endif
}

/// Horizontal maximum.
template <class T, class A> T reduce_max(xsimd::batch<T, A> const& b) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_max(b);
#else
    alignas(64) std::array<T, xsimd::batch<T, A>::size> t;
    b.store_aligned(t.data());
    return *std::max_element(t.begin(), t.end());
#endif
}

/// Number of true lanes (xsimd::count is 13.1+): select 1/0 and sum.
template <class T, class A> std::size_t count_true(xsimd::batch_bool<T, A> const& m) noexcept {
    using B = xsimd::batch<T, A>;
    return static_cast<std::size_t>(reduce_add(xsimd::select(m, B(T(1)), B(T(0)))));
}

} // namespace skystack::simd
