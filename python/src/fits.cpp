// SPDX-License-Identifier: MIT
// readFits/writeFits on the image classes, where skystack was built with cfitsio (afw's FITS layout: masked
// images as IMAGE/MASK/VARIANCE extensions, mask planes as MP_* cards, xy0 in the "A" WCS).
#include "common.hpp"

#ifdef SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#endif

namespace skystack::python {

namespace {

template <class T>
void add_fits(py::module_& m, char const* image, char const* masked) {
#ifdef SKYSTACK_HAS_CFITSIO
    py::object ic = m.attr(image), mc = m.attr(masked);
    ic.attr("readFits") = py::cpp_function(
        [](std::string const& path, int hdu) {
            fits::ReadOptions o;
            o.hdu = hdu;
            auto owner = std::make_shared<Image<T>>(fits::read_image<T>(path, o));
            return PyImage<T>{owner, owner->view()};
        },
        py::arg("fileName"), py::arg("hdu") = -1);
    ic.attr("readFits") = py::staticmethod(ic.attr("readFits"));
    ic.attr("writeFits") = py::cpp_function(
        [](PyImage<T> const& img, std::string const& path) {
            fits::WriteOptions o;
            o.overwrite = true;
            fits::write(path, ImageView<T const>(img.view), o);
        },
        py::is_method(ic), py::arg("fileName"));
    mc.attr("readFits") = py::staticmethod(py::cpp_function(
        [](std::string const& path) {
            MaskedImage<T> mi = fits::read_masked_image<T>(path, {});
            auto owner = std::make_shared<MaskedImage<T>>(std::move(mi));
            owner->mask().conform_to(default_mask_planes());
            return PyMaskedImage<T>{PyImage<T>{owner, owner->image().view()},
                                    PyMask{owner, owner->mask().view(), owner->mask().planes_ptr()},
                                    PyImage<VariancePixel>{owner, owner->variance().view()}};
        },
        py::arg("fileName")));
    mc.attr("writeFits") = py::cpp_function(
        [](PyMaskedImage<T> const& mi, std::string const& path) {
            fits::WriteOptions o;
            o.overwrite = true;
            fits::write(path, mi.cview(), o);
        },
        py::is_method(mc), py::arg("fileName"));
#else
    (void)m;
    (void)image;
    (void)masked;
#endif
}

} // namespace

void init_fits(py::module_& m) {
#ifdef SKYSTACK_HAS_CFITSIO
    m.attr("HAVE_FITS") = true;
    py::object mc = m.attr("MaskX");
    mc.attr("readFits") = py::staticmethod(py::cpp_function(
        [](std::string const& path) {
            auto owner = std::make_shared<Mask>(fits::read_mask(path, {}));
            owner->conform_to(default_mask_planes());
            return PyMask{owner, owner->view(), owner->planes_ptr()};
        },
        py::arg("fileName")));
    mc.attr("writeFits") = py::cpp_function(
        [](PyMask const& mk, std::string const& path) {
            fits::WriteOptions o;
            o.overwrite = true;
            fits::write(path, ConstMaskView(mk.view()), o);
        },
        py::is_method(mc), py::arg("fileName"));
#else
    m.attr("HAVE_FITS") = false;
#endif
    add_fits<std::uint16_t>(m, "ImageU", "MaskedImageU");
    add_fits<std::int32_t>(m, "ImageI", "MaskedImageI");
    add_fits<float>(m, "ImageF", "MaskedImageF");
    add_fits<double>(m, "ImageD", "MaskedImageD");
}

} // namespace skystack::python
