// SPDX-License-Identifier: MIT
// Twin of const_view_write_ko.cpp that must compile: the writable view writes, the const view reads.
#include <skystack/image.hpp>

int main() {
    skystack::Image<float> img(skystack::Extent2I{2, 2});
    skystack::ImageView<float> rw = img;
    rw(0, 0) = 1.0f;
    skystack::ImageView<float const> ro = rw;
    return ro(0, 0) == 1.0f ? 0 : 1;
}
