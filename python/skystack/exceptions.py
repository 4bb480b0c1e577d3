# SPDX-License-Identifier: MIT
"""Exceptions with lsst.pex.exceptions' names.

As in afw's bindings, each also derives from the matching Python built-in, so code written either way catches
them: ``except pex.LengthError`` and ``except ValueError`` both see a size mismatch.
"""

import builtins

__all__ = ["Exception", "LogicError", "DomainError", "InvalidParameterError", "LengthError", "OutOfRangeError",
           "TypeError", "RuntimeError", "RangeError", "OverflowError", "UnderflowError", "NotFoundError",
           "IoError", "FitsError", "CancelledError"]


class Exception(builtins.Exception):  # noqa: A001 - the name lsst.pex.exceptions uses
    """Base of every skystack exception (lsst.pex.exceptions.Exception)."""


class LogicError(Exception):
    """A programming error that could have been detected before the call (bad argument, size, index)."""


class DomainError(LogicError, builtins.ValueError):
    """An argument outside the domain of a function."""


class InvalidParameterError(LogicError, builtins.ValueError):
    """An argument with an invalid value (unknown mask plane, bad flag, bad configuration)."""


class LengthError(LogicError, builtins.ValueError):
    """Sizes that do not match, or a box that is not inside an image."""


class OutOfRangeError(LogicError, builtins.IndexError):
    """An index (a pixel position, a mask bit) outside the valid range."""


class TypeError(LogicError, builtins.TypeError):  # noqa: A001
    """An argument of the wrong type (a numpy dtype that cannot be wrapped without a copy)."""


class RuntimeError(Exception, builtins.RuntimeError):  # noqa: A001
    """An error only detectable at run time (incompatible mask dictionaries)."""


class RangeError(RuntimeError, builtins.ValueError):
    """A result outside the representable range."""


class OverflowError(RuntimeError, builtins.OverflowError):  # noqa: A001
    """A value that does not fit its type (a coordinate beyond int)."""


class UnderflowError(RuntimeError, builtins.ArithmeticError):
    """A result too small to represent."""


class NotFoundError(Exception, builtins.LookupError):
    """Something looked up by name that does not exist."""


class IoError(RuntimeError, builtins.OSError):
    """A file could not be read or written."""


class FitsError(IoError):
    """cfitsio reported an error (the message names the file and HDU)."""


class CancelledError(RuntimeError):
    """A stack was stopped (a progress callback returned False)."""
