// SPDX-License-Identifier: MIT
// Eigen interop: Eigen::Map views of image pixels (row-major, rows = y, outer stride = row stride) and copies of
// Eigen matrices into images. The only skystack header that includes Eigen.
#pragma once

#include <skystack/image.hpp>
#include <skystack/image_view.hpp>

#include <Eigen/Core>

#include <type_traits>

namespace skystack {

/// The Eigen matrix type an image of T maps to: dynamic, row-major (row r = image row y = r, column c = x).
template <class T>
using EigenMatrix = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The Map type returned by as_eigen: read-only for `T const`, with a run-time outer (row) stride.
template <class T>
using EigenMap = Eigen::Map<std::conditional_t<std::is_const_v<T>, EigenMatrix<T> const, EigenMatrix<T>>,
                            Eigen::Unaligned, Eigen::OuterStride<>>;

/// An Eigen::Map over the pixels of `v`, sharing them (writes through unless T is const). m(r, c) is the pixel at
/// local (x = c, y = r); the row stride of subimages is honoured. The map must not outlive the pixels' owner.
template <Pixel T>
[[nodiscard]] EigenMap<T> as_eigen(ImageView<T> v) noexcept {
    return EigenMap<T>(v.data(), v.height(), v.width(), Eigen::OuterStride<>(v.empty() ? v.width() : v.row_stride()));
}
/// Writable map over an owning image.
template <Pixel T>
[[nodiscard]] EigenMap<T> as_eigen(Image<T>& img) noexcept {
    return as_eigen(img.view());
}
/// Read-only map over a const owning image.
template <Pixel T>
[[nodiscard]] EigenMap<T const> as_eigen(Image<T> const& img) noexcept {
    return as_eigen(img.cview());
}

/// A new image holding a copy of `m` (any Eigen matrix or expression), row r becoming image row y = r, with
/// xy0 = `xy0`; the pixel type is m's scalar (afw `Image(ndarray, deep=true, xy0)`).
/// @throws OverflowError when m has more than INT_MAX rows or columns.
template <class Derived>
[[nodiscard]] Image<typename Derived::Scalar> image_from_eigen(Eigen::DenseBase<Derived> const& m,
                                                               Point2I xy0 = {0, 0}) {
    return Image<typename Derived::Scalar>::from_eigen(m.derived(), xy0);
}

} // namespace skystack
