#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by clang-format 14 with the repository's
# .clang-format (the version matters: others format differently). Lists the files that are not
# and exits 1; fix them with `clang-format-14 -i FILE`. As root it installs clang-format-14 from
# Debian 12 when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v clang-format-14 >/dev/null; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "check-format: clang-format-14 not found: sudo apt-get install -y clang-format-14" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-format-14
fi

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
bad=()
for f in "${files[@]}"; do
  clang-format-14 --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "check-format: not formatted by clang-format 14 (fix: clang-format-14 -i FILE):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} C++ files formatted"
