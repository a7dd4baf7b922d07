#!/usr/bin/env bash
# scripts/fuzz.sh - build the fuzz targets with clang + libFuzzer, under
# AddressSanitizer and UndefinedBehaviorSanitizer, and run them.
#
#   scripts/fuzz.sh                 every target for 60 s
#   scripts/fuzz.sh 300             every target for 300 s
#   scripts/fuzz.sh 120 session     one target (or several) for 120 s
#   scripts/fuzz.sh --list          the target names
#
# The targets and their checks: tests/fuzz/ and docs/security.md
# ("Fuzzing"). The build goes to build-fuzz/. Each target starts from its
# seeds (tests/fuzz/corpus/NAME/) plus what earlier runs found, which is
# kept in build-fuzz/corpus/NAME/ - a work copy, never the repository:
# add a file to tests/fuzz/corpus/ by hand only when it is worth a
# regression test (a crash that was fixed, a new kind of input).
#
# For each target it prints the executions, executions per second and the
# new corpus entries. It exits 1 if any target crashed, leaked, hung or
# broke an invariant, and names each reproducer; replay one with
#   build-fuzz/tests/fuzz/fuzz-NAME build-fuzz/crashes/NAME/crash-...
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

targets_all=(session path wire smtp_reply base64 mime routes users queue bounce)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${targets_all[@]}"
  exit 0
fi
seconds=${1:-60}
case $seconds in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]   (or --list)" >&2; exit 2 ;;
esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
for t in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t' (see --list)" >&2; exit 2; }
done

# libFuzzer ships with clang's runtime libraries (Debian 12: libclang-rt-14-dev,
# which scripts/setup.sh test installs).
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (scripts/setup.sh test)" >&2; exit 1; }
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "fuzz.sh: clang cannot link libFuzzer: install libclang-rt-14-dev (scripts/setup.sh test)" >&2
  exit 1
fi

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=enabled -Dgui=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
programs=()
for t in "${targets[@]}"; do programs+=("tests/fuzz/fuzz-$t"); done
if ! build_log=$(ninja -C build-fuzz "${programs[@]}" 2>&1); then
  echo "$build_log" | grep -v '^\[' | tail -40
  echo "fuzz.sh: the fuzz build failed (above)" >&2
  exit 1
fi

# A sanitizer report must stop the target, so that libFuzzer saves the input.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$here/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Longest input per target: room for a whole SMTP session or a message;
# the line splitter gets more than its 16 KiB buffer.
max_len() {
  case $1 in
    session | mime) echo 16384 ;;
    wire) echo 40000 ;;
    *) echo 4096 ;;
  esac
}
dictionary() {
  case $1 in
    session | wire | smtp_reply) echo "-dict=tests/fuzz/smtp.dict" ;;
    mime) echo "-dict=tests/fuzz/mime.dict" ;;
  esac
}

printf '%-11s %8s %12s %9s %8s  %s\n' target seconds executions exec/s "new" result
failed=0
reproducers=()
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  crashes=build-fuzz/crashes/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$work" "$crashes" build-fuzz/logs
  before=$(find "$work" -type f | wc -l)
  status=0
  # The work copy first: libFuzzer adds what it finds to the first folder.
  # -timeout: one input may take 10 s at most (a hang is a bug too).
  build-fuzz/tests/fuzz/fuzz-"$t" "$work" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" $(dictionary "$t") \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  after=$(find "$work" -type f | wc -l)
  result=ok
  if [ "$status" -ne 0 ]; then
    failed=1
    result="FAILED (exit $status, log $log)"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    [ -n "$artifact" ] && reproducers+=("$t: $artifact")
  fi
  printf '%-11s %8s %12s %9s %8s  %s\n' "$t" "$seconds" "${runs:-?}" "${rate:-?}" \
    "$((after - before))" "$result"
done

if [ $failed -ne 0 ]; then
  echo "fuzz.sh: a target failed; the reproducers (replay: build-fuzz/tests/fuzz/fuzz-NAME FILE):" >&2
  printf '  %s\n' "${reproducers[@]:-"(none written: see the logs)"}" >&2
  exit 1
fi
