"""Non-stop debugging (`set non-stop on`): every thread runs and stops on its own.

Driven through GDB/MI, as IDEs drive it: GDB's CLI in batch mode never runs its event loop
between commands, so it would not see the asynchronous stops non-stop is about. The program is
tests/programs/counters.c: four workers count in counters[], worker 0 calls checkpoint()
every 1000 counts.
"""

import re
import time
import unittest

from harness import DebugTestCase, MiSession, Server, source_line

CHECKPOINT = source_line("counters", "checkpoint")
SPAWNED_TASK = source_line("counters", "spawned-task")
WORKERS = [f"counter-{i}" for i in range(4)]


class NonStopTest(DebugTestCase):

    def connect(self, mi, server):
        for setting in ("confirm off", "pagination off", "sysroot", "mi-async on", "non-stop on"):
            mi.command(f"-gdb-set {setting}", expect="done")
        mi.command(f"-file-exec-and-symbols {server.program_path}", expect="done")
        mi.command(f"-target-select remote {server.address}", expect="connected")

    def threads(self, mi):
        """{name: thread record} from -thread-info."""
        return {t["name"]: t for t in mi.command("-thread-info", expect="done")["threads"]
                if "name" in t}

    def run_until_workers(self, mi):
        """Continues every thread and waits until the four workers are counting; returns the
        -thread-info records by name."""
        mi.command("-exec-continue --all", expect="running")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            threads = self.threads(mi)
            if all(name in threads for name in WORKERS) and min(self.counters(mi)) > 0:
                return threads
            time.sleep(0.05)
        self.fail("the four workers never showed up counting\n" + mi.describe())

    def counters(self, mi):
        value = mi.command("-data-evaluate-expression counters", expect="done")["value"]
        return [int(v) for v in re.findall(r"\d+", value)]

    def assert_only_stopped(self, mi, stopped_ids):
        """Exactly the threads STOPPED_IDS are stopped; every other one runs."""
        states = {t["id"]: t["state"] for t in mi.command("-thread-info", expect="done")["threads"]}
        self.assertEqual({i for i, state in states.items() if state == "stopped"}, set(stopped_ids),
                         mi.describe())

    def assert_others_count(self, mi, still, moving, what):
        """Over a short while, the counters of workers STILL stand still and those of MOVING
        advance."""
        before = self.counters(mi)
        time.sleep(0.3)
        after = self.counters(mi)
        for i in still:
            self.assertEqual(after[i], before[i], f"{what}: counter-{i} moved\n{mi.describe()}")
        for i in moving:
            self.assertGreater(after[i], before[i], f"{what}: counter-{i} stood still\n{mi.describe()}")

    def test_interrupt_one_thread_while_the_others_count(self):
        with Server.launch("counters") as server, MiSession() as mi:
            self.connect(mi, server)
            threads = self.run_until_workers(mi)
            one = threads["counter-1"]["id"]

            mi.command(f"-exec-interrupt --thread {one}", expect="done")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["thread-id"], one, mi.describe())
            self.assert_only_stopped(mi, [one])
            self.assert_others_count(mi, still=[1], moving=[0, 2, 3], what="counter-1 interrupted")

            # Inspect it while the others run: its stack goes down to worker().
            stack = mi.command(f"-stack-list-frames --thread {one}", expect="done")["stack"]
            self.assertIn("worker", [f.get("func") for _, f in stack], mi.describe())

            # Step it, alone: out of the sleep, frame by frame, up to worker().
            for _ in range(4):
                mi.command(f"-exec-finish --thread {one}", expect="running")
                stop = mi.wait_async("stopped")
                self.assertEqual((stop["reason"], stop["thread-id"]), ("function-finished", one),
                                 mi.describe())
                self.assert_only_stopped(mi, [one])
                if stop["frame"]["func"] == "worker":
                    break
            self.assertEqual(stop["frame"]["func"], "worker", mi.describe())
            self.assert_others_count(mi, still=[1], moving=[0, 2, 3], what="counter-1 stepped")

            # Continue it: it counts again with the others.
            mi.command(f"-exec-continue --thread {one}", expect="running")
            self.assert_only_stopped(mi, [])
            self.assert_others_count(mi, still=[], moving=[0, 1, 2, 3], what="all running")

            # The CLI's `interrupt` stops the selected thread only, too.
            two = threads["counter-2"]["id"]
            mi.command(f"-thread-select {two}", expect="done")
            mi.console("interrupt")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["thread-id"], two, mi.describe())
            self.assert_others_count(mi, still=[2], moving=[0, 1, 3], what="counter-2 interrupted")

            mi.command("-gdb-set var finish = 1", expect="done")
            mi.command("-exec-continue --all", expect="running")
            self.assertEqual(mi.wait_async("stopped")["reason"], "exited-normally", mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertIn("finished\n", server.output())

    def test_breakpoint_in_one_thread_while_the_others_count(self):
        with Server.launch("counters") as server, MiSession() as mi:
            self.connect(mi, server)
            threads = self.run_until_workers(mi)
            zero = threads["counter-0"]["id"]
            mi.command("-break-insert checkpoint", expect="done")
            # Hit after hit in counter-0; the others never stop.
            for hit in range(5):
                stop = mi.wait_async("stopped")
                self.assertEqual((stop["reason"], stop["thread-id"], stop["frame"]["line"]),
                                 ("breakpoint-hit", zero, str(CHECKPOINT)), mi.describe())
                self.assert_only_stopped(mi, [zero])
                if hit == 0:
                    self.assert_others_count(mi, still=[0], moving=[1, 2, 3], what="at the breakpoint")
                mi.command(f"-exec-continue --thread {zero}", expect="running")

            # Stepping out of the breakpoint, with the others running.
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["reason"], "breakpoint-hit", mi.describe())
            mi.command(f"-exec-next --thread {zero}", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["thread-id"], stop["frame"]["func"]),
                             ("end-stepping-range", zero, "checkpoint"), mi.describe())
            mi.command(f"-exec-finish --thread {zero}", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["frame"]["func"]), ("function-finished", "count"),
                             mi.describe())
            hits = mi.command("-break-info 1", expect="done")["BreakpointTable"]["body"][0][1]["times"]
            self.assertEqual(hits, "6", mi.describe())

            # Remove it while the others run: counter-0 runs on and never stops again.
            mi.command("-break-delete 1", expect="done")
            mi.command(f"-exec-continue --thread {zero}", expect="running")
            checkpoints = int(mi.command("-data-evaluate-expression checkpoints", expect="done")["value"])
            time.sleep(0.5)
            later = int(mi.command("-data-evaluate-expression checkpoints", expect="done")["value"])
            self.assertGreater(later, checkpoints, mi.describe())
            self.assert_only_stopped(mi, [])
            mi.command("-gdb-set var finish = 1", expect="done")
            self.assertEqual(mi.wait_async("stopped")["reason"], "exited-normally", mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())

    def test_threads_start_and_exit_while_one_is_stopped(self):
        with Server.launch("counters") as server, MiSession() as mi:
            self.connect(mi, server)
            threads = self.run_until_workers(mi)
            zero = threads["counter-0"]["id"]
            mi.command("-break-insert checkpoint", expect="done")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["thread-id"], zero, mi.describe())
            mi.command("-break-delete 1", expect="done")

            # A new thread stops at a breakpoint of its own, then exits; counter-0 stays put.
            mi.command("-break-insert spawned_task", expect="done")
            mi.command("-gdb-set var spawn = 1", expect="done")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["frame"]["func"], stop["frame"]["line"]),
                             ("breakpoint-hit", "spawned_task", str(SPAWNED_TASK)), mi.describe())
            newcomer = stop["thread-id"]
            self.assertNotIn(newcomer, [t["id"] for t in threads.values()])
            self.assertEqual(self.threads(mi)["short-lived"]["id"], newcomer, mi.describe())
            self.assert_only_stopped(mi, [zero, newcomer])
            mi.command("-break-delete 2", expect="done")
            mi.command(f"-exec-continue --thread {newcomer}", expect="running")
            deadline = time.monotonic() + 10
            while "short-lived" in self.threads(mi) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertNotIn("short-lived", self.threads(mi), mi.describe())
            self.assertEqual(mi.command("-data-evaluate-expression spawned", expect="done")["value"], "1")
            self.assert_only_stopped(mi, [zero])
            self.assertEqual(self.threads(mi)["counter-0"]["frame"]["func"], "checkpoint", mi.describe())
            self.assert_others_count(mi, still=[0], moving=[1, 2, 3], what="after the newcomer left")

            # The process exits while counter-0 is still stopped at its breakpoint.
            mi.command("-gdb-set var exit_now = 1", expect="done")
            stop = mi.wait_async("stopped", since_resume=False)
            while stop.results.get("reason") != "exited":
                stop = mi.wait_async("stopped", since_resume=False)
            self.assertEqual(stop["exit-code"], "03", mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertIn("exit now\n", server.output())
            self.assertIn("Child exited with status 3", server.errors())

    def test_breakpoint_removed_while_threads_hammer_it(self):
        """Every worker passes count() thousands of times a second; a dprintf there stops and
        resumes them all the time. Deleted while they run, the int3 goes while a thread may
        have executed it already: such a trap is rewound, never reported as a SIGTRAP. Thirty
        insert/delete rounds make that race likely."""
        with Server.launch("counters") as server, MiSession() as mi:
            self.connect(mi, server)
            self.run_until_workers(mi)
            for number in range(1, 31):
                mi.command('-dprintf-insert count "tick %d\\n" id', expect="done")
                time.sleep(0.05)
                mi.command(f"-break-delete {number}", expect="done")
            time.sleep(0.5)
            self.assert_only_stopped(mi, [])
            self.assert_others_count(mi, still=[], moving=[0, 1, 2, 3], what="after the delete")
            signals = [r for r in mi.records("stopped", kind="*")
                       if r.results.get("reason") == "signal-received" and r["signal-name"] != "0"]
            self.assertEqual(signals, [], mi.describe())
            ticks = "".join(mi.streams) + server.output()
            mi.command("-gdb-set var finish = 1", expect="done")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["reason"], "exited-normally", mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertIn("finished\n", server.output())
            self.assertGreater(len(re.findall(r"tick \d", "\n".join(mi.transcript) + ticks)), 10, mi.describe())

    def test_displaced_stepping_past_every_hit(self):
        """In non-stop GDB steps a thread past a breakpoint itself, in a scratch pad it writes
        at the program's entry point, while the other threads run. The breakpoint is on an
        ss write (the trap of a single-step over it comes one instruction late); four threads
        pass it 50 times each, and every one of the 200 hits is seen."""
        with Server.launch("ss_reload") as server, MiSession() as mi:
            self.connect(mi, server)
            mi.wait_async("stopped", since_resume=False)  # the stop at the program's entry
            mi.command("-break-insert *xol_mov_ss", expect="done")
            mi.command("-exec-continue --all", expect="running")
            stop, hits = mi.continue_each_hit()
            self.assertEqual((stop["reason"], hits), ("exited-normally", 200), mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertEqual(server.output(), "calls = 200\n")

if __name__ == "__main__":
    unittest.main()
