# SPDX-License-Identifier: MIT
"""Coadds from Python: one call from a list of inputs to (coadd, nImage, report).

Inputs may be MaskedImages, ``(image, mask, variance)`` numpy triples, or astropy ``NDData``/``CCDData`` objects
with a mask and an uncertainty (variance, standard deviation or inverse variance). Numpy planes of the right
dtype (float32/float64 image, int32/uint32 mask, float32 variance) are wrapped without a copy; others are
converted. The stacking runs in C++ with the GIL released.
"""

import numpy as np

from . import _skystack
from .exceptions import InvalidParameterError, LengthError
from .image import ImageD, ImageF, MaskedImageD, MaskedImageF, MaskX

__all__ = ["coadd", "to_masked_image"]

_STATS = ("mean", "weighted_mean", "sum", "min", "max", "median", "meanclip")


def _bad_bit():
    return MaskX.getPlaneBitMask("BAD")


def _mask_plane(mask, shape):
    if mask is None:
        return MaskX(np.zeros(shape, dtype=np.int32), deep=False)
    mask = np.asarray(mask)
    if mask.shape != shape:
        raise LengthError(f"mask shape {mask.shape} differs from the image's {shape}")
    if mask.dtype == np.bool_:  # astropy's boolean masks: True means bad
        return MaskX(np.where(mask, np.int32(_bad_bit()), np.int32(0)).astype(np.int32), deep=False)
    if mask.dtype in (np.int32, np.uint32) and mask.flags.writeable:
        return MaskX(mask, deep=False)
    return MaskX(mask.astype(np.int32), deep=False)


def _variance_from_uncertainty(unc, shape):
    kind = getattr(unc, "uncertainty_type", None)
    arr = np.asarray(unc.array, dtype=np.float64)
    if kind == "var":
        var = arr
    elif kind == "std":
        var = arr * arr
    elif kind == "ivar":
        with np.errstate(divide="ignore"):
            var = 1.0 / arr
    else:
        raise InvalidParameterError(f"unsupported uncertainty type {kind!r} (need var, std or ivar)")
    if var.shape != shape:
        raise LengthError(f"uncertainty shape {var.shape} differs from the image's {shape}")
    return var.astype(np.float32)


def to_masked_image(obj, dtype=None):
    """Converts one input of :func:`coadd` into a MaskedImageF/D (sharing memory where the dtypes allow)."""
    if isinstance(obj, (MaskedImageF, MaskedImageD)):
        return obj
    if hasattr(obj, "data") and hasattr(obj, "uncertainty") and not isinstance(obj, (tuple, list, np.ndarray)):
        data = np.asarray(obj.data)
        if obj.uncertainty is None:
            raise InvalidParameterError("an NDData input needs an uncertainty (the stack needs variances)")
        var = _variance_from_uncertainty(obj.uncertainty, data.shape)
        mask = getattr(obj, "mask", None)
    elif isinstance(obj, (tuple, list)) and len(obj) == 3:
        data, mask, var = (np.asarray(obj[0]), obj[1], obj[2])
        var = np.ones(data.shape, np.float32) if var is None else np.asarray(var)
    else:
        raise InvalidParameterError(f"cannot stack a {type(obj).__name__}: need a MaskedImage, an (image, mask, "
                                    "variance) triple or an NDData/CCDData with an uncertainty")
    if data.ndim != 2:
        raise LengthError(f"images must be 2-d, got shape {data.shape}")
    want = np.dtype(dtype) if dtype is not None else (np.dtype(np.float64) if data.dtype == np.float64
                                                       else np.dtype(np.float32))
    image_cls, mi_cls = (ImageD, MaskedImageD) if want == np.float64 else (ImageF, MaskedImageF)
    image = image_cls(data, deep=not (data.dtype == want and data.flags.writeable))
    if var.shape != data.shape:
        raise LengthError(f"variance shape {var.shape} differs from the image's {data.shape}")
    variance = ImageF(var, deep=not (var.dtype == np.float32 and var.flags.writeable))
    return mi_cls(image, _mask_plane(mask, data.shape), variance)


def coadd(inputs, statistic="meanclip", *, bbox=None, weights=None, scales=None, bad_mask_planes=None,
          bad_mask=0, mask_propagation_thresholds=None, nsigma=None, max_iter=None, nimage=True, threads=1,
          variance="inputs", progress=None):
    """Stacks ``inputs`` (see the module doc) into a coadd.

    statistic: mean, weighted_mean, sum, min, max, median or meanclip (AssembleCoadd's default flow).
    bbox: the output Box2I (default: the union of the inputs' boxes). weights/scales: one per input.
    progress: called as ``progress(done, total)`` with the GIL held; returning False stops the stack
    (CancelledError); an exception it raises stops the stack and is re-raised.
    Returns ``(coadd, nImage, report)``: a MaskedImage, an ImageU of accepted inputs per pixel (None unless
    nimage) and a dict (statistic, n_inputs, weights, bbox, threads).
    """
    if statistic not in _STATS:
        raise InvalidParameterError(f"unknown statistic {statistic!r}; expected one of {', '.join(_STATS)}")
    images = [to_masked_image(i) for i in inputs]
    if not images:
        raise LengthError("coadd: no inputs to stack")
    dtypes = {i.dtype for i in images}
    if len(dtypes) > 1:
        images = [i if i.dtype == np.float64 else to_masked_image(
            (i.image.array.astype(np.float64), i.mask.array, i.variance.array)) for i in images]
    st = _skystack.stack
    fn = st._coadd
    return fn(images, statistic, bbox, list(weights or []), list(scales or []),
              list(st.DEFAULT_BAD_MASK_PLANES if bad_mask_planes is None else bad_mask_planes), int(bad_mask),
              list(st.DEFAULT_MASK_PROPAGATION_THRESHOLDS if mask_propagation_thresholds is None
                   else mask_propagation_thresholds.items() if isinstance(mask_propagation_thresholds, dict)
                   else mask_propagation_thresholds),
              float(st.DEFAULT_NSIGMA if nsigma is None else nsigma),
              int(st.DEFAULT_MAX_ITER if max_iter is None else max_iter), bool(nimage), int(threads), variance,
              progress)
