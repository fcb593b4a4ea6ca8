#!/usr/bin/env bash
# Regenerates docs/activations.md and docs/img/<name>.png (f and f' of every activation on
# [-5, 5]) with tools/plot_activations/plot_activations and gnuplot (Debian: gnuplot-nox).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
command -v gnuplot >/dev/null || { echo "plot_activations.sh: gnuplot not found: apt-get install -y gnuplot-nox" >&2; exit 1; }
cmake --build "$BUILD_DIR" --target plot_activations -j"$(nproc)" >/dev/null
mkdir -p "$ROOT/docs/img"
"$BUILD_DIR/tools/plot_activations/plot_activations" "$ROOT/docs"
gnuplot "$ROOT/docs/img/plot.gp"
rm -f "$ROOT/docs/img/"*.dat "$ROOT/docs/img/plot.gp"
echo "wrote $ROOT/docs/activations.md and $(ls "$ROOT/docs/img/"*.png | wc -l) plots"
