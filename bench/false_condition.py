#!/usr/bin/env python3
"""False target-side breakpoint conditions: `break hot if i == -1` on a function that 1, 2, 4,
8 and 16 threads call as fast as they can, while one bystander thread counts and never calls it.
Prints, for xolstub and gdbserver side by side in one run (alternating, median of the runs):
false-condition hits per second (every call of hot() is one), and the bystander's speed as a
share of an undebugged run with the same threads.

    bench/false_condition.py [--xolstub build/stub/xolstub] [--gdbserver /usr/bin/gdbserver]
                             [--runs 3] [--seconds 3] [--threads 1,2,4,8,16]

Ratios from one run are what count. Fails loudly when a server cannot run.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import bench_common
import harness  # noqa: E402  (put on the path by bench_common)


def parse(output, where):
    hot = re.search(r"^hot (\d+)$", output, re.M)
    bystander = re.search(r"^bystander (\d+)$", output, re.M)
    if not hot or not bystander:
        raise RuntimeError(f"{where}: the benchmark program printed no figures:\n{output}")
    return int(hot.group(1)), int(bystander.group(1))


def undebugged(program, threads, seconds):
    out = subprocess.run([program, str(threads), str(seconds)], capture_output=True, text=True, check=True,
                         timeout=seconds * 10 + 30)
    return parse(out.stdout, "undebugged")


def debugged(server_binary, program, threads, seconds):
    server = harness.Server([server_binary, "--once", f"{harness.HOST}:0", program, str(threads), str(seconds)],
                            program)
    server._wait_listening()
    with server:
        gdb = harness.run_gdb([f"target remote {server.address}", "break hot if i == -1", "continue"],
                              program_path=program, timeout=seconds * 60 + 60)
        server.wait(timeout=seconds * 60 + 60)
        if "exited normally" not in gdb.stdout:
            raise RuntimeError(f"{server_binary}: the program did not run to its end:\n{gdb.stdout}\n{gdb.stderr}")
        return parse(server.output(), server_binary)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_common.add_server_options(parser)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", default="1,2,4,8,16")
    args = parser.parse_args()
    servers = bench_common.servers(args)
    counts = [int(n) for n in args.threads.split(",")]

    with tempfile.TemporaryDirectory(prefix="xolstub-bench-") as directory:
        program = bench_common.build("hot_threads.c", directory)
        print(f"false-condition hits/s and bystander speed, {args.runs} runs of {args.seconds:g} s, median")
        print(f"{'threads':>7} {'xolstub hits/s':>15} {'gdbserver hits/s':>17} {'ratio':>7} "
              f"{'xolstub bystander':>18} {'gdbserver bystander':>20}")
        for threads in counts:
            alone, hits, shares = [], {n: [] for n in servers}, {n: [] for n in servers}
            for _ in range(args.runs):
                alone.append(undebugged(program, threads, args.seconds)[1])
                for name, path in servers.items():
                    rate, bystander = debugged(path, program, threads, args.seconds)
                    hits[name].append(rate)
                    shares[name].append(bystander)
            baseline = statistics.median(alone)
            x, g = statistics.median(hits["xolstub"]), statistics.median(hits["gdbserver"])
            xb = statistics.median(shares["xolstub"]) / baseline * 100
            gb = statistics.median(shares["gdbserver"]) / baseline * 100
            print(f"{threads:>7} {x:>15,.0f} {g:>17,.0f} {x / g:>6.1f}x {xb:>17.0f}% {gb:>19.0f}%", flush=True)


if __name__ == "__main__":
    main()
