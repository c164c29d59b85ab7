"""Case 7, threads: attaching to a running program with 1,000 blocked threads, listing them, and
detaching: `target remote | SERVER --attach - PID`, `info threads` (which must list all 1,001)
and `detach`, timed together inside GDB; and the server's peak resident memory (VmHWM) just
before the detach. Afterwards the program must still run."""

import os
import subprocess

from bench_common import BenchError, Case, Metric, Row, compile_c, figure, read_until, run_gdb

THREADS = 1000

SCRIPT = """\
import gdb, os, re, time
pid, server, expected = os.environ["BENCH_PID"], os.environ["BENCH_SERVER"], int(os.environ["BENCH_THREADS"])
start = time.perf_counter()
gdb.execute(f"target remote | {server} --attach - {pid}", to_string=True)
listed = gdb.execute("info threads", to_string=True)
seconds = time.perf_counter() - start
count = len(re.findall(r"^\\*?\\s+\\d+\\s+Thread ", listed, re.M))
print("threads", count)
if count != expected:
    raise gdb.GdbError(f"info threads listed {count} threads, not {expected}:\\n{listed[-2000:]}")


def children(parent):
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                    yield int(entry)
        except OSError:
            pass  # a process that ended meanwhile


# The server is GDB's child, or the child of the shell GDB runs the `target remote |` command in.
found, todo = [], list(children(os.getpid()))
while todo:
    child = todo.pop()
    try:
        if os.path.realpath(f"/proc/{child}/exe") == os.path.realpath(server):
            found.append(child)
    except OSError:
        pass
    todo += children(child)
if len(found) != 1:
    raise gdb.GdbError(f"{len(found)} processes of {server} among GDB's children, not 1")
with open(f"/proc/{found[0]}/status") as status:
    print("peak_rss_kib", re.search(r"^VmHWM:\\s+(\\d+) kB", status.read(), re.M).group(1))
start = time.perf_counter()
gdb.execute("detach", to_string=True)
print("seconds", seconds + time.perf_counter() - start)
"""


def rows(context):
    program = compile_c([os.path.join(os.path.dirname(__file__), "programs", "threads.c")], context.program("threads"))
    script = os.path.join(context.scratch, "threads.py")
    with open(script, "w") as out:
        out.write(SCRIPT)

    def measure(server):
        inferior = subprocess.Popen([program, str(THREADS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        try:
            read_until(inferior, f"ready {THREADS}", 60, "threads program")
            output = run_gdb([script], program, timeout=300, env={
                "BENCH_PID": str(inferior.pid), "BENCH_SERVER": server.path, "BENCH_THREADS": str(THREADS + 1)})
            if figure(output, "threads", server.name) != THREADS + 1:
                raise BenchError(f"{server.name}: `info threads` did not list {THREADS + 1} threads:\n{output[-3000:]}")
            figures = {"seconds": figure(output, "seconds", server.name),
                       "peak_rss": figure(output, "peak_rss_kib", server.name)}
            # Detached, the program must run on: answer a line, and not be left stopped or traced.
            if inferior.poll() is not None:
                raise BenchError(f"{server.name}: the program ended (status {inferior.returncode}) after detach")
            inferior.stdin.write(b"ping\n")
            read_until(inferior, "alive", 10, f"{server.name}: the program after detach")
            with open(f"/proc/{inferior.pid}/status") as status:
                tracer = next(line.split()[1] for line in status if line.startswith("TracerPid:"))
            if tracer != "0":
                raise BenchError(f"{server.name}: the program is still traced by process {tracer} after detach")
            return figures
        finally:
            inferior.kill()
            inferior.wait()

    return [Row(f"attach to {THREADS + 1:,} threads", measure)]


CASE = Case(7, "Threads", [Metric("seconds", "s", False), Metric("peak_rss", "KiB", False)], rows,
            goals=[("attach + info threads + detach no slower than gdbserver", lambda r: r.ratio("seconds") <= 1.0)])
