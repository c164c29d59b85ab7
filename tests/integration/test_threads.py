"""Threads: names in `info threads`, `thread apply all bt`, a breakpoint hit by every thread,
switching threads."""

import re
import unittest

from harness import DebugTestCase, gdb_values, mark, source_line

TASK = source_line("threads", "worker-task")
CALL_TASK = source_line("threads", "call-worker-task")
WORKERS = [f"worker-{i}" for i in range(4)]


def thread_rows(text, pid):
    """{gdb id: (lwp, name, frame)} from `info threads` output. The target id is
    "Thread PID.LWP" with multiprocess extensions, "Thread LWP" without."""
    rows = {}
    for match in re.finditer(rf'^[* ] (\d+) +Thread (?:{pid}\.)?(\d+) "([^"]*)" +(.*)$', text,
                             re.M):
        rows[int(match.group(1))] = (int(match.group(2)), match.group(3), match.group(4))
    return rows


class ThreadsTest(DebugTestCase):

    def test_info_threads_shows_names(self):
        s = self.debug("threads", [], ["break worker_task", "continue", "p id",
                                       mark("threads"), "info threads"])
        pid = s.inferior_pid
        hit = self.assertMatch(rf'^Thread (\d+) "worker-(\d)" hit Breakpoint 1, worker_task '
                               rf'\(id=(\d)\) at threads\.c:{TASK}$', s.stdout)
        self.assertEqual(hit.group(2), hit.group(3), "thread name and id argument disagree")
        self.assertEqual(gdb_values(s.stdout), [hit.group(3)])
        rows = thread_rows(s.section("threads"), pid)
        self.assertEqual(len(rows), 5, s.describe())
        self.assertEqual(sorted(name for _, name, _ in rows.values()), ["threads"] + WORKERS,
                         s.describe())
        self.assertEqual(rows[1][:2], (pid, "threads"), s.describe())
        self.assertEqual(len({lwp for lwp, _, _ in rows.values()}), 5, s.describe())
        # The current thread is marked, and it is the one that hit the breakpoint.
        current = self.assertMatch(r"^\* (\d+) ", s.section("threads"))
        self.assertEqual(current.group(1), hit.group(1))
        self.assertEqual(rows[int(hit.group(1))][1], f"worker-{hit.group(3)}")
        self.assertMatch(rf"^worker_task \(id={hit.group(3)}\) at threads\.c:{TASK}$",
                         rows[int(hit.group(1))][2])

    def test_thread_apply_all_bt(self):
        s = self.debug("threads", [], ["break worker_task", "continue", mark("bt"),
                                       "thread apply all bt"])
        bt = s.section("bt")
        blocks = re.split(r"^(?=Thread \d+ \()", bt, flags=re.M)
        blocks = [b for b in blocks if b.startswith("Thread ")]
        self.assertEqual(len(blocks), 5, s.describe())
        names = {}
        for block in blocks:
            header = self.assertMatch(rf'^Thread (\d+) \(Thread (?:{s.inferior_pid}\.)?\d+ '
                                      r'"([^"]+)"\):$', block)
            names[header.group(2)] = block
        self.assertEqual(sorted(names), ["threads"] + WORKERS, s.describe())
        for i, name in enumerate(WORKERS):
            # Every worker is somewhere under worker_main(arg=i), called from start_thread.
            self.assertMatch(rf"^#\d+  0x[0-9a-f]+ in worker_main \(arg=0x{i}\) at threads\.c:"
                             r"\d+$", names[name])
            self.assertMatch(r" in start_thread ", names[name])
        # The main thread may still be returning from the last pthread_create, or in join.
        self.assertMatch(r"^#\d+  0x[0-9a-f]+ in main \(\) at threads\.c:\d+$",
                         names["threads"])

    def test_breakpoint_hit_by_every_thread(self):
        commands = ["break worker_task"]
        for _ in range(4):
            commands += ["continue", "p id", "p $_thread", "thread"]
        commands += [mark("end"), "continue"]
        s = self.debug("threads", [], commands)
        hits = re.findall(rf'^Thread (\d+) "worker-(\d)" hit Breakpoint 1, worker_task '
                          rf'\(id=(\d)\) at threads\.c:{TASK}$', s.stdout, re.M)
        self.assertEqual(len(hits), 4, s.describe())
        for gdb_id, name_id, arg_id in hits:
            self.assertEqual(name_id, arg_id, s.describe())
        self.assertEqual(sorted(arg for _, _, arg in hits), ["0", "1", "2", "3"])
        self.assertEqual(len({gdb_id for gdb_id, _, _ in hits}), 4, s.describe())
        values = gdb_values(s.stdout)
        self.assertEqual(values[0::2], [arg for _, _, arg in hits], s.describe())
        self.assertEqual(values[1::2], [gdb_id for gdb_id, _, _ in hits], s.describe())
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]$",
                         s.section("end"))
        self.assertEqual(s.server_out, "sum = 64\n", s.describe())

    def test_switch_thread_and_inspect_frames(self):
        s = self.debug("threads", [], ["break worker_task", "continue",
                                       mark("find"), "thread find worker-1",
                                       mark("switch"), "thread 1", "bt -1",
                                       "thread apply all -q p $_thread"])
        find = self.assertMatch(r"^Thread (\d+) has (?:target )?name 'worker-1'$",
                                s.section("find"))
        switch = s.section("switch")
        self.assertMatch(rf'^\[Switching to thread 1 \(Thread (?:{s.inferior_pid}\.)?'
                         rf'{s.inferior_pid}\)\]$', switch)
        self.assertMatch(r"^#\d+  0x[0-9a-f]+ in main \(\) at threads\.c:\d+$", switch)
        self.assertEqual(sorted(int(v) for v in gdb_values(switch)), [1, 2, 3, 4, 5])
        self.assertIn(int(find.group(1)), range(2, 6))

    def test_step_and_finish_in_one_thread(self):
        """`next` with scheduler-locking (only the current thread resumes), then `finish`
        (all threads resume; the breakpoint is deleted so no other thread reports first)."""
        s = self.debug("threads", [], ["break worker_task", "continue",
                                       "set scheduler-locking step", mark("next"), "next",
                                       "p value", "p id", "p $_thread", "delete",
                                       mark("finish"), "finish", mark("end"), "continue"])
        hit = self.assertMatch(r'^Thread (\d+) "worker-(\d)" hit Breakpoint 1', s.stdout)
        gdb_id, i = hit.group(1), int(hit.group(2))
        step = s.section("next")
        self.assertMatch(rf"^{TASK + 1}\t    results\[id\] = value;", step)
        self.assertNotIn("hit Breakpoint", step)
        self.assertEqual(gdb_values(step), [str(10 * i + 1), str(i), gdb_id], s.describe())
        finish = s.section("finish")
        # worker_task's value is unused: the return address starts the next line.
        self.assertMatch(rf"^worker_main \(arg=0x{i}\) at threads\.c:{CALL_TASK + 1}$", finish)
        self.assertMatch(rf"^Value returned is \$\d+ = {10 * i + 1}$", finish)
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]$",
                         s.section("end"))
        self.assertEqual(s.server_out, "sum = 64\n", s.describe())


class LeaderExitTest(DebugTestCase):
    """The main thread calls pthread_exit while a worker runs on (tests/programs/leader_exit.c)."""

    def test_the_exited_leader_is_neither_waited_for_nor_shown(self):
        s = self.debug("leader_exit", [], ["break after_leader", mark("hit"), "continue", "info threads",
                                           mark("end"), "continue"])
        # The stop came although the zombie leader can never stop, and only the worker is left.
        self.assertMatch(r"hit Breakpoint 1, after_leader \(\)", s.section("hit"))
        self.assertEqual(len(re.findall(r"^[* ] +\d+ +Thread ", s.section("hit"), re.M)), 1, s.describe())
        self.assertMatch(r"exited normally", s.section("end"))
        self.assertMatch(r"worker done", s.server_out)

if __name__ == "__main__":
    unittest.main()
