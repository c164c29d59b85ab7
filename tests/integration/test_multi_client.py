"""Several clients on one process (docs/multi-client.md): each GDB has its own breakpoints and
mode and sees only its own hits; the stub is the one tracer and multiplexes.

Driven through GDB/MI with mi-async on, so the test can serve two GDBs at once. The program is
tests/programs/shared_work.c: four workers call alpha() and beta() ROUNDS times each and
gamma_() every fifth round.
"""

import time
import unittest

from harness import DebugTestCase, MiSession, Server, server_is_gdbserver

import os
DEBUG = ["--debug", "--debug-file=" + os.environ["XOLSTUB_DEBUG_FILE"]] if os.environ.get("XOLSTUB_DEBUG_FILE") else []
ROUNDS = 20
THREADS = 4
GAMMAS = (ROUNDS + 4) // 5 * THREADS


def connect(mi, server, non_stop):
    settings = ["confirm off", "pagination off", "sysroot", "mi-async on"]
    if non_stop:
        settings.append("non-stop on")
    for setting in settings:
        mi.command(f"-gdb-set {setting}", expect="done")
    mi.command(f"-file-exec-and-symbols {server.program_path}", expect="done")
    mi.command(f"-target-select remote {server.address}", expect="connected")
    mi.take_async("stopped", wait=0)  # the stop it found the program in


def break_at(mi, *functions):
    for function in functions:
        mi.command(f"-break-insert {function}", expect="done")


class Client:
    """One GDB's side of a shared run: counts its breakpoint hits by function and resumes after
    each (the stopped thread only, in non-stop), until it sees the process exit."""

    def __init__(self, mi, non_stop):
        self.mi = mi
        self.non_stop = non_stop
        self.hits = {}
        self.exit = None
        self.unexpected = []

    def serve(self):
        for stop in self.mi.take_async("stopped", wait=0.02):
            reason = stop.results.get("reason", "")
            if reason == "breakpoint-hit":
                function = stop["frame"]["func"]
                self.hits[function] = self.hits.get(function, 0) + 1
                resume = f"-exec-continue --thread {stop['thread-id']}" if self.non_stop else "-exec-continue"
                self.mi.command(resume, expect="running")
            elif reason.startswith("exited"):
                self.exit = stop
            else:
                self.unexpected.append(stop)


class MultiClientTest(DebugTestCase):

    def setUp(self):
        super().setUp()
        if server_is_gdbserver():
            self.skipTest("xolstub only: gdbserver serves one client at a time")

    def serve_until_exit(self, *clients, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(c.exit for c in clients):
            for client in clients:
                client.serve()
        for client in clients:
            self.assertIsNotNone(client.exit, f"no exit seen\n{client.mi.describe()}")
            self.assertEqual(client.unexpected, [], client.mi.describe())

    def test_two_gdbs_each_see_only_their_own_hits(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=DEBUG) as server, \
                MiSession() as a, MiSession() as b:
            connect(a, server, non_stop=False)
            break_at(a, "alpha", "gamma_")
            connect(b, server, non_stop=True)
            break_at(b, "beta", "gamma_")
            b.command("-exec-continue --all", expect="running")
            a.command("-exec-continue", expect="running")
            alice, bob = Client(a, non_stop=False), Client(b, non_stop=True)
            self.serve_until_exit(alice, bob)
            # Every hit of its own, none of the other's; gamma_ is both's.
            self.assertEqual(alice.hits, {"alpha": ROUNDS * THREADS, "gamma_": GAMMAS}, a.describe())
            self.assertEqual(bob.hits, {"beta": ROUNDS * THREADS, "gamma_": GAMMAS}, b.describe())
            self.assertEqual(alice.exit["reason"], "exited-normally", a.describe())
            self.assertIn(f"alpha={ROUNDS * THREADS} beta={ROUNDS * THREADS} gamma={GAMMAS}", server.output())


if __name__ == "__main__":
    unittest.main()
