#!/usr/bin/env bash
# run.sh TEST.py: runs a Python test with the first interpreter that has numpy and torch
# (python3 on PATH, then Debian's /usr/bin/python3: apt-get install python3-torch python3-numpy).
# Without one it says why and exits 77, which ctest reports as skipped.
set -uo pipefail
for python in python3 /usr/bin/python3; do
  command -v "$python" >/dev/null || continue
  if "$python" -c "import numpy, torch" 2>/dev/null; then
    exec "$python" "$1"
  fi
  echo "$python: no numpy or torch ($("$python" -c 'import numpy, torch' 2>&1 | tail -1))"
done
echo "SKIPPED: no Python interpreter with numpy and torch (Debian: apt-get install python3-torch python3-numpy)"
exit 77
