// SPDX-License-Identifier: MIT
#include "demo.hpp"

#include "inputs.hpp"

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#endif

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace skystack::tool {

synthetic::Config demo_config(Options const& o) {
    synthetic::Config c;
    c.n_exposures = o.demo_frames;
    c.size = {o.demo_size, o.demo_size};
    c.seed = o.demo_seed;
    c.threads = o.threads;
    // Keep the source and artifact densities of the 1024 x 1024 default at any size.
    double const area = double(o.demo_size) * o.demo_size / (1024.0 * 1024.0);
    c.n_stars = std::max(10, int(std::lround(c.n_stars * area)));
    c.n_galaxies = std::max(3, int(std::lround(c.n_galaxies * area)));
    c.n_cosmic_rays = std::max(5, int(std::lround(c.n_cosmic_rays * area)));
    c.n_saturated = std::max(1, int(std::lround(c.n_saturated * std::sqrt(area))));
    c.satellite_exposure = std::min(1, c.n_exposures - 1);
    return c;
}

int demo_showcase(synthetic::Dataset const& ds) { return ds.truth.trail ? ds.truth.trail->exposure : 0; }

void write_demo_inputs(synthetic::Dataset const& ds, std::string const& dir, bool quiet) {
#if SKYSTACK_HAS_CFITSIO
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ToolError(exit_output, "cannot create directory " + dir + ": " + ec.message());
    std::ofstream list(fs::path(dir) / "inputs.txt");
    if (!list) throw ToolError(exit_output, "cannot write " + (fs::path(dir) / "inputs.txt").string());
    list << "# synthetic exposures written by skystack-coadd --write-demo-inputs (zero points in MAGZERO)\n";
    for (std::size_t k = 0; k < ds.exposures.size(); ++k) {
        auto const& e = ds.exposures[k];
        char name[48];
        std::snprintf(name, sizeof name, "exposure_%02zu.fits", k);
        fits::WriteOptions w{.overwrite = true};
        w.header.set("MAGZERO", e.zero_point, "magnitude zero point of this exposure");
        w.header.set("SEEING", e.seeing, "PSF core sigma, pixels");
        w.header.set("OFFSETX", std::int64_t(e.offset.x), "dither offset in x, pixels");
        w.header.set("OFFSETY", std::int64_t(e.offset.y), "dither offset in y, pixels");
        w.header.set("CRFLAG", e.cr_flagged, "cosmic rays flagged in the CR plane");
        w.header.set("COADDZP", ds.truth.zp_ref, "zero point the coadd should have");
        auto const path = (fs::path(dir) / name).string();
        try {
            fits::write(path, e.image, w);
        } catch (std::exception const& ex) {
            throw ToolError(exit_output, path + ": " + ex.what());
        }
        list << name << "\n";
    }
    if (!quiet)
        std::cout << "wrote " << ds.exposures.size() << " synthetic exposures and inputs.txt to " << dir << "\n";
#else
    (void)ds, (void)quiet;
    throw ToolError(exit_usage, "--write-demo-inputs " + dir + ": this build has no cfitsio and cannot write FITS");
#endif
}

nlohmann::json demo_truth_checks(synthetic::Dataset const& ds, MaskedImageView<float const> coadd) {
    auto const& tr = ds.truth;
    int const show = demo_showcase(ds);
    auto const& in = ds.exposures[std::size_t(show)];
    MaskPixel const nodata = coadd.mask().bit_mask("NO_DATA");
    struct Acc {
        double max_coadd = -1e300, max_input = -1e300;
        long n = 0, over5 = 0;
    };
    // Only where one outlier meets at least 4 good samples: with fewer samples, or several outliers in one pixel
    // (a cosmic ray on the trail), no clipping can tell them from the rest.
    auto const outliers = synthetic::outlier_count(ds);
    auto covered = [&](Point2I p) {
        int n = 0;
        for (auto const& e : ds.exposures) n += e.image.bbox().contains(p) ? 1 : 0;
        return n >= 5 && outliers(p) == 1;
    };
    auto visit = [&](Acc& a, Point2I p, synthetic::Exposure const& e) {
        if (!coadd.bbox().contains(p) || !covered(p)) return;
        double const sig = std::sqrt(double(coadd.variance()(p)));
        if (!(sig > 0) || (coadd.mask()(p) & nodata) || tr.sources(p) > 0.5 * sig) return;
        double const z = (coadd.image()(p) - tr.background(p)) / sig;
        a.max_coadd = std::max(a.max_coadd, z);
        a.over5 += z > 5 ? 1 : 0;
        ++a.n;
        if (e.image.bbox().contains(p)) {
            double const zi =
                (e.image.image()(p) - tr.background(p) / e.scale) / std::sqrt(double(e.image.variance()(p)));
            a.max_input = std::max(a.max_input, zi);
        }
    };
    nlohmann::json j;
    if (tr.trail) {
        Acc a;
        auto const& t = *tr.trail;
        Box2I const bb = ds.exposures[std::size_t(t.exposure)].image.bbox();
        for (int y = bb.min_y(); y <= bb.max_y(); ++y)
            for (int x = bb.min_x(); x <= bb.max_x(); ++x)
                if (t.distance(x, y) < 1.0) visit(a, {x, y}, ds.exposures[std::size_t(t.exposure)]);
        j["satellite_trail"] = {{"exposure", t.exposure},
                                {"pixels_checked", a.n},
                                {"max_sigma_in_input", a.max_input},
                                {"max_sigma_in_coadd", a.max_coadd},
                                {"coadd_pixels_above_5_sigma", a.over5}};
    }
    Acc c;
    for (auto const& e : ds.exposures)
        if (!e.cr_flagged)
            for (auto p : e.cosmic_rays) visit(c, p, e);
    j["unflagged_cosmic_rays"] = {{"pixels_checked", c.n},
                                  {"max_sigma_in_input", c.max_input},
                                  {"max_sigma_in_coadd", c.max_coadd},
                                  {"coadd_pixels_above_5_sigma", c.over5}};
    j["showcase_input"] = show;
    (void)in;
    return j;
}

} // namespace skystack::tool
