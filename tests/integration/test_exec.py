"""exec events (exec-events+): GDB follows a program into the one it execs, with fresh symbols,
libraries and breakpoints; `catch exec` stops there."""

import unittest

from harness import DebugTestCase, mark, program

HIT = r"^(Thread \d+ \S+ hit )?"  # GDB names the thread once the program has had several


class ExecTest(DebugTestCase):

    def follow(self, *how):
        sample = program("sample")
        return self.debug("execer", [sample, *how], [
            "break before_exec", "catch exec", mark("before"), "continue", mark("exec"), "continue",
            "info inferiors", "break fibonacci", mark("new"), "continue", "delete", mark("end"), "continue"])

    def check(self, s):
        self.assertMatch(HIT + r"Breakpoint 1, before_exec \(\)", s.section("before"))
        self.assertMatch(r"is executing new program: .*/sample$", s.section("exec"))
        self.assertMatch(HIT + r"Catchpoint 2 \(exec'd .*/sample\)", s.section("exec"))
        # The new program's symbols: its own functions, at its own addresses.
        self.assertMatch(HIT + r"Breakpoint 3, fibonacci \(n=1\) at .*sample\.c", s.section("new"))
        self.assertMatch(r"exited normally", s.section("end"))
        self.assertMatch(r"count = 10, sum = 143", s.server_out)

    def test_exec_from_the_main_thread(self):
        self.check(self.follow())

    def test_exec_from_another_thread(self):
        self.check(self.follow("thread"))


if __name__ == "__main__":
    unittest.main()
