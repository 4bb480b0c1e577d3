// SPDX-License-Identifier: MIT
// lsst.geom's Point2I/Point2D/Extent2I/Extent2D/Box2I/Box2D over skystack's geometry: afw's camelCase methods,
// snake_case aliases, operators, repr() that evaluates back, pickling, equality and hashing.
#include "common.hpp"

#include <pybind11/operators.h>

#include <cmath>
#include <functional>
#include <sstream>

namespace skystack::python {

namespace {

template <class T>
std::string num(T v) {
    if constexpr (std::is_integral_v<T>)
        return std::to_string(v);
    else
        return float_repr(v);
}

/// Binds a method under its afw (camelCase) name and a snake_case alias.
template <class C, class F, class... Extra>
void both(C& cls, char const* camel, char const* snake, F&& f, Extra const&... extra) {
    cls.def(camel, f, extra...);
    cls.def(snake, std::forward<F>(f), extra...);
}

template <class P>
void bind_pair_common(py::class_<P>& c, char const* name) {
    using T = decltype(P{}.x);
    c.def_readwrite("x", &P::x).def_readwrite("y", &P::y);
    both(c, "getX", "get_x", [](P const& p) { return p.x; });
    both(c, "getY", "get_y", [](P const& p) { return p.y; });
    both(c, "setX", "set_x", [](P& p, T v) { p.x = v; });
    both(c, "setY", "set_y", [](P& p, T v) { p.y = v; });
    c.def("__len__", [](P const&) { return 2; });
    c.def("__getitem__", [](P const& p, int i) {
        if (i < 0) i += 2;
        if (i == 0) return p.x;
        if (i == 1) return p.y;
        throw py::index_error("index " + std::to_string(i) + " out of range for a 2-d coordinate");
    });
    c.def("__iter__", [](P const& p) { return py::iter(py::make_tuple(p.x, p.y)); });
    c.def(
        "__eq__", [](P const& a, P const& b) { return a == b; }, py::is_operator());
    c.def(
        "__ne__", [](P const& a, P const& b) { return a != b; }, py::is_operator());
    c.def("__eq__", [](P const&, py::object const&) { return false; });
    c.def("__ne__", [](P const&, py::object const&) { return true; });
    c.def("__hash__", [](P const& p) { return std::hash<P>{}(p); });
    c.def("__repr__", [name](P const& p) { return std::string(name) + "(" + num(p.x) + ", " + num(p.y) + ")"; });
    c.def("__str__", [](P const& p) { return "(" + num(p.x) + ", " + num(p.y) + ")"; });
    c.def(py::pickle([](P const& p) { return py::make_tuple(p.x, p.y); },
                     [](py::tuple t) {
                         return P{t[0].cast<T>(), t[1].cast<T>()};
                     }));
    c.def("clone", [](P const& p) { return p; });
}

template <class T>
std::pair<py::class_<Point<T>>, py::class_<Extent<T>>> bind_points(py::module_& m, char const* pname,
                                                                   char const* ename) {
    using P = Point<T>;
    using E = Extent<T>;
    py::class_<P> pc(m, pname, "A position (x, y); Point - Point is an Extent, Point + Extent a Point");
    py::class_<E> ec(m, ename, "A size or offset (x, y)");
    pc.def(py::init([] { return P{}; }))
        .def(py::init([](T x, T y) {
                 return P{x, y};
             }),
             py::arg("x"), py::arg("y"))
        .def(py::init([](E const& e) { return e.as_point(); }));
    ec.def(py::init([] { return E{}; }))
        .def(py::init([](T x, T y) {
                 return E{x, y};
             }),
             py::arg("x"), py::arg("y"))
        .def(py::init([](P const& p) { return p.as_extent(); }));
    bind_pair_common(pc, pname);
    bind_pair_common(ec, ename);

    pc.def(
          "__sub__", [](P const& a, P const& b) { return a - b; }, py::is_operator())
        .def(
            "__add__", [](P const& a, E const& b) { return a + b; }, py::is_operator())
        .def(
            "__sub__", [](P const& a, E const& b) { return a - b; }, py::is_operator())
        .def(
            "__iadd__", [](P& a, E const& b) { return a += b; }, py::is_operator())
        .def(
            "__isub__", [](P& a, E const& b) { return a -= b; }, py::is_operator());
    both(pc, "asExtent", "as_extent", [](P const& p) { return p.as_extent(); });
    both(pc, "distanceSquared", "distance_squared", [](P const& a, P const& b) {
        double const dx = double(a.x) - double(b.x), dy = double(a.y) - double(b.y);
        return dx * dx + dy * dy;
    });
    ec.def(
          "__add__", [](E const& a, E const& b) { return a + b; }, py::is_operator())
        .def(
            "__sub__", [](E const& a, E const& b) { return a - b; }, py::is_operator())
        .def(
            "__add__", [](E const& a, P const& b) { return a + b; }, py::is_operator())
        .def("__neg__", [](E const& a) { return -a; })
        .def("__pos__", [](E const& a) { return a; })
        .def(
            "__iadd__", [](E& a, E const& b) { return a += b; }, py::is_operator())
        .def(
            "__isub__", [](E& a, E const& b) { return a -= b; }, py::is_operator());
    if constexpr (std::is_integral_v<T>) {
        // afw: Extent2I * int stays integral, * float or / anything gives an Extent2D; // floors.
        ec.def(
              "__mul__", [](E const& a, T s) { return a * s; }, py::is_operator())
            .def(
                "__rmul__", [](E const& a, T s) { return a * s; }, py::is_operator())
            .def(
                "__mul__", [](E const& a, double s) { return a * s; }, py::is_operator())
            .def(
                "__rmul__", [](E const& a, double s) { return a * s; }, py::is_operator())
            .def(
                "__truediv__", [](E const& a, double s) { return a / s; }, py::is_operator())
            .def("__floordiv__", [](E const& a, T s) {
                if (s == 0) throw py::value_error("integer division of an extent by zero");
                auto fl = [s](T v) { return T(std::floor(double(v) / double(s))); };
                return E{fl(a.x), fl(a.y)};
            });
    } else {
        ec.def(
              "__mul__", [](E const& a, T s) { return a * s; }, py::is_operator())
            .def(
                "__rmul__", [](E const& a, T s) { return a * s; }, py::is_operator())
            .def(
                "__truediv__", [](E const& a, T s) { return a / s; }, py::is_operator())
            .def(
                "__imul__", [](E& a, T s) { return a *= s; }, py::is_operator())
            .def(
                "__itruediv__", [](E& a, T s) { return a /= s; }, py::is_operator());
    }
    both(ec, "asPoint", "as_point", [](E const& e) { return e.as_point(); });
    both(ec, "computeSquaredNorm", "compute_squared_norm",
         [](E const& e) { return double(e.x) * double(e.x) + double(e.y) * double(e.y); });
    both(ec, "computeNorm", "compute_norm",
         [](E const& e) { return std::sqrt(double(e.x) * double(e.x) + double(e.y) * double(e.y)); });
    return {pc, ec};
}

template <class B>
std::string geom_repr(B const& b);
template <>
std::string geom_repr(Box2I const& b) {
    return "Box2I(corner=Point2I(" + num(b.min_x()) + ", " + num(b.min_y()) + "), dimensions=Extent2I(" +
           num(b.width()) + ", " + num(b.height()) + "))";
}
template <>
std::string geom_repr(Box2D const& b) {
    if (b.empty()) return "Box2D()";
    return "Box2D(minimum=Point2D(" + num(b.min_x()) + ", " + num(b.min_y()) + "), maximum=Point2D(" + num(b.max_x()) +
           ", " + num(b.max_y()) + "))";
}

template <class B, class P, class E, class S>
void bind_box_common(py::class_<B>& c) {
    both(c, "getMin", "get_min", &B::min);
    both(c, "getMinX", "get_min_x", &B::min_x);
    both(c, "getMinY", "get_min_y", &B::min_y);
    both(c, "getMax", "get_max", &B::max);
    both(c, "getMaxX", "get_max_x", &B::max_x);
    both(c, "getMaxY", "get_max_y", &B::max_y);
    both(c, "getWidth", "get_width", &B::width);
    both(c, "getHeight", "get_height", &B::height);
    both(c, "getDimensions", "get_dimensions", &B::dimensions);
    both(c, "getArea", "get_area", &B::area);
    both(c, "getCenter", "get_center", &B::center);
    both(c, "getCenterX", "get_center_x", &B::center_x);
    both(c, "getCenterY", "get_center_y", &B::center_y);
    both(c, "getCorners", "get_corners", [](B const& b) {
        auto const cs = b.corners();
        return std::vector<P>(cs.begin(), cs.end());
    });
    both(c, "isEmpty", "is_empty", &B::empty);
    c.def("contains", [](B const& b, P const& p) { return b.contains(p); });
    c.def("contains", [](B const& b, B const& o) { return b.contains(o); });
    c.def(
        "contains",
        [](B const& b, S x, S y) {
            return b.contains(P{x, y});
        },
        py::arg("x"), py::arg("y"));
    c.def("__contains__", [](B const& b, P const& p) { return b.contains(p); });
    c.def("__contains__", [](B const& b, B const& o) { return b.contains(o); });
    c.def("overlaps", &B::overlaps);
    c.def("intersects", &B::overlaps);
    both(c, "isDisjointFrom", "is_disjoint_from", &B::is_disjoint_from);
    c.def("grow", [](B& b, S d) { b.grow(d); });
    c.def("grow", [](B& b, E d) { b.grow(d); });
    c.def("erode", [](B& b, S d) { b.erode(d); });
    c.def("erode", [](B& b, E d) { b.erode(d); });
    c.def("shift", [](B& b, E d) { b.shift(d); });
    both(c, "flipLR", "flip_lr", [](B& b, S w) { b.flip_lr(w); });
    both(c, "flipTB", "flip_tb", [](B& b, S h) { b.flip_tb(h); });
    c.def("include", [](B& b, P const& p) { b.include(p); });
    c.def("include", [](B& b, B const& o) { b.include(o); });
    c.def("clip", [](B& b, B const& o) { b.clip(o); });
    both(c, "clippedTo", "clipped_to", [](B const& b, B const& o) { return b.clipped_to(o); });
    both(c, "expandedTo", "expanded_to", [](B const& b, P const& p) { return b.expanded_to(p); });
    both(c, "expandedTo", "expanded_to", [](B const& b, B const& o) { return b.expanded_to(o); });
    both(c, "dilatedBy", "dilated_by", [](B const& b, S d) { return b.dilated_by(d); });
    both(c, "dilatedBy", "dilated_by", [](B const& b, E d) { return b.dilated_by(d); });
    both(c, "erodedBy", "eroded_by", [](B const& b, S d) { return b.eroded_by(d); });
    both(c, "erodedBy", "eroded_by", [](B const& b, E d) { return b.eroded_by(d); });
    both(c, "shiftedBy", "shifted_by", [](B const& b, E d) { return b.shifted_by(d); });
    c.def(
        "__eq__", [](B const& a, B const& b) { return a == b; }, py::is_operator());
    c.def(
        "__ne__", [](B const& a, B const& b) { return !(a == b); }, py::is_operator());
    c.def("__eq__", [](B const&, py::object const&) { return false; });
    c.def("__ne__", [](B const&, py::object const&) { return true; });
    c.def("__hash__", [](B const& b) { return std::hash<B>{}(b); });
    c.def("__repr__", [](B const& b) { return geom_repr(b); });
    c.def("__str__", [](B const& b) {
        if (b.empty()) return std::string("(empty)");
        return "(minimum=(" + num(b.min_x()) + ", " + num(b.min_y()) + "), maximum=(" + num(b.max_x()) + ", " +
               num(b.max_y()) + "))";
    });
}

} // namespace

void init_geom(py::module_& m) {
    auto [p2i, e2i] = bind_points<int>(m, "Point2I", "Extent2I");
    auto [p2d, e2d] = bind_points<double>(m, "Point2D", "Extent2D");
    // Mixed conversions afw offers through constructors (Point2I(Point2D) rounds, Extent2I(Extent2D) truncates).
    p2i.def(py::init([](Point2D const& p) { return static_cast<Point2I>(p); }));
    p2d.def(py::init([](Point2I const& p) { return detail::to_double(p); }));
    e2i.def(py::init([](Extent2D const& e) { return static_cast<Extent2I>(e); }));
    e2d.def(py::init([](Extent2I const& e) { return detail::to_double(e); }));
    py::implicitly_convertible<Point2I, Point2D>();
    py::implicitly_convertible<Extent2I, Extent2D>();

    py::class_<Box2I> bi(m, "Box2I", "An integer box of pixels, inclusive of min and max (lsst.geom.Box2I)");
    py::enum_<EdgeHandling>(bi, "EdgeHandling")
        .value("EXPAND", EdgeHandling::Expand)
        .value("SHRINK", EdgeHandling::Shrink);
    bi.attr("EXPAND") = EdgeHandling::Expand;
    bi.attr("SHRINK") = EdgeHandling::Shrink;
    bi.def(py::init([] { return Box2I{}; }))
        .def(py::init([](Point2I const& a, Point2I const& b, bool invert) {
                 return invert ? Box2I::from_corners(a, b) : Box2I::from_min_max(a, b);
             }),
             py::arg("minimum"), py::arg("maximum"), py::arg("invert") = true)
        .def(py::init([](Point2I const& c, Extent2I const& d, bool invert) {
                 return invert ? Box2I::from_corner_size(c, d) : Box2I::from_min_size(c, d);
             }),
             py::arg("corner"), py::arg("dimensions"), py::arg("invert") = true)
        .def(py::init([](Box2D const& b, EdgeHandling e) { return Box2I::from(b, e); }), py::arg("other"),
             py::arg("edgeHandling") = EdgeHandling::Expand)
        .def(py::init([](Box2I const& b) { return b; }));
    bind_box_common<Box2I, Point2I, Extent2I, int>(bi);
    both(bi, "getBegin", "get_begin", &Box2I::min);
    both(bi, "getBeginX", "get_begin_x", &Box2I::min_x);
    both(bi, "getBeginY", "get_begin_y", &Box2I::min_y);
    both(bi, "getEnd", "get_end", &Box2I::end);
    both(bi, "getEndX", "get_end_x", &Box2I::end_x);
    both(bi, "getEndY", "get_end_y", &Box2I::end_y);
    bi.def_static("makeCenteredBox", &Box2I::make_centered, py::arg("center"), py::arg("size"));
    bi.def_static("make_centered_box", &Box2I::make_centered, py::arg("center"), py::arg("size"));
    bi.def(py::pickle([](Box2I const& b) { return py::make_tuple(b.min(), b.dimensions()); },
                      [](py::tuple t) { return Box2I::from_min_size(t[0].cast<Point2I>(), t[1].cast<Extent2I>()); }));
    bi.def("getSlices", [](Box2I const& b) {
        py::object const slice = py::module_::import("builtins").attr("slice");
        return py::make_tuple(slice(b.min_y(), b.end_y()), slice(b.min_x(), b.end_x()));
    });

    py::class_<Box2D> bd(m, "Box2D", "A floating-point box (lsst.geom.Box2D)");
    bd.def(py::init([] { return Box2D{}; }))
        .def(py::init([](Point2D const& a, Point2D const& b, bool invert) {
                 return invert ? Box2D::from_corners(a, b) : Box2D::from_min_max(a, b);
             }),
             py::arg("minimum"), py::arg("maximum"), py::arg("invert") = true)
        .def(py::init([](Point2D const& c, Extent2D const& d, bool invert) {
                 return invert ? Box2D::from_corner_size(c, d) : Box2D::from_min_size(c, d);
             }),
             py::arg("corner"), py::arg("dimensions"), py::arg("invert") = true)
        .def(py::init([](Box2I const& b) { return Box2D(b); }))
        .def(py::init([](Box2D const& b) { return b; }));
    bind_box_common<Box2D, Point2D, Extent2D, double>(bd);
    bd.def_static("makeCenteredBox", &Box2D::make_centered, py::arg("center"), py::arg("size"));
    bd.def_static("make_centered_box", &Box2D::make_centered, py::arg("center"), py::arg("size"));
    bd.def(py::pickle(
        [](Box2D const& b) {
            if (b.empty()) return py::make_tuple();
            return py::make_tuple(b.min(), b.max());
        },
        [](py::tuple t) {
            if (t.size() == 0) return Box2D{};
            return Box2D::from_min_max(t[0].cast<Point2D>(), t[1].cast<Point2D>());
        }));
    py::implicitly_convertible<Box2I, Box2D>();
}

} // namespace skystack::python
