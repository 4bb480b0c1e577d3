// SPDX-License-Identifier: MIT
// Umbrella header of the skystack core: images, masks, geometry, statistics and stacking (the portable engine).
// SIMD dispatch (simd/dispatch.hpp), Eigen interop (interop/) and FITS I/O (io/) are included separately.
#pragma once

#include <skystack/algorithm.hpp>
#include <skystack/arithmetic.hpp>
#include <skystack/concepts.hpp>
#include <skystack/config.hpp>
#include <skystack/error.hpp>
#include <skystack/fwd.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/geom/point.hpp>
#include <skystack/image.hpp>
#include <skystack/image_view.hpp>
#include <skystack/mask.hpp>
#include <skystack/mask_planes.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/pixel_traits.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/online.hpp>
#include <skystack/stack/policies.hpp>
#include <skystack/stack/stack.hpp>
#include <skystack/stack/stacker.hpp>
#include <skystack/statistics/accumulators.hpp>
#include <skystack/statistics/clip.hpp>
#include <skystack/statistics/config.hpp>
#include <skystack/statistics/quantile.hpp>
#include <skystack/statistics/stat.hpp>
#include <skystack/statistics/statistics.hpp>
#include <skystack/synthetic.hpp>
#include <skystack/version.hpp>
