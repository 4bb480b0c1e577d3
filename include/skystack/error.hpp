// SPDX-License-Identifier: MIT
#pragma once

#include <source_location>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace skystack {

/// Base of every exception skystack throws. Records where it was thrown, like afw's LSST_EXCEPT.
class Error : public std::runtime_error {
    std::source_location m_where;

public:
    explicit Error(std::string const& what, std::source_location where = std::source_location::current())
        : std::runtime_error(what), m_where(where) {}
    /// The throw site.
    [[nodiscard]] std::source_location const& where() const noexcept { return m_where; }
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
              std::source_location where = std::source_location::current())
        : IoError(what, where), m_file(std::move(file)), m_hdu(hdu), m_status(status) {}
    [[nodiscard]] std::string const& file() const noexcept { return m_file; }
    [[nodiscard]] int hdu() const noexcept { return m_hdu; }
    [[nodiscard]] int status() const noexcept { return m_status; }
};

namespace detail {
/// Builds an exception message from streamable pieces: `throw LengthError(detail::msg("width ", w, " != ", v));`
template <class... Args> std::string msg(Args const&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
} // namespace detail

} // namespace skystack
