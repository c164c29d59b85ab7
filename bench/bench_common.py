"""What every benchmark case shares: the servers to compare, building the programs, running GDB
on a program through a server, and the figures a case returns.

A case is a module `case_*.py` with CASE = Case(...). bench/run asks it for its rows (one per
variant, e.g. one per thread count) and calls `row.measure(server)` once per repetition for
each server, alternating which server goes first. A measurement returns {metric: value}."""

import dataclasses
import os
import re
import select
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GDB = shutil.which("gdb") or "/usr/bin/gdb"
# GDB/MI driver of the integration tests, for the non-stop cases.
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


class BenchError(RuntimeError):
    """A case could not run. The benchmark stops and says why, instead of printing a partial table."""


@dataclasses.dataclass(frozen=True)
class Server:
    name: str  # "xolstub" or "gdbserver"
    path: str


@dataclasses.dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    higher_is_better: bool
    # "undebugged": the figure is shown as a share (%) of the same metric in an undebugged run.
    relative_to: str | None = None


@dataclasses.dataclass
class Row:
    """One line of the table: a case's variant, measured once per call of measure(server)."""
    label: str
    measure: object  # callable(Server) -> {metric name: value}
    undebugged: object = None  # callable() -> {metric name: value}: the program with no debugger
    uprobe: object = None  # callable() -> {metric name: value}: the same probe as a kernel uprobe
    x: float | None = None  # where the row sits on a plot's x axis (thread count, ...)


@dataclasses.dataclass
class Case:
    number: int
    title: str
    metrics: list
    rows: object  # callable(Context) -> [Row]
    # [(text, callable(results of this case) -> bool)]: the goals for this case
    goals: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Context:
    quick: bool
    programs: str  # directory of the built benchmark programs
    scratch: str  # a directory the cases may write into

    def program(self, name):
        return os.path.join(self.programs, name)


# -- building ------------------------------------------------------------------------------------

def compile_c(sources, output, flags=(), libraries=()):
    argv = ["cc", "-O1", "-g", "-pthread", *flags, "-o", output, *sources, *libraries]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"could not build {output}:\n{' '.join(argv)}\n{done.stderr}")
    return output


# -- running GDB -----------------------------------------------------------------------------------

def gdb_argv(commands, program, sysroot=""):
    """`gdb -nx -batch` running COMMANDS. SYSROOT None keeps GDB's default (`target:`: shared
    libraries are read from the server with vFile); "" reads them from the local disk."""
    argv = [GDB, "-nx", "-batch", "-ex", "set confirm off", "-ex", "set pagination off"]
    if sysroot is not None:
        argv += ["-ex", f"set sysroot {sysroot}"]
    argv += ["-ex", f"file {program}"]
    for command in commands:
        argv += ["-x", command] if command.endswith(".py") else ["-ex", command]
    return argv


def run_gdb(commands, program, sysroot="", timeout=600, env=None):
    """Runs GDB to its end; returns its stdout and stderr together. GDB failing is a BenchError."""
    argv = gdb_argv(commands, program, sysroot)
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=timeout, env={**os.environ, **(env or {})}, start_new_session=True)
    except subprocess.TimeoutExpired as timeout_error:
        raise BenchError(f"GDB timed out after {timeout} s: {' '.join(argv)}\n"
                         f"{(timeout_error.output or b'').decode(errors='replace')[-3000:]}") from None
    output = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        raise BenchError(f"GDB exited with {done.returncode}: {' '.join(argv)}\n{output[-3000:]}")
    return output


def stdio_target(server, program, args=()):
    """The `target remote | SERVER - PROG ARGS` command: the server runs as GDB's child on a pipe."""
    return f"target remote | {server.path} - {program} {' '.join(map(str, args))}".rstrip()


def figure(output, name, where):
    """The number after `NAME ` at the start of a line of OUTPUT (what the programs and the GDB
    scripts print); a BenchError naming WHERE if there is none."""
    found = re.findall(rf"^{re.escape(name)} (-?[\d.]+(?:e[-+]?\d+)?)\s*$", output, re.M)
    if not found:
        raise BenchError(f"{where}: no '{name}' figure in the output:\n{output[-3000:]}")
    return float(found[-1])


def run_program(argv, timeout=600):
    """An undebugged run; returns its stdout."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(map(str, argv))} exited with {done.returncode}:\n{done.stderr}")
    return done.stdout


def read_until(process, text, timeout, where):
    """Reads PROCESS's stdout (a pipe opened with bufsize=0) until TEXT appears; returns
    (time.perf_counter() when it did, what this call read). A BenchError naming WHERE if the
    output ends or TIMEOUT seconds pass first."""
    deadline = time.perf_counter() + timeout
    output = b""
    needle = text.encode()
    while needle not in output:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([process.stdout], [], [], left)[0]:
            raise BenchError(f"{where}: no '{text}' within {timeout} s:\n{output.decode(errors='replace')[-3000:]}")
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            raise BenchError(f"{where}: output ended (exit status {process.poll()}) without '{text}':\n"
                             f"{output.decode(errors='replace')[-3000:]}")
        output += chunk
    return time.perf_counter(), output.decode(errors="replace")
