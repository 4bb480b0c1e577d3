# SPDX-License-Identifier: MIT
"""skystack: afw-compatible images, statistics and stacking from Python.

The submodules follow the LSST pipelines' layout, so that ported code changes only its imports::

    import skystack.geom as geom            # lsst.geom
    import skystack.image as afwImage       # lsst.afw.image
    import skystack.math as afwMath         # lsst.afw.math
    import skystack.exceptions as pexExcept # lsst.pex.exceptions

and ``skystack.stack.coadd`` stacks MaskedImages, numpy triples or astropy NDData/CCDData.
"""

from . import exceptions
from . import geom, image, math, stack
from .stack import coadd

__version__ = "0.1.0"
__all__ = ["exceptions", "geom", "image", "math", "stack", "coadd"]
