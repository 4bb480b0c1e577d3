// SPDX-License-Identifier: MIT
// RAII ownership of a cfitsio `fitsfile*` and the translation of cfitsio status codes into FitsError.
#pragma once

#include <skystack/detail/fits_prescan.hpp>
#include <skystack/error.hpp>

#include <fitsio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

// cfitsio's own gzip inflater (exported, declared in its internal fitsio2.h, which we do not include).
extern "C" int uncompress2mem_from_mem(char* inmemptr, std::size_t inmemsize, char** buffptr, std::size_t* buffsize,
                                       void* (*mem_realloc)(void* p, std::size_t newsize), std::size_t* filesize,
                                       int* status);

namespace skystack::detail {

/// cfitsio's text for `status` plus its error-message stack (which is then cleared).
inline std::string cfitsio_message(int status) {
    char text[FLEN_STATUS] = {};
    fits_get_errstatus(status, text);
    std::string out = text;
    char line[FLEN_ERRMSG] = {};
    std::string stack;
    while (fits_read_errmsg(line) != 0) {
        if (!stack.empty()) stack += " | ";
        stack += line;
    }
    if (!stack.empty()) out += " [" + stack + "]";
    return out;
}

/// Throw FitsError: "<what> (file '<file>', HDU <hdu>): cfitsio status <s>: <message>".
/// @param hdu 0-based HDU index (0 = primary), or -1 when unknown; FitsError::hdu() holds it 1-based (0 unknown).
/// For the statuses of a failed system call (create, write, seek, close), the OS reason cfitsio does not report:
/// "No space left on device". Writers clear errno before the calls that can fail so that it is not stale.
[[noreturn]] inline void throw_fits(std::string const& what, std::string const& file, int hdu, int status) {
    int const os = errno;
    std::string m = what + " (file '" + file + "'";
    if (hdu >= 0) m += ", HDU " + std::to_string(hdu);
    m += ")";
    if (status != 0) m += ": cfitsio status " + std::to_string(status) + ": " + cfitsio_message(status);
    bool const syscall =
        status == FILE_NOT_CREATED || status == WRITE_ERROR || status == FILE_NOT_CLOSED || status == SEEK_ERROR;
    if (syscall && os != 0) m += ": " + std::string(std::strerror(os));
    throw FitsError(m, file, hdu + 1, status);
}

/// An open cfitsio file; closes it on destruction. Move-only.
class FitsHandle {
    struct Memory {
        void* data = nullptr;
        std::size_t size = 0;
        std::vector<std::byte> padded; // a copy when the input is not whole 2880-byte FITS blocks
        std::size_t given = 0;         // bytes the caller gave (before padding): what a truncation check compares to
    };
    fitsfile* m_f = nullptr;
    std::string m_name;
    std::unique_ptr<Memory> m_mem; // cfitsio keeps pointers to these two fields while the file is open

    FitsHandle(fitsfile* f, std::string name, std::unique_ptr<Memory> mem = {})
        : m_f(f), m_name(std::move(name)), m_mem(std::move(mem)) {}

public:
    FitsHandle(FitsHandle&& o) noexcept
        : m_f(std::exchange(o.m_f, nullptr)), m_name(std::move(o.m_name)), m_mem(std::move(o.m_mem)) {}
    FitsHandle& operator=(FitsHandle&& o) noexcept {
        if (this != &o) {
            close_quietly();
            m_f = std::exchange(o.m_f, nullptr);
            m_name = std::move(o.m_name);
            m_mem = std::move(o.m_mem);
        }
        return *this;
    }
    ~FitsHandle() { close_quietly(); }

    /// Open an existing file read-only. The name is taken literally (no cfitsio extended-filename syntax). A
    /// gzip-compressed file (`.fits.gz`, recognised by its magic bytes) is inflated into memory and read from there,
    /// so that size checks and the header prescan see the FITS bytes, not the compressed ones.
    static FitsHandle open_read(std::filesystem::path const& path) {
        std::string const name = path.string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            throw_fits("cannot open FITS file for reading: no such regular file", name, -1, 0);
        if (auto inflated = gunzip_file(path, name)) return open_owned(std::move(*inflated), name);
        {
            std::ifstream in(path, std::ios::binary);
            auto const bad = fits_prescan([&](std::uint64_t off, char* dst, std::size_t n) {
                in.clear();
                in.seekg(std::streamoff(off));
                return bool(in.read(dst, std::streamsize(n)));
            });
            if (bad) throw_fits(*bad, name, -1, 0);
        }
        fitsfile* f = nullptr;
        int status = 0;
        if (fits_open_diskfile(&f, name.c_str(), READONLY, &status)) {
            if (f) {
                int s2 = 0;
                fits_close_file(f, &s2);
            }
            throw_fits("cannot open FITS file for reading", name, -1, status);
        }
        return FitsHandle(f, name);
    }

    /// Open a FITS file held in memory, read-only. The bytes must outlive the handle; cfitsio does not write to
    /// them in read-only mode.
    static FitsHandle open_memory(std::span<std::byte const> bytes, std::string name) {
        if (bytes.empty()) throw_fits("cannot open FITS data: the buffer is empty", name, -1, 0);
        auto mem = std::make_unique<Memory>();
        mem->given = bytes.size();
        constexpr std::size_t block = 2880;
        if (bytes.size() % block == 0) {
            mem->data = const_cast<std::byte*>(bytes.data()); // NOLINT: READONLY, never written
            mem->size = bytes.size();
        } else {
            // cfitsio reads whole 2880-byte blocks and would read past the end of a truncated buffer.
            mem->padded.assign(bytes.begin(), bytes.end());
            mem->padded.resize((bytes.size() / block + 1) * block, std::byte{0});
            mem->data = mem->padded.data();
            mem->size = mem->padded.size();
        }
        return open_prepared(std::move(mem), std::move(name));
    }

private:
    /// Open bytes the handle owns (an inflated .gz file).
    static FitsHandle open_owned(std::vector<std::byte> bytes, std::string const& name) {
        if (bytes.empty()) throw_fits("cannot open FITS file: it inflates to no data", name, -1, 0);
        auto mem = std::make_unique<Memory>();
        mem->given = bytes.size();
        constexpr std::size_t block = 2880;
        mem->padded = std::move(bytes);
        mem->padded.resize((mem->given + block - 1) / block * block, std::byte{0});
        mem->data = mem->padded.data();
        mem->size = mem->padded.size();
        return open_prepared(std::move(mem), name);
    }

    static std::size_t& gunzip_limit() noexcept {
        thread_local std::size_t limit = 0;
        return limit;
    }

    /// The inflated contents of a gzip file; nullopt when `path` is not gzip-compressed. @throws FitsError
    static std::optional<std::vector<std::byte>> gunzip_file(std::filesystem::path const& path,
                                                             std::string const& name) {
        std::ifstream in(path, std::ios::binary);
        unsigned char magic[2] = {};
        if (!in.read(reinterpret_cast<char*>(magic), 2) || magic[0] != 0x1f || magic[1] != 0x8b) return std::nullopt;
        in.seekg(0, std::ios::end);
        auto const csize = std::size_t(in.tellg());
        std::vector<char> packed(csize);
        in.seekg(0);
        if (!in.read(packed.data(), std::streamsize(csize)))
            throw_fits("cannot read the gzip-compressed FITS file", name, -1, 0);
        std::size_t cap = std::max<std::size_t>(csize * 4, 2880);
        char* out = static_cast<char*>(std::malloc(cap));
        if (!out) throw std::bad_alloc();
        std::size_t got = 0;
        int status = 0;
        // Deflate expands at most ~1032:1: an honest file inflates to under 1100 x its size. Growing past that is a
        // corrupt stream (cfitsio's inflater grows its buffer without end on some truncated ones) or a bomb.
        gunzip_limit() = csize * 1100 + (std::size_t(1) << 20);
        int const rc = uncompress2mem_from_mem(
            packed.data(), csize, &out, &cap,
            [](void* p, std::size_t n) -> void* {
                if (n <= gunzip_limit()) return std::realloc(p, n);
                std::free(p); // cfitsio overwrites its pointer with the null we return
                return nullptr;
            },
            &got, &status);
        std::unique_ptr<char, decltype(&std::free)> const owner(out, &std::free);
        if (rc != 0 || status != 0) {
            fits_clear_errmsg();
            throw_fits("cannot inflate the gzip-compressed FITS file (truncated or corrupt gzip data)", name, -1, 0);
        }
        std::vector<std::byte> bytes(got);
        std::memcpy(bytes.data(), out, got);
        return bytes;
    }

    static FitsHandle open_prepared(std::unique_ptr<Memory> mem, std::string name) {
        auto const bad = fits_prescan([&](std::uint64_t off, char* dst, std::size_t n) {
            if (off > mem->size || n > mem->size - off) return false;
            std::memcpy(dst, static_cast<char const*>(mem->data) + off, n);
            return true;
        });
        if (bad) throw_fits(*bad, name, -1, 0);
        fitsfile* f = nullptr;
        int status = 0;
        if (fits_open_memfile(&f, name.c_str(), READONLY, &mem->data, &mem->size, 0, nullptr, &status)) {
            if (f) {
                int s2 = 0;
                fits_close_file(f, &s2);
            }
            throw_fits("cannot open FITS data in memory", name, -1, status);
        }
        return FitsHandle(f, std::move(name), std::move(mem));
    }

public:
    /// Create a new file (which must not exist). The name is taken literally.
    static FitsHandle create(std::filesystem::path const& path) {
        std::string const name = path.string();
        fitsfile* f = nullptr;
        int status = 0;
        if (fits_create_diskfile(&f, name.c_str(), &status)) {
            if (f) {
                int s2 = 0;
                fits_close_file(f, &s2);
            }
            throw_fits("cannot create FITS file", name, -1, status);
        }
        return FitsHandle(f, name);
    }

    [[nodiscard]] fitsfile* get() const noexcept { return m_f; }
    [[nodiscard]] std::string const& name() const noexcept { return m_name; }
    [[nodiscard]] bool in_memory() const noexcept { return m_mem != nullptr; }
    /// Size in bytes of the underlying data (file or buffer, not the zero padding added to a short buffer).
    [[nodiscard]] std::size_t byte_size() const {
        if (m_mem) return m_mem->given;
        std::error_code ec;
        auto s = std::filesystem::file_size(m_name, ec);
        return ec ? std::size_t(-1) : std::size_t(s);
    }

    /// 0-based index of the current HDU.
    [[nodiscard]] int current_hdu() const noexcept {
        int n = 0;
        fits_get_hdu_num(m_f, &n);
        return n - 1;
    }
    /// Number of HDUs in the file. @throws FitsError
    [[nodiscard]] int num_hdus() const {
        int n = 0, status = 0;
        if (fits_get_num_hdus(m_f, &n, &status)) fail("cannot count HDUs", status);
        return n;
    }
    /// Move to 0-based HDU `hdu`. @throws FitsError (e.g. past the last HDU)
    void move_to(int hdu) {
        int status = 0, type = 0;
        if (hdu < 0) throw_fits("invalid HDU index " + std::to_string(hdu), m_name, -1, 0);
        if (fits_movabs_hdu(m_f, hdu + 1, &type, &status))
            throw_fits("cannot move to HDU " + std::to_string(hdu), m_name, hdu, status);
    }
    /// Throw FitsError for a failed cfitsio call on the current HDU.
    [[noreturn]] void fail(std::string const& what, int status) const {
        throw_fits(what, m_name, current_hdu(), status);
    }
    /// Throw when status != 0.
    void check(int status, char const* what) const {
        if (status != 0) fail(what, status);
    }

    /// Close, reporting errors (flushing a written file can fail). @throws FitsError
    void close() {
        if (!m_f) return;
        int status = 0;
        fits_close_file(std::exchange(m_f, nullptr), &status);
        if (status != 0) throw_fits("cannot close FITS file", m_name, -1, status);
    }

private:
    void close_quietly() noexcept {
        if (m_f) {
            int status = 0;
            fits_close_file(std::exchange(m_f, nullptr), &status);
            if (status != 0) fits_clear_errmsg();
        }
    }
};

} // namespace skystack::detail
