// SPDX-License-Identifier: MIT
// A cell-based coadd (docs/cells.md): a patch as a grid of independently stacked cells, stitched into one image.
#include <skystack/cells/cell_coadd.hpp>
#include <skystack/synthetic.hpp>
#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/cell_fits.hpp>
#endif

#include <cmath>
#include <cstdio>
#include <vector>

using namespace skystack;

int main() {
    //! [grid]
    // 256 x 256 patch, 64 x 64 cells with a 16 px border: 4 x 4 cells; each outer box is 96 x 96
    auto const grid = CellGrid::from_bbox_cell_size(Box2I::from_min_size({0, 0}, {256, 256}), {64, 64}, 16);
    CellIndex const c = grid.index({100, 200}); // the cell owning parent pixel (100, 200): (1, 3)
    Box2I const inner = grid.inner_bbox(c);     // [64, 128) x [192, 256)
    Box2I const outer = grid.outer_bbox(c);     // [48, 144) x [176, 272)
    //! [grid]
    std::printf("cell (%d, %d): inner %dx%d at (%d, %d), outer %dx%d at (%d, %d)\n", c.x, c.y, inner.width(),
                inner.height(), inner.min_x(), inner.min_y(), outer.width(), outer.height(), outer.min_x(),
                outer.min_y());
    if (!(c == CellIndex{1, 3})) return 1;

    // Inputs must cover the cells' outer boxes: the synthetic exposures cover grid.outer_bbox() (dithers and
    // partial coverage leave some cells with fewer inputs).
    auto field = synthetic::make_dataset({.n_exposures = 6, .size = {288, 288}, .seed = 3});
    std::vector<MaskedImage<float>> inputs;
    for (auto& e : field.exposures) {
        MaskedImage<float> mi = e.image.clone();
        mi.set_xy0(mi.xy0() - Extent2I{16, 16}); // place the exposures on the patch's padded grid
        inputs.push_back(std::move(mi));
    }

    //! [build]
    CellConfig cfg;                           // AssembleCellCoadd-like defaults, with the stack's bad planes
    cfg.noise_realizations = 2;               // stacked with the same weights and masks as the image
    cfg.mask_fraction_planes = {"SAT", "CR"}; // per-pixel weighted fraction of inputs carrying the plane
    cfg.threads = 2;                          // cells in parallel; results do not depend on it
    CellCoadd<float> cc = build_cell_coadd<ClippedMean>(inputs, grid, cfg);
    for (auto const& cell : cc.cells()) // provenance: who contributed, with which weight
        if (cell.index == c)
            for (auto const& in : cell.inputs) std::printf("  input %zu, weight %.3g\n", in.index, in.weight);
    StitchedCoadd<float> patch = cc.stitch(); // an ordinary MaskedImage of the patch, from the inner boxes
    auto const part = patch.subimage(Box2I::from_min_size({100, 100}, {32, 32})); // PARENT coordinates
    //! [build]
    std::printf("stitched %dx%d; pixel (110, 110) = %.2f, noise realisation 0 there = %.3f\n", patch.bbox().width(),
                patch.bbox().height(), part.image.image()(10, 10), part.noise[0](10, 10));
    if (!std::isfinite(part.image.image()(10, 10))) return 1;
#if SKYSTACK_HAS_CFITSIO
    //! [fits]
    fits::write_cell_coadd("cells.fits", cc, {.compression = fits::Compression::gzip, .overwrite = true});
    CellCoadd<float> back = fits::read_cell_coadd<float>("cells.fits");
    //! [fits]
    if (!(back.grid() == cc.grid())) return 1;
#endif
    return 0;
}
