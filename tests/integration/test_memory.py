"""Memory: reads and writes of program data, large reads, unmapped addresses, breakpoint
sites reading as the original bytes (never 0xcc), `info proc mappings` through vFile."""

import re
import unittest

from harness import (DebugTestCase, gdb_values, mark, parse_peek, parse_x_bytes, peek_command,
                     program, run_gdb, source_line)

INT3 = 0xCC


def elf_bytes(symbol, count=16):
    """COUNT bytes at SYMBOL as GDB reads them from basic's ELF file, with no server."""
    out = run_gdb([f"x/{count}xb {symbol}"], program_path=program("basic")).stdout
    data = parse_x_bytes(out)
    if len(data) != count:
        raise AssertionError(f"could not read {symbol} from the ELF file:\n{out}")
    return data


class MemoryTest(DebugTestCase):

    def test_read_globals_and_strings(self):
        s = self.debug("basic", [7], ["break add", "continue", "continue", mark("read"),
                                      "p counter", "p greeting", "p sizeof(pattern)",
                                      "p/x pattern[100]@4", "x/s greeting", "x/dw &counter",
                                      "up", "p *argv@argc"])
        read = s.section("read")
        values = gdb_values(read)
        self.assertEqual(values[0], "5")
        self.assertEqual(values[1], '"hello, xolstub", \'\\000\' <repeats 17 times>')
        self.assertEqual(values[2], "8192")
        self.assertEqual(values[3], "{0xbf, 0xc6, 0xcd, 0xd4}")
        self.assertMatch(r'^0x[0-9a-f]+ <greeting>:\t"hello, xolstub"$', read)
        self.assertMatch(r"^0x[0-9a-f]+ <counter>:\t5$", read)
        self.assertMatch(rf'^\{{0x[0-9a-f]+ "{re.escape(program("basic"))}", 0x[0-9a-f]+ "7"\}}$',
                         values[4])

    def test_writes_reach_the_program(self):
        s = self.debug("basic", [7], ["break add", "continue", "set var counter = 100",
                                      "set var greeting[0] = 'J'",
                                      "set var pattern[100] = 42",
                                      "p greeting", "p counter", "delete", "continue"])
        self.assertEqual(gdb_values(s.stdout),
                         ['"Jello, xolstub", \'\\000\' <repeats 17 times>', "100"], s.describe())
        self.assertIn("counter = 100 total = 10 greeting = Jello, xolstub pattern[100] = 42\n",
                      s.server_out, s.describe())

    def test_large_read(self):
        """8 KiB read in one `x` command (GDB splits it into packet-sized reads)."""
        s = self.debug("basic", [7], ["break add", "continue", mark("x"),
                                      "x/8192xb pattern", mark("find"),
                                      "find /b pattern, +sizeof(pattern), 0x42"])
        data = parse_x_bytes(s.section("x"))
        self.assertEqual(len(data), 8192, s.describe()[:3000])
        expected = [(i * 7 + 3) & 0xFF for i in range(8192)]
        mismatches = [i for i in range(8192) if data[i] != expected[i]]
        self.assertEqual(mismatches, [], "pattern bytes differ at these offsets")
        found = s.section("find")
        self.assertMatch(r"^0x[0-9a-f]+ <pattern\+9>$", found)
        self.assertMatch(r"^32 patterns found\.$", found)

    def test_unmapped_addresses_are_errors(self):
        s = self.debug("basic", [7], ["break add", "continue", "x/4xb 0", "p *(int *) 8",
                                      "p counter", "x/2xg 0xffffffffff700000", "p counter"])
        self.assertMatch(r"^Cannot access memory at address 0x0$", s.gdb.stderr)
        self.assertMatch(r"^Cannot access memory at address 0x8$", s.gdb.stderr)
        self.assertMatch(r"^Cannot access memory at address 0xffffffffff700000$",
                         s.gdb.stderr)
        # The session is unharmed. (`x` leaves "0x0:\t" unterminated before the error.)
        self.assertEqual(re.findall(r"\$\d+ = (.*)$", s.stdout, re.M), ["5", "5"],
                         s.describe())

    def test_breakpoint_sites_read_as_original_bytes(self):
        """With breakpoints inserted (always-inserted), `x/16xb` at their addresses shows the
        bytes of the ELF file, while the process memory really holds int3 there."""
        original_add = elf_bytes("add")
        original_bump = elf_bytes("bump")

        def commands(server):
            pid = server.inferior_pid
            return ["break main", "continue",
                    "set breakpoint always-inserted on", "set code-cache off",
                    "set stack-cache off",
                    "break *add", "break add", "break *bump",
                    mark("x"), "x/16xb add", "x/16xb bump",
                    mark("packet"), 'eval "maint packet m%lx,10", (long) &add',
                    mark("raw"), peek_command("add", pid, "&add", 16),
                    peek_command("bump", pid, "&bump", 16), "p/x (long) $bpnum",
                    "info breakpoints",
                    mark("hit"), "continue", mark("x2"), "x/16xb add", "x/16xb bump"]

        s = self.debug("basic", [7], commands)
        add_break = int(self.assertMatch(r"^Breakpoint 3 at 0x([0-9a-f]+): file basic\.c, "
                                         rf"line {source_line('basic', 'add-body')}\.$",
                                         s.stdout).group(1), 16)
        add_entry = int(self.assertMatch(r"^Breakpoint 2 at 0x([0-9a-f]+): file basic\.c",
                                         s.stdout).group(1), 16)
        sites_add = {0, add_break - add_entry}
        self.assertGreater(add_break - add_entry, 0)
        self.assertLess(add_break - add_entry, 16)

        # What GDB shows while connected, breakpoints in place: the ELF file's bytes.
        shown = parse_x_bytes(s.section("x"))
        self.assertEqual(shown, original_add + original_bump, s.describe())
        # The raw `m` packet answer from the server, not filtered by GDB.
        packet = self.assertMatch(r'^received: "([0-9a-f]{32})"$', s.section("packet"))
        self.assertEqual(bytes.fromhex(packet.group(1)), bytes(original_add), s.describe())
        # Meanwhile the process memory does hold int3 at the breakpoint addresses.
        raw_add = parse_peek(s.stdout, "add")
        raw_bump = parse_peek(s.stdout, "bump")
        if raw_add is not None:
            expected_add = [INT3 if i in sites_add else b for i, b in enumerate(original_add)]
            expected_bump = [INT3 if i == 0 else b for i, b in enumerate(original_bump)]
            self.assertEqual((raw_add, raw_bump), (expected_add, expected_bump),
                             f"breakpoints are not physically inserted\n{s.describe()}")
        # The breakpoints work, and stopped at one, memory still reads as the original.
        self.assertMatch(r"^Breakpoint 4, bump \(\) at basic\.c:\d+$", s.section("hit"))
        self.assertEqual(parse_x_bytes(s.section("x2")), original_add + original_bump,
                         s.describe())

    def test_write_over_breakpoint_site_keeps_breakpoint(self):
        """Writing the original byte back over an inserted breakpoint: memory reads show the
        written byte, and the breakpoint still stops the program."""
        original = elf_bytes("bump", 4)

        def commands(server):
            return ["break main", "continue", "set breakpoint always-inserted on",
                    "set code-cache off", "break *bump",
                    f"set var *(unsigned char *) bump = {original[0]}",
                    f"set var *(unsigned char *) (bump + 1) = {original[1]}",
                    mark("x"), "x/4xb bump",
                    peek_command("after-write", server.inferior_pid, "&bump", 4),
                    mark("hit"), "continue", "p counter", "delete", "continue"]

        s = self.debug("basic", [7], commands)
        self.assertEqual(parse_x_bytes(s.section("x")), original, s.describe())
        raw = parse_peek(s.stdout, "after-write")
        if raw is not None:
            self.assertEqual(raw, [INT3] + original[1:], s.describe())
        hit = s.section("hit")
        self.assertMatch(r"^Breakpoint 2, bump \(\) at basic\.c:\d+$", hit)
        self.assertEqual(gdb_values(hit), ["0"], s.describe())
        self.assertIn("counter = 5 total = 10", s.server_out, s.describe())

    def test_info_proc_mappings_through_vfile(self):
        """Default sysroot (`target:`): GDB reads /proc/PID/maps and the shared libraries
        through the server's vFile / qXfer services."""
        s = self.debug("basic", [7], ["break add", "continue", mark("maps"),
                                      "info proc mappings", mark("libs"),
                                      "info sharedlibrary"], sysroot=None)
        maps = s.section("maps")
        self.assertMatch(rf"^process {s.inferior_pid}$", maps)
        path = re.escape(program("basic"))
        self.assertMatch(rf"^\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+r-xp\s+"
                         rf"{path}$", maps)
        self.assertMatch(rf"^\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+rw-p\s+"
                         rf"{path}$", maps)
        self.assertMatch(r"r-xp\s+\S*/libc\.so\.6$", maps)
        self.assertMatch(r"rw-p\s+\[stack\]$", maps)
        # The program's text mapping contains add().
        text = re.search(rf"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S+\s+\S+\s+r-xp\s+{path}$",
                         maps, re.M)
        add = int(self.assertMatch(r"^Breakpoint 1 at 0x([0-9a-f]+)", s.stdout).group(1), 16)
        self.assertTrue(int(text.group(1), 16) <= add < int(text.group(2), 16), s.describe())
        # Shared libraries came from the target, not the local file system.
        self.assertMatch(r"target:/lib64/ld-linux-x86-64\.so\.2", s.stdout)
        self.assertMatch(r"^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes\s+(\(\*\)\s+)?target:\S*libc\.so\.6$",
                         s.section("libs"))


if __name__ == "__main__":
    unittest.main()
