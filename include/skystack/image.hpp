// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/detail/aligned_buffer.hpp>
#include <skystack/image_view.hpp>
#include <skystack/pixel_traits.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>

namespace skystack {

namespace detail {
/// Row stride (in elements) of an owned image: width rounded up so every row starts image_alignment-aligned.
template <class T>
constexpr std::ptrdiff_t padded_stride(int width) noexcept {
    constexpr std::ptrdiff_t per = std::ptrdiff_t(image_alignment / sizeof(T)) > 0 ? image_alignment / sizeof(T) : 1;
    return (std::ptrdiff_t(width) + per - 1) / per * per;
}
} // namespace detail

/// An image that owns its pixels (afw Image<T> made with deep=true).
///
/// Pixels are value-initialised (zero), 64-byte aligned, each row starting aligned. Copying is deep; moving is
/// cheap. The bbox carries xy0. `view()` / `cview()` give ImageViews; an Image converts implicitly to both, so
/// functions taking views accept images. Const-correct: a const Image hands out only read-only views.
template <Pixel T>
class Image {
    static_assert(!std::is_const_v<T>, "Image owns mutable pixels; use ImageView<T const> for read-only access");
    detail::AlignedBuffer<T> m_buf;
    ImageView<T> m_view;

public:
    using value_type = T;
    using element_type = T;

    Image() = default;
    /// An image covering `bbox` (xy0 = bbox.min()), zero-filled.
    explicit Image(Box2I bbox)
        : m_buf(static_cast<std::size_t>(detail::padded_stride<T>(bbox.width())) *
                static_cast<std::size_t>(bbox.height())),
          m_view(m_buf.data(), bbox, detail::padded_stride<T>(bbox.width())) {}
    /// An image covering `bbox` filled with v.
    Image(Box2I bbox, T v) : Image(bbox) { m_view.fill(v); }
    /// An image of the given size with xy0 = (0, 0).
    explicit Image(Extent2I dims) : Image(Box2I::from_min_size({0, 0}, dims)) {}
    Image(int width, int height) : Image(Extent2I{width, height}) {}

    /// A copy of a row-major matrix-like object `m` (Eigen matrix or expression: anything with rows(), cols() and
    /// m(row, col)), row r becoming image row y = r, with xy0 = `xy0`. See also interop/eigen.hpp.
    template <class M>
    requires requires(M const& m) {
        { m.rows() } -> std::convertible_to<std::ptrdiff_t>;
        { m.cols() } -> std::convertible_to<std::ptrdiff_t>;
        { m(0, 0) } -> std::convertible_to<T>;
    }
    [[nodiscard]] static Image from_eigen(M const& m, Point2I xy0 = {0, 0}) {
        auto const rows = static_cast<std::int64_t>(m.rows());
        auto const cols = static_cast<std::int64_t>(m.cols());
        if (rows > std::numeric_limits<int>::max() || cols > std::numeric_limits<int>::max())
            throw OverflowError(detail::msg("from_eigen: a ", rows, "x", cols, " matrix does not fit an image"));
        Image out(Box2I::from_min_size(xy0, {static_cast<int>(cols), static_cast<int>(rows)}));
        for (int y = 0; y < out.height(); ++y) {
            auto r = out.row(y);
            for (int x = 0; x < out.width(); ++x) r[std::size_t(x)] = static_cast<T>(m(y, x));
        }
        return out;
    }

    Image(Image const& o) : Image(o.bbox()) { m_view.assign(o.cview()); }
    Image& operator=(Image const& o) {
        if (this != &o) *this = Image(o);
        return *this;
    }
    Image(Image&& o) noexcept : m_buf(std::move(o.m_buf)), m_view(std::exchange(o.m_view, {})) {}
    Image& operator=(Image&& o) noexcept {
        if (this == &o) return *this;
        m_buf = std::move(o.m_buf);
        m_view = std::exchange(o.m_view, {});
        return *this;
    }

    // --- views ---
    [[nodiscard]] ImageView<T> view() noexcept { return m_view; }
    [[nodiscard]] ImageView<T const> view() const noexcept { return m_view; }
    [[nodiscard]] ImageView<T const> cview() const noexcept { return m_view; }
    operator ImageView<T>() noexcept { return m_view; }             // NOLINT(google-explicit-constructor)
    operator ImageView<T const>() const noexcept { return m_view; } // NOLINT(google-explicit-constructor)

    // --- geometry (see ImageView) ---
    [[nodiscard]] Box2I bbox() const noexcept { return m_view.bbox(); }
    [[nodiscard]] Box2I bbox(Origin o) const noexcept { return m_view.bbox(o); }
    [[nodiscard]] Point2I xy0() const noexcept { return m_view.xy0(); }
    void set_xy0(Point2I xy0) noexcept { m_view.set_xy0(xy0); }
    [[nodiscard]] int width() const noexcept { return m_view.width(); }
    [[nodiscard]] int height() const noexcept { return m_view.height(); }
    [[nodiscard]] Extent2I dimensions() const noexcept { return m_view.dimensions(); }
    [[nodiscard]] bool empty() const noexcept { return m_view.empty(); }
    [[nodiscard]] std::ptrdiff_t row_stride() const noexcept { return m_view.row_stride(); }
    [[nodiscard]] T* data() noexcept { return m_view.data(); }
    [[nodiscard]] T const* data() const noexcept { return m_view.data(); }

    // --- access (see ImageView) ---
    [[nodiscard]] std::span<T> row(int y) noexcept { return m_view.row(y); }
    [[nodiscard]] std::span<T const> row(int y) const noexcept { return m_view.row(y); }
    [[nodiscard]] T& operator()(int x, int y) noexcept { return m_view(x, y); }
    [[nodiscard]] T const& operator()(int x, int y) const noexcept { return m_view(x, y); }
    [[nodiscard]] T& operator()(Point2I p) noexcept { return m_view(p); }
    [[nodiscard]] T const& operator()(Point2I p) const noexcept { return m_view(p); }
    [[nodiscard]] T& at(int x, int y) { return m_view.at(x, y); }
    [[nodiscard]] T const& at(int x, int y) const { return m_view.at(x, y); }
    [[nodiscard]] T& at(Point2I p) { return m_view.at(p); }
    [[nodiscard]] T const& at(Point2I p) const { return m_view.at(p); }

    [[nodiscard]] ImageView<T> subimage(Box2I box, Origin o = Origin::parent) { return m_view.subimage(box, o); }
    [[nodiscard]] ImageView<T const> subimage(Box2I box, Origin o = Origin::parent) const {
        return cview().subimage(box, o);
    }
    [[nodiscard]] Image clone() const { return Image(*this); }

    void fill(T v) { m_view.fill(v); }
    void assign(ImageView<T const> src) { m_view.assign(src); }
    void assign(ImageView<T const> src, Box2I box, Origin o = Origin::parent) { m_view.assign(src, box, o); }
};

// afw's aliases, for code ported from the pipelines.
using ImageF = Image<float>;
using ImageD = Image<double>;
using ImageI = Image<std::int32_t>;
using ImageU = Image<std::uint16_t>;
using ImageL = Image<std::uint64_t>;

static_assert(std::is_nothrow_move_constructible_v<Image<float>>);

template <Pixel T>
Image<std::remove_cv_t<T>> ImageView<T>::clone() const {
    Image<std::remove_cv_t<T>> out(bbox());
    out.assign(*this);
    return out;
}

} // namespace skystack
