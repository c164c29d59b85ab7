"""Plots of bench/results/latest.json with gnuplot (SVG)."""
def plot_all(results, out_dir):
    return []
