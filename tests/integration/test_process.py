"""Process lifetime: exit codes, signals, kill, detach, attach, and the server's own lines."""

import os
import re
import unittest

import harness
from harness import DebugTestCase, Server, Target, mark, program, run_gdb, source_line


class ExitTest(DebugTestCase):

    def test_exit_code_and_server_lines(self):
        """The exit code from argv reaches GDB and the server prints gdbserver's lines."""
        s = self.debug("basic", [3], ["continue"])
        path = program("basic")
        pid = s.inferior_pid
        self.assertIsNotNone(pid, f"no 'Process ... created; pid = N' line\n{s.describe()}")
        self.assertMatch(rf"^Process {re.escape(path)} created; pid = {pid}$", s.server_err)
        self.assertMatch(rf"^Listening on port {s.port}$", s.server_err)
        peer = self.assertMatch(r"^Remote debugging from host 127\.0\.0\.1, port (\d+)$",
                                s.server_err)
        self.assertNotEqual(int(peer.group(1)), s.port)
        self.assertMatch(r"^Child exited with status 3$", s.server_err)
        self.assertMatch(rf"^\[Inferior 1 \(process {pid}\) exited with code 03\]$", s.stdout)
        # Order of the server's lines, as gdbserver prints them.
        order = [s.server_err.index(x) for x in
                 ("created; pid", "Listening on port", "Remote debugging from", "Child exited")]
        self.assertEqual(order, sorted(order), s.describe())
        self.assertEqual(s.server_rc, 0, s.describe())
        # The program's own output went to the server's stdout.
        self.assertIn("counter = 5 total = 10 greeting = hello, xolstub pattern[100] = 191",
                      s.server_out)

    def test_exit_normally(self):
        s = self.debug("basic", [0], ["continue"])
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]$",
                         s.stdout)
        self.assertMatch(r"^Child exited with status 0$", s.server_err)
        self.assertEqual(s.server_rc, 0, s.describe())

    def test_arguments_reach_the_program(self):
        s = self.debug("basic", [42, "extra-arg"],
                       ["break main", "continue", "p argc", "p argv[1]", "p argv[2]",
                        "p $_streq(argv[0], \"%s\")" % program("basic")])
        values = harness.gdb_values(s.stdout)
        self.assertEqual(values[0], "3", s.describe())
        self.assertMatch(r'^0x[0-9a-f]+ "42"$', values[1])
        self.assertMatch(r'^0x[0-9a-f]+ "extra-arg"$', values[2])
        self.assertEqual(values[3], "1", s.describe())

    def test_crash_reports_the_signal(self):
        s = self.debug("basic", [4, "crash"], ["continue", mark("bt"), "bt 1", "continue"])
        self.assertMatch(r"^Program received signal SIGSEGV, Segmentation fault\.$", s.stdout)
        self.assertMatch(rf"main \(argc=3, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{source_line('basic', 'crash')}$", s.section("bt"))
        self.assertMatch(r"^Program terminated with signal SIGSEGV, Segmentation fault\.$",
                         s.stdout)
        self.assertMatch(r"^Child terminated with signal = 0xb \(SIGSEGV\)$", s.server_err)
        self.assertEqual(s.server_rc, 0, s.describe())

    def test_extended_remote(self):
        s = self.debug("basic", [5], ["break add", "continue", "continue", "delete",
                                      "continue"], extended=True)
        self.assertMatch(r"^Breakpoint 1, add \(a=2, b=3\) at basic\.c:\d+$", s.stdout)
        self.assertMatch(r"^Breakpoint 1, add \(a=5, b=10\) at basic\.c:\d+$", s.stdout)
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited with code 05\]$",
                         s.stdout)

    def test_extended_remote_runs_a_second_inferior_beside_the_first(self):
        # add-inferior + run: the first program stays where it stopped while the second runs.
        sample = harness.program("sample")
        s = self.debug("forker", [], [
            "break after_fork", "continue", "add-inferior", "inferior 2",
            f"set remote exec-file {sample}", f"file {sample}", "break fibonacci", mark("second"), "run",
            "info inferiors", "continue", "inferior 1", mark("first"), "continue", "info inferiors"],
            extended=True)
        self.assertMatch(r"Thread 2\.1 \S+ hit Breakpoint 2, fibonacci \(n=1\)", s.section("second"))
        self.assertMatch(r"Thread 2\.1 \S+ hit Breakpoint 2, fibonacci \(n=2\)", s.section("second"))
        self.assertMatch(r"^\* 2 +process \d+ .*sample", s.section("second"))
        self.assertMatch(r"^  1 +process \d+ .*forker", s.section("second"))
        self.assertMatch(rf"\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]", s.section("first"))
        self.assertMatch(r"^  2 +process \d+ .*sample", s.section("first"))
        self.assertIn("parent done, counter = 5", s.server_out)


class KillDetachTest(DebugTestCase):

    def test_kill(self):
        s = self.debug("basic", [3], ["break add", "continue", "kill", mark("after"),
                                      "info threads"])
        self.assertMatch(r"^Breakpoint 1, add \(a=2, b=3\)", s.stdout)
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) killed\]$", s.stdout)
        self.assertMatch(r"^No threads\.$", s.section("after"))
        self.assertEqual(s.server_rc, 0, s.describe())
        self.assertFalse(harness.pid_alive(s.inferior_pid), "killed inferior still alive")
        self.assertNotIn("result = ", s.server_out)

    def test_detach_leaves_program_running_unchanged(self):
        """Detach with breakpoints inserted: the program runs on, hits no leftover int3 and
        prints exactly what it prints without a debugger."""
        s = self.debug("basic", [6], ["break add", "break bump", "break fill_pattern",
                                      "continue", "continue", "detach"], keep_inferior=True)
        self.addCleanup(harness.reap, s.inferior_pid, 2)
        pid = s.inferior_pid
        self.assertMatch(r"^Breakpoint 3, fill_pattern \(\) at basic\.c:\d+$", s.stdout)
        self.assertMatch(r"^Breakpoint 2, bump \(\) at basic\.c:\d+$", s.stdout)
        self.assertMatch(rf"^\[Inferior 1 \(process {pid}\) detached\]$", s.stdout)
        self.assertMatch(rf"^Detaching from process {pid}$", s.server_err)
        self.assertEqual(s.server_rc, 0, s.describe())
        status = harness.reap(pid, timeout=harness.TIMEOUT)
        self.assertIn(status, (("exited", 6), ("gone", None)), s.describe())
        out = s.server.output()
        self.assertEqual(out, "result = 5\nresult2 = 15\ncounter = 5 total = 10 greeting = "
                              "hello, xolstub pattern[100] = 191\n", s.describe())

    def test_detach_program_finishes_on_its_own(self):
        """The detached program keeps running (here with a limit GDB wrote before detaching)
        and ends on its own. gdbserver stays until a child it started is gone and reaps it;
        a server that exits at once leaves it to us (a subreaper), then the status must be 0."""
        s = self.debug("sleeper", [1000, 20],
                       ["break tick", "continue", "p n", "set var limit = n + 20", "detach"],
                       keep_inferior=True)
        pid = s.inferior_pid
        self.addCleanup(harness.reap, pid, 2)
        self.addCleanup(lambda: harness.pid_runs(pid, program("sleeper"))
                        and os.kill(pid, 9))
        self.assertMatch(r"^Breakpoint 1, tick \(n=1\) at sleeper\.c:"
                         rf"{source_line('sleeper', 'tick')}$", s.stdout)
        self.assertValue(s.stdout, "1")
        self.assertMatch(rf"^Detaching from process {pid}$", s.server_err)
        self.assertIn(harness.reap(pid), (("exited", 0), ("gone", None)), s.describe())
        out = s.server.output()
        self.assertEqual(out.splitlines()[1:],
                         [f"tick {n}" for n in range(1, 22)] + ["sleeper done after 21 ticks"],
                         out)


class AttachTest(DebugTestCase):

    def test_attach_break_and_detach(self):
        with Target("sleeper", [1000, 20], wait_for="tick 3") as target:
            with Server.attach(target.pid, target.path) as server:
                self.assertMatch(rf"^Attached; pid = {target.pid}$", server.errors())
                self.assertMatch(rf"^Listening on port {server.port}$", server.errors())
                gdb = run_gdb([f"target remote {server.address}", "break tick", "continue",
                               mark("n"), "p n", "p counter", "p limit",
                               mark("threads"), "info threads",
                               "set var limit = n + 3", "detach"],
                              program_path=target.path)
                server.wait()
                self.last = harness.Session(gdb, server)
            hit = self.assertMatch(r"^Breakpoint 1, tick \(n=(\d+)\) at sleeper\.c:"
                                   rf"{source_line('sleeper', 'tick')}$", gdb.stdout)
            n = int(hit.group(1))
            self.assertGreaterEqual(n, 4)
            self.assertEqual(harness.gdb_values(gdb.section("n")), [str(n), str(n - 1), "1000"])
            self.assertMatch(rf'^\* 1 +Thread {target.pid}\.{target.pid} "sleeper" tick \(n={n}\)',
                             gdb.section("threads"))
            self.assertMatch(rf"^\[Inferior 1 \(process {target.pid}\) detached\]$", gdb.stdout)
            self.assertMatch(rf"^Detaching from process {target.pid}$", server.errors())
            self.assertEqual(server.returncode, 0, self.context())
            # The program carries on from where it was, with the limit GDB wrote.
            self.assertEqual(target.wait(), 0, target.output())
            lines = target.output().splitlines()
            self.assertEqual(lines[1:], [f"tick {i}" for i in range(1, n + 4)]
                             + [f"sleeper done after {n + 3} ticks"], target.output())

    def test_attach_and_kill(self):
        with Target("sleeper", [1000, 20], wait_for="tick 1") as target:
            with Server.attach(target.pid, target.path) as server:
                gdb = run_gdb([f"target remote {server.address}", "p limit", "kill"],
                              program_path=target.path)
                server.wait()
                self.last = harness.Session(gdb, server)
            self.assertValue(gdb.stdout, "1000")
            self.assertMatch(rf"^\[Inferior 1 \(process {target.pid}\) killed\]$", gdb.stdout)
            self.assertEqual(target.wait(), -9, self.context())


if __name__ == "__main__":
    unittest.main()
