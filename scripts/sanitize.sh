#!/usr/bin/env bash
# CI step: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer. Builds xgrad
# with clang 14 in the sanitizer build directory it shares with scripts/fuzz.sh (build-asan/, or
# $ASAN_BUILD_DIR; installs clang-14 and libclang-rt-14-dev when missing) and runs ctest there;
# any sanitizer report fails the test that triggered it.
set -euo pipefail
BUILD_DIR="${ASAN_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-asan}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, step, build_targets (log in $BUILD_DIR/logs)

configure_sanitizer_build
build_targets "build (ASan + UBSan, clang)"
# detect_leaks: a leak fails the run too.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}" \
UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 1500
