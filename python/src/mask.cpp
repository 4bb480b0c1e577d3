// SPDX-License-Identifier: MIT
// lsst.afw.image's MaskX: int32 pixels as afw's Python sees them, and afw's process-wide mask-plane dictionary
// with its static API (addMaskPlane, getPlaneBitMask, getMaskPlaneDict, clearMaskPlaneDict, removeMaskPlane,
// removeAndClearMaskPlane, interpret, conformMaskPlanes).
#include "common.hpp"

#include <algorithm>
#include <map>

namespace skystack::python {

std::shared_ptr<MaskPlanes>& default_mask_planes() {
    static std::shared_ptr<MaskPlanes> planes = MaskPlanes::make_standard();
    return planes;
}

namespace {

using Dict = std::map<std::string, int>;

Dict dict_of(MaskPlanes const& p) {
    Dict d;
    for (auto const& pl : p.planes()) d[pl.name] = pl.index;
    return d;
}

/// A dictionary with the given names at the given bits (MaskPlanes::add fills the lowest free bit, so the gaps
/// are filled with placeholders that are removed afterwards).
std::shared_ptr<MaskPlanes> planes_from_dict(Dict const& d) {
    std::map<int, std::string> by_bit;
    for (auto const& [name, bit] : d) {
        if (bit < 0 || bit >= MaskPlanes::max_planes)
            raise_py("InvalidParameterError", "mask plane '" + name + "' has bit " + std::to_string(bit) +
                                                  " outside [0, " + std::to_string(MaskPlanes::max_planes) + ")");
        if (!by_bit.emplace(bit, name).second)
            raise_py("InvalidParameterError", "two mask planes share bit " + std::to_string(bit));
    }
    auto p = std::make_shared<MaskPlanes>();
    if (by_bit.empty()) return p;
    int const top = by_bit.rbegin()->first;
    std::vector<std::string> gaps;
    for (int i = 0; i <= top; ++i) {
        auto it = by_bit.find(i);
        if (it != by_bit.end()) {
            p->add(it->second);
        } else {
            gaps.push_back(" gap " + std::to_string(i));
            p->add(gaps.back());
        }
    }
    for (auto const& g : gaps) p->remove(g);
    return p;
}

/// Names of the bits set in `v`, ordered by name and comma separated, as afw's Mask.interpret; unnamed bits are
/// left out, as afw does.
std::string interpret(MaskPlanes const& p, MaskPixel v) {
    std::string out;
    for (auto const& [name, bit] : dict_of(p)) {
        if ((v & (MaskPixel(1) << bit)) == 0) continue;
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

MaskPixel bit_mask_of(MaskPlanes const& p, std::string const& name) {
    auto const i = p.find(name);
    if (!i) raise_py("InvalidParameterError", "Invalid mask plane name: " + name);
    return MaskPixel(1) << *i;
}

PyMask deep_copy(PyMask const& m) {
    PyMask out = PyMask::owning(m.pixels.bbox());
    out.pixels.assign(m.pixels);
    out.planes = m.planes;
    return out;
}

void check_compatible(PyMask const& a, PyMask const& b, char const* what) {
    if (a.pixels.dimensions() != b.pixels.dimensions())
        raise_py("LengthError", std::string(what) + ": masks have different dimensions");
    if (!a.planes->same_layout(*b.planes))
        raise_py("RuntimeError", std::string(what) + ": the masks' plane dictionaries differ (conformMaskPlanes "
                                                     "one of them first)");
}

} // namespace

void init_mask(py::module_& m) {
    py::class_<PyMask> c(m, "MaskX", "A mask of bit planes (lsst.afw.image.Mask, int32 pixels)");
    c.def(py::init([](int w, int h, MaskPixel v) {
              return PyMask::owning(Box2I::from_min_size({0, 0}, {w, h}), v);
          }),
          py::arg("width"), py::arg("height"), py::arg("initialValue") = 0)
        .def(py::init([](Extent2I d, MaskPixel v) {
                 return PyMask::owning(Box2I::from_min_size({0, 0}, d), v);
             }),
             py::arg("dimensions") = Extent2I{}, py::arg("initialValue") = 0)
        .def(py::init([](Box2I b, MaskPixel v) { return PyMask::owning(b, v); }), py::arg("bbox"),
             py::arg("initialValue") = 0)
        .def(py::init([](PyMask const& o, bool deep) { return deep ? deep_copy(o) : o; }), py::arg("rhs"),
             py::arg("deep") = false)
        .def(py::init([](PyMask const& o, Box2I const& b, Origin origin, bool deep) {
                 PyMask sub = o.sub(b, origin);
                 return deep ? deep_copy(sub) : sub;
             }),
             py::arg("rhs"), py::arg("bbox"), py::arg("origin") = Origin::parent, py::arg("deep") = false)
        .def(py::init([](py::array const& a, bool deep, Point2I xy0) {
                 PyImage<MaskPixel> px = image_from_array<MaskPixel>(a, deep, xy0, "Mask(array)");
                 return PyMask{px.keep, px.view, default_mask_planes()};
             }),
             py::arg("array"), py::arg("deep") = false, py::arg("xy0") = Point2I{});

    auto arr = [](py::object self) { return pixel_array<std::int32_t>(self.cast<PyMask&>().pixels, self); };
    c.def_property("array", arr, [arr](py::object self, py::object v) { assign_array(arr(self), v); });
    c.def("getArray", arr);
    c.def_property_readonly("dtype", [](PyMask const&) { return py::dtype::of<std::int32_t>(); });
    c.def(
        "getBBox", [](PyMask const& i, Origin o) { return i.pixels.bbox(o); }, py::arg("origin") = Origin::parent);
    c.def("getX0", [](PyMask const& i) { return i.pixels.xy0().x; });
    c.def("getY0", [](PyMask const& i) { return i.pixels.xy0().y; });
    c.def("getXY0", [](PyMask const& i) { return i.pixels.xy0(); });
    c.def("setXY0", [](PyMask& i, Point2I p) { i.pixels.set_xy0(p); });
    c.def("getWidth", [](PyMask const& i) { return i.pixels.width(); });
    c.def("getHeight", [](PyMask const& i) { return i.pixels.height(); });
    c.def("getDimensions", [](PyMask const& i) { return i.pixels.dimensions(); });
    c.def("clone", &deep_copy);
    c.def("__deepcopy__", [](PyMask const& i, py::dict) { return deep_copy(i); });
    c.def("set", [](PyMask& i, MaskPixel v) { i.pixels.fill(v); });
    c.def("__getitem__", [](PyMask const& i, py::object key) -> py::object {
        Index const k = parse_index(key, i.pixels.bbox());
        if (k.is_pixel) return py::int_(std::int32_t(i.pixels(k.pixel)));
        return py::cast(i.sub(k.box, Origin::parent));
    });
    c.def("__setitem__", [](PyMask& i, py::object key, py::object value) {
        Index const k = parse_index(key, i.pixels.bbox());
        if (k.is_pixel) {
            i.pixels(k.pixel) = MaskPixel(value.cast<std::int64_t>());
            return;
        }
        PyMask const dst = i.sub(k.box, Origin::parent);
        if (py::isinstance<PyMask>(value)) {
            PyMask const& src = value.cast<PyMask const&>();
            check_compatible(dst, src, "mask assign");
            dst.pixels.assign(src.pixels);
            return;
        }
        assign_array(pixel_array<std::int32_t>(dst.pixels, py::cast(dst)), value);
    });
    c.def("__ior__", [](PyMask& a, PyMask const& b) {
        check_compatible(a, b, "mask |=");
        a.view() |= ConstMaskView(b.view());
        return a;
    });
    c.def("__iand__", [](PyMask& a, PyMask const& b) {
        check_compatible(a, b, "mask &=");
        a.view() &= ConstMaskView(b.view());
        return a;
    });
    c.def("__ixor__", [](PyMask& a, PyMask const& b) {
        check_compatible(a, b, "mask ^=");
        a.view() ^= ConstMaskView(b.view());
        return a;
    });
    c.def("__ior__", [](PyMask& a, std::int64_t v) {
        a.view() |= MaskPixel(v);
        return a;
    });
    c.def("__iand__", [](PyMask& a, std::int64_t v) {
        a.view() &= MaskPixel(v);
        return a;
    });
    c.def("__ixor__", [](PyMask& a, std::int64_t v) {
        a.view() ^= MaskPixel(v);
        return a;
    });

    // --- the plane dictionary (afw's static API works on the default dictionary) ---
    c.def_static("addMaskPlane", [](std::string const& name) { return default_mask_planes()->add(name); });
    c.def_static("getMaskPlane", [](std::string const& name) {
        auto const i = default_mask_planes()->find(name);
        if (!i) raise_py("InvalidParameterError", "Invalid mask plane name: " + name);
        return *i;
    });
    c.def_static("getPlaneBitMask",
                 [](std::string const& name) { return std::int64_t(bit_mask_of(*default_mask_planes(), name)); });
    c.def_static("getPlaneBitMask", [](std::vector<std::string> const& names) {
        MaskPixel v = 0;
        for (auto const& n : names) v |= bit_mask_of(*default_mask_planes(), n);
        return std::int64_t(v);
    });
    c.def_static("getNumPlanesMax", [] { return MaskPlanes::max_planes; });
    c.def_static("getNumPlanesUsed", [] { return default_mask_planes()->size(); });
    c.def_static("clearMaskPlaneDict", [] { default_mask_planes() = std::make_shared<MaskPlanes>(); });
    c.def_static("removeMaskPlane", [](std::string const& name) {
        auto& d = default_mask_planes();
        if (!d->contains(name)) raise_py("InvalidParameterError", "Plane " + name + " doesn't exist to remove");
        auto next = std::make_shared<MaskPlanes>(*d); // a new version: existing masks keep the plane
        next->remove(name);
        d = std::move(next);
    });
    c.def_static("_resetDefaultMaskPlaneDict", [] { default_mask_planes() = MaskPlanes::make_standard(); });
    c.def("getMaskPlaneDict", [](PyMask const& i) { return dict_of(*i.planes); });
    c.def("getPlaneBitMaskOf",
          [](PyMask const& i, std::string const& name) { return std::int64_t(bit_mask_of(*i.planes, name)); });
    c.def("interpret", [](PyMask const& i, std::int64_t v) { return interpret(*i.planes, MaskPixel(v)); });
    c.def("clearMaskPlane", [](PyMask& i, int plane) {
        if (plane < 0 || plane >= MaskPlanes::max_planes)
            raise_py("InvalidParameterError", "mask plane index " + std::to_string(plane) + " out of range");
        i.view().clear_bits(MaskPixel(1) << plane);
    });
    c.def("clearAllMaskPlanes", [](PyMask& i) { i.pixels.fill(0); });
    c.def(
        "removeAndClearMaskPlane",
        [](PyMask& i, std::string const& name, bool remove_from_default) {
            MaskPixel const bit = bit_mask_of(*i.planes, name);
            i.view().clear_bits(bit);
            auto mine = std::make_shared<MaskPlanes>(*i.planes);
            mine->remove(name);
            bool const was_default = i.planes == default_mask_planes();
            i.planes = std::move(mine);
            if (remove_from_default && default_mask_planes()->contains(name)) {
                auto next = std::make_shared<MaskPlanes>(*default_mask_planes());
                next->remove(name);
                default_mask_planes() = was_default ? i.planes : std::move(next);
            }
        },
        py::arg("name"), py::arg("removeFromDefault") = false);
    c.def("conformMaskPlanes", [](PyMask& i, Dict const& target) {
        auto const to = planes_from_dict(target);
        if (to->same_layout(*i.planes)) {
            i.planes = to->same_layout(*default_mask_planes()) ? default_mask_planes() : to;
            return;
        }
        std::array<MaskPixel, MaskPlanes::max_planes> map{};
        for (auto const& pl : i.planes->planes())
            if (auto j = to->find(pl.name)) map[std::size_t(pl.index)] = MaskPixel(1) << *j;
        for (int y = 0; y < i.pixels.height(); ++y)
            for (auto& v : i.pixels.row(y)) v = remap_bits(v, map);
        i.planes = to->same_layout(*default_mask_planes()) ? default_mask_planes() : to;
    });
    c.def("printMaskPlanes", [](PyMask const& i) {
        for (auto const& [name, bit] : dict_of(*i.planes)) py::print("Plane", bit, "->", name);
    });
    c.def("__repr__", [](PyMask const& i) { return "MaskX(bbox=" + box_repr(i.pixels.bbox()) + ")"; });
}

} // namespace skystack::python
