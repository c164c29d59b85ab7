"""fork and vfork events (fork-events+, vfork-events+): `catch fork` and `catch vfork` stop at
the call, follow-fork-mode parent detaches a child that keeps none of the stub's int3s, and
follow-fork-mode child goes on in the child and lets the parent go, just as clean."""

import os
import re
import signal
import time
import unittest

from harness import TIMEOUT, DebugTestCase, mark

HIT = r"^(Thread [\d.]+ \S+ hit )?"


class ForkTest(DebugTestCase):

    def wait_for_output(self, session, text):
        """The detached parent runs on after the stub is gone; its output lands in the same file."""
        deadline = time.monotonic() + TIMEOUT
        while text not in session.server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.kill(session.server.inferior_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return session.server.output()

    def test_catch_fork_and_follow_the_parent(self):
        s = self.debug("forker", [], [
            "break hot", "catch fork", mark("run"), "continue", "continue", "continue", "continue",
            mark("after"), "continue", "info inferiors", mark("end"), "continue", "continue"])
        self.assertEqual(len(re.findall(HIT + r"Breakpoint 1, hot \(x=\d\)", s.section("run"), re.M)), 3, s.describe())
        fork = self.assertMatch(HIT + r"Catchpoint 2 \(forked process (?P<child>\d+)\)", s.section("run"))
        self.assertMatch(rf"Detaching after fork from child process {fork.group('child')}", s.section("after"))
        # The parent's own breakpoint after the fork; the child's five calls never reached GDB.
        self.assertMatch(HIT + r"Breakpoint 1, hot \(x=10\)", s.section("after"))
        self.assertMatch(HIT + r"Breakpoint 1, hot \(x=11\)", s.section("end"))
        self.assertNotRegex(s.stdout, r"hot \(x=10[0-4]\)")
        self.assertMatch(r"exited normally", s.section("end"))
        # Had an int3 of ours stayed in the child's copy, it would have died of SIGTRAP.
        self.assertIn("child exited 7", s.server_out)
        self.assertIn("parent done, counter = 5", s.server_out)

    def test_follow_the_child(self):
        s = self.debug("forker", [], [
            "set follow-fork-mode child", "break hot", mark("run"), "continue", "continue", "continue",
            mark("child"), "continue", "info inferiors", mark("more"), "continue", "continue", "continue",
            "continue", mark("end"), "continue"], keep_inferior=True)
        self.assertMatch(r"Attaching after .* fork to child", s.section("child"))
        self.assertMatch(r"Detaching after fork from parent process", s.section("child"))
        self.assertMatch(HIT + r"Breakpoint 1(\.\d+)?, hot \(x=100\)", s.section("child"))
        for x in range(101, 105):
            self.assertMatch(HIT + rf"Breakpoint 1(\.\d+)?, hot \(x={x}\)", s.stdout)
        self.assertMatch(r"exited with code 07", s.section("end"))
        # The detached parent meets none of the int3s GDB had in it: it finishes on its own.
        output = self.wait_for_output(s, "parent done")
        self.assertIn("child exited 7", output)
        self.assertIn("parent done, counter = 5", output)

    def test_detach_on_fork_off_debugs_both_processes(self):
        s = self.debug("forker", [], [
            "set detach-on-fork off", "break after_fork", mark("fork"), "continue", "info inferiors",
            "break hot", "inferior 2", mark("child"), *["continue"] * 6, "info inferiors",
            "inferior 1", mark("parent"), "continue", "continue", "continue"])
        self.assertMatch(r"\[New inferior 2 \(process \d+\)\]", s.section("fork"))
        self.assertMatch(HIT + r"Breakpoint 1(\.1)?, after_fork \(\)", s.section("fork"))
        # The child runs on its own while the parent stays where it stopped; each process has its
        # own copy of the breakpoint (2.2 is the child's location).
        for x in range(100, 105):
            self.assertMatch(rf"Thread 2\.1 \S+ hit Breakpoint 2\.2, hot \(x={x}\)", s.section("child"))
        self.assertMatch(r"\[Inferior 2 \(process \d+\) exited with code 07\]", s.section("child"))
        self.assertMatch(r"child exited 7", s.server_out)
        self.assertMatch(HIT + r"Breakpoint 2, hot \(x=10\)", s.section("parent"))
        self.assertMatch(HIT + r"Breakpoint 2, hot \(x=11\)", s.section("parent"))
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("parent"))
        self.assertIn("parent done, counter = 5", s.server_out)

    def test_catch_vfork_and_follow_the_parent(self):
        s = self.debug("forker", ["vfork"], [
            "break hot", "catch vfork", "continue", "continue", "continue", mark("vfork"), "continue",
            mark("after"), "continue", "delete", mark("end"), "continue"])
        self.assertMatch(HIT + r"Catchpoint 2 \(vforked process (\d+)\)", s.section("vfork"))
        # The parent's breakpoints are back once the child has exec'd (vforkdone).
        self.assertMatch(HIT + r"Breakpoint 1, hot \(x=10\)", s.section("after"))
        self.assertMatch(r"exited normally", s.section("end"))
        self.assertIn("child exited 0", s.server_out)
        self.assertIn("parent done, counter = 5", s.server_out)

    def test_follow_a_vfork_child_through_its_exec(self):
        # The child's breakpoint goes into the memory it shares with its parent; after the
        # exec, the parent (detached) must find its own bytes there again.
        s = self.debug("forker", ["vfork"], [
            "set follow-fork-mode child", "break hot", "continue", "continue", "continue", "delete",
            "break forker.c:36", mark("child"), "continue", "continue", mark("exec"), "continue"],
            keep_inferior=True)
        self.assertMatch(r"Attaching after .* vfork to child", s.section("child"))
        self.assertMatch(HIT + r"Breakpoint 2(\.\d+)?, main .* at forker\.c:36", s.section("child"))
        self.assertMatch(r"Detaching vfork parent process \d+ after child exec", s.section("child"))
        self.assertMatch(r"is executing new program: /.*true", s.section("child"))
        output = self.wait_for_output(s, "parent done")
        self.assertIn("child exited 0", output)
        self.assertIn("parent done, counter = 5", output)


if __name__ == "__main__":
    unittest.main()
