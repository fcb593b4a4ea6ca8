#!/usr/bin/env bash
# README command 2: installs missing Debian packages, builds everything (library, command line,
# tests, examples) and runs the whole test suite with ctest. Extra arguments go to ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$ROOT/scripts/build.sh"
run() { if [[ "$(id -u)" == 0 && -n "${SUDO_USER:-}" ]]; then sudo -u "$SUDO_USER" "$@"; else "$@"; fi; }
step "test: ctest, $(nproc) in parallel"
run ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 900 "$@"
