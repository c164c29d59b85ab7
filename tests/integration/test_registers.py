"""Registers: reads of general, segment, flag, x87/SSE control, fs_base, AVX and AVX-512
registers; writes that the program then observes."""

import unittest

import harness
from harness import DebugTestCase, gdb_values, mark, source_line


def require_avx512():
    if "avx512f" not in harness.cpu_flags():
        raise unittest.SkipTest("CPU has no AVX-512F (no avx512f in /proc/cpuinfo flags)")
    if harness.server_is_gdbserver() and harness.cpu_vendor() == "AuthenticAMD":
        raise unittest.SkipTest("xolstub only: gdbserver's zmm/k register values are not "
                                "reliable on AMD CPUs")


class GeneralRegistersTest(DebugTestCase):

    def test_pc_and_argument_registers_at_function_entry(self):
        s = self.debug("basic", [7], ["break *add", "continue", mark("regs"), "p $rip",
                                      "p $pc == add", "p $rdi", "p $rsi", "p $sp == $rsp",
                                      mark("info"),
                                      "info registers rip rdi rsi"])
        values = gdb_values(s.section("regs"))
        self.assertMatch(r"^\(void \(\*\)\(\)\) 0x[0-9a-f]+ <add>$", values[0])
        self.assertEqual(values[1:4], ["1", "2", "3"], s.describe())
        self.assertEqual(values[4], "1")
        info = s.section("info")
        self.assertMatch(r"^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <add>$", info)
        self.assertMatch(r"^rdi +0x2 +2$", info)
        self.assertMatch(r"^rsi +0x3 +3$", info)

    def test_return_address_on_stack(self):
        s = self.debug("basic", [7], ["break *add", "continue", "p/x *(long *)$rsp",
                                      "info symbol *(long *)$rsp", mark("frame"), "up"])
        self.assertMatch(r"^main \+ \d+ in section \.text", s.stdout)
        self.assertMatch(rf"^#1  0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{source_line('basic', 'call-add')}$", s.section("frame"))

    def test_segment_flag_and_control_registers(self):
        s = self.debug("basic", [7], ["break add", "continue", "p/x $cs", "p/x $ss",
                                      "p $eflags", "p $mxcsr", "p/x $fctrl",
                                      "p $fs_base != 0",
                                      "p *(unsigned long *)$fs_base == $fs_base",
                                      "p $orig_rax"])
        values = gdb_values(s.stdout)
        self.assertEqual(values[:2], ["0x33", "0x2b"], s.describe())
        self.assertMatch(r"^\[ .*\bIF\b.* \]$", values[2])
        self.assertEqual(values[3], "[ IM DM ZM OM UM PM ]", s.describe())
        self.assertEqual(values[4], "0x37f", s.describe())
        # fs_base is the thread pointer; glibc's TCB starts with a pointer to itself.
        self.assertEqual(values[5:7], ["1", "1"], s.describe())
        self.assertEqual(values[7], "-1", s.describe())

    def test_info_registers_lists_all_general_registers(self):
        s = self.debug("basic", [7], ["break *add", "continue", mark("info"),
                                      "info registers"])
        info = s.section("info")
        names = [line.split()[0] for line in info.splitlines() if line.strip()]
        for name in ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
                     "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss",
                     "ds", "es", "fs", "gs"]:
            self.assertIn(name, names, s.describe())
        self.assertMatch(r"^cs +0x33 +51$", info)

    def test_write_argument_register_before_the_call_body(self):
        """At add's first instruction, a = $rdi: writing it changes what the program computes."""
        s = self.debug("basic", [7], ["break *add", "continue", "set $rdi = 40", "p $rdi",
                                      "delete", "continue"])
        self.assertEqual(gdb_values(s.stdout), ["40"], s.describe())
        self.assertIn("result = 43\nresult2 = 53\n", s.server_out, s.describe())

    def test_write_rax_changes_return_value(self):
        s = self.debug("basic", [7], ["break add", "continue", mark("finish"), "finish",
                                      "set $rax = 42", "p $rax", "next", "p result",
                                      "delete", "continue"])
        self.assertMatch(r"^Value returned is \$1 = 5$", s.section("finish"))
        self.assertEqual(gdb_values(s.section("finish")), ["42", "42"], s.describe())
        self.assertIn("result = 42\nresult2 = 52\n", s.server_out, s.describe())

    def test_write_pc_skips_code(self):
        """Setting $pc to the start of the next line skips the first bump() call."""
        s = self.debug("basic", [7], [f"break basic.c:{source_line('basic', 'loop-call')}",
                                      "continue", "delete",
                                      f"info line basic.c:{source_line('basic', 'loop-after')}",
                                      "set $pc = $_", "p $pc == $_", "p $rip == $_", mark("bt"),
                                      "frame", "continue"])
        self.assertEqual(gdb_values(s.stdout), ["1", "1"], s.describe())
        self.assertMatch(rf"^#0  main \(argc=2, argv=0x[0-9a-f]+\) at basic\.c:"
                         rf"{source_line('basic', 'loop-after')}$", s.section("bt"))
        self.assertIn("counter = 4 total = 10", s.server_out, s.describe())


class VectorRegistersTest(DebugTestCase):

    def test_ymm_known_values(self):
        s = self.debug("avx", [], ["break *avx_loaded", "continue", "p $ymm0.v8_int32",
                                   "p/x $ymm1.v4_int64", "p $ymm15.v8_int32",
                                   "p $xmm0.v4_int32", "p $ymm0.v32_int8[4]",
                                   "p $ymm15.v8_int32[7]"])
        self.assertMatch(r"^Breakpoint 1, 0x[0-9a-f]+ in run_avx \(\) at avx\.c:\d+$", s.stdout)
        self.assertEqual(gdb_values(s.stdout), [
            "{1, 2, 3, 4, 5, 6, 7, 8}",
            "{0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444}",
            "{-1, -2, -3, -4, -5, -6, -7, -8}",
            "{1, 2, 3, 4}",
            "2",
            "-8"], s.describe())

    def test_ymm_writes_reach_the_program(self):
        """Writes to both the low (xmm) and high halves of ymm registers."""
        s = self.debug("avx", [], ["break *avx_loaded", "continue",
                                   "set var $ymm0.v8_int32[0] = -7",
                                   "set var $ymm0.v8_int32[7] = 1000",
                                   "set var $ymm1.v4_int64[2] = 0x0123456789abcdef",
                                   "set var $ymm15.v8_int32[4] = 77",
                                   "p $ymm0.v8_int32", "continue"])
        self.assertEqual(gdb_values(s.stdout), ["{-7, 2, 3, 4, 5, 6, 7, 1000}"], s.describe())
        self.assertIn("ymm0 = -7 2 3 4 5 6 7 1000\n"
                      "ymm1 = 0x1111111111111111 0x2222222222222222 0x123456789abcdef "
                      "0x4444444444444444\n"
                      "ymm15 = -1 -2 -3 -4 77 -6 -7 -8\n", s.server_out, s.describe())
        self.assertMatch(rf"^\[Inferior 1 \(process {s.inferior_pid}\) exited normally\]$",
                         s.stdout)

    def test_zmm_and_k_known_values(self):
        require_avx512()
        s = self.debug("avx", [], ["break *avx512_loaded", "continue", "p $zmm0.v16_int32",
                                   "p $zmm31.v16_int32", "p/x $k1", "p $ymm0.v8_int32"])
        self.assertEqual(gdb_values(s.stdout), [
            "{" + ", ".join(str(101 + i) for i in range(16)) + "}",
            "{" + ", ".join(str(201 + i) for i in range(16)) + "}",
            "0xa5a5",
            "{101, 102, 103, 104, 105, 106, 107, 108}"], s.describe())

    def test_zmm_and_k_writes_reach_the_program(self):
        require_avx512()
        s = self.debug("avx", [], ["break *avx512_loaded", "continue",
                                   "set var $zmm0.v16_int32[15] = 5000",
                                   "set var $zmm0.v16_int32[0] = 1",
                                   "set var $zmm31.v16_int32[9] = -1",
                                   "set var $k1 = 0x5a", "continue"])
        zmm0 = [1] + [101 + i for i in range(1, 15)] + [5000]
        zmm31 = [201 + i for i in range(16)]
        zmm31[9] = -1
        self.assertIn("zmm0 = " + " ".join(map(str, zmm0)) + "\n", s.server_out, s.describe())
        self.assertIn("zmm31 = " + " ".join(map(str, zmm31)) + "\n", s.server_out,
                      s.describe())
        self.assertIn("k1 = 0x5a\n", s.server_out, s.describe())


if __name__ == "__main__":
    unittest.main()
