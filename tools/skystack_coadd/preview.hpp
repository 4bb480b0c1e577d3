// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"

#include <skystack/masked_image.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace skystack::tool {

/// An 8-bit RGB raster, rows top to bottom (FITS y grows upwards, so images are flipped when drawn).
struct Rgb {
    int width = 0, height = 0;
    std::vector<std::uint8_t> px; ///< width * height * 3
    Rgb() = default;
    Rgb(int w, int h, std::uint8_t fill = 0) : width(w), height(h), px(std::size_t(w) * std::size_t(h) * 3, fill) {}
    std::uint8_t* at(int x, int y) { return px.data() + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3; }
};

/// Display range and transfer function shared by every panel of a preview.
struct DisplayScale {
    Stretch stretch = Stretch::asinh;
    double lo = 0, hi = 1;     ///< values mapped to black and white
    double soft = 1;           ///< asinh softening (data units)
    double sky = 0, sigma = 1; ///< robust level and scatter of the reference image
    /// Grey level 0..1 of value v.
    [[nodiscard]] double operator()(double v) const noexcept;
};

/// Compute the display scale of `ref` (finite pixels without any bit of `ignore`): zscale (IRAF), asinh
/// (black at sky - 2 sigma, white at the 99.95th percentile) or linear (min-max of the 0.5-99.5 percentiles).
DisplayScale make_display_scale(MaskedImageView<float const> ref, Stretch stretch, MaskPixel ignore);

/// One panel: an image drawn over `region`, with the mask planes in `overlay` drawn on top.
struct Panel {
    std::string title;
    MaskedImageView<float const> image;
    MaskPixel overlay = 0;
    bool mask_only = false; ///< draw the image dimmed and the overlay opaque (a map of the mask planes)
};

/// Colour of mask plane `name` (ds9 / afwDisplay conventions: BAD red, SAT green, CR magenta, EDGE yellow,
/// NO_DATA orange, CLIPPED cyan, REJECTED blue, ...).
std::array<std::uint8_t, 3> plane_colour(std::string const& name);

/// Planes to overlay given the user's --overlay value ("default", "none" or a list) and the mask's registry.
/// @throws ToolError(exit_usage) for an unknown plane.
MaskPixel overlay_bits(std::string const& spec, MaskPlanes const& planes);

/// Draw panels side by side over `region` (a title above each, a legend of the overlaid planes below), each
/// panel block-averaged down to at most `max_size` pixels.
Rgb render_preview(std::vector<Panel> const& panels, Box2I region, DisplayScale const& scale, int max_size);

/// Write an RGB PNG. @throws ToolError(exit_output) naming the file.
void write_png(std::string const& path, Rgb const& img);

} // namespace skystack::tool
