"""Stepping: next, step, finish, stepi (also off a breakpoint and into a call), advance."""

import re
import unittest

from harness import DebugTestCase, gdb_values, mark, program, run_gdb, source_line

ADD_BODY = source_line("basic", "add-body")
CALL_ADD = source_line("basic", "call-add")
AFTER_ADD = source_line("basic", "after-add")
LOOP_CALL = source_line("basic", "loop-call")
LOOP_AFTER = source_line("basic", "loop-after")


def first_call_offset(function, callee):
    """Offset in FUNCTION of its first `call <CALLEE>`, from the ELF file (no server)."""
    out = run_gdb([f"disassemble {function}"], program_path=program("basic")).stdout
    match = re.search(rf"<\+(\d+)>:\s+call\s+0x[0-9a-f]+ <{callee}>", out)
    if not match:
        raise AssertionError(f"no call to {callee} in {function}:\n{out}")
    return int(match.group(1))


class SteppingTest(DebugTestCase):

    def test_next_steps_over_call(self):
        s = self.debug("basic", [7], [f"break basic.c:{CALL_ADD}", "continue", "p counter",
                                      mark("next"), "next", "p result"])
        self.assertMatch(rf"^Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{CALL_ADD}$", s.stdout)
        after = s.section("next")
        self.assertMatch(rf"^{AFTER_ADD}\t    printf\(\"result = %d\\n\", result\);", after)
        self.assertNotIn("add (", after)
        self.assertEqual(gdb_values(s.stdout), ["5", "5"], s.describe())

    def test_next_through_loop(self):
        s = self.debug("basic", [7], [f"break basic.c:{LOOP_CALL}", "continue", mark("steps"),
                                      "next", "p counter", "next", "next", "p i",
                                      "next", "p counter"])
        lines = re.findall(r"^(\d+)\t", s.section("steps"), re.M)
        self.assertEqual(lines, [str(LOOP_AFTER), str(LOOP_AFTER - 2), str(LOOP_CALL),
                                 str(LOOP_AFTER)], s.describe())
        self.assertEqual(gdb_values(s.stdout), ["1", "1", "2"], s.describe())

    def test_step_enters_function(self):
        s = self.debug("basic", [7], [f"break basic.c:{CALL_ADD}", "continue", mark("step"),
                                      "step", "bt"])
        step = s.section("step")
        self.assertMatch(rf"^add \(a=2, b=3\) at basic\.c:{ADD_BODY}$", step)
        self.assertMatch(rf"^#1  0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at "
                         rf"basic\.c:{CALL_ADD}$", step)

    def test_finish_shows_value_returned(self):
        s = self.debug("basic", [7], ["break add", "continue", "continue", mark("finish"),
                                      "finish", "p $"])
        finish = s.section("finish")
        self.assertMatch(rf"^0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{source_line('basic', 'call-add-2')}$", finish)
        self.assertMatch(r"^Value returned is \$1 = 15$", finish)
        self.assertEqual(gdb_values(finish), ["15"], s.describe())

    def test_stepi_off_a_breakpoint_advances_one_instruction(self):
        """stepi from an address that holds a breakpoint executes exactly the original
        instruction (the server steps over its own int3)."""
        s = self.debug("basic", [7], ["break *bump", "continue", mark("before"), "p/x $pc",
                                      "x/2i $pc", mark("stepi"), "stepi", "p/x $pc",
                                      "p $pc == bump", mark("rest"), "delete", "continue"])
        pc = int(gdb_values(s.section("before"))[0], 16)
        insns = re.findall(r"^(?:=> )?\s*0x([0-9a-f]+) <bump(?:\+\d+)?>:", s.section("before"),
                           re.M)
        self.assertEqual(len(insns), 2, s.describe())
        self.assertEqual(int(insns[0], 16), pc)
        next_pc = int(insns[1], 16)
        values = gdb_values(s.section("stepi"))
        self.assertEqual(int(values[0], 16), next_pc, s.describe())
        self.assertEqual(values[1], "0")
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited with code 07\]$",
                         s.section("rest"))
        self.assertIn("counter = 5 total = 10", s.server_out)

    def test_stepi_into_call_with_breakpoint_on_call(self):
        """A breakpoint on a `call` instruction; stepi from it lands on the callee's first
        instruction with the right return address pushed."""
        offset = first_call_offset("main", "add")
        s = self.debug("basic", [7], [f"break *main+{offset}", "continue", mark("stepi"),
                                      "stepi", "p $pc == add", "p *(void **)$sp == main + "
                                      f"{offset} + 5", "p $rdi", "p $rsi", mark("finish"),
                                      "finish", mark("rest"), "continue"])
        self.assertMatch(rf"^Breakpoint 1, 0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) "
                         rf"at basic\.c:{CALL_ADD}$", s.stdout)
        self.assertEqual(gdb_values(s.section("stepi")), ["1", "1", "2", "3"], s.describe())
        self.assertMatch(r"^Value returned is \$\d+ = 5$", s.section("finish"))
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited with code 07\]$",
                         s.section("rest"))
        self.assertIn("result = 5\nresult2 = 15\n", s.server_out)

    def test_continue_over_breakpoint_on_call_in_loop(self):
        """Continuing from a breakpoint on a `call` executes the call exactly once each time."""
        offset = first_call_offset("main", "bump")
        commands = [f"break *main+{offset}"]
        for _ in range(5):
            commands += ["continue", f"p $pc == main + {offset}", "p counter"]
        commands += [mark("rest"), "continue"]
        s = self.debug("basic", [7], commands)
        self.assertEqual(len(re.findall(rf"^Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) "
                                        rf"at basic\.c:{LOOP_CALL}$", s.stdout, re.M)), 5,
                         s.describe())
        self.assertEqual(gdb_values(s.stdout), ["1", "0", "1", "1", "1", "2", "1", "3", "1", "4"],
                         s.describe())
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited with code 07\]$",
                         s.section("rest"))
        self.assertIn("counter = 5 total = 10", s.server_out)

    def test_advance_and_until(self):
        report = source_line("basic", "report")
        s = self.debug("basic", [7], ["break main", "continue", mark("advance"),
                                      f"advance {AFTER_ADD}", "p result", "p counter",
                                      mark("until"), f"until {report}", "p result",
                                      mark("rest"), "continue"])
        self.assertMatch(rf"^main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:{AFTER_ADD}$",
                         s.section("advance"))
        self.assertEqual(gdb_values(s.section("advance")), ["5", "5"], s.describe())
        self.assertMatch(rf"^main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:{report}$",
                         s.section("until"))
        self.assertEqual(gdb_values(s.section("until")), ["15"], s.describe())
        self.assertIn("result = 5\nresult2 = 15\n", s.server_out)


if __name__ == "__main__":
    unittest.main()
