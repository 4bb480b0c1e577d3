// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/image.hpp>
#include <skystack/mask_planes.hpp>

#include <memory>
#include <string_view>
#include <type_traits>

namespace skystack {

class Mask;

/// A view of mask pixels together with the registry that names their bits. P is MaskPixel or MaskPixel const.
/// Like ImageView it borrows: both the pixels and the registry belong to the Mask it came from.
template <class P> class BasicMaskView : public ImageView<P> {
    static_assert(std::is_same_v<std::remove_const_t<P>, MaskPixel>);
    MaskPlanes* m_planes = nullptr;

public:
    constexpr BasicMaskView() noexcept = default;
    constexpr BasicMaskView(ImageView<P> pixels, MaskPlanes* planes) noexcept
        : ImageView<P>(pixels), m_planes(planes) {}
    template <class U>
        requires(std::is_same_v<P, U const> && !std::is_const_v<U>)
    constexpr BasicMaskView(BasicMaskView<U> const& o) noexcept // NOLINT(google-explicit-constructor)
        : ImageView<P>(o), m_planes(o.planes_ptr()) {}

    /// The plane registry; never null for views made by Mask.
    [[nodiscard]] MaskPlanes& planes() const noexcept { return *m_planes; }
    [[nodiscard]] MaskPlanes* planes_ptr() const noexcept { return m_planes; }
    [[nodiscard]] ImageView<P> pixels() const noexcept { return *this; }

    [[nodiscard]] BasicMaskView subimage(Box2I box, Origin o = Origin::parent) const {
        return {ImageView<P>::subimage(box, o), m_planes};
    }
    [[nodiscard]] MaskPixel bit_mask(std::string_view name) const { return m_planes->bit_mask(name); }
    [[nodiscard]] MaskPixel bit_mask(std::initializer_list<std::string_view> names) const {
        return m_planes->bit_mask(names);
    }
    /// Deep copy sharing the same registry (defined below).
    [[nodiscard]] Mask clone() const;

    /// Clear `bits` in every pixel.
    void clear_bits(MaskPixel bits) const
        requires(!std::is_const_v<P>)
    {
        MaskPixel const keep = ~bits;
        for (int y = 0; y < this->height(); ++y)
            for (auto& v : this->row(y)) v &= keep;
    }
    /// Clear plane `name` in every pixel (afw clearMaskPlane). @throws NotFoundError if unknown.
    void clear_plane(std::string_view name) const
        requires(!std::is_const_v<P>)
    {
        clear_bits(bit_mask(name));
    }
};

using MaskView = BasicMaskView<MaskPixel>;
using ConstMaskView = BasicMaskView<MaskPixel const>;

/// An owning mask image with a shared plane registry (afw Mask<MaskPixel>).
///
/// By default all masks share MaskPlanes::shared_default() (afw's default dictionary). Pass a registry to give a
/// mask its own; copies share the registry of their source (pixels are deep-copied).
class Mask : public Image<MaskPixel> {
    std::shared_ptr<MaskPlanes> m_planes = MaskPlanes::shared_default();

public:
    Mask() = default;
    explicit Mask(Box2I bbox, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : Image<MaskPixel>(bbox), m_planes(std::move(planes)) {
        if (!m_planes) throw InvalidParameterError("Mask: the plane registry must not be null");
    }
    explicit Mask(Extent2I dims, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : Mask(Box2I::from_min_size({0, 0}, dims), std::move(planes)) {}

    [[nodiscard]] MaskPlanes& planes() const noexcept { return *m_planes; }
    [[nodiscard]] std::shared_ptr<MaskPlanes> const& planes_ptr() const noexcept { return m_planes; }

    [[nodiscard]] MaskView view() noexcept { return {Image<MaskPixel>::view(), m_planes.get()}; }
    [[nodiscard]] ConstMaskView view() const noexcept { return {Image<MaskPixel>::view(), m_planes.get()}; }
    [[nodiscard]] ConstMaskView cview() const noexcept { return {Image<MaskPixel>::cview(), m_planes.get()}; }
    operator MaskView() noexcept { return view(); }              // NOLINT(google-explicit-constructor)
    operator ConstMaskView() const noexcept { return cview(); }  // NOLINT(google-explicit-constructor)

    [[nodiscard]] MaskView subimage(Box2I box, Origin o = Origin::parent) { return view().subimage(box, o); }
    [[nodiscard]] ConstMaskView subimage(Box2I box, Origin o = Origin::parent) const {
        return cview().subimage(box, o);
    }
    [[nodiscard]] Mask clone() const { return Mask(*this); }

    // --- plane registry (afw addMaskPlane, getPlaneBitMask, removeAndClearMaskPlane) ---
    /// Add (or find) plane `name`; returns its bit index.
    int add_plane(std::string_view name, std::string_view description = {}) {
        return m_planes->add(name, description);
    }
    [[nodiscard]] int plane_index(std::string_view name) const { return m_planes->index(name); }
    [[nodiscard]] MaskPixel bit_mask(std::string_view name) const { return m_planes->bit_mask(name); }
    [[nodiscard]] MaskPixel bit_mask(std::initializer_list<std::string_view> names) const {
        return m_planes->bit_mask(names);
    }
    /// Drop `name` from the registry (bits in pixels are left as they are; see remove_and_clear_plane).
    void remove_plane(std::string_view name) { m_planes->remove(name); }
    /// Clear `name` in this mask's pixels, then drop it from the registry.
    void remove_and_clear_plane(std::string_view name) {
        view().clear_plane(name);
        m_planes->remove(name);
    }
    void clear_plane(std::string_view name) { view().clear_plane(name); }
    /// Names of the planes set in v (afw interpret).
    [[nodiscard]] std::string describe(MaskPixel v) const { return m_planes->describe(v); }

    /// Re-express this mask under registry `target`: planes unknown to `target` are added to it, pixel bits are
    /// permuted, and the mask then shares `target` (afw conformMaskPlanes).
    void conform_to(std::shared_ptr<MaskPlanes> target) {
        if (!target) throw InvalidParameterError("conform_to: the target registry must not be null");
        if (target == m_planes || target->same_layout(*m_planes)) {
            m_planes = std::move(target);
            return;
        }
        auto const map = target->conform_map(*m_planes);
        for (int y = 0; y < height(); ++y)
            for (auto& v : row(y)) v = remap_bits(v, map);
        m_planes = std::move(target);
    }
};

template <class P> Mask BasicMaskView<P>::clone() const {
    Mask out(this->bbox(), m_planes->shared_from_this());
    out.assign(ImageView<MaskPixel const>(*this));
    return out;
}

} // namespace skystack
