"""Several clients on one process (docs/multi-client.md): each GDB has its own breakpoints and
mode and sees only its own hits; the stub is the one tracer and multiplexes.

Driven through GDB/MI with mi-async on, so the test can serve two GDBs at once. The program is
tests/programs/shared_work.c: four workers call alpha() and beta() ROUNDS times each and
gamma_() every fifth round.
"""

import os
import signal
import socket
import threading
import time
import unittest

from harness import (HOST, TIMEOUT, DebugTestCase, MiSession, Server, Target, connect_as_nobody, kill_group, program,
                     run_gdb, server_is_gdbserver, server_path)

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


def read_raw(pid, address, length):
    """Bytes of process PID at ADDRESS straight from /proc/PID/mem: what is really in memory."""
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        mem.seek(address)
        return mem.read(length)


def rendezvous_path(pid):
    return f"/run/xolstub/{pid}" if os.geteuid() == 0 else None


def gdb_in_background(commands, program_path):
    """Runs a batch GDB in a thread; returns (thread, results list that gets its GdbResult)."""
    results = []
    thread = threading.Thread(target=lambda: results.append(run_gdb(commands, program_path, timeout=60)))
    thread.start()
    return thread, results


class Client:
    """One GDB's side of a shared run: counts its breakpoint hits by function and resumes after
    each (the stopped thread only, in non-stop), until it sees the process exit."""

    def __init__(self, mi, non_stop):
        self.mi = mi
        self.non_stop = non_stop
        self.hits = {}
        self.exit = None
        self.unexpected = []
        self.signals = []
        self.failed_resumes = []  # the process may die under a resume (a signal it was passed)
        self.held = set()  # non-stop: threads it was told stopped and has not resumed yet

    def resume(self, stop):
        command = f"-exec-continue --thread {stop['thread-id']}" if self.non_stop else "-exec-continue"
        record = self.mi.command(command)
        if record.cls != "running":
            self.failed_resumes.append(record)

    def serve(self):
        for stop in self.mi.take_async("stopped", wait=0.02):
            reason = stop.results.get("reason", "")
            if reason == "breakpoint-hit":
                function = stop["frame"]["func"]
                self.hits[function] = self.hits.get(function, 0) + 1
                if self.signals:
                    # The program is dying of the signal it was passed. GDB 13 resuming a thread
                    # from a breakpoint in that instant falls back to an in-line step-over, stops
                    # every thread, and prunes the thread that holds the pending exit, losing it.
                    # That race is GDB's (it happens the same with gdbserver); a user never
                    # resumes faster than a process dies, this loop does.
                    continue
                self.resume(stop)
                self.held.discard(stop["thread-id"])
            elif reason == "signal-received":
                # Resumed with the signal: GDB passes SIGUSR1 and most others by default.
                self.signals.append(stop)
                self.resume(stop)
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
            self.assertEqual(client.failed_resumes, [], client.mi.describe())

    def test_two_gdbs_each_see_only_their_own_hits(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=DEBUG) as server, \
                MiSession() as a, MiSession() as b:
            connect(a, server, non_stop=False)
            # A's gamma_ has a condition, which the stub evaluates (target-side): only A's
            # matching hits reach A; B's unconditional one at the same address gets them all.
            break_at(a, "alpha", '-c "id == 1" gamma_')
            connect(b, server, non_stop=True)
            break_at(b, "beta", "gamma_")
            b.command("-exec-continue --all", expect="running")
            a.command("-exec-continue", expect="running")
            alice, bob = Client(a, non_stop=False), Client(b, non_stop=True)
            self.serve_until_exit(alice, bob)
            # Every hit of its own, none of the other's; gamma_ is both's.
            self.assertEqual(alice.hits, {"alpha": ROUNDS * THREADS, "gamma_": GAMMAS // THREADS}, a.describe())
            self.assertEqual(bob.hits, {"beta": ROUNDS * THREADS, "gamma_": GAMMAS}, b.describe())
            self.assertEqual(alice.exit["reason"], "exited-normally", a.describe())
            self.assertIn(f"alpha={ROUNDS * THREADS} beta={ROUNDS * THREADS} gamma={GAMMAS}", server.output())


    def start_pair(self, server, alpha=True):
        """A (all-stop) breaks at alpha() (unless not ALPHA), B (non-stop) at beta(); both run."""
        a, b = MiSession(), MiSession()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        connect(a, server, non_stop=False)
        address = a.command("-break-insert alpha", expect="done")["bkpt"]["addr"] if alpha else None
        # GDB inserts its breakpoints when it resumes: memory still holds the program's bytes.
        self.original = read_raw(server.inferior_pid, int(address, 16), 1) if alpha else None
        connect(b, server, non_stop=True)
        break_at(b, "beta")
        b.command("-exec-continue --all", expect="running")
        a.command("-exec-continue", expect="running")
        return Client(a, non_stop=False), Client(b, non_stop=True), address

    def test_a_gdb_killed_at_its_breakpoint_leaves_nothing_behind(self):
        with Server.launch("shared_work", [ROUNDS * 2], once=False, options=DEBUG) as server:
            alice, bob, alpha = self.start_pair(server)
            alpha, original = int(alpha, 16), self.original
            self.assertNotEqual(original, b"\xcc")
            deadline = time.monotonic() + TIMEOUT
            while not alice.mi.take_async("stopped", wait=0.02) and time.monotonic() < deadline:
                bob.serve()
            # A's GDB dies while the thread sits on its breakpoint, every thread held for it.
            kill_group(alice.mi.proc)
            settled = time.monotonic() + TIMEOUT
            while read_raw(server.inferior_pid, alpha, 1) == b"\xcc" and time.monotonic() < settled:
                bob.serve()
            self.assertEqual(read_raw(server.inferior_pid, alpha, 1), original,
                             "A's int3 is still in memory after A died")
            # A new client finds no orphaned int3 to loop on: it sees nothing but the exit.
            carol = MiSession()
            self.addCleanup(carol.close)
            connect(carol, server, non_stop=False)
            carol.command("-exec-continue", expect="running")
            late = Client(carol, non_stop=False)
            self.serve_until_exit(bob, late)
            self.assertEqual(bob.hits, {"beta": ROUNDS * 2 * THREADS}, bob.mi.describe())
            self.assertEqual(late.hits, {}, carol.describe())
            self.assertEqual(late.exit["reason"], "exited-normally", carol.describe())
            total = ROUNDS * 2 * THREADS
            self.assertIn(f"alpha={total} beta={total}", server.output())

    def test_a_leaving_client_takes_its_watchpoints_with_it(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=DEBUG) as server:
            alice, bob, _ = self.start_pair(server, alpha=False)
            alice.mi.console("interrupt")
            alice.mi.wait_async("stopped")
            # A watches a variable nothing writes: its debug register stays set while it runs
            # (an all-stop GDB takes its watchpoints out whenever it stops).
            alice.mi.command("-break-watch hold_main", expect="done")
            alice.mi.command("-exec-continue", expect="running")
            seen = bob.hits.get("beta", 0)
            while bob.hits.get("beta", 0) < seen + 4:
                bob.serve()
            # A dies: no z2 for its watchpoint, just a dropped connection.
            kill_group(alice.mi.proc)
            # The debug registers are A's no longer: a new client gets all four of them.
            carol = MiSession()
            self.addCleanup(carol.close)
            connect(carol, server, non_stop=False)
            for watched in ("totals[0]", "totals[1]", "totals[2]", "rounds"):
                carol.command(f"-break-watch {watched}", expect="done")
            carol.command("-exec-continue", expect="running")
            deadline = time.monotonic() + TIMEOUT
            stops = []
            while not stops and time.monotonic() < deadline:
                stops = carol.take_async("stopped", wait=0.02)
                bob.serve()
            self.assertEqual(stops[0]["reason"], "watchpoint-trigger", carol.describe())
            carol.command("-break-delete", expect="done")
            carol.command("-target-disconnect", expect="done")
            self.serve_until_exit(bob)
            self.assertEqual(bob.hits, {"beta": ROUNDS * THREADS}, bob.mi.describe())

    def test_a_third_client_joins_reads_and_leaves(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=DEBUG) as server:
            alice, bob, _ = self.start_pair(server)
            while not bob.hits.get("beta"):
                alice.serve()
                bob.serve()
            carol, results = gdb_in_background([
                "set sysroot", f"target remote {server.address}", "info threads",
                "thread apply all print $pc", "print totals", "info registers rip", "detach"],
                server.program_path)
            while carol.is_alive():
                alice.serve()
                bob.serve()
            self.serve_until_exit(alice, bob)
            out = results[0].stdout
            self.assertRegex(out, r'"worker-\d"', results[0].describe())
            self.assertRegex(out, r"\$\d+ = \{\d+, \d+, \d+\}", results[0].describe())
            self.assertRegex(out, r"rip\s+0x[0-9a-f]+", results[0].describe())
            self.assertRegex(out, r"\[Inferior 1 \(process \d+\) detached\]", results[0].describe())
            # The others saw every hit, as if the third had never been there.
            self.assertEqual(alice.hits, {"alpha": ROUNDS * THREADS}, alice.mi.describe())
            self.assertEqual(bob.hits, {"beta": ROUNDS * THREADS}, bob.mi.describe())

    def test_an_all_stop_stop_holds_every_thread_that_others_see_running(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=DEBUG) as server:
            alice, bob, _ = self.start_pair(server)
            deadline = time.monotonic() + TIMEOUT
            while not alice.mi.take_async("stopped", wait=0.02) and time.monotonic() < deadline:
                bob.serve()
            bob.serve()
            # A sits at alpha: every thread of the process is stopped, for everyone...
            tasks = os.listdir(f"/proc/{server.inferior_pid}/task")
            for tid in tasks:
                with open(f"/proc/{server.inferior_pid}/task/{tid}/stat") as stat:
                    self.assertEqual(stat.read().rsplit(")", 1)[1].split()[0], "t", f"thread {tid} runs")
            # ...yet B sees running every thread it was not told had stopped.
            states = {t["id"]: t["state"] for t in bob.mi.command("-thread-info", expect="done")["threads"]}
            self.assertEqual(len(states), len(tasks), bob.mi.describe())
            told = {stop["thread-id"] for stop in bob.mi.take_async("stopped", wait=0)} | bob.held
            for thread_id, state in states.items():
                self.assertEqual(state, "stopped" if thread_id in told else "running", bob.mi.describe())
            self.assertIn("running", states.values(), bob.mi.describe())
            # A lets go: both run to the end, every hit counted.
            alice.mi.command("-exec-continue", expect="running")
            alice.hits["alpha"] = 1
            self.serve_until_exit(alice, bob)
            self.assertEqual(alice.hits, {"alpha": ROUNDS * THREADS}, alice.mi.describe())
            self.assertEqual(bob.hits, {"beta": ROUNDS * THREADS}, bob.mi.describe())

    def test_a_signal_reaches_every_client_and_is_delivered_when_passed(self):
        with Server.launch("shared_work", [ROUNDS * 50], once=False, options=DEBUG) as server:
            alice, bob, _ = self.start_pair(server, alpha=False)
            while bob.hits.get("beta", 0) < 3:
                bob.serve()
            os.kill(server.inferior_pid, signal.SIGUSR1)
            deadline = time.monotonic() + TIMEOUT
            while not (alice.exit and bob.exit) and time.monotonic() < deadline:
                alice.serve()
                bob.serve()
            for client in (alice, bob):
                # Told of the signal, and, since both passed it, the program got it and died of it.
                self.assertEqual([stop["signal-name"] for stop in client.signals], ["SIGUSR1"], client.mi.describe())
                self.assertIsNotNone(client.exit, client.mi.describe())
                self.assertEqual(client.exit["reason"], "exited-signalled", client.mi.describe())
                self.assertEqual(client.exit["signal-name"], "SIGUSR1", client.mi.describe())

    def test_an_exec_is_seen_by_every_client(self):
        with Server.launch("execer", [program("sample")], once=False, options=DEBUG) as server:
            a, b = MiSession(), MiSession()
            self.addCleanup(a.close)
            self.addCleanup(b.close)
            connect(a, server, non_stop=False)
            connect(b, server, non_stop=True)
            for mi in (a, b):
                mi.console("catch exec")
            b.command("-exec-continue --all", expect="running")
            a.command("-exec-continue", expect="running")
            for mi in (a, b):
                stop = mi.wait_async("stopped", since_resume=False)
                self.assertEqual(stop["reason"], "exec", mi.describe())
                self.assertTrue(stop["new-exec"].endswith("/sample"), mi.describe())
            # Both follow into the new program; the one that runs last lets it go.
            b.command(f"-exec-continue --thread {stop['thread-id']}", expect="running")
            a.command("-exec-continue", expect="running")
            for mi in (a, b):
                self.assertEqual(mi.wait_async("stopped", since_resume=False)["reason"], "exited-normally",
                                 mi.describe())
            self.assertIn("count = 10, sum = 143", server.output())

    def test_kill_from_one_client_is_seen_by_every_client(self):
        with Server.launch("shared_work", [ROUNDS * 50], once=False, options=DEBUG) as server:
            alice, bob, _ = self.start_pair(server, alpha=False)
            while bob.hits.get("beta", 0) < 3:
                bob.serve()
            bob.mi.console("kill")
            deadline = time.monotonic() + TIMEOUT
            while not alice.exit and time.monotonic() < deadline:
                alice.serve()
            self.assertIsNotNone(alice.exit, alice.mi.describe())
            self.assertEqual(alice.exit["reason"], "exited-signalled", alice.mi.describe())
            self.assertEqual(alice.exit["signal-name"], "SIGKILL", alice.mi.describe())

    def test_max_clients_refuses_the_next_one_with_a_reason(self):
        with Server.launch("shared_work", [ROUNDS], once=False, options=["--max-clients=1"]) as server:
            a = MiSession()
            self.addCleanup(a.close)
            connect(a, server, non_stop=False)
            host, port = server.address.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=TIMEOUT) as extra:
                extra.sendall(b"$qSupported#37")
                reply = b""
                while b"#" not in reply[2:]:
                    chunk = extra.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            self.assertTrue(reply.startswith(b"+$E.xolstub: refused a client"), reply)
            self.assertIn(b"--max-clients", reply)
            # So does GDB.
            refused = run_gdb([f"target remote {server.address}"], server.program_path)
            self.assertIn("Remote failure reply: E.xolstub: refused a client", refused.stdout + refused.stderr,
                          refused.describe())
            # The first client is undisturbed.
            self.assertIn("alpha", a.console("info functions ^alpha$"))
            a.command("-exec-continue", expect="running")
            self.assertEqual(a.wait_async("stopped")["reason"], "exited-normally", a.describe())

    def test_extended_remote_attach_to_a_debugged_process_joins_it(self):
        with Target("counters") as target:
            argv = [server_path(), "--multi", f"{HOST}:0"]
            server = Server(argv, program("counters"))
            self.addCleanup(server.close)
            server._wait_listening()
            a = MiSession()
            self.addCleanup(a.close)
            for setting in ("confirm off", "pagination off", "sysroot"):
                a.command(f"-gdb-set {setting}", expect="done")
            a.command(f"-file-exec-and-symbols {server.program_path}", expect="done")
            a.command(f"-target-select extended-remote {server.address}", expect="connected")
            a.console(f"attach {target.pid}")
            joined = run_gdb(["set sysroot", f"target extended-remote {server.address}",
                              f"attach {target.pid}", "print counters[1] > 0", "info threads", "detach"],
                             server.program_path)
            self.assertNotIn("already being debugged", joined.stdout + joined.stderr, joined.describe())
            self.assertRegex(joined.stdout, r"\$1 = 1", joined.describe())
            self.assertIn('"counter-1"', joined.stdout, joined.describe())
            # The first client still debugs it.
            self.assertRegex(a.console("print counters[0] > 0"), r"= 1")
            a.console("detach")
            self.assertIsNone(target.wait(timeout=0.5), "the program died after both detached")


@unittest.skipUnless(os.geteuid() == 0, "the rendezvous tests run as root (another user: setpriv)")
class RendezvousTest(DebugTestCase):
    """Two `target remote | xolstub - --attach PID` on one process share it through the first
    stub's per-process socket."""

    def setUp(self):
        super().setUp()
        if server_is_gdbserver():
            self.skipTest("xolstub only: gdbserver serves one client at a time")

    def first_attach(self, target):
        """A GDB/MI session that ran `target remote | xolstub - --attach PID` on TARGET."""
        mi = MiSession()
        self.addCleanup(mi.close)
        for setting in ("confirm off", "pagination off", "sysroot"):
            mi.command(f"-gdb-set {setting}", expect="done")
        mi.command(f"-file-exec-and-symbols {program('counters')}", expect="done")
        mi.console(f"target remote | {server_path()} - --attach {target.pid}", timeout=TIMEOUT)
        return mi

    def test_two_stdio_attaches_share_one_process(self):
        with Target("counters") as target:
            first = self.first_attach(target)
            path = rendezvous_path(target.pid)
            self.assertTrue(os.path.exists(path), f"no rendezvous socket at {path}")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            second = run_gdb(["set sysroot", f"target remote | {server_path()} - --attach {target.pid}",
                              "print counters[2] > 0", "info threads", "detach"], program("counters"))
            self.assertRegex(second.stdout, r"\$1 = 1", second.describe())
            self.assertIn('"counter-2"', second.stdout, second.describe())
            self.assertNotIn("Operation not permitted", second.stdout, second.describe())
            # The first one goes on debugging, then lets go; the program runs on, untraced.
            self.assertRegex(first.console("print counters[3] > 0"), r"= 1")
            first.console("detach")
            deadline = time.monotonic() + TIMEOUT
            while os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(os.path.exists(path), "the rendezvous socket outlived the stub")
            with open(f"/proc/{target.pid}/status") as status:
                self.assertIn("TracerPid:\t0", status.read())

    def test_another_user_is_refused(self):
        with Target("counters") as target:
            first = self.first_attach(target)
            path = rendezvous_path(target.pid)
            # The file modes keep another user out...
            out = connect_as_nobody(path)
            self.assertIn("refused: Permission denied", out)
            # ...and so does the stub itself when the modes were loosened.
            directory_mode = os.stat(os.path.dirname(path)).st_mode & 0o777
            self.addCleanup(os.chmod, os.path.dirname(path), directory_mode)
            os.chmod(os.path.dirname(path), 0o755)
            os.chmod(path, 0o666)
            out = connect_as_nobody(path)
            self.assertIn("reply: $E.xolstub: refused a client of uid 65534", out)
            # The first client is undisturbed.
            self.assertRegex(first.console("print counters[0] > 0"), r"= 1")
            first.console("detach")


if __name__ == "__main__":
    unittest.main()
