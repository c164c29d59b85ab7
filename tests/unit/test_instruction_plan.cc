// xol/instruction_plan: which strategy each instruction class gets, and that a relocated
// RIP-relative instruction still addresses the same memory from its slot.
#include <doctest/doctest.h>

#include <sys/user.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "xol/instruction_plan.h"

using namespace xolstub::xol;

namespace {
InstructionPlan plan_of(std::vector<std::uint8_t> bytes, std::uint64_t address = 0x401000) {
  bytes.resize(16, 0x90);
  return analyze(bytes, address);
}
std::int32_t le32(const std::uint8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
} // namespace

TEST_CASE("instruction classes get the strategy the design names") {
  CHECK(plan_of({0x90}).strategy == Strategy::emulate);                          // nop
  CHECK(plan_of({0xf3, 0x0f, 0x1e, 0xfa}).emulation == Emulation::skip);         // endbr64
  CHECK(plan_of({0xe8, 0x10, 0, 0, 0}).emulation == Emulation::call);            // call rel32
  CHECK(plan_of({0xe8, 0x10, 0, 0, 0}).target == 0x401015);
  CHECK(plan_of({0xeb, 0xfe}).emulation == Emulation::jump);                     // jmp .
  CHECK(plan_of({0x74, 0x05}).condition == 4);                                   // je
  CHECK(plan_of({0x0f, 0x8f, 1, 0, 0, 0}).condition == 0xf);                     // jg rel32
  CHECK(plan_of({0xe2, 0x02}).emulation == Emulation::loop);
  CHECK(plan_of({0xe3, 0x02}).emulation == Emulation::jump_if_rcx_zero);
  CHECK(plan_of({0x55}).strategy == Strategy::boosted);                          // push rbp
  CHECK(plan_of({0xc3}).strategy == Strategy::boosted);                          // ret
  CHECK(plan_of({0xf3, 0xa4}).strategy == Strategy::boosted);                    // rep movsb
  CHECK(plan_of({0xff, 0xd0}).fixup == Fixup::call_return);                      // call *rax
  CHECK(plan_of({0x0f, 0x05}).fixup == Fixup::syscall);
  CHECK(plan_of({0x9d}).fixup == Fixup::popf);
  CHECK(plan_of({0xcc}).strategy == Strategy::refuse);                           // int3
  CHECK(plan_of({0x0f, 0x0b}).strategy == Strategy::refuse);                     // ud2
  CHECK(plan_of({0xcd, 0x80}).strategy == Strategy::refuse);                     // int 0x80
  CHECK(plan_of({0xf4}).strategy == Strategy::refuse);                           // hlt
  CHECK(plan_of({0x66, 0xe9, 1, 0}).strategy == Strategy::refuse);               // jmp with 0x66
}

TEST_CASE("condition codes follow the flags") {
  const std::uint64_t zf = 1 << 6, cf = 1, sf = 1 << 7, of = 1 << 11;
  CHECK(condition_holds(0x4, zf));        // e
  CHECK_FALSE(condition_holds(0x5, zf));  // ne
  CHECK(condition_holds(0x2, cf));        // b
  CHECK(condition_holds(0x7, 0));         // a
  CHECK(condition_holds(0xc, sf));        // l: sf != of
  CHECK_FALSE(condition_holds(0xc, sf | of));
  CHECK(condition_holds(0xe, zf));        // le
  CHECK(condition_holds(0xf, sf | of));   // g
}

TEST_CASE("RIP-relative operands are re-encoded for the slot, in every encoding family") {
  const std::uint64_t address = 0x555555555181, slot = 0x55555555a020;
  const std::vector<std::vector<std::uint8_t>> encodings = {
      {0xc5, 0xfe, 0x6f, 0x0d, 0xf7, 0x2e, 0x00, 0x00},                          // VEX2 vmovdqu ymm1
      {0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x15, 0xe8, 0x2e, 0x00, 0x00},              // EVEX vmovdqu64 zmm2
      {0xf3, 0x0f, 0x6f, 0x25, 0xe4, 0x2e, 0x00, 0x00},                          // SSE movdqu xmm4
      {0x48, 0x8d, 0x05, 0xc8, 0x2e, 0x00, 0x00},                                // lea rax
      {0x4c, 0x8b, 0x3d, 0x10, 0x00, 0x00, 0x00},                                // mov r15 (REX.R)
      {0x81, 0x3d, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12},              // cmp dword, imm32
      {0xc4, 0xe2, 0x79, 0x18, 0x05, 0x20, 0x00, 0x00, 0x00},                    // VEX3 vbroadcastss
  };
  for (const auto& bytes : encodings) {
    std::vector<std::uint8_t> padded = bytes;
    padded.resize(16, 0x90);
    InstructionPlan plan = analyze(padded, address);
    CAPTURE(plan.text);
    REQUIRE(plan.strategy == Strategy::boosted);
    REQUIRE(plan.rip_relative);
    CHECK(plan.length == bytes.size());
    std::vector<std::uint8_t> out = build_slot(plan, padded, address, slot);
    REQUIRE(out.size() == plan.length + 5);
    std::uint64_t operand = address + plan.length + le32(&padded[plan.displacement_offset]);
    CHECK(slot + plan.length + le32(&out[plan.displacement_offset]) == operand);
    // Everything but the displacement is the original instruction (immediates included).
    for (std::size_t i = 0; i < plan.length; ++i)
      if (i < plan.displacement_offset || i >= plan.displacement_offset + 4) CHECK(out[i] == padded[i]);
    CHECK(out[plan.length] == 0xe9);
    CHECK(slot + plan.length + 5 + le32(&out[plan.length + 1]) == address + plan.length);
  }
}

TEST_CASE("a slot out of reach is refused, never built wrong") {
  std::vector<std::uint8_t> lea = {0x48, 0x8d, 0x05, 0x00, 0x00, 0x00, 0x00};
  lea.resize(16, 0x90);
  InstructionPlan plan = analyze(lea, 0x400000);
  CHECK_THROWS_AS(build_slot(plan, lea, 0x400000, 0x7f0000000000), std::runtime_error);
}

// Found by the differential runner (tests/differential): each of these ran differently out of
// line than in place.

TEST_CASE("an EIP-relative operand (address-size prefix) is re-encoded modulo 4 GiB") {
  // 67 8d 05 disp32: lea eax, [eip + disp32]. Copied unchanged, it addressed memory relative to
  // the slot.
  const std::uint64_t address = 0x555555555181, slot = 0x55555555a020;
  std::vector<std::uint8_t> bytes = {0x67, 0x8d, 0x05, 0x10, 0x20, 0x30, 0x40};
  bytes.resize(16, 0x90);
  InstructionPlan plan = analyze(bytes, address);
  REQUIRE(plan.strategy == Strategy::boosted);
  CHECK(plan.rip_relative);
  CHECK(plan.eip_relative);
  CHECK(plan.displacement_offset == 3);
  std::vector<std::uint8_t> out = build_slot(plan, bytes, address, slot);
  const auto operand = static_cast<std::uint32_t>(address + plan.length + le32(&bytes[3]));
  CHECK(static_cast<std::uint32_t>(slot + plan.length + le32(&out[3])) == operand);
}

TEST_CASE("loop and jrcxz with an operand-size prefix are refused, as other relative branches are") {
  // AMD truncates the target to 16 bits, Intel ignores the prefix: only the CPU knows.
  CHECK(plan_of({0x66, 0xe2, 0x10}).strategy == Strategy::refuse);
  CHECK(plan_of({0x66, 0xe3, 0x10}).strategy == Strategy::refuse);
  CHECK(plan_of({0x67, 0xe2, 0x10}).emulation == Emulation::loop);  // address-size: ecx, still emulated
}

TEST_CASE("loop with ecx clears the upper half of rcx, as a 32-bit register write does") {
  InstructionPlan plan = plan_of({0x67, 0xe2, 0x10});  // loop with ecx, to 0x401013
  user_regs_struct regs{};
  regs.rcx = 0x200000000005;
  CHECK_FALSE(emulate_registers(plan, 0x401000, regs));
  CHECK(regs.rcx == 4);
  CHECK(regs.rip == 0x401013);
  regs.rcx = 0x200000000001;
  emulate_registers(plan, 0x401000, regs);
  CHECK(regs.rcx == 0);
  CHECK(regs.rip == 0x401003);
}

TEST_CASE("an emulated call leaves the push to the engine, which steps in place if it would fault") {
  InstructionPlan plan = plan_of({0xe8, 0x10, 0, 0, 0});
  user_regs_struct regs{};
  regs.rsp = 0x7ffe0000;
  std::optional<std::uint64_t> pushed = emulate_registers(plan, 0x401000, regs);
  REQUIRE(pushed);
  CHECK(*pushed == 0x401005);
  CHECK(regs.rsp == 0x7ffdfff8);
  CHECK(regs.rip == 0x401015);
}

TEST_CASE("x87 instructions are stepped in the slot, so the x87 instruction pointer can be put back") {
  CHECK(plan_of({0xdd, 0xd8}).fixup == Fixup::x87_pointer);                 // fstp st(0)
  CHECK(plan_of({0xdb, 0xc4}).fixup == Fixup::x87_pointer);                 // fcmovnb st(0), st(4)
  CHECK(plan_of({0xdd, 0x05, 0, 0, 0, 0}).strategy == Strategy::step_fixup);  // fld qword [rip]
  CHECK(plan_of({0xc5, 0xf9, 0xd8, 0xc1}).strategy == Strategy::boosted);   // vpsubusb: opcode d8, VEX
}
