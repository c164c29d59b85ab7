"""Thread-local variables (qGetTLSAddr): GDB prints each thread's own copy of a __thread
variable in the executable, in a linked library, in a dlopen'ed library and libc's errno, says
when a thread has no storage for one yet, and writes land in the thread's copy."""

import re
import unittest

from harness import DebugTestCase, mark

WORKERS = 4
MAIN = "tls_vars"

# `thread apply all print X`: a "Thread N (Thread PID.LWP "NAME"):" header, then the value or
# GDB's error, for every thread.
BLOCK = re.compile(r'^Thread \d+ \(Thread [^"]*"([^"]+)"\):\n(.*?)(?=^Thread \d+ \(|\Z)', re.M | re.S)


def per_thread(text):
    """{thread name: what GDB printed for it} from `thread apply all` output."""
    return {name: body.strip() for name, body in BLOCK.findall(text)}


def worker(k):
    return f"tls-worker-{k}"


class TlsTest(DebugTestCase):

    def stopped_at_all_set(self, commands):
        return self.debug("tls_vars", [], ["break all_set", "continue", *commands])

    def assertValues(self, text, expected):
        """Every thread of EXPECTED ({name: value}) printed `$N = value`."""
        blocks = per_thread(text)
        self.assertEqual(sorted(blocks), sorted(expected), f"threads:\n{text}\n\n{self.context()}")
        for name, value in expected.items():
            self.assertMatch(rf"^\$\d+ = {value}$", blocks[name])

    def test_every_thread_has_its_own_copy(self):
        # `(int) errno`: without libc's debug info (libc6-dbg) errno is a bare TLS symbol
        # with no type; the cast makes GDB read it either way.
        s = self.stopped_at_all_set([
            mark("exe"), "thread apply all print tls_main",
            mark("lib"), "thread apply all print tls_lib",
            mark("errno"), "thread apply all print (int) errno",
            "kill"])
        self.assertMatch(r'^Thread 1 "tls_vars" hit Breakpoint 1, all_set \(\)', s.stdout)
        self.assertValues(s.section("exe"), {MAIN: 1, **{worker(k): 100 + k for k in range(WORKERS)}})
        self.assertValues(s.section("lib"), {MAIN: 2, **{worker(k): 200 + k for k in range(WORKERS)}})
        self.assertValues(s.section("errno"), {MAIN: 5, **{worker(k): 10 + k for k in range(WORKERS)}})
        self.assertNoMatch(r"Cannot find thread-local storage", s.gdb.all)

    def test_dlopened_library_storage_exists_only_where_used(self):
        # -c: an error in one thread is printed in its place and the others go on.
        s = self.stopped_at_all_set([mark("dl"), "thread apply all -c print tls_dl", "kill"])
        blocks = per_thread(s.section("dl"))
        self.assertEqual(sorted(blocks), sorted([MAIN] + [worker(k) for k in range(WORKERS)]), s.describe())
        for k in range(0, WORKERS, 2):
            self.assertMatch(rf"^\$\d+ = {300 + k}$", blocks[worker(k)])
        # The main thread and the odd workers never touched tls_dl: glibc has not allocated
        # their block of the library (gdbserver's libthread_db says the same).
        for name in [MAIN] + [worker(k) for k in range(1, WORKERS, 2)]:
            self.assertMatch(r"^Cannot find thread-local storage for Thread [\d.]+, shared library "
                             r"\S*libtls_dlopen\.so:\nRemote target failed to process qGetTLSAddr request$",
                             blocks[name])

    def test_addresses_differ_between_threads_and_writes_reach_the_program(self):
        s = self.stopped_at_all_set([
            mark("addresses"), "thread apply all print &tls_main",
            mark("write"), "set var tls_main = 1234", "print tls_main",
            "continue"])
        addresses = re.findall(r"^\$\d+ = \(int \*\) (0x[0-9a-f]+)", s.section("addresses"), re.M)
        self.assertEqual(len(addresses), WORKERS + 1, s.describe())
        self.assertEqual(len(set(addresses)), WORKERS + 1, s.describe())
        self.assertMatch(r"^\$\d+ = 1234$", s.section("write"))
        # The program checks its main thread's tls_main is still 1: it saw GDB's write.
        self.assertMatch(r"failures = 1", s.server_out)
        self.assertMatch(r"exited with code 01", s.stdout)

    def test_statically_linked_program(self):
        # No link_map list: GDB asks with link_map 0, and the descriptors come from the
        # executable's symbol table. libc.a has no debug info: errno is a bare TLS symbol.
        s = self.debug("tls_static", [], [
            "break all_set", "continue",
            mark("exe"), "thread apply all print tls_main",
            mark("lib"), "thread apply all print tls_lib",
            mark("errno"), "thread apply all print (int) errno",
            "kill"])
        self.assertValues(s.section("exe"), {"tls_static": 1, **{worker(k): 100 + k for k in range(WORKERS)}})
        self.assertValues(s.section("lib"), {"tls_static": 2, **{worker(k): 200 + k for k in range(WORKERS)}})
        self.assertValues(s.section("errno"), {"tls_static": 5, **{worker(k): 10 + k for k in range(WORKERS)}})


if __name__ == "__main__":
    unittest.main()
