#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails when a tracked C++ file differs from the repository's .clang-format. Skipped (exit 0 with a note) when
# clang-format or git is not available.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null && command -v git >/dev/null && [ -d .git ] || { echo "format check skipped"; exit 0; }
files=$(git ls-files '*.hpp' '*.cpp' '*.h' '*.ipp')
out=$(echo "$files" | xargs clang-format --dry-run 2>&1 | grep 'warning:' || true)
if [ -n "$out" ]; then
  echo "$out" | cut -d: -f1 | sort | uniq -c
  echo "run: git ls-files '*.hpp' '*.cpp' | xargs clang-format -i"
  exit 1
fi
echo "format ok ($(echo "$files" | wc -l) files)"
