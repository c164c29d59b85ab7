"""Hardware breakpoints and watchpoints in the debug registers (Z1, Z2, Z4), including a
watchpoint tripped by a store the stub runs out of line at a breakpoint."""

import unittest

from harness import DebugTestCase, mark, source_line

BUMP = source_line("basic", "bump")


class WatchpointTest(DebugTestCase):

    def test_watch_reports_old_and_new_values_each_write(self):
        s = self.debug("basic", [], ["break main", "continue", "watch counter", "continue", "continue",
                                     mark("end"), "delete", "continue"])
        self.assertMatch(r"^Hardware watchpoint 2: counter$", s.stdout)
        self.assertMatch(r"Old value = 0\nNew value = 1\n", s.stdout)
        self.assertMatch(r"Old value = 1\nNew value = 2\n", s.stdout)
        self.assertMatch(rf"^bump \(\) at basic\.c:{BUMP + 1}$", s.stdout)
        self.assertMatch(r"exited normally", s.section("end"))

    def test_access_watchpoint_sees_the_read_and_the_write(self):
        s = self.debug("basic", [], ["break main", "continue", "awatch counter", "continue", "continue",
                                     mark("end"), "delete", "continue"])
        self.assertMatch(r"^Hardware access \(read/write\) watchpoint 2: counter$", s.stdout)
        self.assertMatch(r"Value = 0\n", s.stdout)  # the read of counter++
        self.assertMatch(r"Old value = 0\nNew value = 1\n", s.stdout)  # its write
        self.assertMatch(r"exited normally", s.section("end"))

    def test_hardware_breakpoint_stops_without_an_int3(self):
        s = self.debug("basic", [], ["break main", "continue", "hbreak add", "continue", "continue",
                                     "continue"])
        self.assertMatch(r"^Hardware assisted breakpoint 2 at 0x[0-9a-f]+: file basic\.c", s.stdout)
        self.assertMatch(r"^Breakpoint 2, add \(a=2, b=3\)", s.stdout)
        self.assertMatch(r"^Breakpoint 2, add \(a=5, b=10\)", s.stdout)
        self.assertMatch(r"exited normally", s.stdout)

    def test_watchpoint_tripped_by_a_store_run_out_of_line(self):
        s = self.debug("watch_store", [], ["break main", "continue", "break *store_site", "watch watched",
                                           "continue", mark("bp"), "continue", mark("watch"),
                                           "info symbol $pc", "x/i $pc", "monitor xol", "delete",
                                           mark("end"), "continue"])
        self.assertMatch(r"^Breakpoint 2, .*main \(\) at watch_store\.c", s.stdout)
        self.assertNotIn("Old value", s.stdout.split("@@bp@@")[0])  # the breakpoint came first
        watch = s.section("bp") + s.section("watch")
        self.assertMatch(r"Old value = 0\nNew value = 10\n", watch)
        # The PC is the program's own next instruction, never the slot the store ran in.
        self.assertMatch(r"^main \+ \d+ in section \.text", watch)
        self.assertMatch(r"=> 0x[0-9a-f]+ <main\+\d+>:\s+addq", watch)
        self.assertMatch(r"boosted \(slot 0x[0-9a-f]+\)  mov qword ptr \[rip", s.gdb.stderr)
        self.assertIn("watched = 30\n", s.server_out, s.describe())

    def test_rwatch_becomes_an_access_watchpoint(self):
        """x86 cannot watch reads alone: Z3 gets the empty reply (as from gdbserver) and GDB
        watches accesses instead, reporting the reads."""
        s = self.debug("basic", [], ["break main", "continue", "rwatch counter", "continue", mark("end"),
                                     "delete", "continue"])
        self.assertMatch(r"^Hardware read watchpoint 2: counter$", s.stdout)
        self.assertMatch(rf"Value = 0\n0x[0-9a-f]+ in bump \(\) at basic\.c:{BUMP}\n", s.stdout)
        self.assertMatch(r"exited normally", s.section("end"))


if __name__ == "__main__":
    unittest.main()
