// SPDX-License-Identifier: MIT
#include "inputs.hpp"

#if SKYSTACK_HAS_CFITSIO
#include <skystack/io/fits.hpp>
#endif

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace skystack::tool {

namespace fs = std::filesystem;

namespace {

bool has_wildcard(std::string const& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> expand(std::string const& pattern) {
    if (!has_wildcard(pattern)) return {pattern};
    glob_t g{};
    int const rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> out;
    if (rc == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (out.empty()) throw ToolError(exit_input, "no input file matches '" + pattern + "'");
    std::sort(out.begin(), out.end());
    return out;
}

std::string sibling(std::string const& path, char const* suffix) {
    fs::path p(path);
    std::string stem = p.filename().string();
    for (char const* ext : {".fits.fz", ".fits.gz", ".fits", ".fit", ".fz"})
        if (stem.size() > std::strlen(ext) && stem.ends_with(ext)) {
            stem.resize(stem.size() - std::strlen(ext));
            break;
        }
    auto const cand = p.parent_path() / (stem + suffix);
    return fs::exists(cand) ? cand.string() : std::string();
}

double parse_number(std::string const& s, std::string const& where) {
    try {
        std::size_t used = 0;
        double const v = std::stod(s, &used);
        if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
        return v;
    } catch (std::exception const&) {
        throw ToolError(exit_input, where + ": '" + s + "' is not a number");
    }
}

void require_file(std::string const& path, char const* what) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw ToolError(exit_input, std::string(what) + " not found: " + path);
    if (fs::is_directory(path, ec)) throw ToolError(exit_input, std::string(what) + " is a directory: " + path);
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ToolError(exit_input, std::string("cannot open ") + what + " " + path + ": permission denied");
}

} // namespace

std::vector<InputSpec> discover_inputs(Options const& o) {
    std::vector<InputSpec> specs;
    for (auto const& arg : o.inputs)
        for (auto& p : expand(arg)) {
            InputSpec s;
            s.path = p;
            specs.push_back(std::move(s));
        }
    if (!o.list_file.empty()) {
        require_file(o.list_file, "list file");
        std::ifstream f(o.list_file);
        fs::path const base = fs::path(o.list_file).parent_path();
        auto resolve = [&](std::string const& p) { return fs::path(p).is_absolute() ? p : (base / p).string(); };
        std::string line;
        for (int lineno = 1; std::getline(f, line); ++lineno) {
            if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
            std::istringstream is(line);
            std::string tok;
            if (!(is >> tok)) continue;
            std::string const where = o.list_file + ":" + std::to_string(lineno);
            std::vector<std::string> paths;
            if (has_wildcard(tok))
                paths = expand(resolve(tok));
            else
                paths = {resolve(tok)};
            InputSpec proto;
            while (is >> tok) {
                auto const eq = tok.find('=');
                if (eq == std::string::npos)
                    throw ToolError(exit_input, where + ": expected key=value after the path, got '" + tok + "'");
                std::string const key = tok.substr(0, eq), val = tok.substr(eq + 1);
                if (key == "var" || key == "variance")
                    proto.variance = resolve(val);
                else if (key == "weight")
                    proto.weight = resolve(val);
                else if (key == "mask")
                    proto.mask = resolve(val);
                else if (key == "zp")
                    proto.zp = parse_number(val, where);
                else if (key == "w")
                    proto.weight_value = parse_number(val, where);
                else
                    throw ToolError(exit_input,
                                    where + ": unknown key '" + key + "' (known: var, weight, mask, zp, w)");
            }
            for (auto& p : paths) {
                InputSpec s = proto;
                s.path = p;
                specs.push_back(std::move(s));
            }
        }
        if (specs.empty()) throw ToolError(exit_input, "list file " + o.list_file + " names no input");
    }
    for (auto& s : specs) {
        if (s.variance.empty() && s.weight.empty()) {
            s.variance = sibling(s.path, ".var.fits");
            if (s.variance.empty()) s.weight = sibling(s.path, ".weight.fits");
        }
    }
    return specs;
}

std::optional<double> Table::lookup(std::string const& path) const {
    if (auto it = values.find(path); it != values.end()) return it->second;
    if (auto it = values.find(fs::path(path).filename().string()); it != values.end()) return it->second;
    return std::nullopt;
}

Table read_table(std::string const& path, char const* what) {
    require_file(path, what);
    Table t;
    t.file = path;
    std::ifstream f(path);
    std::string line;
    for (int lineno = 1; std::getline(f, line); ++lineno) {
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        std::replace(line.begin(), line.end(), ',', ' ');
        std::istringstream is(line);
        std::string name, value, extra;
        if (!(is >> name)) continue;
        std::string const where = path + ":" + std::to_string(lineno);
        if (!(is >> value) || (is >> extra))
            throw ToolError(exit_input, where + ": expected 'name value', got '" + line + "'");
        t.values[name] = parse_number(value, where);
    }
    return t;
}

std::string bitpix_name(int bitpix) {
    std::string n;
    switch (bitpix) {
    case 8:
        n = "uint8";
        break;
    case 16:
        n = "int16";
        break;
    case 20:
        n = "uint16";
        break;
    case 32:
        n = "int32";
        break;
    case 40:
        n = "uint32";
        break;
    case 64:
        n = "int64";
        break;
    case -32:
        n = "float32";
        break;
    case -64:
        n = "float64";
        break;
    default:
        n = "unknown";
    }
    return n + " (BITPIX " + std::to_string(bitpix == 20 ? 16 : bitpix == 40 ? 32 : bitpix) + ")";
}

#if SKYSTACK_HAS_CFITSIO

bool fits_available() noexcept { return true; }

namespace {
bool looks_like_fits(std::string const& path) {
    std::ifstream f(path, std::ios::binary);
    char buf[9] = {};
    f.read(buf, 9);
    return f.gcount() == 9 && std::string(buf, 9) == "SIMPLE  =";
}
std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}
} // namespace

Probe probe_input(InputSpec const& s) {
    require_file(s.path, "input");
    bool const compressed_container = s.path.ends_with(".gz");
    if (!compressed_container && !looks_like_fits(s.path))
        throw ToolError(exit_input, s.path + ": not a FITS file (it does not start with a SIMPLE card)");
    try {
        Probe p;
        int const n = fits::hdu_count(s.path);
        std::vector<std::string> names;
        for (int i = 1; i < n; ++i)
            names.push_back(upper(fits::read_header(s.path, i).get<std::string>("EXTNAME", "")));
        auto has = [&](char const* x) { return std::find(names.begin(), names.end(), x) != names.end(); };
        p.masked = has("IMAGE") && has("MASK") && has("VARIANCE");
        auto const info = fits::image_info(s.path, -1);
        p.bitpix = info.bitpix;
        p.bbox = info.bbox;
        for (auto const* aux : {&s.variance, &s.weight, &s.mask})
            if (!aux->empty()) {
                require_file(*aux, "companion file");
                auto const ai = fits::image_info(*aux, -1);
                if (ai.bbox.dimensions() != info.bbox.dimensions())
                    throw ToolError(exit_input, *aux + ": size " + std::to_string(ai.bbox.width()) + "x" +
                                                    std::to_string(ai.bbox.height()) + " differs from its image " +
                                                    s.path);
            }
        return p;
    } catch (ToolError const&) {
        throw;
    } catch (std::exception const& e) {
        throw ToolError(exit_input, s.path + ": cannot read as a FITS image: " + e.what());
    }
}

template <class T>
MaskedImage<T> load_input(InputSpec const& s, Probe const& p, std::string const& zp_keyword, std::optional<double>& zp,
                          std::vector<std::string> const& extra_keys, std::vector<std::optional<double>>* extra) {
    try {
        fits::Header hdr;
        MaskedImage<T> mi;
        if (p.masked) {
            mi = fits::read_masked_image<T>(s.path, {.metadata = &hdr});
        } else {
            auto img = fits::read_image<T>(s.path, {.metadata = &hdr});
            Box2I const bb = img.bbox();
            Mask mask(bb);
            Image<VariancePixel> var(bb);
            if (!s.mask.empty()) {
                auto m = fits::read_mask(s.mask);
                m.set_xy0(bb.min());
                mask.assign(m.cview());
            }
            MaskPixel const nodata = mask.bit_mask("NO_DATA");
            if (!s.variance.empty()) {
                auto v = fits::read_image<VariancePixel>(s.variance);
                var.assign(v.cview());
            } else if (!s.weight.empty()) {
                auto w = fits::read_image<VariancePixel>(s.weight);
                for (int y = 0; y < bb.height(); ++y)
                    for (int x = 0; x < bb.width(); ++x) {
                        float const wv = w(x, y);
                        if (wv > 0 && std::isfinite(wv))
                            var(x, y) = 1.0f / wv;
                        else {
                            var(x, y) = std::numeric_limits<float>::infinity();
                            mask(x, y) |= nodata;
                        }
                    }
            } else {
                // No noise model: one variance for the whole image from its robust scatter (0.7413 IQR)^2.
                std::vector<double> v;
                for (int y = 0; y < bb.height(); y += 2)
                    for (auto x : img.row(y))
                        if (std::isfinite(double(x))) v.push_back(double(x));
                double sigma = 1;
                if (v.size() > 8) {
                    auto q = [&](double f) {
                        auto it = v.begin() + std::ptrdiff_t(f * double(v.size() - 1));
                        std::nth_element(v.begin(), it, v.end());
                        return *it;
                    };
                    sigma = std::max(1e-30, 0.7413 * (q(0.75) - q(0.25)));
                }
                var.fill(float(sigma * sigma));
            }
            for (int y = 0; y < bb.height(); ++y)
                for (int x = 0; x < bb.width(); ++x)
                    if (!std::isfinite(double(img(x, y)))) mask(x, y) |= nodata;
            mi = MaskedImage<T>(std::move(img), std::move(mask), std::move(var));
        }
        if (!zp_keyword.empty()) {
            if (!hdr.contains(zp_keyword))
                throw ToolError(exit_input, s.path + ": header keyword " + zp_keyword + " (--zp-keyword) is missing");
            zp = hdr.get<double>(zp_keyword);
        }
        if (extra) {
            extra->clear();
            for (auto const& k : extra_keys)
                extra->push_back(hdr.contains(k) ? std::optional<double>(hdr.get<double>(k)) : std::nullopt);
        }
        return mi;
    } catch (ToolError const&) {
        throw;
    } catch (std::exception const& e) {
        throw ToolError(exit_input, s.path + ": cannot read: " + e.what());
    }
}

#else // no cfitsio

bool fits_available() noexcept { return false; }

Probe probe_input(InputSpec const& s) {
    throw ToolError(exit_usage, s.path + ": this skystack-coadd was built without cfitsio and cannot read FITS; "
                                         "only --demo works (rebuild with libcfitsio-dev installed)");
}
template <class T>
MaskedImage<T> load_input(InputSpec const& s, Probe const&, std::string const&, std::optional<double>&,
                          std::vector<std::string> const&, std::vector<std::optional<double>>*) {
    throw ToolError(exit_usage, s.path + ": built without cfitsio");
}

#endif

template MaskedImage<float> load_input<float>(InputSpec const&, Probe const&, std::string const&,
                                              std::optional<double>&, std::vector<std::string> const&,
                                              std::vector<std::optional<double>>*);
template MaskedImage<double> load_input<double>(InputSpec const&, Probe const&, std::string const&,
                                                std::optional<double>&, std::vector<std::string> const&,
                                                std::vector<std::optional<double>>*);

} // namespace skystack::tool
