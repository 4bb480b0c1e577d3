// SPDX-License-Identifier: MIT
#include "coadd.hpp"

#include "demo.hpp"
#include "inputs.hpp"
#include "photometry.hpp"
#include "preview.hpp"
#include "report.hpp"
#include "staging.hpp"

#include <skystack/cells/cell_coadd.hpp>
#include <skystack/dcr/dcr_model.hpp>
#include <skystack/stack/stack.hpp>
#include <skystack/stack/varclip.hpp>
#include <skystack/statistics/statistics.hpp>
#include <skystack/synthetic.hpp>
#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/cell_fits.hpp>
#include <skystack/io/fits.hpp>
#endif

#include <csignal>
#include <cstdlib>
#include <stop_token>
#include <string_view>
#include <unistd.h>

#include <skystack/version.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <cmath>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

namespace skystack::tool {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------------ OutputStage

OutputStage::OutputStage(std::string const& dir) : m_dir(dir.empty() ? "." : dir) {
    std::error_code ec;
    if (fs::exists(m_dir, ec) && !fs::is_directory(m_dir, ec))
        throw ToolError(exit_output, "output directory " + m_dir.string() + " exists and is not a directory");
    // Remember which directories we create, so a failed run can remove them again.
    for (fs::path p = fs::absolute(m_dir, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        m_created.insert(m_created.begin(), p);
        if (p == p.parent_path()) break;
    }
    fs::create_directories(m_dir, ec);
    if (ec) {
        m_created.clear();
        throw ToolError(exit_output, "cannot create output directory " + m_dir.string() + ": " + ec.message());
    }
    remove_dead_staging(m_dir); // left by runs killed with SIGKILL
    m_stage = m_dir / (staging_prefix + std::to_string(::getpid()));
    fs::remove_all(m_stage, ec);
    if (!fs::create_directory(m_stage, ec) || ec) {
        std::string const why = ec ? ec.message() : "unknown error";
        for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) fs::remove(*it, ec);
        m_created.clear();
        throw ToolError(exit_output, "cannot write to output directory " + m_dir.string() + ": " + why);
    }
    // Probe: a directory entry can exist where files still cannot be written (read-only mounts).
    std::ofstream probe(m_stage / ".probe");
    if (!probe) {
        fs::remove_all(m_stage, ec);
        for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) fs::remove(*it, ec);
        m_created.clear();
        throw ToolError(exit_output, "cannot write to output directory " + m_dir.string());
    }
    probe.close();
    fs::remove(m_stage / ".probe", ec);
}

OutputStage::~OutputStage() {
    std::error_code ec;
    fs::remove_all(m_stage, ec);
    if (!m_committed)
        for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) fs::remove(*it, ec); // only if empty
}

std::string OutputStage::staged(std::string const& name) {
    m_files.push_back(name);
    return (m_stage / name).string();
}

void OutputStage::commit() {
    std::vector<std::string> produced;
    for (auto const& f : m_files)
        if (fs::exists(m_stage / f)) produced.push_back(f);
    remove_stale_outputs(m_dir, produced); // the directory then holds exactly this run's outputs
    for (auto const& f : m_files) {
        std::error_code ec;
        if (!fs::exists(m_stage / f)) continue;
        fs::rename(m_stage / f, m_dir / f, ec);
        if (ec) throw ToolError(exit_output, "cannot move " + f + " into " + m_dir.string() + ": " + ec.message());
    }
    m_committed = true;
}

// ------------------------------------------------------------------------------------------------ interrupts

namespace {
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int sig) {
    g_interrupted = 1;
    std::signal(sig, SIG_DFL); // a second Ctrl-C ends the process at once
}

/// Test hook: SKYSTACK_COADD_TEST_RAISE=<phase> raises SIGINT in this process when the run reaches `phase`
/// ("stack": after the first stacked tile; "write": with every file staged, just before the commit), so that the
/// tests can interrupt a run at a known point; "kill-<phase>" raises SIGKILL there instead.
void test_raise(char const* phase) {
    char const* p = std::getenv("SKYSTACK_COADD_TEST_RAISE");
    if (p && std::string_view(p) == phase) std::raise(SIGINT);
    if (p && std::string_view(p) == std::string("kill-") + phase) std::raise(SIGKILL); // as kill -9
}

bool interrupted() noexcept { return g_interrupted != 0; }

/// Stop here if a signal arrived (the output stage removes what was staged as the exception unwinds).
void check_interrupted() {
    if (interrupted()) throw ToolError(exit_interrupted, "interrupted: nothing was written");
}
} // namespace

void install_interrupt_handlers() {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
}

namespace {

// ------------------------------------------------------------------------------------------------ progress bar

class Progress {
    bool m_on;
    std::string m_label;
    std::chrono::steady_clock::time_point m_last{};
    std::mutex m_mutex;

public:
    Progress(bool on, std::string label) : m_on(on), m_label(std::move(label)) {}
    void operator()(std::size_t done, std::size_t total) {
        if (!m_on || total == 0) return;
        std::lock_guard lock(m_mutex);
        auto const now = std::chrono::steady_clock::now();
        if (done < total && now - m_last < std::chrono::milliseconds(50)) return;
        m_last = now;
        int const width = 32, fill = int(double(width) * double(done) / double(total));
        std::cerr << "\r" << m_label << " [" << std::string(std::size_t(fill), '#')
                  << std::string(std::size_t(width - fill), '.') << "] " << std::setw(3)
                  << int(100.0 * double(done) / double(total)) << "% (" << done << "/" << total << " tiles)"
                  << (done == total ? "\n" : "") << std::flush;
    }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Extent2I tile_of(int t) { return t > 0 ? Extent2I{t, t} : StackConfig{}.tile_size; }

// ------------------------------------------------------------------------------------------------ stacking

/// The library's by-name selection (skystack/stack/stack.hpp) for everything but DCR.
template <class T>
StackResult<T> stack_by_name(Statistic s, std::vector<MaskedImageView<T const>> const& in, Box2I bbox,
                             StackConfig const& cfg) {
    if (s == Statistic::varclip) return Stacker<WeightedMean, VarClip>(cfg)(in, bbox);
    auto const lib = [&] {
        switch (s) {
        case Statistic::mean:
            return skystack::Statistic::mean;
        case Statistic::weighted_mean:
            return skystack::Statistic::weighted_mean;
        case Statistic::median:
            return skystack::Statistic::median;
        case Statistic::sum:
            return skystack::Statistic::sum;
        case Statistic::min:
            return skystack::Statistic::min;
        case Statistic::max:
            return skystack::Statistic::max;
        case Statistic::meanclip:
        case Statistic::varclip:
            break;
        case Statistic::dcr:
            break;
        }
        return skystack::Statistic::meanclip;
    }();
    return skystack::stack<T>(lib, in, bbox, cfg);
}

/// --cells: the cell coadd with the run's statistic (CellGrid on the output bbox eroded by the border).
template <class T>
CellCoadd<T> cells_by_name(Statistic s, std::vector<MaskedImageView<T const>> const& in, CellGrid const& grid,
                           CellConfig const& cfg) {
    switch (s) {
    case Statistic::mean:
        return build_cell_coadd<Mean>(in, grid, cfg);
    case Statistic::weighted_mean:
        return build_cell_coadd<WeightedMean>(in, grid, cfg);
    case Statistic::median:
        return build_cell_coadd<Median>(in, grid, cfg);
    case Statistic::sum:
        return build_cell_coadd<Sum>(in, grid, cfg);
    case Statistic::min:
        return build_cell_coadd<Min>(in, grid, cfg);
    case Statistic::max:
        return build_cell_coadd<Max>(in, grid, cfg);
    case Statistic::varclip:
        return build_cell_coadd<WeightedMean, VarClip>(in, grid, cfg);
    case Statistic::meanclip:
        return build_cell_coadd<ClippedMean>(in, grid, cfg);
    case Statistic::dcr:
        break;
    }
    throw ToolError(exit_usage, "--cells does not work with --statistic dcr");
}

/// The loaded stack: inputs in the stack's pixel type plus what the report needs to know about them.
template <class T>
struct Loaded {
    std::vector<MaskedImage<T>> owned;           // file inputs
    std::vector<MaskedImageView<T const>> views; // what the stacker reads
    std::vector<InputReport> reports;
    std::vector<std::optional<double>> zps;
    std::vector<std::optional<double>> weights;
    std::vector<ObservingConditions> conditions; // DCR only
    std::vector<PhotoCards> cards;               // header calibration cards (files only)
};

std::string describe_box(Box2I b) {
    std::ostringstream os;
    os << "[" << b.min_x() << ", " << b.min_y() << "] - [" << b.max_x() << ", " << b.max_y() << "]";
    return os.str();
}

template <class T>
void load_files(Options const& o, std::vector<InputSpec> const& specs, std::vector<Probe> const& probes, Loaded<T>& L) {
    std::optional<Table> zpt, wt;
    if (!o.zp_table.empty()) zpt = read_table(o.zp_table, "zero-point table");
    if (!o.weight_table.empty()) wt = read_table(o.weight_table, "weight table");
    for (std::size_t k = 0; k < specs.size(); ++k) {
        auto const& s = specs[k];
        std::optional<double> hdr_zp;
        std::vector<std::optional<double>> dcr_vals;
        std::vector<std::string> const dcr_keys = o.statistic == Statistic::dcr
                                                      ? std::vector<std::string>{o.airmass_keyword, o.parangle_keyword}
                                                      : std::vector<std::string>{};
        L.owned.push_back(load_input<T>(s, probes[k], "", hdr_zp, dcr_keys, &dcr_vals));
        if (o.statistic == Statistic::dcr) {
            for (std::size_t i = 0; i < dcr_keys.size(); ++i)
                if (!dcr_vals[i])
                    throw ToolError(exit_input, s.path + ": header keyword " + dcr_keys[i] +
                                                    " is missing; DCR needs each input's airmass and parallactic "
                                                    "angle (see --airmass-keyword, --parangle-keyword)");
            ObservingConditions c;
            c.airmass = *dcr_vals[0];
            c.parallactic_angle_deg = *dcr_vals[1];
            c.site = {o.site_latitude, o.site_height};
            L.conditions.push_back(c);
        }
        L.cards.push_back(read_photo_cards(s.path, o.zp_keyword)); // the flux scale: photometry.cpp
        std::optional<double> zp = s.zp;
        if (!zp && zpt) zp = zpt->lookup(s.path);
        if (!zp) zp = hdr_zp;
        if (!zp && zpt) throw ToolError(exit_input, s.path + ": no zero point (not in " + o.zp_table + ")");
        L.zps.push_back(zp);
        std::optional<double> w = s.weight_value;
        if (!w && wt) {
            w = wt->lookup(s.path);
            if (!w) throw ToolError(exit_input, s.path + ": no weight in the weight table " + o.weight_table);
        }
        L.weights.push_back(w);
        InputReport r;
        r.path = s.path;
        r.pixel_type = bitpix_name(probes[k].bitpix);
        L.reports.push_back(r);
    }
    for (auto const& m : L.owned) L.views.push_back(m.cview());
}

/// DCR: the plain coadd plus N sub-filter models (skystack::dcr_stack), with the inputs scaled to zp_ref first.
template <class OnTile>
StackResult<float> run_dcr(Options const& o, Loaded<float> const& L, Box2I bbox, std::vector<double> const& scales,
                           OnTile& on_tile, std::stop_token stop, std::vector<MaskedImage<float>>& subfilters,
                           nlohmann::json& out) {
    if (!std::isfinite(o.dcr_wavelength) || !std::isfinite(o.dcr_bandwidth))
        throw ToolError(exit_usage, "--statistic dcr needs --dcr-wavelength and --dcr-bandwidth (nm)");
    DcrConfig dc;
    dc.num_subfilters = o.dcr_subfilters;
    dc.effective_wavelength = o.dcr_wavelength;
    dc.bandwidth = o.dcr_bandwidth;
    dc.bad_mask_planes = o.bad_mask_planes;
    dc.num_threads = o.threads;
    std::vector<MaskedImage<float>> scaled;
    std::vector<MaskedImageView<float const>> views = L.views;
    if (!scales.empty()) {
        scaled.reserve(views.size());
        for (std::size_t k = 0; k < views.size(); ++k) {
            scaled.push_back(views[k].clone());
            auto& m = scaled.back();
            float const s = float(scales[k]);
            for (int y = 0; y < m.height(); ++y) {
                for (auto& v : m.image().row(y)) v *= s;
                for (auto& v : m.variance().row(y)) v *= s * s;
            }
            views[k] = m.cview();
        }
    }
    auto const jac = SkyJacobian::north_up_east_left(o.pixel_scale);
    auto dr = dcr_stack(
        std::span<MaskedImageView<float const> const>(views), std::span<ObservingConditions const>(L.conditions), bbox,
        jac, dc, [&](std::size_t done, std::size_t total) { on_tile(done, total); }, std::move(stop));
    subfilters = dr.subfilters();
    StackResult<float> res;
    res.coadd = dr.model.coadd().clone();
    res.weights.assign(views.size(), 1.0);
    nlohmann::json subs = nlohmann::json::array();
    for (auto const& r : dr.report.subregions)
        subs.push_back({{"updates", r.updates},
                        {"stop", r.stop == DcrStop::converged        ? "converged"
                                 : r.stop == DcrStop::max_iterations ? "max_iterations"
                                 : r.stop == DcrStop::diverged       ? "diverged"
                                                                     : "no_data"},
                        {"convergence", r.convergence}});
    out = {{"subfilters", o.dcr_subfilters},
           {"wavelengths_nm", dc.subfilter_wavelengths()},
           {"pixel_scale_arcsec", o.pixel_scale},
           {"buffer_px", dr.report.buffer_size},
           {"subregions", subs}};
    return res;
}

template <class T>
int run_typed(Options const& o, OutputStage& stage, Loaded<T>& L, synthetic::Dataset const* demo,
              std::chrono::steady_clock::time_point t0) {
    bool const tty = ::isatty(STDERR_FILENO) != 0;
    Report rep;
    rep.options = &o;
    rep.command_line = o.command_line;
    rep.mode = demo ? "demo" : "files";
    std::size_t const n = L.views.size();

    // Output bbox and overlap.
    Box2I bbox;
    for (auto const& v : L.views) bbox = bbox.empty() ? v.bbox() : bbox.expanded_to(v.bbox());
    if (o.bbox) bbox = *o.bbox;
    for (std::size_t k = 0; k < n; ++k)
        if (!L.views[k].bbox().overlaps(bbox))
            throw ToolError(exit_no_data, L.reports[k].path + ": its bbox " + describe_box(L.views[k].bbox()) +
                                              " does not overlap the output bbox " + describe_box(bbox));
    rep.bbox = bbox;

    // Mask planes: every name must be known to the inputs' registry.
    auto const& planes = L.views[0].mask().planes();
    for (auto const& p : o.bad_mask_planes)
        if (!planes.contains(p)) {
            std::string known;
            for (auto const& q : planes.planes()) known += (known.empty() ? "" : ", ") + q.name;
            throw ToolError(exit_usage, "--bad-mask-planes: unknown mask plane '" + p + "' (known: " + known + ")");
        }
    MaskPixel const overlay_in = overlay_bits(o.overlay, planes);
    if (o.compare_input >= int(n)) // before any stacking
        throw ToolError(exit_usage, "--compare-input " + std::to_string(o.compare_input) + ": only " +
                                        std::to_string(n) + " inputs (0 to " + std::to_string(n - 1) + ")");

    // Photometric scales.
    std::vector<std::string> paths;
    for (auto const& r : L.reports) paths.push_back(r.path);
    auto const flux = plan_flux_scale(paths, L.zps, L.cards, o.zp_keyword,
                                      o.zp_ref ? o.zp_ref
                                      : demo   ? std::optional(demo->truth.zp_ref)
                                               : std::nullopt);
    std::vector<double> const& scales = flux.scales;
    rep.zp_ref = flux.zp_ref;
    rep.extra["flux_scale"] = {{"rule", flux.rule}, {"bunit", flux.bunit}};

    // Weights.
    StackConfig cfg;
    cfg.bad_mask_planes = o.bad_mask_planes;
    cfg.scales = scales;
    cfg.clip = {.nsigma = o.nsigma, .max_iter = o.iterations};
    cfg.tile_size = tile_of(o.tile);
    cfg.threads = o.threads;
    cfg.nimage = o.nimage;
    bool const any_w = std::any_of(L.weights.begin(), L.weights.end(), [](auto const& w) { return w.has_value(); });
    if (any_w) {
        for (std::size_t k = 0; k < n; ++k) {
            if (!L.weights[k])
                throw ToolError(exit_input, L.reports[k].path + ": no weight, but other inputs have one");
            if (!(*L.weights[k] >= 0) || !std::isfinite(*L.weights[k]))
                throw ToolError(exit_input, L.reports[k].path + ": weight must be finite and >= 0");
            cfg.weights.push_back(*L.weights[k]);
        }
    } else if (o.weighting == Weighting::uniform) {
        cfg.weights.assign(n, 1.0);
    } else if (o.statistic != Statistic::dcr) {
        // drp_tasks' weight 1 / MEANCLIP(variance plane x scale^2) over the part inside the output bbox, with the
        // bad mask and the clip settings, through statistics() (afw makeStatistics); an input whose clipped mean
        // variance is not finite and > 0 gets weight 0, as the stacker's own default would.
        StatisticsConfig sc;
        sc.nsigma = o.nsigma;
        sc.max_iter = o.iterations;
        sc.bad_mask = planes.bit_mask(std::span<std::string const>(o.bad_mask_planes));
        for (std::size_t k = 0; k < n; ++k) {
            auto const part = L.views[k].subimage(L.views[k].bbox().clipped_to(bbox));
            MaskedImageView<float const> const var(part.variance(), part.mask(), part.variance());
            double const m = statistics(var, Stat::MeanClip, sc).get(Stat::MeanClip).value;
            double const s = scales.empty() ? 1.0 : scales[k];
            double const w = 1.0 / (m * s * s);
            cfg.weights.push_back(std::isfinite(w) && w > 0 ? w : 0.0);
        }
    }
    Progress progress(!o.quiet && (tty || o.force_progress), "stacking " + std::to_string(n) + " inputs");
    std::stop_source stop;
    auto on_tile = [&](std::size_t done, std::size_t total) {
        progress(done, total);
        if (done == 1) test_raise("stack");
        if (interrupted()) stop.request_stop();
    };
    cfg.progress = on_tile;
    cfg.stop = stop.get_token();
    rep.timing.prepare_s = seconds_since(t0);
    check_interrupted();

    // Stack.
    auto const ts = std::chrono::steady_clock::now();
    StackResult<T> res;
    std::vector<MaskedImage<float>> subfilters; // DCR
    try {
        if (o.statistic == Statistic::dcr) {
            if constexpr (!std::is_same_v<T, float>) {
                throw ToolError(exit_input, "--statistic dcr needs float32 inputs");
            } else {
                res = run_dcr(o, L, bbox, scales, on_tile, stop.get_token(), subfilters, rep.extra["dcr"]);
            }
        } else {
            res = stack_by_name<T>(o.statistic, L.views, bbox, cfg);
        }
    } catch (ToolError const&) {
        throw;
    } catch (CancelledError const&) {
        check_interrupted();
        throw;
    } catch (InvalidParameterError const& e) {
        throw ToolError(exit_usage, std::string("cannot stack: ") + e.what());
    } catch (NotFoundError const& e) {
        throw ToolError(exit_usage, std::string("cannot stack: ") + e.what());
    }
    rep.timing.stack_s = seconds_since(ts);
    check_interrupted();

    // Report numbers.
    std::int64_t bytes = 0;
    for (std::size_t k = 0; k < n; ++k) {
        auto r = count_rejections(L.views[k], bbox, o.bad_mask_planes);
        r.path = L.reports[k].path;
        r.pixel_type = L.reports[k].pixel_type;
        r.zero_point = flux.zps[k];
        r.scale = scales.empty() ? 1.0 : scales[k];
        r.weight = k < res.weights.size() ? res.weights[k] : 1.0;
        bytes += r.pixels_in_output * std::int64_t(sizeof(T) + sizeof(MaskPixel) + sizeof(VariancePixel));
        rep.inputs.push_back(std::move(r));
    }
    rep.timing.bytes_stacked = bytes;
    rep.timing.output_pixels = bbox.area();
    MaskedImage<float> coadd_f;
    MaskedImageView<float const> coadd_view;
    if constexpr (std::is_same_v<T, float>) {
        coadd_view = res.coadd.cview();
    } else {
        coadd_f = MaskedImage<float>(bbox, res.coadd.mask().planes_ptr());
        for (int y = 0; y < bbox.height(); ++y)
            for (int x = 0; x < bbox.width(); ++x) coadd_f.image()(x, y) = float(res.coadd.image()(x, y));
        coadd_f.mask().assign(res.coadd.mask().cview());
        coadd_f.variance().assign(res.coadd.variance().cview());
        coadd_view = coadd_f.cview();
    }
    rep.output = output_stats(coadd_view);
    if (rep.output.valid == 0)
        throw ToolError(exit_no_data, "every output pixel is NO_DATA (masked by " + std::to_string(n) +
                                          " inputs' bad mask planes or NaN): nothing was written");
    if (demo) rep.extra["demo"] = demo_truth_checks(*demo, coadd_view);

    // Write everything into the staging directory.
    auto const tw = std::chrono::steady_clock::now();
#if SKYSTACK_HAS_CFITSIO
    {
        fits::WriteOptions w{.overwrite = true};
        if (o.compress == "gzip")
            w.compression = fits::Compression::gzip;
        else if (o.compress == "rice")
            w.compression = fits::Compression::rice;
        w.header.set("STACKSTA", to_string(o.statistic), "skystack-coadd statistic");
        w.header.set("NINPUTS", std::int64_t(n), "number of inputs stacked");
        if (o.statistic == Statistic::meanclip) {
            w.header.set("NSIGMA", o.nsigma, "clipping threshold, sigma");
            w.header.set("NITER", std::int64_t(o.iterations), "clipping iterations");
        }
        write_flux_cards(w.header, flux);
        w.header.set("ORIGIN", std::string("skystack-coadd ") + skystack::version_string);
        try {
            fits::write(stage.staged("coadd.fits"), res.coadd, w);
            rep.files["coadd"] = stage.final_path("coadd.fits");
            for (std::size_t a = 0; a < subfilters.size(); ++a) {
                std::string const f = "coadd_dcr_" + std::to_string(a) + ".fits";
                fits::write(stage.staged(f), subfilters[a], w);
                rep.files["dcr_subfilter_" + std::to_string(a)] = stage.final_path(f);
            }
            if (o.nimage && !res.nimage.empty()) {
                fits::write(stage.staged("coadd_nimage.fits"), res.nimage, w);
                rep.files["nimage"] = stage.final_path("coadd_nimage.fits");
            }
        } catch (std::exception const& e) {
            throw ToolError(exit_output, std::string("cannot write the coadd FITS in ") + o.output + ": " + e.what());
        }
        if (o.cell_size > 0) {
            Box2I const gb = bbox.eroded_by(o.cell_border);
            if (gb.empty())
                throw ToolError(exit_usage, "--cells: the border " + std::to_string(o.cell_border) +
                                                " leaves nothing of the output bbox " + describe_box(bbox));
            CellConfig cc;
            cc.stack = cfg;
            cc.stack.progress = {};
            cc.stack.stop = {};
            cc.stack.nimage = false;
            cc.threads = o.threads;
            cc.stop = stop.get_token();
            auto const grid = CellGrid::covering(gb, {o.cell_size, o.cell_size}, o.cell_border);
            auto const cells = cells_by_name<T>(o.statistic, L.views, grid, cc);
            std::size_t missing = 0;
            for (auto const& c : cells.cells()) missing += c.empty() ? 1 : 0;
            rep.extra["cells"] = {
                {"size", o.cell_size}, {"border", o.cell_border}, {"cells", grid.size()}, {"missing", missing}};
            try {
                fits::write_cell_coadd(stage.staged("coadd_cells.fits"), cells, w);
            } catch (std::exception const& e) {
                throw ToolError(exit_output,
                                std::string("cannot write the cell coadd in ") + o.output + ": " + e.what());
            }
            rep.files["cells"] = stage.final_path("coadd_cells.fits");
        }
    }
#else
    if (o.cell_size > 0) throw ToolError(exit_usage, "--cells writes FITS: this build has no cfitsio");
    if (!o.quiet) std::cerr << "skystack-coadd: note: built without cfitsio, no FITS output\n";
#endif
    if (o.preview) {
        // Display the coadd and (scaled to the coadd's zero point) the chosen input with one stretch.
        MaskPixel const nodata = planes.bit_mask("NO_DATA");
        auto const scale = make_display_scale(coadd_view, *o.preview, nodata);
        std::vector<Panel> panels;
        int const cmp = o.compare_input >= 0 ? o.compare_input : demo ? demo_showcase(*demo) : -1;
        if (cmp >= int(n))
            throw ToolError(exit_usage,
                            "--compare-input " + std::to_string(cmp) + ": only " + std::to_string(n) + " inputs");
        MaskedImage<float> shown;
        std::string name = to_string(o.statistic);
        for (auto& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
        if (cmp >= 0) {
            auto const& in = L.views[std::size_t(cmp)];
            shown = MaskedImage<float>(in.bbox(), in.mask().planes().shared_from_this());
            double const s = scales.empty() ? 1.0 : scales[std::size_t(cmp)];
            for (int y = 0; y < in.height(); ++y)
                for (int x = 0; x < in.width(); ++x) shown.image()(x, y) = float(double(in.image()(x, y)) * s);
            shown.mask().assign(in.mask());
            std::string title = "INPUT " + std::to_string(cmp);
            if (demo) title += " (SATELLITE, COSMIC RAYS, BAD COLUMNS)";
            panels.push_back({title, shown.cview(), overlay_in});
        }
        panels.push_back({"COADD " + name + " OF " + std::to_string(n), coadd_view,
                          cmp >= 0 ? overlay_in & planes.bit_mask({"NO_DATA", "SAT"}) : overlay_in});
        if (cmp >= 0) {
            MaskPixel m = 0;
            for (auto p : {"CLIPPED", "REJECTED", "NO_DATA", "SAT"})
                if (planes.contains(p)) m |= planes.bit_mask(p);
            panels.push_back({"COADD MASK: WHERE INPUTS WERE REJECTED", coadd_view, m, true});
        }
        write_png(stage.staged("coadd.png"), render_preview(panels, bbox, scale, o.preview_max));
        rep.files["preview"] = stage.final_path("coadd.png");
    }
    rep.files["report_json"] = stage.final_path("report.json");
    rep.files["report_text"] = stage.final_path("report.txt");
    rep.timing.write_s = seconds_since(tw);
    rep.timing.total_s = seconds_since(t0);
    {
        std::ofstream js(stage.staged("report.json"));
        js << to_json(rep).dump(2) << "\n";
        std::ofstream tx(stage.staged("report.txt"));
        tx << to_text(rep);
        js.close(); // flushes: a full disk shows here, not as an empty committed file
        tx.close();
        if (js.fail() || tx.fail()) throw ToolError(exit_output, "cannot write the report in " + o.output);
    }
    test_raise("write");
    check_interrupted();
    stage.commit();

    if (!o.quiet) {
        std::cout << to_text(rep);
        if (demo && rep.extra["demo"].contains("satellite_trail")) {
            auto const& t = rep.extra["demo"]["satellite_trail"];
            auto const& c = rep.extra["demo"]["unflagged_cosmic_rays"];
            std::cout << "artifacts: satellite trail peaks at " << std::fixed << std::setprecision(0)
                      << t["max_sigma_in_input"].get<double>() << " sigma in input " << t["exposure"].get<int>()
                      << ", at most " << std::setprecision(1) << t["max_sigma_in_coadd"].get<double>()
                      << " sigma in the coadd; unflagged cosmic rays: " << std::setprecision(0)
                      << c["max_sigma_in_input"].get<double>() << " sigma in the inputs, at most "
                      << std::setprecision(1) << c["max_sigma_in_coadd"].get<double>() << " sigma in the coadd\n";
        }
        std::cout << "wrote:\n";
        for (auto const& [role, path] : rep.files)
            std::cout << "  " << std::left << std::setw(12) << role << path << "\n";
    }
    return exit_ok;
}

} // namespace

int run(Options const& o) {
    auto const t0 = std::chrono::steady_clock::now();
    if (!o.write_demo_inputs.empty()) {
        auto const ds = synthetic::make_dataset(demo_config(o));
        write_demo_inputs(ds, o.write_demo_inputs, o.quiet);
        if (!o.demo || !o.inputs.empty() || !o.list_file.empty()) return exit_ok;
    }

    if (o.demo) {
        OutputStage stage(o.output);
        if (!o.quiet)
            std::cout << "generating the synthetic demo stack (" << o.demo_frames << " exposures of " << o.demo_size
                      << " x " << o.demo_size << ")...\n";
        auto const ds = synthetic::make_dataset(demo_config(o));
        Loaded<float> L;
        Options od = o;
        if (!o.bad_planes_given) od.bad_mask_planes.push_back("CR");      // flagged cosmic rays are bad in the demo
        if (!std::isfinite(od.dcr_wavelength)) od.dcr_wavelength = 478.5; // LSST g
        if (!std::isfinite(od.dcr_bandwidth)) od.dcr_bandwidth = 147.0;
        for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
            L.views.push_back(ds.exposures[k].image.cview());
            L.zps.push_back(ds.exposures[k].zero_point);
            L.weights.push_back(std::nullopt);
            ObservingConditions c; // the demo has no chromatic sources; plausible conditions let DCR run
            double const f = ds.exposures.size() > 1 ? double(k) / double(ds.exposures.size() - 1) : 0.0;
            c.airmass = 1.05 + 0.6 * f;
            c.parallactic_angle_deg = -60.0 + 120.0 * f;
            c.site = {o.site_latitude, o.site_height};
            L.conditions.push_back(c);
            InputReport r;
            r.path = "synthetic:" + std::to_string(k);
            r.pixel_type = bitpix_name(-32);
            L.reports.push_back(r);
        }
        return run_typed<float>(od, stage, L, &ds, t0);
    }

    // Files: find, probe (type, size) and check everything before reading pixels.
    auto const specs = discover_inputs(o);
    if (specs.empty()) throw ToolError(exit_usage, "no inputs given (see --help)");
    std::vector<Probe> probes;
    for (auto const& s : specs) probes.push_back(probe_input(s));
    for (std::size_t k = 1; k < probes.size(); ++k)
        if (probes[k].bitpix != probes[0].bitpix)
            throw ToolError(exit_input, "mismatched pixel types: " + specs[0].path + " is " +
                                            bitpix_name(probes[0].bitpix) + " but " + specs[k].path + " is " +
                                            bitpix_name(probes[k].bitpix) + "; all inputs must share one type");
    OutputStage stage(o.output);
    if (probes[0].bitpix == -64) {
        Loaded<double> L;
        load_files(o, specs, probes, L);
        return run_typed<double>(o, stage, L, nullptr, t0);
    }
    Loaded<float> L;
    load_files(o, specs, probes, L);
    return run_typed<float>(o, stage, L, nullptr, t0);
}

} // namespace skystack::tool
