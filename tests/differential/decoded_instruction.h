// The runner's own decode of an instruction (Capstone, a handle separate from xol/'s planner):
// what it is and what it uses implicitly, so that the right start states are chosen, dangerous
// instructions are skipped, and a RIP-relative displacement can be pointed at the scratch data.
#pragma once
#include <capstone/capstone.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xolstub::differential {

struct DecodedInstruction {
  std::vector<std::uint8_t> bytes;  // exactly the instruction
  std::string text;                 // "mnemonic operands"
  unsigned id = X86_INS_INVALID;    // x86_insn
  cs_detail detail{};

  const cs_x86& x86() const { return detail.x86; }
  bool in_group(std::uint8_t group) const;
  // Decides a jcc, cmovcc, setcc, adc, pushf, loope, ...: worth running under every flag state.
  bool reads_flags() const;
  // push/pop/call/ret/enter/leave/pushf/popf: worth running with a bad stack too.
  bool uses_stack() const;
  // loop, jrcxz, rep-prefixed string instructions: worth running with rcx = 0, 1, 2.
  bool counts_with_rcx() const;
  bool rip_relative() const;  // a [rip + disp32] operand
  bool eip_relative() const;  // a [eip + disp32] operand (address-size prefix)
  // Where the disp32 of a RIP/EIP-relative operand sits in `bytes`; 0 when there is none.
  unsigned displacement_offset() const;
};

class Disassembler {
public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // The first instruction of `code` as if it were at `address`; nullopt when Capstone cannot
  // decode it.
  std::optional<DecodedInstruction> decode(std::span<const std::uint8_t> code, std::uint64_t address) const;

private:
  csh handle_ = 0;
  cs_insn* scratch_ = nullptr;
};

} // namespace xolstub::differential
