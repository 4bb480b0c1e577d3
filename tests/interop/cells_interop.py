#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A skystack cell coadd read by astropy alone, checked against numpy computations from the inputs.

The helper writes three afw-layout inputs and the cell coadd built from them with explicit weights (1, 0.25, 2;
input 2 covers only part of the patch). Here, with astropy and numpy only: the grid cards, the stitched IMAGE and
VARIANCE against the weighted mean Σw·x/Σw and Σw²·V/(Σw)² of the inputs that cover each cell's outer box, the
per-cell mosaics against the stitched planes, and the provenance matrix.

Usage: cells_interop.py HELPER WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
from astropy.io import fits

helper, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
subprocess.run([helper, work], check=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def parent_bbox(hdu):
    h = hdu.header
    x0, y0 = int(h["CRVAL1A"]), int(h["CRVAL2A"])
    ny, nx = hdu.data.shape
    return x0, y0, nx, ny


inputs = []
for k in range(3):
    with fits.open(os.path.join(work, f"input_{k}.fits")) as f:
        inputs.append((parent_bbox(f["IMAGE"]), f["IMAGE"].data.astype(np.float64),
                       f["VARIANCE"].data.astype(np.float64)))
weights = [1.0, 0.25, 2.0]

with fits.open(os.path.join(work, "cells.fits")) as f:
    p = f[0].header
    gx0, gy0, gw, gh = p["GRMIN1"], p["GRMIN2"], p["GRSIZE1"], p["GRSIZE2"]
    cw, ch, border = p["GRCELL1"], p["GRCELL2"], p["GRBORDER"]
    nx, ny = p["GRSHAPE1"], p["GRSHAPE2"]
    check((gx0, gy0, gw, gh, cw, ch, border, nx, ny) == (100, 50, 70, 45, 20, 20, 5, 4, 3), "grid cards")
    check(p["NINPUTS"] == 3 and p["NNOISE"] == 1 and p["MFNAME01"] == "SAT", "counts and plane names")
    img, var = f["IMAGE"].data.astype(np.float64), f["VARIANCE"].data.astype(np.float64)
    check(parent_bbox(f["IMAGE"]) == (100, 50, 70, 45), "stitched xy0 and size")
    cells_img = f["CELLS/IMAGE"].data
    wmat = f["CELLS/WEIGHTS"].data
    check(wmat.shape == (nx * ny, 3), "provenance matrix shape")
    sx, sy = cw + 2 * border, ch + 2 * border
    for j in range(ny):
        for i in range(nx):
            ix0, iy0 = gx0 + i * cw, gy0 + j * ch
            ix1, iy1 = min(ix0 + cw, gx0 + gw), min(iy0 + ch, gy0 + gh)
            ox0, oy0, ox1, oy1 = ix0 - border, iy0 - border, ix1 + border, iy1 + border
            used = [k for k, ((x0, y0, w, h), _, _) in enumerate(inputs)
                    if x0 <= ox0 and y0 <= oy0 and x0 + w >= ox1 and y0 + h >= oy1]
            row = wmat[j * nx + i]
            check(all((row[k] == weights[k]) == (k in used) for k in range(3)), f"provenance of cell {i},{j}")
            sw = sum(weights[k] for k in used)
            num = np.zeros((iy1 - iy0, ix1 - ix0))
            vnum = np.zeros_like(num)
            for k in used:
                (x0, y0, _, _), im, va = inputs[k]
                num += weights[k] * im[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
                vnum += weights[k] ** 2 * va[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
            got = img[iy0 - gy0:iy1 - gy0, ix0 - gx0:ix1 - gx0]
            check(np.allclose(got, num / sw, rtol=1e-6, atol=1e-4), f"stitched image of cell {i},{j}")
            check(np.allclose(var[iy0 - gy0:iy1 - gy0, ix0 - gx0:ix1 - gx0], vnum / sw ** 2, rtol=1e-5),
                  f"stitched variance of cell {i},{j}")
            # the mosaic slot holds the cell's outer box; its inner part equals the stitched pixels
            slot = cells_img[j * sy:j * sy + (oy1 - oy0), i * sx:i * sx + (ox1 - ox0)]
            check(np.array_equal(slot[border:border + iy1 - iy0, border:border + ix1 - ix0],
                                 f["IMAGE"].data[iy0 - gy0:iy1 - gy0, ix0 - gx0:ix1 - gx0]),
                  f"mosaic slot of cell {i},{j}")
    check(f["NOISE_REALIZATIONS/0"].data.shape == (gh, gw), "noise plane shape")

print("cells interop:", "FAILED" if failures else "ok", f"({len(failures)} failures)")
sys.exit(1 if failures else 0)
