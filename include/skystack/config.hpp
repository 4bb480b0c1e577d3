// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

/// SKYSTACK_ASSERT(cond, msg): a debug-only check for hot paths. Define it before including skystack to
/// redirect it (as with eigen_assert); it compiles to nothing under NDEBUG.
#ifndef SKYSTACK_ASSERT
#ifdef NDEBUG
#define SKYSTACK_ASSERT(cond, msg) ((void)0)
#else
#include <cstdio>
#include <cstdlib>
#define SKYSTACK_ASSERT(cond, msg)                                                                                     \
    ((cond) ? (void)0                                                                                                  \
            : (std::fprintf(stderr, "%s:%d: skystack assertion failed: %s (%s)\n", __FILE__, __LINE__, #cond, msg),    \
               std::abort()))
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SKYSTACK_FORCEINLINE inline __attribute__((always_inline))
#define SKYSTACK_RESTRICT __restrict__
#else
#define SKYSTACK_FORCEINLINE inline
#define SKYSTACK_RESTRICT
#endif

namespace skystack {
/// Byte alignment of every owned pixel buffer and of every row start in an owned image. Fixed (not taken from
/// the SIMD architecture) so that translation units built for different instruction sets agree.
inline constexpr std::size_t image_alignment = 64;
} // namespace skystack
