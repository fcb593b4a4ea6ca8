#!/usr/bin/env bash
# Installs xgrad's build dependencies from Debian 12 packages, only those that are missing.
# As root it runs apt-get; otherwise it prints the exact apt-get line and fails.
set -euo pipefail

PACKAGES=(g++ cmake make pkg-config libxtensor-dev xtl-dev libxsimd-dev libfmt-dev catch2
          libopenblas-dev libcli11-dev nlohmann-json3-dev libcsv-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all dependencies are installed"
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
