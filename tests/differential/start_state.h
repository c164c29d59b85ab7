// The deterministic state both runs of an instruction start from: every general register a
// pointer into the pattern-filled scratch region (so memory operands through any base or index
// register land in mapped memory most of the time), the stack in it too, fs/gs bases in it (so
// fs:/gs: operands are compared like any other), vector and mask registers patterned, and a
// few variants: three flag states (every jcc condition both true and false across them), rcx
// of 0/1/2 for counting instructions, and a stack pointer into nothing or just above a guard
// page for the instructions that use the stack.
#pragma once
#include <sys/user.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/differential/decoded_instruction.h"
#include "threads/thread.h"

namespace xolstub::differential {

// eflags values (IF and the always-one bit 1 set in each):
//   none set; CF PF AF ZF SF DF OF set; CF PF SF set (SF != OF: jl taken, jg not).
inline constexpr std::array<std::uint64_t, 3> flag_states = {0x202, 0xed7, 0x287};

enum class StackKind {
  scratch,     // in the scratch region, with plausible return addresses above it
  unmapped,    // nothing mapped there
  guard_page,  // at the bottom of a page, above a PROT_NONE page: a push faults
};

struct StartVariant {
  unsigned flags_index = 0;
  std::optional<std::uint64_t> rcx;  // nullopt: a scratch pointer like the other registers
  StackKind stack = StackKind::scratch;

  std::string describe() const;
};

struct StartState {
  user_regs_struct gprs{};              // rip, eflags, rcx, rsp and rax are set per run
  std::vector<std::uint8_t> xstate;     // the whole XSAVE image (xstate_regset.h)
  std::vector<std::uint8_t> scratch;    // layout::scratch_size bytes
  std::vector<std::uint8_t> guarded_stack;  // the page above the guard page

  // The registers of one run. `runs_getpid`: the instruction is `syscall`, so rax is getpid's
  // number instead of a pointer.
  user_regs_struct registers_for(const StartVariant& variant, bool runs_getpid, std::uint64_t rip) const;
};

// Builds the state from `seed` on the sandbox's (stopped) thread, whose segment selectors are
// kept and whose vector registers get their pattern through its RegisterFile.
StartState make_start_state(std::uint64_t seed, threads::Thread& thread);

// Throws std::logic_error unless every jcc condition holds under one flag state and fails
// under another (so every conditional branch runs both taken and not taken).
void check_flag_states();

// The start states an instruction runs under. `generated`: one of the generated forms (they
// also get the bad-stack variants); `ordinal` spreads the flag states over the corpus
// instructions that do not read flags.
std::vector<StartVariant> variants_for(const DecodedInstruction& instruction, bool generated, std::size_t ordinal);

} // namespace xolstub::differential
