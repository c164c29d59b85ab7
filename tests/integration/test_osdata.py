"""`info os`: GDB reads the machine's tables (qXfer:osdata:read) through the server, stopped in
a thread of the `threads` program so that it has five threads alive."""

import re
import unittest

from harness import DebugTestCase, mark, program

TYPES = {
    "cpus": "Listing of all cpus/cores on the system",
    "files": "Listing of all file descriptors",
    "modules": "Listing of all loaded kernel modules",
    "msg": "Listing of all message queues",
    "processes": "Listing of all processes",
    "procgroups": "Listing of all process groups",
    "semaphores": "Listing of all semaphores",
    "shm": "Listing of all shared-memory regions",
    "sockets": "Listing of all internet-domain sockets",
    "threads": "Listing of all threads",
}


def cpuinfo_processors():
    with open("/proc/cpuinfo") as f:
        return sum(1 for line in f if re.match(r"processor\s*:", line))


class InfoOsTest(DebugTestCase):

    def in_worker(self, *commands):
        """Stop `threads` in worker_task (all five threads alive), then run COMMANDS."""
        return self.debug("threads", [], ["break worker_task", "continue", *commands])

    def test_info_os_lists_the_types(self):
        s = self.debug("basic", [0], [mark("types"), "info os"])
        types = s.section("types")
        self.assertMatch(r"^Type +Description *$", types)
        listed = re.findall(r"^(\w+) +(Listing of .*?) *$", types, re.M)
        self.assertEqual(dict(listed), TYPES, s.describe())
        self.assertEqual([name for name, _ in listed], sorted(TYPES), s.describe())

    def test_processes_shows_the_program(self):
        s = self.in_worker(mark("processes"), "info os processes",
                           mark("procgroups"), "info os procgroups")
        pid, path = s.inferior_pid, re.escape(program("threads"))
        processes = s.section("processes")
        self.assertMatch(r"^pid +user +command +cores *$", processes)
        # The command column is the whole command line; cores lists the CPUs its threads ran on.
        self.assertMatch(rf"^{pid} +\S+ +{path} +[0-9]+(,[0-9]+)* *$", processes)
        groups = s.section("procgroups")
        self.assertMatch(r"^pgid +leader command +pid +command line *$", groups)
        # The program leads its own process group, as under gdbserver.
        self.assertMatch(rf"^{pid} +threads +{pid} +{path} *$", groups)

    def test_threads_shows_the_program_threads(self):
        s = self.in_worker(mark("gdb-threads"), "info threads", mark("threads"), "info os threads")
        pid = s.inferior_pid
        table = s.section("threads")
        self.assertMatch(r"^pid +command +tid +core *$", table)
        rows = re.findall(rf"^{pid} +threads +(\d+) +(-?\d+) *$", table, re.M)
        tids = {int(tid) for tid, _ in rows}
        self.assertEqual(len(rows), 5, s.describe())
        self.assertEqual(len(tids), 5, s.describe())
        self.assertIn(pid, tids)
        self.assertTrue(all(int(core) >= 0 for _, core in rows), s.describe())
        # The same threads GDB itself knows.
        known = {int(lwp) for lwp in re.findall(rf"Thread {pid}\.(\d+)", s.section("gdb-threads"))}
        self.assertEqual(tids, known, s.describe())

    def test_cpus_lists_every_processor(self):
        s = self.debug("basic", [0], [mark("cpus"), "info os cpus"])
        table = s.section("cpus")
        self.assertMatch(r"^processor +vendor_id ", table)
        rows = re.findall(r"^(\d+) +\S", table, re.M)
        self.assertEqual([int(n) for n in rows], list(range(cpuinfo_processors())), s.describe())

    def test_files_and_sockets_show_the_session(self):
        s = self.in_worker(mark("files"), "info os files", mark("sockets"), "info os sockets")
        files = s.section("files")
        self.assertMatch(r"^pid +command +file descriptor +name *$", files)
        for fd in range(3):
            self.assertMatch(rf"^{s.inferior_pid} +threads +{fd} +\S", files)
        # GDB's own connection to the server, seen from the server's end.
        sockets = s.section("sockets")
        self.assertMatch(r"^local address +local port +remote address +remote port +state +user"
                         r" +family +protocol *$", sockets)
        self.assertMatch(rf"^127\.0\.0\.1 +{s.port} +127\.0\.0\.1 +\d+ +ESTABLISHED +\S+ +INET"
                         r" +STREAM *$", sockets)

    def test_unknown_type(self):
        s = self.debug("basic", [0], ["info os unknown_entry"])
        self.assertMatch(r"^warning: Empty data returned by target\.  Wrong osdata type\?$",
                         s.gdb.stderr)
        self.assertMatch(r"^Can not fetch data now\.$", s.gdb.stderr)


if __name__ == "__main__":
    unittest.main()
