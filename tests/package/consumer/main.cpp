// SPDX-License-Identifier: MIT
// A consumer of the installed (or add_subdirectory'd) package: builds a masked image and checks a few pixels.
#include <skystack/skystack.hpp>

#include <cstdio>

int main() {
    using namespace skystack;
    MaskedImage<float> mi(Box2I::from_min_size({100, 200}, {8, 4}));
    mi.image().fill(2.0f);
    auto sub = mi.subimage(Box2I::from_min_size({102, 201}, {2, 2}));
    sub.image()(0, 0) = 5.0f;
    int const ok = mi.image()(2, 1) == 5.0f && mi.mask().bit_mask("BAD") == 1u && sub.xy0() == Point2I{102, 201};
    std::printf("consumer %s (skystack %s)\n", ok ? "ok" : "FAILED", version_string);
    return ok ? 0 : 1;
}
