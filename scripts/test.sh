#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs dependencies, then configures, builds and tests the release preset (what the
# README tells users to build), installs it into a temporary prefix and builds the consumer project against that
# prefix, runs the FITS reader fuzzer for a bounded time, checks the build without cfitsio (the parts that differ:
# every header on its own, the tool and its test, the FITS example), and finally builds and tests the ASan+UBSan
# preset (debug assertions on). The dev preset is the developer's incremental build; CI does not build it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

echo "== release build (-O3 -march=native, -Werror, all tests) =="
cmake --preset release
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

echo "== install into a temporary prefix, build a consumer against it =="
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install build/release --prefix "$scratch/prefix"
test -x "$scratch/prefix/bin/skystack-coadd"
"$scratch/prefix/bin/skystack-coadd" --help > /dev/null
cmake -S tests/package/consumer -B "$scratch/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix"
cmake --build "$scratch/consumer"
"$scratch/consumer/consumer"

if [ -d build/release/python/skystack ]; then
  echo "== Python bindings (pytest with Debian's /usr/bin/python3) =="
  env PYTHONPATH=build/release/python SKYSTACK_COADD_DRIVER="$PWD/build/release/python/skystack_coadd_driver" \
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
