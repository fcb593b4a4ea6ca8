#!/usr/bin/env bash
# bench/scaling.sh [RESULTS_FILE]: how a training step's cost grows with the network, for xgrad
# and libtorch, and a plot of it (docs/scaling.png).
#
# The networks are the scaling family of bench/workloads.hpp: `depth` Linear layers of `width`
# units (ReLU between them, 10 classes, cross-entropy, SGD, batch 128). Two sweeps: width 16 ...
# 2048 at depth 4, and depth 2 ... 32 at width 128. Each point runs xgrad_bench and
# libtorch_bench alternately, one process per measurement, REPEATS times each; the plot shows the
# median step time of each side (log scales) and the ratio libtorch/xgrad. Needs libtorch-dev
# (for libtorch_bench), python3 and gnuplot. About 5 minutes on 2 cores with the defaults.
#
# Environment (all optional):
#   THREADS   threads of both sides          (default: 1)
#   REPEATS   processes per side and point   (default: 3)
#   STEPS_SCALE multiplies every step count  (default: 1)
#   PLOT      where the PNG goes             (default: docs/scaling.png)
set -euo pipefail

NAME=scaling.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, HERE, die, log, build_bench
RESULTS="${1:-/tmp/xgrad-scaling.jsonl}"
THREADS="${THREADS:-1}"
REPEATS="${REPEATS:-3}"
STEPS_SCALE="${STEPS_SCALE:-1}"
PLOT="${PLOT:-$ROOT/docs/scaling.png}"
WIDTHS=(16 32 64 128 256 512 1024 2048)
DEPTHS=(2 4 8 16 32)
SWEEP_DEPTH=4   # depth of the width sweep
SWEEP_WIDTH=128 # width of the depth sweep

command -v python3 >/dev/null || die "python3 is needed: apt-get install -y python3"
command -v gnuplot >/dev/null || die "gnuplot is needed for the plot: apt-get install -y gnuplot-nox"

build_bench
XG="$BENCH_DIR/xgrad_bench"
LT="$BENCH_DIR/libtorch_bench"
require_libtorch_bench

# Steps for about 0.3 s of xgrad per measurement: the step's GEMM FLOPs at ~100 GFLOP/s plus
# ~2 µs of fixed cost per layer, between 20 and 5000 steps (times STEPS_SCALE, at least 5).
steps_for() {
  awk -v w="$1" -v d="$2" -v f="$STEPS_SCALE" 'BEGIN {
    flops = 6 * 128 * ((d - 1) * w * w + w * 10);
    us = flops / 1e5 + 2 * d;
    s = int(3e5 / us); if (s < 20) s = 20; if (s > 5000) s = 5000;
    s = int(s * f); print (s < 5 ? 5 : s) }'
}

measure() {
  env OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
    "$@" >>"$RESULTS" || die "measurement failed: $*"
}

print_meta "$(nproc)" >"$RESULTS"

points=()
for w in "${WIDTHS[@]}"; do points+=("$w $SWEEP_DEPTH"); done
for d in "${DEPTHS[@]}"; do
  [[ "$d" == "$SWEEP_DEPTH" && " ${WIDTHS[*]} " == *" $SWEEP_WIDTH "* ]] && continue
  points+=("$SWEEP_WIDTH $d")
done
start=$SECONDS
for point in "${points[@]}"; do
  read -r w d <<<"$point"
  steps="$(steps_for "$w" "$d")"
  args=(--workload mlp --width "$w" --depth "$d" --threads "$THREADS" --steps "$steps"
        --warmup "$((steps / 10 + 5))")
  log "width $w depth $d: $steps steps x$REPEATS"
  for ((r = 0; r < REPEATS; ++r)); do
    measure "$XG" "${args[@]}"
    measure "$LT" "${args[@]}"
  done
done
log "done in $((SECONDS - start)) s; results in $RESULTS"
python3 "$HERE/scaling_plot.py" "$RESULTS" "$PLOT" "$SWEEP_DEPTH" "$SWEEP_WIDTH"
log "plot in $PLOT"
