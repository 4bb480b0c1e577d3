// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/geom/box.hpp>

#include <concepts>
#include <span>
#include <type_traits>

namespace skystack {

/// A pixel: any arithmetic type except bool, possibly const-qualified (constness lives in the element type).
template <class T>
concept Pixel = std::is_arithmetic_v<std::remove_cv_t<T>> && !std::same_as<std::remove_cv_t<T>, bool>;

/// A view that can be read row by row: a bbox in parent coordinates and rows as contiguous spans.
template <class V>
concept ReadableView = std::copyable<V> && requires(V const v, int y) {
    typename V::value_type;
    { v.bbox() } -> std::same_as<Box2I>;
    { v.width() } -> std::same_as<int>;
    { v.height() } -> std::same_as<int>;
    { v.row(y) } -> std::convertible_to<std::span<typename V::value_type const>>;
};

/// A readable view whose rows can be written.
template <class V>
concept WritableView = ReadableView<V> && requires(V const v, int y) {
    { v.row(y) } -> std::same_as<std::span<typename V::value_type>>;
};

} // namespace skystack
