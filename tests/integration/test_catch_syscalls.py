"""`catch syscall` (QCatchSyscalls): the thread stops at the entry and at the return of the
system calls the client names, or of every one; the rest run without a stop."""

import unittest

from harness import DebugTestCase, mark


class CatchSyscallTest(DebugTestCase):

    def test_entry_and_return_of_a_named_call(self):
        # sample prints everything with one write(1, ..., 197) when its stdout is a file.
        s = self.debug("sample", [], ["catch syscall write", mark("entry"), "continue", "print $orig_rax",
                                      mark("return"), "continue", "print (long) $rax", mark("end"),
                                      "delete", "continue"])
        self.assertMatch(r"^Catchpoint 1 \(syscall 'write' \[1\]\)$", s.stdout)
        self.assertMatch(r"^Catchpoint 1 \(call to syscall write\)", s.section("entry"))
        self.assertValue(s.section("entry"), "1")
        self.assertMatch(r"^Catchpoint 1 \(returned from syscall write\)", s.section("return"))
        self.assertValue(s.section("return"), "197")
        self.assertMatch(r"exited normally", s.stdout)

    def test_every_call_and_a_list_by_number(self):
        s = self.debug("sample", [], ["catch syscall", mark("first"), "continue", "delete",
                                      "catch syscall 231 60", mark("exit"), "continue", mark("end"), "continue"])
        # The first may be the return from the execve the program was started with.
        self.assertMatch(r"^Catchpoint 1 \((call to|returned from) syscall [a-z_]+\)", s.section("first"))
        self.assertMatch(r"^Catchpoint 2 \(call to syscall exit_group\)", s.section("exit"))
        self.assertMatch(r"exited normally", s.stdout)

    def test_calls_not_caught_run_without_a_stop(self):
        s = self.debug("sample", [], ["catch syscall exit_group", mark("exit"), "continue", mark("end"),
                                      "continue"])
        self.assertNoMatch(r"Catchpoint 1 \(call to syscall write\)", s.stdout)
        self.assertMatch(r"^Catchpoint 1 \(call to syscall exit_group\)", s.section("exit"))
        self.assertMatch(r"count = 10, sum = 143", s.server_out)
        self.assertMatch(r"exited normally", s.stdout)


if __name__ == "__main__":
    unittest.main()
