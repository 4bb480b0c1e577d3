// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/concepts.hpp>
#include <skystack/config.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <type_traits>
#include <utility>

namespace skystack {

/// Which frame a box or point is expressed in: parent (xy0 included, the default) or local (0-based indices).
enum class Origin { parent, local };
inline constexpr Origin parent = Origin::parent;
inline constexpr Origin local = Origin::local;

template <Pixel T>
class Image;
template <Pixel T>
class ImageView;

namespace detail {
/// True when the memory spans of two views (first pixel to one past the last) intersect.
template <class A, class B>
bool footprints_overlap(ImageView<A> const& a, ImageView<B> const& b) noexcept {
    if (a.empty() || b.empty()) return false;
    auto span_of = [](auto const& v) {
        auto const* lo = reinterpret_cast<char const*>(v.data());
        auto const* hi =
            reinterpret_cast<char const*>(v.data() + (std::ptrdiff_t(v.height()) - 1) * v.row_stride() + v.width());
        return std::pair{lo, hi};
    };
    auto const [alo, ahi] = span_of(a);
    auto const [blo, bhi] = span_of(b);
    return std::less<>{}(alo, bhi) && std::less<>{}(blo, ahi);
}
} // namespace detail

/// A non-owning, strided window on pixels (afw Image with deep=false), cheap to copy and passed by value.
///
/// Pixels in a row are contiguous (x stride 1); rows are `row_stride()` elements apart. The bbox is in parent
/// coordinates; its min is xy0, the parent position of local pixel (0, 0). Constness lives in the element type:
/// `ImageView<float const>` reads, `ImageView<float>` writes, and the latter converts to the former.
/// Like std::span, a view is shallow: a const view still writes through a non-const element type.
template <Pixel T>
class ImageView {
    T* m_origin = nullptr;
    Box2I m_bbox{};
    std::ptrdiff_t m_stride = 0;

public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;

    constexpr ImageView() noexcept = default;
    /// @param origin address of local pixel (0, 0); @param bbox parent box; @param row_stride elements per row step
    constexpr ImageView(T* origin, Box2I bbox, std::ptrdiff_t row_stride) noexcept
        : m_origin(origin), m_bbox(bbox), m_stride(row_stride) {}
    /// A writable view converts to a read-only one.
    template <class U>
    requires(std::is_same_v<T, U const> && !std::is_const_v<U>) constexpr ImageView(
        ImageView<U> const& o) noexcept // NOLINT(google-explicit-constructor)
        : m_origin(o.data()), m_bbox(o.bbox()), m_stride(o.row_stride()) {}

    // --- geometry ---
    [[nodiscard]] constexpr Box2I bbox() const noexcept { return m_bbox; }
    [[nodiscard]] constexpr Box2I bbox(Origin o) const noexcept {
        return o == Origin::parent ? m_bbox : Box2I::from_min_size({0, 0}, m_bbox.dimensions());
    }
    [[nodiscard]] constexpr Point2I xy0() const noexcept { return m_bbox.min(); }
    /// Move this view's frame without touching pixels (afw setXY0).
    constexpr void set_xy0(Point2I xy0) noexcept { m_bbox = Box2I::from_min_size(xy0, m_bbox.dimensions()); }
    [[nodiscard]] constexpr int width() const noexcept { return m_bbox.width(); }
    [[nodiscard]] constexpr int height() const noexcept { return m_bbox.height(); }
    [[nodiscard]] constexpr Extent2I dimensions() const noexcept { return m_bbox.dimensions(); }
    [[nodiscard]] constexpr bool empty() const noexcept { return m_bbox.empty(); }
    [[nodiscard]] constexpr std::ptrdiff_t row_stride() const noexcept { return m_stride; }
    /// True when rows follow each other without padding (the pixels form one span).
    [[nodiscard]] constexpr bool is_contiguous() const noexcept { return m_stride == width() || height() <= 1; }
    [[nodiscard]] constexpr T* data() const noexcept { return m_origin; }

    // --- access ---
    /// Row y (local) as a contiguous span of width() pixels.
    [[nodiscard]] constexpr std::span<T> row(int y) const noexcept {
        SKYSTACK_ASSERT(y >= 0 && y < height(), "row index out of range");
        return {m_origin + std::ptrdiff_t(y) * m_stride, static_cast<std::size_t>(width())};
    }
    /// Pixel at local (x, y), unchecked (afw operator()).
    [[nodiscard]] constexpr T& operator()(int x, int y) const noexcept {
        SKYSTACK_ASSERT(x >= 0 && x < width() && y >= 0 && y < height(), "pixel index out of range");
        return m_origin[std::ptrdiff_t(y) * m_stride + x];
    }
    /// Pixel at parent position p, unchecked.
    [[nodiscard]] constexpr T& operator()(Point2I p) const noexcept { return (*this)(p.x - xy0().x, p.y - xy0().y); }
    /// Pixel at local (x, y), checked: throws LengthError outside the image.
    [[nodiscard]] T& at(int x, int y) const {
        if (x < 0 || y < 0 || x >= width() || y >= height())
            throw LengthError(
                detail::msg("pixel (", x, ", ", y, ") [local] outside image of size ", width(), "x", height()));
        return (*this)(x, y);
    }
    /// Pixel at parent position p, checked: throws LengthError outside the bbox.
    [[nodiscard]] T& at(Point2I p) const {
        if (!m_bbox.contains(p)) throw LengthError(detail::msg("pixel ", p, " [parent] outside image ", m_bbox));
        return (*this)(p);
    }

    /// A view of the pixels in `box` (parent frame by default, else local), sharing pixels with this view.
    /// An empty box gives an empty view (as afw, where an empty box is inside every image).
    /// @throws LengthError when the box is not inside this view.
    [[nodiscard]] ImageView subimage(Box2I box, Origin o = Origin::parent) const {
        if (box.empty()) return ImageView(m_origin, Box2I{}, m_stride);
        Box2I const parent_box = o == Origin::local ? box.shifted_by(xy0().as_extent()) : box;
        if (!m_bbox.contains(parent_box))
            throw LengthError(detail::msg("subimage ", box, o == Origin::local ? " [local]" : " [parent]",
                                          " is not inside image ", m_bbox));
        Extent2I const off = parent_box.min() - xy0();
        return ImageView(m_origin + std::ptrdiff_t(off.y) * m_stride + off.x, parent_box, m_stride);
    }

    /// Parent position of local pixel (x, y) (afw indexToPosition without the double).
    [[nodiscard]] constexpr Point2I to_parent(Point2I local_xy) const noexcept { return local_xy + xy0().as_extent(); }
    /// Local index of parent position p.
    [[nodiscard]] constexpr Point2I to_local(Point2I parent_xy) const noexcept { return parent_xy - xy0().as_extent(); }
    /// Number of pixels (width x height) as 64-bit.
    [[nodiscard]] constexpr std::int64_t area() const noexcept { return m_bbox.area(); }

    /// A deep copy as an owning Image with the same bbox (defined in image.hpp).
    [[nodiscard]] Image<value_type> clone() const;

    // --- bulk writes (for writable views) ---
    /// Set every pixel to v.
    void fill(value_type v) const requires(!std::is_const_v<T>) {
        for (int y = 0; y < height(); ++y) std::ranges::fill(row(y), v);
    }
    /// Copy pixels from an image of the same dimensions (xy0 may differ, as afw's assignment). Source and
    /// destination may overlap (a partially overlapping source is copied through a temporary).
    /// @throws LengthError on a dimension mismatch.
    void assign(ImageView<value_type const> src) const requires(!std::is_const_v<T>) {
        if (src.dimensions() != dimensions())
            throw LengthError(
                detail::msg("assign: source dimensions ", src.dimensions(), " differ from destination ", dimensions()));
        if (empty() || src.data() == m_origin) return;
        if (detail::footprints_overlap(src, *this)) {
            assign(src.clone().cview());
            return;
        }
        for (int y = 0; y < height(); ++y) std::ranges::copy(src.row(y), row(y).begin());
    }
    /// Copy `src` into the part of this image under `box` (afw assign(rhs, bbox)); box defaults to src's bbox.
    void assign(ImageView<value_type const> src, Box2I box, Origin o = Origin::parent) const
        requires(!std::is_const_v<T>) {
        subimage(box, o).assign(src);
    }
};

template <class T>
using ConstImageView = ImageView<T const>;

static_assert(ReadableView<ImageView<float const>>);
static_assert(WritableView<ImageView<float>>);
static_assert(!WritableView<ImageView<float const>>);
static_assert(std::is_trivially_copyable_v<ImageView<double>>);

} // namespace skystack

// ImageView::clone() returns an Image: make it usable by anyone who includes only this header.
#include <skystack/image.hpp>
