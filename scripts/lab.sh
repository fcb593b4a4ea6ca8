#!/usr/bin/env bash
# Regenerates the pictures of docs/lab.md (docs/img/lab/*.png) and prints every table they come
# with: runs the seven activation-lab examples and the `xgrad compare` / `xgrad gradients`
# commands of the page, then gnuplot (Debian: gnuplot-nox). Takes about half a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
command -v gnuplot >/dev/null || { echo "lab.sh: gnuplot not found: apt-get install -y gnuplot-nox" >&2; exit 1; }

EXAMPLES=(lab_linearity lab_vanishing lab_dead_relu lab_sparsity lab_prelu_slopes lab_zero_centred
          lab_saturation)
cmake --build "$BUILD_DIR" --target xgrad_cli "${EXAMPLES[@]}" -j"$(nproc)" >/dev/null
XGRAD="$BUILD_DIR/bin/xgrad"
IMG="$ROOT/docs/img/lab"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$IMG"

run() {  # prints the command and its output (progress lines on stderr are dropped)
  echo
  echo "\$ $*" | sed "s|$BUILD_DIR/bin/||; s|$BUILD_DIR/examples/|build/examples/|; s|$OUT|OUT|g"
  "$@" 2>/dev/null | sed "s|$OUT|OUT|g"
}
example() { run "$BUILD_DIR/examples/$1" "$OUT"; }

echo "== 1. linearity"
example lab_linearity
for data in xor triangles; do
  run "$XGRAD" compare --dataset "$data" --hidden 8 --activations identity,tanh,sigmoid \
    --optimizer adam --lr 0.05 --epochs 200 --batch 64 --seed 1 --out "$OUT/lab1_$data"
  cp "$OUT/lab1_$data/boundaries.png" "$IMG/lab1_${data}_boundaries.png"
done

echo "== 2. vanishing gradients"
example lab_vanishing
run "$XGRAD" gradients --depth 15 --width 32 --activation sigmoid,tanh,relu --steps 300 \
  --out "$OUT/lab2"
cp "$OUT/lab2/gradients.png" "$IMG/lab2_gradients.png"

echo "== 3. dead ReLUs"
example lab_dead_relu
run "$XGRAD" compare --dataset spiral --hidden 64,64 --activations relu,leaky_relu,prelu,elu \
  --optimizer adam --lr 0.1 --epochs 20 --batch 64 --seed 1

echo "== 4. ReLU sparsity at init"
example lab_sparsity

echo "== 5. PReLU slopes"
example lab_prelu_slopes

echo "== 6. zero-centred outputs"
example lab_zero_centred
run "$XGRAD" compare --dataset moons --hidden 32,32 --activations tanh,sigmoid --init xavier \
  --optimizer sgd --lr 0.05 --batch 64 --epochs 60 --seeds 5 --target-loss 0.3 --out "$OUT/lab6"
cp "$OUT/lab6/loss.png" "$IMG/lab6_loss.png"

echo "== 7. saturation"
example lab_saturation

# Pictures of the examples' CSV files.
cd "$OUT"
gnuplot <<'GP'
set terminal pngcairo size 800,480 font 'sans,10' noenhanced
set datafile separator ','
set grid
set key outside right

set output 'lab2_cures.png'
set title 'depth-15 nets on three spirals: loss per SGD step'
set xlabel 'step'
set ylabel 'loss (batch)'
set yrange [0:2]
plot for [i=2:5] 'lab_vanishing_loss.csv' using 1:i with lines lw 1.5 title columnheader(i)
set yrange [*:*]

set output 'lab3_dead.png'
set title 'hidden units dead on the whole training set after 20 epochs of Adam'
set style data histograms
set style fill solid 0.7
set boxwidth 0.7
set ylabel 'dead units (%)'
set xlabel ''
set yrange [0:*]
set xtics rotate by -30
plot 'lab_dead_relu.csv' using (100*$3):xtic(sprintf('%s, lr %g', strcol(1), $2)) lc 1 notitle
set xtics norotate
set yrange [*:*]

set output 'lab4_relu_outputs.png'
set title 'ReLU outputs right after init (Linear(32, 256), 1000 N(0,1) inputs)'
set style data lines
set xlabel 'output value'
set ylabel 'fraction of outputs'
set key off
stats 'lab_sparsity.csv' using 1 nooutput
n = STATS_records
bin(x) = 0.05 * floor(x / 0.05)
set boxwidth 0.05
plot 'lab_sparsity.csv' using (bin($1) + 0.025):(1.0 / n) smooth frequency with boxes lc 1

set output 'lab5_alphas.png'
set title 'PReLU slopes after training (each layer: mean, and min..max over its channels)'
set xlabel 'hidden layer (1 = first)'
set ylabel 'alpha'
stats 'lab_prelu_slopes.csv' using 1 nooutput
set xrange [0.5:STATS_max + 0.5]
set xtics 1
plot 'lab_prelu_slopes.csv' using 1:3:4:5 with yerrorbars lc 1 pt 7 ps 1.2, \
     0.25 with lines dt 2 lc 0
set xrange [*:*]
set xtics autofreq
set key outside right

set output 'lab7_loss.png'
set title 'sigmoid MLP on 256-D blobs: loss per SGD step'
set xlabel 'step'
set ylabel 'loss (batch)'
set logscale y
plot for [i=2:3] 'lab_saturation_loss.csv' using 1:i with lines lw 1.5 title columnheader(i)
GP
cp lab2_cures.png lab3_dead.png lab4_relu_outputs.png lab5_alphas.png lab7_loss.png "$IMG/"
echo
echo "wrote $(ls "$IMG"/*.png | wc -l) pictures in $IMG"
