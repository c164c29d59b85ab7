"""LLDB's host and process queries over a real socket (issue 11): qHostInfo, qProcessInfo,
qProcessInfoPID, qfProcessInfo/qsProcessInfo, qGetWorkingDir, qMemoryRegionInfo,
qWatchpointSupportInfo, QSetDisableASLR, qModuleInfo and jModulesInfo.

Every reply is compared with the truth read independently: /proc/PID/maps, status, cwd,
cmdline and personality, `readelf -n` for build-ids, os.stat and realpath for module files,
uname and the host name. The packets and the reply formats are lldb-server 14's
(lldb-gdb-remote.txt); gdbserver has none of them, so the module is skipped for it.
"""

import binascii
import json
import os
import re
import shutil
import socket
import subprocess
import unittest

import harness
from harness import HOST, Server, Target, program, scratch_dir, server_is_gdbserver, server_path
from rsp_client import RspClient

ADDR_NO_RANDOMIZE = 0x0040000


def setUpModule():
    if server_is_gdbserver():
        raise unittest.SkipTest("LLDB's packets are xolstub's (gdbserver answers none of them)")


def hex_text(text):
    return binascii.hexlify(text.encode()).decode()


def unhex(text):
    return binascii.unhexlify(text).decode()


def fields(reply):
    """'key:value;key:value;' -> dict (every reply here ends with ';')."""
    assert reply.endswith(";"), reply
    return dict(item.split(":", 1) for item in reply[:-1].split(";"))


def escape(payload):
    """RSP binary escaping, as LLDB sends jModulesInfo."""
    out = []
    for c in payload:
        out.append("}" + chr(ord(c) ^ 0x20) if c in "}#$*" else c)
    return "".join(out)


def unescape(payload):
    out, chars = [], iter(payload)
    for c in chars:
        out.append(chr(ord(next(chars)) ^ 0x20) if c == "}" else c)
    return "".join(out)


def status_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: v.split() for k, v in (line.split(":", 1) for line in f if ":" in line)}


def maps_of(pid):
    """[(start, end, perms, name)] from /proc/PID/maps."""
    regions = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            regions.append((start, end, parts[1], parts[5].strip() if len(parts) > 5 else ""))
    return regions


def readelf_build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    match = re.search(r"Build ID: ([0-9a-f]+)", out)
    return match.group(1).upper() if match else None


class QueryCase(unittest.TestCase):
    maxDiff = None

    def connect(self, server):
        client = RspClient(server.port)
        self.addCleanup(client.close)
        client.send_raw("+")
        client.command("qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+;fork-events+;vfork-events+")
        return client

    def launch(self, name="basic"):
        server = Server.launch(name)
        self.addCleanup(server.close)
        return server, self.connect(server)

    def assertError(self, client, payload):
        reply = client.command(payload)
        self.assertRegex(reply, r"^E[0-9a-fA-F]{2}", f"{payload!r}: {reply!r}\n{client.describe()}")


class HostInfoTest(QueryCase):
    def test_host_info_is_this_host(self):
        _, client = self.launch()
        info = fields(client.command("qHostInfo"))
        self.assertEqual(unhex(info["triple"]), "x86_64-pc-linux-gnu")
        self.assertEqual(info["ptrsize"], "8")
        self.assertEqual(info["endian"], "little")
        self.assertEqual(info["watchpoint_exceptions_received"], "after")
        uname = os.uname()
        self.assertEqual(unhex(info["os_build"]), uname.release)
        self.assertEqual(unhex(info["os_kernel"]), uname.version)
        self.assertTrue(uname.release.startswith(info["os_version"]), info)
        self.assertRegex(info["os_version"], r"^\d+(\.\d+)*$")
        self.assertEqual(unhex(info["hostname"]), socket.gethostname())

    def test_watchpoint_support_info(self):
        _, client = self.launch()
        self.assertEqual(client.command("qWatchpointSupportInfo:"), "num:4;")
        self.assertEqual(client.command("qWatchpointSupportInfo"), "num:4;")


class ProcessInfoTest(QueryCase):
    def check_process_info(self, client, pid):
        info = fields(client.command("qProcessInfo"))
        status = status_of(pid)
        self.assertEqual(int(info["pid"], 16), pid)
        self.assertEqual(int(info["parent-pid"], 16), int(status["PPid"][0]))
        self.assertEqual(int(info["real-uid"], 16), int(status["Uid"][0]))
        self.assertEqual(int(info["effective-uid"], 16), int(status["Uid"][1]))
        self.assertEqual(int(info["real-gid"], 16), int(status["Gid"][0]))
        self.assertEqual(int(info["effective-gid"], 16), int(status["Gid"][1]))
        self.assertEqual(unhex(info["triple"]), "x86_64-pc-linux-gnu")
        self.assertEqual((info["ostype"], info["endian"], info["ptrsize"]), ("linux", "little", "8"))
        return info

    def test_launched_process(self):
        server, client = self.launch()
        info = self.check_process_info(client, server.inferior_pid)
        self.assertEqual(int(info["parent-pid"], 16), server.proc.pid)  # the stub started it

    def test_attached_process(self):
        with Target("sleeper", wait_for="sleeper pid") as target:
            server = Server.attach(target.pid, program("sleeper"))
            self.addCleanup(server.close)
            client = self.connect(server)
            info = self.check_process_info(client, target.pid)
            self.assertEqual(int(info["parent-pid"], 16), os.getpid())  # we started it
            self.assertEqual(unhex(client.command("qGetWorkingDir")), os.readlink(f"/proc/{target.pid}/cwd"))
            client.command("D")

    def test_working_dir_is_the_process_cwd(self):
        server, client = self.launch()
        self.assertEqual(unhex(client.command("qGetWorkingDir")), os.readlink(f"/proc/{server.inferior_pid}/cwd"))

    def test_no_process_yet(self):
        server = Server([server_path(), "--multi", f"{HOST}:0"])
        self.addCleanup(server.close)
        server._wait_listening()
        client = self.connect(server)
        client.command("!")
        self.assertError(client, "qProcessInfo")
        self.assertError(client, "qMemoryRegionInfo:0")
        self.assertError(client, "qMemoryRegionInfo")
        # No process: where the next one would start, once that was set.
        self.assertError(client, "qGetWorkingDir")
        directory = scratch_dir("cwd-")
        self.assertEqual(client.command("QSetWorkingDir:" + hex_text(directory)), "OK")
        self.assertEqual(unhex(client.command("qGetWorkingDir")), directory)
        self.assertIn("triple:", client.command("qHostInfo"))


class ProcessListTest(QueryCase):
    def entry_matches(self, entry, pid):
        info = fields(entry)
        status = status_of(pid)
        self.assertEqual(int(info["pid"]), pid)
        self.assertEqual(int(info["ppid"]), int(status["PPid"][0]))
        self.assertEqual((int(info["uid"]), int(info["euid"])), tuple(map(int, status["Uid"][:2])))
        self.assertEqual((int(info["gid"]), int(info["egid"])), tuple(map(int, status["Gid"][:2])))
        self.assertEqual(unhex(info["name"]), os.readlink(f"/proc/{pid}/exe"))
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")[:-1]
        self.assertEqual([unhex(arg) for arg in info["args"].split("-")], argv)
        self.assertEqual(unhex(info["triple"]), "x86_64-pc-linux-gnu")

    def all_entries(self, client, first):
        entries = []
        reply = client.command(first)
        while not reply.startswith("E"):
            entries.append(reply)
            reply = client.command("qsProcessInfo")
        return entries

    def test_process_list_filters(self):
        server, client = self.launch()
        with Target("sleeper", args=[600, 50], wait_for="sleeper pid") as target:
            # By pid: exactly that one, then the end of the list.
            self.entry_matches(client.command(f"qfProcessInfo:pid:{target.pid};"), target.pid)
            self.assertError(client, "qsProcessInfo")
            self.entry_matches(client.command(f"qProcessInfoPID:{target.pid}"), target.pid)
            # By name, each way of matching it.
            for match, name in (("equals", "sleeper"), ("starts_with", "sleep"), ("ends_with", "eper"),
                                ("contains", "leep"), ("regex", "^sl.*r$")):
                entries = self.all_entries(client, f"qfProcessInfo:name:{hex_text(name)};name_match:{match};")
                pids = [int(fields(e)["pid"]) for e in entries]
                self.assertIn(target.pid, pids, f"{match} {name}")
                self.assertEqual(pids, sorted(pids))
                for entry in entries:
                    self.assertRegex(os.path.basename(unhex(fields(entry)["name"])), name if match == "regex" else
                                     re.escape(name))
            self.assertError(client, f"qfProcessInfo:name:{hex_text('sleeper')};name_match:equals;pid:1;")
            self.assertError(client, f"qfProcessInfo:pid:{target.pid};uid:{os.getuid() + 1};")
            # Every process of ours: the sleeper among them, the traced debuggee not (it cannot
            # be attached to), as lldb-server lists them.
            pids = [int(fields(e)["pid"]) for e in self.all_entries(client, "qfProcessInfo")]
            self.assertIn(target.pid, pids)
            self.assertNotIn(server.inferior_pid, pids)
            self.assertError(client, f"qfProcessInfo:pid:{server.inferior_pid};")
        for bad in ("qfProcessInfo:bogus:1;", "qfProcessInfo:pid:abc;", "qfProcessInfo:name:zz;",
                    "qfProcessInfo:name_match:sometimes;", f"qfProcessInfo:name:{hex_text('(')};name_match:regex;",
                    "qfProcessInfo:novalue;", "qProcessInfoPID:", "qProcessInfoPID:12x", "qProcessInfoPID:-1"):
            self.assertError(client, bad)
        self.assertError(client, "qsProcessInfo")  # nothing pending


class MemoryRegionTest(QueryCase):
    def check(self, client, address, start, size, perms=None, name=None):
        reply = client.command(f"qMemoryRegionInfo:{address:x}")
        info = fields(reply)
        self.assertEqual((int(info["start"], 16), int(info["size"], 16)), (start, size), f"{address:#x}: {reply}")
        if perms is None:  # unmapped
            self.assertNotIn("permissions", info, reply)
            self.assertNotIn("name", info, reply)
            return
        expected = "".join(c for c in perms[:3] if c != "-")
        if expected:
            self.assertEqual(info["permissions"], expected, reply)
        else:
            self.assertNotIn("permissions", info, reply)  # lldb-server leaves it out for ---p
        self.assertEqual(info["flags"], "", reply)
        if name:
            self.assertEqual(unhex(info["name"]), name, reply)
        else:
            self.assertNotIn("name", info, reply)

    def test_every_mapping_and_every_gap(self):
        server, client = self.launch()
        regions = maps_of(server.inferior_pid)
        self.assertTrue(any(name == "[stack]" for *_, name in regions))
        for start, end, perms, name in regions:
            for address in (start, (start + end) // 2, end - 1):
                self.check(client, address, start, end - start, perms, name)
        # Below the first mapping and between mappings: from the address to the next one.
        self.check(client, 0, 0, regions[0][0])
        for (_, end, _, _), (next_start, _, _, _) in zip(regions, regions[1:]):
            if end < next_start:
                self.check(client, end, end, next_start - end)
                self.check(client, next_start - 1, next_start - 1, 1)
        # Above the last one: up to the top of the address space.
        top = regions[-1][1]
        if top < 2**64 - 1:
            self.check(client, top, top, 2**64 - 1 - top)
        self.assertEqual(client.command("qMemoryRegionInfo"), "OK")  # the probe

    def test_bad_addresses(self):
        _, client = self.launch()
        for bad in ("qMemoryRegionInfo:", "qMemoryRegionInfo:zz", "qMemoryRegionInfo:-1",
                    "qMemoryRegionInfo:1" + "0" * 16, "qMemoryRegionInfo:12;34"):
            self.assertError(client, bad)
        self.assertEqual(fields(client.command("qMemoryRegionInfo:ffffffffffffffff"))["size"], "0")


class LaunchSettingsTest(QueryCase):
    def run_with_aslr(self, client, flag):
        self.assertEqual(client.command(f"QSetDisableASLR:{flag}"), "OK")
        reply = client.command("vRun;" + hex_text(program("basic")))
        self.assertRegex(reply, r"^T", client.describe())
        pid = int(fields(client.command("qProcessInfo"))["pid"], 16)
        with open(f"/proc/{pid}/personality") as f:
            return int(f.read(), 16)

    def test_disable_aslr_reaches_the_next_run(self):
        server = Server([server_path(), "--multi", f"{HOST}:0"])
        self.addCleanup(server.close)
        server._wait_listening()
        client = self.connect(server)
        client.command("!")
        self.assertTrue(self.run_with_aslr(client, 1) & ADDR_NO_RANDOMIZE)
        self.assertFalse(self.run_with_aslr(client, 0) & ADDR_NO_RANDOMIZE)
        for bad in ("QSetDisableASLR:2", "QSetDisableASLR:", "QSetDisableASLR"):
            self.assertError(client, bad)


class ModuleInfoTest(QueryCase):
    def loaded_files(self, pid):
        return sorted({name for *_, name in maps_of(pid) if name.startswith("/")})

    def expected(self, path):
        real = os.path.realpath(path)
        return {"uuid": readelf_build_id(real), "triple": "x86_64--linux", "file_path": real,
                "file_offset": 0, "file_size": os.stat(real).st_size}

    def test_module_info_of_every_loaded_file(self):
        server, client = self.launch()
        files = self.loaded_files(server.inferior_pid)
        self.assertGreaterEqual(len(files), 2)  # the program and ld.so at least
        files.append("/lib/x86_64-linux-gnu/libc.so.6")  # a path through a symlink
        for path in files:
            want = self.expected(path)
            self.assertIsNotNone(want["uuid"], f"{path} has no build-id")
            info = fields(client.command(f"qModuleInfo:{hex_text(path)};{hex_text('x86_64-pc-linux-gnu')}"))
            self.assertEqual({"uuid": unhex(info["uuid"]), "triple": unhex(info["triple"]),
                              "file_path": unhex(info["file_path"]), "file_offset": int(info["file_offset"], 16),
                              "file_size": int(info["file_size"], 16)}, want)

    def test_module_info_errors(self):
        _, client = self.launch()
        triple = hex_text("x86_64-pc-linux-gnu")
        for bad in (f"qModuleInfo:{hex_text('/nonexistent/lib.so')};{triple}",
                    f"qModuleInfo:{hex_text(os.path.abspath(__file__))};{triple}",  # not ELF
                    f"qModuleInfo:{hex_text('linux-vdso.so.1')};{triple}",
                    f"qModuleInfo:{hex_text(program('basic'))};{hex_text('aarch64-unknown-linux-gnu')}",
                    f"qModuleInfo:zz;{triple}", f"qModuleInfo:{hex_text(program('basic'))}",
                    f"qModuleInfo:;{triple}", "qModuleInfo:", "qModuleInfo"):
            self.assertError(client, bad)

    def modules_info(self, client, queries):
        payload = "jModulesInfo:" + json.dumps(queries, separators=(",", ":"))
        reply = client.command(escape(payload))
        return json.loads(unescape(reply))

    def test_modules_info_answers_what_it_finds(self):
        server, client = self.launch()
        files = self.loaded_files(server.inferior_pid)
        # A file whose name needs RSP escaping both ways.
        odd = os.path.join(scratch_dir("mod-"), "a}b#c$d*e")
        shutil.copy(program("basic"), odd)
        queries = [{"file": "linux-vdso.so.1", "triple": "x86_64-pc-linux-gnu"}]
        queries += [{"file": f, "triple": "x86_64-pc-linux-gnu"} for f in files]
        queries += [{"file": "/nonexistent/lib.so", "triple": "x86_64-pc-linux-gnu"},
                    {"file": odd, "triple": "x86_64-pc-linux-gnu"},
                    {"file": program("basic")},  # no triple: left out, as lldb-server does
                    "not an object", 42]
        answer = self.modules_info(client, queries)
        self.assertEqual(answer, [self.expected(f) for f in files] + [self.expected(odd)])
        self.assertEqual(self.modules_info(client, []), [])

    def test_modules_info_errors(self):
        _, client = self.launch()
        for bad in ("jModulesInfo:", "jModulesInfo:[{", "jModulesInfo:not json", escape('jModulesInfo:{"file":"x"}'),
                    "jModulesInfo:}", "jModulesInfo"):
            self.assertError(client, bad)
        # The session goes on.
        self.assertEqual(client.command("qWatchpointSupportInfo:"), "num:4;")


if __name__ == "__main__":
    unittest.main()
