"""Attach errors explained: when PTRACE_SEIZE fails, xolstub says why (threads/attach_diagnosis.*).

The one cause a test can set up without privileges or kernel settings is another tracer: GDB's
gdbserver holds the process, and xolstub's attach must name it. (With another xolstub holding
it, the second one would join through the rendezvous socket instead: see test_multi_client.)
"""

import os
import re
import subprocess
import time
import unittest

from harness import ENV, HOST, TIMEOUT, DebugTestCase, Server, Target, server_is_gdbserver, server_path

GDBSERVER = "/usr/bin/gdbserver"


def tracer_of(pid):
    """TracerPid of PID from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            match = re.search(r"^TracerPid:\s*(\d+)$", f.read(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


class AttachErrorTest(DebugTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(GDBSERVER, os.X_OK):
            self.skipTest(f"{GDBSERVER} is not installed")
        if server_is_gdbserver():
            self.skipTest("xolstub only: the explanation is xolstub's")

    def hold_with_gdbserver(self, target):
        """Start gdbserver attached to TARGET; returns it once it listens (so it traces)."""
        holder = Server([GDBSERVER, "--attach", f"{HOST}:0", str(target.pid)])
        holder.keep_inferior = True  # the sleeper is the Target's to kill
        deadline = time.monotonic() + TIMEOUT
        while "Listening on port" not in holder.errors():
            if holder.proc.poll() is not None or time.monotonic() > deadline:
                holder.close()
                self.fail(f"gdbserver did not start listening:\n{holder.errors()}")
            time.sleep(0.02)
        return holder

    def release(self, holder, target):
        """Kill gdbserver, and check the kernel let the sleeper go (a dead tracer detaches)."""
        holder.close()
        deadline = time.monotonic() + TIMEOUT
        while tracer_of(target.pid) not in (0, None) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn(tracer_of(target.pid), (0, None), "gdbserver left the sleeper traced")

    def test_another_tracer_is_named(self):
        with Target("sleeper", [1000, 20], wait_for="tick 1") as target:
            holder = self.hold_with_gdbserver(target)
            try:
                self.assertEqual(tracer_of(target.pid), holder.proc.pid,
                                 f"gdbserver does not trace the sleeper:\n{holder.errors()}")
                result = subprocess.run([server_path(), "--once", "--attach", f"{HOST}:0",
                                         str(target.pid)],
                                        capture_output=True, text=True, timeout=TIMEOUT,
                                        stdin=subprocess.DEVNULL, env=ENV)
            finally:
                self.release(holder, target)
            details = f"exit {result.returncode}\n--- stderr ---\n{result.stderr}"
            self.assertNotEqual(result.returncode, 0, details)
            self.assertIn(f"Cannot attach to process {target.pid}: ", result.stderr, details)
            self.assertIn(f"already being traced by process {holder.proc.pid} (gdbserver)",
                          result.stderr, details)
            self.assertIn("detach that debugger first", result.stderr, details)
            # The error path, not the relay: no rendezvous socket exists for gdbserver.
            self.assertNotIn("Joining the xolstub", result.stderr, details)
            self.assertNotIn("Listening on port", result.stderr, details)


if __name__ == "__main__":
    unittest.main()
