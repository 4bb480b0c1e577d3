// SPDX-License-Identifier: MIT
// Pixel-wise loops over several images at once, row by row, so the inner loop is over contiguous spans that the
// compiler can vectorise (GIL's for_each_pixel / transform_pixels, without iterators or locators).
#pragma once

#include <skystack/concepts.hpp>
#include <skystack/error.hpp>
#include <skystack/image.hpp>
#include <skystack/image_view.hpp>

#include <cstddef>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

namespace skystack {

namespace detail {
template <class T>
ImageView<T> as_view(ImageView<T> v) noexcept {
    return v;
}
template <class T>
ImageView<T> as_view(Image<T>& img) noexcept {
    return img.view();
}
template <class T>
ImageView<T const> as_view(Image<T> const& img) noexcept {
    return img.cview();
}
template <class T>
void as_view(Image<T>&&) = delete; // a temporary owner would dangle

template <class First, class... Rest>
void check_same_dimensions(char const* what, First const& first, Rest const&... rest) {
    if constexpr (sizeof...(Rest) > 0) {
        auto check = [&](auto const& v) {
            if (v.dimensions() != first.dimensions())
                throw LengthError(detail::msg(what, ": images have different dimensions ", first.dimensions(), " and ",
                                              v.dimensions()));
        };
        (check(rest), ...);
    }
}
} // namespace detail

/// Something for_each_row and friends accept: an ImageView or an Image (const or not; not a temporary Image).
template <class X>
concept ImageLike = requires(X&& x) {
    { detail::as_view(std::forward<X>(x)) } -> ReadableView;
};

/// Calls `f(row_0, row_1, ...)` for y = 0 .. height-1, where row_k is the std::span of local row y of the k-th
/// image (writable for writable views and non-const images). All images must have the same dimensions (xy0 may
/// differ). Write the body as a loop over the spans' indices and it vectorises.
/// @throws LengthError on a dimension mismatch (before calling f).
template <class F, ImageLike... Xs>
void for_each_row(F&& f, Xs&&... images) {
    static_assert(sizeof...(Xs) > 0, "for_each_row needs at least one image");
    auto const views = std::make_tuple(detail::as_view(std::forward<Xs>(images))...);
    std::apply([](auto const&... v) { detail::check_same_dimensions("for_each_row", v...); }, views);
    int const h = std::get<0>(views).height();
    for (int y = 0; y < h; ++y) std::apply([&](auto const&... v) { f(v.row(y)...); }, views);
}

/// Calls `f(p_0, p_1, ...)` for every pixel, p_k being a reference to the pixel of the k-th image at the same local
/// position (a const reference for read-only images).
/// @throws LengthError on a dimension mismatch (before calling f).
template <class F, ImageLike... Xs>
void for_each_pixel(F&& f, Xs&&... images) {
    for_each_row(
        [&](auto... rows) {
            std::size_t const n = std::get<0>(std::tie(rows...)).size();
            for (std::size_t i = 0; i < n; ++i) f(rows[i]...);
        },
        std::forward<Xs>(images)...);
}

/// `out(x, y) = f(in_0(x, y), in_1(x, y), ...)` for every pixel (afw/GIL transform_pixels); `out` may also be one
/// of the inputs (same position only).
/// @throws LengthError on a dimension mismatch (before writing).
template <ImageLike Out, class F, ImageLike... Ins>
void transform_pixels(Out&& out, F&& f, Ins&&... ins) {
    auto o = detail::as_view(std::forward<Out>(out));
    static_assert(WritableView<decltype(o)>, "transform_pixels: the output must be writable");
    using T = typename decltype(o)::value_type;
    for_each_row(
        [&](auto orow, auto... irows) {
            std::size_t const n = orow.size();
            for (std::size_t i = 0; i < n; ++i) orow[i] = static_cast<T>(f(irows[i]...));
        },
        o, std::forward<Ins>(ins)...);
}

} // namespace skystack
