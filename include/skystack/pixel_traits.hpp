// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

namespace skystack {

/// Mask pixel type (afw MaskPixel is int32; we hold the same 32 bits unsigned, written to FITS as BITPIX 32).
using MaskPixel = std::uint32_t;
/// Variance pixel type (afw VariancePixel).
using VariancePixel = float;

/// What the library needs to know about a pixel type. Specialise for a new type.
///  - accumulator: type sums are formed in (double for wide integers, float for float, ...)
///  - quiet_nan(): the value marking "no data" (NaN for floating types, 0 for integers, as afw/cfitsio)
///  - fits_bitpix: FITS BITPIX code (0 for types FITS cannot store directly)
template <class T>
struct pixel_traits {
    using accumulator = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    static constexpr bool is_floating = std::is_floating_point_v<T>;
    static constexpr T quiet_nan() noexcept {
        if constexpr (std::is_floating_point_v<T>)
            return std::numeric_limits<T>::quiet_NaN();
        else
            return T{0};
    }
    static constexpr int fits_bitpix = std::is_floating_point_v<T> ? -8 * int(sizeof(T)) : 8 * int(sizeof(T));
};

} // namespace skystack
