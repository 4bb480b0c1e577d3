// SPDX-License-Identifier: MIT
// lsst.afw.math's makeStatistics (Property flags, StatisticsControl, getValue/getError/getResult),
// statisticsStack with afw's overloads, and stringToStatisticsProperty.
#include "common.hpp"

#include <skystack/statistics/statistics.hpp>

#include <cmath>
#include <limits>

namespace skystack::python {

namespace {

/// afw's StatisticsControl: skystack's StatisticsConfig plus the knobs only stacking reads.
struct PyStatisticsControl {
    StatisticsConfig cfg;
    bool weighted_set = false;
    MaskPixel no_good_pixels_mask = 0;
    bool mosaic = false;
};

/// afw's Statistics result: values, errors, the OR of the masks.
struct PyStatistics {
    Statistics s;
    bool mask_stats = false; // makeStatistics(Mask): only NPOINT and SUM (the OR of the pixels), as afw
    double npoint = 0;
    MaskPixel or_all = 0;
    Stat flags = Stat::Nothing;

    [[nodiscard]] std::pair<double, double> result(Stat which) const {
        if (!mask_stats) {
            Measurement const r = s.get(which);
            return {r.value, r.error};
        }
        Stat const asked = flags & ~Stat::Errors;
        if (which == Stat::Nothing) which = asked;
        if (!is_single(which) || !any_of(asked, which))
            raise_py("InvalidParameterError", "Statistics: the property asked for was not computed");
        double const err = any_of(flags, Stat::Errors) ? 0.0 : std::numeric_limits<double>::quiet_NaN();
        if (which == Stat::NPoint) return {npoint, err};
        return {double(or_all), err};
    }
};

Stat to_stat(long long flags) {
    if (flags < 0 || (flags & ~0x1ffffLL) != 0)
        raise_py("InvalidParameterError", "makeStatistics: unknown Property bits " + std::to_string(flags));
    return Stat(std::uint32_t(flags));
}

template <class T>
void bind_make_statistics(py::module_& m) {
    m.def(
        "makeStatistics",
        [](PyImage<T> const& img, long long flags, PyStatisticsControl const& sc) {
            ImageView<T const> const v = img.view;
            Stat const f = to_stat(flags);
            py::gil_scoped_release nogil;
            return PyStatistics{statistics(v, f, sc.cfg)};
        },
        py::arg("img"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});
    m.def(
        "makeStatistics",
        [](PyMaskedImage<T> const& mi, long long flags, PyStatisticsControl const& sc) {
            MaskedImageView<T const> const v = mi.cview();
            Stat const f = to_stat(flags);
            py::gil_scoped_release nogil;
            return PyStatistics{statistics(v, f, sc.cfg)};
        },
        py::arg("img"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});
    m.def(
        "makeStatistics",
        [](PyImage<T> const& img, PyMask const& mask, long long flags, PyStatisticsControl const& sc) {
            if (mask.pixels.bbox().dimensions() != img.view.dimensions())
                raise_py("LengthError", "makeStatistics: image and mask dimensions differ");
            // afw's (image, mask) form: the variance plane is not used, so a zero one stands in.
            Image<VariancePixel> var(img.view.bbox(), VariancePixel{0});
            ImageView<MaskPixel> mpx = mask.pixels;
            mpx.set_xy0(img.view.xy0());
            MaskedImageView<T const> const v(ImageView<T const>(img.view),
                                             ConstMaskView(ImageView<MaskPixel const>(mpx), mask.planes.get()),
                                             var.cview());
            if (sc.cfg.weighted || sc.cfg.error_from_input_variance)
                raise_py("InvalidParameterError", "makeStatistics(image, mask): no variance to weight with");
            Stat const f = to_stat(flags);
            py::gil_scoped_release nogil;
            return PyStatistics{statistics(v, f, sc.cfg)};
        },
        py::arg("img"), py::arg("msk"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});
    m.def(
        "makeStatistics",
        [](PyMaskedImage<T> const& mi, PyImage<float> const& w, long long flags, PyStatisticsControl const& sc) {
            MaskedImageView<T const> const v = mi.cview();
            ImageView<float const> const wv = w.view;
            Stat const f = to_stat(flags);
            py::gil_scoped_release nogil;
            return PyStatistics{statistics(v, wv, f, sc.cfg)};
        },
        py::arg("mimg"), py::arg("weights"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});
}

Box2I common_bbox(Box2I a, Box2I b, char const* what) {
    if (a.dimensions() != b.dimensions())
        raise_py("LengthError", std::string(what) + ": all images must have the same dimensions");
    return a;
}

std::string stack_statistic(Stat flags, bool weighted) {
    switch (flags & ~Stat::Errors) {
    case Stat::Mean:
        return weighted ? "weighted_mean" : "mean";
    case Stat::MeanClip:
        return "meanclip";
    case Stat::Median:
        return "median";
    case Stat::Sum:
        return "sum";
    case Stat::Min:
        return "min";
    case Stat::Max:
        return "max";
    default:
        raise_py("InvalidParameterError", "statisticsStack: exactly one of MEAN, MEANCLIP, MEDIAN, SUM, MIN, MAX "
                                          "is supported, got flags " +
                                              std::to_string(std::uint32_t(flags)));
    }
}

/// afw statisticsStack's configuration as a StackConfig: the andMask rejects, no planes removed, the
/// control's mask propagation thresholds (by the names of the bits in `planes`), the given weights.
StackConfig stack_config(PyStatisticsControl const& sc, std::vector<double> const& weights, MaskPixel clipped,
                         MaskPlanes const& planes, std::size_t n) {
    StackConfig cfg;
    cfg.bad_mask_planes = {};
    cfg.remove_mask_planes = {};
    cfg.bad_mask = sc.cfg.bad_mask;
    cfg.mask_propagation_thresholds.clear();
    for (int b = 0; b < 32; ++b) {
        double const t = sc.cfg.mask_propagation_thresholds[std::size_t(b)];
        if (t < 1.0)
            if (auto name = planes.name_of(b)) cfg.mask_propagation_thresholds.emplace_back(*name, t);
    }
    if (!weights.empty() && weights.size() != n)
        raise_py("LengthError", "statisticsStack: " + std::to_string(weights.size()) + " weights for " +
                                    std::to_string(n) + " images");
    cfg.weights = weights;
    cfg.clip = {sc.cfg.nsigma, sc.cfg.max_iter};
    auto const clipped_plane = planes.find("CLIPPED");
    if (clipped != 0 && !(clipped_plane && clipped == (MaskPixel(1) << *clipped_plane)))
        raise_py("InvalidParameterError", "statisticsStack: clipped must be 0 or the CLIPPED plane's bit");
    cfg.record_clipped = clipped != 0;
    cfg.rejected_mask_mapping = false;
    return cfg;
}

template <class T>
PyMaskedImage<T> stack_masked(std::vector<PyMaskedImage<T>> const& images, long long flags,
                              PyStatisticsControl const& sc, std::vector<double> const& wvector, MaskPixel clipped,
                              py::list mask_map) {
    if (images.empty()) raise_py("LengthError", "statisticsStack: no images to stack");
    if (!mask_map.empty())
        raise_py("InvalidParameterError", "statisticsStack: maskMap is not supported (rejected-pixel mapping is "
                                          "skystack's StackConfig.rejected_mask_mapping)");
    std::vector<MaskedImageView<T const>> in;
    Box2I const box = images.front().bbox();
    for (auto const& i : images) {
        common_bbox(box, i.bbox(), "statisticsStack");
        MaskedImageView<T const> v = i.cview();
        v.set_xy0(box.min()); // afw stacks pixel by pixel, whatever the xy0s
        in.push_back(v);
    }
    Stat const f = to_stat(flags);
    StackConfig const cfg = stack_config(sc, wvector, clipped,
                                         images.front().mask.planes->planes().empty() ? *default_mask_planes()
                                                                                      : *images.front().mask.planes,
                                         images.size());
    bool const weighted = sc.cfg.weighted || !wvector.empty();
    std::string const stat = stack_statistic(f, weighted);
    StackResult<T> r = [&] {
        py::gil_scoped_release nogil;
        return run_stack<T>(stat, in, box, cfg);
    }();
    return adopt<T>(std::move(r.coadd));
}

template <class T>
void bind_statistics_stack(py::module_& m) {
    // the in-place form first: a MaskedImage has __getitem__, so the list forms would try len() on it
    m.def(
        "statisticsStack",
        [](PyMaskedImage<T>& out, std::vector<PyMaskedImage<T>> const& images, long long flags,
           PyStatisticsControl const& sc, std::vector<double> const& wvector, MaskPixel clipped, py::list mask_map) {
            if (!images.empty() && out.bbox().dimensions() != images.front().bbox().dimensions())
                raise_py("LengthError", "statisticsStack: the output's dimensions differ from the inputs'");
            PyMaskedImage<T> const r = stack_masked<T>(images, flags, sc, wvector, clipped, mask_map);
            out.image.view.assign(r.image.view);
            out.mask.pixels.assign(r.mask.pixels);
            out.variance.view.assign(r.variance.view);
        },
        py::arg("out"), py::arg("images"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{},
        py::arg("wvector") = std::vector<double>{}, py::arg("clipped") = 0, py::arg("maskMap") = py::list());
    m.def("statisticsStack", &stack_masked<T>, py::arg("images"), py::arg("flags"),
          py::arg("sctrl") = PyStatisticsControl{}, py::arg("wvector") = std::vector<double>{}, py::arg("clipped") = 0,
          py::arg("maskMap") = py::list());
    m.def(
        "statisticsStack",
        [](std::vector<PyImage<T>> const& images, long long flags, PyStatisticsControl const& sc,
           std::vector<double> const& wvector) {
            // plain images: no mask, zero variance, as afw's Image overload (which ignores masks)
            std::vector<PyMaskedImage<T>> mis;
            for (auto const& i : images) {
                Box2I const b = i.view.bbox();
                mis.push_back({i, PyMask::owning(b), PyImage<VariancePixel>::owning(b, VariancePixel{0})});
            }
            PyStatisticsControl sc2 = sc;
            sc2.cfg.bad_mask = 0;
            return stack_masked<T>(mis, flags, sc2, wvector, 0, py::list()).image;
        },
        py::arg("images"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{},
        py::arg("wvector") = std::vector<double>{});
}

} // namespace

void init_math(py::module_& m) {
    py::enum_<Stat> p(m, "Property", py::arithmetic());
    p.value("NOTHING", Stat::Nothing);
    for (Stat s : all_stats) p.value(std::string(name(s)).c_str(), s);
    p.export_values();
    // afw's Property is a plain enum, so `MEAN | MEDIAN` is an int; pybind11 gives scoped enums no bit operators.
    p.def("__or__", [](Stat a, Stat b) { return std::int64_t(a) | std::int64_t(b); });
    p.def("__or__", [](Stat a, std::int64_t b) { return std::int64_t(a) | b; });
    p.def("__ror__", [](Stat a, std::int64_t b) { return std::int64_t(a) | b; });
    p.def("__and__", [](Stat a, Stat b) { return std::int64_t(a) & std::int64_t(b); });
    p.def("__and__", [](Stat a, std::int64_t b) { return std::int64_t(a) & b; });
    p.def("__rand__", [](Stat a, std::int64_t b) { return std::int64_t(a) & b; });
    m.def("stringToStatisticsProperty", [](std::string const& s) { return parse_stat(s); });

    py::class_<PyStatisticsControl> sc(m, "StatisticsControl", "afw's knobs for makeStatistics and statisticsStack");
    sc.def(py::init([](double nsigma, int niter, MaskPixel and_mask, bool nan_safe, int weighted) {
               PyStatisticsControl c;
               c.cfg.nsigma = nsigma;
               c.cfg.max_iter = niter;
               c.cfg.bad_mask = and_mask;
               c.cfg.nan_safe = nan_safe;
               if (weighted >= 0) {
                   c.cfg.weighted = weighted != 0;
                   c.weighted_set = true;
               }
               c.cfg.validate();
               if (auto i = default_mask_planes()->find("NO_DATA")) c.no_good_pixels_mask = MaskPixel(1) << *i;
               return c;
           }),
           py::arg("numSigmaClip") = 3.0, py::arg("numIter") = 3, py::arg("andMask") = 0, py::arg("isNanSafe") = true,
           py::arg("useWeights") = -1);
    auto check = [](PyStatisticsControl const& c) { c.cfg.validate(); };
    sc.def("getNumSigmaClip", [](PyStatisticsControl const& c) { return c.cfg.nsigma; });
    sc.def("setNumSigmaClip", [check](PyStatisticsControl& c, double v) {
        if (!(v > 0)) raise_py("InvalidParameterError", "numSigmaClip must be > 0, got " + std::to_string(v));
        c.cfg.nsigma = v;
        check(c);
    });
    sc.def("getNumIter", [](PyStatisticsControl const& c) { return c.cfg.max_iter; });
    sc.def("setNumIter", [](PyStatisticsControl& c, int v) {
        if (v <= 0) raise_py("InvalidParameterError", "numIter must be > 0, got " + std::to_string(v));
        c.cfg.max_iter = v;
    });
    sc.def("getAndMask", [](PyStatisticsControl const& c) { return std::int64_t(c.cfg.bad_mask); });
    sc.def("setAndMask", [](PyStatisticsControl& c, std::int64_t v) { c.cfg.bad_mask = MaskPixel(v); });
    sc.def("getNoGoodPixelsMask", [](PyStatisticsControl const& c) { return std::int64_t(c.no_good_pixels_mask); });
    sc.def("setNoGoodPixelsMask", [](PyStatisticsControl& c, std::int64_t v) { c.no_good_pixels_mask = MaskPixel(v); });
    sc.def("getNanSafe", [](PyStatisticsControl const& c) { return c.cfg.nan_safe; });
    sc.def("setNanSafe", [](PyStatisticsControl& c, bool v) { c.cfg.nan_safe = v; });
    sc.def("getWeighted", [](PyStatisticsControl const& c) { return c.cfg.weighted; });
    sc.def("getWeightedIsSet", [](PyStatisticsControl const& c) { return c.weighted_set; });
    sc.def("setWeighted", [](PyStatisticsControl& c, bool v) {
        c.cfg.weighted = v;
        c.weighted_set = true;
    });
    sc.def("getCalcErrorFromInputVariance",
           [](PyStatisticsControl const& c) { return c.cfg.error_from_input_variance; });
    sc.def("setCalcErrorFromInputVariance", [](PyStatisticsControl& c, bool v) {
        if (v && c.mosaic)
            raise_py("InvalidParameterError", "calcErrorFromInputVariance and calcErrorMosaicMode exclude each other");
        c.cfg.error_from_input_variance = v;
    });
    sc.def("getCalcErrorMosaicMode", [](PyStatisticsControl const& c) { return c.mosaic; });
    sc.def("setCalcErrorMosaicMode", [](PyStatisticsControl&, bool v) {
        if (v) raise_py("InvalidParameterError", "calcErrorMosaicMode is not supported by skystack");
    });
    sc.def("getMaskPropagationThreshold", [](PyStatisticsControl const& c, int bit) {
        if (bit < 0 || bit >= 32) raise_py("OutOfRangeError", "mask bit " + std::to_string(bit) + " outside 0..31");
        return c.cfg.mask_propagation_thresholds[std::size_t(bit)];
    });
    sc.def("setMaskPropagationThreshold",
           [](PyStatisticsControl& c, int bit, double t) { c.cfg.set_mask_propagation_threshold(bit, t); });

    py::class_<PyStatistics> st(m, "Statistics", "The result of makeStatistics");
    st.def(
        "getValue", [](PyStatistics const& s, Stat p) { return s.result(p).first; }, py::arg("prop") = Stat::Nothing);
    st.def(
        "getError", [](PyStatistics const& s, Stat p) { return s.result(p).second; }, py::arg("prop") = Stat::Nothing);
    st.def(
        "getResult", [](PyStatistics const& s, Stat p) { return s.result(p); }, py::arg("prop") = Stat::Nothing);
    st.def("getOrMask", [](PyStatistics const& s) { return std::int64_t(s.mask_stats ? s.or_all : s.s.or_mask()); });
    st.def("getValue", [](PyStatistics const& s, long long p) { return s.result(to_stat(p)).first; });
    st.def("getError", [](PyStatistics const& s, long long p) { return s.result(to_stat(p)).second; });
    st.def("getResult", [](PyStatistics const& s, long long p) { return s.result(to_stat(p)); });

    bind_make_statistics<std::uint16_t>(m);
    bind_make_statistics<std::int32_t>(m);
    bind_make_statistics<float>(m);
    bind_make_statistics<double>(m);
    m.def(
        "makeStatistics",
        [](PyMask const& mask, long long flags, PyStatisticsControl const&) {
            Stat const f = to_stat(flags);
            if (any_of(f, ~(Stat::NPoint | Stat::Sum | Stat::Errors)))
                raise_py("InvalidParameterError", "Statistics<Mask> only supports NPOINT and SUM");
            PyStatistics r;
            r.mask_stats = true;
            r.flags = f;
            r.npoint = double(mask.pixels.area());
            for (int y = 0; y < mask.pixels.height(); ++y)
                for (MaskPixel v : mask.pixels.row(y)) r.or_all |= v;
            return r;
        },
        py::arg("msk"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});
    m.def(
        "makeStatistics",
        [](py::array_t<double, py::array::c_style | py::array::forcecast> v, long long flags,
           PyStatisticsControl const& sc) {
            if (v.ndim() != 1) raise_py("LengthError", "makeStatistics(vector): a 1-d sequence is needed");
            if (v.shape(0) > std::numeric_limits<int>::max()) raise_py("OverflowError", "vector too long");
            ImageView<double const> const img(v.data(), Box2I::from_min_size({0, 0}, {int(v.shape(0)), 1}), v.shape(0));
            Stat const f = to_stat(flags);
            py::gil_scoped_release nogil;
            return PyStatistics{statistics(img, f, sc.cfg)};
        },
        py::arg("v"), py::arg("flags"), py::arg("sctrl") = PyStatisticsControl{});

    bind_statistics_stack<float>(m);
    bind_statistics_stack<double>(m);
}

} // namespace skystack::python
