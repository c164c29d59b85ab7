"""Transports: TCP, stdio pipe (`target remote | SERVER - PROG`), Unix socket (xolstub)."""

import os
import re
import unittest

import harness
from harness import DebugTestCase, Server, program, run_gdb, skip_if_gdbserver, source_line

ADD_BODY = source_line("basic", "add-body")


class TransportTest(DebugTestCase):

    def check_basic_session(self, stdout, pid_pattern):
        self.assertMatch(rf"^Breakpoint 1, add \(a=2, b=3\) at basic\.c:{ADD_BODY}$", stdout)
        self.assertMatch(r"^\$1 = 5$", stdout)
        self.assertMatch(rf"^\[Inferior 1 \(process {pid_pattern}\) exited with code 04\]$",
                         stdout)

    def test_tcp(self):
        s = self.debug("basic", [4], ["break add", "continue", "p a + b", "delete", "continue"])
        self.check_basic_session(s.stdout, s.inferior_pid)
        self.assertMatch(r"^Remote debugging from host 127\.0\.0\.1, port \d+$", s.server_err)
        self.assertEqual(s.server_rc, 0, s.describe())

    def test_stdio_pipe(self):
        s = harness.debug_stdio("basic", [4], ["break add", "continue", "p a + b", "delete",
                                               "continue"])
        self.last = s
        created = self.assertMatch(rf"^Process {re.escape(program('basic'))} created; "
                                   r"pid = (\d+)$", s.gdb.stderr)
        self.check_basic_session(s.stdout, created.group(1))
        # The inferior's stdout must not corrupt the protocol pipe: the server sends it to
        # its stderr, which GDB shows on its own stderr.
        self.assertIn("result = 5\nresult2 = 15\n", s.gdb.stderr)
        self.assertTrue(s.server_exited, f"server did not exit after the session\n"
                                         f"{s.describe()}")

    @skip_if_gdbserver("gdbserver has no unix:PATH transport")
    def test_unix_socket(self):
        socket_path = os.path.join(harness.scratch_dir("uds-"), "stub.sock")
        with Server.unix(socket_path, "basic", [4]) as server:
            # GDB treats a path to a socket file as a Unix-domain socket connection.
            gdb = run_gdb([f"target remote {socket_path}", "break add", "continue", "p a + b",
                           "delete", "continue"], program_path=server.program_path)
            server.wait()
            self.last = harness.Session(gdb, server)
        self.check_basic_session(gdb.stdout, server.inferior_pid or r"\d+")
        self.assertEqual(server.returncode, 0, self.context())
        self.assertIn("result = 5\nresult2 = 15\n", server.output())


if __name__ == "__main__":
    unittest.main()
