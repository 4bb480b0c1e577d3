// SPDX-License-Identifier: MIT
// lsst.afw.image's ImageU/ImageI/ImageF/ImageD: PARENT/LOCAL, zero-copy numpy views (.array), construction
// from numpy with or without a copy, afw's [] (pixels in PARENT, slices and boxes giving views) and in-place
// arithmetic.
#include "common.hpp"

#include <skystack/arithmetic.hpp>

#include <limits>

namespace skystack::python {

namespace {

int resolve(py::handle v, int end, char const* axis) {
    long long const i = py::cast<long long>(v);
    long long const r = i < 0 ? i + end : i;
    if (r < std::numeric_limits<int>::min() || r > std::numeric_limits<int>::max())
        raise_py("OverflowError",
                 std::string("image index ") + axis + "=" + std::to_string(i) + " does not fit in int");
    return int(r);
}

std::pair<int, int> resolve_slice(py::slice s, int begin, int end, char const* axis) {
    int lo = begin, hi = end;
    py::object const start = s.attr("start"), stop = s.attr("stop"), step = s.attr("step");
    if (!step.is_none() && py::cast<long long>(step) != 1)
        raise_py("InvalidParameterError", std::string("image slices must have step 1 (") + axis + ")");
    if (!start.is_none()) lo = resolve(start, end, axis);
    if (!stop.is_none()) hi = resolve(stop, end, axis);
    return {lo, hi};
}

} // namespace

Index parse_index(py::handle key, Box2I bbox) {
    Origin origin = Origin::parent;
    py::object k = py::reinterpret_borrow<py::object>(key);
    if (py::isinstance<py::tuple>(k)) {
        auto t = k.cast<py::tuple>();
        if (t.size() >= 2 && py::isinstance<Origin>(t[t.size() - 1])) {
            origin = t[t.size() - 1].cast<Origin>();
            py::tuple rest(t.size() - 1);
            for (std::size_t i = 0; i + 1 < t.size(); ++i) rest[i] = t[i];
            k = rest.size() == 1 ? py::object(rest[0]) : py::object(rest);
        }
    }
    Extent2I const shift = origin == Origin::local ? bbox.min().as_extent() : Extent2I{0, 0};
    Box2I const local_frame = Box2I::from_min_size(bbox.min() - shift, bbox.dimensions());
    Index out;
    if (py::isinstance<Point2I>(k)) {
        out.is_pixel = true;
        out.pixel = k.cast<Point2I>() + shift;
    } else if (py::isinstance<Box2I>(k)) {
        out.box = k.cast<Box2I>().shifted_by(shift);
    } else if (py::isinstance<py::tuple>(k) && py::len(k) == 2) {
        auto t = k.cast<py::tuple>();
        bool const sx = py::isinstance<py::slice>(t[0]), sy = py::isinstance<py::slice>(t[1]);
        if (!sx && !sy) {
            out.is_pixel = true;
            out.pixel =
                Point2I{resolve(t[0], local_frame.end_x(), "x"), resolve(t[1], local_frame.end_y(), "y")} + shift;
        } else {
            auto const [x0, x1] =
                sx ? resolve_slice(t[0].cast<py::slice>(), local_frame.min_x(), local_frame.end_x(), "x")
                   : std::pair{resolve(t[0], local_frame.end_x(), "x"), resolve(t[0], local_frame.end_x(), "x") + 1};
            auto const [y0, y1] =
                sy ? resolve_slice(t[1].cast<py::slice>(), local_frame.min_y(), local_frame.end_y(), "y")
                   : std::pair{resolve(t[1], local_frame.end_y(), "y"), resolve(t[1], local_frame.end_y(), "y") + 1};
            out.box = Box2I::from_min_size(Point2I{x0, y0} + shift, {std::max(0, x1 - x0), std::max(0, y1 - y0)});
        }
    } else {
        raise_py("TypeError", "image index must be (x, y), a Point2I, a Box2I or (xslice, yslice), optionally "
                              "followed by PARENT or LOCAL; got " +
                                  py::repr(key).cast<std::string>());
    }
    if (out.is_pixel && !bbox.contains(out.pixel))
        raise_py("OutOfRangeError", "pixel (" + std::to_string(out.pixel.x) + ", " + std::to_string(out.pixel.y) +
                                        ") [parent] is outside the image's bbox " + box_repr(bbox));
    if (!out.is_pixel && !bbox.contains(out.box) && !out.box.empty())
        raise_py("LengthError",
                 "subimage " + box_repr(out.box) + " [parent] is not inside the image's bbox " + box_repr(bbox));
    return out;
}

template <class T>
PyImage<T> image_from_array(py::array const& arr, bool deep, Point2I xy0, char const* what) {
    if (arr.ndim() != 2)
        raise_py("LengthError", std::string(what) + ": the array must be 2-d (height, width), got " +
                                    std::to_string(arr.ndim()) + " dimensions");
    auto const h = arr.shape(0), w = arr.shape(1);
    if (h > std::numeric_limits<int>::max() || w > std::numeric_limits<int>::max())
        raise_py("OverflowError", std::string(what) + ": the array is too large for an image");
    Box2I const box = Box2I::from_min_size(xy0, {int(w), int(h)});
    using Stored = std::conditional_t<std::is_same_v<T, MaskPixel>, std::int32_t, T>;
    bool const dtype_ok = arr.dtype().is(py::dtype::of<T>()) || arr.dtype().is(py::dtype::of<Stored>());
    if (!deep) {
        if (!dtype_ok)
            raise_py("TypeError", std::string(what) + ": deep=False needs an array of dtype " +
                                      py::str(py::dtype::of<Stored>()).cast<std::string>() + ", got " +
                                      py::str(arr.dtype()).cast<std::string>() + " (pass deep=True to convert)");
        if (arr.strides(1) != py::ssize_t(sizeof(T)) || arr.strides(0) % py::ssize_t(sizeof(T)) != 0 ||
            arr.strides(0) < arr.strides(1) * w)
            raise_py("InvalidParameterError", std::string(what) + ": deep=False needs rows of contiguous pixels "
                                                                  "(x stride = itemsize, positive row stride); "
                                                                  "pass deep=True to copy");
        if (!arr.writeable())
            raise_py("InvalidParameterError", std::string(what) + ": deep=False needs a writeable array");
        auto* data = static_cast<T*>(const_cast<void*>(arr.data()));
        return {keep_object(arr), ImageView<T>(data, box, arr.strides(0) / py::ssize_t(sizeof(T)))};
    }
    auto c = py::array_t<Stored, py::array::c_style | py::array::forcecast>::ensure(arr);
    if (!c) throw py::error_already_set();
    PyImage<T> out = PyImage<T>::owning(box);
    auto const* src = reinterpret_cast<T const*>(c.data());
    for (int y = 0; y < box.height(); ++y)
        std::copy(src + std::ptrdiff_t(y) * w, src + std::ptrdiff_t(y + 1) * w, out.view.row(y).begin());
    return out;
}

template PyImage<std::uint16_t> image_from_array(py::array const&, bool, Point2I, char const*);
template PyImage<std::int32_t> image_from_array(py::array const&, bool, Point2I, char const*);
template PyImage<float> image_from_array(py::array const&, bool, Point2I, char const*);
template PyImage<double> image_from_array(py::array const&, bool, Point2I, char const*);
template PyImage<MaskPixel> image_from_array(py::array const&, bool, Point2I, char const*);

namespace {

template <class T>
void bind_image(py::module_& m, char const* name) {
    using PI = PyImage<T>;
    py::class_<PI> c(m, name, "An image of pixels (lsst.afw.image); copies share pixels unless deep=True");
    c.def(py::init([](int w, int h, T v) {
              return PI::owning(Box2I::from_min_size({0, 0}, {w, h}), v);
          }),
          py::arg("width"), py::arg("height"), py::arg("initialValue") = T{})
        .def(py::init([](Extent2I d, T v) {
                 return PI::owning(Box2I::from_min_size({0, 0}, d), v);
             }),
             py::arg("dimensions") = Extent2I{}, py::arg("initialValue") = T{})
        .def(py::init([](Box2I b, T v) { return PI::owning(b, v); }), py::arg("bbox"), py::arg("initialValue") = T{})
        .def(py::init([](PI const& o, bool deep) {
                 if (!deep) return o;
                 PI out = PI::owning(o.view.bbox());
                 out.view.assign(o.view);
                 return out;
             }),
             py::arg("rhs"), py::arg("deep") = false)
        .def(py::init([](PI const& o, Box2I const& b, Origin origin, bool deep) {
                 PI sub = o.sub(b, origin);
                 if (!deep) return sub;
                 PI out = PI::owning(sub.view.bbox());
                 out.view.assign(sub.view);
                 return out;
             }),
             py::arg("rhs"), py::arg("bbox"), py::arg("origin") = Origin::parent, py::arg("deep") = false)
        .def(py::init([](py::array const& a, bool deep, Point2I xy0) {
                 return image_from_array<T>(a, deep, xy0, "Image(array)");
             }),
             py::arg("array"), py::arg("deep") = false, py::arg("xy0") = Point2I{});

    c.def_property(
        "array", [](py::object self) { return pixel_array<T>(self.cast<PI&>().view, self); },
        [](py::object self, py::object v) { assign_array(pixel_array<T>(self.cast<PI&>().view, self), v); },
        "the pixels as a writable numpy view, shape (height, width), indexed [y, x]");
    c.def("getArray", [](py::object self) { return pixel_array<T>(self.cast<PI&>().view, self); });
    c.def_property_readonly("dtype", [](PI const&) { return py::dtype::of<T>(); });
    c.def(
        "getBBox", [](PI const& i, Origin o) { return i.view.bbox(o); }, py::arg("origin") = Origin::parent);
    c.def("getX0", [](PI const& i) { return i.view.xy0().x; });
    c.def("getY0", [](PI const& i) { return i.view.xy0().y; });
    c.def("getXY0", [](PI const& i) { return i.view.xy0(); });
    c.def("setXY0", [](PI& i, Point2I p) { i.view.set_xy0(p); });
    c.def("setXY0", [](PI& i, int x, int y) { i.view.set_xy0({x, y}); });
    c.def("getWidth", [](PI const& i) { return i.view.width(); });
    c.def("getHeight", [](PI const& i) { return i.view.height(); });
    c.def("getDimensions", [](PI const& i) { return i.view.dimensions(); });
    c.def_property_readonly("width", [](PI const& i) { return i.view.width(); });
    c.def_property_readonly("height", [](PI const& i) { return i.view.height(); });
    c.def("__len__", [](PI const& i) { return i.view.height(); });
    c.def("clone", [](PI const& i) {
        PI out = PI::owning(i.view.bbox());
        out.view.assign(i.view);
        return out;
    });
    c.def("__copy__", [](PI const& i) { return i; });
    c.def("__deepcopy__", [](PI const& i, py::dict) {
        PI out = PI::owning(i.view.bbox());
        out.view.assign(i.view);
        return out;
    });
    c.def("set", [](PI& i, T v) { i.view.fill(v); });
    c.def("set", [](PI& i, int x, int y, T v) { i.view.at(x, y) = v; });
    c.def("get", [](PI const& i, int x, int y) { return i.view.at(x, y); });
    c.def(
        "assign",
        [](PI& i, PI const& rhs, Box2I const& b, Origin o) {
            if (b.empty())
                i.view.assign(rhs.view);
            else
                i.view.assign(rhs.view, b, o);
        },
        py::arg("rhs"), py::arg("bbox") = Box2I{}, py::arg("origin") = Origin::parent);
    c.def("__getitem__", [](PI const& i, py::object key) -> py::object {
        Index const k = parse_index(key, i.view.bbox());
        if (k.is_pixel) return py::cast(i.view(k.pixel));
        return py::cast(i.sub(k.box, Origin::parent));
    });
    c.def("__setitem__", [](PI& i, py::object key, py::object value) {
        Index const k = parse_index(key, i.view.bbox());
        if (k.is_pixel) {
            i.view(k.pixel) = value.cast<T>();
            return;
        }
        ImageView<T> const dst = i.view.subimage(k.box);
        if (py::isinstance<PI>(value)) {
            dst.assign(value.cast<PI const&>().view);
            return;
        }
        PI const tmp{i.keep, dst};
        assign_array(pixel_array<T>(tmp.view, py::cast(tmp)), value);
    });
    c.def("__iadd__", [](PI& i, T s) {
        i.view += s;
        return i;
    });
    c.def("__isub__", [](PI& i, T s) {
        i.view -= s;
        return i;
    });
    c.def("__imul__", [](PI& i, T s) {
        i.view *= s;
        return i;
    });
    c.def("__itruediv__", [](PI& i, double s) {
        i.view /= static_cast<T>(s);
        return i;
    });
    c.def("__iadd__", [](PI& i, PI const& r) {
        i.view += ImageView<T const>(r.view);
        return i;
    });
    c.def("__isub__", [](PI& i, PI const& r) {
        i.view -= ImageView<T const>(r.view);
        return i;
    });
    c.def("__imul__", [](PI& i, PI const& r) {
        i.view *= ImageView<T const>(r.view);
        return i;
    });
    c.def("__itruediv__", [](PI& i, PI const& r) {
        i.view /= ImageView<T const>(r.view);
        return i;
    });
    c.def("__repr__", [name](PI const& i) { return std::string(name) + "(bbox=" + box_repr(i.view.bbox()) + ")"; });
}

} // namespace

void init_image(py::module_& m) {
    py::enum_<Origin>(m, "ImageOrigin").value("PARENT", Origin::parent).value("LOCAL", Origin::local).export_values();
    bind_image<std::uint16_t>(m, "ImageU");
    bind_image<std::int32_t>(m, "ImageI");
    bind_image<float>(m, "ImageF");
    bind_image<double>(m, "ImageD");
}

} // namespace skystack::python
