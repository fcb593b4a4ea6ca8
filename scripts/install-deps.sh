#!/usr/bin/env bash
# Installs xgrad's build dependencies from Debian 12 packages, only those that are missing.
# As root it runs apt-get; as a user with sudo it runs only apt-get through sudo; otherwise it
# prints the exact line to run as root. apt's output goes to build/logs/apt.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PACKAGES=(g++ cmake make pkg-config libxtensor-dev xtl-dev libxsimd-dev libfmt-dev catch2
          libopenblas-dev libcli11-dev nlohmann-json3-dev libcsv-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  step "packages: all ${#PACKAGES[@]} Debian packages are installed"
  exit 0
fi

install_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "install them as root (su -), then run this command again:" >&2
  echo "  $install_line" >&2
  exit 1
fi

ensure_build_dir_writable
log="$LOG_DIR/apt.log"
step "packages: installing ${#missing[@]} Debian packages${as_root:+ with sudo} (log: $log)"
export DEBIAN_FRONTEND=noninteractive
{
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${missing[@]}"
} >"$log" 2>&1 || fail "$log" "apt-get failed; to do it by hand, as root: $install_line"
# Under `sudo bash scripts/...` the build continues as the calling user: give the log back.
[[ -n "${SUDO_USER:-}" && "$(id -u)" == 0 ]] && chown -R "$SUDO_USER": "$BUILD_DIR"
step "packages: installed ${missing[*]}"
