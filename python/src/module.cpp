// SPDX-License-Identifier: MIT
// The extension module skystack._skystack: translates skystack's exceptions into the Python classes of
// skystack.exceptions (lsst.pex.exceptions' names, with the matching Python built-ins as extra bases) and
// builds the submodules geom, image, math and stack.
#include "common.hpp"

#include <skystack/error.hpp>

namespace skystack::python {

namespace {
[[noreturn]] void raise_as(char const* cls, char const* what) {
    py::object const type = py::module_::import("skystack.exceptions").attr(cls);
    PyErr_SetString(type.ptr(), what);
    throw py::error_already_set();
}
} // namespace

void raise_py(char const* cls, std::string const& what) { raise_as(cls, what.c_str()); }

void init_exceptions(py::module_&) {
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (FitsError const& e) {
            raise_as("FitsError", e.what());
        } catch (IoError const& e) {
            raise_as("IoError", e.what());
        } catch (LengthError const& e) {
            raise_as("LengthError", e.what());
        } catch (InvalidParameterError const& e) {
            raise_as("InvalidParameterError", e.what());
        } catch (OverflowError const& e) {
            raise_as("OverflowError", e.what());
        } catch (NotFoundError const& e) {
            raise_as("NotFoundError", e.what());
        } catch (CancelledError const& e) {
            raise_as("CancelledError", e.what());
        } catch (Error const& e) {
            raise_as("RuntimeError", e.what());
        }
    });
}

} // namespace skystack::python

PYBIND11_MODULE(_skystack, m) {
    using namespace skystack::python;
    m.doc() = "skystack: afw-compatible images, statistics and stacking (C++ core of the skystack package)";
    init_exceptions(m);
    auto geom = m.def_submodule("geom", "lsst.geom's points, extents and boxes");
    init_geom(geom);
    auto image = m.def_submodule("image", "lsst.afw.image's images, masks and masked images");
    init_image(image);
    init_mask(image);
    init_masked_image(image);
    init_fits(image);
    auto math = m.def_submodule("math", "lsst.afw.math's makeStatistics and statisticsStack");
    init_math(math);
    auto stack = m.def_submodule("stack", "coadds from Python: the C++ stacker with the GIL released");
    init_stack(stack);
}
