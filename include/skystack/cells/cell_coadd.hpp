// SPDX-License-Identifier: MIT
// Cell-based coadds (lsst/cell_coadds MultipleCellCoadd, drp_tasks AssembleCellCoadd, lsst.images CellCoadd): every
// cell of a CellGrid is stacked on its own outer box from the inputs that cover that box completely, so no cell
// has an input edge (a PSF discontinuity) inside it; the inner boxes are stitched into one patch image.
#pragma once

#include <skystack/cells/grid.hpp>
#include <skystack/error.hpp>
#include <skystack/image.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/online.hpp>
#include <skystack/stack/stacker.hpp>
#include <skystack/statistics/statistics.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace skystack {

/// How a cell coadd is built. Defaults follow AssembleCellCoadd where it has the knob.
struct CellConfig {
    /// The per-cell stack: bad planes, thresholds, clip parameters, scales, optional per-input weights (one per
    /// input; empty: each cell computes the policy's default weights, 1/MEANCLIP of each input's variance over the
    /// cell's outer box). Its `threads`, `progress` and `stop` are not used (the cells are the parallel unit).
    StackConfig stack{};
    /// An input is skipped for a cell when at least this fraction of the cell's inner-box pixels are bad (a bad
    /// plane or a non-finite value): AssembleCellCoadd max_maskfrac (it skips when the good fraction is ≤ 1 − 0.5).
    double max_mask_fraction = 0.5;
    /// Planes whose per-pixel weighted fraction of contributing inputs is kept per cell (lsst.images
    /// mask_fractions). Empty: none. Unknown names are an error.
    std::vector<std::string> mask_fraction_planes = {"SAT", "BAD"};
    /// Number of noise realisations per cell (AssembleCellCoadd num_noise_realizations).
    int noise_realizations = 0;
    /// Seed of the noise realisations: realisation r of input k at parent pixel (x, y) depends only on
    /// (seed, k, r, x, y), so overlapping outer boxes see the same noise.
    std::uint64_t noise_seed = 1;
    /// Cells stacked in parallel; 0 = std::thread::hardware_concurrency(). Results do not depend on it.
    int threads = 1;
    /// Called after each finished cell with (cells done, cells total), one call at a time.
    std::function<void(std::size_t, std::size_t)> progress;
    /// Once a stop is requested no new cell is started and build_cell_coadd throws CancelledError.
    std::stop_token stop;

    /// @throws InvalidParameterError for a bad fraction, realisation count or thread count, or a bad stack config.
    void validate() const {
        stack.validate();
        if (!(max_mask_fraction > 0.0 && max_mask_fraction <= 1.0))
            throw InvalidParameterError(
                detail::msg("CellConfig: max_mask_fraction must be in (0, 1], got ", max_mask_fraction));
        if (noise_realizations < 0 || noise_realizations > 1000)
            throw InvalidParameterError(
                detail::msg("CellConfig: noise_realizations must be in [0, 1000], got ", noise_realizations));
        if (threads < 0) throw InvalidParameterError(detail::msg("CellConfig: threads must be >= 0, got ", threads));
    }
};

/// One input's part in one cell (provenance): which input, and the weight it was stacked with.
struct CellInput {
    std::size_t index = 0; ///< position of the input in the list given to build_cell_coadd
    double weight = 0;     ///< its weight in this cell (> 0)
    friend bool operator==(CellInput const&, CellInput const&) = default;
};

/// A named per-pixel plane of mask fractions.
struct MaskFraction {
    std::string plane;
    Image<float> fraction;
};

/// One stacked cell: every plane covers the cell's outer box.
template <class T>
struct SingleCell {
    CellIndex index{};
    Box2I inner{}, outer{};
    MaskedImage<T> coadd;                     ///< empty when no input covers the cell
    std::vector<MaskFraction> mask_fractions; ///< one per CellConfig::mask_fraction_planes, in that order
    std::vector<Image<T>> noise;              ///< the noise realisations
    std::vector<CellInput> inputs;            ///< contributing inputs in input order (empty: a missing cell)
    [[nodiscard]] bool empty() const noexcept { return inputs.empty(); }
};

/// A view of a stitched cell coadd (or of a part of it): the planes over one box.
template <class T>
struct StitchedView {
    MaskedImageView<T> image;
    std::vector<std::pair<std::string, ImageView<float const>>> mask_fractions;
    std::vector<ImageView<T>> noise;
    [[nodiscard]] Box2I bbox() const noexcept { return image.bbox(); }
};

/// The stitched coadd (lsst.images CellCoadd): each pixel from the inner box of the cell that owns it, plus the
/// mask fractions and noise realisations stitched the same way. Pixels of missing cells are NaN with NO_DATA.
template <class T>
struct StitchedCoadd {
    MaskedImage<T> image;
    std::vector<MaskFraction> mask_fractions;
    std::vector<Image<T>> noise;

    [[nodiscard]] Box2I bbox() const noexcept { return image.bbox(); }

    /// A view of every plane over `box`: parent (absolute, xy0 included, the default) or local (0-based)
    /// coordinates, as lsst.images' `coadd.absolute[...]` and `coadd.local[...]`. The view shares the pixels.
    /// @throws LengthError when the box is not inside the coadd.
    [[nodiscard]] StitchedView<T const> subimage(Box2I box, Origin o = Origin::parent) const {
        Box2I const b = o == Origin::parent ? box : box.shifted_by(image.xy0().as_extent());
        if (!image.bbox().contains(b))
            throw LengthError(detail::msg("StitchedCoadd::subimage: box ", b, " is not inside ", image.bbox()));
        StitchedView<T const> v{image.subimage(b), {}, {}};
        for (auto const& f : mask_fractions) v.mask_fractions.emplace_back(f.plane, f.fraction.subimage(b));
        for (auto const& n : noise) v.noise.push_back(n.subimage(b));
        return v;
    }
};

/// All cells of a grid (lsst/cell_coadds MultipleCellCoadd).
template <class T>
class CellCoadd {
    CellGrid m_grid;
    std::shared_ptr<MaskPlanes> m_planes;
    std::vector<SingleCell<T>> m_cells;
    std::vector<std::string> m_fraction_planes;
    int m_noise = 0;
    std::size_t m_inputs = 0;

public:
    CellCoadd() = default;
    /// Empty cells for every index of `grid` (filled by build_cell_coadd or a reader).
    CellCoadd(CellGrid grid, std::shared_ptr<MaskPlanes> planes, std::vector<std::string> fraction_planes, int noise,
              std::size_t n_inputs)
        : m_grid(grid), m_planes(std::move(planes)), m_fraction_planes(std::move(fraction_planes)), m_noise(noise),
          m_inputs(n_inputs) {
        m_cells.resize(m_grid.size());
        for (std::size_t k = 0; k < m_cells.size(); ++k) {
            auto& c = m_cells[k];
            c.index = m_grid.unflat(k);
            c.inner = m_grid.inner_bbox(c.index);
            c.outer = m_grid.outer_bbox(c.index);
        }
    }

    [[nodiscard]] CellGrid const& grid() const noexcept { return m_grid; }
    [[nodiscard]] MaskPlanes& planes() const noexcept { return *m_planes; }
    [[nodiscard]] std::shared_ptr<MaskPlanes> planes_ptr() const noexcept { return m_planes; }
    [[nodiscard]] std::vector<std::string> const& mask_fraction_planes() const noexcept { return m_fraction_planes; }
    [[nodiscard]] int noise_realizations() const noexcept { return m_noise; }
    /// Number of inputs the coadd was built from (provenance indices are below it).
    [[nodiscard]] std::size_t n_inputs() const noexcept { return m_inputs; }
    [[nodiscard]] std::vector<SingleCell<T>> const& cells() const noexcept { return m_cells; }
    [[nodiscard]] std::vector<SingleCell<T>>& cells() noexcept { return m_cells; }
    /// @throws InvalidParameterError for an index outside the grid.
    [[nodiscard]] SingleCell<T> const& cell(CellIndex i) const { return m_cells[m_grid.flat(i)]; }
    [[nodiscard]] SingleCell<T>& cell(CellIndex i) { return m_cells[m_grid.flat(i)]; }

    /// The patch assembled from the cells' inner boxes (over grid().bbox()).
    [[nodiscard]] StitchedCoadd<T> stitch() const {
        Box2I const bb = m_grid.bbox();
        StitchedCoadd<T> out{MaskedImage<T>(bb, m_planes), {}, {}};
        for (auto const& p : m_fraction_planes) out.mask_fractions.push_back({p, Image<float>(bb)});
        for (int r = 0; r < m_noise; ++r) out.noise.emplace_back(bb);
        MaskPixel const nodata = m_planes->contains("NO_DATA") ? m_planes->bit_mask("NO_DATA") : 0;
        T const nan = std::numeric_limits<T>::quiet_NaN();
        for (auto const& c : m_cells) {
            if (c.empty()) {
                auto v = out.image.subimage(c.inner);
                v.image().fill(nan);
                v.variance().fill(std::numeric_limits<VariancePixel>::quiet_NaN());
                v.mask().fill(nodata);
                for (auto& f : out.mask_fractions)
                    f.fraction.subimage(c.inner).fill(std::numeric_limits<float>::quiet_NaN());
                for (auto& n : out.noise) n.subimage(c.inner).fill(nan);
                continue;
            }
            out.image.subimage(c.inner).assign(c.coadd.subimage(c.inner));
            for (std::size_t f = 0; f < out.mask_fractions.size(); ++f)
                out.mask_fractions[f].fraction.subimage(c.inner).assign(c.mask_fractions[f].fraction.subimage(c.inner));
            for (std::size_t r = 0; r < out.noise.size(); ++r)
                out.noise[r].subimage(c.inner).assign(c.noise[r].subimage(c.inner));
        }
        return out;
    }
};

namespace detail {

inline std::uint64_t splitmix64(std::uint64_t z) noexcept {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// A standard normal deviate that depends only on its arguments (counter-based: a hash, then Box–Muller).
inline double cell_noise_deviate(std::uint64_t seed, std::size_t input, int realisation, int x, int y) noexcept {
    std::uint64_t h =
        splitmix64(seed ^ splitmix64(std::uint64_t(input) * 0x100000001b3ULL + std::uint64_t(realisation)));
    h = splitmix64(h ^ (std::uint64_t(std::uint32_t(x)) << 32 | std::uint32_t(y)));
    std::uint64_t const h2 = splitmix64(h);
    double const u1 = (double(h >> 11) + 0.5) * 0x1.0p-53; // (0, 1)
    double const u2 = double(h2 >> 11) * 0x1.0p-53;        // [0, 1)
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Whether input `in` may contribute to a cell: it covers the outer box with data (no NO_DATA pixel there) and
/// fewer than `max_frac` of the inner-box pixels are bad (a bad plane or a non-finite value).
template <class T>
bool cell_accepts(MaskedImageView<T const> const& in, Box2I inner, Box2I outer, MaskPixel bad, MaskPixel nodata,
                  double max_frac) {
    if (!in.bbox().contains(outer)) return false;
    auto const o = in.subimage(outer);
    auto const ix0 = std::size_t(inner.min_x() - outer.min_x()), iw = std::size_t(inner.width());
    int const iy0 = inner.min_y() - outer.min_y(), iy1 = iy0 + inner.height();
    std::int64_t n_bad = 0;
    for (int y = 0; y < o.height(); ++y) { // branch-free scans, so that they vectorise
        auto const msk = o.mask().row(y);
        MaskPixel any = 0;
        for (auto m : msk) any |= m;
        if (any & nodata) return false;
        if (y < iy0 || y >= iy1) continue;
        auto const img = o.image().row(y);
        std::int64_t nb = 0;
        for (std::size_t x = ix0; x < ix0 + iw; ++x)
            nb += int((msk[x] & bad) != 0) | int(!(std::abs(img[x]) <= std::numeric_limits<T>::max()));
        n_bad += nb;
    }
    return double(n_bad) < max_frac * double(inner.area());
}

} // namespace detail

/// Stack every cell of `grid` with `Stacker<Combine, Reject>` (AssembleCellCoadd).
///
/// For each cell, an input contributes when (1) its bbox contains the cell's outer box and no pixel of it there
/// carries NO_DATA (the input's footprint covers the whole outer box: skystack's form of upstream's
/// min_overlap_fraction = 1 on the detector polygon, so an input that covers only the inner box is excluded),
/// (2) fewer than `max_mask_fraction` of the inner-box pixels are bad, and (3) its weight is > 0. The cell is
/// stacked over its outer box from those inputs only, with the given weights or the policy's default weights
/// computed on the outer box. Mask fractions: per plane, the weighted fraction Σ_k w_k·[plane set in input k] /
/// Σ_k w_k over the contributing inputs. Noise realisations: each contributing input gets a Gaussian noise image
/// with σ = sqrt(median of its accepted variance pixels) (AssembleCellCoadd's default) drawn from a counter-based
/// generator, and the K noise images are stacked as a weighted mean with the cell's weights and the inputs'
/// masks (for clipping and order statistics, the science plane's rejections are not replayed on the noise).
///
/// @param inputs aligned masked images sharing one mask layout (warps on the patch grid)
/// @throws InvalidParameterError for no inputs, mixed mask layouts, a bad config or weight count; NotFoundError
///         for an unknown mask-fraction plane; CancelledError when stopped
template <class Combine, class Reject = typename detail::default_reject<Combine>::type, class T>
CellCoadd<T> build_cell_coadd(std::span<MaskedImageView<T const> const> inputs, CellGrid const& grid,
                              CellConfig const& cfg = {}) {
    cfg.validate();
    if (inputs.empty()) throw InvalidParameterError("build_cell_coadd: no inputs");
    if (!cfg.stack.weights.empty() && cfg.stack.weights.size() != inputs.size())
        throw InvalidParameterError(
            detail::msg("build_cell_coadd: ", cfg.stack.weights.size(), " weights for ", inputs.size(), " inputs"));
    if (!cfg.stack.scales.empty() && cfg.stack.scales.size() != inputs.size())
        throw InvalidParameterError(
            detail::msg("build_cell_coadd: ", cfg.stack.scales.size(), " scales for ", inputs.size(), " inputs"));
    MaskPlanes& reg = inputs[0].mask().planes();
    for (std::size_t k = 0; k < inputs.size(); ++k)
        if (!inputs[k].mask().planes().same_layout(reg))
            throw InvalidParameterError(
                detail::msg("build_cell_coadd: input ", k, "'s mask uses a different plane layout than input 0"));
    MaskPixel const bad = cfg.stack.bad_mask | reg.bit_mask(std::span<std::string const>(cfg.stack.bad_mask_planes));
    MaskPixel const nodata = reg.contains("NO_DATA") ? reg.bit_mask("NO_DATA") : 0;
    std::vector<MaskPixel> fraction_bits;
    for (auto const& p : cfg.mask_fraction_planes) fraction_bits.push_back(reg.bit_mask(p));

    // noise sigma per input: sqrt(median accepted variance) over the whole input
    std::vector<double> sigma(inputs.size(), 0.0);
    if (cfg.noise_realizations > 0)
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            MaskedImageView<float const> const var(inputs[k].variance(), ConstMaskView(inputs[k].mask()),
                                                   inputs[k].variance());
            double const med = statistics(var, Stat::Median, {.bad_mask = bad}).value(Stat::Median);
            sigma[k] = med > 0 && std::isfinite(med) ? std::sqrt(med) : 0.0;
        }

    CellCoadd<T> out(grid, reg.shared_from_this(), cfg.mask_fraction_planes, cfg.noise_realizations, inputs.size());
    std::size_t const n_cells = grid.size();

    auto build_one = [&](SingleCell<T>& cell) {
        std::vector<std::size_t> sel;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            if (!cfg.stack.weights.empty() && !(cfg.stack.weights[k] > 0)) continue;
            if (detail::cell_accepts(inputs[k], cell.inner, cell.outer, bad, nodata, cfg.max_mask_fraction))
                sel.push_back(k);
        }
        if (sel.empty()) return;
        StackConfig sc = cfg.stack;
        sc.threads = 1;
        sc.progress = {};
        sc.stop = {};
        sc.weights.clear();
        sc.scales.clear();
        std::vector<MaskedImageView<T const>> views;
        for (auto k : sel) {
            views.push_back(inputs[k].subimage(cell.outer));
            if (!cfg.stack.weights.empty()) sc.weights.push_back(cfg.stack.weights[k]);
            if (!cfg.stack.scales.empty()) sc.scales.push_back(cfg.stack.scales[k]);
        }
        StackResult<T> res = Stacker<Combine, Reject>(sc)(views, cell.outer);
        std::vector<std::size_t> used;
        std::vector<double> w;
        for (std::size_t j = 0; j < sel.size(); ++j)
            if (res.weights[j] > 0) {
                cell.inputs.push_back({sel[j], res.weights[j]});
                used.push_back(j);
                w.push_back(res.weights[j]);
            }
        if (cell.inputs.empty()) return; // every default weight was 0: a missing cell
        cell.coadd = std::move(res.coadd);

        double sw = 0;
        for (double x : w) sw += x;
        std::vector<double> acc(std::size_t(cell.outer.width()));
        for (std::size_t f = 0; f < fraction_bits.size(); ++f) {
            Image<float> fr(cell.outer);
            MaskPixel const bit = fraction_bits[f];
            for (int y = 0; y < cell.outer.height(); ++y) {
                std::fill(acc.begin(), acc.end(), 0.0);
                for (std::size_t u = 0; u < used.size(); ++u) { // inputs in order: a fixed sum order per pixel
                    auto const m = views[used[u]].mask().row(y);
                    double const wu = w[u];
                    for (std::size_t x = 0; x < acc.size(); ++x) acc[x] += (m[x] & bit) ? wu : 0.0;
                }
                auto row = fr.row(y);
                for (std::size_t x = 0; x < acc.size(); ++x) row[x] = float(acc[x] / sw);
            }
            cell.mask_fractions.push_back({cfg.mask_fraction_planes[f], std::move(fr)});
        }

        if (cfg.noise_realizations > 0) {
            StackConfig nc = sc;
            nc.weights = w;
            nc.nimage = false;
            if (!cfg.stack.scales.empty()) {
                nc.scales.clear();
                for (auto j : used) nc.scales.push_back(cfg.stack.scales[sel[j]]);
            }
            for (int r = 0; r < cfg.noise_realizations; ++r) {
                std::vector<MaskedImage<T>> noisy;
                std::vector<MaskedImageView<T const>> nv;
                for (auto j : used) {
                    auto const& v = views[j];
                    std::size_t const k = sel[j];
                    Image<T> img(cell.outer);
                    for (int y = 0; y < img.height(); ++y) {
                        auto row = img.row(y);
                        for (int x = 0; x < img.width(); ++x)
                            row[std::size_t(x)] =
                                T(sigma[k] * detail::cell_noise_deviate(cfg.noise_seed, k, r, cell.outer.min_x() + x,
                                                                        cell.outer.min_y() + y));
                    }
                    noisy.emplace_back(std::move(img), v.mask().clone(), v.variance().clone());
                }
                for (auto const& m : noisy) nv.push_back(m.cview());
                cell.noise.push_back(std::move(Stacker<WeightedMean>(nc)(nv, cell.outer).coadd.image()));
            }
        }
    };

    std::size_t nthreads =
        cfg.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : std::size_t(cfg.threads);
    nthreads = std::min(nthreads, n_cells);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::size_t done = 0;
    std::mutex mtx;
    std::exception_ptr err;
    auto worker = [&] {
        while (!failed.load()) {
            if (cfg.stop.stop_requested()) break;
            std::size_t const i = next.fetch_add(1);
            if (i >= n_cells) break;
            try {
                build_one(out.cells()[i]);
            } catch (...) {
                std::lock_guard lock(mtx);
                if (!err) err = std::current_exception();
                failed = true;
                return;
            }
            std::lock_guard lock(mtx);
            ++done;
            if (cfg.progress) cfg.progress(done, n_cells);
        }
    };
    if (nthreads <= 1) {
        worker();
    } else {
        std::vector<std::jthread> pool;
        for (std::size_t t = 0; t < nthreads; ++t) pool.emplace_back(worker);
    }
    if (err) std::rethrow_exception(err);
    if (done < n_cells)
        throw CancelledError(detail::msg("build_cell_coadd: cancelled after ", done, " of ", n_cells, " cells"));
    return out;
}

/// A cell coadd built input by input, for the accumulating policies (Mean, WeightedMean, Sum, Min, Max): each
/// cell keeps an OnlineStacker over its outer box (AccumulatorMeanStack, as AssembleCellCoadd does), plus the
/// mask-fraction sums and one online mean per noise realisation. Partial coadds over disjoint input sets (nights,
/// nodes) merge into the coadd of their union; finish() gives the CellCoadd. Inputs are selected per cell by the
/// rules of build_cell_coadd and weighted likewise (explicit weight, else 1/MEANCLIP of the input's variance over
/// the cell's outer box). Adding all inputs to one builder, in order, gives exactly build_cell_coadd's result;
/// merged partial builders agree with it to float rounding (sums are regrouped).
/// Memory: a few accumulator planes per cell outer box (≈ 30 B per outer-box pixel plus 8 B per mask-fraction
/// plane and per realisation), never the inputs. Not thread-safe: one builder per thread, then merge().
template <class T = float, class Combine = WeightedMean>
class OnlineCellCoadd {
    struct Cell {
        std::unique_ptr<OnlineStacker<T, Combine>> stack;
        std::vector<std::unique_ptr<OnlineStacker<T, WeightedMean>>> noise;
        std::vector<std::vector<double>> fraction; // per plane, per outer-box pixel: Σ w over inputs carrying it
        double sw = 0;                             // Σ w of the contributing inputs
        std::vector<CellInput> inputs;
    };
    CellGrid m_grid;
    CellConfig m_cfg;
    std::shared_ptr<MaskPlanes> m_planes;
    MaskPixel m_bad = 0, m_nodata = 0;

    /// Create a cell's accumulators (on its first input).
    void start(Cell& cell, Box2I outer) const {
        StackConfig sc = m_cfg.stack;
        sc.threads = 1;
        sc.progress = {};
        sc.stop = {};
        cell.stack = std::make_unique<OnlineStacker<T, Combine>>(outer, sc, m_planes);
        sc.nimage = false;
        for (int r = 0; r < m_cfg.noise_realizations; ++r)
            cell.noise.push_back(std::make_unique<OnlineStacker<T, WeightedMean>>(outer, sc, m_planes));
        cell.fraction.assign(m_fraction_bits.size(), std::vector<double>(std::size_t(outer.area()), 0.0));
    }
    std::vector<MaskPixel> m_fraction_bits;
    std::vector<Cell> m_cells;
    std::size_t m_first = 0, m_n = 0;

public:
    /// @param first_input the provenance index of the first input added here (a partial coadd of inputs
    ///        first_input, first_input + 1, …: the index also seeds the input's noise realisations, so partial
    ///        coadds that merge must number their inputs as one sequence)
    /// @param planes the registry every input mask must share
    /// @throws InvalidParameterError for a bad config (explicit weights are given per add(), not in cfg.stack);
    ///         NotFoundError for an unknown bad or mask-fraction plane
    explicit OnlineCellCoadd(CellGrid grid, CellConfig cfg = {}, std::size_t first_input = 0,
                             std::shared_ptr<MaskPlanes> planes = MaskPlanes::shared_default())
        : m_grid(grid), m_cfg(std::move(cfg)), m_planes(std::move(planes)), m_first(first_input) {
        m_cfg.validate();
        if (!m_planes) throw InvalidParameterError("OnlineCellCoadd: the mask registry must not be null");
        if (!m_cfg.stack.weights.empty() || !m_cfg.stack.scales.empty())
            throw InvalidParameterError("OnlineCellCoadd: give each input's weight and scale to add()");
        m_bad = m_cfg.stack.bad_mask | m_planes->bit_mask(std::span<std::string const>(m_cfg.stack.bad_mask_planes));
        m_nodata = m_planes->contains("NO_DATA") ? m_planes->bit_mask("NO_DATA") : 0;
        for (auto const& p : m_cfg.mask_fraction_planes) m_fraction_bits.push_back(m_planes->bit_mask(p));
        m_cells.resize(m_grid.size());
    }

    [[nodiscard]] CellGrid const& grid() const noexcept { return m_grid; }
    /// Inputs added so far (merged ones included).
    [[nodiscard]] std::size_t size() const noexcept { return m_n; }
    /// The provenance index the next input gets.
    [[nodiscard]] std::size_t next_index() const noexcept { return m_first + m_n; }

    /// Add the next input (provenance index next_index()). `weight`: its weight in every cell (nullopt: the policy's
    /// default, per cell); `scale`: its photometric scale.
    /// @throws InvalidParameterError for a bad weight or scale, or a different mask layout
    void add(MaskedImageView<T const> in, std::optional<double> weight = std::nullopt, double scale = 1.0) {
        if (weight && (!(*weight >= 0) || !std::isfinite(*weight)))
            throw InvalidParameterError(
                detail::msg("OnlineCellCoadd::add: weight must be finite and >= 0, got ", *weight));
        if (!(scale > 0) || !std::isfinite(scale))
            throw InvalidParameterError(detail::msg("OnlineCellCoadd::add: scale must be finite and > 0, got ", scale));
        if (!in.mask().planes().same_layout(*m_planes))
            throw InvalidParameterError("OnlineCellCoadd::add: the input mask uses a different plane layout");
        std::size_t const k = m_first + m_n++;
        if (in.empty()) return;
        double sigma = 0;
        if (m_cfg.noise_realizations > 0) {
            MaskedImageView<float const> const var(in.variance(), ConstMaskView(in.mask()), in.variance());
            double const med = statistics(var, Stat::Median, {.bad_mask = m_bad}).value(Stat::Median);
            sigma = med > 0 && std::isfinite(med) ? std::sqrt(med) : 0.0;
        }
        for (std::size_t c = 0; c < m_cells.size(); ++c) {
            CellIndex const ci = m_grid.unflat(c);
            Box2I const inner = m_grid.inner_bbox(ci), outer = m_grid.outer_bbox(ci);
            if (!detail::cell_accepts(in, inner, outer, m_bad, m_nodata, m_cfg.max_mask_fraction)) continue;
            auto const v = in.subimage(outer);
            double w = 1.0;
            if constexpr (detail::weighted_of<Combine>()) {
                if (weight) {
                    w = *weight;
                } else { // the stacker's default: 1 / MEANCLIP of the scaled variance over the outer box
                    MaskedImageView<float const> const var(v.variance(), ConstMaskView(v.mask()), v.variance());
                    StatisticsConfig sc;
                    sc.nsigma = m_cfg.stack.clip.nsigma;
                    sc.max_iter = m_cfg.stack.clip.max_iter;
                    sc.bad_mask = m_bad;
                    double const mv = statistics(var, Stat::MeanClip, sc).value(Stat::MeanClip) * scale * scale;
                    w = (mv > 0 && std::isfinite(mv)) ? 1.0 / mv : 0.0;
                }
            }
            if (!(w > 0)) continue;
            Cell& cell = m_cells[c];
            if (!cell.stack) start(cell, outer);
            cell.stack->add(v, w, scale);
            cell.inputs.push_back({k, w});
            cell.sw += w;
            for (std::size_t f = 0; f < m_fraction_bits.size(); ++f)
                for (int y = 0; y < outer.height(); ++y) {
                    auto const m = v.mask().row(y);
                    double* acc = cell.fraction[f].data() + std::size_t(y) * std::size_t(outer.width());
                    for (std::size_t x = 0; x < m.size(); ++x) acc[x] += (m[x] & m_fraction_bits[f]) ? w : 0.0;
                }
            for (int r = 0; r < m_cfg.noise_realizations; ++r) {
                Image<T> img(outer);
                for (int y = 0; y < img.height(); ++y) {
                    auto row = img.row(y);
                    for (int x = 0; x < img.width(); ++x)
                        row[std::size_t(x)] =
                            T(sigma *
                              detail::cell_noise_deviate(m_cfg.noise_seed, k, r, outer.min_x() + x, outer.min_y() + y));
                }
                MaskedImageView<T const> const nv(img.cview(), v.mask(), v.variance());
                cell.noise[std::size_t(r)]->add(nv, w, scale);
            }
        }
    }

    /// Fold in the partial coadd of the inputs that follow this one's (`o` was constructed with first_input ==
    /// next_index()). @throws InvalidParameterError for a different grid or configuration shape, or inputs that do
    /// not follow on
    void merge(OnlineCellCoadd const& o) {
        if (!(o.m_grid == m_grid) || o.m_fraction_bits != m_fraction_bits ||
            o.m_cfg.noise_realizations != m_cfg.noise_realizations || o.m_cfg.noise_seed != m_cfg.noise_seed)
            throw InvalidParameterError("OnlineCellCoadd::merge: the grids or configurations differ");
        if (o.m_first != next_index())
            throw InvalidParameterError(detail::msg("OnlineCellCoadd::merge: the other coadd's inputs start at ",
                                                    o.m_first, ", not at ", next_index()));
        for (std::size_t c = 0; c < m_cells.size(); ++c) {
            Cell const& b = o.m_cells[c];
            if (!b.stack) continue;
            Cell& a = m_cells[c];
            if (!a.stack) start(a, m_grid.outer_bbox(m_grid.unflat(c)));
            a.stack->merge(*b.stack);
            for (std::size_t r = 0; r < a.noise.size(); ++r) a.noise[r]->merge(*b.noise[r]);
            for (std::size_t f = 0; f < a.fraction.size(); ++f)
                for (std::size_t i = 0; i < a.fraction[f].size(); ++i) a.fraction[f][i] += b.fraction[f][i];
            a.sw += b.sw;
            a.inputs.insert(a.inputs.end(), b.inputs.begin(), b.inputs.end());
        }
        m_n += o.m_n;
    }

    /// The cell coadd of the inputs so far (the accumulators stay).
    [[nodiscard]] CellCoadd<T> finish() const {
        CellCoadd<T> out(m_grid, m_planes, m_cfg.mask_fraction_planes, m_cfg.noise_realizations, m_first + m_n);
        for (std::size_t c = 0; c < m_cells.size(); ++c) {
            Cell const& src = m_cells[c];
            if (!src.stack) continue;
            auto& dst = out.cells()[c];
            dst.inputs = src.inputs;
            dst.coadd = std::move(src.stack->finish().coadd);
            for (std::size_t f = 0; f < src.fraction.size(); ++f) {
                Image<float> fr(dst.outer);
                for (int y = 0; y < fr.height(); ++y) {
                    auto row = fr.row(y);
                    double const* acc = src.fraction[f].data() + std::size_t(y) * std::size_t(dst.outer.width());
                    for (std::size_t x = 0; x < row.size(); ++x) row[x] = float(acc[x] / src.sw);
                }
                dst.mask_fractions.push_back({m_cfg.mask_fraction_planes[f], std::move(fr)});
            }
            for (auto const& n : src.noise) dst.noise.push_back(std::move(n->finish().coadd.image()));
        }
        return out;
    }
};

/// build_cell_coadd over owned images.
template <class Combine, class Reject = typename detail::default_reject<Combine>::type, class T>
CellCoadd<T> build_cell_coadd(std::vector<MaskedImage<T>> const& inputs, CellGrid const& grid,
                              CellConfig const& cfg = {}) {
    std::vector<MaskedImageView<T const>> v(inputs.begin(), inputs.end());
    return build_cell_coadd<Combine, Reject, T>(std::span<MaskedImageView<T const> const>(v), grid, cfg);
}
/// build_cell_coadd over views.
template <class Combine, class Reject = typename detail::default_reject<Combine>::type, class T>
CellCoadd<T> build_cell_coadd(std::vector<MaskedImageView<T const>> const& inputs, CellGrid const& grid,
                              CellConfig const& cfg = {}) {
    return build_cell_coadd<Combine, Reject, T>(std::span<MaskedImageView<T const> const>(inputs), grid, cfg);
}

} // namespace skystack
