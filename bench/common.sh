# Shared by compare.sh, scaling.sh and busy.sh (sourced after they set NAME): paths, messages,
# and the Release build of the benchmarks in build-bench/.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BENCH_DIR="$ROOT/build-bench/bench"

die() { echo "$NAME: error: $*" >&2; exit 1; }
log() { echo "$NAME: $*" >&2; }

# build_bench [TARGET...]: configures build-bench/ and builds the targets (all by default).
build_bench() {
  local args=() t
  for t in "$@"; do args+=(--target "$t"); done
  log "building the benchmarks in $ROOT/build-bench"
  cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_BENCH=ON \
    -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$ROOT/build-bench" -j"$(nproc)" "${args[@]}" >/dev/null
}

# require_libtorch_bench: libtorch_bench is built only when Debian's libtorch is installed.
require_libtorch_bench() {
  [[ -x "$BENCH_DIR/libtorch_bench" ]] ||
    die "libtorch_bench was not built (libtorch not found): apt-get install -y libtorch-dev"
}

# print_meta CORES: the JSON line that heads a results file: CPU model, cores, the OpenBLAS kernel
# asked for, the date, and how far apart (ns) the first two CPUs are (xgrad_bench_latency: on a
# virtual machine the host may place the virtual CPUs on cores that share no cache, and
# splitting work across threads then pays less).
# cpu_name: the CPU's model name and its family and model numbers (a virtual machine may report
# only "AMD EPYC", which covers generations whose vector units differ).
cpu_name() {
  local info
  info="$(lscpu)"
  printf '%s (family %s, model %s)' "$(sed -n 's/^Model name:[[:space:]]*//p' <<<"$info" | head -n1)" \
    "$(sed -n 's/^CPU family:[[:space:]]*//p' <<<"$info")" "$(sed -n 's/^Model:[[:space:]]*//p' <<<"$info")"
}

print_meta() {
  local latency=null
  [[ -x "$BENCH_DIR/xgrad_bench_latency" ]] && latency="$("$BENCH_DIR/xgrad_bench_latency")"
  printf '{"impl":"meta","cpu":"%s","nproc":%d,"openblas_coretype_env":"%s","date":"%s","cpu_latency_ns":%s}\n' \
    "$(cpu_name)" "$1" \
    "${OPENBLAS_CORETYPE:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$latency"
}
