#!/usr/bin/env python3
"""scaling_plot.py RESULTS.jsonl OUT.png SWEEP_DEPTH SWEEP_WIDTH: the plot and table of
bench/scaling.sh. Each point is the median over processes of each side's median step time."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict


def main(results, png, sweep_depth, sweep_width):
    meta, runs = {}, defaultdict(list)  # (impl, width, depth) -> median step times
    with open(results) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r["impl"] == "meta":
                meta = r
            elif "width" in r:
                runs[(r["impl"], r["width"], r["depth"])].append(r["median_step_us"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    spread = {k: (min(v), max(v)) for k, v in runs.items()}

    def sweep(fixed_depth=None, fixed_width=None):
        rows = []
        for (impl, w, d) in sorted(med):
            if impl != "xgrad" or (fixed_depth and d != fixed_depth) or (fixed_width and w != fixed_width):
                continue
            lt = med.get(("libtorch", w, d))
            if lt is not None:
                rows.append((w, d, med[(impl, w, d)], lt))
        return rows

    by_width, by_depth = sweep(fixed_depth=sweep_depth), sweep(fixed_width=sweep_width)
    blas = meta.get("openblas_coretype_env") or "unset"
    latency = meta.get("cpu_latency_ns")
    apart = f", CPUs {latency} ns apart" if latency is not None else ""
    title = (f"{meta.get('cpu', '?')}, {meta.get('date', '?')[:10]}, 1 process per point, "
             f"OPENBLAS_CORETYPE={blas}{apart}")
    print(f"{title}\n")
    print("| width | depth | xgrad µs (min–max) | libtorch µs (min–max) | libtorch/xgrad |")
    print("|---|---|---|---|---|")
    for w, d, x, lt in by_width + [r for r in by_depth if r[1] != sweep_depth]:
        xs, ls = spread[("xgrad", w, d)], spread[("libtorch", w, d)]
        print(f"| {w} | {d} | {x:.1f} ({xs[0]:.1f}–{xs[1]:.1f}) | {lt:.1f} ({ls[0]:.1f}–{ls[1]:.1f}) "
              f"| {lt / x:.2f}× |")

    with tempfile.TemporaryDirectory() as tmp:
        for name, rows, col in (("width", by_width, 0), ("depth", by_depth, 1)):
            with open(os.path.join(tmp, name + ".dat"), "w") as f:
                for r in rows:
                    f.write(f"{r[col]} {r[2]} {r[3]} {r[3] / r[2]}\n")
        script = f"""
set terminal pngcairo size 1200,850 font ",11" noenhanced
set output "{png}"
set multiplot layout 2,2 title "Training step time, xgrad vs libtorch (batch 128, ReLU MLP, SGD)\\n{title}"
set grid
set logscale x 2
set key top left
set logscale y
set ylabel "median µs per step"
set xlabel "width (depth {sweep_depth})"
plot "{tmp}/width.dat" using 1:2 with linespoints lw 2 pt 7 title "xgrad", \\
     "{tmp}/width.dat" using 1:3 with linespoints lw 2 pt 5 title "libtorch"
set xlabel "depth (Linear layers, width {sweep_width})"
plot "{tmp}/depth.dat" using 1:2 with linespoints lw 2 pt 7 title "xgrad", \\
     "{tmp}/depth.dat" using 1:3 with linespoints lw 2 pt 5 title "libtorch"
unset logscale y
set yrange [0:*]
set ylabel "libtorch time / xgrad time"
set xlabel "width (depth {sweep_depth})"
plot "{tmp}/width.dat" using 1:4 with linespoints lw 2 pt 7 lc rgb "#2e8b57" title "speed-up", \\
     1 with lines dt 2 lc rgb "gray" notitle
set xlabel "depth (Linear layers, width {sweep_width})"
plot "{tmp}/depth.dat" using 1:4 with linespoints lw 2 pt 7 lc rgb "#2e8b57" title "speed-up", \\
     1 with lines dt 2 lc rgb "gray" notitle
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
