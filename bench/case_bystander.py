"""Case 2, bystander progress: two threads hit a breakpoint every 100 us each, which an IDE-like
GDB/MI client in non-stop mode continues at once after every hit; a third thread never hits one
and counts as fast as it can. Its speed is shown as a share of an undebugged run."""

import os

import harness  # tests/integration/harness.py, put on the path by bench_common
from bench_common import BenchError, Case, Metric, Row, compile_c, figure, run_program

HITTERS = 2


def parse(output, where):
    return {"bystander": figure(output, "bystander", where), "calls": figure(output, "hits", where)}


def non_stop_session(server_path, program, seconds):
    """(bystander counts/s, breakpoint hits GDB saw per second) under the server, GDB/MI non-stop."""
    timeout = seconds * 20 + 60
    server = harness.Server([server_path, "--once", f"{harness.HOST}:0", program, str(seconds), str(HITTERS)], program)
    server._wait_listening()
    with server, harness.MiSession(timeout=timeout) as mi:
        for setting in ("confirm off", "pagination off", "sysroot", "mi-async on", "non-stop on"):
            mi.command(f"-gdb-set {setting}", expect="done")
        mi.command(f"-file-exec-and-symbols {program}", expect="done")
        mi.command(f"-target-select remote {server.address}", expect="connected")
        mi.wait_async("stopped", since_resume=False)  # at the program's entry
        mi.command("-break-insert hot", expect="done")
        mi.command("-exec-continue --all", expect="running")
        stop, seen = mi.continue_each_hit()
        if stop.results.get("reason") != "exited-normally":
            raise BenchError(f"{server_path}: the program did not exit normally:\n{mi.describe()}")
        server.wait()
        figures = parse(server.output(), server_path)
        if figures["calls"] != seen:
            raise BenchError(f"{server_path}: {figures['calls']:.0f} calls of hot() but GDB saw {seen} hits")
        return {"bystander": figures["bystander"], "hits": seen / seconds}


def rows(context):
    source = os.path.join(os.path.dirname(__file__), "programs", "bystander.c")
    program = compile_c([source], context.program("bystander"))
    seconds = 3 if context.quick else 6

    def undebugged():
        return {"bystander": parse(run_program([program, str(seconds), str(HITTERS)]), "undebugged")["bystander"]}

    return [Row(f"non-stop, {HITTERS} threads hitting", lambda server: non_stop_session(server.path, program, seconds),
                undebugged)]


CASE = Case(2, "Bystander progress while other threads hit breakpoints",
            [Metric("bystander", "of undebugged", True, relative_to="undebugged"),
             Metric("hits", "hits/s", True)],
            rows,
            goals=[("the bystander keeps at least 90% of its undebugged speed",
                    lambda r: r.share("bystander", "xolstub") >= 90)])
