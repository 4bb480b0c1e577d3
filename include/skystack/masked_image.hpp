// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/image.hpp>
#include <skystack/mask.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace skystack {

template <Pixel T, Pixel V>
class MaskedImage;

namespace detail {
template <class From, class To>
using copy_const_t = std::conditional_t<std::is_const_v<From>, To const, To>;
inline void check_same_bbox(Box2I a, Box2I b, char const* what) {
    if (a != b) throw LengthError(detail::msg(what, ": planes have different bboxes ", a, " and ", b));
}
} // namespace detail

/// A view of image, mask and variance over one bbox (afw MaskedImage with deep=false).
/// T may be const (`MaskedImageView<float const>`): then all three planes are read-only. subimage(), set_xy0(),
/// clone() and assign() act on the three planes together, so they always share one bbox.
/// Arithmetic with variance propagation (`+= -= *= /=`, scaled_plus, ...) lives in arithmetic.hpp.
template <class T, class V = VariancePixel>
class MaskedImageView {
public:
    using image_pixel = T;
    using value_type = std::remove_cv_t<T>;
    using mask_pixel = detail::copy_const_t<T, MaskPixel>;
    using variance_pixel = detail::copy_const_t<T, V>;
    using mask_view = BasicMaskView<mask_pixel>;

private:
    ImageView<T> m_image;
    mask_view m_mask;
    ImageView<variance_pixel> m_var;

public:
    MaskedImageView() = default;
    /// @throws LengthError when the three bboxes differ.
    MaskedImageView(ImageView<T> image, mask_view mask, ImageView<variance_pixel> variance)
        : m_image(image), m_mask(mask), m_var(variance) {
        detail::check_same_bbox(image.bbox(), mask.bbox(), "MaskedImageView");
        detail::check_same_bbox(image.bbox(), variance.bbox(), "MaskedImageView");
    }
    template <class U>
    requires(std::is_same_v<T, U const> && !std::is_const_v<U>) MaskedImageView(MaskedImageView<U, V> const& o)
    noexcept // NOLINT(google-explicit-constructor)
        : m_image(o.image()), m_mask(o.mask()), m_var(o.variance()) {}

    [[nodiscard]] ImageView<T> image() const noexcept { return m_image; }
    [[nodiscard]] mask_view mask() const noexcept { return m_mask; }
    [[nodiscard]] ImageView<variance_pixel> variance() const noexcept { return m_var; }

    [[nodiscard]] Box2I bbox() const noexcept { return m_image.bbox(); }
    [[nodiscard]] Box2I bbox(Origin o) const noexcept { return m_image.bbox(o); }
    [[nodiscard]] Point2I xy0() const noexcept { return m_image.xy0(); }
    [[nodiscard]] int width() const noexcept { return m_image.width(); }
    [[nodiscard]] int height() const noexcept { return m_image.height(); }
    [[nodiscard]] Extent2I dimensions() const noexcept { return m_image.dimensions(); }
    [[nodiscard]] bool empty() const noexcept { return m_image.empty(); }
    /// Move the frame of all three planes (no pixel moves).
    void set_xy0(Point2I p) noexcept {
        m_image.set_xy0(p);
        m_mask.set_xy0(p);
        m_var.set_xy0(p);
    }

    /// Views of the three planes under `box` (parent frame by default). @throws LengthError outside the image.
    [[nodiscard]] MaskedImageView subimage(Box2I box, Origin o = Origin::parent) const {
        return {m_image.subimage(box, o), m_mask.subimage(box, o), m_var.subimage(box, o)};
    }
    /// Deep copy of the three planes; the mask keeps sharing its registry.
    [[nodiscard]] MaskedImage<value_type, V> clone() const;

    /// Copy the three planes of `src` (same dimensions). Mask bits are copied as they are, so both masks must
    /// use the same plane layout. @throws LengthError on a size mismatch, InvalidParameterError on different layouts.
    void assign(MaskedImageView<value_type const, V> src) const requires(!std::is_const_v<T>) {
        if (src.dimensions() != dimensions())
            throw LengthError(
                detail::msg("assign: source dimensions ", src.dimensions(), " differ from destination ", dimensions()));
        if (!m_mask.planes().same_layout(src.mask().planes()))
            throw InvalidParameterError("assign: the masks use different plane layouts; conform one first");
        m_image.assign(src.image());
        m_mask.assign(src.mask());
        m_var.assign(src.variance());
    }
};

/// Image + mask + variance sharing one bbox (afw MaskedImage<T, MaskPixel, VariancePixel>), owning all three.
/// Copying is deep; the mask registry is shared with the source (as afw's dictionary).
template <Pixel T, Pixel V = VariancePixel>
class MaskedImage {
    Image<T> m_image;
    Mask m_mask;
    Image<V> m_var;

public:
    using value_type = T;
    using variance_type = V;
    using view_type = MaskedImageView<T, V>;
    using const_view_type = MaskedImageView<T const, V>;

    MaskedImage() = default;
    /// Zero image, mask and variance over `bbox`; the mask uses `planes` (default: the shared registry).
    explicit MaskedImage(Box2I bbox, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : m_image(bbox), m_mask(bbox, std::move(planes)), m_var(bbox) {}
    explicit MaskedImage(Extent2I dims, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : MaskedImage(Box2I::from_min_size({0, 0}, dims), std::move(planes)) {}
    /// An image with a zero mask and zero variance over its bbox (afw MaskedImage(image)).
    [[nodiscard]] static MaskedImage from_image(Image<T> image,
                                                std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default()) {
        Box2I const box = image.bbox();
        return MaskedImage(std::move(image), Mask(box, std::move(planes)), Image<V>(box));
    }
    /// Take ownership of three planes. @throws LengthError when their bboxes differ.
    MaskedImage(Image<T> image, Mask mask, Image<V> variance)
        : m_image(std::move(image)), m_mask(std::move(mask)), m_var(std::move(variance)) {
        detail::check_same_bbox(m_image.bbox(), m_mask.bbox(), "MaskedImage");
        detail::check_same_bbox(m_image.bbox(), m_var.bbox(), "MaskedImage");
    }

    [[nodiscard]] Image<T>& image() noexcept { return m_image; }
    [[nodiscard]] Image<T> const& image() const noexcept { return m_image; }
    [[nodiscard]] Mask& mask() noexcept { return m_mask; }
    [[nodiscard]] Mask const& mask() const noexcept { return m_mask; }
    [[nodiscard]] Image<V>& variance() noexcept { return m_var; }
    [[nodiscard]] Image<V> const& variance() const noexcept { return m_var; }

    [[nodiscard]] view_type view() noexcept { return {m_image.view(), m_mask.view(), m_var.view()}; }
    [[nodiscard]] const_view_type view() const noexcept { return cview(); }
    [[nodiscard]] const_view_type cview() const noexcept { return {m_image.cview(), m_mask.cview(), m_var.cview()}; }
    operator view_type() noexcept { return view(); }              // NOLINT(google-explicit-constructor)
    operator const_view_type() const noexcept { return cview(); } // NOLINT(google-explicit-constructor)

    [[nodiscard]] Box2I bbox() const noexcept { return m_image.bbox(); }
    [[nodiscard]] Box2I bbox(Origin o) const noexcept { return m_image.bbox(o); }
    [[nodiscard]] Point2I xy0() const noexcept { return m_image.xy0(); }
    [[nodiscard]] int width() const noexcept { return m_image.width(); }
    [[nodiscard]] int height() const noexcept { return m_image.height(); }
    [[nodiscard]] Extent2I dimensions() const noexcept { return m_image.dimensions(); }
    [[nodiscard]] bool empty() const noexcept { return m_image.empty(); }
    void set_xy0(Point2I p) noexcept {
        m_image.set_xy0(p);
        m_mask.set_xy0(p);
        m_var.set_xy0(p);
    }

    [[nodiscard]] view_type subimage(Box2I box, Origin o = Origin::parent) { return view().subimage(box, o); }
    [[nodiscard]] const_view_type subimage(Box2I box, Origin o = Origin::parent) const {
        return cview().subimage(box, o);
    }
    [[nodiscard]] MaskedImage clone() const { return *this; }

    /// Copy the three planes of `src` (same dimensions) into this image. @throws LengthError on mismatch.
    void assign(const_view_type src) { view().assign(src); }
    /// Copy `src` into the region `box` of this image (afw assign(rhs, bbox)), e.g. a stacked tile.
    void assign(const_view_type src, Box2I box, Origin o = Origin::parent) { subimage(box, o).assign(src); }
};

using MaskedImageF = MaskedImage<float>;
using MaskedImageD = MaskedImage<double>;

template <class T, class V>
MaskedImage<std::remove_cv_t<T>, V> MaskedImageView<T, V>::clone() const {
    return MaskedImage<std::remove_cv_t<T>, V>(m_image.clone(), m_mask.clone(), m_var.clone());
}

} // namespace skystack
