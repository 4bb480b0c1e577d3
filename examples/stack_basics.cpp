// SPDX-License-Identifier: MIT
// Stacking basics: AssembleCoadd's default (MEANCLIP, 1/variance weights, SAT propagation), the median, a
// statistic chosen by name, a stack fed tile by tile from a reader, progress with cancellation, and the online
// (streaming) mean.
#include <skystack/stack/online.hpp>
#include <skystack/stack/stack.hpp>

#include <cmath>
#include <cstdio>
#include <stop_token>
#include <vector>

using namespace skystack;

int main() {
    //! [make inputs]
    // Five 64×48 frames of a flat sky (100) with different noise levels; frame 3 has a cosmic ray at (10, 10)
    // and frame 4 is shifted, so it covers only part of the output.
    std::vector<MaskedImageF> frames;
    for (int k = 0; k < 5; ++k) {
        Box2I const box = Box2I::from_min_size({k == 4 ? 20 : 0, 0}, {64, 48});
        MaskedImageF f(box);
        f.image().view().fill(100.f + float(k % 2)); // 100 or 101
        f.variance().view().fill(4.f * float(k + 1));
        frames.push_back(std::move(f));
    }
    frames[3].image()(10, 10) = 5000.f;
    frames[1].mask()(5, 5) = frames[1].mask().bit_mask("SAT");
    std::vector<MaskedImageView<float const>> inputs(frames.begin(), frames.end());
    Box2I const patch = Box2I::from_min_size({0, 0}, {64, 48});
    //! [make inputs]

    //! [assemble coadd]
    // AssembleCoadd defaults: bad planes NO_DATA, BAD, SAT, EDGE; weights 1/MEANCLIP(variance); 3σ, 2 iterations;
    // SAT propagates when > 10 % of the weight was rejected for it; CLIPPED/REJECTED/SENSOR_EDGE recorded.
    StackConfig cfg;
    cfg.nimage = true;
    cfg.threads = 2;
    StackResult<float> coadd = Stacker<ClippedMean>(cfg)(inputs, patch);
    auto const& mask = coadd.coadd.mask();
    std::printf("weights: %.4f %.4f %.4f %.4f %.4f\n", coadd.weights[0], coadd.weights[1], coadd.weights[2],
                coadd.weights[3], coadd.weights[4]);
    std::printf("pixel (10,10): %.3f, mask %s (cosmic ray clipped)\n", coadd.coadd.image()(10, 10),
                mask.describe(mask(10, 10)).c_str());
    std::printf("pixel (5,5): mask %s\n", mask.describe(mask(5, 5)).c_str());
    std::printf("nImage at (0,0) = %d, at (30,0) = %d\n", int(coadd.nimage(0, 0)), int(coadd.nimage(30, 0)));
    //! [assemble coadd]
    if (!(mask(10, 10) & mask.bit_mask("CLIPPED")) || std::abs(coadd.coadd.image()(10, 10) - 100.5f) > 0.5f) return 1;
    if (coadd.nimage(0, 0) != 4 || coadd.nimage(30, 0) != 5) return 1;

    //! [by name]
    StackResult<float> med = stack("median", inputs, patch, cfg);
    std::printf("median at (10,10): %.3f\n", med.coadd.image()(10, 10));
    //! [by name]
    if (med.coadd.image()(10, 10) != 100.5f) return 1; // median of {100, 101, 100, 5000}

    //! [reader]
    // A stack larger than memory: the reader returns one input's pixels inside the requested tile.
    cfg.weights = coadd.weights; // a reader cannot give whole-input statistics cheaply: pass the weights
    cfg.tile_size = {32, 16};
    TileReader<float> reader = [&](std::size_t k, Box2I tile) -> MaskedImageF {
        Box2I const b = frames[k].bbox().clipped_to(tile);
        return b.empty() ? MaskedImageF() : frames[k].subimage(b).clone(); // e.g. a FITS sub-box read
    };
    StackResult<float> streamed = Stacker<ClippedMean>(cfg)(reader, frames.size(), patch);
    //! [reader]
    if (streamed.coadd.image()(10, 10) != coadd.coadd.image()(10, 10)) return 1;

    //! [cancel]
    // Progress after every tile, and a way out: here the callback itself asks to stop after two of six tiles
    // (a GUI would request the stop from its own thread). No new tile starts and the call throws CancelledError.
    std::stop_source stop;
    StackConfig cc = cfg;
    cc.threads = 1;
    cc.stop = stop.get_token();
    cc.progress = [&](std::size_t done, std::size_t total) {
        std::printf("  tile %zu / %zu\n", done, total);
        if (done == 2) stop.request_stop();
    };
    bool cancelled = false;
    try {
        (void)Stacker<ClippedMean>(cc)(inputs, patch);
    } catch (CancelledError const& e) {
        cancelled = true;
        std::printf("stopped: %s\n", e.what());
    }
    //! [cancel]
    if (!cancelled) return 1;

    //! [online]
    // Streaming mean: one input at a time, mergeable partial stacks, finish() at the end.
    OnlineMeanStacker<float> night1(patch, cfg), night2(patch, cfg);
    for (std::size_t k = 0; k < 3; ++k) night1.add(inputs[k], coadd.weights[k]);
    for (std::size_t k = 3; k < 5; ++k) night2.add(inputs[k], coadd.weights[k]);
    night1.merge(night2);
    StackResult<float> mean = night1.finish();
    std::printf("online weighted mean at (0,0): %.4f\n", mean.coadd.image()(0, 0));
    //! [online]
    return std::isfinite(mean.coadd.image()(0, 0)) ? 0 : 1;
}
