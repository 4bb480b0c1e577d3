// SPDX-License-Identifier: MIT
// Umbrella header of the skystack core. SIMD dispatch, Eigen interop and FITS I/O are included separately.
#pragma once

#include <skystack/algorithm.hpp>
#include <skystack/arithmetic.hpp>
#include <skystack/concepts.hpp>
#include <skystack/config.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/geom/point.hpp>
#include <skystack/image.hpp>
#include <skystack/image_view.hpp>
#include <skystack/mask.hpp>
#include <skystack/mask_planes.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/pixel_traits.hpp>
#include <skystack/version.hpp>
