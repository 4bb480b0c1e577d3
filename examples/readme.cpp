// SPDX-License-Identifier: MIT
// The README's example: coadd warped exposures with afw's clipped mean, write the result in afw's FITS layout.
#include <skystack/skystack.hpp>
#include <skystack/stack/stack.hpp>
#include <skystack/synthetic.hpp>
#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#endif
#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    using namespace skystack;
    //! [readme]
    // Eight 256×256 exposures of a synthetic field: stars, galaxies, cosmic rays, a satellite trail, bad columns.
    auto field = synthetic::make_dataset({.n_exposures = 8, .size = {256, 256}, .seed = 42});
    std::vector<MaskedImageView<float const>> inputs = field.views();

    StackConfig cfg;       // AssembleCoadd defaults: bad planes NO_DATA, BAD, SAT, EDGE; weights
    cfg.clip.nsigma = 3.0; // 1/mean variance; SAT propagated above 10 %; clipped mean 3σ, 2 iterations
    cfg.nimage = true;
    cfg.threads = 2; // tiles in parallel; results do not depend on threads or tile size
    for (auto const& e : field.exposures) cfg.scales.push_back(e.scale); // zero points -> common flux unit
    StackResult<float> r = Stacker<ClippedMean>(cfg)(inputs, field.truth.bbox);

    MaskedImage<float>& coadd = r.coadd; // image, mask (CLIPPED, REJECTED, NO_DATA, ...) and variance
    std::printf("coadd %dx%d at xy0 (%d, %d); pixel (128,128) = %.2f ± %.2f, %d inputs\n", coadd.width(),
                coadd.height(), coadd.xy0().x, coadd.xy0().y, coadd.image()(128, 128),
                std::sqrt(coadd.variance()(128, 128)), int(r.nimage(128, 128)));
#if SKYSTACK_HAS_CFITSIO
    fits::write("coadd.fits", coadd, {.overwrite = true}); // afw layout: IMAGE, MASK (MP_*), VARIANCE
#endif
    //! [readme]
    return std::isfinite(coadd.image()(128, 128)) ? 0 : 1;
}
