// SPDX-License-Identifier: MIT
// Must NOT compile: in-place arithmetic needs writable pixels (the MutablePixel constraint of arithmetic.hpp).
#include <skystack/arithmetic.hpp>

int main() {
    skystack::MaskedImage<float> mi(skystack::Extent2I{2, 2});
    skystack::MaskedImageView<float const> ro = mi;
    ro += mi;
    return 0;
}
