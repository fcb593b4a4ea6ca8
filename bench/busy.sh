#!/usr/bin/env bash
# bench/busy.sh [RESULTS_FILE]: xgrad on a machine whose cores are already busy.
#
# Runs xgrad_bench at 1 thread and at the default thread count (every core) on quiet cores,
# then again while one busy loop per core runs in the background (started and stopped by this
# script), then with the whole process held on one CPU (`taskset -c 0`: its threads share one
# core, as two virtual CPUs do when the host runs them on one), alternating the two settings,
# one process per measurement, REPEATS times each. Prints, per workload and setting: the median
# step time and the whole process's wall, user and system time (medians). The point: with other
# programs on every core, or cores that do not run in parallel, the default setting must not be
# slower than one thread (xgrad's pool notices and stops handing out work).
#
# Environment (all optional):
#   REPEATS    processes per (workload, setting, load) (default: 3)
#   WORKLOADS  workloads of xgrad_bench                (default: "mnist spiral deep eltwise_relu")
set -euo pipefail

NAME=busy.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"  # ROOT, HERE, die, log, build_bench
RESULTS="${1:-/tmp/xgrad-busy.jsonl}"
REPEATS="${REPEATS:-3}"
WORKLOADS="${WORKLOADS:-mnist spiral deep eltwise_relu}"
CORES="$(nproc)"

command -v python3 >/dev/null || die "python3 is needed for the table: apt-get install -y python3"
[[ -x /usr/bin/time ]] || die "GNU time is needed: apt-get install -y time"

build_bench xgrad_bench xgrad_bench_latency
XG="$BENCH_DIR/xgrad_bench"

loops=()
stop_load() {
  ((${#loops[@]} == 0)) || kill "${loops[@]}" 2>/dev/null || true
  loops=()
}
trap stop_load EXIT
start_load() {
  for ((i = 0; i < CORES; ++i)); do
    bash -c 'while :; do :; done' &
    loops+=("$!")
  done
  sleep 1
}

steps_of() {
  case "$1" in
    mnist) echo 300 ;; spiral) echo 2000 ;; deep) echo 2000 ;; *) echo 100 ;;
  esac
}

# run LOAD THREADS WORKLOAD: one process; its JSON record gains the load and the process times.
run() {
  local load="$1" threads="$2" workload="$3" steps times record prefix=()
  [[ "$load" == one_cpu ]] && prefix=(taskset -c 0)
  steps="$(steps_of "$workload")"
  times="$(mktemp)"
  record="$(/usr/bin/time -f '%e %U %S' -o "$times" "${prefix[@]}" "$XG" --workload "$workload" \
            --threads "$threads" --steps "$steps" --warmup $((steps / 10)))"
  read -r wall user sys <"$times"
  rm -f "$times"
  echo "${record%\}},\"load\":\"$load\",\"setting\":\"$4\",\"wall_s\":$wall,\"user_s\":$user,\"sys_s\":$sys}" \
    >>"$RESULTS"
}

print_meta "$CORES" >"$RESULTS"
for load in none busy one_cpu; do
  [[ "$load" == busy ]] && { log "starting $CORES busy loops"; start_load; }
  for workload in $WORKLOADS; do
    log "load=$load: $workload x$REPEATS"
    for ((r = 0; r < REPEATS; ++r)); do
      run "$load" 1 "$workload" "1 thread"
      run "$load" "$CORES" "$workload" "default ($CORES threads)"
    done
  done
  stop_load
done

python3 - "$RESULTS" <<'EOF'
import json, statistics, sys
from collections import defaultdict
meta, runs = {}, defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["impl"] == "meta":
        meta = r
    else:
        runs[(r["workload"], r["load"], r["setting"])].append(r)
kernel = meta.get("openblas_coretype_env") or "OpenBLAS's own choice"
latency = meta.get("cpu_latency_ns")
apart = f" · CPUs {latency} ns apart" if latency is not None else ""
print(f"{meta['date']} · {meta['cpu']} · {meta['nproc']} cores{apart} · OPENBLAS_CORETYPE {kernel} "
      "(xgrad links no BLAS) · medians over processes\n")
print("| workload | background load | threads | median µs/step (min–max) | wall s | user s | sys s |")
print("|---|---|---|---|---|---|---|")
for (w, load, setting), rs in runs.items():
    med = lambda k: statistics.median(x[k] for x in rs)
    steps = [x["median_step_us"] for x in rs]
    label = {"none": "none", "busy": f"{meta['nproc']} busy loops",
             "one_cpu": "all threads on one CPU"}[load]
    print(f"| {w} | {label} | {setting} | {med('median_step_us'):.1f} ({min(steps):.1f}–{max(steps):.1f}) "
          f"| {med('wall_s'):.2f} | {med('user_s'):.2f} | {med('sys_s'):.2f} |")
EOF
