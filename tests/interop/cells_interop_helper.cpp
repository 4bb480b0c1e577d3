// SPDX-License-Identifier: MIT
// Writes three afw-layout inputs and the cell coadd built from them (explicit weights), for cells_interop.py.
#include <skystack/cells/cell_coadd.hpp>
#include <skystack/io/cell_fits.hpp>
#include <skystack/io/fits.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace skystack;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: cells_interop_helper DIR\n");
        return 2;
    }
    std::filesystem::path const dir = argv[1];
    std::filesystem::create_directories(dir);
    auto const grid = CellGrid::covering(Box2I::from_min_size({100, 50}, {70, 45}), {20, 20}, 5);
    std::vector<MaskedImage<float>> in;
    std::mt19937 rng(11);
    for (int k = 0; k < 3; ++k) {
        // input 2 covers only the left part: cells further right are built from inputs 0 and 1
        Box2I const bb = k < 2 ? grid.outer_bbox() : Box2I::from_min_size({95, 45}, {40, 55});
        MaskedImage<float> mi(bb);
        std::normal_distribution<float> g(50.0f + 10.0f * float(k), 2.0f + float(k));
        for (int y = 0; y < bb.height(); ++y)
            for (int x = 0; x < bb.width(); ++x) {
                mi.image()(x, y) = g(rng);
                mi.variance()(x, y) = float((2 + k) * (2 + k)) + 0.01f * float(x);
            }
        fits::write(dir / ("input_" + std::to_string(k) + ".fits"), mi, {.overwrite = true});
        in.push_back(std::move(mi));
    }
    CellConfig cfg;
    cfg.stack.weights = {1.0, 0.25, 2.0};
    cfg.mask_fraction_planes = {"SAT"};
    cfg.noise_realizations = 1;
    auto const cc = build_cell_coadd<WeightedMean>(in, grid, cfg);
    fits::write_cell_coadd(dir / "cells.fits", cc, {.compression = fits::Compression::gzip, .overwrite = true});
    return 0;
}
