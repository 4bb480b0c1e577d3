// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/masked_image.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <thread>
#include <vector>

/// @file
/// A realistic synthetic stack of warped exposures for demos, tests and benchmarks: sky with a gradient,
/// stars and galaxies seen through a per-exposure Gaussian PSF, Poisson-like noise with a matching variance
/// plane, per-exposure photometric zero points, cosmic rays (flagged CR in some exposures, unflagged in others),
/// a satellite trail (unflagged), bad columns (BAD), saturated stars with bleed trails (SAT) and small offsets
/// between exposures carried by xy0. Deterministic: the same Config gives the same pixels on every platform
/// (own random generator, no std distributions).

namespace skystack::synthetic {

/// A small deterministic random generator (xoshiro256** seeded by SplitMix64) with its own uniform and normal
/// deviates, so that results do not depend on the standard library's distributions.
class Random {
    std::uint64_t m_s[4]{};
    double m_spare = 0.0;
    bool m_has_spare = false;

    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

public:
    /// @param seed the user seed; @param stream an independent sub-sequence (e.g. an exposure index).
    explicit Random(std::uint64_t seed, std::uint64_t stream = 0) noexcept {
        std::uint64_t z = seed ^ (0x9E3779B97F4A7C15ull * (stream + 1));
        for (auto& s : m_s) {
            z += 0x9E3779B97F4A7C15ull;
            std::uint64_t t = z;
            t = (t ^ (t >> 30)) * 0xBF58476D1CE4E5B9ull;
            t = (t ^ (t >> 27)) * 0x94D049BB133111EBull;
            s = t ^ (t >> 31);
        }
    }
    /// The next 64 random bits.
    std::uint64_t next() noexcept {
        std::uint64_t const result = rotl(m_s[1] * 5, 7) * 9;
        std::uint64_t const t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    /// Uniform in [0, 1).
    double uniform() noexcept { return double(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [a, b).
    double uniform(double a, double b) noexcept { return a + (b - a) * uniform(); }
    /// Uniform integer in [lo, hi] (inclusive; hi >= lo).
    int integer(int lo, int hi) noexcept { return lo + int(next() % std::uint64_t(std::int64_t(hi) - lo + 1)); }
    /// Standard normal deviate (Marsaglia's polar method).
    double normal() noexcept {
        if (m_has_spare) {
            m_has_spare = false;
            return m_spare;
        }
        double u, v, s;
        do {
            u = uniform(-1.0, 1.0);
            v = uniform(-1.0, 1.0);
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double const f = std::sqrt(-2.0 * std::log(s) / s);
        m_spare = v * f;
        m_has_spare = true;
        return u * f;
    }
};

/// What to generate. The defaults give the demo stack: 12 exposures of 1024 x 1024 float pixels.
/// Fluxes are in the reference photometric system (zero point `zp_ref`); exposure k records them in ADU,
/// multiplied by 10^(0.4 (zp_k - zp_ref)).
struct Config {
    int n_exposures = 12;               ///< number of exposures (>= 1)
    Extent2I size{1024, 1024};          ///< dimensions of every exposure
    Point2I origin{0, 0};               ///< nominal xy0; exposure k sits at origin + offset_k
    int max_offset = 8;                 ///< offsets are uniform in [-max_offset, max_offset] on each axis
    std::uint64_t seed = 20260601;      ///< everything follows from this
    double sky = 1000.0;                ///< mean sky level per pixel (reference units)
    double gradient = 0.12;             ///< fractional sky change across the patch
    double read_noise = 6.0;            ///< ADU, added in quadrature
    double gain = 1.0;                  ///< electrons per ADU (Poisson variance = signal / gain)
    double zp_ref = 27.0;               ///< zero point of the reference (coadd) system
    double zp_scatter = 0.12;           ///< exposure zero points are zp_ref + uniform(-1, 1) * zp_scatter
    double seeing_min = 1.3;            ///< smallest PSF core sigma (pixels)
    double seeing_max = 2.3;            ///< largest PSF core sigma (pixels)
    int n_stars = 400;                  ///< stars in the patch (scaled by its area / 1024^2 is up to the caller)
    int n_galaxies = 80;                ///< galaxies in the patch
    int n_saturated = 3;                ///< very bright stars that saturate in the better-seeing exposures
    double saturation = 45000.0;        ///< ADU; pixels above are clamped, flagged SAT and bleed along columns
    int n_cosmic_rays = 150;            ///< cosmic-ray tracks per exposure
    int cr_flag_period = 2;             ///< CR hits are flagged in exposures k with k % period == 0 (0: never)
    int satellite_exposure = 1;         ///< the exposure crossed by an unflagged satellite trail (-1: none)
    double satellite_amplitude = 900.0; ///< trail peak above sky, ADU
    double satellite_width = 1.3;       ///< trail Gaussian sigma, pixels
    int n_bad_columns = 2;              ///< BAD columns per exposure (fixed detector columns, value 0)
    double detection_sigma = 3.0;       ///< DETECTED where the noiseless sources exceed this many sky sigmas (0: off)
    int threads = 0;                    ///< exposures generated in parallel (0: hardware concurrency)

    /// @throws InvalidParameterError naming the first value out of its domain.
    void validate() const {
        auto fail = [](char const* what, auto v) {
            throw InvalidParameterError(detail::msg("synthetic::Config: ", what, " = ", v, " is out of range"));
        };
        if (n_exposures < 1) fail("n_exposures", n_exposures);
        if (size.x < 16 || size.y < 16) fail("size", size.x);
        if (max_offset < 0) fail("max_offset", max_offset);
        if (!(sky > 0)) fail("sky", sky);
        if (!(gain > 0)) fail("gain", gain);
        if (!(read_noise >= 0)) fail("read_noise", read_noise);
        if (!(seeing_min > 0) || !(seeing_max >= seeing_min)) fail("seeing_min", seeing_min);
        if (n_stars < 0 || n_galaxies < 0 || n_saturated < 0 || n_cosmic_rays < 0 || n_bad_columns < 0)
            fail("source/artifact count", -1);
        if (!(saturation > sky)) fail("saturation", saturation);
        if (satellite_exposure >= n_exposures) fail("satellite_exposure", satellite_exposure);
        if (cr_flag_period < 0) fail("cr_flag_period", cr_flag_period);
    }
};

/// One generated exposure, in ADU, with everything needed to calibrate it and to check what a coadd did.
struct Exposure {
    MaskedImage<float> image;          ///< image, mask (BAD, SAT, CR planes of the shared registry), variance
    double zero_point = 0;             ///< magnitude zero point (what a MAGZERO header keyword would hold)
    double scale = 1;                  ///< factor to the reference system: 10^(-0.4 (zero_point - zp_ref))
    double seeing = 0;                 ///< PSF core sigma, pixels
    Extent2I offset{};                 ///< xy0 - Config::origin
    bool cr_flagged = false;           ///< whether this exposure's cosmic rays carry the CR plane
    std::vector<Point2I> cosmic_rays;  ///< every pixel hit by a cosmic ray (parent coordinates)
    std::vector<int> bad_columns;      ///< parent x of the BAD columns
    std::int64_t saturated_pixels = 0; ///< pixels flagged SAT
};

/// The satellite trail: a line through p0 and p1 (parent coordinates) in one exposure.
struct Trail {
    int exposure = -1;
    Point2D p0{}, p1{};
    double width = 0;     ///< Gaussian sigma, pixels
    double amplitude = 0; ///< peak above the sky, ADU
    /// Perpendicular distance of parent point (x, y) from the trail's line.
    [[nodiscard]] double distance(double x, double y) const noexcept {
        double const dx = p1.x - p0.x, dy = p1.y - p0.y;
        return std::abs((x - p0.x) * dy - (y - p0.y) * dx) / std::hypot(dx, dy);
    }
};

/// Noiseless truth over the union of the exposures' bboxes, in reference units.
struct Truth {
    Box2I bbox{};                         ///< union of all exposure bboxes
    Image<float> background;              ///< sky + gradient
    Image<float> sources;                 ///< stars and galaxies through the median-seeing PSF (no sky)
    std::vector<Point2D> saturated_stars; ///< centres of the stars bright enough to saturate
    std::optional<Trail> trail;
    double zp_ref = 0;
};

/// A generated stack: the exposures and the truth they were made from.
struct Dataset {
    std::vector<Exposure> exposures;
    Truth truth;
    /// Read-only views of the exposures' masked images, in order.
    [[nodiscard]] std::vector<MaskedImageView<float const>> views() const {
        std::vector<MaskedImageView<float const>> v;
        v.reserve(exposures.size());
        for (auto const& e : exposures) v.push_back(e.image.cview());
        return v;
    }
};

namespace detail {

struct Source {
    double x, y;          // parent position
    double flux;          // total flux, reference units
    double sxx, syy, sxy; // intrinsic covariance (0 for stars), pixels^2
};
/// Mixture-of-Gaussians approximation of an exponential disk: weights and variances in units of r_e^2.
inline constexpr double disk_w[3] = {0.30, 0.50, 0.20};
inline constexpr double disk_v[3] = {0.08, 0.45, 1.90};
/// PSF: a core Gaussian of sigma s plus a 10% wing of sigma 2.5 s.
inline constexpr double psf_w[2] = {0.9, 0.1};
inline constexpr double psf_s[2] = {1.0, 2.5};

/// Add `flux * G(Σ)` to img (an image in parent coordinates), with Σ = intrinsic + psf^2, stopping at `floor`.
inline void render(ImageView<float> img, Source const& s, double seeing, double flux_scale, double floor) {
    Box2I const bb = img.bbox();
    for (int p = 0; p < 2; ++p)
        for (int c = 0; c < (s.sxx > 0 ? 3 : 1); ++c) {
            double const psf2 = (psf_s[p] * seeing) * (psf_s[p] * seeing);
            double const w = psf_w[p] * (s.sxx > 0 ? disk_w[c] : 1.0);
            double const cxx = (s.sxx > 0 ? s.sxx * disk_v[c] : 0.0) + psf2;
            double const cyy = (s.sxx > 0 ? s.syy * disk_v[c] : 0.0) + psf2;
            double const cxy = s.sxx > 0 ? s.sxy * disk_v[c] : 0.0;
            double const det = cxx * cyy - cxy * cxy;
            double const amp = w * s.flux * flux_scale / (2 * std::numbers::pi * std::sqrt(det));
            if (amp <= floor * 0.05) continue;
            double const r = std::sqrt(2.0 * std::log(amp / (floor * 0.05)) * std::max(cxx, cyy));
            int const x0 = std::max(bb.min_x(), int(std::floor(s.x - r)));
            int const x1 = std::min(bb.max_x(), int(std::ceil(s.x + r)));
            int const y0 = std::max(bb.min_y(), int(std::floor(s.y - r)));
            int const y1 = std::min(bb.max_y(), int(std::ceil(s.y + r)));
            double const ixx = cyy / det, iyy = cxx / det, ixy = -cxy / det;
            for (int y = y0; y <= y1; ++y) {
                double const dy = y - s.y;
                float* row = img.row(y - bb.min_y()).data() - bb.min_x();
                for (int x = x0; x <= x1; ++x) {
                    double const dx = x - s.x;
                    row[x] += float(amp * std::exp(-0.5 * (ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy)));
                }
            }
        }
}

struct Scene {
    std::vector<Source> sources;
    std::vector<Point2D> saturated;
    double grad_cos = 1, grad_sin = 0;
    Point2D centre{};
    double extent = 1;
    [[nodiscard]] double background(Config const& c, double x, double y) const noexcept {
        double const t = ((x - centre.x) * grad_cos + (y - centre.y) * grad_sin) / extent;
        return c.sky * (1.0 + c.gradient * t);
    }
};

inline Scene make_scene(Config const& c, Box2I patch) {
    Random rng(c.seed, 0);
    Scene sc;
    double const ang = rng.uniform(0, 2 * std::numbers::pi);
    sc.grad_cos = std::cos(ang);
    sc.grad_sin = std::sin(ang);
    sc.centre = patch.center();
    sc.extent = std::max(patch.width(), patch.height());
    auto pos = [&] {
        return Point2D{rng.uniform(patch.min_x(), patch.end_x()), rng.uniform(patch.min_y(), patch.end_y())};
    };
    // Stars: a power law in flux (N(>F) ~ F^-0.8) between 300 and 3e5 reference units.
    for (int i = 0; i < c.n_stars; ++i) {
        auto p = pos();
        double const f = 300.0 * std::pow(1.0 - rng.uniform() * (1.0 - std::pow(1000.0, -0.8)), -1.0 / 0.8);
        sc.sources.push_back({p.x, p.y, f, 0, 0, 0});
    }
    // Saturating stars: peak ~ saturation at the median seeing, so only the sharper exposures saturate.
    double const s_mid = 0.5 * (c.seeing_min + c.seeing_max);
    for (int i = 0; i < c.n_saturated; ++i) {
        Point2D p{rng.uniform(patch.min_x() + 0.15 * patch.width(), patch.min_x() + 0.85 * patch.width()),
                  rng.uniform(patch.min_y() + 0.15 * patch.height(), patch.min_y() + 0.85 * patch.height())};
        double const f = rng.uniform(1.2, 2.5) * c.saturation * 2 * std::numbers::pi * s_mid * s_mid / psf_w[0];
        sc.sources.push_back({p.x, p.y, f, 0, 0, 0});
        sc.saturated.push_back(p);
    }
    // Galaxies: elliptical exponential disks, r_e 1.5-6 px, fluxes 2e3-1e5.
    for (int i = 0; i < c.n_galaxies; ++i) {
        auto p = pos();
        double const re = rng.uniform(1.5, 6.0);
        double const q = rng.uniform(0.3, 1.0);
        double const th = rng.uniform(0, std::numbers::pi);
        double const a2 = re * re, b2 = re * re * q * q;
        double const ct = std::cos(th), st = std::sin(th);
        double const f = 2000.0 * std::pow(50.0, rng.uniform());
        sc.sources.push_back(
            {p.x, p.y, f, a2 * ct * ct + b2 * st * st, a2 * st * st + b2 * ct * ct, (a2 - b2) * ct * st});
    }
    return sc;
}

/// Generate exposure k (independent random stream per exposure, so threads do not change the result).
inline void make_exposure(Config const& c, Scene const& sc, int k, Box2I bbox, Exposure& e,
                          std::optional<Trail>& trail) {
    Random rng(c.seed, 1000 + std::uint64_t(k));
    e.offset = bbox.min() - c.origin;
    e.zero_point = c.zp_ref + rng.uniform(-1.0, 1.0) * c.zp_scatter;
    e.scale = std::pow(10.0, -0.4 * (e.zero_point - c.zp_ref));
    e.seeing = rng.uniform(c.seeing_min, c.seeing_max);
    e.cr_flagged = c.cr_flag_period > 0 && k % c.cr_flag_period == 0;
    double const t = 1.0 / e.scale; // reference units -> ADU
    e.image = MaskedImage<float>(bbox);
    auto img = e.image.image().view();
    auto& mask = e.image.mask();
    auto var = e.image.variance().view();
    MaskPixel const bad = mask.bit_mask("BAD"), sat = mask.bit_mask("SAT"), cr = mask.bit_mask("CR");

    // Noiseless model in ADU: background + sources through this exposure's PSF.
    for (int y = 0; y < bbox.height(); ++y) {
        auto row = img.row(y);
        for (int x = 0; x < bbox.width(); ++x)
            row[std::size_t(x)] = float(t * sc.background(c, bbox.min_x() + x, bbox.min_y() + y));
    }
    double const sigma_sky = std::sqrt(t * c.sky / c.gain + c.read_noise * c.read_noise);
    for (auto const& s : sc.sources) render(img, s, e.seeing, t, 0.02 * sigma_sky);
    // Source footprints, as detection on the exposure would find them (DETECTED, not a bad plane).
    if (c.detection_sigma > 0) {
        MaskPixel const det = mask.bit_mask("DETECTED");
        for (int y = 0; y < bbox.height(); ++y) {
            auto row = img.row(y);
            auto mr = mask.row(y);
            for (int x = 0; x < bbox.width(); ++x)
                if (row[std::size_t(x)] - t * sc.background(c, bbox.min_x() + x, bbox.min_y() + y) >
                    c.detection_sigma * sigma_sky)
                    mr[std::size_t(x)] |= det;
        }
    }
    // Satellite trail (unflagged: only rejection can remove it).
    if (k == c.satellite_exposure) {
        Trail tr;
        tr.exposure = k;
        double const a = rng.uniform(0.15, 0.35) * std::numbers::pi;
        Point2D const mid{bbox.min_x() + bbox.width() * rng.uniform(0.35, 0.65),
                          bbox.min_y() + bbox.height() * rng.uniform(0.35, 0.65)};
        tr.p0 = {mid.x - std::cos(a), mid.y - std::sin(a)};
        tr.p1 = {mid.x + std::cos(a), mid.y + std::sin(a)};
        tr.width = c.satellite_width;
        tr.amplitude = c.satellite_amplitude;
        double const reach = 5.0 * tr.width;
        for (int y = 0; y < bbox.height(); ++y) {
            auto row = img.row(y);
            for (int x = 0; x < bbox.width(); ++x) {
                double const d = tr.distance(bbox.min_x() + x, bbox.min_y() + y);
                if (d < reach)
                    row[std::size_t(x)] += float(tr.amplitude * std::exp(-0.5 * d * d / (tr.width * tr.width)));
            }
        }
        trail = tr;
    }
    // Variance from the model, then Poisson-like noise.
    for (int y = 0; y < bbox.height(); ++y) {
        auto row = img.row(y);
        auto vrow = var.row(y);
        for (std::size_t x = 0; x < row.size(); ++x) {
            double const m = row[x];
            double const v = std::max(m, 0.0) / c.gain + c.read_noise * c.read_noise;
            vrow[x] = float(v);
            row[x] = float(m + std::sqrt(v) * rng.normal());
        }
    }
    // Saturation: clamp, flag SAT, and bleed the excess charge up and down the column.
    auto mrow = [&](int y) { return mask.row(y); };
    for (int x = 0; x < bbox.width(); ++x) {
        double excess = 0;
        int lo = -1, hi = -1;
        for (int y = 0; y < bbox.height(); ++y) {
            float& v = img(x, y);
            if (v >= c.saturation) {
                excess += v - c.saturation;
                v = float(c.saturation);
                mrow(y)[std::size_t(x)] |= sat;
                if (lo < 0) lo = y;
                hi = y;
            }
        }
        if (lo < 0) continue;
        int const bleed = int(excess / c.saturation / 2);
        for (int y = std::max(0, lo - bleed); y <= std::min(bbox.height() - 1, hi + bleed); ++y) {
            img(x, y) = float(c.saturation);
            mrow(y)[std::size_t(x)] |= sat;
        }
    }
    // Cosmic rays: short tracks of 1-6 pixels, 500-8000 ADU; flagged CR only in some exposures.
    for (int i = 0; i < c.n_cosmic_rays; ++i) {
        double x = rng.uniform(0, bbox.width() - 1), y = rng.uniform(0, bbox.height() - 1);
        double const a = rng.uniform(0, 2 * std::numbers::pi);
        int const len = rng.integer(1, 6);
        double const amp = rng.uniform(500.0, 8000.0);
        for (int j = 0; j < len; ++j, x += std::cos(a), y += std::sin(a)) {
            int const ix = int(std::lround(x)), iy = int(std::lround(y));
            if (ix < 0 || iy < 0 || ix >= bbox.width() || iy >= bbox.height()) break;
            img(ix, iy) += float(amp * rng.uniform(0.5, 1.0));
            if (e.cr_flagged) mrow(iy)[std::size_t(ix)] |= cr;
            e.cosmic_rays.push_back({bbox.min_x() + ix, bbox.min_y() + iy});
        }
    }
    // Bad columns: the same detector columns in every exposure (seeded once), dead (0) and flagged BAD.
    Random cols(c.seed, 7);
    for (int i = 0; i < c.n_bad_columns; ++i) {
        int const x = cols.integer(bbox.width() / 8, bbox.width() - 1 - bbox.width() / 8);
        int const y0 = cols.integer(0, bbox.height() / 2);
        for (int y = y0; y < bbox.height(); ++y) {
            img(x, y) = 0.0f;
            mrow(y)[std::size_t(x)] |= bad;
        }
        e.bad_columns.push_back(bbox.min_x() + x);
    }
    for (int y = 0; y < bbox.height(); ++y)
        for (auto m : mask.row(y)) e.saturated_pixels += (m & sat) ? 1 : 0;
}

} // namespace detail

/// Generate the stack described by `cfg`.
/// @throws InvalidParameterError when cfg.validate() fails.
[[nodiscard]] inline Dataset make_dataset(Config const& cfg) {
    cfg.validate();
    Random rng(cfg.seed, 1);
    std::vector<Box2I> boxes;
    Box2I patch = Box2I::from_min_size(cfg.origin, cfg.size);
    Box2I all = patch;
    for (int k = 0; k < cfg.n_exposures; ++k) {
        Extent2I const off{rng.integer(-cfg.max_offset, cfg.max_offset), rng.integer(-cfg.max_offset, cfg.max_offset)};
        boxes.push_back(Box2I::from_min_size(cfg.origin + off, cfg.size));
        all = all.expanded_to(boxes.back());
    }
    auto const scene = detail::make_scene(cfg, all);

    Dataset ds;
    ds.exposures.resize(std::size_t(cfg.n_exposures));
    std::vector<std::optional<Trail>> trails(std::size_t(cfg.n_exposures));
    unsigned nt = cfg.threads > 0 ? unsigned(cfg.threads) : std::max(1u, std::thread::hardware_concurrency());
    nt = std::min<unsigned>(nt, unsigned(cfg.n_exposures));
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 0; t < nt; ++t)
            pool.emplace_back([&, t] {
                for (int k = int(t); k < cfg.n_exposures; k += int(nt))
                    detail::make_exposure(cfg, scene, k, boxes[std::size_t(k)], ds.exposures[std::size_t(k)],
                                          trails[std::size_t(k)]);
            });
    }
    for (auto& t : trails)
        if (t) ds.truth.trail = t;

    // Truth over the union bbox, reference units, at the median seeing.
    auto& tr = ds.truth;
    tr.bbox = all;
    tr.zp_ref = cfg.zp_ref;
    tr.saturated_stars = scene.saturated;
    tr.background = Image<float>(all);
    for (int y = 0; y < all.height(); ++y) {
        auto row = tr.background.row(y);
        for (int x = 0; x < all.width(); ++x)
            row[std::size_t(x)] = float(scene.background(cfg, all.min_x() + x, all.min_y() + y));
    }
    tr.sources = Image<float>(all);
    double const floor = 0.02 * std::sqrt(cfg.sky / cfg.gain + cfg.read_noise * cfg.read_noise);
    for (auto const& s : scene.sources)
        detail::render(tr.sources.view(), s, 0.5 * (cfg.seeing_min + cfg.seeing_max), 1.0, floor);
    return ds;
}

/// Per pixel of the truth bbox, how many exposures carry an unflagged outlier there: a cosmic ray in an exposure
/// that does not flag them, or the satellite trail within `trail_reach` Gaussian sigmas of its centre line.
/// Rejection can be expected to remove an outlier where it is the only one among enough inputs (a pixel with
/// count 1), not where several coincide.
[[nodiscard]] inline Image<std::uint16_t> outlier_count(Dataset const& ds, double trail_reach = 3.0) {
    Image<std::uint16_t> n(ds.truth.bbox);
    for (auto const& e : ds.exposures) {
        if (e.cr_flagged) continue;
        Image<std::uint8_t> hit(e.image.bbox());
        for (auto p : e.cosmic_rays) hit(p) = 1; // a pixel hit twice in one exposure is one outlier
        for (int y = 0; y < hit.height(); ++y)
            for (int x = 0; x < hit.width(); ++x)
                if (hit(x, y)) n(Point2I{hit.xy0().x + x, hit.xy0().y + y}) += 1;
    }
    if (auto const& t = ds.truth.trail) {
        Box2I const bb = ds.exposures[std::size_t(t->exposure)].image.bbox();
        for (int y = bb.min_y(); y <= bb.max_y(); ++y)
            for (int x = bb.min_x(); x <= bb.max_x(); ++x)
                if (t->distance(x, y) < trail_reach * t->width) n(Point2I{x, y}) += 1;
    }
    return n;
}

} // namespace skystack::synthetic
