"""GDB/MI sessions driven over pipes, the way IDEs drive GDB."""

import unittest

from harness import DebugTestCase, MiSession, Server, source_line

ADD_BODY = source_line("basic", "add-body")
CALL_ADD = source_line("basic", "call-add")
AFTER_ADD = source_line("basic", "after-add")
TASK = source_line("threads", "worker-task")


class MiTest(DebugTestCase):

    def connect(self, mi, server):
        mi.command("-gdb-set confirm off", expect="done")
        mi.command("-gdb-set pagination off", expect="done")
        mi.command("-gdb-set filename-display basename", expect="done")
        mi.command("-gdb-set sysroot", expect="done")  # empty: read libraries locally
        mi.command(f"-file-exec-and-symbols {server.program_path}", expect="done")
        mi.command(f"-target-select remote {server.address}", expect="connected")
        started = mi.records("thread-group-started")
        self.assertEqual([r["pid"] for r in started], [str(server.inferior_pid)],
                         mi.describe())

    def test_mi_session(self):
        with Server.launch("basic", [3]) as server, MiSession() as mi:
            self.connect(mi, server)

            bkpt = mi.command("-break-insert add", expect="done")["bkpt"]
            self.assertEqual((bkpt["number"], bkpt["type"], bkpt["func"], bkpt["line"],
                              bkpt["times"]), ("1", "breakpoint", "add", str(ADD_BODY), "0"))

            mi.command("-exec-continue", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["bkptno"], stop["thread-id"]),
                             ("breakpoint-hit", "1", "1"), mi.describe())
            frame = stop["frame"]
            self.assertEqual((frame["func"], frame["line"], frame["addr"]),
                             ("add", str(ADD_BODY), bkpt["addr"]), mi.describe())
            self.assertEqual(frame["args"], [{"name": "a", "value": "2"},
                                             {"name": "b", "value": "3"}])

            stack = mi.command("-stack-list-frames", expect="done")["stack"]
            frames = [f for _, f in stack]
            self.assertEqual([(f["level"], f["func"], f["line"]) for f in frames],
                             [("0", "add", str(ADD_BODY)), ("1", "main", str(CALL_ADD))],
                             mi.describe())

            value = mi.command("-data-evaluate-expression a+b", expect="done")["value"]
            self.assertEqual(value, "5")
            value = mi.command("-data-evaluate-expression counter", expect="done")["value"]
            self.assertEqual(value, "5")
            memory = mi.command("-data-read-memory-bytes greeting 5", expect="done")["memory"]
            self.assertEqual(memory[0]["contents"], b"hello".hex(), mi.describe())

            # The program counter, through the register commands IDEs use.
            names = mi.command("-data-list-register-names", expect="done")["register-names"]
            rip = names.index("rip")
            registers = mi.command(f"-data-list-register-values x {rip}",
                                   expect="done")["register-values"]
            self.assertEqual(int(registers[0]["value"], 16), int(bkpt["addr"], 16))

            mi.command("-exec-finish", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["return-value"], stop["frame"]["func"],
                              stop["frame"]["line"]),
                             ("function-finished", "5", "main", str(CALL_ADD)), mi.describe())

            mi.command("-exec-next", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["frame"]["func"], stop["frame"]["line"]),
                             ("end-stepping-range", "main", str(AFTER_ADD)), mi.describe())
            value = mi.command("-data-evaluate-expression result", expect="done")["value"]
            self.assertEqual(value, "5")

            info = mi.command("-thread-info", expect="done")
            threads = info["threads"]
            self.assertEqual(len(threads), 1, mi.describe())
            self.assertEqual((threads[0]["id"], threads[0]["name"], threads[0]["state"],
                              threads[0]["frame"]["func"], info["current-thread-id"]),
                             ("1", "basic", "stopped", "main", "1"), mi.describe())
            self.assertIn(str(server.inferior_pid), threads[0]["target-id"])

            mi.command("-break-delete 1", expect="done")
            mi.command("-exec-continue", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual((stop["reason"], stop["exit-code"]), ("exited", "03"),
                             mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertIn("Child exited with status 3", server.errors())
            self.assertIn("result = 5\nresult2 = 15\n", server.output())

    def test_mi_threads(self):
        with Server.launch("threads") as server, MiSession() as mi:
            self.connect(mi, server)
            mi.command("-break-insert worker_task", expect="done")
            mi.command("-exec-continue", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["reason"], "breakpoint-hit", mi.describe())
            self.assertEqual(stop["frame"]["func"], "worker_task")
            worker = stop["frame"]["args"][0]["value"]

            info = mi.command("-thread-info", expect="done")
            threads = {t["id"]: t for t in info["threads"]}
            self.assertEqual(sorted(t["name"] for t in threads.values()),
                             ["threads", "worker-0", "worker-1", "worker-2", "worker-3"],
                             mi.describe())
            self.assertEqual(info["current-thread-id"], stop["thread-id"])
            current = threads[stop["thread-id"]]
            self.assertEqual((current["name"], current["frame"]["func"],
                              current["frame"]["line"]),
                             (f"worker-{worker}", "worker_task", str(TASK)), mi.describe())
            self.assertTrue(all(t["state"] == "stopped" for t in threads.values()))

            main_id = next(i for i, t in threads.items() if t["name"] == "threads")
            mi.command(f"-thread-select {main_id}", expect="done")
            stack = mi.command("-stack-list-frames", expect="done")["stack"]
            self.assertIn("main", [f["func"] for _, f in stack if "func" in f], mi.describe())

            mi.command("-break-delete", expect="done")
            mi.command("-exec-continue", expect="running")
            stop = mi.wait_async("stopped")
            self.assertEqual(stop["reason"], "exited-normally", mi.describe())
            self.assertEqual(server.wait(), 0, mi.describe())
            self.assertEqual(server.output(), "sum = 64\n")


if __name__ == "__main__":
    unittest.main()
