// SPDX-License-Identifier: MIT
// In-place arithmetic on images and masked images, with afw's variance propagation (data-model.md §4.1).
#pragma once

#include <skystack/config.hpp>
#include <skystack/error.hpp>
#include <skystack/image.hpp>
#include <skystack/image_view.hpp>
#include <skystack/mask.hpp>
#include <skystack/masked_image.hpp>

#include <cstddef>
#include <type_traits>

namespace skystack {

namespace detail {

/// The in-place operations. The scaled forms take a double factor c (afw scaledPlus etc.).
enum class ArithOp { add, sub, mul, div, scaled_add, scaled_sub, scaled_mul, scaled_div };

/// Narrowing back to the pixel type after arithmetic in a wider type (integer pixels promote to int, as afw).
template <class T, class U>
SKYSTACK_FORCEINLINE constexpr T narrow(U v) noexcept {
    return static_cast<T>(v);
}

/// Image plane: x op y (or x op c*y for scaled forms; those compute in double, like afw's Image::scaledPlus).
template <ArithOp Op, class T>
SKYSTACK_FORCEINLINE constexpr T image_value(T x, T y, double c) noexcept {
    if constexpr (Op == ArithOp::add)
        return narrow<T>(x + y);
    else if constexpr (Op == ArithOp::sub)
        return narrow<T>(x - y);
    else if constexpr (Op == ArithOp::mul)
        return narrow<T>(x * y);
    else if constexpr (Op == ArithOp::div)
        return narrow<T>(x / y);
    else if constexpr (Op == ArithOp::scaled_add)
        return narrow<T>(double(x) + c * double(y));
    else if constexpr (Op == ArithOp::scaled_sub)
        return narrow<T>(double(x) - c * double(y));
    else if constexpr (Op == ArithOp::scaled_mul)
        return narrow<T>(double(x) * double(y) * c);
    else
        return narrow<T>(double(x) / (double(y) * c));
}

/// Variance plane for masked (x, V_x) op (y, V_y), from the OLD x (data-model.md §4.1). `c2` is c² for scaled
/// forms. Products of x and y are formed in the wider of T and V (afw forms them in VariancePixel).
template <ArithOp Op, class T, class V>
SKYSTACK_FORCEINLINE constexpr V variance_value(T x, T y, V vx, V vy, double c2) noexcept {
    using W = std::common_type_t<T, V>;
    if constexpr (Op == ArithOp::add || Op == ArithOp::sub)
        return narrow<V>(vx + vy);
    else if constexpr (Op == ArithOp::scaled_add || Op == ArithOp::scaled_sub)
        return narrow<V>(double(vx) + c2 * double(vy));
    else {
        W const a = W(x), b = W(y);
        W const b2 = b * b;
        W const num = a * a * W(vy) + b2 * W(vx);
        if constexpr (Op == ArithOp::mul)
            return narrow<V>(num);
        else if constexpr (Op == ArithOp::div)
            return narrow<V>(num / (b2 * b2));
        else if constexpr (Op == ArithOp::scaled_mul)
            return narrow<V>(c2 * double(num));
        else
            return narrow<V>(double(num) / (c2 * double(b2 * b2)));
    }
}

/// Block length of the row kernels: each row is processed as fixed-size blocks plus a scalar tail. GCC
/// vectorises the fixed-size inner loop even at -O2 (its "very cheap" cost model takes only loops whose trip count
/// is a known multiple of the vector width); at -O3 it is as fast as a plain loop.
inline constexpr std::ptrdiff_t row_block = 16;

// Per-pixel bodies. Pointers are restrict-qualified: the drivers below copy the right-hand side first whenever its
// pixels overlap the left-hand side, so the planes never alias here and the loops vectorise without run-time
// alias checks.
template <ArithOp Op, class T>
SKYSTACK_FORCEINLINE void image_px(T* SKYSTACK_RESTRICT x, T const* SKYSTACK_RESTRICT y, std::ptrdiff_t i,
                                   double c) noexcept {
    x[i] = image_value<Op>(x[i], y[i], c);
}
template <ArithOp Op, class T, class V>
SKYSTACK_FORCEINLINE void masked_px(T* SKYSTACK_RESTRICT x, MaskPixel* SKYSTACK_RESTRICT mx, V* SKYSTACK_RESTRICT vx,
                                    T const* SKYSTACK_RESTRICT y, MaskPixel const* SKYSTACK_RESTRICT my,
                                    V const* SKYSTACK_RESTRICT vy, std::ptrdiff_t i, double c, double c2) noexcept {
    T const a = x[i], b = y[i];
    vx[i] = variance_value<Op>(a, b, vx[i], vy[i], c2); // from the old x
    x[i] = image_value<Op>(a, b, c);
    mx[i] |= my[i];
}
/// Masked image op plain image g (no variance, mask untouched): *= g scales V by g², /= g by 1/g².
template <ArithOp Op, class T, class V>
SKYSTACK_FORCEINLINE void masked_image_px(T* SKYSTACK_RESTRICT x, V* SKYSTACK_RESTRICT vx, T const* SKYSTACK_RESTRICT g,
                                          std::ptrdiff_t i) noexcept {
    using W = std::common_type_t<T, V>;
    T const b = g[i];
    if constexpr (Op == ArithOp::mul)
        vx[i] = narrow<V>(W(vx[i]) * (W(b) * W(b)));
    else if constexpr (Op == ArithOp::div)
        vx[i] = narrow<V>(W(vx[i]) / (W(b) * W(b)));
    x[i] = image_value<Op>(x[i], b, 1.0);
}

// Row kernels: fixed-size blocks, then the tail.
template <ArithOp Op, class T>
SKYSTACK_FORCEINLINE void image_row(T* SKYSTACK_RESTRICT x, T const* SKYSTACK_RESTRICT y, std::ptrdiff_t n,
                                    double c) noexcept {
    std::ptrdiff_t const nb = n / row_block * row_block;
    for (std::ptrdiff_t i = 0; i < nb; i += row_block) {
        T* SKYSTACK_RESTRICT const xb = x + i;
        T const* SKYSTACK_RESTRICT const yb = y + i;
        for (std::ptrdiff_t k = 0; k < row_block; ++k) xb[k] = image_value<Op>(xb[k], yb[k], c);
    }
    for (std::ptrdiff_t i = nb; i < n; ++i) image_px<Op>(x, y, i, c);
}
template <ArithOp Op, class T>
SKYSTACK_FORCEINLINE void image_scalar_row(T* SKYSTACK_RESTRICT x, T s, std::ptrdiff_t n) noexcept {
    std::ptrdiff_t i = 0;
    for (; i + row_block <= n; i += row_block)
        for (std::ptrdiff_t k = 0; k < row_block; ++k) x[i + k] = image_value<Op>(x[i + k], s, 1.0);
    for (; i < n; ++i) x[i] = image_value<Op>(x[i], s, 1.0);
}
template <ArithOp Op, class T, class V>
SKYSTACK_FORCEINLINE void masked_row(T* SKYSTACK_RESTRICT x, MaskPixel* SKYSTACK_RESTRICT mx, V* SKYSTACK_RESTRICT vx,
                                     T const* SKYSTACK_RESTRICT y, MaskPixel const* SKYSTACK_RESTRICT my,
                                     V const* SKYSTACK_RESTRICT vy, std::ptrdiff_t n, double c, double c2) noexcept {
    std::ptrdiff_t const nb = n / row_block * row_block;
    for (std::ptrdiff_t i = 0; i < nb; i += row_block) {
        T* SKYSTACK_RESTRICT const xb = x + i;
        MaskPixel* SKYSTACK_RESTRICT const mb = mx + i;
        V* SKYSTACK_RESTRICT const vb = vx + i;
        T const* SKYSTACK_RESTRICT const yb = y + i;
        MaskPixel const* SKYSTACK_RESTRICT const myb = my + i;
        V const* SKYSTACK_RESTRICT const vyb = vy + i;
        for (std::ptrdiff_t k = 0; k < row_block; ++k) {
            T const a = xb[k], b = yb[k];
            vb[k] = variance_value<Op>(a, b, vb[k], vyb[k], c2);
            xb[k] = image_value<Op>(a, b, c);
            mb[k] |= myb[k];
        }
    }
    for (std::ptrdiff_t i = nb; i < n; ++i) masked_px<Op>(x, mx, vx, y, my, vy, i, c, c2);
}
template <ArithOp Op, class T, class V>
SKYSTACK_FORCEINLINE void masked_image_row(T* SKYSTACK_RESTRICT x, V* SKYSTACK_RESTRICT vx,
                                           T const* SKYSTACK_RESTRICT g, std::ptrdiff_t n) noexcept {
    std::ptrdiff_t const nb = n / row_block * row_block;
    for (std::ptrdiff_t i = 0; i < nb; i += row_block) {
        T* SKYSTACK_RESTRICT const xb = x + i;
        V* SKYSTACK_RESTRICT const vb = vx + i;
        T const* SKYSTACK_RESTRICT const gb = g + i;
        for (std::ptrdiff_t k = 0; k < row_block; ++k) {
            using W = std::common_type_t<T, V>;
            T const b = gb[k];
            if constexpr (Op == ArithOp::mul)
                vb[k] = narrow<V>(W(vb[k]) * (W(b) * W(b)));
            else if constexpr (Op == ArithOp::div)
                vb[k] = narrow<V>(W(vb[k]) / (W(b) * W(b)));
            xb[k] = image_value<Op>(xb[k], b, 1.0);
        }
    }
    for (std::ptrdiff_t i = nb; i < n; ++i) masked_image_px<Op>(x, vx, g, i);
}

inline void check_dims(Extent2I lhs, Extent2I rhs, char const* what) {
    if (lhs != rhs)
        throw LengthError(detail::msg(what, ": images have different dimensions ", lhs, " (lhs) and ", rhs, " (rhs)"));
}

template <ArithOp Op, class T>
void image_op(ImageView<T> lhs, ImageView<T const> rhs, double c, char const* what) {
    check_dims(lhs.dimensions(), rhs.dimensions(), what);
    if (footprints_overlap(lhs, rhs)) { // read the rhs as it was before the operation
        Image<T> const tmp = rhs.clone();
        image_op<Op, T>(lhs, tmp.cview(), c, what);
        return;
    }
    std::ptrdiff_t const n = lhs.width();
    for (int y = 0; y < lhs.height(); ++y) image_row<Op>(lhs.row(y).data(), rhs.row(y).data(), n, c);
}

template <ArithOp Op, class T>
void image_scalar_op(ImageView<T> lhs, T s) noexcept {
    std::ptrdiff_t const n = lhs.width();
    if constexpr (Op == ArithOp::div && std::is_floating_point_v<T>) {
        // afw's Image<float/double>::operator/=(s) multiplies by 1/s (formed in the pixel type), which can differ
        // from a true division by one ulp; skystack matches it so that ported results agree bit for bit.
        T const inv = T(1) / s;
        for (int y = 0; y < lhs.height(); ++y) image_scalar_row<ArithOp::mul>(lhs.row(y).data(), inv, n);
    } else {
        for (int y = 0; y < lhs.height(); ++y) image_scalar_row<Op>(lhs.row(y).data(), s, n);
    }
}

template <ArithOp Op, class T, class V>
void masked_op(MaskedImageView<T, V> lhs, MaskedImageView<T const, V> rhs, double c, char const* what) {
    check_dims(lhs.dimensions(), rhs.dimensions(), what);
    if (!lhs.mask().planes().same_layout(rhs.mask().planes()))
        throw InvalidParameterError(detail::msg(what, ": the masks use different plane layouts; conform one to the "
                                                      "other first (Mask::conform_to)"));
    if (footprints_overlap(lhs.image(), rhs.image()) || footprints_overlap(lhs.mask(), rhs.mask()) ||
        footprints_overlap(lhs.variance(), rhs.variance())) {
        auto const tmp = rhs.clone(); // read the rhs as it was before the operation
        masked_op<Op, T, V>(lhs, tmp.cview(), c, what);
        return;
    }
    std::ptrdiff_t const n = lhs.width();
    double const c2 = c * c;
    for (int y = 0; y < lhs.height(); ++y)
        masked_row<Op>(lhs.image().row(y).data(), lhs.mask().row(y).data(), lhs.variance().row(y).data(),
                       rhs.image().row(y).data(), rhs.mask().row(y).data(), rhs.variance().row(y).data(), n, c, c2);
}

template <ArithOp Op, class T, class V>
void masked_image_op(MaskedImageView<T, V> lhs, ImageView<T const> rhs, char const* what) {
    check_dims(lhs.dimensions(), rhs.dimensions(), what);
    if (footprints_overlap(lhs.image(), rhs) || footprints_overlap(lhs.variance(), rhs)) {
        Image<T> const tmp = rhs.clone();
        masked_image_op<Op, T, V>(lhs, tmp.cview(), what);
        return;
    }
    std::ptrdiff_t const n = lhs.width();
    for (int y = 0; y < lhs.height(); ++y) {
        if constexpr (Op == ArithOp::add || Op == ArithOp::sub)
            image_row<Op>(lhs.image().row(y).data(), rhs.row(y).data(), n, 1.0);
        else
            masked_image_row<Op>(lhs.image().row(y).data(), lhs.variance().row(y).data(), rhs.row(y).data(), n);
    }
}

template <ArithOp Op, class T, class V>
void masked_scalar_op(MaskedImageView<T, V> lhs, T s) noexcept {
    image_scalar_op<Op>(lhs.image(), s);
    if constexpr (Op == ArithOp::mul || Op == ArithOp::div) {
        // afw: variance *= s², /= s²; s² formed in double so integer scalars cannot overflow.
        V const s2 = narrow<V>(double(s) * double(s));
        image_scalar_op<Op>(lhs.variance(), s2);
    }
}

/// A pixel type whose pixels can be written (the left-hand side of an in-place operation).
template <class T>
concept MutablePixel = Pixel<T> && !std::is_const_v<T>;

} // namespace detail

// ================================================================================================================
// Image op= scalar / image. Same dimensions required (xy0 may differ, as afw); LengthError otherwise.
// Integer pixels wrap or truncate as C++ arithmetic does; integer division by zero is undefined, as in afw.
// A right-hand side whose pixels overlap the left-hand side is read as it was before the operation.
// ================================================================================================================

/// Add s to every pixel.
template <detail::MutablePixel T>
ImageView<T> operator+=(ImageView<T> lhs, std::type_identity_t<T> s) noexcept {
    detail::image_scalar_op<detail::ArithOp::add>(lhs, s);
    return lhs;
}
/// Subtract s from every pixel.
template <detail::MutablePixel T>
ImageView<T> operator-=(ImageView<T> lhs, std::type_identity_t<T> s) noexcept {
    detail::image_scalar_op<detail::ArithOp::sub>(lhs, s);
    return lhs;
}
/// Multiply every pixel by s.
template <detail::MutablePixel T>
ImageView<T> operator*=(ImageView<T> lhs, std::type_identity_t<T> s) noexcept {
    detail::image_scalar_op<detail::ArithOp::mul>(lhs, s);
    return lhs;
}
/// Divide every pixel by s.
template <detail::MutablePixel T>
ImageView<T> operator/=(ImageView<T> lhs, std::type_identity_t<T> s) noexcept {
    detail::image_scalar_op<detail::ArithOp::div>(lhs, s);
    return lhs;
}
/// Pixel-wise lhs += rhs. @throws LengthError when the dimensions differ.
template <detail::MutablePixel T>
ImageView<T> operator+=(ImageView<T> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::add>(lhs, rhs, 1.0, "image +=");
    return lhs;
}
/// Pixel-wise lhs -= rhs. @throws LengthError when the dimensions differ.
template <detail::MutablePixel T>
ImageView<T> operator-=(ImageView<T> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::sub>(lhs, rhs, 1.0, "image -=");
    return lhs;
}
/// Pixel-wise lhs *= rhs. @throws LengthError when the dimensions differ.
template <detail::MutablePixel T>
ImageView<T> operator*=(ImageView<T> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::mul>(lhs, rhs, 1.0, "image *=");
    return lhs;
}
/// Pixel-wise lhs /= rhs. @throws LengthError when the dimensions differ.
template <detail::MutablePixel T>
ImageView<T> operator/=(ImageView<T> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::div>(lhs, rhs, 1.0, "image /=");
    return lhs;
}

// Owners forward to their views.
template <Pixel T>
Image<T>& operator+=(Image<T>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() += s;
    return lhs;
}
template <Pixel T>
Image<T>& operator-=(Image<T>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() -= s;
    return lhs;
}
template <Pixel T>
Image<T>& operator*=(Image<T>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() *= s;
    return lhs;
}
template <Pixel T>
Image<T>& operator/=(Image<T>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() /= s;
    return lhs;
}
template <Pixel T>
Image<T>& operator+=(Image<T>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() += rhs;
    return lhs;
}
template <Pixel T>
Image<T>& operator-=(Image<T>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() -= rhs;
    return lhs;
}
template <Pixel T>
Image<T>& operator*=(Image<T>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() *= rhs;
    return lhs;
}
template <Pixel T>
Image<T>& operator/=(Image<T>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() /= rhs;
    return lhs;
}

/// lhs = lhs + c·rhs, computed in double (afw Image::scaledPlus). @throws LengthError when dimensions differ.
template <detail::MutablePixel T>
void scaled_plus(ImageView<T> lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::scaled_add>(lhs, rhs, c, "scaled_plus");
}
/// lhs = lhs − c·rhs (afw Image::scaledMinus). @throws LengthError when dimensions differ.
template <detail::MutablePixel T>
void scaled_minus(ImageView<T> lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::scaled_sub>(lhs, rhs, c, "scaled_minus");
}
/// lhs = c·lhs·rhs (afw Image::scaledMultiplies). @throws LengthError when dimensions differ.
template <detail::MutablePixel T>
void scaled_multiplies(ImageView<T> lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::scaled_mul>(lhs, rhs, c, "scaled_multiplies");
}
/// lhs = lhs / (c·rhs) (afw Image::scaledDivides). @throws LengthError when dimensions differ.
template <detail::MutablePixel T>
void scaled_divides(ImageView<T> lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    detail::image_op<detail::ArithOp::scaled_div>(lhs, rhs, c, "scaled_divides");
}
template <Pixel T>
void scaled_plus(Image<T>& lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    scaled_plus(lhs.view(), c, rhs);
}
template <Pixel T>
void scaled_minus(Image<T>& lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    scaled_minus(lhs.view(), c, rhs);
}
template <Pixel T>
void scaled_multiplies(Image<T>& lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    scaled_multiplies(lhs.view(), c, rhs);
}
template <Pixel T>
void scaled_divides(Image<T>& lhs, double c, std::type_identity_t<ImageView<T const>> rhs) {
    scaled_divides(lhs.view(), c, rhs);
}

// ================================================================================================================
// MaskedImage op= masked image / plain image / scalar (data-model.md §4.1, afw src/image/MaskedImage.cc).
// Notation: lhs (x, M_x, V_x), rhs (y, M_y, V_y); variance is computed from the old x. Masked operands OR their
// masks, which requires the same plane layout (InvalidParameterError otherwise); dimensions must agree
// (LengthError). All checks happen before any pixel is written. NaN and inf propagate; masks are not consulted.
// ================================================================================================================

/// x + y, V_x + V_y, M_x | M_y.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator+=(MaskedImageView<T, V> lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::add>(lhs, rhs, 1.0, "masked image +=");
    return lhs;
}
/// x − y, V_x + V_y, M_x | M_y.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator-=(MaskedImageView<T, V> lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::sub>(lhs, rhs, 1.0, "masked image -=");
    return lhs;
}
/// x·y, x²·V_y + y²·V_x, M_x | M_y.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator*=(MaskedImageView<T, V> lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::mul>(lhs, rhs, 1.0, "masked image *=");
    return lhs;
}
/// x / y, (x²·V_y + y²·V_x) / y⁴, M_x | M_y.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator/=(MaskedImageView<T, V> lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::div>(lhs, rhs, 1.0, "masked image /=");
    return lhs;
}
/// x + g for a plain image g; variance and mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator+=(MaskedImageView<T, V> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::masked_image_op<detail::ArithOp::add>(lhs, rhs, "masked image += image");
    return lhs;
}
/// x − g for a plain image g; variance and mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator-=(MaskedImageView<T, V> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::masked_image_op<detail::ArithOp::sub>(lhs, rhs, "masked image -= image");
    return lhs;
}
/// x·g, V_x·g² for a plain (exact) image g; mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator*=(MaskedImageView<T, V> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::masked_image_op<detail::ArithOp::mul>(lhs, rhs, "masked image *= image");
    return lhs;
}
/// x / g, V_x / g² for a plain (exact) image g; mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator/=(MaskedImageView<T, V> lhs, std::type_identity_t<ImageView<T const>> rhs) {
    detail::masked_image_op<detail::ArithOp::div>(lhs, rhs, "masked image /= image");
    return lhs;
}
/// x + s; variance and mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator+=(MaskedImageView<T, V> lhs, std::type_identity_t<T> s) noexcept {
    detail::masked_scalar_op<detail::ArithOp::add>(lhs, s);
    return lhs;
}
/// x − s; variance and mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator-=(MaskedImageView<T, V> lhs, std::type_identity_t<T> s) noexcept {
    detail::masked_scalar_op<detail::ArithOp::sub>(lhs, s);
    return lhs;
}
/// s·x, s²·V_x; mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator*=(MaskedImageView<T, V> lhs, std::type_identity_t<T> s) noexcept {
    detail::masked_scalar_op<detail::ArithOp::mul>(lhs, s);
    return lhs;
}
/// x / s, V_x / s²; mask unchanged.
template <detail::MutablePixel T, class V>
MaskedImageView<T, V> operator/=(MaskedImageView<T, V> lhs, std::type_identity_t<T> s) noexcept {
    detail::masked_scalar_op<detail::ArithOp::div>(lhs, s);
    return lhs;
}

/// x + c·y, V_x + c²·V_y, M_x | M_y (afw MaskedImage::scaledPlus).
template <detail::MutablePixel T, class V>
void scaled_plus(MaskedImageView<T, V> lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::scaled_add>(lhs, rhs, c, "scaled_plus");
}
/// x − c·y, V_x + c²·V_y, M_x | M_y (afw MaskedImage::scaledMinus).
template <detail::MutablePixel T, class V>
void scaled_minus(MaskedImageView<T, V> lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::scaled_sub>(lhs, rhs, c, "scaled_minus");
}
/// c·x·y, c²·(x²·V_y + y²·V_x), M_x | M_y (afw MaskedImage::scaledMultiplies).
template <detail::MutablePixel T, class V>
void scaled_multiplies(MaskedImageView<T, V> lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::scaled_mul>(lhs, rhs, c, "scaled_multiplies");
}
/// x / (c·y), (x²·V_y + y²·V_x) / (c²·y⁴), M_x | M_y (afw MaskedImage::scaledDivides).
template <detail::MutablePixel T, class V>
void scaled_divides(MaskedImageView<T, V> lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    detail::masked_op<detail::ArithOp::scaled_div>(lhs, rhs, c, "scaled_divides");
}

// Owners forward to their views.
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator+=(MaskedImage<T, V>& lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    lhs.view() += rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator-=(MaskedImage<T, V>& lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    lhs.view() -= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator*=(MaskedImage<T, V>& lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    lhs.view() *= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator/=(MaskedImage<T, V>& lhs, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    lhs.view() /= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator+=(MaskedImage<T, V>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() += rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator-=(MaskedImage<T, V>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() -= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator*=(MaskedImage<T, V>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() *= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator/=(MaskedImage<T, V>& lhs, std::type_identity_t<ImageView<T const>> rhs) {
    lhs.view() /= rhs;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator+=(MaskedImage<T, V>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() += s;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator-=(MaskedImage<T, V>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() -= s;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator*=(MaskedImage<T, V>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() *= s;
    return lhs;
}
template <Pixel T, Pixel V>
MaskedImage<T, V>& operator/=(MaskedImage<T, V>& lhs, std::type_identity_t<T> s) noexcept {
    lhs.view() /= s;
    return lhs;
}
template <Pixel T, Pixel V>
void scaled_plus(MaskedImage<T, V>& lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    scaled_plus(lhs.view(), c, rhs);
}
template <Pixel T, Pixel V>
void scaled_minus(MaskedImage<T, V>& lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    scaled_minus(lhs.view(), c, rhs);
}
template <Pixel T, Pixel V>
void scaled_multiplies(MaskedImage<T, V>& lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    scaled_multiplies(lhs.view(), c, rhs);
}
template <Pixel T, Pixel V>
void scaled_divides(MaskedImage<T, V>& lhs, double c, std::type_identity_t<MaskedImageView<T const, V>> rhs) {
    scaled_divides(lhs.view(), c, rhs);
}

} // namespace skystack
