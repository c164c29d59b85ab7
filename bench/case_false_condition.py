"""Case 1, a false target-side condition on a hot function: `break hot if i == -1` where 1, 2,
4, 8 and 16 threads call hot() as fast as they can (every call is a hit the server evaluates and
passes), while one bystander thread counts and never calls it. The kernel-uprobe row is the same
probe point with no debugger: the kernel's own out-of-line step."""

import os

from bench_common import BenchError, Case, Metric, Row, compile_c, figure, run_gdb, run_program, stdio_target


def parse(output, where):
    return {"hits": figure(output, "hot", where), "bystander": figure(output, "bystander", where)}


def rows(context):
    source = os.path.join(os.path.dirname(__file__), "programs", "hot_threads.c")
    program = compile_c([source], context.program("hot_threads"))
    seconds = 2 if context.quick else 3

    def row(threads):
        args = [threads, seconds]

        def measure(server):
            output = run_gdb([stdio_target(server, program, args), "break hot if i == -1", "continue"], program,
                             timeout=seconds * 60 + 60)
            if "exited normally" not in output:
                raise BenchError(f"{server.name}: hot_threads did not run to its end:\n{output[-3000:]}")
            return parse(output, server.name)

        def undebugged():
            return parse(run_program([program, *map(str, args)]), "undebugged")

        def uprobe(probe):
            with probe.probe(program, "hot"):
                return parse(run_program([program, *map(str, args)]), "kernel uprobe")

        return Row(f"{threads} thread{'s' if threads > 1 else ''}", measure, undebugged, uprobe, x=threads)

    return [row(n) for n in ([1, 8] if context.quick else [1, 2, 4, 8, 16])]


CASE = Case(1, "False target-side condition on a hot function",
            [Metric("hits", "hits/s", True), Metric("bystander", "of undebugged", True, relative_to="undebugged")],
            rows,
            goals=[("at 8 threads at least 10x gdbserver's hits/s", lambda r: r.ratio("hits", x=8) >= 10)])
