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

# ensure_clang: clang 14 and its runtimes (the sanitizers', libFuzzer), which the sanitizer build
# needs; installed when missing as root, otherwise the apt-get line is printed.
ensure_clang() {
  local packages=(clang-14 libclang-rt-14-dev) missing=() p status
  for p in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ "$(id -u)" != 0 ]]; then
    echo "missing Debian packages: ${missing[*]}; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_sanitizer_build: the one build (in $BUILD_DIR) that the suite under AddressSanitizer +
# UBSan (sanitize.sh) and the libFuzzer targets (fuzz.sh) share, so CI compiles the library for
# them once: clang 14, everything instrumented for both (XGRAD_SANITIZE and XGRAD_FUZZ), -O1 -g1
# (line tables: readable reports at half the compile time of -O2 -g).
configure_sanitizer_build() {
  ensure_clang
  bash "$ROOT/scripts/install-deps.sh"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DXGRAD_SANITIZE=ON -DXGRAD_FUZZ=ON "${launcher[@]}" >/dev/null
  ensure_build_dir_writable
}
