"""Target-side breakpoint conditions and commands: GDB sends `break f if COND` as agent
bytecode (`set breakpoint condition-evaluation auto`, the default, uses the target when it
offers ConditionalBreakpoints+) and agent-style dprintf as breakpoint commands; the stub
evaluates them at every hit and stops the thread only when GDB would want it. Program:
tests/programs/hot_loop.c (THREADS threads each call hot(i) for i = 0 .. CALLS-1)."""

import re
import time
import unittest

from harness import DebugTestCase, MiSession, Server, gdb_values, mark

LONG = 120  # seconds: 100,000 false hits take a while, longer still with gdbserver or ASan


class ConditionTest(DebugTestCase):

    def test_false_condition_100000_times_stops_once(self):
        s = self.debug("hot_loop", [1, 100000],
                       ["break hot if i == 99999", "continue", "print i", mark("info"),
                        "info breakpoints", "continue"], timeout=LONG)
        self.assertEqual(s.stdout.count("hit Breakpoint 1, hot (i=99999)"), 1, s.describe())
        self.assertEqual(gdb_values(s.stdout)[:1], ["99999"], s.describe())
        info = s.section("info")
        self.assertIn("stop only if i == 99999 (target evals)", info)
        self.assertIn("breakpoint already hit 1 time", info)
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.stdout)
        self.assertEqual(s.server_out, "calls = 100000\n")

    def test_false_condition_in_8_threads_stops_once_in_each(self):
        commands = ["break hot if i == 12499"]
        for _ in range(8):
            commands += ["continue", "print i"]
        commands += ["continue"]
        s = self.debug("hot_loop", [8, 12500], commands, timeout=LONG)
        hits = re.findall(r'^Thread \d+ "hot_loop" hit Breakpoint 1, hot \(i=(\d+)\)', s.stdout, re.M)
        self.assertEqual(hits, ["12499"] * 8, s.describe())
        self.assertEqual(gdb_values(s.stdout), ["12499"] * 8, s.describe())
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.stdout)
        self.assertEqual(s.server_out, "calls = 100000\n")

    def test_agent_dprintf_prints_every_call_and_never_stops(self):
        s = self.debug("hot_loop", [2, 500],
                       ["set dprintf-style agent", 'dprintf hot,"call %ld\\n",i', "continue"],
                       timeout=LONG)
        self.assertNotIn("hit Breakpoint", s.stdout, s.describe())
        self.assertNotIn("hit Dprintf", s.stdout, s.describe())
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited normally\]$", s.stdout)
        # Printed by the server, in the program's order; both threads' 500 calls each.
        lines = s.server_out.splitlines()
        self.assertEqual(lines[-1], "calls = 1000", s.describe())
        calls = sorted(int(n) for n in re.findall(r"^call (\d+)$", s.server_out, re.M))
        self.assertEqual(calls, sorted(list(range(500)) * 2), s.describe())

    def test_condition_changed_and_removed_while_running(self):
        """Non-stop: the program runs into a breakpoint whose condition is never true; GDB
        changes the condition while it runs (the Z0 is sent again), then removes it."""
        with Server.launch("hot_loop", [1, 100000000]) as server, MiSession(timeout=LONG) as mi:
            for setting in ("confirm off", "pagination off", "sysroot", "mi-async on", "non-stop on"):
                mi.command(f"-gdb-set {setting}", expect="done")
            mi.command(f"-file-exec-and-symbols {server.program_path}", expect="done")
            mi.command(f"-target-select remote {server.address}", expect="connected")
            mi.wait_async("stopped", since_resume=False)
            mi.command("-break-insert -c \"i < 0\" hot", expect="done")
            mi.command("-exec-continue --all", expect="running")
            time.sleep(1)
            self.assertEqual(mi.records("stopped", kind="*")[1:], [], mi.describe())
            calls = int(mi.command("-data-evaluate-expression calls", expect="done")["value"])
            self.assertGreater(calls, 1000, mi.describe())

            mi.command("-break-condition 1 i % 1000 == 999", expect="done")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["reason"], "breakpoint-hit", mi.describe())
            first = int(mi.command(f"-data-evaluate-expression --thread {stop['thread-id']} i",
                                   expect="done")["value"])
            self.assertEqual(first % 1000, 999, mi.describe())

            mi.command("-break-condition 1", expect="done")  # no condition: the next call stops
            mi.command(f"-exec-continue --thread {stop['thread-id']}", expect="running")
            stop = mi.wait_async("stopped")
            after = int(mi.command(f"-data-evaluate-expression --thread {stop['thread-id']} i",
                                   expect="done")["value"])
            self.assertEqual(after, first + 1, mi.describe())


if __name__ == "__main__":
    unittest.main()
