// SPDX-License-Identifier: MIT
// lsst.afw.image's MaskedImageU/I/F/D: image, mask and variance planes shared with the objects getImage(),
// getMask() and getVariance() return; getArrays(); [] giving (value, mask, variance) or a view.
#include "common.hpp"

#include <skystack/arithmetic.hpp>

namespace skystack::python {

namespace {

template <class T>
PyMaskedImage<T> deep_copy(PyMaskedImage<T> const& m) {
    PyMaskedImage<T> out = PyMaskedImage<T>::owning(m.bbox());
    out.image.view.assign(m.image.view);
    out.mask.pixels.assign(m.mask.pixels);
    out.mask.planes = m.mask.planes;
    out.variance.view.assign(m.variance.view);
    return out;
}

template <class T>
void bind_masked_image(py::module_& m, char const* name) {
    using PM = PyMaskedImage<T>;
    using PI = PyImage<T>;
    using PV = PyImage<VariancePixel>;
    py::class_<PM> c(m, name, "Image, mask and variance (lsst.afw.image.MaskedImage)");
    c.def(py::init([](int w, int h) {
              return PM::owning(Box2I::from_min_size({0, 0}, {w, h}));
          }),
          py::arg("width"), py::arg("height"))
        .def(py::init([](Extent2I d) {
                 return PM::owning(Box2I::from_min_size({0, 0}, d));
             }),
             py::arg("dimensions") = Extent2I{})
        .def(py::init([](Box2I b) { return PM::owning(b); }), py::arg("bbox"))
        .def(py::init([](PI const& image, std::optional<PyMask> mask, std::optional<PV> variance) {
                 Box2I const b = image.view.bbox();
                 PM out{image, mask ? *mask : PyMask::owning(b), variance ? *variance : PV::owning(b)};
                 if (out.mask.pixels.bbox() != b || out.variance.view.bbox() != b)
                     raise_py("LengthError", "MaskedImage: image, mask and variance must have the same bbox");
                 return out;
             }),
             py::arg("image"), py::arg("mask") = py::none(), py::arg("variance") = py::none())
        .def(py::init([](PM const& o, bool deep) { return deep ? deep_copy(o) : o; }), py::arg("rhs"),
             py::arg("deep") = false)
        .def(py::init([](PM const& o, Box2I const& b, Origin origin, bool deep) {
                 PM sub = o.sub(b, origin);
                 return deep ? deep_copy(sub) : sub;
             }),
             py::arg("rhs"), py::arg("bbox"), py::arg("origin") = Origin::parent, py::arg("deep") = false);

    c.def("getImage", [](PM const& i) { return i.image; });
    c.def("getMask", [](PM const& i) { return i.mask; });
    c.def("getVariance", [](PM const& i) { return i.variance; });
    c.def_property(
        "image", [](PM const& i) { return i.image; }, [](PM& i, PI const& v) { i.image.view.assign(v.view); });
    c.def_property(
        "mask", [](PM const& i) { return i.mask; }, [](PM& i, PyMask const& v) { i.mask.pixels.assign(v.pixels); });
    c.def_property(
        "variance", [](PM const& i) { return i.variance; }, [](PM& i, PV const& v) { i.variance.view.assign(v.view); });
    c.def("getArrays", [](py::object self) {
        PM& i = self.cast<PM&>();
        return py::make_tuple(pixel_array<T>(i.image.view, py::cast(i.image)),
                              pixel_array<std::int32_t>(i.mask.pixels, py::cast(i.mask)),
                              pixel_array<VariancePixel>(i.variance.view, py::cast(i.variance)));
    });
    c.def(
        "getBBox", [](PM const& i, Origin o) { return i.image.view.bbox(o); }, py::arg("origin") = Origin::parent);
    c.def("getX0", [](PM const& i) { return i.bbox().min_x(); });
    c.def("getY0", [](PM const& i) { return i.bbox().min_y(); });
    c.def("getXY0", [](PM const& i) { return i.bbox().min(); });
    c.def("setXY0", [](PM& i, Point2I p) {
        i.image.view.set_xy0(p);
        i.mask.pixels.set_xy0(p);
        i.variance.view.set_xy0(p);
    });
    c.def("getWidth", [](PM const& i) { return i.bbox().width(); });
    c.def("getHeight", [](PM const& i) { return i.bbox().height(); });
    c.def("getDimensions", [](PM const& i) { return i.bbox().dimensions(); });
    c.def_property_readonly("width", [](PM const& i) { return i.bbox().width(); });
    c.def_property_readonly("height", [](PM const& i) { return i.bbox().height(); });
    c.def_property_readonly("dtype", [](PM const&) { return py::dtype::of<T>(); });
    c.def("clone", &deep_copy<T>);
    c.def("__deepcopy__", [](PM const& i, py::dict) { return deep_copy(i); });
    c.def(
        "set",
        [](PM& i, T v, MaskPixel mk, VariancePixel var) {
            i.image.view.fill(v);
            i.mask.pixels.fill(mk);
            i.variance.view.fill(var);
        },
        py::arg("value"), py::arg("mask") = 0, py::arg("variance") = VariancePixel{0});
    c.def("set", [](PM& i, py::tuple t) {
        i.image.view.fill(t[0].cast<T>());
        i.mask.pixels.fill(t[1].cast<MaskPixel>());
        i.variance.view.fill(t[2].cast<VariancePixel>());
    });
    c.def("__getitem__", [](PM const& i, py::object key) -> py::object {
        Index const k = parse_index(key, i.bbox());
        if (k.is_pixel)
            return py::make_tuple(i.image.view(k.pixel), std::int32_t(i.mask.pixels(k.pixel)),
                                  i.variance.view(k.pixel));
        return py::cast(i.sub(k.box, Origin::parent));
    });
    c.def("__setitem__", [](PM& i, py::object key, py::object value) {
        Index const k = parse_index(key, i.bbox());
        PM const dst =
            k.is_pixel ? i.sub(Box2I::from_min_size(k.pixel, {1, 1}), Origin::parent) : i.sub(k.box, Origin::parent);
        if (py::isinstance<PM>(value)) {
            dst.view().assign(value.cast<PM const&>().cview());
            return;
        }
        auto t = value.cast<py::tuple>();
        if (t.size() != 3) raise_py("InvalidParameterError", "a masked pixel is (value, mask, variance)");
        dst.image.view.fill(t[0].cast<T>());
        dst.mask.pixels.fill(MaskPixel(t[1].cast<std::int64_t>()));
        dst.variance.view.fill(t[2].cast<VariancePixel>());
    });
    c.def("__iadd__", [](PM& i, PM const& r) {
        i.view() += r.cview();
        return i;
    });
    c.def("__isub__", [](PM& i, PM const& r) {
        i.view() -= r.cview();
        return i;
    });
    c.def("__imul__", [](PM& i, PM const& r) {
        i.view() *= r.cview();
        return i;
    });
    c.def("__itruediv__", [](PM& i, PM const& r) {
        i.view() /= r.cview();
        return i;
    });
    c.def("__iadd__", [](PM& i, T s) {
        i.view() += s;
        return i;
    });
    c.def("__isub__", [](PM& i, T s) {
        i.view() -= s;
        return i;
    });
    c.def("__imul__", [](PM& i, T s) {
        i.view() *= s;
        return i;
    });
    c.def("__itruediv__", [](PM& i, double s) {
        i.view() /= static_cast<T>(s);
        return i;
    });
    c.def("__repr__", [name](PM const& i) { return std::string(name) + "(bbox=" + box_repr(i.bbox()) + ")"; });
}

} // namespace

void init_masked_image(py::module_& m) {
    bind_masked_image<std::uint16_t>(m, "MaskedImageU");
    bind_masked_image<std::int32_t>(m, "MaskedImageI");
    bind_masked_image<float>(m, "MaskedImageF");
    bind_masked_image<double>(m, "MaskedImageD");
}

} // namespace skystack::python
