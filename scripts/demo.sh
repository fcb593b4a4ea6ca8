#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the main demo: the `xgrad` command
# line trains a PReLU network on three interleaved spirals, saves it, evaluates the file, then
# compares activations on the same task.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

bash "$ROOT/scripts/build.sh"
XGRAD="$BUILD_DIR/tools/xgrad/xgrad"
MODEL="$BUILD_DIR/spiral.safetensors"
echo
echo "== xgrad train: 3 spirals, MLP 2-64-64-3 with PReLU (trainable alpha per channel), Adam =="
"$XGRAD" train --dataset spiral --hidden 64,64 --activation prelu --optimizer adam --lr 1e-2 \
  --epochs 300 --batch 128 --seed 1 --save "$MODEL"
echo
echo "== xgrad eval: the saved model, on the same split =="
"$XGRAD" eval --model "$MODEL"
echo
echo "== xgrad compare: the same network, data, init and batches with other activations =="
"$XGRAD" compare --dataset spiral --hidden 64,64 --optimizer adam --lr 1e-2 --epochs 100 \
  --batch 128 --seed 1 --activations relu,leaky_relu,prelu,elu,selu,gelu,silu,tanh,sigmoid
