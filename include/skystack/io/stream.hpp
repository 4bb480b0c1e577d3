// SPDX-License-Identifier: MIT
// Streaming coadd from files: every input is opened once and read in row bands sized by a memory budget; the next
// band is read (inputs in parallel) while the current one is stacked through the public Stacker::into.
#pragma once

#include <skystack/error.hpp>
#include <skystack/io/fits_stream.hpp>
#include <skystack/stack/stacker.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace skystack {

/// How stream_stack reads.
struct StreamOptions {
    /// Bytes for the input bands (double-buffered) plus the output; 0 = default_memory_budget().
    std::size_t memory_budget = 0;
    /// Rows per band; > 0 overrides the budget (tests, benchmarks).
    int band_rows = 0;
    /// Threads reading inputs in parallel; 0 = the stacker's thread count (hardware_concurrency when that is 0).
    int read_threads = 0;
    /// Most files open at once; 0 = a quarter of the open-file limit (fits::HandlePool::default_capacity).
    std::size_t max_open_files = 0;
    /// Mask plane registry the inputs are conformed to and the output uses; null = MaskPlanes::shared_default().
    std::shared_ptr<MaskPlanes> planes{};
};

/// min(2 GiB, half of MemAvailable); 2 GiB when /proc/meminfo cannot be read.
inline std::size_t default_memory_budget() {
    std::size_t const cap = std::size_t(2) << 30;
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::size_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:") return std::min(cap, kb * 1024 / 2);
    return cap;
}

/// Rows per band so that 2 × n inputs × rows × width × bytes_per_pixel + output_bytes ≤ budget (at least 1 row,
/// at most `height`).
inline int stream_band_rows(std::size_t budget, std::size_t n, int width, int height, std::size_t bytes_per_pixel,
                            std::size_t output_bytes) {
    std::size_t const per_row = 2 * std::max<std::size_t>(n, 1) * std::size_t(std::max(width, 1)) * bytes_per_pixel;
    std::size_t const room = budget > output_bytes ? budget - output_bytes : 0;
    std::size_t const rows = room / per_row;
    return int(std::clamp<std::size_t>(rows, 1, std::size_t(std::max(height, 1))));
}

namespace detail {

template <class T>
std::vector<MaskedImage<T>> read_bands(fits::HandlePool& pool, std::vector<Box2I> const& in_bbox, Box2I band,
                                       std::shared_ptr<MaskPlanes> const& planes, int threads) {
    std::size_t const n = in_bbox.size();
    std::vector<MaskedImage<T>> out(n);
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errs(std::size_t(std::max(threads, 1)));
    auto work = [&](std::size_t t) {
        try {
            for (std::size_t k; (k = next.fetch_add(1)) < n;) {
                Box2I const b = in_bbox[k].clipped_to(band);
                if (!b.empty()) out[k] = fits::read_band<T>(pool, k, b, planes);
            }
        } catch (...) {
            errs[t] = std::current_exception();
            next.store(n);
        }
    };
    {
        std::vector<std::jthread> pool_threads;
        for (std::size_t t = 1; t < errs.size(); ++t) pool_threads.emplace_back(work, t);
        work(0);
    }
    for (auto& e : errs)
        if (e) std::rethrow_exception(e);
    return out;
}

} // namespace detail

/// Stack FITS masked images (afw layout, or whatever read_masked_image accepts) over `bbox` (empty: the union of
/// the inputs) without loading them whole: bit-identical to `st` on the fully loaded inputs for every statistic,
/// thread count and band height. Default AssembleCoadd weights (weighted policies without explicit weights) are
/// computed first from each input's variance and mask (inputs in parallel, one whole input per read thread).
/// The band stacks use a copy of `st`'s config with the resolved weights and default-constructed policies.
/// @throws InvalidParameterError (no inputs, an input outside bbox, bad config), FitsError, LengthError.
template <class T = float, class Combine, class Reject>
StackResult<T> stream_stack(Stacker<Combine, Reject> const& st, std::vector<std::filesystem::path> const& paths,
                            Box2I bbox = {}, StreamOptions const& so = {}) {
    static_assert(std::is_floating_point_v<T>, "stream_stack: pixel type must be float or double");
    if (paths.empty()) throw InvalidParameterError("stream_stack: no inputs (empty stack)");
    std::size_t const n = paths.size();
    auto const planes = so.planes ? so.planes : MaskPlanes::shared_default();
    StackConfig cfg = st.config();
    int threads =
        so.read_threads ? so.read_threads : (cfg.threads ? cfg.threads : int(std::thread::hardware_concurrency()));
    threads = std::max(1, threads);
    fits::HandlePool pool(paths, so.max_open_files);
    if (pool.capacity() < std::size_t(threads)) threads = int(pool.capacity());

    std::vector<Box2I> in_bbox(n);
    for (std::size_t k = 0; k < n; ++k) in_bbox[k] = fits::image_bbox(pool, k);
    if (bbox.empty())
        for (auto const& b : in_bbox) bbox = bbox.empty() ? b : bbox.expanded_to(b);
    if (bbox.empty()) throw InvalidParameterError("stack: the output bbox is empty");
    for (std::size_t k = 0; k < n; ++k)
        if (!in_bbox[k].overlaps(bbox))
            throw InvalidParameterError(skystack::detail::msg("stack: input ", k, " (", paths[k].string(),
                                                              ") with bbox ", in_bbox[k],
                                                              " does not overlap the output bbox ", bbox));
    if (!cfg.scales.empty() && cfg.scales.size() != n)
        throw InvalidParameterError(
            skystack::detail::msg("stack: ", cfg.scales.size(), " scale factors for ", n, " inputs"));

    constexpr bool weighted = detail::weighted_of<Combine>();
    MaskPixel const bad = detail::make_plan<T>(cfg, *planes).bad;
    if constexpr (weighted) {
        if (cfg.weights.empty()) { // AssembleCoadd default: 1 / MEANCLIP(variance × s²), 0 when not finite > 0
            std::vector<double> w(n, 0.0);
            std::atomic<std::size_t> next{0};
            std::vector<std::exception_ptr> errs(static_cast<std::size_t>(threads));
            auto work = [&](std::size_t t) {
                try {
                    for (std::size_t k; (k = next.fetch_add(1)) < n;) {
                        MaskedImage<T> mi = fits::read_band<T>(pool, k, in_bbox[k].clipped_to(bbox), planes);
                        double const sc = cfg.scales.empty() ? 1.0 : cfg.scales[k];
                        double const mv = detail::mean_clip_variance<T>(mi.cview(), bad, cfg.clip, sc * sc);
                        w[k] = (mv > 0 && std::isfinite(mv)) ? 1.0 / mv : 0.0;
                    }
                } catch (...) {
                    errs[t] = std::current_exception();
                    next.store(n);
                }
            };
            {
                std::vector<std::jthread> ts;
                for (std::size_t t = 1; t < errs.size(); ++t) ts.emplace_back(work, t);
                work(0);
            }
            for (auto& e : errs)
                if (e) std::rethrow_exception(e);
            cfg.weights = std::move(w);
        }
    }

    constexpr std::size_t bpp = sizeof(T) + sizeof(MaskPixel) + sizeof(float);
    std::size_t const out_bytes =
        std::size_t(bbox.width()) * std::size_t(bbox.height()) * (bpp + (cfg.nimage ? sizeof(std::uint16_t) : 0));
    int const rows = so.band_rows > 0 ? std::min(so.band_rows, bbox.height())
                                      : stream_band_rows(so.memory_budget ? so.memory_budget : default_memory_budget(),
                                                         n, bbox.width(), bbox.height(), bpp, out_bytes);

    StackResult<T> res;
    res.coadd = MaskedImage<T>(bbox, planes);
    if (cfg.nimage) res.nimage = Image<std::uint16_t>(bbox);
    res.weights = weighted ? cfg.weights : std::vector<double>(n, 1.0);
    Stacker<Combine, Reject> const full(cfg);
    MaskPixel const nodata = planes->bit_mask("NO_DATA");

    auto band_of = [&](int y0) {
        int const y1 = std::min(y0 + rows, bbox.max().y + 1);
        return Box2I::from_min_size({bbox.min().x, y0}, {bbox.width(), y1 - y0});
    };
    auto start_read = [&](int y0) {
        return std::async(std::launch::async,
                          [&, y0] { return detail::read_bands<T>(pool, in_bbox, band_of(y0), planes, threads); });
    };
    int const ylast = bbox.max().y;
    auto pending = start_read(bbox.min().y);
    for (int y0 = bbox.min().y; y0 <= ylast; y0 += rows) {
        std::vector<MaskedImage<T>> cur = pending.get();
        if (y0 + rows <= ylast) pending = start_read(y0 + rows);
        Box2I const band = band_of(y0);
        // An input that misses the whole band stands in as a NO_DATA band: the stacker then sees the same input
        // list (weights, scales, counts) as over the whole bbox, where such pixels have no sample either.
        std::vector<MaskedImageView<T const>> views;
        MaskedImage<T> absent;
        for (std::size_t k = 0; k < n; ++k) {
            if (cur[k].empty()) {
                if (!(bad & nodata))
                    throw InvalidParameterError(skystack::detail::msg(
                        "stream_stack: input ", k, " (", paths[k].string(), ") misses rows ", band.min().y, "..",
                        band.max().y, "; streaming such a stack needs NO_DATA among the bad mask planes"));
                if (absent.empty()) absent = MaskedImage<T>(band, planes);
                absent.mask().view().fill(nodata);
                views.push_back(absent.cview());
            } else {
                views.push_back(cur[k].cview());
            }
        }
        auto out = res.coadd.view().subimage(band);
        ImageView<std::uint16_t> nim = cfg.nimage ? res.nimage.view().subimage(band) : ImageView<std::uint16_t>{};
        full.template into<T>(views, out, nim);
    }
    return res;
}

} // namespace skystack
