#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs dependencies, then configures, builds and tests the developer build, runs the
# FITS reader fuzzer for a bounded time, and finally builds and tests the ASan+UBSan preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

echo "== developer build (-O2, all tests) =="
cmake --preset dev
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

if [ -f fuzz/CMakeLists.txt ]; then
  echo "== fuzzing the FITS reader (bounded) =="
  cmake --preset fuzz
  cmake --build --preset fuzz -j "$jobs"
  bash fuzz/run.sh build/fuzz "${SKYSTACK_FUZZ_SECONDS:-60}"
fi

echo "== ASan + UBSan build =="
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
