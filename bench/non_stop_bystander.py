#!/usr/bin/env python3
"""Bystander progress in non-stop mode: one thread hits a breakpoint thousands of times (GDB/MI,
`set non-stop on`, each hit continued at once), another never hits one and counts as fast as it
can. Prints its speed as a share of an undebugged run, for xolstub and gdbserver side by side,
alternating, median of several runs.

    bench/non_stop_bystander.py [--xolstub build/stub/xolstub] [--gdbserver /usr/bin/gdbserver]
                                [--runs 3] [--seconds 3]

Ratios from one run are what count: absolute rates depend on the machine (on 2 cores, GDB and
the stub compete with the program for CPU time). Fails loudly when a server cannot run.
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


def parse(output):
    rate = re.search(r"^bystander (\d+)$", output, re.M)
    hits = re.search(r"^hits (\d+)$", output, re.M)
    if not rate or not hits:
        raise RuntimeError(f"the benchmark program printed no figures:\n{output}")
    return int(rate.group(1)), int(hits.group(1))


def undebugged(program, seconds):
    out = subprocess.run([program, str(seconds)], capture_output=True, text=True, check=True, timeout=60)
    return parse(out.stdout)


def debugged(server_binary, program, seconds):
    """(bystander rate, breakpoint hits GDB saw) under SERVER_BINARY in non-stop mode."""
    timeout = seconds * 20 + 30
    server = harness.Server([server_binary, "--once", f"{harness.HOST}:0", program, str(seconds)], program)
    server._wait_listening()
    with server, harness.MiSession(timeout=timeout) as mi:
        for setting in ("confirm off", "pagination off", "sysroot", "mi-async on", "non-stop on"):
            mi.command(f"-gdb-set {setting}", expect="done")
        mi.command(f"-file-exec-and-symbols {program}", expect="done")
        mi.command(f"-target-select remote {server.address}", expect="connected")
        mi.wait_async("stopped", since_resume=False)  # at the program's entry
        mi.command("-break-insert hot", expect="done")
        mi.command("-exec-continue --all", expect="running")
        seen = 0
        while True:
            stop = mi.wait_async("stopped", since_resume=False)
            if stop.results.get("reason") != "breakpoint-hit":
                break
            seen += 1
            mi.command(f"-exec-continue --thread {stop['thread-id']}", expect="running")
        if stop.results.get("reason") != "exited-normally":
            raise RuntimeError(f"{server_binary}: the program did not exit normally:\n{mi.describe()}")
        server.wait()
        rate, hits = parse(server.output())
        if hits != seen:
            raise RuntimeError(f"{server_binary}: {hits} calls but GDB saw {seen} hits")
        return rate, hits


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_common.add_server_options(parser)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    servers = bench_common.servers(args)

    with tempfile.TemporaryDirectory(prefix="xolstub-bench-") as directory:
        program = bench_common.build("bystander.c", directory)
        alone, debugged_runs = [], {name: [] for name in servers}
        for _ in range(args.runs):
            alone.append(undebugged(program, args.seconds)[0])
            for name, path in servers.items():
                debugged_runs[name].append(debugged(path, program, args.seconds))

    baseline = statistics.median(alone)
    print(f"non-stop bystander, {args.runs} runs of {args.seconds:g} s, median "
          f"(undebugged: {baseline:,.0f} counts/s)")
    print(f"{'server':<10} {'bystander speed':>16} {'min..max':>14} {'breakpoint hits/s':>18}")
    shares = {}
    for name, runs in debugged_runs.items():
        share = [rate / baseline * 100 for rate, _ in runs]
        shares[name] = statistics.median(share)
        hits_per_second = statistics.median(hits / args.seconds for _, hits in runs)
        print(f"{name:<10} {shares[name]:>15.1f}% {min(share):>6.1f}..{max(share):<6.1f} {hits_per_second:>18,.0f}")
    print(f"ratio xolstub/gdbserver (bystander speed): {shares['xolstub'] / shares['gdbserver']:.2f}")


if __name__ == "__main__":
    main()
