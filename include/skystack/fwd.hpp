// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace skystack {

template <class T>
struct Point;
template <class T>
struct Extent;
using Point2I = Point<int>;
using Point2D = Point<double>;
using Extent2I = Extent<int>;
using Extent2D = Extent<double>;
class Box2I;

using MaskPixel = std::uint32_t;
using VariancePixel = float;

class MaskPlanes;
class Mask;
template <class P>
class BasicMaskView;

} // namespace skystack
