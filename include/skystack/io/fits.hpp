// SPDX-License-Identifier: MIT
// FITS I/O in afw's layout (cfitsio): Image<T>, Mask and MaskedImage<T>, headers, tile compression, atomic writes.
#pragma once

#if !defined(SKYSTACK_HAS_CFITSIO) || !SKYSTACK_HAS_CFITSIO
#error "skystack/io/fits.hpp needs cfitsio: configure with SKYSTACK_WITH_CFITSIO=ON (defines SKYSTACK_HAS_CFITSIO=1)"
#endif

#include <skystack/detail/cfitsio_handle.hpp>
#include <skystack/detail/cfitsio_header.hpp>
#include <skystack/detail/fits_tile_check.hpp>
#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/image.hpp>
#include <skystack/io/fits_header.hpp>
#include <skystack/mask.hpp>
#include <skystack/mask_planes.hpp>
#include <skystack/masked_image.hpp>
#include <skystack/pixel_traits.hpp>

#include <fitsio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

// cfitsio's raw byte I/O at the current position (exported, declared in fitsio2.h): the fast path for plain images.
extern "C" int ffpbyt(fitsfile* fptr, long long nbytes, void* buffer, int* status);
extern "C" int ffgbyt(fitsfile* fptr, long long nbytes, void* buffer, int* status);

namespace skystack::fits {

/// Tile-compression algorithm for written pixel HDUs (cfitsio tile compression; files stay readable by astropy,
/// ds9 and afw).
enum class Compression {
    none, ///< plain FITS images
    gzip, ///< GZIP_2 (byte-shuffled gzip), lossless for every pixel type
    rice, ///< RICE_1 for integer planes (lossless); floating planes use GZIP_2 unless quantized
};

/// How to write. Aggregate: `fits::write(path, mi, {.compression = fits::Compression::gzip, .overwrite = true})`.
struct WriteOptions {
    /// Compression of pixel HDUs (the empty primary HDU is never compressed).
    Compression compression = Compression::none;
    /// > 0: floating-point planes are quantized (lossy) with RICE_1 + SUBTRACTIVE_DITHER_2, `quantize_level` steps
    /// per noise sigma (cfitsio's q; 16 is the lsst.images preset); integer planes stay lossless. 0: lossless.
    /// Requires compression != none.
    float quantize_level = 0.0f;
    /// Dither seed for quantization, 1..10000 (fixed by default so output is reproducible).
    int dither_seed = 1;
    /// Tile shape (columns, rows); {0, 0} = cfitsio's default (one image row per tile).
    std::array<long, 2> tile{0, 0};
    /// User metadata: written to the primary HDU (masked images, compressed images) or the image HDU. Cards that
    /// skystack manages (structural, EXTNAME/EXTTYPE/INHERIT, the xy0 "A" WCS, MP_*) are ignored.
    Header header{};
    /// Replace an existing file (atomically). When false, an existing file is an IoError.
    bool overwrite = false;
    /// fsync the new file before renaming it into place (durable across power loss, slower).
    bool sync = false;
};

/// How to read.
struct ReadOptions {
    /// 0-based HDU index (0 = primary) of the image; -1 picks it: the primary HDU when it has pixels, else the HDU
    /// named IMAGE (MASK for read_mask), else the first extension. For masked images a given hdu is the IMAGE HDU
    /// and the mask and variance are the next two.
    int hdu = -1;
    /// Region to read, in parent coordinates (xy0 included); empty = the whole image. Only this region is read.
    Box2I bbox{};
    /// Registry the mask is conformed to (planes named in the file are added to it, bits permuted);
    /// null = MaskPlanes::shared_default().
    std::shared_ptr<MaskPlanes> planes{};
    /// When not null, receives the metadata: the primary header for masked images and images stored after an empty
    /// primary, the image HDU's header (merged with the primary when INHERIT = T) otherwise; structural cards and
    /// the xy0 / MP_ cards consumed by the reader are removed.
    Header* metadata = nullptr;
    /// Refuse (LengthError) to read a region of more pixels than this per plane; 0 = no limit. The default,
    /// 2^28 pixels (16384 x 16384, 1 GiB as float), bounds what a hostile header can make the reader allocate;
    /// raise it (or set 0) for larger images. Sizes are also checked against the file before anything is allocated.
    std::int64_t max_pixels = std::int64_t(1) << 28;
};

/// What an image HDU holds, without reading its pixels.
struct ImageInfo {
    int hdu = 0;             ///< 0-based HDU index
    Box2I bbox{};            ///< parent bbox (xy0 from the "A" pseudo-WCS)
    int bitpix = 0;          ///< equivalent BITPIX (BZERO folded in: 20 = uint16, 40 = uint32, 80 = uint64)
    bool compressed = false; ///< tile-compressed HDU
    std::string extname{};   ///< EXTNAME, empty when absent
};

/// How a file stores a masked image (see fits::inspect).
enum class Layout {
    plain,          ///< an image only (no HDU named IMAGE, MASK or VARIANCE): read with a zero mask and variance
    afw,            ///< afw's layout: empty primary HDU, then extensions named IMAGE, MASK and VARIANCE
    primary_masked, ///< the image in the primary HDU, its mask and variance in extensions named MASK and VARIANCE
};

/// Where a file's planes are, as read_masked_image finds them.
struct FileLayout {
    Layout kind = Layout::plain;
    int image = -1;    ///< 0-based HDU of the image
    int mask = -1;     ///< 0-based HDU of the mask; -1 for Layout::plain
    int variance = -1; ///< 0-based HDU of the variance; -1 for Layout::plain
    int hdus = 0;      ///< number of HDUs cfitsio could read
};

namespace detail {

using skystack::detail::FitsHandle;
using skystack::detail::throw_fits;

/// cfitsio datatype and image-type codes of a pixel type.
template <class T>
struct cfitsio_type;
#define SKYSTACK_FITS_TYPE(T, dt, it)                                                                                  \
    template <>                                                                                                        \
    struct cfitsio_type<T> {                                                                                           \
        static constexpr int datatype = dt;                                                                            \
        static constexpr int imgtype = it;                                                                             \
    }
SKYSTACK_FITS_TYPE(std::uint8_t, TBYTE, BYTE_IMG);
SKYSTACK_FITS_TYPE(std::int8_t, TSBYTE, SBYTE_IMG);
SKYSTACK_FITS_TYPE(std::int16_t, TSHORT, SHORT_IMG);
SKYSTACK_FITS_TYPE(std::uint16_t, TUSHORT, USHORT_IMG);
SKYSTACK_FITS_TYPE(std::int32_t, TINT, LONG_IMG);
SKYSTACK_FITS_TYPE(std::uint32_t, TUINT, ULONG_IMG);
SKYSTACK_FITS_TYPE(std::int64_t, TLONGLONG, LONGLONG_IMG);
SKYSTACK_FITS_TYPE(std::uint64_t, TULONGLONG, ULONGLONG_IMG);
SKYSTACK_FITS_TYPE(float, TFLOAT, FLOAT_IMG);
SKYSTACK_FITS_TYPE(double, TDOUBLE, DOUBLE_IMG);
#undef SKYSTACK_FITS_TYPE
static_assert(sizeof(int) == 4 && sizeof(long long) == 8);

template <class T>
concept FitsPixel = requires {
    cfitsio_type<std::remove_cv_t<T>>::datatype;
};

// ---------------------------------------------------------------------------------------------------------- reading

/// Check a tile-compressed HDU before cfitsio decompresses anything: a known algorithm, every tile inside the
/// heap, and GZIP tiles that inflate to no more than a tile. cfitsio 4.2 trusts tile descriptors (crash) and grows
/// its output buffer without bound on some corrupt gzip streams (hang); both were found by fuzz/.
inline void validate_compressed_hdu(FitsHandle const& h) {
    fitsfile* f = h.get();
    int status = 0;
    long long headstart = 0, datastart = 0, dataend = 0;
    if (fits_get_hduaddrll(f, &headstart, &datastart, &dataend, &status)) h.fail("cannot locate the HDU", status);
    char algo[FLEN_VALUE] = {};
    if (fits_read_key(f, TSTRING, "ZCMPTYPE", algo, nullptr, &status))
        h.fail("corrupt tile-compressed HDU: no ZCMPTYPE", status);
    std::string const a = algo;
    bool const gzip = a == "GZIP_1" || a == "GZIP_2";
    bool const rice = a == "RICE_1" || a == "RICE_ONE";
    if (!gzip && !rice && a != "NOCOMPRESS")
        h.fail("unsupported tile compression '" + a + "' (skystack reads RICE_1, GZIP_1 and GZIP_2)", 0);
    // Algorithm parameters (ZNAMEi/ZVALi): RICE block size and bytes per pixel, cfitsio's defaults 32 and 4.
    long long blocksize = 32, bytepix = 4;
    for (int i = 1; i <= 9; ++i) {
        char zname[FLEN_VALUE] = {};
        long long zval = 0;
        std::string const nk = "ZNAME" + std::to_string(i), vk = "ZVAL" + std::to_string(i);
        if (fits_read_key(f, TSTRING, nk.c_str(), zname, nullptr, &status)) {
            status = 0;
            fits_clear_errmsg();
            break;
        }
        if (fits_read_key(f, TLONGLONG, vk.c_str(), &zval, nullptr, &status)) {
            status = 0;
            fits_clear_errmsg();
            continue;
        }
        if (std::string_view(zname) == "BLOCKSIZE")
            blocksize = zval;
        else if (std::string_view(zname) == "BYTEPIX")
            bytepix = zval;
    }
    if (rice && (blocksize < 1 || blocksize > 1 << 16 || (bytepix != 1 && bytepix != 2 && bytepix != 4)))
        h.fail("corrupt RICE_1 parameters: BLOCKSIZE = " + std::to_string(blocksize) +
                   ", BYTEPIX = " + std::to_string(bytepix),
               0);
    {
        char q[FLEN_VALUE] = {};
        if (fits_read_key(f, TSTRING, "ZQUANTIZ", q, nullptr, &status) == 0 &&
            std::string_view(q).starts_with("SUBTRACTIVE_DITHER")) {
            long long seed = 0;
            if (fits_read_key(f, TLONGLONG, "ZDITHER0", &seed, nullptr, &status) || seed < 1 || seed > 10000)
                h.fail("corrupt dithered HDU: ZDITHER0 must be 1..10000", status);
        }
        status = 0;
        fits_clear_errmsg();
    }
    long long rows = 0, rowlen = 0, pcount = 0;
    if (fits_read_key(f, TLONGLONG, "NAXIS1", &rowlen, nullptr, &status) ||
        fits_read_key(f, TLONGLONG, "NAXIS2", &rows, nullptr, &status) ||
        fits_read_key(f, TLONGLONG, "PCOUNT", &pcount, nullptr, &status))
        h.fail("corrupt tile-compressed HDU: cannot read its table size", status);
    long long theap = rowlen * rows;
    if (fits_read_key(f, TLONGLONG, "THEAP", &theap, nullptr, &status)) {
        status = 0;
        fits_clear_errmsg();
        theap = rowlen * rows;
    }
    if (rows < 0 || rowlen < 0 || pcount < 0 || theap < 0 || datastart + theap > dataend)
        h.fail("corrupt tile-compressed HDU: invalid table or heap size", 0);
    // Largest inflated tile: the tile's pixels at 8 bytes each.
    long long tile_pixels = 1, tdim[2] = {1, 1}, zdim[2] = {1, 1};
    for (int i = 1; i <= 2; ++i) {
        std::string const zkey = "ZNAXIS" + std::to_string(i);
        if (fits_read_key(f, TLONGLONG, zkey.c_str(), &zdim[i - 1], nullptr, &status) || zdim[i - 1] <= 0)
            h.fail("corrupt tile-compressed HDU: bad " + zkey, status);
        long long t = 0;
        std::string const key = "ZTILE" + std::to_string(i);
        if (fits_read_key(f, TLONGLONG, key.c_str(), &t, nullptr, &status)) {
            status = 0;
            fits_clear_errmsg();
            std::string const nkey = "ZNAXIS" + std::to_string(i);
            if (i == 1 && fits_read_key(f, TLONGLONG, nkey.c_str(), &t, nullptr, &status))
                h.fail("corrupt tile-compressed HDU: no ZNAXIS1", status);
            if (i == 2) t = 1;
        }
        if (t <= 0 || t > (1LL << 31)) h.fail("corrupt tile-compressed HDU: " + key + " = " + std::to_string(t), 0);
        tdim[i - 1] = t;
        tile_pixels *= t;
    }
    if (tile_pixels > (1LL << 28))
        h.fail("tile-compressed HDU: tiles of " + std::to_string(tile_pixels) + " pixels are too large", 0);
    {
        // one table row per tile; cfitsio reads a missing row's descriptor as garbage and mallocs it
        long long const tiles = ((zdim[0] + tdim[0] - 1) / tdim[0]) * ((zdim[1] + tdim[1] - 1) / tdim[1]);
        if (rows < tiles)
            h.fail("corrupt tile-compressed HDU: " + std::to_string(tiles) + " tiles but " + std::to_string(rows) +
                       " table rows",
                   0);
    }
    long long const heap_end = dataend - datastart - theap; // bytes available from the heap start
    std::vector<unsigned char> tile, inflated;
    for (char const* col : {"COMPRESSED_DATA", "GZIP_COMPRESSED_DATA", "UNCOMPRESSED_DATA"}) {
        int colnum = 0;
        if (fits_get_colnum(f, CASEINSEN, const_cast<char*>(col), &colnum, &status)) {
            status = 0;
            fits_clear_errmsg();
            // cfitsio dereferences the COMPRESSED_DATA column without checking that it exists
            if (std::string_view(col) == "COMPRESSED_DATA")
                h.fail("corrupt tile-compressed HDU: no COMPRESSED_DATA column", 0);
            continue;
        }
        int typecode = 0;
        long long repeat = 0, width = 0;
        if (fits_get_coltypell(f, colnum, &typecode, &repeat, &width, &status))
            h.fail(std::string("corrupt tile-compressed HDU: bad column ") + col, status);
        if (typecode >= 0) h.fail(std::string("corrupt tile-compressed HDU: column ") + col + " is not an array", 0);
        bool const check_gzip =
            (gzip && std::string_view(col) == "COMPRESSED_DATA") || std::string_view(col) == "GZIP_COMPRESSED_DATA";
        bool const check_rice = rice && std::string_view(col) == "COMPRESSED_DATA";
        long long const ntx = (zdim[0] + tdim[0] - 1) / tdim[0];
        for (long long r = 1; r <= rows; ++r) {
            long long len = 0, off = 0;
            if (fits_read_descriptll(f, colnum, r, &len, &off, &status))
                h.fail("corrupt tile-compressed HDU: cannot read tile descriptor " + std::to_string(r), status);
            if (len < 0 || off < 0 || width <= 0 || len > heap_end / width || off > heap_end - len * width)
                h.fail("corrupt tile-compressed HDU: tile " + std::to_string(r) + " (" + std::to_string(len) +
                           " elements at heap offset " + std::to_string(off) + ") lies outside the heap",
                       0);
            if ((!check_gzip && !check_rice) || len == 0 || width != 1) continue;
            tile.resize(std::size_t(len));
            int anynul = 0;
            if (fits_read_col(f, TBYTE, colnum, r, 1, len, nullptr, tile.data(), &anynul, &status))
                h.fail("corrupt tile-compressed HDU: cannot read tile " + std::to_string(r), status);
            if (check_rice) {
                long long const tx = (r - 1) % ntx, ty = (r - 1) / ntx;
                long long const nx = std::min(tdim[0], zdim[0] - tx * tdim[0]) *
                                     std::max(0LL, std::min(tdim[1], zdim[1] - ty * tdim[1]));
                if (!skystack::detail::rice_tile_ok(tile.data(), tile.size(), nx, int(blocksize), int(bytepix)))
                    h.fail("corrupt tile-compressed HDU: RICE_1 tile " + std::to_string(r) + " is damaged", 0);
                continue;
            }
            // Deflate expands at most ~1032:1, so an honest tile of `len` bytes inflates to under 1100 * len + 4 KiB:
            // the buffer never needs more (a hostile 8 KB tile declaring 16384^2 pixels costs 9 MB, not 2 GB).
            long long const this_tile = [&] {
                long long const tx = (r - 1) % ntx, ty = (r - 1) / ntx;
                return std::max(0LL, std::min(tdim[0], zdim[0] - tx * tdim[0])) *
                       std::max(0LL, std::min(tdim[1], zdim[1] - ty * tdim[1]));
            }();
            long long const bound = std::min(tile_pixels * 8 + 64, len * 1100 + 4096);
            inflated.resize(std::size_t(bound));
            char* out = reinterpret_cast<char*>(inflated.data());
            std::size_t outsize = inflated.size(), got = 0;
            // no realloc: a stream that inflates past one tile is corrupt
            if (uncompress2mem_from_mem(reinterpret_cast<char*>(tile.data()), tile.size(), &out, &outsize, nullptr,
                                        &got, &status))
                h.fail("corrupt tile-compressed HDU: GZIP tile " + std::to_string(r) + " does not inflate", status);
            // every pixel is at least one byte: a shorter stream cannot fill its tile (cfitsio would allocate the
            // whole tile before finding out)
            if ((long long)got < this_tile)
                h.fail("corrupt tile-compressed HDU: GZIP tile " + std::to_string(r) + " inflates to " +
                           std::to_string(got) + " bytes, too few for its " + std::to_string(this_tile) + " pixels",
                       0);
        }
    }
}

/// When the current HDU carries CHECKSUM and DATASUM (fits::write writes them), check that its header blocks
/// still add up with DATASUM to the ones'-complement zero of the FITS checksum convention: any damaged header card
/// (a changed BITPIX, an MP_ card, an EXTNAME) is then a FitsError. Reads only the header, never the data (which
/// is what DATASUM covers: checking it would read whole planes for every sub-region read).
inline void verify_header_checksum(FitsHandle const& h, long long headstart, long long datastart) {
    fitsfile* f = h.get();
    int status = 0;
    char checksum[FLEN_VALUE] = {}, datasum[FLEN_VALUE] = {};
    if (fits_read_key(f, TSTRING, "CHECKSUM", checksum, nullptr, &status) ||
        fits_read_key(f, TSTRING, "DATASUM", datasum, nullptr, &status)) {
        fits_clear_errmsg();
        return;
    }
    char* end = nullptr;
    unsigned long const dsum = std::strtoul(datasum, &end, 10);
    if (end == datasum || *end != '\0' || dsum > 0xFFFFFFFFul)
        h.fail(std::string("damaged header: DATASUM = '") + datasum + "' is not a 32-bit checksum", 0);
    unsigned long sum = dsum;
    long const nrec = long((datastart - headstart) / 2880);
    if (ffmbyt(f, headstart, 0 /* REPORT_EOF */, &status) || ffcsum(f, nrec, &sum, &status))
        h.fail("cannot read the header to verify its CHECKSUM", status);
    if (sum != 0xFFFFFFFFul && sum != 0)
        h.fail("damaged header: its CHECKSUM does not match (a card was changed after the file was written)", 0);
}

/// Geometry of the current HDU's image. @throws FitsError when it is not a 2-D image.
inline ImageInfo current_image_info(FitsHandle const& h) {
    fitsfile* f = h.get();
    int status = 0, hdutype = 0;
    ImageInfo info;
    info.hdu = h.current_hdu();
    if (fits_get_hdu_type(f, &hdutype, &status)) h.fail("cannot read the HDU type", status);
    if (hdutype != IMAGE_HDU)
        h.fail(hdutype == BINARY_TBL ? "HDU is a binary table, not an image" : "HDU is an ASCII table, not an image",
               0);
    int bitpix = 0, naxis = 0;
    long long naxes[9] = {};
    if (fits_get_img_paramll(f, 9, &bitpix, &naxis, naxes, &status)) h.fail("cannot read the image size", status);
    if (fits_get_img_equivtype(f, &info.bitpix, &status)) h.fail("cannot read the image type", status);
    info.compressed = fits_is_compressed_image(f, &status) != 0;
    status = 0;
    if (naxis == 0) h.fail("HDU has no image data (NAXIS = 0)", 0);
    if (naxis < 2 || naxis > 9) h.fail("expected a 2-D image, found NAXIS = " + std::to_string(naxis), 0);
    for (int i = 2; i < naxis; ++i)
        if (naxes[i] != 1)
            h.fail("expected a 2-D image, found NAXIS" + std::to_string(i + 1) + " = " + std::to_string(naxes[i]), 0);
    if (naxes[0] <= 0 || naxes[1] <= 0 || naxes[0] > std::numeric_limits<int>::max() ||
        naxes[1] > std::numeric_limits<int>::max())
        h.fail("invalid image size " + std::to_string(naxes[0]) + " x " + std::to_string(naxes[1]), 0);
    // Uncompressed (or table) data must lie inside the file: catch truncation before allocating.
    long long headstart = 0, datastart = 0, dataend = 0;
    if (fits_get_hduaddrll(f, &headstart, &datastart, &dataend, &status)) h.fail("cannot locate the HDU", status);
    // (checked arithmetic: NAXIS1 x NAXIS2 x bytes can pass 2^63 for NAXISn <= 2^31 - 1)
    std::size_t const size = h.byte_size();
    if (size != std::size_t(-1)) {
        long long const avail =
            (long long)std::min<std::size_t>(size, std::size_t(std::numeric_limits<long long>::max()));
        long long const bytes = std::abs(bitpix) / 8;
        bool const fits_in =
            info.compressed ? dataend <= avail
                            : datastart <= avail && bytes > 0 && naxes[0] <= (avail - datastart) / bytes / naxes[1];
        if (!fits_in) {
            std::string const need = info.compressed
                                         ? std::to_string(dataend)
                                         : std::to_string(datastart) + " + " + std::to_string(naxes[0]) + " x " +
                                               std::to_string(naxes[1]) + " x " + std::to_string(bytes);
            h.fail("file is truncated: HDU data needs " + need + " bytes but the file has " + std::to_string(size), 0);
        }
    }
    verify_header_checksum(h, headstart, datastart);
    Header const cards = skystack::detail::read_cards(h);
    Point2I const xy0 = skystack::detail::xy0_from_cards(cards, h);
    try {
        info.bbox = Box2I::from_min_size(xy0, {int(naxes[0]), int(naxes[1])});
    } catch (OverflowError const&) {
        h.fail("xy0 (" + std::to_string(xy0.x) + ", " + std::to_string(xy0.y) + ") with size " +
                   std::to_string(naxes[0]) + " x " + std::to_string(naxes[1]) + " overflows int coordinates",
               0);
    }
    if (auto const* c = cards.find("EXTNAME"); c && std::holds_alternative<std::string>(c->value))
        info.extname = std::get<std::string>(c->value);
    return info;
}

/// EXTNAME of every HDU (empty when absent).
inline std::vector<std::string> extnames(FitsHandle& h) {
    int const n = h.num_hdus();
    std::vector<std::string> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        h.move_to(i);
        char v[FLEN_VALUE] = {};
        int status = 0;
        if (fits_read_key(h.get(), TSTRING, "EXTNAME", v, nullptr, &status) == 0)
            out[std::size_t(i)] = v;
        else
            fits_clear_errmsg();
    }
    return out;
}

inline bool primary_has_pixels(FitsHandle& h) {
    h.move_to(0);
    int status = 0, naxis = 0;
    if (fits_get_img_dim(h.get(), &naxis, &status)) h.fail("cannot read NAXIS", status);
    return naxis > 0;
}

/// The HDU to read when the caller did not say: primary with pixels, else the one named `name`, else HDU 1.
inline int pick_hdu(FitsHandle& h, int requested, char const* name) {
    if (requested >= 0) return requested;
    if (primary_has_pixels(h)) return 0;
    auto const names = extnames(h);
    for (std::size_t i = 1; i < names.size(); ++i)
        if (fits::detail::iequals(names[i], name)) return int(i);
    if (names.size() < 2) throw_fits("file has no image data (empty primary HDU, no extension)", h.name(), 0, 0);
    return 1;
}

/// The plane an EXTNAME / EXTTYPE value names: 0 image, 1 mask, 2 variance, -1 none.
inline int plane_role(std::string_view name) noexcept {
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (fits::detail::iequals(name, "IMAGE")) return 0;
    if (fits::detail::iequals(name, "MASK")) return 1;
    if (fits::detail::iequals(name, "VARIANCE")) return 2;
    return -1;
}

/// Find and check the planes of a masked image. A file is taken to claim a masked layout as soon as one HDU is
/// named IMAGE, MASK or VARIANCE (EXTNAME or EXTTYPE); such a file must then hold all three planes (the image may
/// be the primary HDU: Layout::primary_masked), each a readable 2-D image inside the file, of one size, with an
/// integer mask and a floating-point variance. Anything else is a FitsError naming the file and the HDU, never a
/// plain image with the mask and variance dropped. `requested` >= 0 is the image HDU (the mask and variance are
/// the next two; with no HDU after it, it is read as a plain image unless it is named IMAGE, MASK or VARIANCE).
inline FileLayout masked_layout(FitsHandle& h, int requested = -1) {
    static constexpr char const* role_name[3] = {"IMAGE", "MASK", "VARIANCE"};
    FileLayout out;
    out.hdus = h.num_hdus();
    if (requested >= 0) {
        out.image = requested;
        if (requested + 1 >= out.hdus) { // nothing after it: a plain image, unless it is named as an afw plane
            h.move_to(requested);
            char v[FLEN_VALUE] = {};
            int status = 0;
            bool named = false;
            for (char const* key : {"EXTNAME", "EXTTYPE"}) {
                if (fits_read_key(h.get(), TSTRING, key, v, nullptr, &status) == 0) named = named || plane_role(v) >= 0;
                status = 0;
                fits_clear_errmsg();
            }
            if (!named) return out;
        }
        out.kind = Layout::afw;
        out.mask = requested + 1;
        out.variance = requested + 2;
    } else {
        int idx[3] = {-1, -1, -1};
        for (int i = 0; i < out.hdus; ++i) {
            h.move_to(i);
            int by_name = -1, by_type = -1;
            std::string name, type;
            for (auto [key, dst, role] :
                 {std::tuple{"EXTNAME", &name, &by_name}, std::tuple{"EXTTYPE", &type, &by_type}}) {
                char v[FLEN_VALUE] = {};
                int status = 0;
                if (fits_read_key(h.get(), TSTRING, key, v, nullptr, &status) == 0) {
                    *dst = v;
                    *role = plane_role(v);
                } else {
                    fits_clear_errmsg();
                }
            }
            if (by_name >= 0 && by_type >= 0 && by_name != by_type)
                h.fail("EXTNAME '" + name + "' and EXTTYPE '" + type + "' disagree: damaged masked-image file", 0);
            int const r = by_name >= 0 ? by_name : by_type;
            if (r < 0) continue;
            if (idx[r] >= 0)
                h.fail(std::string("two HDUs (") + std::to_string(idx[r]) + " and " + std::to_string(i) +
                           ") are named " + role_name[r] + ": damaged masked-image file",
                       0);
            idx[r] = i;
        }
        if (idx[0] < 0 && idx[1] < 0 && idx[2] < 0) {
            out.image = pick_hdu(h, -1, "IMAGE");
            return out;
        }
        out.kind = Layout::afw;
        if (idx[0] < 0 && primary_has_pixels(h)) {
            out.kind = Layout::primary_masked;
            idx[0] = 0;
        }
        for (int r = 0; r < 3; ++r) {
            if (idx[r] >= 0) continue;
            // Say why the plane is missing: cfitsio's error for the first HDU it could not read, if any.
            std::string why = "the file has " + std::to_string(out.hdus) + " readable HDUs";
            fitsfile* f = h.get();
            int status = 0, type = 0;
            if (fits_movabs_hdu(f, out.hdus + 1, &type, &status) && status != END_OF_FILE)
                why +=
                    "; HDU " + std::to_string(out.hdus) + " is damaged: " + skystack::detail::cfitsio_message(status);
            else
                fits_clear_errmsg();
            int const at = r == 0 ? (idx[1] >= 0 ? idx[1] - 1 : 1) : (idx[r - 1] >= 0 ? idx[r - 1] + 1 : r + 1);
            throw_fits(std::string("masked-image file without a ") + role_name[r] + " HDU (truncated or damaged; " +
                           why + ")",
                       h.name(), at, 0);
        }
        out.image = idx[0];
        out.mask = idx[1];
        out.variance = idx[2];
    }
    // The three planes: readable 2-D images of one size, integer mask, floating variance.
    int const hdus[3] = {out.image, out.mask, out.variance};
    ImageInfo info[3];
    for (int r = 0; r < 3; ++r) {
        if (hdus[r] >= out.hdus)
            throw_fits(std::string("masked-image file without a ") + role_name[r] + " HDU: the file has " +
                           std::to_string(out.hdus) + " readable HDUs (truncated or damaged)",
                       h.name(), hdus[r], 0);
        h.move_to(hdus[r]);
        info[r] = current_image_info(h);
    }
    for (int r = 1; r < 3; ++r)
        if (info[r].bbox != info[0].bbox)
            throw_fits(skystack::detail::msg("masked-image planes differ: ", role_name[r], " bbox ", info[r].bbox,
                                             " but IMAGE bbox ", info[0].bbox, " (HDU ", hdus[0], ")"),
                       h.name(), hdus[r], 0);
    if (info[1].bitpix < 0)
        throw_fits(skystack::detail::msg("masked-image MASK HDU holds floating-point pixels (BITPIX ", info[1].bitpix,
                                         "); a mask is an integer image"),
                   h.name(), hdus[1], 0);
    if (info[2].bitpix > 0)
        throw_fits(skystack::detail::msg("masked-image VARIANCE HDU holds integer pixels (BITPIX ", info[2].bitpix,
                                         "); a variance is a floating-point image"),
                   h.name(), hdus[2], 0);
    return out;
}

/// Resolve the region to read (local, 0-based in the file) from a parent bbox. @throws LengthError
inline Box2I local_region(ImageInfo const& info, Box2I want, std::string const& file, std::int64_t max_pixels) {
    Box2I const whole = Box2I::from_min_size({0, 0}, info.bbox.dimensions());
    if (max_pixels > 0 && (want.empty() ? whole : want).area() > max_pixels)
        throw LengthError(skystack::detail::msg("image region of ", (want.empty() ? whole : want).area(),
                                                " pixels in HDU ", info.hdu, " of '", file,
                                                "' exceeds ReadOptions::max_pixels = ", max_pixels));
    if (want.empty()) return whole;
    if (!info.bbox.contains(want))
        throw LengthError(skystack::detail::msg("requested bbox ", want, " is not inside the image bbox ", info.bbox,
                                                " of HDU ", info.hdu, " in '", file, "'"));
    return want.shifted_by(-info.bbox.min().as_extent());
}

/// FITS stores pixels big-endian; unsigned types (and int8) are offset by BZERO, i.e. their sign bit flipped.
template <class T>
struct raw_codec {
    using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                 std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                    std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
    static constexpr U sign = U(U(1) << (8 * sizeof(T) - 1));
    static U swap(U v) noexcept {
        if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1)
            return v;
        else if constexpr (sizeof(T) == 2)
            return __builtin_bswap16(v);
        else if constexpr (sizeof(T) == 4)
            return __builtin_bswap32(v);
        else
            return __builtin_bswap64(v);
    }
    /// In-memory values -> file bytes.
    static void encode(T const* in, U* out, std::size_t n, bool flip) noexcept {
        U const x = flip ? sign : U(0);
        for (std::size_t i = 0; i < n; ++i) out[i] = swap(U(std::bit_cast<U>(in[i]) ^ x));
    }
    /// File bytes -> values, in place.
    static void decode(T* p, std::size_t n, bool flip) noexcept {
        U const x = flip ? sign : U(0);
        for (std::size_t i = 0; i < n; ++i) p[i] = std::bit_cast<T>(U(swap(std::bit_cast<U>(p[i])) ^ x));
    }
};

/// BITPIX and BZERO that store cfitsio datatype `dt` without conversion, and whether the sign bit is flipped.
struct RawLayout {
    int bitpix;
    double bzero;
    bool flip;
};
inline std::optional<RawLayout> raw_layout(int dt) noexcept {
    switch (dt) {
    case TBYTE:
        return RawLayout{8, 0.0, false};
    case TSBYTE:
        return RawLayout{8, -128.0, true};
    case TSHORT:
        return RawLayout{16, 0.0, false};
    case TUSHORT:
        return RawLayout{16, 32768.0, true};
    case TINT:
        return RawLayout{32, 0.0, false};
    case TUINT:
        return RawLayout{32, 2147483648.0, true};
    case TLONGLONG:
        return RawLayout{64, 0.0, false};
    case TULONGLONG:
        return RawLayout{64, 9223372036854775808.0, true};
    case TFLOAT:
        return RawLayout{-32, 0.0, false};
    case TDOUBLE:
        return RawLayout{-64, 0.0, false};
    default:
        return std::nullopt;
    }
}

/// Write the pixels of an uncompressed image HDU whose header is complete, bypassing cfitsio's per-value
/// conversion (it converts through a 28 kB buffer): big-endian encoding into 4 MiB chunks, written raw.
template <class T>
std::uint32_t write_raw(FitsHandle const& h, ImageView<T const> img, bool flip) {
    using C = raw_codec<T>;
    fitsfile* f = h.get();
    int status = 0;
    long long hs = 0, ds = 0, de = 0;
    if (ffrdef(f, &status) || fits_get_hduaddrll(f, &hs, &ds, &de, &status) ||
        ffmbyt(f, ds, 1 /* IGNORE_EOF */, &status))
        h.fail("cannot position at the image data", status);
    std::size_t const cap = (std::size_t(1) << 22) / sizeof(T);
    std::vector<typename C::U> buf(std::min(cap, std::size_t(img.width()) * std::size_t(img.height())));
    std::size_t n = 0;
    std::uint64_t sum = 0; // DATASUM: ones'-complement sum of the big-endian 32-bit words (folded at the end)
    auto flush = [&] {
        if (!n) return;
        // every chunk but the last is a multiple of 4 bytes; the last is padded with zeros, as the file is
        auto const* bytes = reinterpret_cast<unsigned char const*>(buf.data());
        std::size_t const nb = n * sizeof(T);
        std::size_t i = 0;
        for (; i + 4 <= nb; i += 4) {
            std::uint32_t w;
            std::memcpy(&w, bytes + i, 4);
            if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
            sum += w;
        }
        if (i < nb) {
            std::uint64_t w = 0;
            for (std::size_t k = 0; k < 4; ++k) w = w << 8 | (i + k < nb ? bytes[i + k] : 0u);
            sum += w;
        }
        if (ffpbyt(f, (long long)nb, buf.data(), &status)) h.fail("cannot write pixels", status);
        n = 0;
    };
    for (int y = 0; y < img.height(); ++y) {
        auto const r = img.row(y);
        for (std::size_t i = 0; i < r.size();) {
            std::size_t const m = std::min(r.size() - i, buf.size() - n);
            C::encode(r.data() + i, buf.data() + n, m, flip);
            n += m;
            i += m;
            if (n == buf.size()) flush();
        }
    }
    flush();
    while (sum >> 32) sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    return std::uint32_t(sum);
}

/// Read `region` of an uncompressed HDU stored exactly as T (see raw_layout) straight into `out`.
template <class T>
void read_raw(FitsHandle const& h, ImageInfo const& info, Box2I region, ImageView<T> out, bool flip) {
    fitsfile* f = h.get();
    int status = 0;
    long long hs = 0, ds = 0, de = 0;
    if (fits_get_hduaddrll(f, &hs, &ds, &de, &status)) h.fail("cannot locate the image data", status);
    long long const w = info.bbox.width();
    auto read_at = [&](long long pixel, std::size_t count, T* dst) {
        if (ffmbyt(f, ds + pixel * (long long)sizeof(T), 0 /* REPORT_EOF */, &status) ||
            ffgbyt(f, (long long)(count * sizeof(T)), dst, &status))
            h.fail("cannot read pixels", status);
        raw_codec<T>::decode(dst, count, flip);
    };
    if (out.is_contiguous() && region.width() == w) {
        read_at((long long)region.min_y() * w, std::size_t(region.area()), out.data());
    } else {
        for (int y = 0; y < region.height(); ++y)
            read_at((long long)(region.min_y() + y) * w + region.min_x(), std::size_t(region.width()),
                    out.row(y).data());
    }
}

/// Read `region` (0-based file pixels) of the current HDU into `out` (same size) as cfitsio datatype `dt`. A
/// tile-compressed HDU must have passed validate_compressed_hdu.
template <class T>
void read_region(FitsHandle const& h, ImageInfo const& info, Box2I region, ImageView<T> out, int dt) {
    fitsfile* f = h.get();
    int status = 0, anynul = 0;
    T nul{};
    if constexpr (std::is_floating_point_v<T>) nul = std::numeric_limits<T>::quiet_NaN();
    // Floating-point pixels read as integers: cfitsio flags NaN (and null) pixels only when given a null value, and
    // casts them to 0 or INT_MIN otherwise; a NaN has no integer value, so it is an error (anynul, below).
    bool const nan_check = std::is_integral_v<T> && info.bitpix < 0;
    if (nan_check) nul = T(1); // cfitsio takes a null value of 0 as "no null checking"
    void* nulp = std::is_floating_point_v<T> || nan_check ? static_cast<void*>(&nul) : nullptr;
    long inc[2] = {1, 1};
    auto read_box = [&](Box2I b, T* dst) {
        long fp[2] = {long(b.min_x()) + 1, long(b.min_y()) + 1};
        long lp[2] = {long(b.max_x()) + 1, long(b.max_y()) + 1};
        if (fits_read_subset(f, dt, fp, lp, inc, nulp, dst, &anynul, &status)) h.fail("cannot read pixels", status);
        if (nan_check && anynul)
            h.fail(skystack::detail::msg("NaN or null pixel in the region ", b.shifted_by(info.bbox.min().as_extent()),
                                         " of a floating-point image (BITPIX ", info.bitpix,
                                         ") cannot be read into an integer pixel type"),
                   0);
    };
    if (!info.compressed) {
        if (auto const raw = raw_layout(dt); raw && sizeof(T) * 8 == std::size_t(std::abs(raw->bitpix))) {
            int bitpix = 0;
            double bzero = 0.0, bscale = 1.0;
            if (fits_get_img_type(f, &bitpix, &status)) h.fail("cannot read BITPIX", status);
            if (fits_read_key(f, TDOUBLE, "BZERO", &bzero, nullptr, &status)) status = 0, bzero = 0.0;
            if (fits_read_key(f, TDOUBLE, "BSCALE", &bscale, nullptr, &status)) status = 0, bscale = 1.0;
            fits_clear_errmsg();
            if (bitpix == raw->bitpix && bzero == raw->bzero && bscale == 1.0)
                return read_raw<T>(h, info, region, out, raw->flip);
        }
    }
    if constexpr (std::is_integral_v<T>) {
        // Through doubles: cfitsio cannot decompress into 64-bit integers, and does not flag NaN when it converts
        // decompressed floating-point tiles to integers. Compressed data fits a double.
        if (info.compressed && (sizeof(T) == 8 || info.bitpix < 0)) {
            std::vector<double> tmp(std::size_t(region.area()));
            long fp[2] = {long(region.min_x()) + 1, long(region.min_y()) + 1};
            long lp[2] = {long(region.max_x()) + 1, long(region.max_y()) + 1};
            double dnul = std::numeric_limits<double>::quiet_NaN();
            if (fits_read_subset(f, TDOUBLE, fp, lp, inc, &dnul, tmp.data(), &anynul, &status))
                h.fail("cannot read pixels", status);
            constexpr double lo = double(std::numeric_limits<T>::min());
            constexpr double hi = sizeof(T) == 8 ? (std::is_unsigned_v<T> ? 0x1p64 : 0x1p63)
                                                 : double(std::numeric_limits<T>::max()) + 1.0;
            for (int y = 0; y < region.height(); ++y)
                for (int x = 0; x < region.width(); ++x) {
                    double const v = tmp[std::size_t(y) * std::size_t(region.width()) + std::size_t(x)];
                    if (std::isnan(v))
                        h.fail(skystack::detail::msg("NaN or null pixel at ", x + region.min_x() + info.bbox.min_x(),
                                                     ", ", y + region.min_y() + info.bbox.min_y(),
                                                     " of a floating-point image (BITPIX ", info.bitpix,
                                                     ") cannot be read into an integer pixel type"),
                               0);
                    if (!(v >= lo && v < hi))
                        h.fail("pixel value " + std::to_string(v) + " does not fit the requested integer type",
                               NUM_OVERFLOW);
                    out(x, y) = T(v);
                }
            return;
        }
    }
    if (out.is_contiguous()) {
        read_box(region, out.data());
    } else if (!info.compressed) {
        for (int y = 0; y < region.height(); ++y)
            read_box(Box2I::from_min_size({region.min_x(), region.min_y() + y}, {region.width(), 1}),
                     out.row(y).data());
    } else { // tile-compressed: one call decompresses each tile once
        std::vector<T> tmp(std::size_t(region.area()));
        read_box(region, tmp.data());
        for (int y = 0; y < region.height(); ++y)
            std::copy_n(tmp.data() + std::ptrdiff_t(y) * region.width(), region.width(), out.row(y).data());
    }
}

template <class T>
Image<T> read_image_hdu(FitsHandle& h, int hdu, Box2I want, Header* metadata, std::int64_t max_pixels) {
    h.move_to(hdu);
    ImageInfo const info = current_image_info(h);
    Box2I const region = local_region(info, want, h.name(), max_pixels);
    if (info.compressed) validate_compressed_hdu(h); // before allocating: a hostile tile header costs nothing
    Image<T> img(region.shifted_by(info.bbox.min().as_extent()));
    read_region<T>(h, info, region, img.view(), cfitsio_type<T>::datatype);
    if (metadata) *metadata = skystack::detail::metadata_of(h, hdu);
    return img;
}

/// Planes named by MP_ cards: bit index -> name. @throws FitsError on a bad MP_ value.
inline std::vector<std::pair<int, std::string>> mask_planes_of(Header const& cards, FitsHandle const& h) {
    std::vector<std::pair<int, std::string>> out;
    MaskPixel used = 0;
    for (auto const& c : cards) {
        if (c.keyword.size() <= 3 || !fits::detail::iequals(std::string_view(c.keyword).substr(0, 3), "MP_")) continue;
        auto const* v = std::get_if<std::int64_t>(&c.value);
        if (!v || *v < 0 || *v >= MaskPlanes::max_planes)
            h.fail("mask plane card " + c.keyword + " is not a bit index 0.." +
                       std::to_string(MaskPlanes::max_planes - 1),
                   0);
        if (used & (MaskPixel(1) << *v))
            h.fail("mask plane card " + c.keyword + " reuses bit " + std::to_string(*v), 0);
        used |= MaskPixel(1) << *v;
        out.emplace_back(int(*v), c.keyword.substr(3));
    }
    return out;
}

/// Remap mask bits through a per-bit table with four byte lookups per pixel.
inline void remap_mask(ImageView<MaskPixel> px, std::array<MaskPixel, MaskPlanes::max_planes> const& map) {
    std::array<std::array<MaskPixel, 256>, 4> lut{};
    for (int k = 0; k < 4; ++k)
        for (int b = 0; b < 256; ++b) lut[k][b] = remap_bits(MaskPixel(b) << (8 * k), map);
    for (int y = 0; y < px.height(); ++y)
        for (auto& v : px.row(y))
            v = lut[0][v & 255u] | lut[1][(v >> 8) & 255u] | lut[2][(v >> 16) & 255u] | lut[3][v >> 24];
}

inline Mask read_mask_hdu(FitsHandle& h, int hdu, Box2I want, std::shared_ptr<MaskPlanes> target, Header* metadata,
                          std::int64_t max_pixels) {
    if (!target) target = MaskPlanes::shared_default();
    h.move_to(hdu);
    ImageInfo const info = current_image_info(h);
    Box2I const region = local_region(info, want, h.name(), max_pixels);
    if (info.compressed) validate_compressed_hdu(h);
    Mask mask(region.shifted_by(info.bbox.min().as_extent()), target);
    // BITPIX 32 without BZERO holds afw's int32 bit pattern: read it unconverted. Anything else converts.
    int const dt = info.bitpix == LONG_IMG ? TINT : TUINT;
    read_region<MaskPixel>(h, info, region, mask.view(), dt);
    auto const planes = mask_planes_of(skystack::detail::read_cards(h), h);
    if (!planes.empty()) {
        std::array<MaskPixel, MaskPlanes::max_planes> map{};
        bool identity = true;
        for (auto const& [bit, name] : planes) {
            int const to = target->add(name);
            map[std::size_t(bit)] = MaskPixel(1) << to;
            identity = identity && to == bit;
        }
        MaskPixel named = 0;
        for (auto const& [bit, name] : planes) named |= MaskPixel(1) << bit;
        if (!identity)
            remap_mask(mask.view(), map);
        else if (named != ~MaskPixel(0))
            mask.view().clear_bits(~named); // unnamed bits are dropped, as conform
    }
    if (metadata) *metadata = skystack::detail::metadata_of(h, hdu);
    return mask;
}

// ---------------------------------------------------------------------------------------------------------- writing

inline void set_compression(FitsHandle const& h, WriteOptions const& o, bool floating) {
    fitsfile* f = h.get();
    int status = 0;
    if (o.compression == Compression::none) {
        fits_set_compression_type(f, 0, &status); // 0, not NOCOMPRESS (-1): cfitsio tests the request for != 0
        h.check(status, "cannot disable compression");
        return;
    }
    int algo = o.compression == Compression::rice ? RICE_1 : GZIP_2;
    if (floating) algo = o.quantize_level > 0 ? RICE_1 : GZIP_2;
    fits_set_compression_type(f, algo, &status);
    if (o.tile[0] > 0 && o.tile[1] > 0) {
        long dims[2] = {o.tile[0], o.tile[1]};
        fits_set_tile_dim(f, 2, dims, &status);
    }
    if (floating) {
        fits_set_quantize_level(f, o.quantize_level > 0 ? o.quantize_level : 0.0f, &status);
        if (o.quantize_level > 0) {
            fits_set_quantize_method(f, SUBTRACTIVE_DITHER_2, &status);
            fits_set_dither_seed(f, o.dither_seed, &status);
        }
    }
    h.check(status, "cannot set the compression parameters");
}

/// Write the pixels of the current (just created) image HDU.
/// Returns the DATASUM when the pixels went through write_raw (which sums them on the way), else nullopt.
template <class T>
std::optional<std::uint32_t> write_pixels(FitsHandle const& h, ImageView<T const> img, WriteOptions const& o,
                                          int datatype) {
    fitsfile* f = h.get();
    int status = 0;
    if (o.compression == Compression::none) {
        if (auto const raw = raw_layout(datatype); raw && sizeof(T) * 8 == std::size_t(std::abs(raw->bitpix)))
            return write_raw<T>(h, img, raw->flip);
    }
    // cfitsio compresses a tile when a write reaches its end, from what was written in that call only: a tile
    // spanning several rows must be written by one call. So pixels go out in bands of whole tile rows (the tile
    // height; 1 row per tile by default), copied to a contiguous buffer unless the image already is contiguous.
    bool const quantize = std::is_floating_point_v<T> && o.quantize_level > 0;
    long const band = o.compression != Compression::none ? std::max(1L, o.tile[1])
                      : img.is_contiguous()              ? long(img.height())
                                                         : 1L;
    // cfitsio's quantizer does not recognise NaN; afw marks nulls as -inf and passes that as the null value.
    T nulval = std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity() : T(0);
    std::vector<T> buf;
    auto const w = static_cast<std::size_t>(img.width());
    for (long y0 = 0; y0 < img.height(); y0 += band) {
        long const rows = std::min<long>(band, img.height() - y0);
        T const* px = img.row(int(y0)).data();
        if (quantize || (rows > 1 && !img.is_contiguous())) {
            buf.resize(w * std::size_t(rows));
            for (long r = 0; r < rows; ++r) {
                auto const src = img.row(int(y0 + r));
                T* dst = buf.data() + std::size_t(r) * w;
                if constexpr (std::is_floating_point_v<T>)
                    if (quantize) {
                        for (std::size_t i = 0; i < w; ++i) dst[i] = std::isnan(src[i]) ? nulval : src[i];
                        continue;
                    }
                std::copy(src.begin(), src.end(), dst);
            }
            px = buf.data();
        }
        long long const first = (long long)y0 * img.width() + 1, count = (long long)rows * img.width();
        int const rc = quantize ? fits_write_imgnull(f, datatype, first, count, const_cast<T*>(px), &nulval, &status)
                                : fits_write_img(f, datatype, first, count, const_cast<T*>(px), &status);
        if (rc) h.fail("cannot write pixels", status);
    }
    return std::nullopt;
}

/// Create an image HDU of type T with xy0 cards, then write the pixels.
template <class T>
void write_plane(FitsHandle const& h, ImageView<T const> img, WriteOptions const& o, int imgtype, int datatype,
                 char const* extname, bool inherit, Header const* user, std::vector<MaskPlane> const* planes) {
    fitsfile* f = h.get();
    int status = 0;
    if constexpr (std::is_integral_v<T> && sizeof(T) == 8)
        if (o.compression != Compression::none)
            throw InvalidParameterError("fits::write: cfitsio cannot tile-compress 64-bit integer images; write them "
                                        "with Compression::none");
    set_compression(h, o, std::is_floating_point_v<T>);
    long naxes[2] = {long(img.width()), long(img.height())};
    if (fits_create_img(f, imgtype, 2, naxes, &status)) h.fail("cannot create the image HDU", status);
    using skystack::detail::write_card;
    if (extname) {
        write_card(h, {"EXTTYPE", std::string(extname), ""});
        write_card(h, {"EXTNAME", std::string(extname), ""});
    }
    if (inherit) write_card(h, {"INHERIT", true, "merge the primary header"});
    if (user) skystack::detail::write_user_cards(h, *user);
    skystack::detail::write_xy0_cards(h, img.xy0());
    if (planes)
        for (auto const& p : *planes) write_card(h, {"MP_" + p.name, std::int64_t(p.index), ""});
    // CHECKSUM/DATASUM let a reader tell a damaged header from a valid file (fits::inspect, read_masked_image).
    // Placeholders now, so that filling them in later never grows the header.
    write_card(h, {"CHECKSUM", std::string("0000000000000000"), "HDU checksum"});
    write_card(h, {"DATASUM", std::string("0"), "data unit checksum"});
    std::optional<std::uint32_t> const datasum =
        img.empty() ? std::optional<std::uint32_t>(0) : write_pixels<T>(h, img, o, datatype);
    if (!datasum) { // cfitsio wrote (and converted or compressed) the pixels: it sums them by reading them back
        if (fits_write_chksum(f, &status)) h.fail("cannot write the HDU checksum", status);
        return;
    }
    // The raw path summed the data on the way: only the header is read back (what fits_write_chksum does, less the
    // second pass over the pixels).
    long long hs = 0, ds = 0, de = 0;
    std::string const dsum = std::to_string(*datasum);
    if (fits_modify_key_str(f, "DATASUM", dsum.c_str(), "&", &status) || ffrdef(f, &status) ||
        fits_get_hduaddrll(f, &hs, &ds, &de, &status))
        h.fail("cannot write the HDU checksum", status);
    unsigned long sum = *datasum;
    if (ffmbyt(f, hs, 0 /* REPORT_EOF */, &status) || ffcsum(f, long((ds - hs) / 2880), &sum, &status))
        h.fail("cannot write the HDU checksum", status);
    char ascii[FLEN_VALUE] = {};
    ffesum(sum, 1 /* complement */, ascii);
    if (fits_modify_key_str(f, "CHECKSUM", ascii, "&", &status)) h.fail("cannot write the HDU checksum", status);
}

inline void write_empty_primary(FitsHandle const& h, Header const* user) {
    int status = 0;
    fits_set_compression_type(h.get(), 0, &status);
    if (fits_create_img(h.get(), BYTE_IMG, 0, nullptr, &status)) h.fail("cannot create the primary HDU", status);
    if (user) skystack::detail::write_user_cards(h, *user);
    if (fits_write_chksum(h.get(), &status)) h.fail("cannot write the HDU checksum", status);
}

inline void validate(WriteOptions const& o) {
    if (o.quantize_level < 0 || !std::isfinite(o.quantize_level))
        throw InvalidParameterError(
            skystack::detail::msg("WriteOptions::quantize_level must be >= 0, got ", o.quantize_level));
    if (o.quantize_level > 0 && o.compression == Compression::none)
        throw InvalidParameterError("WriteOptions::quantize_level > 0 needs compression (gzip or rice)");
    if (o.dither_seed < 1 || o.dither_seed > 10000)
        throw InvalidParameterError(
            skystack::detail::msg("WriteOptions::dither_seed must be in 1..10000, got ", o.dither_seed));
    if ((o.tile[0] != 0 || o.tile[1] != 0) && (o.tile[0] <= 0 || o.tile[1] <= 0))
        throw InvalidParameterError("WriteOptions::tile must be {0, 0} or two positive sizes");
}

/// Write through `body(handle)` into a temporary file next to `path`, then rename it over `path`.
/// On any failure the temporary file is removed and `path` is left as it was.
template <class Body>
void atomic_write(std::filesystem::path const& path, WriteOptions const& o, Body&& body) {
    namespace fs = std::filesystem;
    validate(o);
    std::error_code ec;
    auto const st = fs::status(path, ec);
    if (fs::exists(st)) {
        if (fs::is_directory(st))
            throw IoError(skystack::detail::msg("cannot write FITS file '", path.string(), "': it is a directory"));
        if (!o.overwrite)
            throw IoError(skystack::detail::msg("cannot write FITS file '", path.string(),
                                                "': it exists (set WriteOptions::overwrite)"));
    }
    fs::path const dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    std::string const tmpname =
        "." + path.filename().string() + ".tmp" + std::to_string(rd()) + "_" + std::to_string(counter.fetch_add(1));
    fs::path const tmp = dir / tmpname;
    try {
        {
            FitsHandle h = [&] {
                try {
                    return FitsHandle::create(tmp);
                } catch (FitsError const& e) {
                    throw FitsError(skystack::detail::msg("cannot write FITS file '", path.string(),
                                                          "': cannot create a temporary file in '", dir.string(),
                                                          "': ", e.what()),
                                    path.string(), e.hdu(), e.status());
                }
            }();
            fits_clear_errmsg(); // report only what goes wrong in this write
            errno = 0;           // throw_fits reports errno for failed writes: not a stale one
            body(h);
            errno = 0;
            h.close(); // flushes: a full disk often shows here
        }
        if (o.sync) skystack::detail::fsync_file(tmp);
        fs::rename(tmp, path);
    } catch (FitsError const& e) {
        fs::remove(tmp, ec);
        std::string const what = e.what();
        if (what.find("'" + path.string() + "'") != std::string::npos) throw;
        throw FitsError(skystack::detail::msg("cannot write FITS file '", path.string(), "': ", what), path.string(),
                        e.hdu(), e.status());
    } catch (...) {
        fs::remove(tmp, ec);
        throw;
    }
}

template <class T>
struct masked_image_traits {
    static constexpr bool value = false;
};
template <class T, class V>
struct masked_image_traits<MaskedImage<T, V>> {
    static constexpr bool value = true;
    using image_type = T;
    using variance_type = V;
};
template <class T, class V>
struct masked_image_traits<MaskedImageView<T, V>> {
    static constexpr bool value = true;
    using image_type = std::remove_const_t<T>;
    using variance_type = V;
};

template <class T>
concept AnyMask = std::is_base_of_v<Mask, T> || std::is_same_v<T, MaskView> || std::is_same_v<T, ConstMaskView>;

template <class T>
Image<T> read_image(FitsHandle& h, ReadOptions const& o) {
    return read_image_hdu<T>(h, pick_hdu(h, o.hdu, "IMAGE"), o.bbox, o.metadata, o.max_pixels);
}

inline Mask read_mask(FitsHandle& h, ReadOptions const& o) {
    return read_mask_hdu(h, pick_hdu(h, o.hdu, "MASK"), o.bbox, o.planes, o.metadata, o.max_pixels);
}

template <class T, class V>
MaskedImage<T, V> read_masked_image(FitsHandle& h, ReadOptions const& o) {
    FileLayout const l = masked_layout(h, o.hdu);
    Image<T> img = read_image_hdu<T>(h, l.image, o.bbox, o.metadata, o.max_pixels);
    auto planes = o.planes ? o.planes : MaskPlanes::shared_default();
    if (l.kind == Layout::plain)
        return MaskedImage<T, V>(std::move(img), Mask(img.bbox(), planes), Image<V>(img.bbox()));
    Mask mask = read_mask_hdu(h, l.mask, o.bbox, planes, nullptr, o.max_pixels);
    Image<V> var = read_image_hdu<V>(h, l.variance, o.bbox, nullptr, o.max_pixels);
    return MaskedImage<T, V>(std::move(img), std::move(mask), std::move(var));
}

inline ImageInfo image_info(FitsHandle& h, int hdu) {
    h.move_to(hdu >= 0 ? hdu : masked_layout(h).image);
    return current_image_info(h);
}

inline Header read_header(FitsHandle& h, int hdu) {
    h.move_to(hdu);
    return skystack::detail::read_cards(h);
}

inline constexpr char const* memory_name = "<memory>";

} // namespace detail

// ------------------------------------------------------------------------------------------------------- public API

/// Write an image, mask or masked image to `path` in afw's FITS layout, atomically.
///
/// - `Image<T>` / `ImageView<T>`: one image HDU (the primary; after an empty primary when compressed), BITPIX from T
///   (uint16 as BITPIX 16 + BZERO 32768, uint32 and uint64 likewise with BZERO), xy0 as the "A" pseudo-WCS.
/// - `Mask` / mask views: as an image with BITPIX 32 (the bit pattern as int32) and `MP_<NAME> = bit` cards.
/// - `MaskedImage<T>` / views: empty primary with the user header, then IMAGE, MASK, VARIANCE extensions with
///   EXTTYPE = EXTNAME, INHERIT = T and the xy0 cards.
///
/// The file is written under a temporary name in the same directory and renamed into place, so `path` is never
/// left half-written and an existing file survives any failure.
/// @throws IoError when `path` exists and overwrite is false or is a directory; FitsError for cfitsio failures
///         (unwritable directory included), with the file, HDU and cfitsio's message; InvalidParameterError for
///         bad options or header values.
template <class Obj>
void write(std::filesystem::path const& path, Obj const& obj, WriteOptions const& opts = {}) {
    using detail::cfitsio_type;
    bool const ext = opts.compression != Compression::none; // a compressed image cannot be the primary HDU
    if constexpr (detail::AnyMask<Obj>) {
        ConstMaskView const m = [&]() -> ConstMaskView {
            if constexpr (std::is_base_of_v<Mask, Obj>)
                return obj.cview();
            else
                return obj;
        }();
        auto const planes = m.planes().planes();
        detail::atomic_write(path, opts, [&](detail::FitsHandle& h) {
            if (ext) detail::write_empty_primary(h, &opts.header);
            detail::write_plane<MaskPixel>(h, m, opts, LONG_IMG, TINT, nullptr, ext, ext ? nullptr : &opts.header,
                                           &planes);
        });
    } else if constexpr (detail::masked_image_traits<Obj>::value) {
        using T = typename detail::masked_image_traits<Obj>::image_type;
        using V = typename detail::masked_image_traits<Obj>::variance_type;
        static_assert(detail::FitsPixel<T> && detail::FitsPixel<V>, "fits::write: unsupported pixel type");
        ImageView<T const> const img = obj.image();
        ConstMaskView const m = obj.mask();
        ImageView<V const> const var = obj.variance();
        auto const planes = m.planes().planes();
        detail::atomic_write(path, opts, [&](detail::FitsHandle& h) {
            detail::write_empty_primary(h, &opts.header);
            detail::write_plane<T>(h, img, opts, cfitsio_type<T>::imgtype, cfitsio_type<T>::datatype, "IMAGE", true,
                                   nullptr, nullptr);
            detail::write_plane<MaskPixel>(h, m, opts, LONG_IMG, TINT, "MASK", true, nullptr, &planes);
            detail::write_plane<V>(h, var, opts, cfitsio_type<V>::imgtype, cfitsio_type<V>::datatype, "VARIANCE", true,
                                   nullptr, nullptr);
        });
    } else {
        using T = std::remove_const_t<typename Obj::value_type>;
        static_assert(detail::FitsPixel<T>, "fits::write: unsupported pixel type");
        ImageView<T const> const img = [&]() -> ImageView<T const> {
            if constexpr (requires { obj.cview(); })
                return obj.cview();
            else
                return obj;
        }();
        detail::atomic_write(path, opts, [&](detail::FitsHandle& h) {
            if (ext) detail::write_empty_primary(h, &opts.header);
            detail::write_plane<T>(h, img, opts, cfitsio_type<T>::imgtype, cfitsio_type<T>::datatype, nullptr, ext,
                                   ext ? nullptr : &opts.header, nullptr);
        });
    }
}

/// Read an image HDU into an Image<T> (cfitsio converts from the file's BITPIX; a value that does not fit T is a
/// FitsError). xy0 comes from the "A" pseudo-WCS; only `opts.bbox` is read when given. Compressed HDUs are read
/// transparently. Integer images are read without null substitution; floating images get NaN for null pixels.
/// @throws FitsError (missing file, wrong HDU type, truncated or corrupt data), LengthError (bbox outside).
template <class T>
[[nodiscard]] Image<T> read_image(std::filesystem::path const& path, ReadOptions const& opts = {}) {
    static_assert(detail::FitsPixel<T>, "fits::read_image: unsupported pixel type");
    auto h = detail::FitsHandle::open_read(path);
    return detail::read_image<T>(h, opts);
}
/// Read an image from a FITS file held in memory (see the path overload).
template <class T>
[[nodiscard]] Image<T> read_image(std::span<std::byte const> bytes, ReadOptions const& opts = {}) {
    static_assert(detail::FitsPixel<T>, "fits::read_image: unsupported pixel type");
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::read_image<T>(h, opts);
}

/// Read a mask HDU. Planes named by `MP_<NAME>` cards are conformed to `opts.planes` (default: the shared
/// registry): unknown names are added, bits permuted, bits no card names are cleared. Without MP_ cards the bits
/// are kept as they are. BITPIX 32 is taken as afw's int32 bit pattern.
/// @throws FitsError, LengthError (see read_image); FitsError for MP_ cards that are not distinct bits 0..31.
[[nodiscard]] inline Mask read_mask(std::filesystem::path const& path, ReadOptions const& opts = {}) {
    auto h = detail::FitsHandle::open_read(path);
    return detail::read_mask(h, opts);
}
/// Read a mask from a FITS file held in memory (see the path overload).
[[nodiscard]] inline Mask read_mask(std::span<std::byte const> bytes, ReadOptions const& opts = {}) {
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::read_mask(h, opts);
}

/// Read a masked image: the HDUs named IMAGE, MASK and VARIANCE (or `opts.hdu` and the next two); the image may
/// be the primary HDU with MASK and VARIANCE extensions (Layout::primary_masked). A file with only an image (no HDU
/// named IMAGE, MASK or VARIANCE, e.g. from another tool) gives a zero mask and variance. The mask is conformed as
/// in read_mask. Only `opts.bbox` of each plane is read.
/// @throws FitsError, LengthError (see read_image); FitsError naming the file and HDU when a file that names one of
///         the planes is damaged (see inspect): never a plain image with the mask and variance dropped.
template <class T, class V = VariancePixel>
[[nodiscard]] MaskedImage<T, V> read_masked_image(std::filesystem::path const& path, ReadOptions const& opts = {}) {
    static_assert(detail::FitsPixel<T> && detail::FitsPixel<V>, "fits::read_masked_image: unsupported pixel type");
    auto h = detail::FitsHandle::open_read(path);
    return detail::read_masked_image<T, V>(h, opts);
}
/// Read a masked image from a FITS file held in memory (see the path overload).
template <class T, class V = VariancePixel>
[[nodiscard]] MaskedImage<T, V> read_masked_image(std::span<std::byte const> bytes, ReadOptions const& opts = {}) {
    static_assert(detail::FitsPixel<T> && detail::FitsPixel<V>, "fits::read_masked_image: unsupported pixel type");
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::read_masked_image<T, V>(h, opts);
}

/// All non-structural cards of HDU `hdu` (0 = primary), in file order, EXTNAME and WCS cards included.
/// @throws FitsError
[[nodiscard]] inline Header read_header(std::filesystem::path const& path, int hdu = 0) {
    auto h = detail::FitsHandle::open_read(path);
    return detail::read_header(h, hdu);
}
/// Header of an HDU of a FITS file held in memory.
[[nodiscard]] inline Header read_header(std::span<std::byte const> bytes, int hdu = 0) {
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::read_header(h, hdu);
}

/// Size, xy0, type and compression of an image HDU without reading pixels (hdu -1: picked as in read_image).
/// @throws FitsError
[[nodiscard]] inline ImageInfo image_info(std::filesystem::path const& path, int hdu = -1) {
    auto h = detail::FitsHandle::open_read(path);
    return detail::image_info(h, hdu);
}
/// Image HDU information of a FITS file held in memory.
[[nodiscard]] inline ImageInfo image_info(std::span<std::byte const> bytes, int hdu = -1) {
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::image_info(h, hdu);
}

/// Where the planes of a masked image are (the layout read_masked_image reads), without reading pixels.
/// @throws FitsError for a file that names an IMAGE, MASK or VARIANCE HDU but is damaged: a plane missing
///         (truncated, unreadable header), two HDUs with one name, planes of different sizes, a floating-point mask
///         or an integer variance, data past the end of the file.
[[nodiscard]] inline FileLayout inspect(std::filesystem::path const& path) {
    auto h = detail::FitsHandle::open_read(path);
    return detail::masked_layout(h);
}
/// The masked-image layout of a FITS file held in memory.
[[nodiscard]] inline FileLayout inspect(std::span<std::byte const> bytes) {
    auto h = detail::FitsHandle::open_memory(bytes, detail::memory_name);
    return detail::masked_layout(h);
}

/// Number of HDUs in a FITS file. @throws FitsError
[[nodiscard]] inline int hdu_count(std::filesystem::path const& path) {
    return detail::FitsHandle::open_read(path).num_hdus();
}

} // namespace skystack::fits
