#!/usr/bin/env bash
# README command 2: install dependencies, build, and run the whole test suite with ctest.
# Extra arguments go to CMake's configure step (CI passes -DXGRAD_WERROR=ON).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

bash "$ROOT/scripts/build.sh" "$@"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 600
