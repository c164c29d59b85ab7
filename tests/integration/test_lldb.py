"""LLDB as a client (issue 11): `lldb -b` (LLDB 14, Debian's) connects with `gdb-remote` to the
same xolstub, with the same command line, that GDB uses, and sees what it sees with lldb-server:
breakpoints, continue and steps, every thread's stop and name, the registers including ymm and
zmm, memory under a breakpoint, watchpoints, attach, and a GDB and an LLDB on one program.

gdbserver 13.1 fails these (LLDB stops at `_start+1` with a stray SIGTRAP after the first
breakpoint): the module is xolstub's only.
"""

import os
import re
import signal
import subprocess
import time
import unittest

import harness
from harness import (TIMEOUT, DebugTestCase, MiSession, Server, Target, cpu_flags, program, run_lldb,
                     server_is_gdbserver, source_line)

ADD_BODY = source_line("basic", "add-body")
ADD_RETURN = source_line("basic", "add-return")


def setUpModule():
    if server_is_gdbserver():
        raise unittest.SkipTest("gdbserver 13.1 does not serve LLDB (see the module's comment)")
    if not harness.lldb_available():
        raise unittest.SkipTest("lldb is not installed (Debian package lldb)")


def vector_bytes(values, size):
    """LLDB's vector-uint8 rendering of little-endian integers of SIZE bytes."""
    data = b"".join(v.to_bytes(size, "little", signed=v < 0) for v in values)
    return "{" + " ".join(f"0x{b:02x}" for b in data) + "}"


class LldbTestCase(DebugTestCase):

    def lldb(self, server, commands, program_path=None, timeout=TIMEOUT):
        """LLDB on SERVER's program: gdb-remote, then COMMANDS."""
        result = run_lldb([f"gdb-remote {server.address}", *commands],
                          program_path if program_path is not None else server.program_path, timeout=timeout)
        self.last = harness.Session(result, server)
        return result


class LldbBasicsTest(LldbTestCase):

    def test_breakpoint_continue_next_step(self):
        with Server.launch("basic") as server:
            out = self.lldb(server, ["b add", "c", "next", "step", "c", "breakpoint delete 1", "c"]).stdout
            server.wait()
        self.assertMatch(r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=2, b=3\) at "
                         rf"basic\.c:{ADD_BODY}:", out)
        self.assertMatch(rf"stop reason = step over\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=2, b=3\) at basic\.c:{ADD_RETURN}:",
                         out)
        self.assertMatch(r"stop reason = step in\n", out)
        self.assertMatch(r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=5, b=10\)", out)
        self.assertMatch(r"^Process \d+ exited with status = 0 \(0x00000000\)$", out)
        # Not gdbserver's stray trap after the first breakpoint.
        self.assertNoMatch(r"_start \+ 1|stop reason = signal SIGTRAP\n(?!.*_start\n)", out.split("b add", 1)[1])
        self.assertIn("result = 5\nresult2 = 15\n", server.output())

    def test_every_thread_at_a_breakpoint_is_told_with_its_name(self):
        # Workers reach worker_task together: LLDB must hear of every one that stopped there
        # with the one reported, or it steps the untold ones over the breakpoint and their
        # hits are lost. Each of the four hits is seen exactly once, however they bunch up.
        commands = ["b worker_task", "c", "bt"]
        for _ in range(4):
            commands += ["thread list", "c"]
        with Server.launch("threads") as server:
            out = self.lldb(server, commands).stdout
            server.wait()
        listings = [part.split("(lldb)", 1)[0] for part in out.split("(lldb) thread list")[1:]]
        hits = [int(worker) for listing in listings
                for worker in re.findall(r"threads`worker_task\(id=\d\) .*name = 'worker-(\d)', "
                                         r"stop reason = breakpoint 1\.1", listing)]
        self.assertEqual(sorted(hits), [0, 1, 2, 3], self.context())
        self.assertMatch(r"thread #1: tid = \d+, .*name = 'threads'", listings[0])
        # Shared libraries are loaded: the backtrace goes through libc's start_thread.
        self.assertMatch(r"frame #\d+: 0x[0-9a-f]+ libc\.so\.6`start_thread", out)
        self.assertMatch(r"^Process \d+ exited with status = 0 \(0x00000000\)$", out)
        self.assertIn("sum = 64\n", server.output())

    def test_memory_under_a_breakpoint_reads_as_the_program_has_it(self):
        with Server.launch("basic") as server:
            out = self.lldb(server, ["b main", "c", "memory read -s1 -c8 -fx `&add`", "b add",
                                     "memory read -s1 -c8 -fx `&add`", "breakpoint delete 1", "kill"]).stdout
        dumps = re.findall(r"^0x[0-9a-f]+: ((?:0x[0-9a-f]{2} ?){8})$", out, re.M)
        self.assertEqual(len(dumps), 2, self.context())
        self.assertEqual(dumps[0], dumps[1], "the int3 shows through memory reads")

    def test_watchpoint(self):
        with Server.launch("basic") as server:
            out = self.lldb(server, ["b bump", "c", "watchpoint set variable counter", "breakpoint delete 1", "c",
                                     "watchpoint delete 1", "c"]).stdout
            server.wait()
        self.assertMatch(r"Watchpoint created: Watchpoint 1: addr = 0x[0-9a-f]+ size = 4 state = enabled type = w", out)
        self.assertMatch(r"stop reason = watchpoint 1", out)
        self.assertMatch(r"old value: 0\n\s*new value: 1", out)
        self.assertMatch(r"^Process \d+ exited with status = 0 \(0x00000000\)$", out)

    def test_kill(self):
        with Server.launch("basic") as server:
            out = self.lldb(server, ["b add", "c", "kill"]).stdout
            server.wait()
        self.assertMatch(r"^Process \d+ exited with status = 9 \(0x00000009\)", out)
        self.assertNotIn("failed to send", out)

    def test_signals_have_linux_numbers(self):
        # SIGUSR1 is 10 to LLDB (the target's numbering, as lldb-server sends it), 30 to GDB.
        with Server.launch("counters", once=True, options=["--remote-debug"]) as server:
            lldb = subprocess.Popen([harness.LLDB, "-b", "--no-lldbinit", program("counters"),
                                     "-o", f"gdb-remote {server.address}", "-o", "c", "-o", "kill"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, env=harness.ENV)
            self.addCleanup(harness.kill_group, lldb)
            resumed = harness._wait_until(lambda: re.search(r"<- \$(c|vCont;c)", server.errors()), TIMEOUT)
            self.assertTrue(resumed, server.errors()[-3000:])
            os.kill(server.inferior_pid, signal.SIGUSR1)
            out, _ = lldb.communicate(timeout=TIMEOUT)
        out = out.decode(errors="replace")
        self.assertRegex(out, r"stop reason = signal SIGUSR1\n")
        self.assertIn("-> $T0a", server.errors())


class LldbRegistersTest(LldbTestCase):

    def test_general_registers_and_their_parts(self):
        with Server.launch("basic") as server:
            out = self.lldb(server, ["b add", "c", "register read", "register write rax 0x1122334455667788",
                                     "register read rax eax ax ah al rip rflags", "kill"]).stdout
        general = out.split("(lldb) register read\n", 1)[1].split("(lldb)", 1)[0]
        self.assertMatch(r"^General Purpose Registers:$", general)
        for name in ("rax", "rbx", "rsp", "rbp", "r15", "rip", "rflags", "cs", "fs_base"):
            self.assertMatch(rf"^\s+{name} = 0x[0-9a-f]+", general)
        # `register read` shows the general registers only, as with lldb-server.
        self.assertNoMatch(r"^\s+(st0|xmm0|ymm0|zmm0|k0) = ", general)
        self.assertMatch(r"^\s+rax = 0x1122334455667788$", out)
        self.assertMatch(r"^\s+eax = 0x55667788$", out)
        self.assertMatch(r"^\s+ax = 0x7788$", out)
        self.assertMatch(r"^\s+ah = 0x77$", out)
        self.assertMatch(r"^\s+al = 0x88$", out)
        self.assertMatch(r"^\s+rip = 0x[0-9a-f]+  basic`add \+ \d+ at basic\.c", out)

    def test_vector_registers(self):
        # At the labels themselves: LLDB's prologue skipping would move into an instruction.
        commands = ["breakpoint set -K false -n avx_loaded", "c", "register read ymm0 ymm1 ymm15 xmm0"]
        avx512 = "avx512f" in cpu_flags()
        if avx512:
            commands += ["breakpoint set -K false -n avx512_loaded", "c", "register read zmm0 zmm31 ymm31 k1",
                         "register write zmm31 \"{" + " ".join(["0x5a"] * 64) + "}\"", "register read zmm31 xmm31"]
        with Server.launch("avx") as server:
            out = self.lldb(server, commands + ["breakpoint delete 1", "c"]).stdout
            server.wait()
        self.assertMatch(r"^\s+ymm0 = " + re.escape(vector_bytes(range(1, 9), 4)) + "$", out)
        self.assertMatch(r"^\s+ymm1 = " + re.escape(vector_bytes(
            [0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444], 8)) + "$", out)
        self.assertMatch(r"^\s+ymm15 = " + re.escape(vector_bytes(range(-1, -9, -1), 4)) + "$", out)
        self.assertMatch(r"^\s+xmm0 = " + re.escape(vector_bytes(range(1, 5), 4)) + "$", out)
        if avx512:
            self.assertMatch(r"^\s+zmm0 = " + re.escape(vector_bytes(range(101, 117), 4)) + "$", out)
            self.assertMatch(r"^\s+zmm31 = " + re.escape(vector_bytes(range(201, 217), 4)) + "$", out)
            self.assertMatch(r"^\s+ymm31 = " + re.escape(vector_bytes(range(201, 209), 4)) + "$", out)
            self.assertMatch(r"^\s+k1 = 0x000000000000a5a5$", out)
            # The value LLDB wrote is the one the program stores and prints.
            self.assertMatch(r"^\s+xmm31 = \{(0x5a ?){16}\}$", out)
            self.assertIn("zmm31 = " + " ".join([str(0x5a5a5a5a)] * 16), server.output())


class LldbAttachTest(LldbTestCase):

    def test_attach_and_detach(self):
        with Target("counters") as target:
            with Server.attach(target.pid, program("counters")) as server:
                out = self.lldb(server, ["b checkpoint", "c", "thread list", "p counters[0] >= 1000",
                                         "breakpoint delete 1", "detach"]).stdout
                server.wait()
            self.assertMatch(r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ counters`checkpoint\b", out)
            for worker in range(4):
                self.assertMatch(rf"name = 'counter-{worker}'", out)
            self.assertMatch(r"\(bool\) \$0 = true", out)
            self.assertMatch(r"Process \d+ detached", out)
            # Let go untraced, and still running.
            with open(f"/proc/{target.pid}/status") as status:
                self.assertIn("TracerPid:\t0", status.read())
            self.assertTrue(harness.pid_alive(target.pid))

    def test_attach_with_no_local_file(self):
        # LLDB learns the program from the stub (qProcessInfo, the library list, jModulesInfo).
        with Target("counters") as target:
            with Server.attach(target.pid, program("counters")) as server:
                out = self.lldb(server, ["image list", "thread list", "detach"], program_path="").stdout
                server.wait()
            self.assertMatch(r"^\[\s*0\] [0-9A-F-]+\s+0x[0-9a-f]+ " + re.escape(os.path.realpath(program("counters"))), out)
            self.assertMatch(r"/libc\.so\.6\s*$", out)
            self.assertMatch(r"name = 'counter-3'", out)
            self.assertMatch(r"Process \d+ detached", out)
            self.assertTrue(harness.pid_alive(target.pid))


class GdbAndLldbTogetherTest(LldbTestCase):
    """One GDB and one LLDB on one program, each with its own breakpoints. GDB stops the
    program at bump first; LLDB joins, sets its breakpoint and continues, which waits until GDB
    lets the program go too."""

    def setUp(self):
        super().setUp()
        self.server = Server.launch("basic", once=False, options=["--remote-debug"])
        self.addCleanup(self.server.close)
        self.gdb = MiSession()
        self.addCleanup(self.gdb.close)
        for setting in ("confirm off", "pagination off", "sysroot"):
            self.gdb.command(f"-gdb-set {setting}", expect="done")
        self.gdb.command(f"-file-exec-and-symbols {program('basic')}", expect="done")
        self.gdb.console(f"target remote {self.server.address}")
        self.gdb.console("break bump")
        self.gdb.command("-exec-continue", expect="running")
        stopped = self.gdb.wait_async("stopped")
        self.assertEqual(stopped["reason"], "breakpoint-hit", stopped)

    def lldb_joins(self, commands):
        """Starts LLDB with `gdb-remote`, `b add`, `c` and then COMMANDS; returns once its
        continue has reached the stub."""
        lldb = subprocess.Popen([harness.LLDB, "-b", "--no-lldbinit", program("basic"),
                                 "-o", f"gdb-remote {self.server.address}", "-o", "b add", "-o", "c",
                                 *[arg for command in commands for arg in ("-o", command)]],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=harness.ENV)
        self.addCleanup(harness.kill_group, lldb)
        resumed = harness._wait_until(
            lambda: re.search(r"\[client 2\] <- \$(c|vCont;c)", self.server.errors()), TIMEOUT)
        self.assertTrue(resumed, f"LLDB never resumed:\n{self.server.errors()[-3000:]}")
        return lldb

    def lldb_output(self, lldb):
        try:
            out, _ = lldb.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"LLDB did not finish:\n{self.server.errors()[-3000:]}")
        return out.decode(errors="replace")

    def assertProgramEndsForGdb(self):
        # GDB never heard of LLDB's breakpoint: its continue ends with the program.
        exited = self.gdb.wait_async("stopped")
        self.assertEqual(exited["reason"], "exited-normally", exited)
        self.assertIn("result = 5\nresult2 = 15\n", self.server.output())

    def test_each_hears_of_its_own_breakpoint(self):
        lldb = self.lldb_joins(["p a + b", "breakpoint delete 1", "detach"])
        self.gdb.console("delete")
        self.gdb.command("-exec-continue", expect="running")
        out = self.lldb_output(lldb)
        self.assertRegex(out, r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=2, b=3\)")
        self.assertRegex(out, r"\(int\) \$0 = 5")
        self.assertRegex(out, r"Process \d+ detached")
        self.assertProgramEndsForGdb()

    def test_lldb_steps_out_of_line_past_the_breakpoint_gdb_keeps(self):
        # GDB's breakpoint at add never stops (its condition, evaluated by the stub, is false);
        # LLDB's at the same address does. When LLDB steps off it (z0, then a single-step), the
        # int3 stays for GDB and the thread runs the displaced instruction out of line.
        self.gdb.console("break add if a == 100")
        lldb = self.lldb_joins(["next", "process plugin packet monitor xol", "breakpoint delete 1", "detach"])
        self.gdb.console("delete 1")
        self.gdb.command("-exec-continue", expect="running")
        out = self.lldb_output(lldb)
        self.assertRegex(out, r"stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=2, b=3\)")
        self.assertRegex(out, rf"stop reason = step over\n\s+frame #0: 0x[0-9a-f]+ basic`add\(a=2, b=3\) at "
                              rf"basic\.c:{ADD_RETURN}:")
        counts = re.search(r"XOL step-overs: (\d+) emulated, (\d+) boosted, (\d+) stepped in a slot, (\d+) in place",
                           out)
        self.assertTrue(counts, out)
        self.assertGreater(sum(int(n) for n in counts.groups()[:3]), 0, out)
        self.assertEqual(counts.group(4), "0", out)
        self.assertProgramEndsForGdb()


if __name__ == "__main__":
    unittest.main()
