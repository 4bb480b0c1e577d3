// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <skystack/version.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

namespace skystack::tool {

namespace {

double median_of(std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    double m = *mid;
    if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), mid));
    return m;
}

template <class T>
OutputStats stats_impl(MaskedImageView<T const> c) {
    OutputStats s;
    s.pixels = c.bbox().area();
    auto const& planes = c.mask().planes();
    auto const nodata = planes.find("NO_DATA");
    MaskPixel const nd = nodata ? MaskPixel(1) << *nodata : 0;
    std::vector<double> v, err;
    v.reserve(std::size_t(s.pixels));
    std::array<std::int64_t, MaskPlanes::max_planes> counts{};
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (int y = 0; y < c.height(); ++y) {
        auto im = c.image().row(y);
        auto m = c.mask().row(y);
        auto var = c.variance().row(y);
        for (std::size_t x = 0; x < im.size(); ++x) {
            for (MaskPixel b = m[x]; b; b &= b - 1) ++counts[std::size_t(std::countr_zero(b))];
            if (!std::isfinite(double(im[x])) || (m[x] & nd)) continue;
            v.push_back(double(im[x]));
            mn = std::min(mn, double(im[x]));
            mx = std::max(mx, double(im[x]));
            if (std::isfinite(double(var[x])) && var[x] >= 0 && (x % 7 == 0)) err.push_back(std::sqrt(double(var[x])));
        }
    }
    for (auto const& p : planes.planes()) s.mask_counts[p.name] = counts[std::size_t(p.index)];
    s.valid = std::int64_t(v.size());
    if (v.empty()) return s;
    s.min = mn, s.max = mx;
    double sum = 0, sum2 = 0;
    for (double x : v) sum += x, sum2 += x * x;
    s.mean = sum / double(v.size());
    s.stddev = std::sqrt(std::max(0.0, sum2 / double(v.size()) - s.mean * s.mean));
    // Clipped mean: start from the median and 0.7413 IQR, then three 3-sigma iterations (afw MEANCLIP rules).
    std::vector<double> w = v;
    s.median = median_of(w);
    auto q = [&](double f) {
        auto it = w.begin() + std::ptrdiff_t(f * double(w.size() - 1));
        std::nth_element(w.begin(), it, w.end());
        return *it;
    };
    double centre = s.median, sigma = 0.7413 * (q(0.75) - q(0.25));
    for (int iter = 0; iter < 3 && sigma > 0; ++iter) {
        double cs = 0, cs2 = 0;
        std::int64_t n = 0;
        for (double x : v)
            if (std::abs(x - centre) <= 3 * sigma) cs += x, cs2 += x * x, ++n;
        if (n < 2) break;
        centre = cs / double(n);
        sigma = std::sqrt(std::max(0.0, (cs2 - double(n) * centre * centre) / double(n - 1)));
    }
    s.clipped_mean = centre;
    s.clipped_stddev = sigma;
    s.median_error = median_of(err);
    return s;
}

template <class T>
InputReport rejections_impl(MaskedImageView<T const> in, Box2I bbox, std::vector<std::string> const& bad_planes) {
    InputReport r;
    r.bbox = in.bbox();
    if (!in.bbox().overlaps(bbox)) return r;
    Box2I const box = in.bbox().clipped_to(bbox);
    auto const sub = in.subimage(box);
    auto const& planes = in.mask().planes();
    std::vector<std::pair<std::string, MaskPixel>> bits;
    MaskPixel all = 0;
    for (auto const& name : bad_planes)
        if (auto i = planes.find(name)) {
            bits.emplace_back(name, MaskPixel(1) << *i);
            all |= MaskPixel(1) << *i;
            r.rejected_by_plane[name] = 0;
        }
    r.pixels_in_output = box.area();
    for (int y = 0; y < sub.height(); ++y) {
        auto im = sub.image().row(y);
        auto m = sub.mask().row(y);
        for (std::size_t x = 0; x < im.size(); ++x) {
            bool const finite = std::isfinite(double(im[x]));
            if (!finite) ++r.non_finite;
            if ((m[x] & all) || !finite) ++r.pixels_rejected;
            if (m[x] & all)
                for (auto const& [name, b] : bits)
                    if (m[x] & b) ++r.rejected_by_plane[name];
        }
    }
    return r;
}

nlohmann::json box_json(Box2I b) {
    return {{"min", {b.min_x(), b.min_y()}}, {"max", {b.max_x(), b.max_y()}}, {"size", {b.width(), b.height()}}};
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

} // namespace

OutputStats output_stats(MaskedImageView<float const> c) { return stats_impl(c); }
OutputStats output_stats(MaskedImageView<double const> c) { return stats_impl(c); }
InputReport count_rejections(MaskedImageView<float const> in, Box2I bbox, std::vector<std::string> const& bad) {
    return rejections_impl(in, bbox, bad);
}
InputReport count_rejections(MaskedImageView<double const> in, Box2I bbox, std::vector<std::string> const& bad) {
    return rejections_impl(in, bbox, bad);
}

nlohmann::json to_json(Report const& r) {
    using nlohmann::json;
    auto const& o = *r.options;
    json j;
    j["tool"] = "skystack-coadd";
    j["version"] = skystack::version_string;
    j["command_line"] = r.command_line;
    j["mode"] = r.mode;
    j["config"] = {{"statistic", to_string(o.statistic)},
                   {"nsigma", o.nsigma},
                   {"iterations", o.iterations},
                   {"bad_mask_planes", o.bad_mask_planes},
                   {"weighting", o.weight_table.empty()
                                     ? (o.weighting == Weighting::uniform ? "uniform" : "inverse-variance")
                                     : "table"},
                   {"zp_keyword", o.zp_keyword},
                   {"zp_table", o.zp_table},
                   {"zp_ref", num(r.zp_ref)},
                   {"tile", o.tile},
                   {"threads", o.threads},
                   {"compress", o.compress},
                   {"nimage", o.nimage}};
    j["bbox"] = box_json(r.bbox);
    json ins = json::array();
    std::map<std::string, std::int64_t> total;
    std::int64_t total_rejected = 0;
    for (auto const& in : r.inputs) {
        ins.push_back({{"path", in.path},
                       {"bbox", box_json(in.bbox)},
                       {"pixel_type", in.pixel_type},
                       {"zero_point", num(in.zero_point)},
                       {"scale", in.scale},
                       {"weight", in.weight},
                       {"pixels_in_output", in.pixels_in_output},
                       {"pixels_rejected", in.pixels_rejected},
                       {"non_finite", in.non_finite},
                       {"rejected_by_plane", in.rejected_by_plane}});
        for (auto const& [k, v] : in.rejected_by_plane) total[k] += v;
        total_rejected += in.pixels_rejected;
    }
    j["inputs"] = ins;
    j["n_inputs"] = r.inputs.size();
    j["skipped"] = r.skipped;
    auto const& s = r.output;
    j["rejected"] = {{"by_plane", total},
                     {"total_masked_input_pixels", total_rejected},
                     {"coadd_pixels_clipped", s.mask_counts.contains("CLIPPED") ? s.mask_counts.at("CLIPPED") : 0},
                     {"coadd_pixels_rejected", s.mask_counts.contains("REJECTED") ? s.mask_counts.at("REJECTED") : 0}};
    j["output"] = {{"pixels", s.pixels},
                   {"valid_pixels", s.valid},
                   {"no_data_pixels", s.mask_counts.contains("NO_DATA") ? s.mask_counts.at("NO_DATA") : 0},
                   {"mean", num(s.mean)},
                   {"median", num(s.median)},
                   {"stddev", num(s.stddev)},
                   {"clipped_mean", num(s.clipped_mean)},
                   {"clipped_stddev", num(s.clipped_stddev)},
                   {"min", num(s.min)},
                   {"max", num(s.max)},
                   {"median_error", num(s.median_error)},
                   {"mask_counts", s.mask_counts}};
    auto const& t = r.timing;
    double const mb = double(t.bytes_stacked) / 1e6;
    j["timing"] = {{"prepare_s", t.prepare_s},
                   {"stack_s", t.stack_s},
                   {"write_s", t.write_s},
                   {"total_s", t.total_s},
                   {"bytes_stacked", t.bytes_stacked},
                   {"stack_throughput_MBps", t.stack_s > 0 ? mb / t.stack_s : 0.0},
                   {"stack_Mpix_per_s", t.stack_s > 0 ? double(t.output_pixels) / 1e6 / t.stack_s : 0.0}};
    j["files"] = r.files;
    for (auto const& [k, v] : r.extra.items()) j[k] = v; // "demo" truth checks, "dcr" fit summary
    return j;
}

std::string to_text(Report const& r) {
    std::ostringstream os;
    auto const& o = *r.options;
    auto const& s = r.output;
    auto const& t = r.timing;
    os << std::fixed;
    os << "skystack-coadd " << skystack::version_string << " (" << r.mode << ")\n";
    os << "statistic " << to_string(o.statistic);
    if (o.statistic == Statistic::meanclip)
        os << " (" << std::defaultfloat << o.nsigma << " sigma, " << o.iterations << " iterations)" << std::fixed;
    os << ", bad mask planes ";
    for (std::size_t i = 0; i < o.bad_mask_planes.size(); ++i) os << (i ? "," : "") << o.bad_mask_planes[i];
    if (o.bad_mask_planes.empty()) os << "none";
    os << "\noutput bbox [" << r.bbox.min_x() << ", " << r.bbox.min_y() << "] - [" << r.bbox.max_x() << ", "
       << r.bbox.max_y() << "] (" << r.bbox.width() << " x " << r.bbox.height() << ")\n";
    os << r.inputs.size() << " inputs:\n";
    std::size_t w = 4;
    for (auto const& in : r.inputs) w = std::max(w, in.path.size());
    w = std::min<std::size_t>(w, 48);
    os << "  " << std::left << std::setw(int(w)) << "file" << std::right << std::setw(9) << "zp" << std::setw(9)
       << "scale" << std::setw(12) << "weight" << std::setw(11) << "rejected"
       << "\n";
    for (auto const& in : r.inputs) {
        std::string p = in.path.size() > w ? "..." + in.path.substr(in.path.size() - w + 3) : in.path;
        os << "  " << std::left << std::setw(int(w)) << p << std::right << std::setprecision(3) << std::setw(9)
           << in.zero_point << std::setprecision(4) << std::setw(9) << in.scale << std::setprecision(6) << std::setw(12)
           << std::defaultfloat << in.weight << std::fixed << std::setprecision(2) << std::setw(10)
           << (in.pixels_in_output ? 100.0 * double(in.pixels_rejected) / double(in.pixels_in_output) : 0.0) << "%\n";
    }
    std::map<std::string, std::int64_t> total;
    for (auto const& in : r.inputs)
        for (auto const& [k, v] : in.rejected_by_plane) total[k] += v;
    os << "input pixels masked:";
    for (auto const& [k, v] : total) os << " " << k << " " << v;
    auto count = [&](char const* p) { return s.mask_counts.contains(p) ? s.mask_counts.at(p) : 0; };
    os << "\ncoadd pixels: CLIPPED " << count("CLIPPED") << ", REJECTED " << count("REJECTED") << ", NO_DATA "
       << count("NO_DATA") << " of " << s.pixels << "\n";
    os << std::setprecision(3) << "coadd: median " << s.median << ", clipped mean " << s.clipped_mean
       << ", clipped stddev " << s.clipped_stddev << ", typical error " << s.median_error << "\n";
    os << std::setprecision(3) << "time: prepare " << t.prepare_s << " s, stack " << t.stack_s << " s ("
       << (t.stack_s > 0 ? double(t.bytes_stacked) / 1e6 / t.stack_s : 0.0) << " MB/s, "
       << (t.stack_s > 0 ? double(t.output_pixels) / 1e6 / t.stack_s : 0.0) << " Mpix/s), write " << t.write_s
       << " s, total " << t.total_s << " s\n";
    return os.str();
}

} // namespace skystack::tool
