// SPDX-License-Identifier: MIT
// Coadds from Python: skystack::stack() over MaskedImages with the GIL released, a progress callback run with
// the GIL held (an exception in it stops the stack and is re-raised), and the result as (coadd, nImage, report).
#include "common.hpp"

#include <skystack/stack/stack.hpp>

#include <exception>
#include <mutex>
#include <stop_token>

namespace skystack::python {

template <class T>
StackResult<T> run_stack(std::string const& statistic, std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox,
                         StackConfig const& cfg) {
    return stack<T>(statistic, inputs, bbox, cfg);
}
template StackResult<float> run_stack(std::string const&, std::vector<MaskedImageView<float const>> const&, Box2I,
                                      StackConfig const&);
template StackResult<double> run_stack(std::string const&, std::vector<MaskedImageView<double const>> const&, Box2I,
                                       StackConfig const&);

template <class T>
PyMaskedImage<T> adopt(MaskedImage<T>&& mi) {
    auto owner = std::make_shared<MaskedImage<T>>(std::move(mi));
    return {PyImage<T>{owner, owner->image().view()}, PyMask{owner, owner->mask().view(), owner->mask().planes_ptr()},
            PyImage<VariancePixel>{owner, owner->variance().view()}};
}
template PyMaskedImage<float> adopt(MaskedImage<float>&&);
template PyMaskedImage<double> adopt(MaskedImage<double>&&);

namespace {

template <class T>
py::tuple coadd(std::vector<PyMaskedImage<T>> const& images, std::string const& statistic, std::optional<Box2I> bbox,
                std::vector<double> const& weights, std::vector<double> const& scales,
                std::vector<std::string> const& bad_mask_planes, std::int64_t bad_mask,
                std::vector<std::pair<std::string, double>> const& thresholds, double nsigma, int max_iter, bool nimage,
                int threads, std::string const& variance, py::object progress) {
    if (images.empty()) raise_py("LengthError", "coadd: no inputs to stack");
    std::vector<MaskedImageView<T const>> in;
    in.reserve(images.size());
    Box2I box = images.front().bbox();
    for (auto const& i : images) {
        in.push_back(i.cview());
        if (!bbox) box = box.expanded_to(i.bbox());
    }
    if (bbox) box = *bbox;
    StackConfig cfg;
    cfg.bad_mask_planes = bad_mask_planes;
    cfg.bad_mask = MaskPixel(bad_mask);
    cfg.weights = weights;
    cfg.scales = scales;
    cfg.mask_propagation_thresholds = thresholds;
    cfg.clip = {nsigma, max_iter};
    cfg.nimage = nimage;
    cfg.threads = threads;
    if (variance == "inputs")
        cfg.variance = VarianceSource::inputs;
    else if (variance == "scatter")
        cfg.variance = VarianceSource::scatter;
    else
        raise_py("InvalidParameterError", "coadd: variance must be 'inputs' or 'scatter', got '" + variance + "'");

    std::stop_source stop;
    std::exception_ptr callback_error;
    std::mutex callback_mutex;
    if (!progress.is_none()) {
        cfg.stop = stop.get_token();
        cfg.progress = [&](std::size_t done, std::size_t total) {
            std::lock_guard lock(callback_mutex);
            if (callback_error) return;
            py::gil_scoped_acquire gil;
            try {
                py::object r = progress(done, total);
                if (!r.is_none() && r.equal(py::bool_(false))) stop.request_stop(); // returning False cancels
            } catch (...) {
                callback_error = std::current_exception();
                stop.request_stop();
            }
        };
    }
    StackResult<T> r;
    try {
        py::gil_scoped_release nogil;
        r = stack<T>(statistic, in, box, cfg);
    } catch (CancelledError const&) {
        if (callback_error) std::rethrow_exception(callback_error);
        throw;
    }
    if (callback_error) std::rethrow_exception(callback_error);
    py::dict report;
    report["statistic"] = statistic;
    report["n_inputs"] = images.size();
    report["weights"] = r.weights;
    report["bbox"] = box;
    report["threads"] = threads;
    py::object nim = py::none();
    if (nimage) {
        auto owner = std::make_shared<Image<std::uint16_t>>(std::move(r.nimage));
        nim = py::cast(PyImage<std::uint16_t>{owner, owner->view()});
    }
    return py::make_tuple(adopt<T>(std::move(r.coadd)), nim, report);
}

template <class T>
void bind_coadd(py::module_& m) {
    m.def("_coadd", &coadd<T>, py::arg("images"), py::arg("statistic"), py::arg("bbox"), py::arg("weights"),
          py::arg("scales"), py::arg("bad_mask_planes"), py::arg("bad_mask"), py::arg("thresholds"), py::arg("nsigma"),
          py::arg("max_iter"), py::arg("nimage"), py::arg("threads"), py::arg("variance"), py::arg("progress"));
}

} // namespace

void init_stack(py::module_& m) {
    bind_coadd<float>(m);
    bind_coadd<double>(m);
    StackConfig const d;
    m.attr("DEFAULT_BAD_MASK_PLANES") = d.bad_mask_planes;
    m.attr("DEFAULT_MASK_PROPAGATION_THRESHOLDS") = d.mask_propagation_thresholds;
    m.attr("DEFAULT_NSIGMA") = d.clip.nsigma;
    m.attr("DEFAULT_MAX_ITER") = d.clip.max_iter;
}

} // namespace skystack::python
