#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the FITS reader fuzzer for a bounded time. Exits non-zero when libFuzzer finds a crash, leak, timeout or
# sanitizer report (the reproducer is left in <build>/fuzz/artifacts/).
# Usage: fuzz/run.sh <build-dir> [seconds]     e.g. fuzz/run.sh build/fuzz 60
set -euo pipefail
build=${1:?usage: run.sh <build-dir> [seconds]}
secs=${2:-60}
fz="$build/fuzz"
bin="$fz/fuzz_fits_reader"
[ -x "$bin" ] || { echo "run.sh: $bin not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2; exit 2; }
mkdir -p "$fz/seeds" "$fz/corpus" "$fz/artifacts"
if [ -z "$(ls -A "$fz/seeds")" ]; then
  "$fz/fuzz_fits_seeds" "$fz/seeds" >/dev/null
fi
# libFuzzer counts its own start-up; leave a margin so the whole run stays within $secs.
budget=$(( secs > 20 ? secs - 10 : (secs > 2 ? secs / 2 : 1) ))
# cfitsio is not instrumented and checks malloc failures itself: let huge requests fail instead of aborting.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "fuzzing the FITS reader for ${budget}s (corpus $fz/corpus, seeds $fz/seeds)"
set +e
timeout -k 5 "$secs" "$bin" -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$fz/artifacts/" "$fz/corpus" "$fz/seeds" "$(dirname "$0")/regressions" 2>"$fz/fuzz.log"
rc=$?
set -e
tail -n 15 "$fz/fuzz.log"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "run.sh: the fuzzer overran its ${secs}s budget (hang?)" >&2
  exit 1
fi
if [ $rc -ne 0 ]; then
  echo "run.sh: the fuzzer found a problem (rc $rc); see $fz/fuzz.log and $fz/artifacts/" >&2
  exit $rc
fi
echo "run.sh: no crash in ${budget}s"
