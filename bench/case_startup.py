"""Case 6, start-up: from launching GDB to GDB stopped at `main` of a program linked with 8
small shared libraries, with GDB's default sysroot `target:`, so that GDB reads the dynamic
loader, libc and the 8 libraries through the server's vFile packets, as a user's GDB does.
Timed from starting GDB to the line "Breakpoint 1, main" in its output."""

import os
import re
import signal
import subprocess
import time

from bench_common import BenchError, Case, Metric, Row, compile_c, gdb_argv, read_until, stdio_target

LIBRARIES = 8  # as in programs/startup.c
TIMEOUT = 120


def rows(context):
    here = os.path.join(os.path.dirname(__file__), "programs")
    libraries = [compile_c([os.path.join(here, "startup_lib.c")], context.program(f"libstartup{n}.so"),
                           flags=["-shared", "-fPIC", f"-DINDEX={n}"]) for n in range(LIBRARIES)]
    # $ORIGIN: the program finds its libraries beside it, with no LD_LIBRARY_PATH to pass on.
    program = compile_c([os.path.join(here, "startup.c")], context.program("startup"),
                        flags=["-Wl,-rpath,$ORIGIN", f"-L{context.programs}"],
                        libraries=[f"-lstartup{n}" for n in range(LIBRARIES)])
    # No debuginfod: a download would be timed too, and differ from one run to the next.
    env = {name: value for name, value in os.environ.items() if name != "DEBUGINFOD_URLS"}

    def measure(server):
        argv = gdb_argv([stdio_target(server, program), "break main", "continue", "kill"], program, sysroot=None)
        start = time.perf_counter()
        gdb = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               bufsize=0, env=env, start_new_session=True)
        try:
            stopped, output = read_until(gdb, "Breakpoint 1, main", TIMEOUT, f"{server.name}: GDB")
            output += gdb.communicate(timeout=TIMEOUT)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            raise BenchError(f"{server.name}: GDB did not end within {TIMEOUT} s after stopping at main") from None
        finally:
            if gdb.poll() is None:
                os.killpg(gdb.pid, signal.SIGKILL)  # GDB, the server and the program: GDB's session
                gdb.wait()
        if gdb.returncode != 0 or "killed]" not in output:
            raise BenchError(f"{server.name}: GDB exited with {gdb.returncode} or did not kill the program:\n"
                             f"{' '.join(argv)}\n{output[-3000:]}")
        # The figure is only what it claims if GDB did read every library from the server.
        read = set(re.findall(r"Reading (\S+) from remote target", output))
        missing = [path for path in libraries if path not in read]
        if missing:
            raise BenchError(f"{server.name}: GDB did not read {missing[0]} through the server (sysroot not "
                             f"`target:`?):\n{output[-3000:]}")
        return {"startup": stopped - start}

    return [Row(f"{LIBRARIES} libraries, sysroot target:", measure)]


CASE = Case(6, "Start-up", [Metric("startup", "s", False)], rows,
            goals=[("start-up no slower than gdbserver", lambda r: r.ratio("startup") <= 1.0)])
