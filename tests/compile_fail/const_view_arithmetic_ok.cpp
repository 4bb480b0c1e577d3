// SPDX-License-Identifier: MIT
// Twin of const_view_arithmetic_ko.cpp that must compile: the writable view accepts the operation.
#include <skystack/arithmetic.hpp>

int main() {
    skystack::MaskedImage<float> mi(skystack::Extent2I{2, 2});
    skystack::MaskedImage<float> other(skystack::Extent2I{2, 2});
    mi.view() += other;
    return 0;
}
