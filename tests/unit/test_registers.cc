// The register layer: XSAVE layouts, GDB's register numbering and `g` offsets, the x87 tag
// word conversions, and RegisterFile against a real ptrace-stopped child.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <stdexcept>

#include "threads/ptrace_ops.h"
#include "threads/register_file.h"
#include "threads/register_layout.h"
#include "threads/xsave_layout.h"

using namespace xolstub::threads;

namespace {

// Component places of an AVX-512 CPU that are deliberately not Intel's (Intel has opmask at
// 1088, ZMM_Hi256 at 1152, Hi16_ZMM at 1664, PKRU at 2688): nothing may assume those.
XsaveLayout fake_avx512_layout() {
  std::array<XsaveComponent, 64> places{};
  places[XsaveLayout::avx] = {576, 256};
  places[XsaveLayout::pkru] = {832, 8};
  places[XsaveLayout::opmask] = {896, 64};
  places[XsaveLayout::zmm_hi256] = {960, 512};
  places[XsaveLayout::hi16_zmm] = {1472, 1024};
  return XsaveLayout::make(0x2e7, places);
}

std::array<std::uint8_t, 10> x87_value(std::uint64_t mantissa, std::uint16_t sign_exponent) {
  std::array<std::uint8_t, 10> bytes{};
  std::memcpy(bytes.data(), &mantissa, 8);
  std::memcpy(bytes.data() + 8, &sign_exponent, 2);
  return bytes;
}

void put_st(std::array<std::uint8_t, 128>& st_space, unsigned st, std::array<std::uint8_t, 10> value) {
  std::memcpy(st_space.data() + 16 * st, value.data(), value.size());
}

std::uint64_t as_u64(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
  return value;
}

std::vector<std::uint8_t> pattern(std::uint8_t seed, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return bytes;
}

// Kills and reaps the child if a failed REQUIRE leaves the test early.
struct ChildGuard {
  pid_t pid;
  bool reaped = false;
  ~ChildGuard() {
    if (!reaped && pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

void wait_for_trap(pid_t child) {
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSTOPPED(status));
  REQUIRE(WSTOPSIG(status) == SIGTRAP);
}

int resume_and_exit_code(ChildGuard& guard) {
  REQUIRE(ptrace(PTRACE_CONT, guard.pid, nullptr, nullptr) == 0);
  int status = 0;
  REQUIRE(waitpid(guard.pid, &status, 0) == guard.pid);
  guard.reaped = true;
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

std::uint32_t read_pkru() {
  std::uint32_t eax, edx;
  asm volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

} // namespace

TEST_CASE("the fixed part of the layout is GDB's amd64 GNU/Linux numbering") {
  const RegisterLayout layout(XsaveLayout::make(0x3, {}));
  CHECK_FALSE(layout.has_avx());
  CHECK_FALSE(layout.has_avx512());
  CHECK_FALSE(layout.has_pkeys());
  REQUIRE(layout.size() == 60);
  const char* names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                         "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es",
                         "fs", "gs", "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7", "fctrl",
                         "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"};
  for (unsigned i = 0; i < std::size(names); ++i) CHECK(layout.registers()[i].name == names[i]);
  CHECK(layout.find("rbp") == RegisterLayout::rbp);
  CHECK(layout.find("rsp") == RegisterLayout::rsp);
  CHECK(layout.find("rip") == RegisterLayout::rip);
  CHECK(layout.find("eflags") == RegisterLayout::eflags);
  CHECK(layout.find("xmm0") == RegisterLayout::xmm0);
  CHECK(layout.find("xmm15") == 55u);
  CHECK(layout.find("mxcsr") == RegisterLayout::mxcsr);
  CHECK(layout.find("orig_rax") == RegisterLayout::orig_rax);
  CHECK(layout.find("fs_base") == RegisterLayout::fs_base);
  CHECK(layout.find("gs_base") == RegisterLayout::gs_base);
  CHECK_FALSE(layout.find("ymm0h"));
  CHECK_FALSE(layout.find("pkru"));

  // Offsets as GDB computes them from the sizes (checked against gdbserver's `g` packet).
  CHECK(layout.at(RegisterLayout::eflags).offset == 136);
  CHECK(layout.at(RegisterLayout::eflags).bitsize == 32);
  CHECK(layout.at(RegisterLayout::st0).offset == 164);
  CHECK(layout.at(RegisterLayout::st0).bitsize == 80);
  CHECK(layout.at(RegisterLayout::fctrl).offset == 244);
  CHECK(layout.at(RegisterLayout::xmm0).offset == 276);
  CHECK(layout.at(RegisterLayout::mxcsr).offset == 532);
  CHECK(layout.at(RegisterLayout::orig_rax).offset == 536);
  CHECK(layout.at(RegisterLayout::gs_base).offset == 552);
  CHECK(layout.g_packet_size() == 560);
  CHECK_THROWS_AS(layout.at(60), std::out_of_range);

  CHECK(layout.at(RegisterLayout::fctrl).group == "float");
  CHECK(layout.at(RegisterLayout::mxcsr).group == "vector");
  CHECK(layout.at(RegisterLayout::rip).type == "code_ptr");
  CHECK(layout.at(RegisterLayout::orig_rax).feature == "org.gnu.gdb.i386.linux");
  CHECK(layout.at(RegisterLayout::fs_base).feature == "org.gnu.gdb.i386.segments");
}

TEST_CASE("an AVX-512 CPU gets ymmh, xmm16-31, ymm16h-31h, k0-7, zmm0h-31h and pkru, placed by CPUID") {
  const XsaveLayout xsave = fake_avx512_layout();
  CHECK(xsave.size == 2496);
  const RegisterLayout layout(xsave);
  REQUIRE(layout.has_avx());
  REQUIRE(layout.has_avx512());
  REQUIRE(layout.has_pkeys());
  REQUIRE(layout.size() == 149);
  CHECK(layout.find("ymm0h") == 60u);
  CHECK(layout.find("ymm15h") == 75u);
  CHECK(layout.find("xmm16") == 76u);
  CHECK(layout.find("xmm31") == 91u);
  CHECK(layout.find("ymm16h") == 92u);
  CHECK(layout.find("k0") == 108u);
  CHECK(layout.find("k7") == 115u);
  CHECK(layout.find("zmm0h") == 116u);
  CHECK(layout.find("zmm31h") == 147u);
  CHECK(layout.find("pkru") == 148u);

  // `g` offsets as GDB 13.1 computed them for this description.
  CHECK(layout.at(60).offset == 560);
  CHECK(layout.at(76).offset == 816);
  CHECK(layout.at(91).offset == 1056);
  CHECK(layout.at(109).offset == 1336);
  CHECK(layout.at(148).offset == 2416);
  CHECK(layout.g_packet_size() == 2420);

  // Where each register comes from: component-relative places, never absolute offsets.
  const RegisterInfo& xmm20 = layout.at(*layout.find("xmm20"));
  CHECK(xmm20.component == XsaveLayout::hi16_zmm);
  CHECK(xmm20.source_offset == 4 * 64);
  CHECK(xmm20.type == "vec128");
  const RegisterInfo& ymm20h = layout.at(*layout.find("ymm20h"));
  CHECK(ymm20h.component == XsaveLayout::hi16_zmm);
  CHECK(ymm20h.source_offset == 4 * 64 + 16);
  const RegisterInfo& zmm7h = layout.at(*layout.find("zmm7h"));
  CHECK(zmm7h.component == XsaveLayout::zmm_hi256);
  CHECK(zmm7h.source_offset == 7 * 32);
  CHECK(zmm7h.bitsize == 256);
  CHECK(zmm7h.type == "v2ui128");
  const RegisterInfo& zmm20h = layout.at(*layout.find("zmm20h"));
  CHECK(zmm20h.component == XsaveLayout::hi16_zmm);
  CHECK(zmm20h.source_offset == 4 * 64 + 32);
  const RegisterInfo& k1 = layout.at(*layout.find("k1"));
  CHECK(k1.component == XsaveLayout::opmask);
  CHECK(k1.source_offset == 8);
  CHECK(k1.type == "uint64");
  CHECK(layout.xsave().component(XsaveLayout::opmask).offset == 896);
  CHECK(layout.xsave().component(XsaveLayout::pkru).offset == 832);
}

TEST_CASE("AVX-512 needs all three of its components") {
  std::array<XsaveComponent, 64> places{};
  places[XsaveLayout::avx] = {576, 256};
  places[XsaveLayout::opmask] = {1088, 64};
  places[XsaveLayout::zmm_hi256] = {1152, 512};
  const RegisterLayout layout(XsaveLayout::make(0x67, places));  // Hi16_ZMM missing
  CHECK(layout.has_avx());
  CHECK_FALSE(layout.has_avx512());
  CHECK(layout.size() == 76);
  CHECK_THROWS_AS(layout.xsave().component(XsaveLayout::hi16_zmm), std::logic_error);
}

TEST_CASE("this CPU's layout comes from CPUID leaf 0xD") {
  const XsaveLayout& xsave = XsaveLayout::host();
  const RegisterLayout& layout = RegisterLayout::host();
  CHECK(xsave.has(XsaveLayout::x87));
  CHECK(xsave.has(XsaveLayout::sse));
  CHECK(layout.size() == 60 + (layout.has_avx() ? 16 : 0) + (layout.has_avx512() ? 72 : 0) +
                             (layout.has_pkeys() ? 1 : 0));
  if (layout.has_avx()) {
    CHECK(xsave.component(XsaveLayout::avx).size == 256);
    CHECK(xsave.component(XsaveLayout::avx).offset >= 576);
    CHECK(layout.find("ymm0h") == 60u);
  }
  if (layout.has_pkeys()) {
    CHECK(xsave.component(XsaveLayout::pkru).size == 8);
    CHECK(layout.find("pkru") == layout.size() - 1);
  }
  if (xsave.has_xsave()) CHECK(xsave.size >= 576);
  const RegisterInfo& last = layout.registers().back();
  CHECK(layout.g_packet_size() == last.offset + last.size());
  MESSAGE("host XCR0 " << xsave.enabled << ", image " << xsave.size << " bytes, " << layout.size()
                       << " registers");
}

TEST_CASE("the full x87 tag word is rebuilt from the abridged one, TOP and the contents") {
  std::array<std::uint8_t, 128> st{};
  // fninit; fld1; fldz: TOP = 6, st0 = +0 in R6, st1 = 1.0 in R7.
  put_st(st, 0, x87_value(0, 0));
  put_st(st, 1, x87_value(0x8000000000000000, 0x3fff));
  const std::uint16_t fstat = 6 << 11;
  CHECK(x87_full_tag(0xc0, fstat, st) == 0x1fff);
  CHECK(x87_full_tag(0x00, fstat, st) == 0xffff);

  // TOP = 1: st0 is R1, st7 is R0; one of each kind of content.
  std::array<std::uint8_t, 128> mixed{};
  put_st(mixed, 0, x87_value(0xc000000000000000, 0x4000));  // R1: valid (3.0)
  put_st(mixed, 1, x87_value(0, 0x8000));                   // R2: zero (-0)
  put_st(mixed, 2, x87_value(0xc000000000000000, 0x7fff));  // R3: special (NaN)
  put_st(mixed, 3, x87_value(1, 0));                        // R4: special (denormal)
  put_st(mixed, 4, x87_value(0x4000000000000000, 0x3fff));  // R5: special (unnormal)
  put_st(mixed, 5, x87_value(0x8000000000000000, 0x7fff));  // R6: special (infinity)
  put_st(mixed, 7, x87_value(0x8000000000000000, 0x3fff));  // R0: valid
  // R7 (st6) is empty.
  const std::uint16_t expected = 0 << 0 | 0 << 2 | 1 << 4 | 2 << 6 | 2 << 8 | 2 << 10 | 2 << 12 | 3 << 14;
  CHECK(x87_full_tag(0x7f, 1 << 11, mixed) == expected);
}

TEST_CASE("the abridged x87 tag keeps only emptiness") {
  CHECK(x87_abridged_tag(0xffff) == 0x00);
  CHECK(x87_abridged_tag(0x0000) == 0xff);
  CHECK(x87_abridged_tag(0x1fff) == 0xc0);
  CHECK(x87_abridged_tag(0xaaaa) == 0xff);
  CHECK(x87_abridged_tag(0x5554) == 0xff);
  CHECK(x87_abridged_tag(0x3ffc) == 0x81);
  for (unsigned abridged = 0; abridged < 256; ++abridged) {
    std::array<std::uint8_t, 128> st{};
    CHECK(x87_abridged_tag(x87_full_tag(static_cast<std::uint8_t>(abridged), 0, st)) == abridged);
  }
}

TEST_CASE("RegisterFile refuses bad register numbers, bad sizes and untraced threads") {
  RegisterFile registers(getpid(), RegisterLayout::host());
  CHECK_THROWS_AS(registers.read(static_cast<unsigned>(RegisterLayout::host().size())), std::out_of_range);
  CHECK_THROWS_AS(registers.write(9999, std::vector<std::uint8_t>(8)), std::out_of_range);
  CHECK_THROWS_AS(registers.write(0, std::vector<std::uint8_t>(4)), std::invalid_argument);
  CHECK_THROWS_AS(registers.read(0), PtraceError);  // we do not trace ourselves
}

// The child loads known values, stops at an int3, and after the parent has rewritten some of
// them stores what it then sees and reports through its exit code.
TEST_CASE("RegisterFile reads and writes a stopped thread's GPRs, x87 and AVX registers") {
  const RegisterLayout& layout = RegisterLayout::host();
  if (!layout.has_avx()) {
    MESSAGE("this CPU has no AVX; test skipped");
    return;
  }
  alignas(32) static std::uint8_t loaded[64];  // ymm3 then ymm9
  alignas(32) static std::uint8_t written[32]; // what the parent puts in ymm3
  const auto initial = pattern(0x11, 64);
  const auto replacement = pattern(0xa0, 32);
  std::memcpy(loaded, initial.data(), 64);
  std::memcpy(written, replacement.data(), 32);

  ChildGuard child{fork()};
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    alignas(32) std::uint8_t seen[64];
    std::uint64_t rax = 0x1111222233334444;
    register std::uint64_t r12 asm("r12") = 0x5555666677778888;
    asm volatile("fninit\n\t"
                 "fld1\n\t"
                 "fldz\n\t"
                 "vmovdqu (%[in]), %%ymm3\n\t"
                 "vmovdqu 32(%[in]), %%ymm9\n\t"
                 "int3\n\t"
                 "vmovdqu %%ymm3, (%[out])\n\t"
                 "vmovdqu %%ymm9, 32(%[out])\n\t"
                 "fninit\n\t"
                 : "+a"(rax), "+r"(r12)
                 : [in] "r"(loaded), [out] "r"(seen)
                 : "xmm3", "xmm9", "memory");
    int code = 0;
    if (std::memcmp(seen, written, 32) != 0) code |= 1;
    if (std::memcmp(seen + 32, loaded + 32, 32) != 0) code |= 2;
    if (rax != 0x0123456789abcdef) code |= 4;
    _exit(code);
  }
  wait_for_trap(child.pid);

  RegisterFile registers(child.pid, layout);
  const unsigned xmm3 = RegisterLayout::xmm0 + 3, xmm9 = RegisterLayout::xmm0 + 9;
  const unsigned ymm3h = *layout.find("ymm3h"), ymm9h = *layout.find("ymm9h");
  CHECK(registers.read(xmm3) == std::vector<std::uint8_t>(initial.begin(), initial.begin() + 16));
  CHECK(registers.read(ymm3h) == std::vector<std::uint8_t>(initial.begin() + 16, initial.begin() + 32));
  CHECK(registers.read(xmm9) == std::vector<std::uint8_t>(initial.begin() + 32, initial.begin() + 48));
  CHECK(registers.read(ymm9h) == std::vector<std::uint8_t>(initial.begin() + 48, initial.end()));
  CHECK((registers.xstate_bv() & XsaveLayout::avx_mask) != 0);

  // x87 after fninit; fld1; fldz.
  CHECK(as_u64(registers.read(RegisterLayout::fctrl)) == 0x037f);
  CHECK((as_u64(registers.read(RegisterLayout::fstat)) >> 11 & 7) == 6);
  CHECK(as_u64(registers.read(RegisterLayout::ftag)) == 0x1fff);
  const auto one = x87_value(0x8000000000000000, 0x3fff);
  CHECK(registers.read(RegisterLayout::st0) == std::vector<std::uint8_t>(10, 0));
  CHECK(registers.read(RegisterLayout::st0 + 1) == std::vector<std::uint8_t>(one.begin(), one.end()));
  CHECK((as_u64(registers.read(RegisterLayout::mxcsr)) & 0xffc0) == 0x1f80);  // all masked

  // GPRs: the int3 left rip just past itself; 32-bit registers are the kernel fields' low half.
  CHECK(as_u64(registers.read(0)) == 0x1111222233334444);
  CHECK(as_u64(registers.read(*layout.find("r12"))) == 0x5555666677778888);
  const long word = ptrace(PTRACE_PEEKTEXT, child.pid, reinterpret_cast<void*>(registers.pc() - 1), nullptr);
  CHECK((word & 0xff) == 0xcc);
  const std::uint64_t eflags = registers.gprs().eflags & 0xffffffff;
  CHECK(as_u64(registers.read(RegisterLayout::eflags)) == eflags);
  CHECK(registers.read(RegisterLayout::eflags).size() == 4);
  CHECK(as_u64(registers.read(*layout.find("cs"))) == registers.gprs().cs);
  CHECK(as_u64(registers.read(RegisterLayout::fs_base)) == registers.gprs().fs_base);
  if (layout.has_pkeys()) CHECK(as_u64(registers.read(*layout.find("pkru"))) == read_pkru());

  // The `g` image is the registers at their offsets.
  const auto g = registers.read_all();
  REQUIRE(g.size() == layout.g_packet_size());
  for (unsigned regno = 0; regno < layout.size(); ++regno) {
    const RegisterInfo& info = layout.at(regno);
    CHECK(std::vector<std::uint8_t>(g.begin() + info.offset, g.begin() + info.offset + info.size()) ==
          registers.read(regno));
  }
  // Writing back what was read changes nothing, not even which components are live.
  const std::uint64_t bv = registers.xstate_bv();
  registers.write_all(g);
  CHECK(registers.xstate_bv() == bv);

  // A shorter `G` writes only what it covers: here rax.
  auto g_rax = std::vector<std::uint8_t>(g.begin(), g.begin() + 12);
  const std::uint64_t new_rax = 0x0123456789abcdef;
  std::memcpy(g_rax.data(), &new_rax, 8);
  registers.write_all(g_rax);
  CHECK(as_u64(registers.read(0)) == new_rax);
  CHECK(as_u64(registers.read(1)) == registers.gprs().rbx);

  registers.write(xmm3, std::vector<std::uint8_t>(replacement.begin(), replacement.begin() + 16));
  registers.write(ymm3h, std::vector<std::uint8_t>(replacement.begin() + 16, replacement.end()));
  registers.flush();
  registers.invalidate();
  CHECK(registers.read(ymm3h) == std::vector<std::uint8_t>(replacement.begin() + 16, replacement.end()));
  CHECK(as_u64(registers.read(0)) == new_rax);

  CHECK(resume_and_exit_code(child) == 0);
}

// After vzeroupper the AVX component may be in its init state (XSTATE_BV bit clear): reads
// must show zeros and a write must still reach the thread.
TEST_CASE("writing a register of a component in its init state makes the component live") {
  const RegisterLayout& layout = RegisterLayout::host();
  if (!layout.has_avx()) {
    MESSAGE("this CPU has no AVX; test skipped");
    return;
  }
  alignas(32) static std::uint8_t expected[32];
  const auto value = pattern(0x3c, 32);
  std::memcpy(expected, value.data(), 32);

  ChildGuard child{fork()};
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    alignas(32) std::uint8_t seen[32];
    asm volatile("vzeroupper\n\t"
                 "int3\n\t"
                 "vmovdqu %%ymm5, (%[out])\n\t"
                 "vzeroupper\n\t"
                 :
                 : [out] "r"(seen)
                 : "xmm5", "memory");
    _exit(std::memcmp(seen, expected, 32) == 0 ? 0 : 1);
  }
  wait_for_trap(child.pid);

  RegisterFile registers(child.pid, layout);
  const unsigned ymm5h = *layout.find("ymm5h");
  const bool was_init = !(registers.xstate_bv() & XsaveLayout::avx_mask);
  MESSAGE("AVX component " << std::string(was_init ? "was" : "was not") << " in its init state after vzeroupper");
  CHECK(registers.read(ymm5h) == std::vector<std::uint8_t>(16, 0));
  registers.write(RegisterLayout::xmm0 + 5, std::vector<std::uint8_t>(value.begin(), value.begin() + 16));
  registers.write(ymm5h, std::vector<std::uint8_t>(value.begin() + 16, value.end()));
  CHECK((registers.xstate_bv() & XsaveLayout::avx_mask) != 0);
  registers.flush();
  registers.invalidate();
  CHECK((registers.xstate_bv() & XsaveLayout::avx_mask) != 0);
  CHECK(registers.read(ymm5h) == std::vector<std::uint8_t>(value.begin() + 16, value.end()));

  CHECK(resume_and_exit_code(child) == 0);
}

TEST_CASE("x87 control registers and the tag word round-trip through the kernel") {
  const RegisterLayout& layout = RegisterLayout::host();
  ChildGuard child{fork()};
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    std::uint16_t control = 0, status = 0;
    asm volatile("fninit\n\t"
                 "fld1\n\t"
                 "int3\n\t"
                 "fnstcw %[control]\n\t"
                 "fnstsw %[status]\n\t"
                 "fninit\n\t"
                 : [control] "=m"(control), [status] "=m"(status)
                 :
                 : "memory");
    _exit(control == 0x027f ? 0 : 1);
  }
  wait_for_trap(child.pid);
  RegisterFile registers(child.pid, layout);
  CHECK(as_u64(registers.read(RegisterLayout::ftag)) == 0x3fff);  // R7 valid
  const std::uint32_t fctrl = 0x027f, ftag = 0x7fff;  // 53-bit precision; R7 special
  registers.write(RegisterLayout::fctrl, std::span(reinterpret_cast<const std::uint8_t*>(&fctrl), 4));
  registers.write(RegisterLayout::ftag, std::span(reinterpret_cast<const std::uint8_t*>(&ftag), 4));
  const std::uint32_t fop = 0xffff;  // only 11 bits exist
  registers.write(RegisterLayout::fop, std::span(reinterpret_cast<const std::uint8_t*>(&fop), 4));
  const std::uint32_t bad_mxcsr = 0xffff0000;
  CHECK_THROWS_AS(registers.write(RegisterLayout::mxcsr, std::span(reinterpret_cast<const std::uint8_t*>(&bad_mxcsr), 4)),
                  std::invalid_argument);
  registers.flush();
  registers.invalidate();
  CHECK(as_u64(registers.read(RegisterLayout::fctrl)) == 0x027f);
  // The kernel keeps only emptiness; the full tag is rebuilt from st0 = 1.0, so valid again.
  CHECK(as_u64(registers.read(RegisterLayout::ftag)) == 0x3fff);
  CHECK(as_u64(registers.read(RegisterLayout::fop)) == 0x7ff);
  CHECK(resume_and_exit_code(child) == 0);
}
