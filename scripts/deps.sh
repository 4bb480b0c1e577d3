#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs skystack's build and test dependencies from Debian 12's packages when any is missing (idempotent:
# does nothing, quickly, when all are present). Needs root (or sudo) only when something must be installed.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libeigen3-dev libxsimd-dev libcfitsio-dev doctest-dev libbenchmark-dev
      libcli11-dev libpng-dev nlohmann-json3-dev
      python3 python3-numpy python3-astropy python3-pytest pybind11-dev
      clang libclang-rt-14-dev clang-format)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
