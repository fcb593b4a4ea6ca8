#!/usr/bin/env bash
# build.sh [TARGET...]: installs missing dependencies, configures build/ (Release) and builds the
# given targets (all when none). BUILD_DIR overrides the directory; CMAKE_ARGS adds configure
# options (e.g. CMAKE_ARGS=-DXGRAD_NATIVE=ON).
#
# Run through sudo, only the package installation runs as root: the build runs as the user who
# called sudo, so build/ stays theirs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -n "${XGRAD_DEPS_DONE:-}" ]] || bash "$ROOT/scripts/install-deps.sh"
if [[ "$(id -u)" == 0 && -n "${SUDO_USER:-}" && "${SUDO_USER}" != root ]]; then
  exec sudo -u "$SUDO_USER" env BUILD_DIR="$BUILD_DIR" CMAKE_ARGS="${CMAKE_ARGS:-}" \
    XGRAD_DEPS_DONE=1 bash "$ROOT/scripts/build.sh" "$@"
fi

ensure_build_dir_writable
step "configure: CMake, Release, in $BUILD_DIR"
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of options
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} \
  >"$LOG_DIR/configure.log" 2>&1 || fail "$LOG_DIR/configure.log" "CMake could not configure"
build_targets "build${1:+ ($*)}" "$@"
