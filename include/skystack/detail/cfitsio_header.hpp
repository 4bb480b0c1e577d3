// SPDX-License-Identifier: MIT
// Reading and writing fits::Header cards through cfitsio, and the keywords skystack manages itself.
#pragma once

#include <skystack/detail/cfitsio_handle.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/point.hpp>
#include <skystack/io/fits_header.hpp>

#include <fitsio.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <fcntl.h>
#include <unistd.h>

namespace skystack::detail {

inline bool starts_with_digits_after(std::string_view kw, std::string_view prefix) {
    if (kw.size() <= prefix.size() || kw.substr(0, prefix.size()) != prefix) return false;
    for (char c : kw.substr(prefix.size()))
        if (c < '0' || c > '9') return false;
    return true;
}

/// Structural and tile-compression keywords: owned by cfitsio, never user metadata.
inline bool is_structural_keyword(std::string_view kw) {
    static constexpr std::string_view exact[] = {
        "SIMPLE",   "BITPIX",  "NAXIS",    "EXTEND",   "XTENSION", "PCOUNT",   "GCOUNT",   "BZERO",   "BSCALE",
        "BLANK",    "END",     "CHECKSUM", "DATASUM",  "LONGSTRN", "TFIELDS",  "THEAP",    "ZIMAGE",  "ZSIMPLE",
        "ZTENSION", "ZBITPIX", "ZNAXIS",   "ZCMPTYPE", "ZMASKCMP", "ZQUANTIZ", "ZDITHER0", "ZEXTEND", "ZBLOCKED",
        "ZPCOUNT",  "ZGCOUNT", "ZHECKSUM", "ZDATASUM", "ZSCALE",   "ZZERO",    "ZBLANK"};
    for (auto e : exact)
        if (kw == e) return true;
    static constexpr std::string_view indexed[] = {"NAXIS", "TTYPE", "TFORM", "ZNAXIS", "ZTILE", "ZNAME", "ZVAL"};
    for (auto p : indexed)
        if (starts_with_digits_after(kw, p)) return true;
    return false;
}

/// The xy0 pseudo-WCS "A" cards afw writes.
inline bool is_xy0_keyword(std::string_view kw) {
    return kw == "CRPIX1A" || kw == "CRPIX2A" || kw == "CRVAL1A" || kw == "CRVAL2A" || kw == "CTYPE1A" ||
           kw == "CTYPE2A" || kw == "CUNIT1A" || kw == "CUNIT2A";
}
inline bool is_mask_plane_keyword(std::string_view kw) { return kw.size() > 3 && kw.substr(0, 3) == "MP_"; }

/// Keywords skystack writes itself; taken from a user Header never.
inline bool is_managed_keyword(std::string_view kw) {
    return kw == "EXTNAME" || kw == "EXTTYPE" || kw == "INHERIT" || is_xy0_keyword(kw) || is_mask_plane_keyword(kw);
}

inline std::string rtrim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

/// Parse a quoted FITS string starting at `v` (leading quote included); doubled quotes unescape.
inline std::string parse_fits_string(std::string_view v) {
    std::string s;
    std::size_t i = 1;
    while (i < v.size()) {
        if (v[i] == '\'') {
            if (i + 1 < v.size() && v[i + 1] == '\'') {
                s += '\'';
                i += 2;
                continue;
            }
            break;
        }
        s += v[i++];
    }
    return rtrim(std::move(s));
}

/// Typed value of a FITS value string (as cfitsio returns it).
inline fits::Value parse_fits_value(std::string const& v) {
    if (v.empty()) return std::monostate{};
    if (v[0] == '\'') return parse_fits_string(v);
    char dtype = 0;
    int status = 0;
    if (fits_get_keytype(const_cast<char*>(v.c_str()), &dtype, &status)) {
        fits_clear_errmsg();
        return v; // unparseable: keep the text
    }
    switch (dtype) {
    case 'L':
        return v[0] == 'T';
    case 'I': {
        errno = 0;
        char* end = nullptr;
        long long const i = std::strtoll(v.c_str(), &end, 10);
        if (errno == 0 && end && *end == '\0') return std::int64_t(i);
        return std::strtod(v.c_str(), nullptr); // out of int64 range
    }
    case 'F': {
        std::string s = v;
        for (auto& c : s)
            if (c == 'D' || c == 'd') c = 'E';
        return std::strtod(s.c_str(), nullptr);
    }
    default:
        return v; // complex and anything else: the raw text
    }
}

/// All non-structural cards of the current HDU, in order; long strings (CONTINUE) are joined.
inline fits::Header read_cards(FitsHandle const& h) {
    fitsfile* f = h.get();
    int nkeys = 0, more = 0, status = 0;
    if (fits_get_hdrspace(f, &nkeys, &more, &status)) h.fail("cannot read the header size", status);
    fits::Header out;
    char card[FLEN_CARD] = {};
    for (int n = 1; n <= nkeys; ++n) {
        if (fits_read_record(f, n, card, &status)) h.fail("cannot read header card " + std::to_string(n), status);
        int const cls = fits_get_keyclass(card);
        if (cls == TYP_STRUC_KEY || cls == TYP_CMPRS_KEY || cls == TYP_SCAL_KEY || cls == TYP_NULL_KEY ||
            cls == TYP_CKSUM_KEY || cls == TYP_CONT_KEY)
            continue;
        std::string const raw(card);
        if (cls == TYP_COMM_KEY) {
            std::string kw = rtrim(raw.substr(0, std::min<std::size_t>(8, raw.size())));
            std::string text = raw.size() > 8 ? rtrim(raw.substr(8)) : std::string();
            out.append({std::move(kw), std::monostate{}, std::move(text)});
            continue;
        }
        char name[FLEN_KEYWORD] = {};
        int len = 0;
        if (fits_get_keyname(card, name, &len, &status)) h.fail("malformed header card " + std::to_string(n), status);
        std::string const kw = rtrim(name);
        if (is_structural_keyword(kw)) continue;
        char value[FLEN_VALUE] = {}, comment[FLEN_COMMENT] = {};
        if (fits_parse_value(card, value, comment, &status)) {
            // A card cfitsio cannot parse: keep its text rather than fail the whole read.
            fits_clear_errmsg();
            status = 0;
            out.append({kw, std::monostate{}, rtrim(raw.size() > 8 ? raw.substr(8) : std::string())});
            continue;
        }
        fits::Value val = parse_fits_value(rtrim(value));
        if (auto* s = std::get_if<std::string>(&val); s && value[0] == '\'') {
            // OGIP long-string convention: 'text&' followed by CONTINUE  'more'.
            while (!s->empty() && s->back() == '&' && n < nkeys) {
                char next[FLEN_CARD] = {};
                if (fits_read_record(f, n + 1, next, &status)) h.fail("cannot read header card", status);
                if (std::strncmp(next, "CONTINUE", 8) != 0) break;
                std::string_view rest(next + 8);
                while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
                if (rest.empty() || rest.front() != '\'') break;
                s->pop_back();
                *s += parse_fits_string(rest);
                ++n;
            }
        }
        out.append({kw, std::move(val), rtrim(comment)});
    }
    return out;
}

/// xy0 from the "A" pseudo-WCS, when CRPIX1A = CRPIX2A = 1 (afw's rule); nullopt otherwise.
/// @throws FitsError when CRVAL1A/2A are not finite integers in range.
inline std::optional<Point2I> xy0_of(fits::Header const& cards, FitsHandle const& h) {
    auto num = [&](char const* k) -> std::optional<double> {
        auto const* c = cards.find(k);
        if (!c) return std::nullopt;
        if (auto const* i = std::get_if<std::int64_t>(&c->value)) return double(*i);
        if (auto const* d = std::get_if<double>(&c->value)) return *d;
        return std::nullopt;
    };
    auto const p1 = num("CRPIX1A"), p2 = num("CRPIX2A"), v1 = num("CRVAL1A"), v2 = num("CRVAL2A");
    if (!p1 || !p2 || !v1 || !v2 || *p1 != 1.0 || *p2 != 1.0) return std::nullopt;
    auto to_int = [&](double v, char const* k) {
        double const r = std::round(v);
        if (!std::isfinite(r) || r < double(std::numeric_limits<int>::min()) ||
            r > double(std::numeric_limits<int>::max()))
            h.fail(std::string(k) + " = " + std::to_string(v) + " is not a valid xy0 coordinate", 0);
        return int(r);
    };
    return Point2I{to_int(*v1, "CRVAL1A"), to_int(*v2, "CRVAL2A")};
}

inline Point2I xy0_from_cards(fits::Header const& cards, FitsHandle const& h) {
    return xy0_of(cards, h).value_or(Point2I{0, 0});
}

/// Metadata of HDU `hdu`: its cards without the managed ones (xy0 "A" cards only when they gave xy0), merged
/// with the primary HDU's when INHERIT = T. Leaves the handle on an unspecified HDU.
inline fits::Header metadata_of(FitsHandle& h, int hdu) {
    auto clean = [&](fits::Header hdr) {
        bool const xy0_used = xy0_of(hdr, h).has_value();
        hdr.erase_if([&](fits::Card const& c) {
            return c.keyword == "EXTNAME" || c.keyword == "EXTTYPE" || c.keyword == "INHERIT" ||
                   is_mask_plane_keyword(c.keyword) || (xy0_used && is_xy0_keyword(c.keyword));
        });
        return hdr;
    };
    h.move_to(hdu);
    fits::Header own = read_cards(h);
    bool inherit = false;
    if (auto const* c = own.find("INHERIT"))
        if (auto const* b = std::get_if<bool>(&c->value)) inherit = *b;
    own = clean(std::move(own));
    if (hdu > 0 && inherit) {
        h.move_to(0);
        own.merge(clean(read_cards(h)));
    }
    return own;
}

/// Shortest %G representation of v that reads back exactly (cfitsio's fixed 15 digits would lose bits).
inline int roundtrip_digits(double v) {
    char buf[64];
    for (int d = 15; d < 17; ++d) {
        std::snprintf(buf, sizeof buf, "%.*G", d, v);
        if (std::strtod(buf, nullptr) == v) return d;
    }
    return 17;
}

/// Append one card to the current HDU. @throws FitsError, InvalidParameterError (non-finite reals).
inline void write_card(FitsHandle const& h, fits::Card const& c) {
    fitsfile* f = h.get();
    int status = 0;
    char const* kw = c.keyword.c_str();
    char const* com = c.comment.empty() ? nullptr : c.comment.c_str();
    if (c.is_commentary()) {
        if (c.keyword == "COMMENT")
            fits_write_comment(f, c.comment.c_str(), &status);
        else if (c.keyword == "HISTORY")
            fits_write_history(f, c.comment.c_str(), &status);
        else {
            std::string rec = "        " + c.comment.substr(0, 72);
            fits_write_record(f, rec.c_str(), &status);
        }
    } else {
        std::visit(
            [&](auto const& v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, std::monostate>)
                    fits_write_key_null(f, kw, com, &status);
                else if constexpr (std::is_same_v<V, bool>) {
                    int b = v ? 1 : 0;
                    fits_write_key(f, TLOGICAL, kw, &b, com, &status);
                } else if constexpr (std::is_same_v<V, std::int64_t>) {
                    long long i = v;
                    fits_write_key(f, TLONGLONG, kw, &i, com, &status);
                } else if constexpr (std::is_same_v<V, double>) {
                    if (!std::isfinite(v))
                        throw InvalidParameterError(detail::msg("FITS keyword '", c.keyword, "' = ", v,
                                                                ": FITS cannot store non-finite reals"));
                    fits_write_key_dbl(f, kw, v, -roundtrip_digits(v), com, &status);
                } else {
                    if (v.size() > 68)
                        fits_write_key_longstr(f, kw, v.c_str(), com, &status);
                    else
                        fits_write_key(f, TSTRING, kw, const_cast<char*>(v.c_str()), com, &status);
                }
            },
            c.value);
    }
    if (status != 0) h.fail("cannot write header keyword '" + c.keyword + "'", status);
    // cfitsio leaves warnings on its message stack even when a write succeeds (one per HIERARCH keyword); they
    // would be reported with the next, unrelated failure.
    fits_clear_errmsg();
}

/// Append the user's cards, skipping structural and managed keywords.
inline void write_user_cards(FitsHandle const& h, fits::Header const& hdr) {
    for (auto const& c : hdr)
        if (c.is_commentary() || (!is_structural_keyword(c.keyword) && !is_managed_keyword(c.keyword)))
            write_card(h, c);
}

/// afw's xy0 pseudo-WCS "A".
inline void write_xy0_cards(FitsHandle const& h, Point2I xy0) {
    write_card(h, {"CRPIX1A", std::int64_t(1), "Column Pixel Coordinate of Reference"});
    write_card(h, {"CRPIX2A", std::int64_t(1), "Row Pixel Coordinate of Reference"});
    write_card(h, {"CRVAL1A", std::int64_t(xy0.x), "Column pixel of Reference Pixel"});
    write_card(h, {"CRVAL2A", std::int64_t(xy0.y), "Row pixel of Reference Pixel"});
    write_card(h, {"CTYPE1A", std::string("LINEAR"), "Type of projection"});
    write_card(h, {"CTYPE2A", std::string("LINEAR"), "Type of projection"});
    write_card(h, {"CUNIT1A", std::string("PIXEL"), "Column unit"});
    write_card(h, {"CUNIT2A", std::string("PIXEL"), "Row unit"});
}

/// fsync a written file. @throws IoError
inline void fsync_file(std::filesystem::path const& p) {
    int const fd = ::open(p.c_str(), O_RDONLY);
    if (fd < 0 || ::fsync(fd) != 0) {
        int const e = errno;
        if (fd >= 0) ::close(fd);
        throw IoError(detail::msg("cannot fsync '", p.string(), "': ", std::strerror(e)));
    }
    ::close(fd);
}

} // namespace skystack::detail
