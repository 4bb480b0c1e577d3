# SPDX-License-Identifier: MIT
"""Times skystack.coadd from Python on the inputs bench_cpp_coadd.cpp builds (same formula), for the ratio
Python / C++ reported in docs/python.md. Also times `import skystack` in a fresh interpreter.

usage: PYTHONPATH=build/dev/python /usr/bin/python3 python/bench/bench_coadd.py [N W]
"""

import subprocess
import sys
import time

import numpy as np

import skystack


def inputs(n, w):
    y, x = np.mgrid[0:w, 0:w]
    out = []
    for k in range(n):
        img = (100 + (x * 7 + y * 13 + k * 31) % 17).astype(np.float32)
        out.append((img, np.zeros((w, w), np.int32), np.ones((w, w), np.float32)))
    return out


def main():
    n, w = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (32, 2048)
    triples = inputs(n, w)
    wrapped = [skystack.stack.to_masked_image(t) for t in triples]  # zero-copy wrap of numpy arrays
    native = []  # skystack-allocated planes (64-byte aligned, padded rows), filled from numpy
    for img, mask, var in triples:
        mi = skystack.image.MaskedImageF(skystack.geom.Extent2I(w, w))
        mi.image.array[:], mi.mask.array[:], mi.variance.array[:] = img, mask, var
        native.append(mi)
    for statistic in ("mean", "meanclip"):
        for label, images in (("numpy-wrapped", wrapped), ("skystack-owned", native)):
            best, best_cpu = float("inf"), float("inf")
            for _ in range(3):
                t0, c0 = time.perf_counter(), time.process_time()
                skystack.coadd(images, statistic)
                best = min(best, time.perf_counter() - t0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            print(f"python coadd {statistic:9s} {label:14s} {n} x {w}^2: {best * 1e3:8.1f} ms wall, "
                  f"{best_cpu * 1e3:8.1f} ms cpu (best of 3)")
    times = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import skystack"], capture_output=True,
                             text=True, check=True).stderr.strip().splitlines()
        times.append(int(out[-1].split("|")[1]) / 1e6)  # cumulative microseconds of the top-level import
    print(f"import skystack: {min(times) * 1e3:.0f} ms (best of 5, numpy included)")


if __name__ == "__main__":
    main()
