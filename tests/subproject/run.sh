#!/usr/bin/env bash
# run.sh SOURCE_DIR WORK_DIR: configures tests/subproject (a parent project using
# add_subdirectory(xgrad)) without and with a build type; only configures, builds nothing.
set -euo pipefail
src="$1" work="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$work" && mkdir -p "$work"

out="$(cmake -S "$here" -B "$work/none" -DXGRAD_SOURCE_DIR="$src" 2>&1)"
grep -q "parent build type: ''" <<<"$out" || { echo "xgrad changed the parent's build type:"; echo "$out"; exit 1; }
warnings="$(grep -c "xgrad: this project's build type is none" <<<"$out" || true)"
[[ "$warnings" == 1 ]] || { echo "expected one warning about the missing optimisation, got $warnings:"; echo "$out"; exit 1; }

out="$(cmake -S "$here" -B "$work/release" -DXGRAD_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release 2>&1)"
grep -q "parent build type: 'Release'" <<<"$out" || { echo "$out"; exit 1; }
if grep -q "xgrad: this project's build type" <<<"$out"; then echo "unexpected warning:"; echo "$out"; exit 1; fi
echo "subproject: build type left to the parent, one warning when unoptimised"
