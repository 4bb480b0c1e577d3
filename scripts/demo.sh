#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: installs dependencies, builds the release tools and runs skystack-coadd on its embedded synthetic
# stack, writing the coadd FITS, a PNG preview and a report under ./out/demo (or the directory given as $1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
out="${1:-out/demo}"
cmake --preset release -DSKYSTACK_BUILD_TESTS=OFF -DSKYSTACK_BUILD_BENCHMARKS=OFF >/dev/null
if [ -f tools/CMakeLists.txt ]; then
  cmake --build --preset release --target skystack-coadd
  ./build/release/tools/skystack-coadd --demo --output "$out"
else
  cmake --build --preset release
  for e in build/release/examples/example_*; do "$e"; done
fi
