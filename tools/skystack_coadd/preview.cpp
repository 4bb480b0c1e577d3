// SPDX-License-Identifier: MIT
#include "preview.hpp"

#include <png.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>

namespace skystack::tool {

namespace {

/// Finite pixels of `img` without `ignore` bits, sampled on a regular grid (at most `max_n`).
std::vector<float> sample(MaskedImageView<float const> img, MaskPixel ignore, std::size_t max_n) {
    std::vector<float> out;
    std::int64_t const n = img.bbox().area();
    if (n == 0) return out;
    int const step = std::max(1, int(std::sqrt(double(n) / double(max_n))));
    for (int y = 0; y < img.height(); y += step) {
        auto r = img.image().row(y);
        auto m = img.mask().row(y);
        for (int x = (y / step) % step; x < img.width(); x += step)
            if (std::isfinite(r[std::size_t(x)]) && !(m[std::size_t(x)] & ignore)) out.push_back(r[std::size_t(x)]);
    }
    return out;
}

double quantile_sorted(std::vector<float> const& s, double q) {
    if (s.empty()) return 0.0;
    double const pos = q * double(s.size() - 1);
    auto const i = std::size_t(pos);
    double const f = pos - double(i);
    return i + 1 < s.size() ? s[i] * (1 - f) + s[i + 1] * f : s[i];
}

/// IRAF/astropy zscale on sorted samples (contrast 0.25, krej 2.5, 5 iterations, max_reject 0.5).
std::pair<double, double> zscale(std::vector<float> const& all) {
    std::vector<float> s;
    std::size_t const step = std::max<std::size_t>(1, all.size() / 1000);
    for (std::size_t i = 0; i < all.size(); i += step) s.push_back(all[i]);
    std::sort(s.begin(), s.end());
    auto const npix = s.size();
    double vmin = s.front(), vmax = s.back();
    std::size_t const minpix = std::max<std::size_t>(5, std::size_t(double(npix) * 0.5));
    int const ngrow = std::max(1, int(double(npix) * 0.01));
    std::vector<char> bad(npix, 0);
    std::size_t ngood = npix;
    double slope = 0, icpt = 0;
    for (int iter = 0; iter < 5 && ngood >= minpix; ++iter) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
        for (std::size_t i = 0; i < npix; ++i)
            if (!bad[i]) {
                sx += double(i), sy += s[i], sxx += double(i) * double(i), sxy += double(i) * s[i], n += 1;
            }
        double const d = n * sxx - sx * sx;
        if (d == 0) break;
        slope = (n * sxy - sx * sy) / d;
        icpt = (sy - slope * sx) / n;
        double m = 0, m2 = 0;
        for (std::size_t i = 0; i < npix; ++i)
            if (!bad[i]) {
                double const f = s[i] - (icpt + slope * double(i));
                m += f, m2 += f * f;
            }
        double const sd = std::sqrt(std::max(0.0, m2 / n - (m / n) * (m / n)));
        std::vector<char> nb(npix, 0);
        for (std::size_t i = 0; i < npix; ++i) {
            double const f = s[i] - (icpt + slope * double(i));
            if (std::abs(f) > 2.5 * sd)
                for (int g = -ngrow / 2; g <= ngrow / 2; ++g) {
                    auto const j = std::ptrdiff_t(i) + g;
                    if (j >= 0 && std::size_t(j) < npix) nb[std::size_t(j)] = 1;
                }
        }
        for (std::size_t i = 0; i < npix; ++i) bad[i] = char(bad[i] | nb[i]);
        ngood = std::size_t(std::count(bad.begin(), bad.end(), 0));
    }
    if (ngood >= minpix) {
        slope /= 0.25;
        auto const centre = std::ptrdiff_t((npix - 1) / 2);
        double const median = quantile_sorted(s, 0.5);
        vmin = std::max(vmin, median - double(centre - 1) * slope);
        vmax = std::min(vmax, median + double(std::ptrdiff_t(npix) - centre) * slope);
    }
    return {vmin, vmax};
}

// 5x7 glyphs, one byte per row (bit 4 = leftmost column).
struct Glyph {
    char c;
    std::array<std::uint8_t, 7> rows;
};
constexpr Glyph font[] = {
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}}, {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}}, {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}}, {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}}, {'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
    {'[', {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E}}, {']', {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E}},
};

// Text size follows the panel size (set by render_preview).
int font_scale = 2;
int glyph_advance = 12;
int glyph_height = 14;
void set_font_scale(int s) {
    font_scale = s;
    glyph_advance = 6 * s;
    glyph_height = 7 * s;
}

void draw_text(Rgb& img, int x, int y, std::string const& text, std::array<std::uint8_t, 3> colour) {
    for (char ch : text) {
        char const c = char(std::toupper(static_cast<unsigned char>(ch)));
        for (auto const& g : font)
            if (g.c == c)
                for (int r = 0; r < 7; ++r)
                    for (int b = 0; b < 5; ++b)
                        if (g.rows[std::size_t(r)] & (0x10 >> b))
                            for (int dy = 0; dy < font_scale; ++dy)
                                for (int dx = 0; dx < font_scale; ++dx) {
                                    int const px = x + b * font_scale + dx, py = y + r * font_scale + dy;
                                    if (px >= 0 && py >= 0 && px < img.width && py < img.height)
                                        std::copy(colour.begin(), colour.end(), img.at(px, py));
                                }
        x += glyph_advance;
    }
}

void fill_rect(Rgb& img, int x0, int y0, int w, int h, std::array<std::uint8_t, 3> c) {
    for (int y = std::max(0, y0); y < std::min(img.height, y0 + h); ++y)
        for (int x = std::max(0, x0); x < std::min(img.width, x0 + w); ++x) std::copy(c.begin(), c.end(), img.at(x, y));
}

// Overlay priority: the first plane present in a pixel decides its colour.
constexpr char const* priority[] = {"NO_DATA",  "BAD",     "SAT",         "CR",    "STREAK",  "EDGE",
                                    "REJECTED", "CLIPPED", "SENSOR_EDGE", "INTRP", "SUSPECT", "DETECTED"};

} // namespace

double DisplayScale::operator()(double v) const noexcept {
    double g;
    switch (stretch) {
    case Stretch::asinh:
        g = std::asinh((v - lo) / soft) / std::asinh((hi - lo) / soft);
        break;
    default:
        g = (v - lo) / (hi - lo);
        break;
    }
    return std::isfinite(g) ? std::clamp(g, 0.0, 1.0) : 0.0;
}

DisplayScale make_display_scale(MaskedImageView<float const> ref, Stretch stretch, MaskPixel ignore) {
    DisplayScale d;
    d.stretch = stretch;
    auto s = sample(ref, ignore, 250000);
    if (s.size() < 16) {
        d.lo = 0, d.hi = 1, d.soft = 1;
        return d;
    }
    std::vector<float> sorted = s;
    std::sort(sorted.begin(), sorted.end());
    d.sky = quantile_sorted(sorted, 0.5);
    // Robust sigma from the lower half (sources only add to the upper side).
    d.sigma = std::max(1e-12, (d.sky - quantile_sorted(sorted, 0.15865)));
    switch (stretch) {
    case Stretch::zscale:
        std::tie(d.lo, d.hi) = zscale(s);
        break;
    case Stretch::linear:
        d.lo = quantile_sorted(sorted, 0.005);
        d.hi = quantile_sorted(sorted, 0.995);
        break;
    case Stretch::asinh:
        d.lo = d.sky - 2.0 * d.sigma;
        d.hi = std::max(quantile_sorted(sorted, 0.9995), d.sky + 50 * d.sigma);
        d.soft = 2.5 * d.sigma;
        break;
    }
    if (!(d.hi > d.lo)) d.hi = d.lo + 1;
    return d;
}

std::array<std::uint8_t, 3> plane_colour(std::string const& name) {
    static std::map<std::string, std::array<std::uint8_t, 3>> const colours{
        {"BAD", {255, 40, 40}},      {"SAT", {40, 220, 40}},           {"CR", {255, 40, 255}},
        {"EDGE", {255, 230, 0}},     {"NO_DATA", {255, 150, 0}},       {"INTRP", {0, 160, 80}},
        {"SUSPECT", {200, 200, 0}},  {"DETECTED", {60, 90, 255}},      {"DETECTED_NEGATIVE", {0, 200, 200}},
        {"CLIPPED", {0, 230, 255}},  {"REJECTED", {70, 110, 255}},     {"SENSOR_EDGE", {255, 230, 0}},
        {"STREAK", {255, 120, 200}}, {"INEXACT_PSF", {150, 150, 150}}, {"UNMASKEDNAN", {255, 150, 0}},
    };
    auto it = colours.find(name);
    return it != colours.end() ? it->second : std::array<std::uint8_t, 3>{200, 120, 60};
}

MaskPixel overlay_bits(std::string const& spec, MaskPlanes const& planes) {
    if (spec == "none" || spec.empty()) return 0;
    if (spec == "default") {
        MaskPixel m = 0;
        for (auto const& p : planes.planes())
            if (p.name != "DETECTED" && p.name != "DETECTED_NEGATIVE" && p.name != "INEXACT_PSF" &&
                p.name != "SENSOR_EDGE")
                m |= p.bit();
        return m;
    }
    MaskPixel m = 0;
    std::size_t start = 0;
    while (start <= spec.size()) {
        auto end = spec.find(',', start);
        if (end == std::string::npos) end = spec.size();
        std::string name = spec.substr(start, end - start);
        for (auto& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
        if (!name.empty()) {
            auto idx = planes.find(name);
            if (!idx) throw ToolError(exit_usage, "--overlay: unknown mask plane '" + name + "'");
            m |= MaskPixel(1) << *idx;
        }
        start = end + 1;
    }
    return m;
}

Rgb render_preview(std::vector<Panel> const& panels, Box2I region, DisplayScale const& scale, int max_size) {
    int const f = std::max(1, (std::max(region.width(), region.height()) + max_size - 1) / max_size);
    int const pw = (region.width() + f - 1) / f, ph = (region.height() + f - 1) / f;
    set_font_scale(std::clamp(pw / 320, 1, 4));
    int const margin = 10, title_h = glyph_height + 12;
    // Legend: every overlaid plane that occurs in some panel.
    MaskPlanes const* planes = nullptr;
    MaskPixel present = 0;
    for (auto const& p : panels) {
        if (p.image.empty()) continue;
        planes = &p.image.mask().planes();
        for (int y = 0; y < p.image.height(); ++y)
            for (auto m : p.image.mask().row(y)) present |= m & p.overlay;
    }
    int const legend_h = present ? glyph_height + 16 : 0;
    int const n = int(panels.size());
    Rgb out(n * pw + (n + 1) * margin, ph + title_h + legend_h + margin, 18);

    std::vector<std::pair<MaskPixel, std::array<std::uint8_t, 3>>> order;
    if (planes) {
        MaskPixel seen = 0;
        for (auto const* name : priority)
            if (auto i = planes->find(name)) {
                order.push_back({MaskPixel(1) << *i, plane_colour(name)});
                seen |= MaskPixel(1) << *i;
            }
        for (auto const& p : planes->planes())
            if (!(seen & p.bit())) order.push_back({p.bit(), plane_colour(p.name)});
    }

    MaskPixel clipped_bit = 0;
    if (planes)
        if (auto i = planes->find("CLIPPED")) clipped_bit = MaskPixel(1) << *i;
    for (int k = 0; k < n; ++k) {
        auto const& p = panels[std::size_t(k)];
        int const ox = margin + k * (pw + margin), oy = title_h;
        draw_text(out, ox, 6, p.title.substr(0, std::size_t(std::max(1, pw / glyph_advance))), {235, 235, 235});
        Box2I const pb = p.image.bbox();
        for (int py = 0; py < ph; ++py)
            for (int px = 0; px < pw; ++px) {
                // Block of region pixels under this display pixel; FITS y grows upwards.
                int const x0 = region.min_x() + px * f, y1 = region.max_y() - py * f;
                double sum = 0;
                int cnt = 0, inside = 0;
                MaskPixel m = 0;
                for (int dy = 0; dy < f; ++dy)
                    for (int dx = 0; dx < f; ++dx) {
                        Point2I const q{x0 + dx, y1 - dy};
                        if (!region.contains(q) || !pb.contains(q)) continue;
                        ++inside;
                        float const v = p.image.image()(q);
                        m |= p.image.mask()(q);
                        if (std::isfinite(v)) sum += v, ++cnt;
                    }
                auto* o = out.at(ox + px, oy + py);
                if (inside == 0) {
                    o[0] = o[1] = o[2] = 40;
                    continue;
                }
                double const g = (cnt ? scale(sum / cnt) : 0.0) * (p.mask_only ? 0.3 : 1.0);
                double alpha = p.mask_only ? 1.0 : 0.65;
                double r = 255 * g, gg = 255 * g, b = 255 * g;
                if (!cnt) r = gg = b = 60;
                if (MaskPixel const shown = m & p.overlay)
                    for (auto const& [bit, col] : order)
                        if (shown & bit) {
                            if (p.mask_only && bit == clipped_bit) alpha = 0.55; // noise clipping is common
                            r = (1 - alpha) * r + alpha * col[0];
                            gg = (1 - alpha) * gg + alpha * col[1];
                            b = (1 - alpha) * b + alpha * col[2];
                            break;
                        }
                o[0] = std::uint8_t(std::lround(r));
                o[1] = std::uint8_t(std::lround(gg));
                o[2] = std::uint8_t(std::lround(b));
            }
    }
    if (present && planes) {
        int x = margin, y = title_h + ph + 8;
        for (auto const& [bit, col] : order) {
            if (!(present & bit)) continue;
            fill_rect(out, x, y, glyph_height, glyph_height, col);
            std::string const name = planes->describe(bit);
            draw_text(out, x + glyph_height + 6, y, name, {220, 220, 220});
            x += glyph_height + 6 + int(name.size()) * glyph_advance + 18;
        }
    }
    return out;
}

namespace {
// libpng reports errors by longjmp; keep only trivially destructible objects in the frames it crosses.
bool write_png_c(std::FILE* fp, Rgb const& img, char* err, std::size_t errlen) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        std::snprintf(err, errlen, "libpng failed");
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_init_io(png, fp);
    png_set_compression_level(png, 3);
    png_set_IHDR(png, info, png_uint_32(img.width), png_uint_32(img.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < img.height; ++y)
        png_write_row(png, img.px.data() + std::size_t(y) * std::size_t(img.width) * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}
} // namespace

void write_png(std::string const& path, Rgb const& img) {
    std::FILE* fp = std::fopen(path.c_str(), "wb");
    if (!fp) throw ToolError(exit_output, "cannot write " + path + ": " + std::strerror(errno));
    char err[256] = "";
    bool const ok = write_png_c(fp, img, err, sizeof err);
    bool const closed = std::fclose(fp) == 0;
    if (!ok || !closed) {
        std::remove(path.c_str());
        throw ToolError(exit_output, "cannot write " + path + ": " + (ok ? std::strerror(errno) : err));
    }
}

} // namespace skystack::tool
