"""Case 4, stepping: `stepi` 10,000 times in a loop, then `next` over a line that loops 100,000
times (GDB range-steps it with vCont;r where the server supports it). Times are measured inside
GDB, from the first step to the last stop."""

import os

from bench_common import Case, Metric, Row, compile_c, figure, run_gdb, stdio_target

STEPIS = 10_000
ITERATIONS = 100_000
QUICK_ITERATIONS = 10_000  # a single-step costs ~80 us on a VM: the full line takes a minute

SCRIPT = """\
import gdb, time
gdb.execute("break spin")
gdb.execute("continue", to_string=True)
start = time.perf_counter()
for _ in range({stepis}):
    gdb.execute("stepi", to_string=True)
print("stepi_seconds", time.perf_counter() - start)
gdb.execute("tbreak stepping.c:{line}")
gdb.execute("continue", to_string=True)
start = time.perf_counter()
gdb.execute("next", to_string=True)
print("next_seconds", time.perf_counter() - start)
where = gdb.execute("info line *$pc", to_string=True)
if "line {after}" not in where:
    raise gdb.GdbError("next stopped at the wrong place: " + where)
"""


def rows(context):
    source = os.path.join(os.path.dirname(__file__), "programs", "stepping.c")
    program = compile_c([source], context.program("stepping"))
    line = next(n for n, text in enumerate(open(source), 1) if "next over this" in text)
    script = os.path.join(context.scratch, "stepping.py")
    with open(script, "w") as out:
        out.write(SCRIPT.format(stepis=STEPIS, line=line, after=line + 1))

    iterations = QUICK_ITERATIONS if context.quick else ITERATIONS

    def measure(server):
        output = run_gdb([stdio_target(server, program, [iterations]), script, "kill"], program)
        return {"stepi": figure(output, "stepi_seconds", server.name),
                "next": figure(output, "next_seconds", server.name)}

    return [Row(f"stepi x{STEPIS:,}, next over {iterations:,} iterations", measure)]


CASE = Case(4, "Stepping", [Metric("stepi", "s", False), Metric("next", "s", False)], rows,
            goals=[("stepi no slower than gdbserver", lambda r: r.ratio("stepi") <= 1.0),
                   ("next no slower than gdbserver", lambda r: r.ratio("next") <= 1.0)])
