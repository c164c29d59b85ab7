"""Integration-test harness: a real GDB driving a real debug server on real programs.

The server is $XOLSTUB_SERVER when set (e.g. /usr/bin/gdbserver, to compare), else $XOLSTUB.
Programs come from $XOLSTUB_PROGRAMS (built from tests/programs/*.c). Both gdbserver and
xolstub take the same command line and print the same lines, so the tests are written against
gdbserver's interface:

    SERVER --once 127.0.0.1:0 PROG ARGS      -> "Process PROG created; pid = N", "Listening on port P"
    SERVER --once --attach 127.0.0.1:0 PID   -> "Attached; pid = N", "Listening on port P"
    SERVER - PROG ARGS                       (stdio: `target remote | SERVER - PROG ARGS`)
    SERVER --once unix:PATH PROG ARGS        (xolstub only)

Rules every helper follows: every wait has a timeout, and whatever was started (server, GDB,
inferior, attach target) is killed on the way out, pass or fail, so no test can hang or leak.
"""

import atexit
import contextlib
import ctypes
import functools
import os
import queue
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.normpath(os.path.join(HERE, "..", "programs"))

GDB = os.environ.get("XOLSTUB_GDB", "gdb")
TIMEOUT = float(os.environ.get("XOLSTUB_TEST_TIMEOUT", "30"))  # one GDB run or one wait
HOST = "127.0.0.1"

# GDB and the server print the messages the tests match in English, without debuginfod
# prompts or downloads.
ENV = dict(os.environ, LC_ALL="C", LANG="C", DEBUGINFOD_URLS="")

# Every file the harness writes (server output, sockets, pid files) lives under one directory
# per test process, removed at exit.
_SCRATCH = tempfile.mkdtemp(prefix="xolstub-it-")
atexit.register(shutil.rmtree, _SCRATCH, True)


def scratch_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=_SCRATCH)


# ----------------------------------------------------------------------------------------------
# Configuration

def server_path():
    path = os.environ.get("XOLSTUB_SERVER") or os.environ.get("XOLSTUB")
    if not path:
        raise unittest.SkipTest("neither XOLSTUB_SERVER nor XOLSTUB is set")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"server {path} is not an executable file (build xolstub first)")
    return path


_is_gdbserver = None


def server_is_gdbserver():
    """True when the server under test is GDB's own gdbserver (not xolstub)."""
    global _is_gdbserver
    if _is_gdbserver is None:
        path = server_path()
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=10, stdin=subprocess.DEVNULL, env=ENV)
            text = out.stdout + out.stderr
        except (OSError, subprocess.TimeoutExpired):
            text = ""
        _is_gdbserver = "GNU gdbserver" in text or os.path.basename(path).startswith("gdbserver")
    return _is_gdbserver


def skip_if_gdbserver(reason):
    """Decorator: the test checks an xolstub-only feature."""
    def decorate(test):
        @functools.wraps(test)
        def wrapper(*args, **kwargs):
            if server_is_gdbserver():
                raise unittest.SkipTest(f"xolstub only: {reason}")
            return test(*args, **kwargs)
        return wrapper
    return decorate


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def cpu_vendor():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    return ""


def program(name):
    """Path of a built test program (tests/programs/NAME.c)."""
    directory = os.environ.get("XOLSTUB_PROGRAMS")
    if not directory:
        raise unittest.SkipTest("XOLSTUB_PROGRAMS is not set")
    path = os.path.join(directory, name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"test program {path} is missing: build target '{name}' first")
    return path


def source_line(name, marker):
    """Line number of the comment "@MARKER" in tests/programs/NAME.c."""
    pattern = re.compile(r"@" + re.escape(marker) + r"\b")
    with open(os.path.join(SOURCES, name + ".c")) as f:
        for number, line in enumerate(f, 1):
            if pattern.search(line):
                return number
    raise AssertionError(f"marker @{marker} not found in {name}.c")


# ----------------------------------------------------------------------------------------------
# Processes

def _wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def become_subreaper():
    """Make this process adopt orphaned descendants, so that an inferior the server left running
    (detach) can still be reaped, and its exit status read, with waitpid()."""
    PR_SET_CHILD_SUBREAPER = 36
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except OSError:
        pass


become_subreaper()


def pid_alive(pid):
    """True while PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def pid_runs(pid, program_path):
    """True while PID is alive and runs PROGRAM_PATH (guards against killing a reused pid)."""
    if not pid_alive(pid):
        return False
    try:
        return os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(program_path)
    except OSError:
        return False


def reap(pid, timeout=TIMEOUT):
    """Wait for PID (our child or an adopted orphan) to end; returns its wait status as
    ('exited', code) or ('signaled', signo), ('gone', None) when it ended and someone else
    (its parent, e.g. the server) reaped it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            # Not (yet) our child: still the server's child, or already reaped elsewhere.
            if not os.path.exists(f"/proc/{pid}"):
                return ("gone", None)
            time.sleep(0.02)
            continue
        if got == pid:
            if os.WIFEXITED(status):
                return ("exited", os.WEXITSTATUS(status))
            if os.WIFSIGNALED(status):
                return ("signaled", os.WTERMSIG(status))
        time.sleep(0.02)
    return None


def kill_group(proc):
    """SIGKILL the process group led by PROC (started with start_new_session=True)."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


_UNIX_PROBE = ("import socket,sys\n"
               "s=socket.socket(socket.AF_UNIX)\n"
               "try:\n s.connect(sys.argv[1])\n"
               "except OSError as e:\n print('refused:', e.strerror); sys.exit(0)\n"
               "data=b''\n"
               "while True:\n c=s.recv(4096)\n if not c: break\n data+=c\n"
               "print('reply:', data.decode(errors='replace'))\n")


def connect_as_nobody(socket_path):
    """Connects to the Unix socket at SOCKET_PATH as uid 65534 and reads until it is closed:
    "refused: STRERROR" when connect fails, else "reply: WHAT CAME"."""
    # The system's python (the test's own may live where that user cannot read).
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", _UNIX_PROBE, socket_path]
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT).stdout


class Target:
    """A program we start ourselves, to be attached to (`--attach PID`). Output goes to a file."""

    def __init__(self, name, args=(), wait_for=None, timeout=TIMEOUT):
        self.path = program(name)
        self.dir = scratch_dir("target-")
        self.out_path = os.path.join(self.dir, "stdout")
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([self.path, *map(str, args)], stdout=self._out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.pid = self.proc.pid
        if wait_for and not _wait_until(lambda: wait_for in self.output(), timeout):
            self.close()
            raise AssertionError(f"{name} did not print {wait_for!r}: {self.output()!r}")

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        kill_group(self.proc)
        self._out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Server:
    """One server process. stdout/stderr go to files (they are shared with the inferior, which
    may outlive the server after a detach), so reading them can never block."""

    def __init__(self, argv, program_path=None):
        self.argv = argv
        self.program_path = program_path
        self.dir = scratch_dir("server-")
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=ENV)
        self.port = None
        self.inferior_pid = None
        self.returncode = None
        self.keep_inferior = False  # set by tests that detach and leave the program running

    # -- constructors --------------------------------------------------------------------------

    @classmethod
    def launch(cls, name, args=(), once=True, options=()):
        """SERVER --once 127.0.0.1:0 PROG ARGS; waits for the listening port."""
        path = program(name)
        argv = [server_path(), *(["--once"] if once else []), *options, f"{HOST}:0", path,
                *map(str, args)]
        server = cls(argv, path)
        server._wait_listening()
        server.inferior_pid = server._parse_int(r"Process .* created; pid = (\d+)")
        return server

    @classmethod
    def attach(cls, pid, program_path=None, options=()):
        """SERVER --once --attach 127.0.0.1:0 PID."""
        argv = [server_path(), "--once", *options, "--attach", f"{HOST}:0", str(pid)]
        server = cls(argv, program_path)
        server.keep_inferior = True  # the attached process belongs to whoever started it
        server._wait_listening()
        server.inferior_pid = server._parse_int(r"Attached; pid = (\d+)")
        return server

    @classmethod
    def unix(cls, socket_path, name, args=()):
        """SERVER --once unix:PATH PROG ARGS (xolstub only); waits for the socket to appear."""
        path = program(name)
        server = cls([server_path(), "--once", f"unix:{socket_path}", path, *map(str, args)],
                     path)
        ready = _wait_until(lambda: os.path.exists(socket_path)
                            and stat.S_ISSOCK(os.stat(socket_path).st_mode)
                            or server.proc.poll() is not None, TIMEOUT)
        if not ready or server.proc.poll() is not None:
            server.close()
            raise AssertionError(f"server did not create socket {socket_path}:\n{server.errors()}")
        server.inferior_pid = server._parse_int(r"Process .* created; pid = (\d+)")
        return server

    # -- output ----------------------------------------------------------------------------------

    def output(self):
        """What the server (and the inferior, which shares it) wrote to stdout."""
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def errors(self):
        """What the server (and the inferior) wrote to stderr: the server's own lines."""
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def _parse_int(self, pattern):
        match = re.search(pattern, self.errors())
        return int(match.group(1)) if match else None

    def _wait_listening(self):
        def check():
            if re.search(r"Listening on port (\d+)", self.errors()):
                return True
            return self.proc.poll() is not None
        _wait_until(check, TIMEOUT)
        match = re.search(r"Listening on port (\d+)", self.errors())
        if not match:
            self.close()
            raise AssertionError(f"server did not print 'Listening on port N' "
                                 f"(argv {self.argv}):\n{self.errors()}")
        self.port = int(match.group(1))

    @property
    def address(self):
        return f"{HOST}:{self.port}"

    # -- lifetime --------------------------------------------------------------------------------

    def wait(self, timeout=TIMEOUT):
        """Wait for the server to exit; returns its exit code, or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.returncode = None
        return self.returncode

    def close(self):
        if self.proc.poll() is None:
            kill_group(self.proc)
        else:
            self.returncode = self.proc.returncode
        # The inferior has its own process group (the server calls setpgid): kill it by pid.
        # It may already be dying (PTRACE_O_EXITKILL) and, orphaned, become our child (we are
        # a subreaper): reap it either way so that no zombie is left.
        if not self.keep_inferior and self.inferior_pid and self.program_path:
            if pid_runs(self.inferior_pid, self.program_path):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.inferior_pid, signal.SIGKILL)
            reap(self.inferior_pid, timeout=2)
        self._out.close()
        self._err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------------------------------------
# GDB in batch mode

class GdbResult:
    def __init__(self, argv, stdout, stderr, returncode):
        self.argv = argv
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode

    @property
    def all(self):
        return self.stdout + self.stderr

    def section(self, name):
        """The stdout text between `mark(NAME)` and the next mark (or the end)."""
        start = self.stdout.find(f"@@{name}@@\n")
        if start < 0:
            raise AssertionError(f"mark {name} not in GDB output:\n{self.describe()}")
        start += len(f"@@{name}@@\n")
        end = self.stdout.find("@@", start)
        while end >= 0 and not re.match(r"@@[\w.-]+@@\n", self.stdout[end:]):
            end = self.stdout.find("@@", end + 2)
        return self.stdout[start:] if end < 0 else self.stdout[start:end]

    def describe(self):
        return (f"--- gdb stdout ---\n{self.stdout}\n--- gdb stderr ---\n{self.stderr}\n"
                f"--- gdb exit code {self.returncode}")


def mark(name):
    """A GDB command that prints a marker line; GdbResult.section(NAME) returns what follows."""
    return f"echo @@{name}@@\\n"


def gdb_argv(commands, program_path=None, sysroot=""):
    """`gdb -nx -batch` with COMMANDS as -ex arguments. SYSROOT None keeps GDB's default
    (`target:`, files are read from the server with vFile); "" makes GDB read local files."""
    argv = [GDB, "-nx", "-batch",
            "-ex", "set confirm off", "-ex", "set pagination off",
            "-ex", "set width 0", "-ex", "set height 0",
            # "basic.c:19" whether the programs were compiled with relative or (CMake)
            # absolute source paths.
            "-ex", "set filename-display basename"]
    if sysroot is not None:
        argv += ["-ex", f"set sysroot {sysroot}"]
    if program_path:
        argv += ["-ex", f"file {program_path}"]
    for command in commands:
        argv += ["-ex", command]
    return argv


def run_gdb(commands, program_path=None, sysroot="", timeout=TIMEOUT):
    """Run GDB in batch mode; returns GdbResult. On timeout GDB (and its process group) is
    killed and the test fails with what GDB had printed."""
    return run_batch("GDB", gdb_argv(commands, program_path, sysroot), timeout)


def run_batch(what, argv, timeout):
    """Runs a debugger in batch mode to its end; GdbResult. On timeout it (and its process
    group) is killed and the test fails with what it had printed."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True, env=ENV)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        result = GdbResult(argv, out.decode(errors="replace"), err.decode(errors="replace"), None)
        raise AssertionError(f"{what} timed out after {timeout}s\n{result.describe()}")
    return GdbResult(argv, out.decode(errors="replace"), err.decode(errors="replace"),
                     proc.returncode)


LLDB = os.environ.get("XOLSTUB_LLDB", "lldb")


def lldb_available():
    return shutil.which(LLDB) is not None


def run_lldb(commands, program_path=None, timeout=TIMEOUT):
    """`lldb -b` with COMMANDS as -o arguments (and PROGRAM_PATH as its target); returns a
    GdbResult (the same shape: argv, stdout, stderr, returncode). lldb -b stops at the first
    command that fails, so a test sees exactly how far it got."""
    argv = [LLDB, "-b", "--no-lldbinit"]
    if program_path:
        argv.append(program_path)
    for command in commands:
        argv += ["-o", command]
    return run_batch("LLDB", argv, timeout)


class Session:
    """The outcome of one debugging session: GDB's output and the server's."""

    def __init__(self, gdb, server):
        self.gdb = gdb
        self.server = server
        self.server_out = server.output() if server else ""
        self.server_err = server.errors() if server else ""
        self.server_rc = server.returncode if server else None
        self.inferior_pid = server.inferior_pid if server else None
        self.port = server.port if server else None

    @property
    def stdout(self):
        return self.gdb.stdout

    def section(self, name):
        return self.gdb.section(name)

    def describe(self):
        return (f"{self.gdb.describe()}\n--- server stdout ---\n{self.server_out}\n"
                f"--- server stderr ---\n{self.server_err}\n--- server exit code {self.server_rc}")


def debug(name, args=(), commands=(), sysroot="", extended=False, timeout=TIMEOUT,
          server_options=(), keep_inferior=False):
    """Start `SERVER --once 127.0.0.1:0 PROG ARGS`, run GDB with `file PROG`,
    `target remote HOST:PORT` then COMMANDS, wait for the server to exit, clean up (killing
    the inferior if it is still running, unless KEEP_INFERIOR: then the caller must reap or
    kill session.inferior_pid). COMMANDS may be a function of the Server (to use its
    inferior_pid or port) returning the list."""
    with Server.launch(name, args, options=server_options) as server:
        server.keep_inferior = keep_inferior
        if callable(commands):
            commands = commands(server)
        target = "extended-remote" if extended else "remote"
        gdb = run_gdb([f"target {target} {server.address}", *commands],
                      program_path=server.program_path, sysroot=sysroot, timeout=timeout)
        server.wait(timeout=10)
        return Session(gdb, server)


class StdioSession:
    def __init__(self, gdb, server_pid, server_exited):
        self.gdb = gdb
        self.server_pid = server_pid        # None if the pid file was never written
        self.server_exited = server_exited  # True if the server ended on its own

    @property
    def stdout(self):
        return self.gdb.stdout

    def describe(self):
        return (f"{self.gdb.describe()}\n--- server pid {self.server_pid}, "
                f"exited on its own: {self.server_exited}")


def debug_stdio(name, args=(), commands=(), sysroot="", timeout=TIMEOUT):
    """`target remote | SERVER - PROG ARGS`: GDB starts the server itself, talking over its
    stdin/stdout. The server's stderr (its own lines, and the inferior's stdout, which the
    server redirects there) arrives on GDB's stderr. A pid file lets us clean up leftovers.
    Returns a StdioSession."""
    path = program(name)
    tmp = scratch_dir("stdio-")
    pidfile = os.path.join(tmp, "server.pid")
    server_cmd = " ".join(shlex.quote(a) for a in [server_path(), "-", path, *map(str, args)])
    pipe = f"target remote | echo $$ > {shlex.quote(pidfile)}; exec {server_cmd}"
    server_pid, exited = None, None
    try:
        gdb = run_gdb([pipe, *commands], program_path=path, sysroot=sysroot, timeout=timeout)
    finally:
        server_pid, exited = _cleanup_stdio(pidfile, path)
    return StdioSession(gdb, server_pid, exited)


def _cleanup_stdio(pidfile, program_path):
    """Kill what `target remote | ...` may have left; returns (server pid, exited by itself)."""
    try:
        with open(pidfile) as f:
            server_pid = int(f.read().strip())
    except (OSError, ValueError):
        return None, None
    # Give the server a moment to exit on its own after GDB closed the pipe.
    exited = bool(_wait_until(lambda: not pid_alive(server_pid), 5))
    if not exited:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server_pid, signal.SIGKILL)
    reap(server_pid, timeout=2)  # GDB is gone, so the server is our (adopted) child
    # Any inferior of that server (now orphaned to us, maybe already a zombie): kill, reap.
    comm = os.path.basename(program_path)[:15]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
            ppid = int(tail.split()[1])
            name = head.split("(", 1)[1]
        except (OSError, IndexError, ValueError):
            continue
        if name == comm and ppid in (server_pid, os.getpid()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry), signal.SIGKILL)
            reap(int(entry), timeout=2)
    return server_pid, exited


# ----------------------------------------------------------------------------------------------
# GDB/MI, driven interactively over pipes as an IDE does

class MiError(AssertionError):
    pass


def parse_mi_value(text, pos=0):
    """Parse one MI value (c-string, tuple {...} or list [...]) at POS; returns (value, pos)."""
    ch = text[pos]
    if ch == '"':
        out = []
        pos += 1
        while text[pos] != '"':
            if text[pos] == "\\":
                pos += 1
                esc = text[pos]
                out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(esc, "\\" + esc))
            else:
                out.append(text[pos])
            pos += 1
        return "".join(out), pos + 1
    if ch == "{":
        result = {}
        pos += 1
        if text[pos] == "}":
            return result, pos + 1
        while True:
            if text[pos] in '"{[':  # GDB's quirk: a tuple of bare values (a dprintf's script=)
                name = str(len(result))
            else:
                name, pos = _parse_mi_name(text, pos)
            value, pos = parse_mi_value(text, pos)
            result[name] = value
            if text[pos] == "}":
                return result, pos + 1
            pos += 1  # ','
    if ch == "[":
        items = []
        pos += 1
        if text[pos] == "]":
            return items, pos + 1
        while True:
            if text[pos] in '"{[':
                value, pos = parse_mi_value(text, pos)
                items.append(value)
            else:  # list of results: name=value; keep as (name, value) pairs
                name, pos = _parse_mi_name(text, pos)
                value, pos = parse_mi_value(text, pos)
                items.append((name, value))
            if text[pos] == "]":
                return items, pos + 1
            pos += 1  # ','
    raise ValueError(f"bad MI value at {pos}: {text[pos:pos + 40]!r}")


def _parse_mi_name(text, pos):
    end = text.index("=", pos)
    return text[pos:end], end + 1


def parse_mi_results(text):
    """Parse 'a="1",b={...}' (the part after the class of a record) into a dict."""
    result = {}
    pos = 0
    while pos < len(text):
        name, pos = _parse_mi_name(text, pos)
        value, pos = parse_mi_value(text, pos)
        result[name] = value
        if pos < len(text):
            pos += 1  # ','
    return result


class MiRecord:
    """One MI output record, e.g. `12^done,value="5"` or `*stopped,reason=...`."""

    RE = re.compile(r"^(\d*)([\^*+=~@&])([\w-]*)(?:,(.*))?$")

    def __init__(self, line):
        self.line = line
        match = self.RE.match(line)
        if not match:
            raise ValueError(f"not an MI record: {line!r}")
        self.token = int(match.group(1)) if match.group(1) else None
        self.kind = match.group(2)
        if self.kind in "~@&":  # stream record: the rest is a c-string
            self.cls = ""
            self.text, _ = parse_mi_value(line, len(match.group(1)) + 1)
            self.results = {}
        else:
            self.cls = match.group(3)
            self.text = ""
            self.results = parse_mi_results(match.group(4) or "")

    def __getitem__(self, key):
        return self.results[key]

    def __repr__(self):
        return f"MiRecord({self.line!r})"


class MiSession:
    """`gdb --interpreter=mi3` driven over pipes. command() sends one command and returns its
    result record; async records (*stopped, =thread-created, ...) seen meanwhile are kept, and
    wait_async() finds them in order."""

    def __init__(self, timeout=TIMEOUT):
        self.timeout = timeout
        self.proc = subprocess.Popen([GDB, "-nx", "-q", "--interpreter=mi3"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
        self.lines = queue.Queue()
        self.transcript = []  # everything GDB printed, for failure messages
        self.pending = []     # (sequence, record): async records not consumed by wait_async()
        self.sequence = 0     # counts records read
        self.resumed_at = 0   # sequence number of the last ^running result
        self.streams = []     # console/target/log stream text since the last command
        self.token = 100
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._wait_prompt()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\r\n"))
        self.lines.put(None)

    def _next_line(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MiError(f"timed out waiting for GDB/MI output\n{self.describe()}")
        try:
            line = self.lines.get(timeout=remaining)
        except queue.Empty:
            raise MiError(f"timed out waiting for GDB/MI output\n{self.describe()}") from None
        if line is None:
            raise MiError(f"GDB exited\n{self.describe()}")
        self.transcript.append(line)
        return line

    def _take(self, line):
        """File one line; returns the record when it is a result record."""
        if line == "(gdb)" or line == "(gdb) " or not line:
            return None
        try:
            record = MiRecord(line)
        except ValueError:
            self.streams.append(line)  # inferior output or other raw text
            return None
        if record.kind in "~@&":
            self.streams.append(record.text)
            return None
        self.sequence += 1
        if record.kind == "^":
            if record.cls == "running":
                self.resumed_at = self.sequence
            return record
        self.pending.append((self.sequence, record))
        return None

    def _wait_prompt(self, deadline=None):
        deadline = deadline or time.monotonic() + self.timeout
        while True:
            line = self._next_line(deadline)
            if line.startswith("(gdb)"):
                return
            self._take(line)

    def command(self, text, expect=None, timeout=None):
        """Send an MI command; return its result record (^done, ^running, ^connected, ^error).
        With EXPECT, fail unless the result class matches."""
        self.token += 1
        token = self.token
        self.streams = []
        self.transcript.append(f"<<< {token}{text}")
        self.proc.stdin.write(f"{token}{text}\n".encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            record = self._take(self._next_line(deadline))
            if record is not None and record.token == token:
                break
        self._wait_prompt(deadline)
        if expect and record.cls != expect:
            raise MiError(f"{text}: expected ^{expect}, got {record.line}\n{self.describe()}")
        return record

    def console(self, text, timeout=None):
        """Run a CLI command through -interpreter-exec console; returns its console output."""
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        self.command(f'-interpreter-exec console "{quoted}"', expect="done", timeout=timeout)
        return "".join(self.streams)

    def continue_each_hit(self):
        """Continues the thread of every breakpoint hit at once (non-stop) until a stop of
        another kind; returns (that stop, the number of hits)."""
        hits = 0
        while True:
            stop = self.wait_async("stopped", since_resume=False)
            if stop.results.get("reason") != "breakpoint-hit":
                return stop, hits
            hits += 1
            self.command(f"-exec-continue --thread {stop['thread-id']}", expect="running")

    def wait_async(self, cls, kind="*", timeout=None, since_resume=True):
        """Return (and consume) the first async record of class CLS (e.g. "stopped").
        With SINCE_RESUME, only records that came after the last ^running count (so a
        `*stopped` left over from connecting is never mistaken for the next stop)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, (sequence, record) in enumerate(self.pending):
                if record.kind == kind and record.cls == cls and (
                        not since_resume or sequence > self.resumed_at):
                    del self.pending[i]
                    return record
            self._take(self._next_line(deadline))

    def take_async(self, cls, kind="*", wait=0.05):
        """Reads what GDB prints within WAIT seconds (no more once it falls silent) and returns
        (and consumes) every async record of class CLS seen so far, oldest first. For driving
        several sessions at once without blocking on one."""
        deadline = time.monotonic() + wait
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise MiError(f"GDB exited\n{self.describe()}")
            self.transcript.append(line)
            self._take(line)
        taken = [record for _, record in self.pending if record.kind == kind and record.cls == cls]
        self.pending = [(n, r) for n, r in self.pending if not (r.kind == kind and r.cls == cls)]
        return taken

    def records(self, cls, kind="="):
        """All async records of class CLS seen so far (e.g. "thread-group-started")."""
        return [record for _, record in self.pending if record.kind == kind
                and record.cls == cls]

    def describe(self):
        return "--- GDB/MI transcript ---\n" + "\n".join(self.transcript[-200:])

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"-gdb-exit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        kill_group(self.proc)
        self.reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(OSError):
            self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------------------------------------
# Small parsing helpers for GDB's CLI output

def gdb_values(text):
    """The values of all `$N = VALUE` lines in TEXT, in order."""
    return re.findall(r"^\$\d+ = (.*)$", text, re.M)


def parse_x_bytes(text):
    """Bytes from `x/Nxb` output lines like '0x1139 <add>:\t0xf3\t0x0f ...'."""
    data = []
    for line in text.splitlines():
        match = re.match(r"^\s*0x[0-9a-f]+(?: <[^>]*>)?:\s*(.*)$", line)
        if match:
            data += [int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})\b", match.group(1))]
    return data


# ----------------------------------------------------------------------------------------------
# Base class for the tests

class DebugTestCase(unittest.TestCase):
    """unittest.TestCase with helpers that put the whole session into failure messages."""

    maxDiff = None

    def setUp(self):
        server_path()  # skips the test when no server is configured
        self.last = None

    def debug(self, *args, **kwargs):
        self.last = debug(*args, **kwargs)
        return self.last

    def context(self):
        return self.last.describe() if self.last is not None else ""

    def assertMatch(self, pattern, text, flags=re.M):
        """Assert that regex PATTERN occurs in TEXT; returns the match."""
        match = re.search(pattern, text, flags)
        if not match:
            self.fail(f"/{pattern}/ not found in:\n{text}\n\n{self.context()}")
        return match

    def assertNoMatch(self, pattern, text, flags=re.M):
        match = re.search(pattern, text, flags)
        if match:
            self.fail(f"/{pattern}/ unexpectedly found ({match.group(0)!r}) in:\n{text}\n\n"
                      f"{self.context()}")

    def assertContains(self, needle, text):
        if needle not in text:
            self.fail(f"{needle!r} not found in:\n{text}\n\n{self.context()}")

    def assertValue(self, text, expected):
        """Assert that the last `$N = VALUE` in TEXT is EXPECTED (a string)."""
        values = gdb_values(text)
        if not values:
            self.fail(f"no '$N = value' line in:\n{text}\n\n{self.context()}")
        if values[-1] != expected:
            self.fail(f"expected value {expected!r}, GDB printed {values[-1]!r} in:\n{text}\n\n"
                      f"{self.context()}")


PEEK = os.path.join(HERE, "peek_memory.py")


def peek_command(label, pid, address_expr, length):
    """A GDB command that prints "raw LABEL: xx xx ..." -- LENGTH bytes at ADDRESS_EXPR (a
    GDB expression) read from /proc/PID/mem by another process, bypassing GDB and server."""
    return (f'eval "shell python3 {PEEK} {label} {pid} 0x%lx {length}", '
            f"(long) ({address_expr})")


def parse_peek(text, label):
    """Bytes printed by peek_command(LABEL), or None when memory was unreadable."""
    match = re.search(rf"^raw {re.escape(label)}: (.*)$", text, re.M)
    if not match:
        raise AssertionError(f"no 'raw {label}:' line in:\n{text}")
    if match.group(1).startswith("unreadable"):
        return None
    return [int(b, 16) for b in match.group(1).split()]
