// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <skystack/version.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

namespace skystack::tool {

std::string to_string(Statistic s) {
    switch (s) {
    case Statistic::mean:
        return "mean";
    case Statistic::weighted_mean:
        return "weighted-mean";
    case Statistic::median:
        return "median";
    case Statistic::meanclip:
        return "meanclip";
    case Statistic::varclip:
        return "varclip";
    case Statistic::sum:
        return "sum";
    case Statistic::min:
        return "min";
    case Statistic::max:
        return "max";
    case Statistic::dcr:
        return "dcr";
    }
    return "?";
}

std::string to_string(Stretch s) {
    switch (s) {
    case Stretch::asinh:
        return "asinh";
    case Stretch::zscale:
        return "zscale";
    case Stretch::linear:
        return "linear";
    }
    return "?";
}

namespace {

/// A number check whose message names the bound in a few digits (CLI11's own print the type's full range).
CLI::Validator number_at_least(double lo, bool strict) {
    std::string const bound = (strict ? "> " : ">= ") + CLI::detail::to_string(lo);
    return CLI::Validator(
        [lo, strict, bound](std::string& in) -> std::string {
            double v = 0;
            if (!CLI::detail::lexical_cast(in, v) || !std::isfinite(v)) return "'" + in + "' is not a number";
            if (strict ? !(v > lo) : !(v >= lo)) return "must be " + bound + ", got " + in;
            return {};
        },
        "NUMBER " + bound);
}

std::vector<std::string> split_planes(std::string const& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s + ",") {
        if (c == ',') {
            while (!cur.empty() && std::isspace(static_cast<unsigned char>(cur.back()))) cur.pop_back();
            std::size_t b = 0;
            while (b < cur.size() && std::isspace(static_cast<unsigned char>(cur[b]))) ++b;
            if (b < cur.size()) out.push_back(cur.substr(b));
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

constexpr char const* description = R"(skystack-coadd: stack warped exposures into a coadd (afw/LSST semantics).

Inputs are FITS MaskedImages in afw layout (empty primary HDU, then IMAGE, MASK and VARIANCE extensions) or
plain FITS images. A plain image may come with a variance image and/or a weight map (weight = 1/variance):
give them in a list file (`path var=v.fits weight=w.fits mask=m.fits zp=27.1 w=0.8`) or place them beside
the image as <stem>.var.fits / <stem>.weight.fits. All inputs must lie on one pixel grid (warped to the same
patch) and share one pixel type; each one's position on the grid is its xy0 (afw's "A" WCS cards). The
output covers the union of the inputs' bboxes unless --bbox is given.

Run with no argument at all (or with --demo) to generate a realistic synthetic stack in memory (stars, galaxies,
noise, zero points, seeing, cosmic rays, a satellite trail, bad columns, saturated stars, dithers), coadd it
with a clipped mean, and write the coadd, a PNG preview comparing one input with the coadd, and a report.
)";

constexpr char const* footer =
    R"(Outputs (in --output DIR): coadd.fits (afw MaskedImage), coadd_nimage.fits (with --nimage),
coadd.png (preview; mask planes drawn as ds9-style overlays), report.json and report.txt. Files are written
to a staging directory and moved into place only when all succeeded: a failed run leaves no partial output.

Exit codes:
  0  success
  1  internal error (a bug; please report it)
  2  bad command line (unknown option, bad value, unknown statistic or mask plane)
  3  unusable input (missing, unreadable, not FITS, mismatched pixel types or sizes, bad list/table file)
  4  output cannot be written (directory not writable, disk full)
  5  nothing to stack (no input overlaps the output bbox, or every output pixel is NO_DATA)
  130  interrupted (Ctrl-C or SIGTERM): stopped after the current tile, nothing written

Examples:
  skystack-coadd --demo --output out/demo
  skystack-coadd 'warps/*.fits' -o out/patch --statistic meanclip --nsigma 3 --iterations 2 --nimage
  skystack-coadd -l inputs.txt -o out/patch --zp-keyword MAGZERO --zp-ref 27 --statistic weighted-mean)";

} // namespace

std::optional<Options> parse_options(int argc, char** argv) {
    Options o;
    for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);

    CLI::App app(description, "skystack-coadd");
    app.footer(footer);
    app.get_formatter()->column_width(34);
    app.option_defaults()->always_capture_default();
    app.set_version_flag("--version", std::string("skystack-coadd ") + skystack::version_string);

    app.add_option("inputs", o.inputs, "Input FITS files or glob patterns (quote globs to let the tool expand them)");
    app.add_option("-l,--list", o.list_file,
                   "File listing inputs, one per line: path [var=FILE] [weight=FILE] [mask=FILE] [zp=MAG] [w=WEIGHT];"
                   " '#' starts a comment; relative paths are relative to the list file");
    std::vector<int> bbox;
    app.add_option("--bbox", bbox, "Output bbox as MINX MINY MAXX MAXY (inclusive, parent pixels); default: union")
        ->expected(4);

    std::string statistic = "meanclip";
    app.add_option("-s,--statistic", statistic,
                   "mean (unweighted), weighted-mean (per-input weights), median, meanclip (sigma-clipped weighted "
                   "mean, afw MEANCLIP; alias clipped-mean), varclip (weighted mean after variance-aware rejection, "
                   "docs/quality.md), sum, min, max, dcr (DCR sub-filter coadds)")
        ->check(CLI::IsMember({"mean", "weighted-mean", "weighted_mean", "wmean", "median", "meanclip", "clipped-mean",
                               "clipped_mean", "varclip", "sum", "min", "max", "dcr"},
                              CLI::ignore_case));
    app.add_option("--nsigma", o.nsigma, "Clipping threshold in sigma (meanclip)")
        ->default_val(3.0)
        ->check(number_at_least(0, true));
    app.add_option("--iterations", o.iterations, "Clipping iterations (meanclip)")
        ->default_val(2)
        ->check(CLI::Range(1, 100));
    std::string bad_planes;
    app.add_option("--bad-mask-planes", bad_planes,
                   "Comma-separated mask planes whose pixels are excluded (afw badMaskPlanes); 'none' for none. "
                   "One argument: --bad-mask-planes BAD,SAT or --bad-mask-planes=BAD,SAT")
        ->default_str("NO_DATA,BAD,SAT,EDGE");
    app.add_option("--zp-keyword", o.zp_keyword,
                   "Header card with each input's calibration: MAGZERO (or any magnitude card), FLUXMAG0 (flux of "
                   "mag 0), FLXSCALE (a factor applied as is) or none (no scaling); inputs are scaled by "
                   "10^(-0.4 (zp - zp_ref)), variances by its square. Without it, inputs whose MAGZERO/FLUXMAG0/"
                   "BUNIT=nJy zero points differ are refused");
    app.add_option("--zp-table", o.zp_table, "Table of zero points: lines 'name zp' (name = path or file name)");
    app.add_option("--zp-ref", o.zp_ref,
                   "Zero point of the coadd (31.4: nJy); default: COADDZP of the inputs, else their common "
                   "zero point; refused when they differ");
    std::string weighting = "inverse-variance";
    app.add_option("--weighting", weighting,
                   "Per-input weights: inverse-variance (1 / clipped mean of the variance plane, as drp_tasks) or "
                   "uniform")
        ->check(CLI::IsMember({"inverse-variance", "ivar", "uniform", "none"}, CLI::ignore_case));
    app.add_option("--weight-table", o.weight_table, "Table of per-input weights: lines 'name weight'");
    app.add_option("--tile", o.tile, "Square tile size in pixels for stacking (0: the library's 2048 x 4 strips)")
        ->check(number_at_least(0, false));
    app.add_option("-j,--threads", o.threads, "Worker threads (0: all cores)")->check(number_at_least(0, false));
    app.add_option("--dcr-subfilters", o.dcr_subfilters, "DCR: number of sub-filters")->check(CLI::Range(2, 16));
    app.add_option("--dcr-wavelength", o.dcr_wavelength, "DCR: effective wavelength of the band, nm (required)");
    app.add_option("--dcr-bandwidth", o.dcr_bandwidth, "DCR: full width of the band, nm (required)");
    app.add_option("--site-latitude", o.site_latitude, "DCR: observatory latitude, degrees (default: Rubin)");
    app.add_option("--site-height", o.site_height, "DCR: observatory height, m (default: Rubin)");
    app.add_option("--pixel-scale", o.pixel_scale, "DCR: coadd pixel scale, arcsec (grid north up, east left)")
        ->check(number_at_least(0, true));
    app.add_option("--airmass-keyword", o.airmass_keyword, "DCR: header keyword with each input's airmass");
    app.add_option("--parangle-keyword", o.parangle_keyword,
                   "DCR: header keyword with each input's parallactic angle, degrees");

    app.add_option("-o,--output", o.output,
                   "Output directory (created if needed); a name ending in .fits/.fit/.fz is refused: the files "
                   "are always coadd.fits, report.json, ... inside the directory")
        ->default_str("out/coadd");
    app.add_option("--compress", o.compress,
                   "FITS tile compression of the outputs: none, gzip (GZIP_2, lossless), rice (RICE_1 for the mask, "
                   "GZIP_2 for float planes; lossless)")
        ->check(CLI::IsMember({"none", "gzip", "rice"}, CLI::ignore_case))
        ->default_str("none");
    app.add_flag("--nimage", o.nimage, "Also write coadd_nimage.fits: number of inputs used per pixel");
    std::string cells;
    app.add_option("--cells", cells,
                   "Also write coadd_cells.fits, a cell coadd (docs/cells.md): square cells of SIZE pixels with a "
                   "BORDER (default 0) on the output bbox eroded by the border; each cell is stacked from the inputs "
                   "that cover its outer box, with the same statistic and weights");
    std::string preview = "asinh";
    app.add_option("--preview", preview, "PNG stretch: asinh, zscale, linear, or none for no PNG")
        ->check(CLI::IsMember({"asinh", "zscale", "linear", "none"}, CLI::ignore_case))
        ->default_str("asinh");
    app.add_option("--overlay", o.overlay, "Mask planes drawn on the preview (comma-separated), 'default' or 'none'")
        ->default_str("default");
    app.add_option("--compare-input", o.compare_input,
                   "Show input N (0-based) beside the coadd in the preview (demo: the one with the satellite)")
        ->check(number_at_least(0, false));
    app.add_option("--preview-max", o.preview_max, "Largest panel size in the PNG, in pixels")
        ->check(CLI::Range(64, 16384));
    app.add_flag("-q,--quiet", o.quiet, "Print only errors");
    app.add_flag("--progress", o.force_progress, "Show the progress bar even when stderr is not a terminal");

    app.add_flag("--demo", o.demo, "Coadd an embedded synthetic stack (the default when no input is given)");
    app.add_option("--write-demo-inputs", o.write_demo_inputs,
                   "Write the synthetic stack as FITS MaskedImages (MAGZERO in each header) and inputs.txt into "
                   "DIR, then exit");
    app.add_option("--demo-frames", o.demo_frames, "Demo: number of exposures")->check(CLI::Range(3, 256));
    app.add_option("--demo-size", o.demo_size, "Demo: exposure width and height")->check(CLI::Range(64, 8192));
    app.add_option("--demo-seed", o.demo_seed, "Demo: random seed");

    try {
        app.parse(argc, argv);
    } catch (CLI::CallForHelp const& e) {
        app.exit(e);
        return std::nullopt;
    } catch (CLI::CallForAllHelp const& e) {
        app.exit(e);
        return std::nullopt;
    } catch (CLI::CallForVersion const& e) {
        app.exit(e);
        return std::nullopt;
    } catch (CLI::ParseError const& e) {
        throw ToolError(exit_usage, std::string(e.what()) + " (see --help)");
    }

    o.output_given = app.count("--output") > 0;
    if (!bbox.empty()) {
        if (bbox[2] < bbox[0] || bbox[3] < bbox[1])
            throw ToolError(exit_usage, "--bbox: MAXX/MAXY must not be below MINX/MINY");
        o.bbox = Box2I::from_min_max({bbox[0], bbox[1]}, {bbox[2], bbox[3]});
    }
    if (!cells.empty()) {
        auto const colon = cells.find(':');
        auto number = [&](std::string const& t, char const* what) {
            std::size_t used = 0;
            int v = -1;
            try {
                v = std::stoi(t, &used);
            } catch (std::exception const&) {
                used = 0;
            }
            if (used != t.size() || t.empty())
                throw ToolError(exit_usage, "--cells: " + std::string(what) + " '" + t + "' is not an integer");
            return v;
        };
        o.cell_size = number(cells.substr(0, colon), "SIZE");
        o.cell_border = colon == std::string::npos ? 0 : number(cells.substr(colon + 1), "BORDER");
        if (o.cell_size <= 0)
            throw ToolError(exit_usage, "--cells: SIZE must be > 0, got " + std::to_string(o.cell_size));
        if (o.cell_border < 0)
            throw ToolError(exit_usage, "--cells: BORDER must be >= 0, got " + std::to_string(o.cell_border));
    }
    o.bad_planes_given = app.count("--bad-mask-planes") > 0;
    if (o.bad_planes_given) o.bad_mask_planes = split_planes(bad_planes);
    for (auto& ch : statistic) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (statistic == "mean")
        o.statistic = Statistic::mean;
    else if (statistic == "weighted-mean" || statistic == "wmean")
        o.statistic = Statistic::weighted_mean;
    else if (statistic == "median")
        o.statistic = Statistic::median;
    else if (statistic == "dcr")
        o.statistic = Statistic::dcr;
    else if (statistic == "varclip")
        o.statistic = Statistic::varclip;
    else if (statistic == "sum")
        o.statistic = Statistic::sum;
    else if (statistic == "min")
        o.statistic = Statistic::min;
    else if (statistic == "max")
        o.statistic = Statistic::max;
    else // the names CLI11 accepted: meanclip and its aliases
        o.statistic = Statistic::meanclip;
    for (auto& ch : weighting) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    o.weighting = (weighting == "uniform" || weighting == "none") ? Weighting::uniform : Weighting::inverse_variance;
    if (o.bad_mask_planes.size() == 1 && (o.bad_mask_planes[0] == "none" || o.bad_mask_planes[0].empty()))
        o.bad_mask_planes.clear();
    for (auto& p : o.bad_mask_planes)
        for (auto& ch : p) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    for (auto& ch : preview) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    for (auto& ch : o.compress) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (preview == "none")
        o.preview.reset();
    else if (preview == "zscale")
        o.preview = Stretch::zscale;
    else if (preview == "linear")
        o.preview = Stretch::linear;
    else
        o.preview = Stretch::asinh;
    if (argc <= 1) o.demo = true; // the demo runs with no argument at all, or with --demo
    if (!o.demo && o.write_demo_inputs.empty() && o.inputs.empty() && o.list_file.empty())
        throw ToolError(exit_usage, "no inputs given: name input files, a list (-l), or --demo (see --help)");
    for (char const* ext : {".fits", ".fit", ".fz", ".fits.gz"})
        if (o.output_given && o.output.ends_with(ext) && !std::filesystem::is_directory(o.output))
            throw ToolError(exit_usage, "-o/--output names a directory, but '" + o.output +
                                            "' looks like a file name; give a directory (coadd.fits, report.json, "
                                            "... are written inside it)");
    if (o.demo && (!o.inputs.empty() || !o.list_file.empty()))
        throw ToolError(exit_usage, "--demo takes no inputs; give either --demo or input files");
    if (o.demo && !o.output_given) o.output = "out/demo";
    return o;
}

} // namespace skystack::tool
