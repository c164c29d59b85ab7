"""$_siginfo (qXfer:siginfo:read and :write): the signal a thread stopped for, as the kernel
delivers it, and a changed one delivered when GDB passes the signal on."""

import unittest

from harness import DebugTestCase, mark


class SiginfoTest(DebugTestCase):

    def test_read_the_fault_and_change_it_before_delivery(self):
        s = self.debug("faulter", [], [
            "continue", mark("read"), "print $_siginfo.si_signo", "print $_siginfo.si_code",
            "print $_siginfo._sifields._sigfault.si_addr",
            mark("write"), "set $_siginfo._sifields._sigfault.si_addr = (void *) 0x666",
            "print $_siginfo._sifields._sigfault.si_addr", "continue"])
        self.assertMatch(r"Program received signal SIGSEGV", s.stdout)
        self.assertMatch(r"^\$1 = 11$", s.section("read"))
        self.assertMatch(r"^\$2 = 1$", s.section("read"))  # SEGV_MAPERR
        self.assertMatch(r"^\$3 = \(void \*\) 0x1234$", s.section("read"))
        self.assertMatch(r"^\$4 = \(void \*\) 0x666$", s.section("write"))
        # The handler got the changed siginfo.
        self.assertMatch(r"handler: si_addr=0x666", s.server_out)
        self.assertMatch(r"exited normally", s.stdout)

    def test_a_breakpoint_stop_has_a_sigtrap(self):
        s = self.debug("faulter", [], ["break main", "continue", mark("trap"), "print $_siginfo.si_signo",
                                       "kill"])
        self.assertMatch(r"^\$1 = 5$", s.section("trap"))


if __name__ == "__main__":
    unittest.main()
