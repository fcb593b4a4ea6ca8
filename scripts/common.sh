# Shared by the set-up scripts (sourced, not run): paths, one-line progress, logs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
LOG_DIR="$BUILD_DIR/logs"

# step MESSAGE: one line per set-up step.
step() { printf '%s\n' "$*"; }

# fail LOG MESSAGE: the message, the end of the log, and where the whole log is; exit 1.
fail() {
  local log="$1"
  shift
  printf 'error: %s\n' "$*" >&2
  if [[ -f "$log" ]]; then
    printf -- '--- last lines of %s ---\n' "$log" >&2
    tail -n 30 "$log" >&2
    printf -- '--- full log: %s\n' "$log" >&2
  fi
  exit 1
}

# ensure_build_dir_writable: a build/ left by an earlier run as root cannot be reused.
ensure_build_dir_writable() {
  mkdir -p "$BUILD_DIR" 2>/dev/null || true
  if [[ ! -w "$BUILD_DIR" ]] || { [[ -e "$LOG_DIR" ]] && [[ ! -w "$LOG_DIR" ]]; }; then
    echo "error: $BUILD_DIR is not writable by $(id -un) (probably left by a run as root);" \
      "remove it as root (rm -rf '$BUILD_DIR') and run again" >&2
    exit 1
  fi
  mkdir -p "$LOG_DIR"
}

# build_targets LABEL TARGET...: builds with every core, the compiler's output in a log, and
# one progress line ("building: 40%") updated in place on a terminal.
build_targets() {
  local label="$1"
  shift
  local log="$LOG_DIR/build.log" args=() t
  for t in "$@"; do args+=(--target "$t"); done
  local start=$SECONDS
  if ! cmake --build "$BUILD_DIR" -j"$(nproc)" "${args[@]}" 2>&1 | tee "$log" | progress_line "$label"; then
    fail "$log" "the build failed"
  fi
  step "$label: done in $((SECONDS - start)) s (log: $log)"
}

# Reads CMake's "[ 42%] ..." lines; prints the percentage in place on a terminal, or a line at
# every quarter otherwise.
progress_line() {
  local label="$1" line pct last=-1
  while IFS= read -r line; do
    [[ "$line" =~ ^\[\ *([0-9]+)%\] ]] || continue
    pct="${BASH_REMATCH[1]}"
    if [[ -t 1 ]]; then
      printf '\r%s: %3d%%' "$label" "$pct"
    elif ((pct / 25 > last / 25)); then
      printf '%s: %d%%\n' "$label" "$pct"
    fi
    last=$pct
  done
  [[ -t 1 ]] && printf '\n'
  return 0
}
