// SPDX-License-Identifier: MIT
// Bounds-checked walk over a RICE_1 tile (the format of cfitsio's ricecomp.c) that says whether cfitsio can decode
// it without reading past the end of the tile: cfitsio 4.2's decoder does not check while it counts leading zero
// bits, so a corrupt tile makes it read (and crash) far beyond its buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skystack::detail {

/// True when `c[0..clen)` is a complete RICE_1 stream of `nx` pixels in blocks of `nblock`, `bytepix` bytes per
/// pixel (1, 2 or 4), consuming no byte past the end. Decodes nothing; only follows the bit stream.
inline bool rice_tile_ok(unsigned char const* c, std::size_t clen, long long nx, int nblock, int bytepix) noexcept {
    int fsbits = 0, fsmax = 0, bbits = 0;
    switch (bytepix) {
    case 1:
        fsbits = 3, fsmax = 6, bbits = 8;
        break;
    case 2:
        fsbits = 4, fsmax = 14, bbits = 16;
        break;
    case 4:
        fsbits = 5, fsmax = 25, bbits = 32;
        break;
    default:
        return false;
    }
    if (nblock <= 0 || nx < 0) return false;
    std::size_t pos = std::size_t(bytepix); // the first pixel, stored raw
    if (clen <= pos) return nx == 0 && clen == pos;
    std::uint64_t b = c[pos++];
    int nbits = 8;
    auto next = [&](std::uint64_t& v) {
        if (pos >= clen) return false;
        v = c[pos++];
        return true;
    };
    for (long long i = 0; i < nx;) {
        nbits -= fsbits;
        while (nbits < 0) {
            std::uint64_t v = 0;
            if (!next(v)) return false;
            b = (b << 8) | v;
            nbits += 8;
        }
        int const fs = int(b >> nbits) - 1;
        b &= (std::uint64_t(1) << nbits) - 1;
        long long const imax = (nx - i > nblock) ? i + nblock : nx;
        if (fs < 0) {
            i = imax; // all differences zero
        } else if (fs == fsmax) {
            for (; i < imax; ++i) { // raw values of bbits bits
                int k = bbits - nbits;
                for (k -= 8; k >= 0; k -= 8)
                    if (!next(b)) return false;
                if (nbits > 0) {
                    if (!next(b)) return false;
                    b &= (std::uint64_t(1) << nbits) - 1;
                } else {
                    b = 0;
                }
            }
        } else if (fs > fsmax) {
            return false;
        } else {
            for (; i < imax; ++i) {
                while (b == 0) { // leading zeros of the unary part
                    if (!next(b)) return false;
                    nbits += 8;
                }
                int len = 0;
                for (std::uint64_t t = b; t != 0; t >>= 1) ++len;
                int const nzero = nbits - len;
                nbits -= nzero + 1;
                if (nbits < 0) return false;
                b ^= std::uint64_t(1) << nbits;
                nbits -= fs;
                while (nbits < 0) {
                    std::uint64_t v = 0;
                    if (!next(v)) return false;
                    b = (b << 8) | v;
                    nbits += 8;
                }
                b &= (std::uint64_t(1) << nbits) - 1;
            }
        }
    }
    return true;
}

} // namespace skystack::detail
