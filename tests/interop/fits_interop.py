#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""FITS interoperability between skystack and astropy, both ways.

1. skystack writes (fits_interop_helper write DIR); astropy reads and checks pixels, EXTNAME/EXTTYPE, the xy0
   "A" cards, MP_ mask-plane cards, BITPIX/BZERO and the user metadata, against values recomputed here.
2. astropy writes afw-layout, plain single-HDU and tile-compressed files; the helper prints what skystack reads
   (fits_interop_helper dump FILE KIND) and this script compares it with what astropy wrote.

Usage: fits_interop.py HELPER WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
from astropy.io import fits

# afw's default plane order, the order MaskPlanes::make_standard() uses
STANDARD = ["BAD", "SAT", "INTRP", "CR", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "SUSPECT", "NO_DATA", "VIGNETTED",
            "STREAK", "CROSSTALK", "UNMASKEDNAN", "CLIPPED"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def img_pattern(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return (x * 0.25 - y * 1.5 + 1e-3 * x * y).astype(np.float32)


def pixel_hdus(hdul):
    """HDUs with pixels, compressed ones included (astropy shows them as CompImageHDU)."""
    return [h for h in hdul if h.data is not None]


def check_skystack_files(d):
    w, h, x0, y0 = 7, 5, -5, 17
    y, x = np.mgrid[0:h, 0:w]
    bit = {n: i for i, n in enumerate(STANDARD)}
    bit["MY_CUSTOM_PLANE"] = len(STANDARD)
    mask = np.zeros((h, w), np.uint32)
    mask[(x + y) % 2 == 0] |= 1 << bit["CR"]
    mask[x == 0] |= 1 << bit["EDGE"]
    mask[x == y] |= 1 << bit["MY_CUSTOM_PLANE"]
    mask[4, 6] = 1 << bit["BAD"]
    for name in ["sk_mi.fits", "sk_mi_gz.fits"]:
        with fits.open(os.path.join(d, name)) as hdul:
            check(len(hdul) == 4, f"{name}: 4 HDUs, got {len(hdul)}")
            check(hdul[0].header["NAXIS"] == 0, f"{name}: empty primary")
            check(hdul[0].header.get("OBSERVER") == "skystack", f"{name}: OBSERVER in primary")
            check(hdul[0].header.get("EXPTIME") == 30.5, f"{name}: EXPTIME")
            check(hdul[0].header.get("NCOMBINE") == 12, f"{name}: NCOMBINE")
            for i, ext in enumerate(["IMAGE", "MASK", "VARIANCE"], start=1):
                hdr = hdul[i].header
                check(hdr.get("EXTNAME") == ext, f"{name}[{i}] EXTNAME {hdr.get('EXTNAME')} != {ext}")
                check(hdr.get("EXTTYPE") == ext, f"{name}[{i}] EXTTYPE")
                check(hdr.get("INHERIT") is True, f"{name}[{i}] INHERIT")
                check(hdr.get("CRPIX1A") == 1 and hdr.get("CRPIX2A") == 1, f"{name}[{i}] CRPIX*A")
                check(hdr.get("CRVAL1A") == x0 and hdr.get("CRVAL2A") == y0, f"{name}[{i}] CRVAL*A = xy0")
                check(hdr.get("CTYPE1A") == "LINEAR" and hdr.get("CUNIT2A") == "PIXEL", f"{name}[{i}] CTYPE/CUNIT")
            img, msk, var = hdul[1].data, hdul[2].data, hdul[3].data
            check(img.dtype == np.dtype(">f4") or img.dtype == np.float32, f"{name}: image float32 ({img.dtype})")
            check(np.array_equal(img, img_pattern(w, h)), f"{name}: image pixels")
            check(msk.dtype.kind == "i" and msk.dtype.itemsize == 4, f"{name}: mask int32 ({msk.dtype})")
            check(np.array_equal(msk.astype(np.int64) & 0xFFFFFFFF, mask.astype(np.int64)), f"{name}: mask pixels")
            check(np.array_equal(var, (x + 10 * y).astype(np.float32)), f"{name}: variance pixels")
            mhdr = hdul[2].header
            for n, b in bit.items():
                check(mhdr.get("MP_" + n) == b, f"{name}: MP_{n} = {mhdr.get('MP_' + n)} != {b}")
            if name.endswith("_gz.fits"):
                check(isinstance(hdul[1], fits.CompImageHDU), f"{name}: IMAGE is tile-compressed")
                check(hdul[1]._header.get("ZCMPTYPE") == "GZIP_2", f"{name}: GZIP_2")

    with fits.open(os.path.join(d, "sk_u16.fits")) as hdul:
        hdr = hdul[0].header
        check(hdr["BITPIX"] == 16 and hdr.get("BZERO") == 32768, "u16: BITPIX 16 + BZERO 32768")
        y, x = np.mgrid[0:4, 0:6]
        check(np.array_equal(hdul[0].data, 60000 + x + 7 * y), "u16 pixels")
        check(hdul[0].data.dtype == np.uint16, f"u16 dtype {hdul[0].data.dtype}")
        check(hdr.get("CRVAL1A") == 3 and hdr.get("CRVAL2A") == 4, "u16 xy0")
    with fits.open(os.path.join(d, "sk_i32_rice.fits")) as hdul:
        (hdu,) = pixel_hdus(hdul)
        check(isinstance(hdu, fits.CompImageHDU) and hdu._header.get("ZCMPTYPE") == "RICE_1", "i32 RICE_1")
        y, x = np.mgrid[0:4, 0:6]
        check(np.array_equal(hdu.data, -1000 + 31 * x - 17 * y), "i32 rice pixels")


def afw_hdu(data, extname, x0, y0, extra=()):
    hdr = fits.Header()
    hdr["EXTTYPE"] = extname
    hdr["INHERIT"] = True
    for k, v in (("CRPIX1A", 1), ("CRPIX2A", 1), ("CRVAL1A", x0), ("CRVAL2A", y0), ("CTYPE1A", "LINEAR"),
                 ("CTYPE2A", "LINEAR"), ("CUNIT1A", "PIXEL"), ("CUNIT2A", "PIXEL")) + tuple(extra):
        hdr[k] = v
    return fits.ImageHDU(data=data, header=hdr, name=extname)


def parse_dump(text):
    planes, out, meta, cur = {}, {}, {}, None
    for line in text.splitlines():
        parts = line.split()
        if parts[0] in ("image", "mask", "variance"):
            cur = parts[0]
            out[cur] = {"bbox": tuple(int(v) for v in parts[1:5]), "rows": []}
        elif parts[0] == "plane":
            planes[parts[1]] = int(parts[2])
        elif parts[0] == "meta":
            meta[parts[1]] = " ".join(parts[2:])
        else:
            out[cur]["rows"].append([float(v) if cur != "mask" else int(v) for v in parts])
    return out, planes, meta


def dump(helper, path, kind):
    r = subprocess.run([helper, "dump", path, kind], capture_output=True, text=True)
    check(r.returncode == 0, f"helper dump {path}: {r.stderr.strip()}")
    return parse_dump(r.stdout) if r.returncode == 0 else ({}, {}, {})


def check_astropy_files(helper, d):
    rng = np.random.default_rng(42)
    w, h, x0, y0 = 9, 6, 250, -40
    img = rng.normal(size=(h, w)).astype(np.float32)
    var = rng.uniform(1, 2, size=(h, w)).astype(np.float32)
    # a file layout different from the standard registry: CR at bit 0, BAD at bit 3, a plane skystack lacks at 5
    file_bits = {"CR": 0, "BAD": 3, "ASTROPY_ONLY_PLANE": 5, "SAT": 9}
    msk = rng.integers(0, 2, size=(h, w, len(file_bits)))
    mask = np.zeros((h, w), np.int32)
    for k, b in enumerate(file_bits.values()):
        mask |= (msk[:, :, k] << b).astype(np.int32)
    mp = tuple(("HIERARCH MP_" + n if len(n) > 5 else "MP_" + n, b) for n, b in file_bits.items())
    prim = fits.PrimaryHDU()
    prim.header["ORIGIN"] = "astropy"
    hdul = fits.HDUList([prim, afw_hdu(img, "IMAGE", x0, y0), afw_hdu(mask, "MASK", x0, y0, mp),
                         afw_hdu(var, "VARIANCE", x0, y0)])
    path = os.path.join(d, "ap_mi.fits")
    hdul.writeto(path, overwrite=True)

    out, planes, meta = dump(helper, path, "masked")
    if out:
        check(out["image"]["bbox"] == (x0, y0, w, h), f"astropy MI bbox {out['image']['bbox']}")
        check(np.array_equal(np.array(out["image"]["rows"], np.float32), img), "astropy MI image pixels")
        check(np.array_equal(np.array(out["variance"]["rows"], np.float32), var), "astropy MI variance pixels")
        # expected: the standard registry, plus ASTROPY_ONLY_PLANE at the first free bit (14)
        exp_bits = {n: i for i, n in enumerate(STANDARD)}
        exp_bits["ASTROPY_ONLY_PLANE"] = len(STANDARD)
        check(all(planes.get(n) == b for n, b in exp_bits.items()), f"conformed planes {planes}")
        expect = np.zeros((h, w), np.int64)
        for k, n in enumerate(file_bits):
            expect |= msk[:, :, k].astype(np.int64) << exp_bits[n]
        check(np.array_equal(np.array(out["mask"]["rows"], np.int64), expect), "astropy MI mask conformed")
        check(meta.get("ORIGIN") == "astropy", f"metadata from the primary: {meta}")

    # a plain single-HDU image, as other tools write it: no xy0 cards, data in the primary
    plain = rng.normal(size=(5, 8))
    path = os.path.join(d, "ap_plain.fits")
    fits.PrimaryHDU(plain).writeto(path, overwrite=True)
    out, _, _ = dump(helper, path, "float")
    if out:
        check(out["image"]["bbox"] == (0, 0, 8, 5), "plain image bbox")
        check(np.array_equal(np.array(out["image"]["rows"]), plain), "plain float64 pixels")

    # tile-compressed integer and uint16 images, as astropy's CompImageHDU writes them
    ints = rng.integers(-30000, 30000, size=(7, 11)).astype(np.int32)
    path = os.path.join(d, "ap_rice.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(ints, compression_type="RICE_1")]).writeto(path, overwrite=True)
    out, _, _ = dump(helper, path, "int")
    if out:
        check(np.array_equal(np.array(out["image"]["rows"], np.int64), ints), "astropy RICE_1 int32 pixels")
    u16 = rng.integers(0, 65535, size=(4, 6)).astype(np.uint16)
    path = os.path.join(d, "ap_u16.fits")
    fits.PrimaryHDU(u16).writeto(path, overwrite=True)
    out, _, _ = dump(helper, path, "int")
    if out:
        check(np.array_equal(np.array(out["image"]["rows"], np.int64), u16), "astropy uint16 (BZERO) pixels")


def main():
    helper, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    r = subprocess.run([helper, "write", d], capture_output=True, text=True)
    check(r.returncode == 0, f"helper write: {r.stderr.strip()}")
    if r.returncode == 0:
        check_skystack_files(d)
    check_astropy_files(helper, d)
    if failures:
        print(f"{len(failures)} interop check(s) failed")
        return 1
    print("fits interop: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
