"""Plots of one benchmark run (the dict written to bench/results/latest.json), drawn by gnuplot
as SVG next to it, for README to show:

  case1-hits.svg   case 1: hits/s of a false condition against the number of threads, for
                   xolstub, gdbserver and the kernel uprobe (log scale: they differ by orders of
                   magnitude)
  advantage.svg    every measured figure of every case as xolstub's advantage over gdbserver
                   (how many times better: above 1 xolstub is ahead, below 1 behind)
"""

import os
import subprocess

from bench_common import BenchError

COLOURS = {"xolstub": "#1f77b4", "gdbserver": "#d62728", "uprobe": "#2ca02c"}


def gnuplot(script, data_path, rows):
    with open(data_path, "w") as data:
        for row in rows:
            data.write(" ".join(str(field) for field in row) + "\n")
    done = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    os.remove(data_path)
    if done.returncode != 0:
        raise BenchError(f"gnuplot failed: {done.stderr.strip()}")


def case(results, number):
    return next((c for c in results["cases"] if c["number"] == number), None)


def plot_hits_against_threads(results, out_dir):
    case1 = case(results, 1)
    if case1 is None:
        return None
    series = [name for name in ("xolstub", "gdbserver", "uprobe")
              if all(name in row["metrics"]["hits"]["series"] for row in case1["rows"])]
    rows = [[row["x"]] + [row["metrics"]["hits"]["series"][name]["median"] for name in series]
            for row in case1["rows"]]
    svg = os.path.join(out_dir, "case1-hits.svg")
    data = os.path.join(out_dir, "case1-hits.dat")
    labels = {"uprobe": "kernel uprobe"}
    lines = ", ".join(f"'{data}' using 1:{i + 2} with linespoints lw 2 pt 7 lc rgb '{COLOURS[name]}' "
                      f"title '{labels.get(name, name)}'" for i, name in enumerate(series))
    gnuplot(f"""set terminal svg size 640,400 dynamic font 'sans,12'
set output '{svg}'
set title 'Case 1: a false breakpoint condition on a hot function'
set xlabel 'threads hitting the breakpoint'
set ylabel 'hits per second (all threads)'
set logscale x 2
set logscale y 10
set format y '10^{{%L}}'
set xrange [0.8:20]
set xtics ({", ".join(str(row[0]) for row in rows)})
set key top left
set grid
plot {lines}
""", data, rows)
    return svg


def advantages(results):
    """(label, times better) for every figure xolstub and gdbserver both have."""
    bars = []
    for c in results["cases"]:
        for row in c["rows"]:
            for name, metric in row["metrics"].items():
                ratio = metric["ratio"]
                if ratio <= 0:
                    continue
                better = ratio if metric["higher_is_better"] else 1 / ratio
                bars.append((f"{c['number']}: {row['label']}: {name}", better))
    return bars


def plot_advantage(results, out_dir):
    bars = advantages(results)
    if not bars:
        return None
    svg = os.path.join(out_dir, "advantage.svg")
    data = os.path.join(out_dir, "advantage.dat")
    rows = [[i, f'"{label}"', f"{better:.4g}"] for i, (label, better) in enumerate(bars)]
    gnuplot(f"""set terminal svg size 900,{160 + 22 * len(bars)} dynamic font 'sans,11'
set output '{svg}'
set title 'xolstub against gdbserver: how many times better (1 = the same)'
set logscale x 10
set xrange [0.1:*]
set yrange [{len(bars)}:-1]
set ytics ({", ".join(f'"{label}" {i}' for i, (label, _) in enumerate(bars))}) font 'sans,10'
set grid x
set style fill solid 0.8
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb 'black'
plot '{data}' using (($3 >= 1) ? 1 : $3):1:(($3 >= 1) ? 1 : $3):(($3 >= 1) ? $3 : 1):($1 - 0.35):($1 + 0.35):(($3 >= 1) ? 0x1f77b4 : 0xd62728) with boxxyerrorbars lc rgb variable, \\
     '{data}' using 3:1:(sprintf('%.2fx', $3)) with labels left offset 0.5,0 font 'sans,9'
""", data, rows)
    return svg


def plot_all(results, out_dir):
    """Writes the plots of RESULTS into OUT_DIR; returns their paths."""
    return [path for path in (plot_hits_against_threads(results, out_dir), plot_advantage(results, out_dir)) if path]
