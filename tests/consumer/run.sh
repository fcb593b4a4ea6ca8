#!/usr/bin/env bash
# run.sh BUILD_DIR WORK_DIR: the README's "use the installed library" steps, exactly as a user
# types them, with HOME pointed at WORK_DIR/home so ~/.local is a fresh prefix:
#   cmake --install build --prefix ~/.local
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=$HOME/.local    (in the user's project)
# then builds and runs the consumer program, and runs the installed command line.
set -euo pipefail
build="$1" work="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$work" && mkdir -p "$work/home"
export HOME="$work/home"
cp -r "$here" "$work/project"
cd "$work/project"

cmake --install "$build" --prefix ~/.local >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$HOME/.local" >/dev/null
cmake --build build >/dev/null
./build/consumer
if [[ -x "$build/bin/xgrad" ]]; then  # the command line is installed beside the library
  ~/.local/bin/xgrad list >/dev/null
  echo "installed command line: ~/.local/bin/xgrad runs"
fi
