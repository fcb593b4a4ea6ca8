#!/usr/bin/env bash
# README command 1: installs missing Debian packages, builds the library and the `xgrad` command
# line only (the tests and examples are built by scripts/test.sh), and runs the main demo:
# `xgrad` trains a PReLU network on three interleaved spirals, saves it, evaluates the file,
# then compares activations on the same task.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash "$ROOT/scripts/build.sh" xgrad_cli
XGRAD="$BUILD_DIR/bin/xgrad"
MODEL="$BUILD_DIR/spiral.safetensors"
# Under sudo the build ran as the calling user; the demo's files are theirs too.
run() { if [[ "$(id -u)" == 0 && -n "${SUDO_USER:-}" ]]; then sudo -u "$SUDO_USER" "$@"; else "$@"; fi; }

echo
echo "== xgrad train: 3 spirals, MLP 2-64-64-3 with PReLU (trainable alpha per channel), Adam =="
run "$XGRAD" train --dataset spiral --hidden 64,64 --activation prelu --optimizer adam --lr 1e-2 \
  --epochs 300 --batch 128 --seed 1 --save "$MODEL"
echo
echo "== xgrad eval: the saved model, on the same split =="
run "$XGRAD" eval --model "$MODEL"
echo
echo "== xgrad compare: the same network, data, init and batches with other activations =="
run "$XGRAD" compare --dataset spiral --hidden 64,64 --optimizer adam --lr 1e-2 --epochs 100 \
  --batch 128 --seed 1 --activations relu,leaky_relu,prelu,elu,selu,gelu,silu,tanh,sigmoid
echo
echo "The command line is $XGRAD (try: $XGRAD --help)."
echo "To call it as plain \`xgrad\`: export PATH=\"$BUILD_DIR/bin:\$PATH\"," \
  "or install it with the library: cmake --install build  (as root; /usr/local/bin)."
