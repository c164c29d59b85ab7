"""The README's first session: sample.c, as a new user would debug it."""

import unittest

from harness import DebugTestCase, gdb_values, mark, source_line


class SampleTest(DebugTestCase):

    def test_readme_session(self):
        s = self.debug("sample", [], ["break fibonacci", "continue", "continue", "continue",
                                      mark("finish"), "finish", mark("record"),
                                      f"break sample.c:{source_line('sample', 'record')}",
                                      "continue", "p *s", "p value", "delete", "continue"])
        fib_line = source_line("sample", "fib-loop") - 2
        self.assertMatch(rf"^Breakpoint 1, fibonacci \(n=1\) at sample\.c:{fib_line}$",
                         s.stdout)
        self.assertMatch(rf"^Breakpoint 1, fibonacci \(n=3\) at sample\.c:{fib_line}$",
                         s.stdout)
        self.assertMatch(r"^Value returned is \$1 = 2$", s.section("finish"))
        self.assertEqual(gdb_values(s.section("record")), ["{count = 3, sum = 2}", "2"],
                         s.describe())
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]$",
                         s.stdout)
        self.assertTrue(s.server_out.endswith("fibonacci(10) = 55\ncount = 10, sum = 143\n"),
                        s.describe())


if __name__ == "__main__":
    unittest.main()
