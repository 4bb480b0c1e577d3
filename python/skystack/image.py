# SPDX-License-Identifier: MIT
"""Images, masks and masked images with lsst.afw.image's names.

``ImageF`` etc. are the concrete classes; ``Image``, ``MaskedImage`` dispatch on ``dtype`` (afw's
``Image(bbox, dtype=np.float32)``) and support ``isinstance`` and ``Image[np.float32]``. ``Mask`` is ``MaskX``.
"""

import numpy as np

from ._skystack.image import (LOCAL, PARENT, HAVE_FITS, ImageD, ImageF, ImageI, ImageOrigin, ImageU, MaskedImageD,
                              MaskedImageF, MaskedImageI, MaskedImageU, MaskX)

__all__ = ["Image", "ImageU", "ImageI", "ImageF", "ImageD", "Mask", "MaskX", "MaskedImage", "MaskedImageU",
           "MaskedImageI", "MaskedImageF", "MaskedImageD", "ImageOrigin", "PARENT", "LOCAL", "makeMaskedImage",
           "MaskPixel", "VariancePixel", "HAVE_FITS"]

MaskPixel = np.int32
VariancePixel = np.float32
Mask = MaskX


class _TemplateMeta(type):
    """A stand-in for afw's TemplateMeta: calling picks the concrete class by dtype."""

    def __call__(cls, *args, dtype=None, **kwargs):
        if dtype is None:
            first = args[0] if args else kwargs.get("array")
            dtype = first.dtype if isinstance(first, np.ndarray) or hasattr(first, "dtype") else np.float32
        return cls[dtype](*args, **kwargs)

    def __getitem__(cls, dtype):
        try:
            return cls._types[np.dtype(dtype)]
        except KeyError:
            raise TypeError(f"no {cls.__name__} for dtype {np.dtype(dtype)}") from None

    def __instancecheck__(cls, obj):
        return isinstance(obj, tuple(cls._types.values()))


class Image(metaclass=_TemplateMeta):
    """``Image(...)`` is ``ImageF(...)``, or the class of ``dtype``/the array's dtype."""

    _types = {np.dtype(np.uint16): ImageU, np.dtype(np.int32): ImageI, np.dtype(np.float32): ImageF,
              np.dtype(np.float64): ImageD}


class MaskedImage(metaclass=_TemplateMeta):
    """``MaskedImage(...)`` is ``MaskedImageF(...)``, or the class of ``dtype``/the image's dtype."""

    _types = {np.dtype(np.uint16): MaskedImageU, np.dtype(np.int32): MaskedImageI,
              np.dtype(np.float32): MaskedImageF, np.dtype(np.float64): MaskedImageD}


def makeMaskedImage(image, mask=None, variance=None):
    """A MaskedImage sharing the given planes (afw.image.makeMaskedImage)."""
    return MaskedImage[image.dtype](image, mask, variance)
