// SPDX-License-Identifier: MIT
// Coadd quality benchmark (issue #17): one seeded synthetic stack with a truth image, stacked with several
// statistics, each scored on artefact residuals (cosmic rays, satellite trails) by input coverage, noise
// pixels above threshold, measured / predicted noise on empty sky and bright-star aperture photometry. Prints
// the Markdown table of docs/quality.md. Not a unit test; run it from the release build:
//   build/release/benchmarks/skystack_quality
#include <skystack/stack/stacker.hpp>
#include <skystack/stack/varclip.hpp>
#include <skystack/synthetic.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace skystack;

namespace {

struct Score {
    std::string name;
    long cr_low = 0, cr_high = 0;       // CR pixels left > 5σ above the truth, coverage ≤ 3 / > 3
    long trail_low = 0, trail_high = 0; // the same for pixels on the two trails
    long noise_low = 0, noise_high = 0; // clean empty-sky pixels > 5σ (noise peaks and rejection artefacts)
    double noise_ratio_low = 0, noise_ratio_high = 0;
    double phot_bias = 0, phot_scatter = 0; // bright-star aperture flux vs the unclipped weighted mean
    long phot_n = 0;
};

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    std::size_t const n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace

int main() {
    synthetic::Config cfg;
    cfg.n_exposures = 10;
    cfg.size = {512, 512};
    cfg.max_offset = 200; // corners covered by 1-3 inputs
    cfg.n_stars = 600;
    cfg.n_galaxies = 20;
    cfg.n_saturated = 2;
    cfg.n_cosmic_rays = 120;
    cfg.cr_flag_period = 0; // no CR is flagged: only rejection can remove them
    cfg.satellite_exposure = 1;
    cfg.threads = 2;
    auto ds = synthetic::make_dataset(cfg);

    // A second trail, in exposure 6, at another angle (added noiselessly: it is far above the noise).
    synthetic::Trail t2;
    {
        auto& e = ds.exposures[6];
        Box2I const bb = e.image.bbox();
        t2.exposure = 6;
        Point2D const mid{bb.min_x() + 0.4 * bb.width(), bb.min_y() + 0.6 * bb.height()};
        t2.p0 = {mid.x - 0.8, mid.y + 0.6};
        t2.p1 = {mid.x + 0.8, mid.y - 0.6};
        t2.width = cfg.satellite_width;
        t2.amplitude = cfg.satellite_amplitude;
        for (int y = bb.min_y(); y <= bb.max_y(); ++y)
            for (int x = bb.min_x(); x <= bb.max_x(); ++x) {
                double const d = t2.distance(x, y);
                if (d < 5 * t2.width)
                    e.image.image()(Point2I{x, y}) +=
                        float(t2.amplitude * std::exp(-0.5 * d * d / (t2.width * t2.width)));
            }
    }
    auto const& trail1 = *ds.truth.trail;
    auto on_trail = [&](int x, int y) {
        auto in = [&](synthetic::Trail const& t) {
            return ds.exposures[std::size_t(t.exposure)].image.bbox().contains(Point2I{x, y}) &&
                   t.distance(x, y) < 3 * t.width;
        };
        return in(trail1) || in(t2);
    };
    auto const outliers = synthetic::outlier_count(ds); // CRs (all unflagged) and trail 1

    StackConfig sc;
    sc.nimage = true;
    sc.threads = 2;
    for (auto const& e : ds.exposures) sc.scales.push_back(e.scale);
    auto const in = ds.views();
    Box2I const box = ds.truth.bbox;

    struct Run {
        std::string name;
        StackResult<float> r;
    };
    std::vector<Run> runs;
    runs.push_back({"weighted mean (no rejection)", Stacker<WeightedMean>(sc)(in, box)});
    runs.push_back({"afw MEANCLIP (`clip`)", Stacker<ClippedMean>(sc)(in, box)});
    runs.push_back({"median", Stacker<Median>(sc)(in, box)});
    runs.push_back({"VarClip (`varclip`), k = 3", Stacker<WeightedMean, VarClip>(sc)(in, box)});
    {
        StackConfig s5 = sc;
        s5.clip.nsigma = 5;
        runs.push_back({"VarClip, k = 5", Stacker<WeightedMean, VarClip>(s5)(in, box)});
    }

    auto const& mean_ref = runs[0].r;
    auto const& bg = ds.truth.background;
    auto const& src = ds.truth.sources;
    double const sky_sigma = std::sqrt(cfg.sky / cfg.gain + cfg.read_noise * cfg.read_noise);

    // Bright, unsaturated stars: local maxima of the truth sources, peak in (10, 1000)·σ_sky, away from the
    // saturated stars and the bbox edge.
    std::vector<Point2I> stars;
    int const ap = 7;
    for (int y = ap + 1; y < box.height() - ap - 1; ++y)
        for (int x = ap + 1; x < box.width() - ap - 1; ++x) {
            float const p = src(x, y);
            if (p < 10 * sky_sigma || p > 1000 * sky_sigma) continue;
            bool peak = true;
            for (int dy = -1; dy <= 1 && peak; ++dy)
                for (int dx = -1; dx <= 1; ++dx)
                    if ((dx || dy) && src(x + dx, y + dy) >= p) peak = false;
            Point2I const q{box.min_x() + x, box.min_y() + y};
            for (auto s : ds.truth.saturated_stars)
                if (std::hypot(s.x - q.x, s.y - q.y) < 40) peak = false;
            if (peak) stars.push_back({x, y});
        }
    auto aperture = [&](StackResult<float> const& r, Point2I c, bool& ok) {
        double f = 0;
        ok = true;
        for (int dy = -ap; dy <= ap; ++dy)
            for (int dx = -ap; dx <= ap; ++dx) {
                if (dx * dx + dy * dy > ap * ap) continue;
                float const v = r.coadd.image()(c.x + dx, c.y + dy);
                if (!std::isfinite(v) || outliers(c.x + dx, c.y + dy) > 0 ||
                    on_trail(box.min_x() + c.x + dx, box.min_y() + c.y + dy))
                    ok = false;
                f += v - bg(c.x + dx, c.y + dy);
            }
        return f;
    };

    std::vector<Score> scores;
    for (auto const& run : runs) {
        Score s;
        s.name = run.name;
        auto const& img = run.r.coadd.image();
        auto const& var = run.r.coadd.variance();
        double sum2[2] = {0, 0};
        long cnt[2] = {0, 0};
        for (int y = 0; y < box.height(); ++y)
            for (int x = 0; x < box.width(); ++x) {
                int const n = run.r.nimage(x, y);
                if (n == 0) continue;
                double const v = img(x, y), V = var(x, y);
                if (!std::isfinite(v) || !(V > 0)) continue;
                bool const low = n <= 3;
                double const z = (v - bg(x, y) - src(x, y)) / std::sqrt(V);
                bool const trail = on_trail(box.min_x() + x, box.min_y() + y);
                bool const empty = src(x, y) < 0.05 * sky_sigma;
                if (trail) {
                    if (z > 5) ++(low ? s.trail_low : s.trail_high);
                } else if (outliers(x, y) > 0) {
                    if (z > 5 && empty) ++(low ? s.cr_low : s.cr_high);
                } else if (empty) {
                    if (std::abs(z) > 5) ++(low ? s.noise_low : s.noise_high);
                    if (std::abs(z) < 10) { // empty sky: scatter of z is measured / predicted noise
                        sum2[low ? 0 : 1] += z * z;
                        ++cnt[low ? 0 : 1];
                    }
                }
            }
        s.noise_ratio_low = std::sqrt(sum2[0] / double(cnt[0]));
        s.noise_ratio_high = std::sqrt(sum2[1] / double(cnt[1]));
        std::vector<double> rel;
        for (auto c : stars) {
            if (run.r.nimage(c.x, c.y) < 4) continue;
            bool ok1 = true, ok2 = true;
            double const f = aperture(run.r, c, ok1), f0 = aperture(mean_ref, c, ok2);
            if (ok1 && ok2 && f0 > 0) rel.push_back(f / f0 - 1);
        }
        s.phot_n = long(rel.size());
        s.phot_bias = median(rel);
        std::vector<double> dev;
        for (double r : rel) dev.push_back(std::abs(r - s.phot_bias));
        s.phot_scatter = 1.4826 * median(dev);
        scores.push_back(s);
    }

    std::printf("Stack: %d exposures of %dx%d, offsets up to ±%d px (coverage 1-%d), %d unflagged CRs per "
                "exposure, trails in exposures %d and %d, seed %llu.\n\n",
                cfg.n_exposures, cfg.size.x, cfg.size.y, cfg.max_offset, cfg.n_exposures, cfg.n_cosmic_rays,
                trail1.exposure, t2.exposure, static_cast<unsigned long long>(cfg.seed));
    std::printf("| statistic | CR px > 5σ (n≤3 / n>3) | trail px > 5σ (n≤3 / n>3) | empty-sky px |z|>5 (n≤3 / "
                "n>3) | noise ratio (n≤3 / n>3) | bright-star flux vs mean: bias, scatter (N) |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (auto const& s : scores)
        std::printf("| %s | %ld / %ld | %ld / %ld | %ld / %ld | %.3f / %.3f | %+.3f %%, %.3f %% (%ld) |\n",
                    s.name.c_str(), s.cr_low, s.cr_high, s.trail_low, s.trail_high, s.noise_low, s.noise_high,
                    s.noise_ratio_low, s.noise_ratio_high, 100 * s.phot_bias, 100 * s.phot_scatter, s.phot_n);
    return 0;
}
