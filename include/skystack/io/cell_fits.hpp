// SPDX-License-Identifier: MIT
// FITS round trip of a CellCoadd: the stitched planes in lsst.images' layout, then every cell's outer-box planes as
// mosaics (one 2-D image per plane, cells side by side in grid order), then the provenance as a weight matrix.
// Everything is an ordinary image HDU, so astropy.io.fits reads it without skystack.
#pragma once

#include <skystack/cells/cell_coadd.hpp>
#include <skystack/io/fits.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace skystack::fits {

/// Format version written in the primary header (SKYCELLS).
inline constexpr std::int64_t cell_coadd_format_version = 1;

namespace detail {

/// EXTNAME → HDU index of a file, upper-cased names.
inline int find_hdu(FitsHandle& h, std::string const& name) {
    auto const names = extnames(h);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (iequals(names[i], name)) return int(i);
    throw_fits(skystack::detail::msg("cell coadd: HDU '", name, "' is missing"), h.name(), 0, 0);
}

/// The slot of cell `c` in a mosaic of `slot`-sized places.
inline Box2I mosaic_slot(CellGrid const& g, CellIndex c, Extent2I slot) {
    return Box2I::from_min_size({c.x * slot.x, c.y * slot.y}, g.outer_bbox(c).dimensions());
}

inline Extent2I mosaic_slot_size(CellGrid const& g) {
    return {g.cell_size().x + 2 * g.border(), g.cell_size().y + 2 * g.border()};
}

} // namespace detail

/// Write a cell coadd to `path` (atomically, like fits::write). HDUs, all images:
/// - primary: no data; grid cards GRMIN1/2 (grid bbox minimum), GRSIZE1/2 (its size), GRCELL1/2 (cell size),
///   GRSHAPE1/2 (cells along x/y), GRBORDER, plus SKYCELLS (format version), NINPUTS, NNOISE, and MFNAMEnn (the
///   mask-fraction planes), then `opts.header`;
/// - IMAGE, MASK, VARIANCE: the stitched patch (afw layout: "A" cards give xy0, MP_ cards name mask planes);
/// - MASK_FRACTIONS/<PLANE> and NOISE_REALIZATIONS/<r>: the stitched extra planes;
/// - CELLS/IMAGE, CELLS/MASK, CELLS/VARIANCE, CELLS/MASK_FRACTIONS/<PLANE>, CELLS/NOISE_REALIZATIONS/<r>: each
///   cell's outer box at slot (i·(w + 2b), j·(h + 2b)) of a mosaic; empty slots are NaN (mask 0);
/// - CELLS/WEIGHTS: a float64 image of NINPUTS columns and one row per cell (row-major cell order): the weight of
///   each input in each cell, 0 where the input did not contribute.
/// With compression, tiles are the cell size for the stitched planes and the slot size for the mosaics.
/// @throws as fits::write
template <class T>
void write_cell_coadd(std::filesystem::path const& path, CellCoadd<T> const& cc, WriteOptions const& opts = {}) {
    using detail::cfitsio_type;
    CellGrid const& g = cc.grid();
    Extent2I const slot = detail::mosaic_slot_size(g);
    Box2I const mbox = Box2I::from_min_size({0, 0}, {slot.x * g.shape().x, slot.y * g.shape().y});
    StitchedCoadd<T> const st = cc.stitch();
    auto const planes = cc.planes().planes();

    Header primary = opts.header;
    primary.set("SKYCELLS", cell_coadd_format_version, "skystack cell coadd format version");
    primary.set("GRMIN1", std::int64_t(g.bbox().min_x()), "grid bbox minimum x (parent pixels)");
    primary.set("GRMIN2", std::int64_t(g.bbox().min_y()), "grid bbox minimum y (parent pixels)");
    primary.set("GRSIZE1", std::int64_t(g.bbox().width()), "grid bbox width");
    primary.set("GRSIZE2", std::int64_t(g.bbox().height()), "grid bbox height");
    primary.set("GRCELL1", std::int64_t(g.cell_size().x), "cell inner width");
    primary.set("GRCELL2", std::int64_t(g.cell_size().y), "cell inner height");
    primary.set("GRSHAPE1", std::int64_t(g.shape().x), "cells along x");
    primary.set("GRSHAPE2", std::int64_t(g.shape().y), "cells along y");
    primary.set("GRBORDER", std::int64_t(g.border()), "cell border (outer = inner dilated by it)");
    primary.set("NINPUTS", std::int64_t(cc.n_inputs()), "inputs the coadd was built from");
    primary.set("NNOISE", std::int64_t(cc.noise_realizations()), "noise realisations");
    auto const& fr = cc.mask_fraction_planes();
    primary.set("NMASKFR", std::int64_t(fr.size()), "mask-fraction planes");
    for (std::size_t f = 0; f < fr.size(); ++f) {
        std::string key = "MFNAME" + std::string(f < 9 ? "0" : "") + std::to_string(f + 1);
        primary.set(key, fr[f], "mask-fraction plane");
    }

    // mosaics of the cells' outer-box planes
    T const nan = std::numeric_limits<T>::quiet_NaN();
    MaskedImage<T> mos(mbox, cc.planes_ptr());
    mos.image().fill(nan);
    mos.variance().fill(std::numeric_limits<VariancePixel>::quiet_NaN());
    std::vector<Image<float>> mos_fr(fr.size(), Image<float>(mbox, std::numeric_limits<float>::quiet_NaN()));
    std::vector<Image<T>> mos_noise(std::size_t(cc.noise_realizations()), Image<T>(mbox, nan));
    Image<double> weights(Box2I::from_min_size({0, 0}, {int(std::max<std::size_t>(cc.n_inputs(), 1)), int(g.size())}),
                          0.0);
    for (std::size_t k = 0; k < cc.cells().size(); ++k) {
        auto const& c = cc.cells()[k];
        for (auto const& in : c.inputs) weights(int(in.index), int(k)) = in.weight;
        if (c.empty()) continue;
        Box2I const s = detail::mosaic_slot(g, c.index, slot);
        auto put = [&](auto dst, auto src) {
            for (int y = 0; y < s.height(); ++y) {
                auto const r = src.row(y);
                std::copy(r.begin(), r.end(), dst.row(s.min_y() + y).begin() + s.min_x());
            }
        };
        put(mos.image().view(), c.coadd.image().cview());
        put(mos.mask().view(), c.coadd.mask().cview());
        put(mos.variance().view(), c.coadd.variance().cview());
        for (std::size_t f = 0; f < fr.size(); ++f) put(mos_fr[f].view(), c.mask_fractions[f].fraction.cview());
        for (std::size_t r = 0; r < c.noise.size(); ++r) put(mos_noise[r].view(), c.noise[r].cview());
    }

    WriteOptions stitched_opts = opts, mosaic_opts = opts;
    if (opts.compression != Compression::none && opts.tile[0] == 0 && opts.tile[1] == 0) {
        stitched_opts.tile = {long(g.cell_size().x), long(g.cell_size().y)};
        mosaic_opts.tile = {long(slot.x), long(slot.y)};
    }
    detail::atomic_write(path, opts, [&](detail::FitsHandle& h) {
        detail::write_empty_primary(h, &primary);
        auto plane = [&]<class P>(ImageView<P const> img, std::string const& name, WriteOptions const& o,
                                  std::vector<MaskPlane> const* mp) {
            int const imgtype = std::is_same_v<P, MaskPixel> ? LONG_IMG : cfitsio_type<P>::imgtype;
            int const dtype = std::is_same_v<P, MaskPixel> ? TINT : cfitsio_type<P>::datatype;
            detail::write_plane<P>(h, img, o, imgtype, dtype, name.c_str(), true, nullptr, mp);
        };
        plane(st.image.image().cview(), "IMAGE", stitched_opts, nullptr);
        plane(ImageView<MaskPixel const>(st.image.mask().cview()), "MASK", stitched_opts, &planes);
        plane(st.image.variance().cview(), "VARIANCE", stitched_opts, nullptr);
        for (auto const& f : st.mask_fractions)
            plane(f.fraction.cview(), "MASK_FRACTIONS/" + f.plane, stitched_opts, nullptr);
        for (std::size_t r = 0; r < st.noise.size(); ++r)
            plane(st.noise[r].cview(), "NOISE_REALIZATIONS/" + std::to_string(r), stitched_opts, nullptr);
        plane(mos.image().cview(), "CELLS/IMAGE", mosaic_opts, nullptr);
        plane(ImageView<MaskPixel const>(mos.mask().cview()), "CELLS/MASK", mosaic_opts, &planes);
        plane(mos.variance().cview(), "CELLS/VARIANCE", mosaic_opts, nullptr);
        for (std::size_t f = 0; f < fr.size(); ++f)
            plane(mos_fr[f].cview(), "CELLS/MASK_FRACTIONS/" + fr[f], mosaic_opts, nullptr);
        for (std::size_t r = 0; r < mos_noise.size(); ++r)
            plane(mos_noise[r].cview(), "CELLS/NOISE_REALIZATIONS/" + std::to_string(r), mosaic_opts, nullptr);
        WriteOptions wopts = opts;
        wopts.quantize_level = 0; // provenance stays exact
        if (wopts.compression != Compression::none) wopts.compression = Compression::gzip;
        wopts.tile = {0, 0};
        plane(weights.cview(), "CELLS/WEIGHTS", wopts, nullptr);
    });
}

/// Read a cell coadd written by write_cell_coadd. The mask planes are conformed to `planes` (default: the shared
/// registry). @throws FitsError for a file that is not such a coadd or is inconsistent (the HDU is named).
template <class T>
CellCoadd<T> read_cell_coadd(std::filesystem::path const& path, std::shared_ptr<MaskPlanes> planes = {}) {
    if (!planes) planes = MaskPlanes::shared_default();
    auto h = detail::FitsHandle::open_read(path);
    Header const p = detail::read_header(h, 0);
    auto need = [&](char const* key) -> std::int64_t {
        if (!p.contains(key))
            throw FitsError(skystack::detail::msg("cell coadd: primary header card ", key, " is missing"),
                            path.string(), 0, 0);
        return p.get<std::int64_t>(key);
    };
    if (need("SKYCELLS") != cell_coadd_format_version)
        throw FitsError(skystack::detail::msg("cell coadd: unsupported format version ", need("SKYCELLS")),
                        path.string(), 0, 0);
    auto as_int = [&](char const* key) {
        std::int64_t const v = need(key);
        if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
            throw FitsError(skystack::detail::msg("cell coadd: ", key, " = ", v, " is out of range"), path.string(), 0,
                            0);
        return int(v);
    };
    Box2I const gb = Box2I::from_min_size({as_int("GRMIN1"), as_int("GRMIN2")}, {as_int("GRSIZE1"), as_int("GRSIZE2")});
    Extent2I const cell{as_int("GRCELL1"), as_int("GRCELL2")};
    int const border = as_int("GRBORDER");
    CellGrid const g = CellGrid::covering(gb, cell, border);
    if (g.shape() != Extent2I{as_int("GRSHAPE1"), as_int("GRSHAPE2")})
        throw FitsError("cell coadd: GRSHAPE1/2 disagree with the grid size and cell size", path.string(), 0, 0);
    int const n_noise = as_int("NNOISE");
    int const n_fr = as_int("NMASKFR");
    std::int64_t const n_inputs = need("NINPUTS");
    if (n_noise < 0 || n_fr < 0 || n_fr > 32 || n_noise > 1000 || n_inputs < 0)
        throw FitsError("cell coadd: bad NNOISE, NMASKFR or NINPUTS", path.string(), 0, 0);
    std::vector<std::string> fr;
    for (int f = 0; f < n_fr; ++f) {
        std::string const key = "MFNAME" + std::string(f < 9 ? "0" : "") + std::to_string(f + 1);
        if (!p.contains(key)) throw FitsError("cell coadd: card " + key + " is missing", path.string(), 0, 0);
        fr.push_back(p.get<std::string>(key));
    }
    Extent2I const slot = detail::mosaic_slot_size(g);
    Extent2I const mdims{slot.x * g.shape().x, slot.y * g.shape().y};

    auto read_plane = [&]<class P>(std::string const& name) {
        int const hdu = detail::find_hdu(h, name);
        Image<P> img = detail::read_image_hdu<P>(h, hdu, {}, nullptr, 0);
        if (img.dimensions() != mdims)
            throw FitsError(
                skystack::detail::msg("cell coadd: HDU '", name, "' is ", img.dimensions(), ", expected ", mdims),
                path.string(), hdu, 0);
        return img;
    };
    Image<T> mimg = read_plane.template operator()<T>("CELLS/IMAGE");
    int const mhdu = detail::find_hdu(h, "CELLS/MASK");
    Mask mmask = detail::read_mask_hdu(h, mhdu, {}, planes, nullptr, 0);
    if (mmask.dimensions() != mdims)
        throw FitsError("cell coadd: CELLS/MASK has the wrong size", path.string(), mhdu, 0);
    Image<VariancePixel> mvar = read_plane.template operator()<VariancePixel>("CELLS/VARIANCE");
    std::vector<Image<float>> mfr;
    for (auto const& f : fr) mfr.push_back(read_plane.template operator()<float>("CELLS/MASK_FRACTIONS/" + f));
    std::vector<Image<T>> mnoise;
    for (int r = 0; r < n_noise; ++r)
        mnoise.push_back(read_plane.template operator()<T>("CELLS/NOISE_REALIZATIONS/" + std::to_string(r)));
    int const whdu = detail::find_hdu(h, "CELLS/WEIGHTS");
    Image<double> const w = detail::read_image_hdu<double>(h, whdu, {}, nullptr, 0);
    if (w.height() != int(g.size()) || w.width() != int(std::max<std::int64_t>(n_inputs, 1)))
        throw FitsError("cell coadd: CELLS/WEIGHTS has the wrong size", path.string(), whdu, 0);

    CellCoadd<T> cc(g, planes, fr, n_noise, std::size_t(n_inputs));
    for (std::size_t k = 0; k < cc.cells().size(); ++k) {
        auto& c = cc.cells()[k];
        for (int i = 0; i < int(n_inputs); ++i)
            if (double const wi = w(i, int(k)); wi != 0) {
                if (!(wi > 0) || !std::isfinite(wi))
                    throw FitsError(skystack::detail::msg("cell coadd: weight ", wi, " of input ", i, " in cell ", k),
                                    path.string(), whdu, 0);
                c.inputs.push_back({std::size_t(i), wi});
            }
        if (c.empty()) continue;
        Box2I const s = detail::mosaic_slot(g, c.index, slot);
        auto take = [&](auto const& src, auto& dst) {
            for (int y = 0; y < s.height(); ++y) {
                auto const r = src.row(s.min_y() + y);
                std::copy(r.begin() + s.min_x(), r.begin() + s.min_x() + s.width(), dst.row(y).begin());
            }
        };
        c.coadd = MaskedImage<T>(c.outer, planes);
        take(mimg, c.coadd.image());
        take(mmask, c.coadd.mask());
        take(mvar, c.coadd.variance());
        for (std::size_t f = 0; f < fr.size(); ++f) {
            Image<float> img(c.outer);
            take(mfr[f], img);
            c.mask_fractions.push_back({fr[f], std::move(img)});
        }
        for (int r = 0; r < n_noise; ++r) {
            Image<T> img(c.outer);
            take(mnoise[std::size_t(r)], img);
            c.noise.push_back(std::move(img));
        }
    }
    return cc;
}

} // namespace skystack::fits
