// SPDX-License-Identifier: MIT
// Must NOT compile: a view of `float const` pixels is read-only (constness lives in the element type).
#include <skystack/image.hpp>

int main() {
    skystack::Image<float> img(skystack::Extent2I{2, 2});
    skystack::ImageView<float const> ro = img;
    ro(0, 0) = 1.0f;
    return 0;
}
