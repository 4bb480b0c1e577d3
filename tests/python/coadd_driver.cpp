// SPDX-License-Identifier: MIT
// A minimal C++ coadd for tests/python/test_stack.py: reads masked images from FITS, stacks them with
// skystack::stack() and the default StackConfig over the union of their boxes, writes the coadd.
// usage: skystack_coadd_driver STATISTIC OUT.fits IN.fits...
#include <skystack/io/fits.hpp>
#include <skystack/stack/stack.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s STATISTIC OUT.fits IN.fits...\n", argv[0]);
        return 2;
    }
    try {
        std::vector<skystack::MaskedImage<float>> inputs;
        for (int i = 3; i < argc; ++i) inputs.push_back(skystack::fits::read_masked_image<float>(argv[i]));
        std::vector<skystack::MaskedImageView<float const>> views;
        skystack::Box2I box = inputs.front().bbox();
        for (auto const& mi : inputs) {
            views.push_back(mi.cview());
            box = box.expanded_to(mi.bbox());
        }
        auto result = skystack::stack<float>(std::string(argv[1]), views, box, skystack::StackConfig{});
        skystack::fits::write(argv[2], result.coadd.cview(), {.overwrite = true});
    } catch (std::exception const& e) {
        std::fprintf(stderr, "coadd_driver: %s\n", e.what());
        return 1;
    }
    return 0;
}
