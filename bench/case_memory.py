"""Case 5, memory: GDB reading 64 MiB of the inferior with `dump binary memory` (m packets), and
pulling libc through vFile with `remote get` (the transfer GDB does for every shared library when
its sysroot is `target:`). Both are timed inside GDB around the one command; the dumped file must
hold the program's pattern and the copy of libc must be byte-identical to the file on disk."""

import filecmp
import os
import re

from bench_common import BenchError, Case, Metric, Row, compile_c, figure, run_gdb, stdio_target

SIZE = 64 << 20
PERIOD = 4093  # as in programs/memory.c

SCRIPT = """\
import gdb, os, time
gdb.execute("break ready")
gdb.execute("continue", to_string=True)
start = int(gdb.parse_and_eval("(unsigned long) buffer"))
begin = time.perf_counter()
gdb.execute(f"dump binary memory {dump} {{start}} {{start + {size}}}")
print("dump_seconds", time.perf_counter() - begin)
# The libc this process runs, as GDB loaded it (sysroot "": a local path), without symlinks.
libc = [o.filename for o in gdb.objfiles() if os.path.basename(o.filename or "").startswith("libc.so")]
if not libc:
    raise gdb.GdbError("libc not among GDB's objfiles")
libc = os.path.realpath(libc[0])
print("libc_path", libc)
begin = time.perf_counter()
gdb.execute(f"remote get {{libc}} {copy}")
print("libc_seconds", time.perf_counter() - begin)
"""


def pattern():
    """The bytes programs/memory.c fills its buffer with."""
    state, block = 12345, bytearray(PERIOD)
    for i in range(PERIOD):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        block[i] = state >> 24
    return (bytes(block) * (SIZE // PERIOD + 1))[:SIZE]


def rows(context):
    program = compile_c([os.path.join(os.path.dirname(__file__), "programs", "memory.c")], context.program("memory"))
    dump = os.path.join(context.scratch, "memory.bin")
    copy = os.path.join(context.scratch, "libc.copy")
    script = os.path.join(context.scratch, "memory.py")
    with open(script, "w") as out:
        out.write(SCRIPT.format(dump=dump, copy=copy, size=SIZE))
    expected = pattern()

    def measure(server):
        for path in (dump, copy):
            if os.path.exists(path):
                os.unlink(path)
        output = run_gdb([stdio_target(server, program), script, "kill"], program)
        figures = {"dump": figure(output, "dump_seconds", server.name),
                   "libc": figure(output, "libc_seconds", server.name)}
        with open(dump, "rb") as dumped:
            data = dumped.read()
        if data != expected:
            where = next((i for i, (a, b) in enumerate(zip(data, expected)) if a != b), min(len(data), SIZE))
            raise BenchError(f"{server.name}: `dump binary memory` wrote {len(data):,} bytes (expected {SIZE:,}) "
                             f"that differ from the program's pattern from offset {where:#x}")
        libc = re.search(r"^libc_path (.+)$", output, re.M).group(1)
        if not filecmp.cmp(libc, copy, shallow=False):
            raise BenchError(f"{server.name}: `remote get {libc}` made a copy ({os.path.getsize(copy):,} bytes) "
                             f"that differs from the file ({os.path.getsize(libc):,} bytes)")
        os.unlink(dump)
        return figures

    return [Row("dump 64 MiB, remote get libc", measure)]


CASE = Case(5, "Memory", [Metric("dump", "s", False), Metric("libc", "s", False)], rows,
            goals=[("dump 64 MiB no slower than gdbserver", lambda r: r.ratio("dump") <= 1.0),
                   ("remote get libc no slower than gdbserver", lambda r: r.ratio("libc") <= 1.0)])
