"""XOL: 8 threads pass the same breakpoints hundreds of times while GDB continues over them.
Every hit is counted (no thread races past an int3 that was removed), no stray SIGTRAP reaches
anyone, the program computes exactly what it computes undebugged, and `monitor xol` shows the
step-overs were done out of line — including the VEX/EVEX RIP-relative loads and the lea that
GDB 13.1's own displaced stepping relocates wrongly."""

import re
import subprocess
import unittest

import harness
from harness import DebugTestCase, mark, source_line

CALLS = 8 * 100
REPORT = source_line("xol_hammer", "report")
LOOP = source_line("xol_hammer", "loop")
# The EVEX load runs only where the CPU has AVX-512.
LOADS = ["xol_vex_load"] + (["xol_evex_load"] if "avx512f" in harness.cpu_flags() else []) + ["xol_sse_load", "xol_lea"]


def undebugged_output(name):
    return subprocess.run([harness.program(name)], capture_output=True, text=True, check=True).stdout


def hit_counts(info):
    """{breakpoint number: hits} from `info breakpoints`."""
    counts, current = {}, None
    for line in info.splitlines():
        start = re.match(r"^(\d+)\s+breakpoint\s", line)
        if start:
            current = int(start.group(1))
            counts[current] = 0
        hits = re.match(r"^\tbreakpoint already hit (\d+) times?$", line)
        if hits and current is not None:
            counts[current] = int(hits.group(1))
    return counts


class XolTest(DebugTestCase):

    def run_hammer(self, breakpoints, non_stop=False):
        commands = ["set non-stop on"] if non_stop else []
        commands += ["break main", "continue"]
        for number, location in enumerate(breakpoints, start=2):
            commands += [f"break {location}", f"ignore {number} 1000000"]
        commands += [f"break xol_hammer.c:{REPORT}", "continue", mark("info"), "info breakpoints",
                     "monitor xol", mark("end"), "continue"]
        return self.debug("xol_hammer", [], commands, timeout=240)

    def check(self, s, breakpoints):
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("end"))
        self.assertEqual(s.server_out, undebugged_output("xol_hammer"), s.describe())
        counts = hit_counts(s.section("info"))
        for number in range(2, 2 + len(breakpoints)):
            self.assertEqual(counts.get(number), CALLS,
                             f"breakpoint {number} ({breakpoints[number - 2]}): {counts}\n{s.describe()}")
        # GDB in batch mode prints `monitor` output on its stderr.
        self.assertIn("XOL step-overs:", s.gdb.stderr, s.describe())
        return s.gdb.stderr

    def test_hot_function_hit_by_eight_threads(self):
        s = self.run_hammer(["hot"])
        xol = self.check(s, ["hot"])
        boosted = int(self.assertMatch(r"(\d+) boosted", xol).group(1))
        self.assertGreaterEqual(boosted, CALLS, s.describe())
        self.assertMatch(r"\b0 in place", xol)
        self.assertMatch(r"\b0 stepped in a slot", xol)
        # One trap per hit: a boosted step-over adds no stop of its own; the few here are threads
        # the all-stop engine happened to interrupt while they ran a slot.
        inside = int(self.assertMatch(r"XOL stops inside step-overs not asked for by a client step: (\d+)",
                                      xol).group(1))
        self.assertLess(inside, boosted // 20, s.describe())

    @harness.skip_if_gdbserver("monitor xol")
    def test_in_place_step_overs_of_several_threads(self):
        """An ss write cannot run out of line: each step over it is done in place with every
        other thread held, one thread at a time even when several sit on it at once; four
        threads x 50 calls are 200 hits, none lost, none doubled."""
        s = self.debug("ss_reload", [], ["break *xol_mov_ss", "ignore 1 1000000",
                                         f"break ss_reload.c:{source_line('ss_reload', 'report')}",
                                         "continue", mark("info"), "info breakpoints", "monitor xol",
                                         mark("end"), "delete", "continue"], timeout=240)
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertEqual(hit_counts(s.section("info")).get(1), 200, s.describe())
        in_place = int(self.assertMatch(r"(\d+) in place", s.gdb.stderr).group(1))
        self.assertGreaterEqual(in_place, 200, s.describe())
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("end"))
        self.assertEqual(s.server_out, "calls = 200\n")

    def test_rip_relative_loads_gdb_relocates_wrongly(self):
        breakpoints = [f"*{label}" for label in LOADS]
        s = self.run_hammer(breakpoints)
        xol = self.check(s, breakpoints)
        texts = ["vmovdqu ymm1, ymmword ptr [rip", "movdqu xmm4, xmmword ptr [rip", "lea r"]
        if "xol_evex_load" in LOADS:
            texts.append("vmovdqu64 zmm2, zmmword ptr [rip")
        for text in texts:
            self.assertMatch(rf"boosted \(slot 0x[0-9a-f]+\)  {re.escape(text)}", xol)
        self.assertMatch(r"\b0 in place", xol)

    def test_breakpoint_deleted_while_other_threads_are_on_it(self):
        """GDB deletes a breakpoint that other threads have just hit too (their traps were in
        flight when the stub stopped them): none of them may see a SIGTRAP or lose a step."""
        commands = ["break main", "continue"]
        for _ in range(40):
            commands += ["break hot", "continue", "delete"]
        commands += [mark("end"), "continue"]
        s = self.debug("xol_hammer", [], commands, timeout=240)
        self.assertEqual(len(re.findall(r"hit Breakpoint \d+, hot \(", s.stdout)), 40, s.describe())
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("end"))
        self.assertEqual(s.server_out, undebugged_output("xol_hammer"), s.describe())

    def test_next_while_other_threads_hit_a_conditional_breakpoint(self):
        """One thread `next`s through its loop while seven others keep hitting a breakpoint whose
        condition GDB finds false. The stepping thread's single-step traps race the interrupts
        that stop it for the others' hits: none may be lost or reach GDB as a SIGTRAP."""
        commands = ["break main", "continue", f"break xol_hammer.c:{LOOP} if id == 0", "continue",
                    mark("steps")] + ["next"] * 30 + [mark("end"), "delete", "continue"]
        s = self.debug("xol_hammer", [], commands, timeout=240)
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        steps = s.section("steps")
        self.assertNotIn("[Inferior 1", steps, s.describe())
        self.assertEqual(len(re.findall(r"^\d+\t", steps, re.M)), 30, s.describe())  # one source line per next
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("end"))
        self.assertEqual(s.server_out, undebugged_output("xol_hammer"), s.describe())

    def test_signals_never_see_a_slot_address(self):
        """SIGPROF every 500 us of CPU time while four threads pass a breakpoint, then a SIGFPE raised by an
        idiv run out of line: handlers see only the program's own addresses."""
        commands = ["break main", "continue", "break hot", "ignore 2 1000000", "break *xol_div",
                    "continue", mark("div"), "continue", mark("fpe"), "info breakpoints",
                    "monitor xol", mark("end"), "continue"]
        s = self.debug("xol_signals", [], commands, timeout=240)
        self.assertMatch(r"hit Breakpoint 3, 0x[0-9a-f]+ in divide ", s.stdout)
        self.assertMatch(r"received signal SIGFPE, Arithmetic exception", s.section("div"))
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        # Every call is a hit (none raced past). There can be more: when a SIGPROF comes while GDB
        # steps a thread off the breakpoint, GDB has it delivered from there and wants to see
        # the handler's return onto the int3 (its step-resume breakpoint), which counts again;
        # gdbserver counts many more of those.
        self.assertGreaterEqual(hit_counts(s.section("fpe")).get(2, 0), 4 * 200, s.describe())
        self.assertMatch(r"boosted \(slot 0x[0-9a-f]+\)  idiv", s.gdb.stderr)
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.section("end"))
        self.assertIn("alarms outside loaded objects = 0", s.server_out, s.describe())
        self.assertIn("SIGFPE si_addr at xol_div, rip at xol_div", s.server_out, s.describe())
        self.assertEqual(s.server_out, undebugged_output("xol_signals"), s.describe())

    def test_fork_and_vfork_children_leave_without_our_int3s(self):
        """A fork child gets the program's own bytes and no XOL areas before it is let go; a
        vfork child, which shares the parent's memory, passes the breakpoint out of line until it
        execs. Neither is reported to GDB, which was not told of them."""
        commands = ["break main", "continue", "break hot", "ignore 2 1000000", "continue",
                    mark("end"), "info breakpoints"]
        s = self.debug("xol_fork", [], commands, timeout=120)
        self.assertNotIn("SIGTRAP", s.stdout + s.gdb.stderr, s.describe())
        self.assertIn("fork child: exited 0\n", s.server_out, s.describe())
        self.assertIn("vfork child: exited 0\n", s.server_out, s.describe())
        self.assertEqual(s.server_out, undebugged_output("xol_fork"), s.describe())
        self.assertMatch(r"\[Inferior 1 \(process \d+\) exited normally\]", s.stdout)
        self.assertEqual(hit_counts(s.section("end")).get(2), 30, s.describe())


if __name__ == "__main__":
    unittest.main()
