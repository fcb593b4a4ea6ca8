#!/usr/bin/env bash
# run.sh BUILD_DIR WORK_DIR: installs the built xgrad into WORK_DIR/prefix, then configures,
# builds and runs tests/consumer against it with find_package(xgrad).
set -euo pipefail
build="$1" work="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
