// How the instruction under a breakpoint is got past out of line, decided once per site with
// Capstone (see ../shared research xol.md §5.3, and docs/architecture.md "XOL").
//
//   emulate    — never executed: nop/endbr64, relative jmp/jcc/call/loop/jrcxz; the stub
//                computes the registers the instruction would leave.
//   boosted    — a relocated copy (RIP-relative displacement re-encoded for the slot's address)
//                followed by `jmp original_next` runs at full speed: the int3 is the only trap.
//   step_fixup — the copy is single-stepped in the slot and the stub fixes what it saw from
//                there: the return address of an indirect call, rcx after `syscall`, TF after
//                `popf`, the x87 last-instruction pointer after an x87 instruction.
//   refuse     — cannot run anywhere but in place (int3, int n, ud2, privileged, undecodable,
//                RTM, interrupt shadows): the stop-everything fallback steps it in place.
#pragma once
#include <sys/user.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xolstub::xol {

enum class Strategy { emulate, boosted, step_fixup, refuse };

enum class Emulation {
  none,
  skip,              // nop, endbr64, pause: rip = next
  jump,              // jmp rel: rip = target
  conditional_jump,  // jcc rel: rip = target if `condition` holds on eflags
  call,              // call rel32: push next, rip = target
  loop,              // loop/loope/loopne rel8: rcx -= 1 then test
  jump_if_rcx_zero,  // jrcxz / jecxz
};

enum class Fixup {
  none,
  call_return,  // an indirect call pushed slot_next: make it original_next
  syscall,      // syscall put slot_next in rcx: make it original_next
  popf,         // the single-step's TF must not stay in eflags unless the program set it
  x87_pointer,  // an x87 instruction recorded the slot as the last x87 instruction's address
                // (FIP, which FXSAVE/XSAVE and so GDB's fioff/fiseg and signal frames show):
                // make it the site
};

struct InstructionPlan {
  Strategy strategy = Strategy::refuse;
  std::size_t length = 0;
  std::string text;               // "mnemonic operands", for --debug and monitor xol
  std::string refusal;            // why, when refused
  Emulation emulation = Emulation::none;
  std::uint64_t target = 0;       // relative branch target
  unsigned condition = 0;         // jcc: low nibble of the opcode (0 = o, 4 = e, ...)
  unsigned loop_kind = 0;         // loop: 0xe0 loopne, 0xe1 loope, 0xe2 loop
  bool short_counter = false;     // 0x67 prefix: loop/jrcxz use ecx
  bool rip_relative = false;
  bool eip_relative = false;      // [eip + disp32] (0x67 prefix): the sum wraps at 4 GiB
  std::size_t displacement_offset = 0;  // where the disp32 sits in the instruction
  Fixup fixup = Fixup::none;

  const char* strategy_name() const;
};

// Decodes the instruction at the start of `bytes` (the original bytes, never our int3), which
// the program has at `address`.
InstructionPlan analyze(std::span<const std::uint8_t> bytes, std::uint64_t address);

// Does the condition code of a jcc (its low opcode nibble) hold for these flags?
bool condition_holds(unsigned condition, std::uint64_t eflags);

// What an emulated instruction at `address` does to the registers (rip, and rcx or rsp), done
// to `regs`. For a call, returns the return address to be stored at the new rsp: the caller
// stores it, and if the program could not have (the push would fault), steps the instruction
// instead and leaves `regs` unused.
std::optional<std::uint64_t> emulate_registers(const InstructionPlan& plan, std::uint64_t address, user_regs_struct& regs);

// The bytes of the slot at `slot` for an instruction the program has at `address`: the
// relocated instruction, then `jmp address+length` (boosted) or an int3 guard (step_fixup).
// Throws std::runtime_error when a displacement cannot reach from the slot.
std::vector<std::uint8_t> build_slot(const InstructionPlan& plan, std::span<const std::uint8_t> bytes,
                                     std::uint64_t address, std::uint64_t slot);

inline constexpr std::size_t slot_size = 32;  // 15-byte instruction + 5-byte jmp, rounded up

} // namespace xolstub::xol
