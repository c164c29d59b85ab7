"""Faults (issue 10): the debugger taken away at the worst moments, threads and programs that
end or change under a step-over, a storm of signals. Afterwards the inferior is as it would
have been: an attached program goes on to print exactly what an undebugged run prints, with
its code and its mappings as they were before the attach (no int3 and no XOL area left).

The programs: fault_worker (threads passing hot(), gated so that the test attaches, inserts
and kills at known moments), exit_in_slot (threads ending with a bare exit system call),
exec_hammer (an exec while other threads pass a breakpoint), signal_storm (SIGALRM at 10 kHz).
"""

import os
import re
import signal
import subprocess
import threading
import time
import unittest

import harness
from harness import (TIMEOUT, DebugTestCase, MiSession, Server, Target, kill_group, mark, peek_command,
                     parse_peek, program, run_gdb, scratch_dir, source_line)


def debug_options():
    """XOLSTUB_DEBUG_FILE=PATH: xolstub's --debug log goes there, to see what a failing test did."""
    path = os.environ.get("XOLSTUB_DEBUG_FILE")
    return ["--debug", f"--debug-file={path}"] if path and not harness.server_is_gdbserver() else []


THREADS = 8
CALLS = 5000   # per fault_worker thread: the second half outlasts the killing of a GDB by far
SANITIZER = r"Sanitizer|runtime error:"
SIGKILLED = r"^Program terminated with signal SIGKILL, Killed\.$"


# ----------------------------------------------------------------------------------------------
# What the program looks like from outside: its mappings and its code, read behind every
# debugger's back.

def mappings(pid):
    """The lines of /proc/PID/maps: an XOL area the stub left behind is one more line."""
    with open(f"/proc/{pid}/maps") as f:
        return f.read().splitlines()


def added_mappings(before, after):
    return sorted(set(after) - set(before))


def code_pages(pid, program_path):
    """{mapping line: bytes} for the executable's and libc's r-xp mappings, from /proc/PID/mem."""
    executable = os.path.realpath(program_path)
    pages = {}
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in mappings(pid):
            fields = line.split(None, 5)
            if len(fields) < 6 or fields[1] != "r-xp":
                continue
            path = fields[5]
            if os.path.realpath(path) != executable and not re.match(r"libc(\.so|-)", os.path.basename(path)):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            mem.seek(start)
            pages[line] = mem.read(end - start)
    return pages


def differing_bytes(before, after):
    """[(mapping, offset, old, new)] of every byte that changed; [] when nothing did."""
    changes = []
    for line in sorted(set(before) | set(after)):
        old, new = before.get(line, b""), after.get(line, b"")
        if len(old) != len(new):
            changes.append((line, None, len(old), len(new)))
            continue
        changes += [(line, i, old[i], new[i]) for i in range(len(old)) if old[i] != new[i]]
    return changes


def read_byte(pid, address):
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        mem.seek(address)
        return mem.read(1)[0]


# ----------------------------------------------------------------------------------------------
# Programs

def open_gate(gates, name):
    with open(os.path.join(gates, name), "w"):
        pass


_undebugged = {}


def undebugged_output(name, args=(), gated=False):
    """What NAME ARGS prints on its own (fault_worker with both gates already open)."""
    key = (name, tuple(args))
    if key not in _undebugged:
        argv = [program(name), *map(str, args)]
        if gated:
            gates = scratch_dir("gates-")
            open_gate(gates, "start")
            open_gate(gates, "finish")
            argv.append(gates)
        _undebugged[key] = subprocess.run(argv, capture_output=True, text=True, check=True,
                                          timeout=TIMEOUT).stdout
    return _undebugged[key]


def wait_for_text(source, text, timeout=TIMEOUT):
    """Wait until SOURCE() (a program's output so far) contains TEXT; returns whether it did."""
    deadline = time.monotonic() + timeout
    while text not in source():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Worker:
    """fault_worker started by the test (to be attached to), with what it looked like before."""

    def __init__(self, test, threads=THREADS, calls=CALLS):
        self.gates = scratch_dir("gates-")
        self.target = Target("fault_worker", [threads, calls, self.gates], wait_for="ready")
        test.addCleanup(self.target.close)
        self.expected = undebugged_output("fault_worker", [threads, calls], gated=True)
        self.pid = self.target.pid
        self.path = self.target.path
        self.maps = mappings(self.pid)
        self.code = code_pages(self.pid, self.path)

    def start(self):
        open_gate(self.gates, "start")

    def wait_half(self, test, context=""):
        test.assertTrue(wait_for_text(self.target.output, "half\n"),
                        f"fault_worker never did half its calls: {self.target.output()!r}\n{context}")


def mi_attach(mi, server, program_path):
    """Connect MI GDB to the attached server, in all-stop with asynchronous execution."""
    for setting in ("confirm off", "pagination off", "sysroot", "mi-async on"):
        mi.command(f"-gdb-set {setting}", expect="done")
    mi.command(f"-file-exec-and-symbols {program_path}", expect="done")
    mi.command(f"-target-select remote {server.address}", expect="connected")
    mi.take_async("stopped", wait=0)


def breakpoint_address(mi, location):
    """Insert a breakpoint; its address (None when it has several locations)."""
    address = mi.command(f"-break-insert {location}", expect="done")["bkpt"]["addr"]
    return int(address, 16) if address.startswith("0x") else None


class FaultTestCase(DebugTestCase):

    def assertLeftAsFound(self, worker, server, context=""):
        """The stub (--once) let the attached program go on its own; the program has its old
        code and mappings, and once let finish prints what it prints undebugged."""
        self.assertEqual(server.wait(), 0, f"server did not exit by itself\n{server.errors()}\n{context}")
        self.assertNoMatch(SANITIZER, server.errors())
        self.assertTrue(harness.pid_alive(worker.pid), f"the program died: {worker.target.output()}\n{context}")
        # Settled: no thread of the stub's is left in the middle of anything.
        self.assertEqual(added_mappings(worker.maps, mappings(worker.pid)), [],
                         f"mappings the stub added are left\n{server.errors()}\n{context}")
        self.assertEqual(added_mappings(mappings(worker.pid), worker.maps), [],
                         f"mappings of the program's are gone\n{server.errors()}\n{context}")
        changes = differing_bytes(worker.code, code_pages(worker.pid, worker.path))
        self.assertEqual(changes, [], f"code changed (int3 left?)\n{server.errors()}\n{context}")
        open_gate(worker.gates, "finish")
        self.assertEqual(worker.target.wait(), 0, f"{worker.target.output()}\n{context}")
        self.assertEqual(worker.target.output(), worker.expected, context)


# ----------------------------------------------------------------------------------------------
# 1. The client killed: stopped, running, in the middle of step-overs.

class ClientKilledTest(FaultTestCase):

    def setUp(self):
        super().setUp()
        if harness.server_is_gdbserver():
            # Seen with Debian's gdbserver 13: it stays up after its --once client died, or
            # detaches leaving the program to die of its int3.
            self.skipTest("gdbserver 13 does not leave the program as found when its GDB is killed")

    def test_gdb_killed_while_the_attached_program_is_stopped(self):
        worker = Worker(self)
        with Server.attach(worker.pid, worker.path, options=debug_options()) as server:
            # always-inserted: GDB leaves its int3 in memory while the program is stopped, so the
            # stub alone must take it out when GDB is gone.
            gdb = run_gdb([f"target remote {server.address}", "set breakpoint always-inserted on",
                           "break hot", f"shell touch {worker.gates}/start", "continue",
                           mark("stopped"), peek_command("site", worker.pid, "$pc", 1),
                           "shell kill -9 $PPID", "echo GDB outlived its SIGKILL\\n"],
                          program_path=worker.path)
            self.last = harness.Session(gdb, server)
            self.assertEqual(gdb.returncode, -signal.SIGKILL, self.context())
            self.assertMatch(r"Breakpoint 1, hot \(id=\d+, i=\d+\) at fault_worker\.c:"
                             rf"{source_line('fault_worker', 'hot')}", gdb.stdout)
            self.assertEqual(parse_peek(gdb.section("stopped"), "site"), [0xcc], self.context())
            self.assertLeftAsFound(worker, server, self.context())

    def gdb_killed_while_running(self, breakpoint):
        worker = Worker(self)
        with Server.attach(worker.pid, worker.path, options=debug_options()) as server, MiSession() as mi:
            mi_attach(mi, server, worker.path)
            address = breakpoint_address(mi, breakpoint)
            worker.start()
            mi.command("-exec-continue", expect="running")
            worker.wait_half(self, mi.describe())
            # GDB inserted the breakpoint when it resumed: the int3 is there as GDB dies.
            self.assertEqual(read_byte(worker.pid, address), 0xcc, mi.describe())
            kill_group(mi.proc)
            self.assertLeftAsFound(worker, server, mi.describe())

    def test_gdb_killed_while_the_attached_program_runs(self):
        # report() runs only after the finish gate: an inserted breakpoint no thread passes.
        self.gdb_killed_while_running("report")

    def test_gdb_killed_while_threads_step_over_a_false_condition(self):
        # Eight threads pass hot() on a target-side condition that never holds: the stub steps
        # each of them over it (out of line for xolstub) while GDB dies.
        self.gdb_killed_while_running("-c 0 hot")

    def test_gdb_killed_mid_step_over_kills_a_launched_program(self):
        """A program the stub started goes with its last client, as with gdbserver."""
        gates = scratch_dir("gates-")
        open_gate(gates, "start")
        with Server.launch("fault_worker", [THREADS, CALLS, gates], options=debug_options()) as server, MiSession() as mi:
            mi_attach(mi, server, server.program_path)
            breakpoint_address(mi, "-c 0 hot")
            mi.command("-exec-continue", expect="running")
            self.assertTrue(wait_for_text(server.output, "half\n"), mi.describe())
            kill_group(mi.proc)
            self.assertEqual(server.wait(), 0, server.errors())
            self.assertIsNotNone(harness.reap(server.inferior_pid), "the program outlived the stub")
            self.assertFalse(harness.pid_alive(server.inferior_pid))
            self.assertNoMatch(SANITIZER, server.errors())


# ----------------------------------------------------------------------------------------------
# 2. The inferior killed in the middle of step-overs.

class InferiorKilledTest(FaultTestCase):

    def kill_mid_step_over(self, once):
        gates = scratch_dir("gates-")
        open_gate(gates, "start")
        with Server.launch("fault_worker", [THREADS, CALLS, gates], once=once, options=debug_options()) as server:
            results = []
            commands = [f"target remote {server.address}", "break hot if 0", "continue"]
            gdb_thread = threading.Thread(
                target=lambda: results.append(run_gdb(commands, server.program_path, timeout=TIMEOUT * 2)))
            gdb_thread.start()
            try:
                half = wait_for_text(server.output, "half\n")
                os.kill(server.inferior_pid, signal.SIGKILL)
            finally:
                gdb_thread.join(TIMEOUT * 3)
            self.assertTrue(results, "GDB did not finish")
            self.last = harness.Session(results[0], server)
            self.assertTrue(half, self.context())
            # Without --once the stub, like gdbserver, has nothing left to debug once GDB goes.
            self.assertEqual(server.wait(), 0, self.context())
            self.last = harness.Session(results[0], server)
            self.assertMatch(SIGKILLED, results[0].stdout)
            self.assertMatch(r"^Child terminated with signal = 0x9 \(SIGKILL\)$", server.errors())
            self.assertNoMatch(SANITIZER, server.errors())
            self.assertNoMatch(r"(?i)internal error|Remote connection closed", results[0].all)

    @harness.skip_if_gdbserver("gdbserver 13 loses the connection (or hangs) when the program dies mid step-over")
    def test_program_killed_mid_step_over(self):
        self.kill_mid_step_over(once=True)

    @harness.skip_if_gdbserver("gdbserver 13 loses the connection (or hangs) when the program dies mid step-over")
    def test_program_killed_mid_step_over_without_once(self):
        self.kill_mid_step_over(once=False)


# ----------------------------------------------------------------------------------------------
# 3. A thread that exits while it is out of line.

class ThreadExitInSlotTest(FaultTestCase):

    def check_exits(self, s):
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.section("end"))
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertEqual(s.server_out, undebugged_output("exit_in_slot"), s.describe())
        self.assertNoMatch(SANITIZER, s.server_err)

    @harness.skip_if_gdbserver("gdbserver 13 hangs stepping a thread over its exit")
    def test_threads_exit_from_a_false_condition_breakpoint(self):
        commands = ["break *exit_syscall if 0", "break report",
                    mark("report"), "continue", "info breakpoints", mark("end"), "continue"]
        if not harness.server_is_gdbserver():
            commands[-1:-1] = ["monitor xol"]
        s = self.debug("exit_in_slot", [], commands)
        self.assertMatch(r"^Breakpoint 2, report \(\) at exit_in_slot\.c", s.section("report"))
        self.check_exits(s)
        if not harness.server_is_gdbserver():
            # The four exits were stepped in a slot (a syscall is never boosted): out of line.
            stepped = int(self.assertMatch(r"(\d+) stepped in a slot", s.gdb.stderr).group(1))
            self.assertGreaterEqual(stepped, 4, s.describe())

    def test_a_thread_gdb_steps_over_its_exit_call(self):
        """GDB 13 steps a thread off a plain breakpoint alone (vCont;s, the others stopped); the
        thread exits in that step. Nothing is left running, and the server says so (`N`) as
        gdbserver does, instead of leaving GDB waiting for ever. (GDB 13 cannot resume after
        that, with either server: its step-over still counts on the thread. GDB 14's
        "step over thread exit" handles it.)"""
        s = self.debug("exit_in_slot", [], ["break *exit_syscall", mark("hit"), "continue",
                                            mark("exit"), "continue", "kill"])
        self.assertMatch(r"hit Breakpoint 1, (0x[0-9a-f]+ in )?leaver \(arg=", s.section("hit"))
        self.assertMatch(r"^No unwaited-for children left\.$", s.section("exit"))
        self.assertEqual(s.server_rc, 0, s.describe())
        self.assertNoMatch(SANITIZER, s.server_err)


# ----------------------------------------------------------------------------------------------
# 4. exec in one thread while others are stepped.

class ExecWhileSteppingTest(FaultTestCase):

    def check_exec(self, s):
        self.assertMatch(r"^process \d+ is executing new program: .*/sample$", s.stdout)
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.stdout)
        self.assertEqual(s.server_out, undebugged_output("exec_hammer", [program("sample")]), s.describe())
        self.assertNoMatch(SANITIZER, s.server_err)

    def test_exec_while_threads_pass_a_false_condition(self):
        s = self.debug("exec_hammer", [program("sample")], ["break hot if 0", "continue"])
        self.check_exec(s)

    @harness.skip_if_gdbserver("gdbserver 13 reports a SIGSTOP of the new program after the exec")
    def test_exec_while_gdb_steps_a_thread(self):
        # GDB single-steps one hammering thread; the others run during each step, and the main
        # thread execs during one of them. GDB goes on into the new program (no catchpoint), which
        # ends before the million steps do.
        s = self.debug("exec_hammer", [program("sample")], [
            "break hot", "continue", "delete", mark("step"), "stepi 1000000"])
        self.assertMatch(r"^process \d+ is executing new program: .*/sample$", s.section("step"))
        self.check_exec(s)


# ----------------------------------------------------------------------------------------------
# 5. A storm of asynchronous signals while threads pass breakpoints.

class SignalStormTest(FaultTestCase):

    @harness.skip_if_gdbserver("gdbserver 13 does not finish in 120 s (each pass stops every thread)")
    def test_sigalrm_at_10_khz_while_threads_pass_a_breakpoint(self):
        s = self.debug("signal_storm", [], [
            "handle SIGALRM nostop noprint pass", "break hot if 0", "continue"], timeout=TIMEOUT * 4)
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.stdout)
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertEqual(s.server_out, undebugged_output("signal_storm"), s.describe())
        self.assertNoMatch(SANITIZER, s.server_err)
        # The storm did blow while the breakpoints were passed.
        alarms = int(self.assertMatch(r"^signal_storm: (\d+) alarms$", s.server_err).group(1))
        self.assertGreater(alarms, 100, s.describe())


# ----------------------------------------------------------------------------------------------
# 6. The stub itself told to go (SIGTERM, SIGINT, SIGHUP).

class StubSignalledTest(FaultTestCase):

    def stub_signalled(self, signo):
        worker = Worker(self)
        with Server.attach(worker.pid, worker.path, options=debug_options()) as server, MiSession() as mi:
            mi_attach(mi, server, worker.path)
            hot = breakpoint_address(mi, "-c 0 hot")
            breakpoint_address(mi, "report")
            worker.start()
            mi.command("-exec-continue", expect="running")
            worker.wait_half(self, mi.describe())
            # The test can tell: while the threads pass hot(), its int3 is in memory and the
            # stub has mapped an XOL area.
            self.assertEqual(read_byte(worker.pid, hot), 0xcc, mi.describe())
            added = added_mappings(worker.maps, mappings(worker.pid))
            self.assertTrue(any(re.match(r"\S+ r-xp 00000000 00:00 0\s*$", line) for line in added),
                            f"no XOL area among the mappings added: {added}")
            os.kill(server.proc.pid, signo)
            self.assertEqual(server.wait(), 0, server.errors())
            self.assertMatch(rf"^Detaching from process {worker.pid}$", server.errors())
            self.assertLeftAsFound(worker, server, mi.describe())

    @harness.skip_if_gdbserver("xolstub's lifecycle: SIGTERM to the stub detaches an attached program")
    def test_sigterm_detaches(self):
        self.stub_signalled(signal.SIGTERM)

    @harness.skip_if_gdbserver("xolstub's lifecycle: SIGINT to the stub detaches an attached program")
    def test_sigint_detaches(self):
        self.stub_signalled(signal.SIGINT)

    @harness.skip_if_gdbserver("xolstub's lifecycle: SIGHUP to the stub detaches an attached program")
    def test_sighup_detaches(self):
        self.stub_signalled(signal.SIGHUP)


# ----------------------------------------------------------------------------------------------
# 7. Code pages before attach and after detach.

class CodePagesTest(FaultTestCase):

    def test_code_pages_are_the_same_after_detach(self):
        worker = Worker(self)
        with Server.attach(worker.pid, worker.path, options=debug_options()) as server, MiSession() as mi:
            mi_attach(mi, server, worker.path)
            # In the executable (passed all the time, and never) and in libc (the threads'
            # and main's nanosleep, on a condition that never holds).
            for location in ("-c 0 hot", "report", "-c 0 nanosleep"):
                breakpoint_address(mi, location)
            worker.start()
            mi.command("-exec-continue", expect="running")
            worker.wait_half(self, mi.describe())
            # The comparison can fail: while GDB debugs, both the executable and libc differ.
            changed = {line.split()[-1] for line, *_ in differing_bytes(worker.code, code_pages(worker.pid, worker.path))}
            self.assertEqual(len(changed), 2, f"int3s seen only in {changed}")
            mi.command("-exec-interrupt", expect="done")
            mi.wait_async("stopped")
            mi.command("-target-detach", expect="done")
            self.assertLeftAsFound(worker, server, mi.describe())


if __name__ == "__main__":
    unittest.main()
