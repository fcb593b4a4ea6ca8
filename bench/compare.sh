#!/usr/bin/env bash
# bench/compare.sh [RESULTS_FILE]: xgrad against libtorch on the workloads of bench/workloads.hpp,
# side by side, in one run.
#
# Builds build-bench/ (Release, -DXGRAD_BUILD_BENCH=ON: xgrad_bench, and libtorch_bench, which needs
# Debian's libtorch-dev), then for each thread count runs every workload alternately, A B A B...,
# one process per measurement, REPEATS times each, and prints a markdown table: medians (with each
# side's min-max over its processes), the ratio libtorch/xgrad, GFLOP/s and peak RSS; then the GEMM
# rates of xgrad and OpenBLAS on the mnist and wide layer shapes (xgrad_bench_gemm). At more than
# one thread libtorch runs three ways (as is, OMP_WAIT_POLICY=passive, and 1 ATen thread + N
# OpenBLAS threads: its OpenMP workers and OpenBLAS's spin against each other on few cores) and the
# table compares against the best of them. OPENBLAS_CORETYPE is left as the environment sets it, so
# both sides use the same kernel; the table says which. Takes about 10 minutes on 2 cores with the
# defaults.
#
# Environment (all optional):
#   THREADS      thread counts                          (default: "1 2")
#   REPEATS      processes per (side, workload, config) (default: 3)
#   STEPS_SCALE  multiplies every step count            (default: 1)
#   WORKLOADS    subset, e.g. "tiny spiral"             (default: all)
set -euo pipefail

NAME=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, HERE, die, log, build_bench
RESULTS="${1:-/tmp/xgrad-compare.jsonl}"
THREADS="${THREADS:-1 2}"
REPEATS="${REPEATS:-3}"
STEPS_SCALE="${STEPS_SCALE:-1}"

# name, timed steps, warm-up steps: 1-4 s per measurement.
ALL=("tiny 5000 200" "spiral 3000 200" "mnist 500 30" "wide 60 5" "deep 2000 100"
     "eltwise 200 20")

command -v python3 >/dev/null || die "python3 is needed for the table: apt-get install -y python3"

build_bench
XG="$BENCH_DIR/xgrad_bench"
LT="$BENCH_DIR/libtorch_bench"
require_libtorch_bench
scaled() { awk -v n="$1" -v f="$STEPS_SCALE" 'BEGIN { v = int(n * f); print (v < 1 ? 1 : v) }'; }

# measure THREADS POLICY CMD...: one process, every pool sized to THREADS, JSON appended.
measure() {
  local threads="$1" policy="$2"
  shift 2
  local env_args=(OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
                  MKL_NUM_THREADS="$threads")
  [[ "$policy" == default ]] || env_args+=(OMP_WAIT_POLICY="$policy")
  env "${env_args[@]}" "$@" >>"$RESULTS" || die "measurement failed: $*"
}

print_meta "$(nproc)" >"$RESULTS"

start=$SECONDS
for threads in $THREADS; do
  for entry in "${ALL[@]}"; do
    read -r name steps warmup <<<"$entry"
    [[ -z "${WORKLOADS:-}" || " $WORKLOADS " == *" $name "* ]] || continue
    args=(--workload "$name" --threads "$threads" --steps "$(scaled "$steps")"
          --warmup "$(scaled "$warmup")")
    log "threads=$threads: $name x$REPEATS"
    for ((r = 0; r < REPEATS; ++r)); do
      measure "$threads" default "$XG" "${args[@]}"
      measure "$threads" default "$LT" "${args[@]}"
      if ((threads > 1)); then
        measure "$threads" passive "$LT" "${args[@]}"
        [[ "$name" == eltwise ]] ||
          measure "$threads" default "$LT" "${args[@]}" --threads 1 --blas-threads "$threads"
      fi
    done
  done
done
# GEMM rates on the mnist and wide layer shapes: xgrad (the CPU's best instruction set, and its
# AVX2 copy) beside OpenBLAS with the kernel the environment selects and with its own choice
# (OPENBLAS_CORETYPE unset in that command only: on AVX-512 CPUs it knows, its AVX-512 kernel).
GEMM="$BENCH_DIR/xgrad_bench_gemm"
for threads in $THREADS; do
  for name in mnist wide; do
    [[ -z "${WORKLOADS:-}" || " $WORKLOADS " == *" $name "* ]] || continue
    log "threads=$threads: GEMMs of $name x$REPEATS"
    for ((r = 0; r < REPEATS; ++r)); do
      measure "$threads" default "$GEMM" --workload "$name" --threads "$threads"
      measure "$threads" default env -u OPENBLAS_CORETYPE "$GEMM" --workload "$name" \
        --threads "$threads"
      measure "$threads" default env XGRAD_ISA=avx2 "$GEMM" --workload "$name" --threads "$threads"
    done
  done
done
log "one core's multiply-add peak (xgrad_bench_peak)"
measure 1 default "$BENCH_DIR/xgrad_bench_peak"
log "engine overhead (xgrad_bench_engine)"
measure 1 default "$BENCH_DIR/xgrad_bench_engine"
log "done in $((SECONDS - start)) s; results in $RESULTS"
python3 "$HERE/compare_table.py" "$RESULTS"
