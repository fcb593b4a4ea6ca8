#!/usr/bin/env bash
# CI step: the libFuzzer targets of tests/fuzz/, each run for FUZZ_SECONDS (default 60) starting
# from its committed seed corpus (tests/fuzz/corpus/<target>/), as many at once as there are
# cores. Builds them with clang, AddressSanitizer and UBSan in the sanitizer build directory it
# shares with scripts/sanitize.sh (build-asan/, or $ASAN_BUILD_DIR; after sanitize.sh there is
# nothing left to build); installs clang-14 and libclang-rt-14-dev when missing (as root;
# otherwise prints the apt-get line).
# Inputs found along the way stay in build-asan/corpus/<target>/; a crash, leak, timeout or
# out-of-memory input is saved as build-asan/artifacts/<target>-crash-... and fails the run:
# reproduce it with
#   build-asan/tests/fuzz/fuzz_<target> build-asan/artifacts/<target>-crash-...
# and turn it into a regression test of the normal suite.
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh safetensors    # one target, longer
set -euo pipefail
BUILD_DIR="${ASAN_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-asan}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, step, build_targets (log in $BUILD_DIR/logs)
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
# The targets (tests/fuzz/fuzz_<name>.cpp).
TARGETS=(safetensors model checkpoint csv cli)
(($# > 0)) && TARGETS=("$@")

configure_sanitizer_build
build_targets "build (fuzz targets)" "${TARGETS[@]/#/fuzz_}"

mkdir -p "$BUILD_DIR/artifacts"
# The targets write each input to a temporary file (the readers take paths) and the safetensors
# one saves what loads (with fsync): in memory that is 10x faster than on disk.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm

# fuzz_one TARGET: one libFuzzer process, its output in build-asan/fuzz_TARGET.log.
fuzz_one() {
  local target="$1" corpus="$BUILD_DIR/corpus/$1"  # grows; the committed seeds stay as they are
  mkdir -p "$corpus"
  # -rss_limit_mb: an input that makes the reader allocate gigabytes is a finding too.
  "$BUILD_DIR/tests/fuzz/fuzz_$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$target-" \
    "$corpus" "$ROOT/tests/fuzz/corpus/$target" 2>"$BUILD_DIR/fuzz_$target.log"
}

# One target per core at a time (each libFuzzer process is single-threaded): on 2 cores the five
# take three rounds of FUZZ_SECONDS instead of five, with the same time for each.
jobs_at_once="$(nproc)"
pids=()
for target in "${TARGETS[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs_at_once)); do wait -n || true; done
  echo "== fuzz_$target: ${SECONDS_PER_TARGET} s from $(ls "$ROOT/tests/fuzz/corpus/$target" | wc -l) seeds"
  fuzz_one "$target" &
  pids+=("$!")
done

failed=0
for i in "${!TARGETS[@]}"; do
  target="${TARGETS[$i]}" log="$BUILD_DIR/fuzz_${TARGETS[$i]}.log"
  if wait "${pids[$i]}"; then  # bash keeps the status of a process reaped by `wait -n` above
    echo "fuzz_$target:"
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "$log" | tail -3
  else
    tail -n 60 "$log" >&2
    echo "fuzz.sh: fuzz_$target found a failing input: $(ls -t "$BUILD_DIR/artifacts/$target-"* 2>/dev/null | head -1)" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1
echo "fuzz.sh: no finding in ${#TARGETS[@]} target(s) x ${SECONDS_PER_TARGET} s"
