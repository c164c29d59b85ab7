"""Breakpoints: software, temporary, conditional (host evaluated), ignore counts,
disable/delete."""

import re
import unittest

from harness import DebugTestCase, gdb_values, mark, source_line

ADD_BODY = source_line("basic", "add-body")
BUMP = source_line("basic", "bump")
LOOP_AFTER = source_line("basic", "loop-after")
EXITED_7 = r"^\[Inferior 1 \(process {pid}\) exited with code 07\]$"


class BreakpointTest(DebugTestCase):

    def test_function_breakpoint_reports_arguments_and_line(self):
        s = self.debug("basic", [7], ["break add", "continue", mark("bt"), "bt",
                                      "continue", "continue"])
        self.assertMatch(rf"^Breakpoint 1 at 0x[0-9a-f]+: file basic\.c, line {ADD_BODY}\.$",
                         s.stdout)
        self.assertMatch(rf"^Breakpoint 1, add \(a=2, b=3\) at basic\.c:{ADD_BODY}$", s.stdout)
        bt = s.section("bt")
        self.assertMatch(rf"^#0  add \(a=2, b=3\) at basic\.c:{ADD_BODY}$", bt)
        self.assertMatch(r"^#1  0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{source_line('basic', 'call-add')}$", bt)
        self.assertMatch(rf"^Breakpoint 1, add \(a=5, b=10\) at basic\.c:{ADD_BODY}$", s.stdout)
        self.assertMatch(EXITED_7.format(pid=s.inferior_pid), s.stdout)

    def test_line_breakpoint_in_loop_hit_every_iteration(self):
        commands = [f"break basic.c:{LOOP_AFTER}"]
        for _ in range(5):
            commands += ["continue", "p i", "p counter"]
        commands += [mark("info"), "info breakpoints", "continue"]
        s = self.debug("basic", [7], commands)
        self.assertMatch(
            rf"^Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:{LOOP_AFTER}$",
            s.stdout)
        self.assertEqual(s.stdout.count("Breakpoint 1, main"), 5, s.describe())
        values = gdb_values(s.stdout)
        self.assertEqual(values, ["0", "1", "1", "2", "2", "3", "3", "4", "4", "5"],
                         s.describe())
        self.assertMatch(r"^\tbreakpoint already hit 5 times$", s.section("info"))
        self.assertMatch(EXITED_7.format(pid=s.inferior_pid), s.stdout)

    def test_temporary_breakpoint_stops_once(self):
        s = self.debug("basic", [7], ["tbreak add", "continue", "info breakpoints", "continue"])
        self.assertMatch(rf"^Temporary breakpoint 1, add \(a=2, b=3\) at basic\.c:{ADD_BODY}$",
                         s.stdout)
        self.assertMatch(r"^No breakpoints or watchpoints\.$", s.stdout)
        self.assertNotIn("add (a=5, b=10)", s.stdout)
        self.assertMatch(EXITED_7.format(pid=s.inferior_pid), s.stdout)

    def test_condition_evaluated_by_gdb(self):
        s = self.debug("basic", [7], ["set breakpoint condition-evaluation host",
                                      "break add if a == 5", "continue", "p b",
                                      mark("info"), "info breakpoints", "continue"])
        self.assertMatch(rf"^Breakpoint 1, add \(a=5, b=10\) at basic\.c:{ADD_BODY}$", s.stdout)
        self.assertNotIn("add (a=2, b=3)", s.stdout)
        self.assertValue(s.stdout, "10")
        info = s.section("info")
        self.assertMatch(r"^\tstop only if a == 5( \(host evals\))?$", info)
        self.assertMatch(r"^\tbreakpoint already hit 1 time$", info)
        self.assertMatch(EXITED_7.format(pid=s.inferior_pid), s.stdout)


    def test_ignore_count(self):
        s = self.debug("basic", [7], ["break bump", "ignore 1 3", "continue", "p counter",
                                      mark("info"), "info breakpoints"])
        self.assertMatch(rf"^Breakpoint 1, bump \(\) at basic\.c:{BUMP}$", s.stdout)
        self.assertEqual(gdb_values(s.stdout), ["3"], s.describe())
        self.assertMatch(r"^\tbreakpoint already hit 4 times$", s.section("info"))

    def test_disable_and_delete(self):
        s = self.debug("basic", [7], ["break add", "break bump", "disable 1", "continue",
                                      "p counter", "delete", "continue"])
        self.assertMatch(rf"^Breakpoint 2, bump \(\) at basic\.c:{BUMP}$", s.stdout)
        self.assertNotIn("Breakpoint 1,", s.stdout)
        self.assertEqual(gdb_values(s.stdout), ["0"], s.describe())
        self.assertMatch(EXITED_7.format(pid=s.inferior_pid), s.stdout)
        self.assertIn("result = 5\nresult2 = 15\ncounter = 5 total = 10", s.server_out)


    def test_many_breakpoints_at_once(self):
        """Several sites inserted together, two at the same address, all hit in order."""
        s = self.debug("basic", [7], ["break main", "break add", "break *add", "break bump",
                                      "break fill_pattern", "continue", "continue", "continue",
                                      "delete 4", "continue", "continue", "continue"])
        stops = [line for line in s.stdout.splitlines() if re.match(r"Breakpoint \d+, ", line)]
        self.assertEqual([line.split(" (")[0] for line in stops],
                         ["Breakpoint 1, main", "Breakpoint 5, fill_pattern",
                          "Breakpoint 4, bump", "Breakpoint 3, add", "Breakpoint 2, add",
                          "Breakpoint 3, add"],
                         s.describe())
        # At the entry instruction: the line of the opening brace, arguments not yet stored.
        self.assertMatch(rf"^Breakpoint 3, add \(a=[^)]*\) at basic\.c:{ADD_BODY - 1}$",
                         s.stdout)
        self.assertMatch(rf"^Breakpoint 2, add \(a=2, b=3\) at basic\.c:{ADD_BODY}$", s.stdout)


if __name__ == "__main__":
    unittest.main()
