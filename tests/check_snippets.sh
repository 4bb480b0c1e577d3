#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails when a `@snippet <file> <name>` reference in README.md or docs/ names a file that does not exist or a
# snippet that the file does not mark with a pair of `//! [name]` lines. The examples are built and run as tests,
# so every snippet the docs show compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
n=0
while IFS= read -r ref; do
  file=$(echo "$ref" | awk '{print $2}')
  name=$(echo "$ref" | cut -d' ' -f3- | sed 's/[)]*$//')
  n=$((n + 1))
  if [ ! -f "$file" ]; then
    echo "missing file: $ref"; bad=1; continue
  fi
  count=$(grep -cF "//! [$name]" "$file" || true)
  if [ "$count" -ne 2 ]; then
    echo "snippet '$name' marked $count times (need 2) in $file"; bad=1
  fi
done < <(grep -ohE '@snippet [^ )]+ [^)`]+' README.md docs/*.md docs/**/*.md 2>/dev/null | sort -u)
[ "$bad" -eq 0 ] || exit 1
echo "snippets ok ($n references)"
