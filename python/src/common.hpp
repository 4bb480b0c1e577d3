// SPDX-License-Identifier: MIT
// Shared declarations of the skystack Python extension: the Python-side image objects and the per-submodule
// init functions (one translation unit each, so that they compile in parallel and a change rebuilds one file).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <skystack/geom/box.hpp>
#include <skystack/image.hpp>
#include <skystack/mask.hpp>
#include <skystack/masked_image.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace skystack::python {

namespace py = pybind11;

/// Whatever keeps an object's pixels alive: an Image<T> the bindings allocated, or a numpy array it wraps.
using Keep = std::shared_ptr<void const>;

/// Keeps a Python object (a numpy array) alive from C++; released with the GIL held.
inline Keep keep_object(py::object o) {
    auto* p = new py::object(std::move(o));
    return Keep(p, [](void const* q) {
        py::gil_scoped_acquire gil;
        delete static_cast<py::object const*>(q);
    });
}

/// afw's Image<T> as Python sees it: a view plus the owner of its pixels. Copies share pixels (afw deep=False).
template <class T>
struct PyImage {
    Keep keep;
    ImageView<T> view;

    static PyImage owning(Box2I bbox, T value = T{}) {
        auto img = std::make_shared<Image<T>>(bbox, value);
        ImageView<T> v = img->view();
        return {std::move(img), v};
    }
    [[nodiscard]] PyImage sub(Box2I box, Origin o) const { return {keep, view.subimage(box, o)}; }
};

/// The process-wide "default" mask-plane dictionary of afw: new masks take it; removing a plane or clearing the
/// dictionary replaces it with a new version, so existing masks keep the planes they were made with.
std::shared_ptr<MaskPlanes>& default_mask_planes();

/// afw's Mask<MaskPixel> (MaskX): pixels, their owner and the plane dictionary the mask was made with.
struct PyMask {
    Keep keep;
    ImageView<MaskPixel> pixels;
    std::shared_ptr<MaskPlanes> planes;

    [[nodiscard]] MaskView view() const noexcept { return {pixels, planes.get()}; }
    [[nodiscard]] PyMask sub(Box2I box, Origin o) const { return {keep, pixels.subimage(box, o), planes}; }
    static PyMask owning(Box2I bbox, MaskPixel value = 0) {
        auto img = std::make_shared<Image<MaskPixel>>(bbox, value);
        ImageView<MaskPixel> v = img->view();
        return {std::move(img), v, default_mask_planes()};
    }
};

/// afw's MaskedImage<T>: three planes, each shared with the Image/Mask objects getImage() etc. hand out.
template <class T>
struct PyMaskedImage {
    PyImage<T> image;
    PyMask mask;
    PyImage<VariancePixel> variance;

    [[nodiscard]] MaskedImageView<T> view() const { return {image.view, mask.view(), variance.view}; }
    [[nodiscard]] MaskedImageView<T const> cview() const { return view(); }
    [[nodiscard]] Box2I bbox() const noexcept { return image.view.bbox(); }
    [[nodiscard]] PyMaskedImage sub(Box2I box, Origin o) const {
        return {image.sub(box, o), mask.sub(box, o), variance.sub(box, o)};
    }
    static PyMaskedImage owning(Box2I bbox) {
        return {PyImage<T>::owning(bbox), PyMask::owning(bbox), PyImage<VariancePixel>::owning(bbox)};
    }
};

/// A numpy view of an image's pixels, shape (height, width), indexed [y, x]; `base` keeps the owner alive.
template <class A, class T>
py::array pixel_array(ImageView<T> v, py::handle base) {
    std::vector<py::ssize_t> shape{v.height(), v.width()};
    std::vector<py::ssize_t> strides{py::ssize_t(v.row_stride() * sizeof(T)), py::ssize_t(sizeof(T))};
    return py::array_t<A>(shape, strides, reinterpret_cast<A*>(v.data()), base);
}

/// Formats a double as Python's repr would (so that repr() output evaluates back to the same value).
inline std::string float_repr(double v) { return py::repr(py::float_(v)).cast<std::string>(); }

/// repr() of a box, for messages.
inline std::string box_repr(Box2I const& b) { return py::repr(py::cast(b)).cast<std::string>(); }

void init_exceptions(py::module_& m);
void init_geom(py::module_& m);
void init_image(py::module_& m);
void init_mask(py::module_& m);
void init_masked_image(py::module_& m);
void init_math(py::module_& m);
void init_stack(py::module_& m);
void init_fits(py::module_& m);

} // namespace skystack::python

namespace skystack::python {

/// Raises the Python exception class `cls` of skystack.exceptions with `what` (defined in module.cpp).
[[noreturn]] void raise_py(char const* cls, std::string const& what);

/// afw's ImageOrigin.
using ImageOrigin = Origin;

/// What an image's [] was given: one pixel, or a box (slices, a Box2I) to view.
struct Index {
    bool is_pixel = false;
    Point2I pixel{}; // parent coordinates
    Box2I box{};     // parent coordinates
};

/// Interprets afw's image indices against `bbox` (the image's parent box): `(x, y)`, `(x, y, origin)`, a Point2I,
/// a Box2I, `(box, origin)`, or `(xslice, yslice[, origin])`. PARENT unless LOCAL is given; negative integers and
/// slice bounds count back from the end, as Python's do; slices must have step 1.
Index parse_index(py::handle key, Box2I bbox);

/// Copies a 2-d array into a new owning image, or (deep=False) wraps the array's memory without a copy.
template <class T>
PyImage<T> image_from_array(py::array const& arr, bool deep, Point2I xy0, char const* what);

/// Writes `value` (a scalar, an array or an image's .array) into all pixels of `arr` with numpy's rules.
inline void assign_array(py::array arr, py::handle value) { arr.attr("__setitem__")(py::ellipsis(), value); }

} // namespace skystack::python

#include <skystack/stack/config.hpp>

namespace skystack::python {

/// skystack::stack() for float and double pixels, instantiated once in stack.cpp and called with the GIL released.
template <class T>
StackResult<T> run_stack(std::string const& statistic, std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox,
                         StackConfig const& cfg);

/// Wraps a coadd the stacker made into the Python object (its planes keep the result alive).
template <class T>
PyMaskedImage<T> adopt(MaskedImage<T>&& mi);

} // namespace skystack::python
