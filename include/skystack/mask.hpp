// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/image.hpp>
#include <skystack/mask_planes.hpp>

#include <concepts>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace skystack {

class Mask;
template <class P>
class BasicMaskView;

namespace detail {
template <class M>
struct is_mask_like : std::false_type {};
template <>
struct is_mask_like<Mask> : std::true_type {};
template <class P>
struct is_mask_like<BasicMaskView<P>> : std::true_type {};

/// Throws unless two masks can be combined bit for bit: same dimensions and the same plane layout.
inline void check_mask_compatible(MaskPlanes const& a, MaskPlanes const& b, Extent2I da, Extent2I db,
                                  char const* what) {
    if (da != db) throw LengthError(detail::msg(what, ": masks have different dimensions ", da, " and ", db));
    if (!a.same_layout(b))
        throw InvalidParameterError(detail::msg(what, ": the masks use different plane layouts; conform one to the "
                                                      "other first (Mask::conform_to)"));
}

enum class BitOp { or_, and_, xor_ };
/// dst[i] op= src[i] over rows; plain loops that GCC vectorises.
template <BitOp Op>
void bit_rows(ImageView<MaskPixel> dst, ImageView<MaskPixel const> src) noexcept {
    for (int y = 0; y < dst.height(); ++y) {
        MaskPixel* d = dst.row(y).data();
        MaskPixel const* s = src.row(y).data();
        std::ptrdiff_t const n = dst.width();
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            if constexpr (Op == BitOp::or_)
                d[i] |= s[i];
            else if constexpr (Op == BitOp::and_)
                d[i] &= s[i];
            else
                d[i] ^= s[i];
        }
    }
}
template <BitOp Op>
void bit_rows(ImageView<MaskPixel> dst, MaskPixel v) noexcept {
    for (int y = 0; y < dst.height(); ++y) {
        MaskPixel* d = dst.row(y).data();
        std::ptrdiff_t const n = dst.width();
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            if constexpr (Op == BitOp::or_)
                d[i] |= v;
            else if constexpr (Op == BitOp::and_)
                d[i] &= v;
            else
                d[i] ^= v;
        }
    }
}
} // namespace detail

/// Something that reads as a mask: a Mask or a mask view (pixels plus a plane registry).
template <class M>
concept MaskLike = detail::is_mask_like<std::remove_cvref_t<M>>::value;

/// A view of mask pixels together with the registry that names their bits. P is MaskPixel or MaskPixel const.
/// Like ImageView it borrows: both the pixels and the registry belong to the Mask it came from.
///
/// Bitwise `|= &= ^=` with another mask require equal dimensions (else LengthError) and the same plane layout
/// (else InvalidParameterError: conform first), as afw; with a MaskPixel value they apply to every pixel.
template <class P>
class BasicMaskView : public ImageView<P> {
    static_assert(std::is_same_v<std::remove_const_t<P>, MaskPixel>);
    MaskPlanes* m_planes = nullptr;

public:
    constexpr BasicMaskView() noexcept = default;
    constexpr BasicMaskView(ImageView<P> pixels, MaskPlanes* planes) noexcept
        : ImageView<P>(pixels), m_planes(planes) {}
    template <class U>
    requires(std::is_same_v<P, U const> && !std::is_const_v<U>) constexpr BasicMaskView(
        BasicMaskView<U> const& o) noexcept // NOLINT(google-explicit-constructor)
        : ImageView<P>(o), m_planes(o.planes_ptr()) {}

    /// The plane registry; never null for views made by Mask.
    [[nodiscard]] MaskPlanes& planes() const noexcept { return *m_planes; }
    [[nodiscard]] MaskPlanes* planes_ptr() const noexcept { return m_planes; }
    [[nodiscard]] ImageView<P> pixels() const noexcept { return *this; }

    [[nodiscard]] BasicMaskView subimage(Box2I box, Origin o = Origin::parent) const {
        return {ImageView<P>::subimage(box, o), m_planes};
    }
    [[nodiscard]] int plane_index(std::string_view name) const { return m_planes->index(name); }
    [[nodiscard]] MaskPixel bit_mask(std::string_view name) const { return m_planes->bit_mask(name); }
    [[nodiscard]] MaskPixel bit_mask(std::initializer_list<std::string_view> names) const {
        return m_planes->bit_mask(names);
    }
    [[nodiscard]] MaskPixel bit_mask(std::span<std::string const> names) const { return m_planes->bit_mask(names); }
    /// Names of the planes set in v (afw interpret).
    [[nodiscard]] std::string describe(MaskPixel v) const { return m_planes->describe(v); }
    /// Deep copy sharing the same registry (defined below).
    [[nodiscard]] Mask clone() const;

    /// Clear `bits` in every pixel.
    void clear_bits(MaskPixel bits) const requires(!std::is_const_v<P>) {
        detail::bit_rows<detail::BitOp::and_>(*this, MaskPixel(~bits));
    }
    /// Clear plane `name` in every pixel (afw clearMaskPlane). @throws NotFoundError if unknown.
    void clear_plane(std::string_view name) const requires(!std::is_const_v<P>) { clear_bits(bit_mask(name)); }

    using ImageView<P>::assign;
    /// Copy the pixels of another mask (same dimensions, same plane layout).
    /// @throws LengthError on a size mismatch, InvalidParameterError on different layouts.
    template <MaskLike M>
    void assign(M const& src) const requires(!std::is_const_v<P>) {
        BasicMaskView<MaskPixel const> const s = src;
        detail::check_mask_compatible(planes(), s.planes(), this->dimensions(), s.dimensions(), "mask assign");
        ImageView<P>::assign(ImageView<MaskPixel const>(s));
    }

    // --- bitwise operations (afw Mask |= &= ^=); a view is shallow, so these write through ---
    BasicMaskView const& operator|=(BasicMaskView<MaskPixel const> rhs) const requires(!std::is_const_v<P>) {
        return bitwise<detail::BitOp::or_>(rhs, "mask |=");
    }
    BasicMaskView const& operator&=(BasicMaskView<MaskPixel const> rhs) const requires(!std::is_const_v<P>) {
        return bitwise<detail::BitOp::and_>(rhs, "mask &=");
    }
    BasicMaskView const& operator^=(BasicMaskView<MaskPixel const> rhs) const requires(!std::is_const_v<P>) {
        return bitwise<detail::BitOp::xor_>(rhs, "mask ^=");
    }
    BasicMaskView const& operator|=(MaskPixel v) const requires(!std::is_const_v<P>) {
        detail::bit_rows<detail::BitOp::or_>(*this, v);
        return *this;
    }
    BasicMaskView const& operator&=(MaskPixel v) const requires(!std::is_const_v<P>) {
        detail::bit_rows<detail::BitOp::and_>(*this, v);
        return *this;
    }
    BasicMaskView const& operator^=(MaskPixel v) const requires(!std::is_const_v<P>) {
        detail::bit_rows<detail::BitOp::xor_>(*this, v);
        return *this;
    }

private:
    template <detail::BitOp Op>
    BasicMaskView const& bitwise(BasicMaskView<MaskPixel const> rhs, char const* what) const {
        detail::check_mask_compatible(planes(), rhs.planes(), this->dimensions(), rhs.dimensions(), what);
        ImageView<MaskPixel const> const src = rhs;
        if (detail::footprints_overlap(src, ImageView<MaskPixel const>(*this)) && src.data() != this->data()) {
            Image<MaskPixel> const tmp = src.clone(); // partial overlap: read from a copy
            detail::bit_rows<Op>(*this, tmp.cview());
        } else {
            detail::bit_rows<Op>(*this, src);
        }
        return *this;
    }
};

using MaskView = BasicMaskView<MaskPixel>;
using ConstMaskView = BasicMaskView<MaskPixel const>;

/// An owning mask image with a shared plane registry (afw Mask<MaskPixel>).
///
/// By default all masks share MaskPlanes::shared_default() (afw's default dictionary): a plane added through one
/// mask is visible through all of them. Pass a registry to give a mask its own; copies share the registry of
/// their source (pixels are deep-copied). Masks with different layouts are never combined bit for bit: the
/// bitwise operators, assign() and masked-image arithmetic throw InvalidParameterError until one is conformed
/// (`conform_to`), which permutes its pixel bits onto the other registry.
class Mask : public Image<MaskPixel> {
    std::shared_ptr<MaskPlanes> m_planes = MaskPlanes::shared_default();

public:
    Mask() = default;
    /// A zero mask over `bbox` using registry `planes` (default: the shared registry).
    /// @throws InvalidParameterError when `planes` is null.
    explicit Mask(Box2I bbox, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : Image<MaskPixel>(bbox), m_planes(std::move(planes)) {
        if (!m_planes) throw InvalidParameterError("Mask: the plane registry must not be null");
    }
    explicit Mask(Extent2I dims, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : Mask(Box2I::from_min_size({0, 0}, dims), std::move(planes)) {}
    /// A mask over `bbox` with every pixel set to `value`.
    Mask(Box2I bbox, MaskPixel value, std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : Mask(bbox, std::move(planes)) {
        fill(value);
    }

    [[nodiscard]] MaskPlanes& planes() const noexcept { return *m_planes; }
    [[nodiscard]] std::shared_ptr<MaskPlanes> const& planes_ptr() const noexcept { return m_planes; }

    [[nodiscard]] MaskView view() noexcept { return {Image<MaskPixel>::view(), m_planes.get()}; }
    [[nodiscard]] ConstMaskView view() const noexcept { return {Image<MaskPixel>::view(), m_planes.get()}; }
    [[nodiscard]] ConstMaskView cview() const noexcept { return {Image<MaskPixel>::cview(), m_planes.get()}; }
    operator MaskView() noexcept { return view(); }             // NOLINT(google-explicit-constructor)
    operator ConstMaskView() const noexcept { return cview(); } // NOLINT(google-explicit-constructor)

    [[nodiscard]] MaskView subimage(Box2I box, Origin o = Origin::parent) { return view().subimage(box, o); }
    [[nodiscard]] ConstMaskView subimage(Box2I box, Origin o = Origin::parent) const {
        return cview().subimage(box, o);
    }
    [[nodiscard]] Mask clone() const { return Mask(*this); }

    using Image<MaskPixel>::assign;
    /// Copy the pixels of another mask (same dimensions, same plane layout).
    /// @throws LengthError on a size mismatch, InvalidParameterError on different layouts.
    template <MaskLike M>
    void assign(M const& src) {
        view().assign(src);
    }

    // --- plane registry (afw addMaskPlane, getPlaneBitMask, removeAndClearMaskPlane) ---
    /// Add (or find) plane `name` in this mask's registry; returns its bit index (the lowest free one for a new
    /// name). @throws LengthError when all 32 bits are in use.
    int add_plane(std::string_view name, std::string_view description = {}) { return m_planes->add(name, description); }
    /// Bit index of `name` (afw getMaskPlane). @throws NotFoundError if unknown.
    [[nodiscard]] int plane_index(std::string_view name) const { return m_planes->index(name); }
    /// `1 << plane_index(name)` (afw getPlaneBitMask). @throws NotFoundError if unknown.
    [[nodiscard]] MaskPixel bit_mask(std::string_view name) const { return m_planes->bit_mask(name); }
    /// OR of the bits of several planes. @throws NotFoundError naming the first unknown plane.
    [[nodiscard]] MaskPixel bit_mask(std::initializer_list<std::string_view> names) const {
        return m_planes->bit_mask(names);
    }
    [[nodiscard]] MaskPixel bit_mask(std::span<std::string const> names) const { return m_planes->bit_mask(names); }
    /// Drop `name` from the registry this mask shares (every mask sharing it loses the name; pixel bits are left
    /// as they are, see MaskPlanes::remove). @throws NotFoundError if unknown.
    void remove_plane(std::string_view name) { m_planes->remove(name); }
    /// Clear plane `name` in this mask's pixels and drop it from this mask's registry (afw
    /// removeAndClearMaskPlane). By default this mask first takes a private copy of its registry, so other masks
    /// sharing the registry keep the plane (afw `removeFromDefault=false`); with `remove_from_shared` the shared
    /// registry itself loses the plane (other masks' bits become unnamed).
    /// @throws NotFoundError if unknown.
    void remove_and_clear_plane(std::string_view name, bool remove_from_shared = false) {
        view().clear_plane(name);
        if (!remove_from_shared) m_planes = std::make_shared<MaskPlanes>(*m_planes);
        m_planes->remove(name);
    }
    /// Clear plane `name` in every pixel (afw clearMaskPlane). @throws NotFoundError if unknown.
    void clear_plane(std::string_view name) { view().clear_plane(name); }
    /// Clear `bits` in every pixel.
    void clear_bits(MaskPixel bits) { view().clear_bits(bits); }
    /// Names of the planes set in v (afw interpret).
    [[nodiscard]] std::string describe(MaskPixel v) const { return m_planes->describe(v); }

    /// Re-express this mask under registry `target`: planes unknown to `target` are added to it, pixel bits are
    /// permuted (bits without a plane are dropped), and the mask then shares `target` (afw conformMaskPlanes).
    /// Views taken before the call keep pointing at the old registry.
    /// @throws InvalidParameterError when `target` is null; LengthError when `target` runs out of bits.
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
    /// Conform this mask to the registry of `other` (see conform_to(std::shared_ptr<MaskPlanes>)).
    void conform_to(Mask const& other) { conform_to(other.planes_ptr()); }

    // --- bitwise operations (afw Mask |= &= ^=) ---
    /// @throws LengthError on a size mismatch, InvalidParameterError on different plane layouts.
    Mask& operator|=(ConstMaskView rhs) {
        view() |= rhs;
        return *this;
    }
    Mask& operator&=(ConstMaskView rhs) {
        view() &= rhs;
        return *this;
    }
    Mask& operator^=(ConstMaskView rhs) {
        view() ^= rhs;
        return *this;
    }
    Mask& operator|=(MaskPixel v) {
        view() |= v;
        return *this;
    }
    Mask& operator&=(MaskPixel v) {
        view() &= v;
        return *this;
    }
    Mask& operator^=(MaskPixel v) {
        view() ^= v;
        return *this;
    }
};

template <class P>
Mask BasicMaskView<P>::clone() const {
    Mask out(this->bbox(), m_planes->shared_from_this());
    out.Image<MaskPixel>::assign(ImageView<MaskPixel const>(*this));
    return out;
}

} // namespace skystack
