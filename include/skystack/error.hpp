// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

namespace skystack {

#if defined(__cpp_lib_source_location)
/// The throw site type: std::source_location where the standard library has it.
using source_location = std::source_location;
#else
/// Stand-in for std::source_location where the library lacks it (clang 14 with libstdc++ 12, as in the fuzz
/// preset): same interface, filled from the compiler builtins both GCC and clang provide.
struct source_location {
    char const* m_file = "";
    char const* m_function = "";
    std::uint_least32_t m_line = 0;
    static constexpr source_location current(char const* file = __builtin_FILE(),
                                             char const* function = __builtin_FUNCTION(),
                                             std::uint_least32_t line = __builtin_LINE()) noexcept {
        return {file, function, line};
    }
    [[nodiscard]] constexpr std::uint_least32_t line() const noexcept { return m_line; }
    [[nodiscard]] constexpr std::uint_least32_t column() const noexcept { return 0; }
    [[nodiscard]] constexpr char const* file_name() const noexcept { return m_file; }
    [[nodiscard]] constexpr char const* function_name() const noexcept { return m_function; }
};
#endif

/// Base of every exception skystack throws. Records where it was thrown, like afw's LSST_EXCEPT.
class Error : public std::runtime_error {
    skystack::source_location m_where;

public:
    explicit Error(std::string const& what, skystack::source_location where = skystack::source_location::current())
        : std::runtime_error(what), m_where(where) {}
    /// The throw site.
    [[nodiscard]] skystack::source_location const& where() const noexcept { return m_where; }
};

/// Sizes or boxes that do not fit (afw LengthError): mismatched dimensions, boxes outside an image.
class LengthError : public Error {
public:
    using Error::Error;
};

/// A parameter out of its domain (afw InvalidParameterError): negative weights, unknown names, bad config.
class InvalidParameterError : public Error {
public:
    using Error::Error;
};

/// A value that cannot be represented (afw OverflowError): boxes whose size overflows int.
class OverflowError : public Error {
public:
    using Error::Error;
};

/// A lookup that found nothing (afw NotFoundError): unknown mask plane, missing header keyword.
class NotFoundError : public Error {
public:
    using Error::Error;
};

/// A long operation stopped because its caller asked it to (a requested std::stop_token): no result is returned.
class CancelledError : public Error {
public:
    using Error::Error;
};

/// Any failure reading or writing files outside cfitsio (open, rename, short write).
class IoError : public Error {
public:
    using Error::Error;
};

/// A cfitsio failure, with the file, the HDU (1-based, 0 when unknown) and cfitsio's status code.
class FitsError : public IoError {
    std::string m_file;
    int m_hdu = 0;
    int m_status = 0;

public:
    FitsError(std::string const& what, std::string file, int hdu, int status,
              skystack::source_location where = skystack::source_location::current())
        : IoError(what, where), m_file(std::move(file)), m_hdu(hdu), m_status(status) {}
    [[nodiscard]] std::string const& file() const noexcept { return m_file; }
    [[nodiscard]] int hdu() const noexcept { return m_hdu; }
    [[nodiscard]] int status() const noexcept { return m_status; }
};

namespace detail {
/// Builds an exception message from streamable pieces: `throw LengthError(detail::msg("width ", w, " != ", v));`
template <class... Args>
std::string msg(Args const&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
} // namespace detail

} // namespace skystack
