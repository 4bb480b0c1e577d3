#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs dependencies, then configures, builds and tests the developer build, runs the
# FITS reader fuzzer for a bounded time, checks the build without cfitsio (the parts that differ: every header on
# its own, the tool and its test, the FITS example), and finally builds and tests the ASan+UBSan preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

echo "== developer build (-O2, all tests) =="
cmake --preset dev
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

if [ -d build/dev/python/skystack ]; then
  echo "== Python bindings (pytest with Debian's /usr/bin/python3) =="
  env PYTHONPATH=build/dev/python SKYSTACK_COADD_DRIVER="$PWD/build/dev/python/skystack_coadd_driver" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python
fi

if [ -f fuzz/CMakeLists.txt ]; then
  echo "== fuzzing the FITS reader (bounded) =="
  cmake --preset fuzz
  cmake --build --preset fuzz -j "$jobs"
  bash fuzz/run.sh build/fuzz "${SKYSTACK_FUZZ_SECONDS:-60}"
fi

echo "== without cfitsio (headers, tool, FITS example) =="
cmake --preset nofits
cmake --build --preset nofits -j "$jobs" --target skystack_header_check skystack-coadd test_cli example_fits_roundtrip
ctest --preset nofits -j "$jobs" -R "test_cli|fits_roundtrip"

echo "== ASan + UBSan build =="
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
