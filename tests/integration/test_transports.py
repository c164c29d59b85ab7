"""Transports: TCP, stdio pipe (`target remote | SERVER - PROG`), Unix socket (xolstub), and
their secure defaults (docs/security.md): loopback unless told otherwise, Unix sockets for our
own user only, no descriptor of the stub's in the programs it runs."""

import os
import re
import shutil
import tempfile
import unittest

import harness
from harness import DebugTestCase, Server, program, run_gdb, server_path, skip_if_gdbserver, source_line

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


def listening_addresses(port):
    """The local addresses of the TCP sockets listening on PORT, from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, local_port = local.split(":")
                if state == "0A" and int(local_port, 16) == port:
                    found.append(address)
    return found


class SecureDefaultsTest(DebugTestCase):

    def start(self, comm):
        server = Server([server_path(), "--once", comm, program("basic")], program("basic"))
        self.addCleanup(server.close)
        server._wait_listening()
        return server

    @skip_if_gdbserver("gdbserver's :PORT listens on every address")
    def test_port_alone_is_loopback_only(self):
        server = self.start(":0")
        self.assertEqual(listening_addresses(server.port), ["0100007F"])  # 127.0.0.1
        self.assertNotIn("warning", server.errors())

    @skip_if_gdbserver("gdbserver does not warn")
    def test_another_address_is_allowed_with_a_warning(self):
        server = self.start("0.0.0.0:0")
        self.assertEqual(listening_addresses(server.port), ["00000000"])
        self.assertIn("xolstub: warning: listening on 0.0.0.0, which is not a loopback address: anyone who can "
                      "reach it can debug the program and run code as uid", server.errors())

    @skip_if_gdbserver("gdbserver has no unix:PATH transport")
    def test_unix_socket_is_for_our_user_only(self):
        # A directory others may enter, so that only the socket's own mode and the stub's
        # SO_PEERCRED check stand in their way.
        directory = tempfile.mkdtemp(prefix="xolstub-uds-", dir="/tmp")
        self.addCleanup(shutil.rmtree, directory, True)
        os.chmod(directory, 0o755)
        socket_path = os.path.join(directory, "stub.sock")
        server = Server.unix(socket_path, "basic", [4])
        self.addCleanup(server.close)
        self.assertEqual(os.stat(socket_path).st_mode & 0o777, 0o600)

        out = harness.connect_as_nobody(socket_path)
        self.assertIn("refused: Permission denied", out)
        os.chmod(socket_path, 0o666)  # loosened by hand: the stub still says no
        out = harness.connect_as_nobody(socket_path)
        self.assertIn("reply: $E.xolstub: refused a client of uid 65534", out)
        self.assertIn("xolstub: refused a client of uid 65534", server.errors())

        # The refused peer did not use up --once: our own GDB debugs the program as usual.
        gdb = run_gdb([f"target remote {socket_path}", "break add", "continue", "p a + b", "delete", "continue"],
                      program_path=server.program_path)
        server.wait()
        self.last = harness.Session(gdb, server)
        self.assertMatch(r"^\$1 = 5$", gdb.stdout)
        self.assertMatch(r"^\[Inferior 1 \(process \d+\) exited with code 04\]$", gdb.stdout)

    def test_programs_run_for_a_client_inherit_no_descriptor_of_the_server(self):
        # A second inferior `run` under extended-remote starts while the client's socket is open.
        list_fds = ("python import os; pid = gdb.selected_inferior().pid; "
                    "print('fds:', sorted(int(fd) for fd in os.listdir(f'/proc/{pid}/fd')), "
                    "[os.readlink(f'/proc/{pid}/fd/{fd}') for fd in sorted(os.listdir(f'/proc/{pid}/fd'))])")
        s = self.debug("basic", extended=True,
                       commands=["add-inferior", "inferior 2", "set remote exec-file " + program("basic"),
                                 "file " + program("basic"), "break add", "run", list_fds, "kill"])
        self.assertMatch(r"^fds: \[0, 1, 2\] ", s.stdout)


if __name__ == "__main__":
    unittest.main()
