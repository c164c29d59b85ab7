"""Case 3, breakpoints reported to GDB: `break f` and `continue` in a GDB Python loop, in
all-stop and in non-stop mode: hits per second (timed inside GDB), and the RSP packets each hit
costs, both directions (counted in `set debug remote 1` output: the difference between a run of
FEW and of MANY hits, so that connecting and start-up do not count)."""

import os

from bench_common import BenchError, Case, Metric, Row, compile_c, figure, run_gdb, stdio_target

LOOP = """\
import gdb, os, time
gdb.execute("break f")
gdb.execute("continue"{capture})
hits = int(os.environ["BENCH_HITS"])
start = time.perf_counter()
for _ in range(hits):
    gdb.execute("continue"{capture})
print("hits_per_second", hits / (time.perf_counter() - start))
"""
FEW, MANY = 20, 220


def packets(output):
    return sum(output.count(marker) for marker in ("Sending packet:", "Packet received:", "Notification received:"))


def rows(context):
    program = compile_c([os.path.join(os.path.dirname(__file__), "programs", "calls.c")], context.program("calls"))
    hits = 300 if context.quick else 1000
    timed = os.path.join(context.scratch, "hits_timed.py")
    counted = os.path.join(context.scratch, "hits_counted.py")
    with open(timed, "w") as out:
        out.write(LOOP.format(capture=", to_string=True"))
    # to_string would capture GDB's debug log as well (binary vFile data too, which is not
    # UTF-8): the counted loop prints, to /dev/null.
    with open(counted, "w") as out:
        out.write(LOOP.format(capture=""))

    def row(non_stop):
        mode = f"set non-stop {'on' if non_stop else 'off'}"

        def session(server, script, count, debug):
            commands = [mode, *(["set debug remote 1"] if debug else []),
                        stdio_target(server, program, [count + 50]), script, "kill"]
            return run_gdb(commands, program, env={"BENCH_HITS": str(count)})

        def measure(server):
            rate = figure(session(server, timed, hits, False), "hits_per_second", server.name)
            few, many = (packets(session(server, counted, n, True)) for n in (FEW, MANY))
            if many <= few:
                raise BenchError(f"{server.name}: no packets counted in `set debug remote 1` output")
            return {"hits": rate, "packets": (many - few) / (MANY - FEW)}

        return Row("non-stop" if non_stop else "all-stop", measure, x=1 if non_stop else 0)

    return [row(False), row(True)]


CASE = Case(3, "Breakpoints reported to GDB",
            [Metric("hits", "hits/s", True), Metric("packets", "packets/hit", False)], rows,
            goals=[("all-stop: fewer packets per hit than gdbserver", lambda r: r.ratio("packets", x=0) < 1),
                   ("non-stop: fewer packets per hit than gdbserver", lambda r: r.ratio("packets", x=1) < 1)])
