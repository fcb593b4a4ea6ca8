#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the main demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

bash "$ROOT/scripts/build.sh"
echo
echo "== xgrad demo: an XOR network trained from raw ops =="
"$BUILD_DIR/examples/xor_raw_ops"
