#!/usr/bin/env bash
# scripts/test.sh - install what is missing, build, and run every test:
# first the normal build, then the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer (a build of its own in build-asan/).
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    skip the sanitizer run and the fuzz smoke run
#
# The full run ends with every fuzz target for 5 s under libFuzzer, ASan and
# UBSan (scripts/fuzz.sh, build-fuzz/): about 2 minutes with its build.
# MAILWALK_FUZZ_SECONDS changes the 5; 0 leaves the fuzz run out.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/setup.sh test

echo "== tests (build/)"
meson test -C build --print-errorlogs

if [ "${1:-}" != --quick ]; then
  echo "== tests under ASan+UBSan (build-asan/)"
  if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debug >/dev/null
  fi
  # Quiet when it builds; the compiler's messages when it does not.
  if ! build_log=$(ninja -C build-asan 2>&1); then
    echo "$build_log" | grep -v '^\[' | tail -40
    echo "test.sh: the ASan+UBSan build failed (above)" >&2
    exit 1
  fi
  # Any sanitizer report fails the test it happened in.
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
  export LSAN_OPTIONS=suppressions=$here/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  # The labs' proofs are left out here: every lab program is built with
  # ASan+UBSan (and LeakSanitizer) in every build, so the normal run above
  # already graded them sanitized (labs/meson.build); this saves CI minutes.
  meson test -C build-asan --print-errorlogs --no-suite labs-proof

  fuzz_seconds=${MAILWALK_FUZZ_SECONDS:-5}
  if [ "$fuzz_seconds" != 0 ]; then
    echo "== fuzz targets, ${fuzz_seconds} s each, under ASan+UBSan (build-fuzz/)"
    scripts/fuzz.sh "$fuzz_seconds"
  fi
fi
