// SPDX-License-Identifier: MIT
// A walk over the raw header blocks of a FITS file, before cfitsio sees it, rejecting cards that crash cfitsio 4.2:
// an integer keyword whose value does not convert makes ffc2j format 52 + 30 characters into an 81-byte buffer
// (a fortified build aborts). Found by fuzz/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace skystack::detail {

/// Keywords cfitsio converts to integers (or other numbers) while it opens, moves and reads image HDUs.
inline bool numeric_structural_keyword(std::string_view k) {
    auto indexed = [&](std::string_view p) {
        if (k.size() <= p.size() || k.substr(0, p.size()) != p) return false;
        for (char c : k.substr(p.size()))
            if (c < '0' || c > '9') return false;
        return true;
    };
    return k == "BITPIX" || k == "NAXIS" || k == "PCOUNT" || k == "GCOUNT" || k == "EXTVER" || k == "EXTLEVEL" ||
           k == "TFIELDS" || k == "THEAP" || k == "BLANK" || k == "BZERO" || k == "BSCALE" || indexed("NAXIS") ||
           indexed("TBCOL") || indexed("TNULL") || indexed("TZERO") || indexed("TSCAL") ||
           (!k.empty() && k.front() == 'Z');
}

/// The value token of a card (columns 11-80 up to the comment), quotes included; empty for cards without "= ".
inline std::string_view card_value_token(std::string_view card) {
    if (card.size() < 10 || card.substr(8, 2) != "= ") return {};
    std::string_view v = card.substr(10);
    std::size_t b = v.find_first_not_of(' ');
    if (b == std::string_view::npos) return {};
    v.remove_prefix(b);
    if (v.front() == '\'') {
        std::size_t i = 1;
        while (i < v.size()) {
            if (v[i] == '\'') {
                if (i + 1 < v.size() && v[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                return v.substr(0, i + 1);
            }
            ++i;
        }
        return v;
    }
    // cfitsio reads a complex value '(' up to ')' across any '/', to the end of the card when unclosed
    std::size_t e = v.front() == '(' ? v.find(')') : v.find('/');
    if (v.front() == '(' && e != std::string_view::npos) ++e;
    v = v.substr(0, e);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
}

inline std::optional<long long> parse_card_int(std::string_view t) {
    if (t.empty() || t.size() > 19) return std::nullopt;
    bool neg = false;
    std::size_t i = 0;
    if (t[0] == '+' || t[0] == '-') neg = t[0] == '-', i = 1;
    if (i == t.size()) return std::nullopt;
    long long v = 0;
    for (; i < t.size(); ++i) {
        if (t[i] < '0' || t[i] > '9') return std::nullopt;
        if (v > (9223372036854775807LL - (t[i] - '0')) / 10) return std::nullopt;
        v = v * 10 + (t[i] - '0');
    }
    return neg ? -v : v;
}

/// Walk the headers of every HDU. `read(offset, dst, n)` copies n bytes and returns false past the end.
/// Returns a description of the first dangerous card, or nullopt (also when the structure cannot be followed:
/// cfitsio then reports that itself, safely).
template <class Read>
std::optional<std::string> fits_prescan(Read&& read) {
    constexpr std::uint64_t block = 2880;
    char buf[block];
    std::uint64_t off = 0;
    for (int hdu = 0; hdu < 1000; ++hdu) {
        long long bitpix = 0, naxis = 0, pcount = 0, gcount = 1;
        std::map<int, long long> axes;
        long long tile_pixels = 1;
        bool end = false, sizes_ok = true;
        while (!end) {
            if (!read(off, buf, block)) return std::nullopt;
            off += block;
            for (int i = 0; i < 36 && !end; ++i) {
                std::string_view const card(buf + 80 * i, 80);
                std::string_view key = card.substr(0, 8);
                while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
                if (key == "END") {
                    end = true;
                    break;
                }
                if (!numeric_structural_keyword(key)) continue;
                std::string_view const tok = card_value_token(card);
                if (tok.size() >= 28)
                    return "malformed header card '" + std::string(key) + "' in HDU " + std::to_string(hdu) +
                           ": value of " + std::to_string(tok.size()) + " characters";
                auto const v = parse_card_int(tok);
                // cfitsio divides by tile sizes and multiplies them in int while opening a compressed HDU
                if ((key.size() > 5 && key.substr(0, 5) == "ZTILE") ||
                    (key.size() > 6 && key.substr(0, 6) == "ZNAXIS")) {
                    if (!v || *v <= 0 || *v > 2147483647LL)
                        return "invalid tile-compression card '" + std::string(key) + "' in HDU " + std::to_string(hdu);
                    if (key.substr(0, 5) == "ZTILE") {
                        tile_pixels *= *v;
                        if (tile_pixels > 2147483647LL)
                            return "tiles of more than 2^31 pixels in HDU " + std::to_string(hdu);
                    }
                }
                if (key == "BITPIX")
                    sizes_ok = sizes_ok && v && (bitpix = *v, true);
                else if (key == "NAXIS")
                    sizes_ok = sizes_ok && v && (naxis = *v, true);
                else if (key == "PCOUNT")
                    sizes_ok = sizes_ok && v && (pcount = *v, true);
                else if (key == "GCOUNT")
                    sizes_ok = sizes_ok && v && (gcount = *v, true);
                else if (key.size() > 5 && key.substr(0, 5) == "NAXIS") {
                    auto const n = parse_card_int(key.substr(5));
                    if (n && *n >= 1 && *n <= 999) sizes_ok = sizes_ok && v && (axes[int(*n)] = *v, true);
                }
            }
        }
        if (!sizes_ok || naxis < 0 || naxis > 999 || pcount < 0 || gcount < 0) return std::nullopt;
        if (bitpix != 8 && bitpix != 16 && bitpix != 32 && bitpix != 64 && bitpix != -32 && bitpix != -64)
            return std::nullopt;
        std::uint64_t n = naxis > 0 ? 1 : 0;
        for (int a = 1; a <= naxis; ++a) {
            auto it = axes.find(a);
            if (it == axes.end() || it->second < 0) return std::nullopt;
            if (it->second != 0 && n > (std::uint64_t(1) << 62) / std::uint64_t(it->second)) return std::nullopt;
            n *= std::uint64_t(it->second);
        }
        if (naxis > 0) {
            if (n > (std::uint64_t(1) << 61) || std::uint64_t(pcount) > (std::uint64_t(1) << 61)) return std::nullopt;
            std::uint64_t bytes =
                std::uint64_t(bitpix < 0 ? -bitpix : bitpix) / 8 * std::uint64_t(gcount) * (std::uint64_t(pcount) + n);
            off += (bytes + block - 1) / block * block;
        }
    }
    return std::nullopt;
}

} // namespace skystack::detail
