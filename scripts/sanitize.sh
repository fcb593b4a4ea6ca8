#!/usr/bin/env bash
# CI step: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer. Builds xgrad
# with XGRAD_SANITIZE=ON in its own directory (build-asan/, or $ASAN_BUILD_DIR) and runs ctest
# there; any sanitizer report fails the test that triggered it.
set -euo pipefail
BUILD_DIR="${ASAN_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-asan}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, step, build_targets (log in $BUILD_DIR/logs)
JOBS="$(nproc)"

bash "$ROOT/scripts/install-deps.sh"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 -g1 (line tables): readable reports at half the compile time of -O2 -g, which CI pays.
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DXGRAD_SANITIZE=ON "${launcher[@]}" >/dev/null
ensure_build_dir_writable
build_targets "build (ASan + UBSan)"
# detect_leaks: a leak fails the run too.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}" \
UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" --timeout 1500
