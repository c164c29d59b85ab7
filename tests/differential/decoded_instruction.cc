#include "tests/differential/decoded_instruction.h"

#include <stdexcept>

namespace xolstub::differential {
namespace {

constexpr std::uint64_t flag_tests = X86_EFLAGS_TEST_OF | X86_EFLAGS_TEST_SF | X86_EFLAGS_TEST_ZF | X86_EFLAGS_TEST_PF |
                                     X86_EFLAGS_TEST_CF | X86_EFLAGS_TEST_NT | X86_EFLAGS_TEST_DF | X86_EFLAGS_TEST_RF |
                                     X86_EFLAGS_TEST_IF | X86_EFLAGS_TEST_TF | X86_EFLAGS_TEST_AF;

bool is_string_instruction(unsigned id) {
  switch (id) {
  case X86_INS_MOVSB: case X86_INS_MOVSW: case X86_INS_MOVSD: case X86_INS_MOVSQ:
  case X86_INS_STOSB: case X86_INS_STOSW: case X86_INS_STOSD: case X86_INS_STOSQ:
  case X86_INS_LODSB: case X86_INS_LODSW: case X86_INS_LODSD: case X86_INS_LODSQ:
  case X86_INS_CMPSB: case X86_INS_CMPSW: case X86_INS_CMPSD: case X86_INS_CMPSQ:
  case X86_INS_SCASB: case X86_INS_SCASW: case X86_INS_SCASD: case X86_INS_SCASQ:
  case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
  case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
    return true;
  default:
    return false;
  }
}

bool has_memory_base(const cs_x86& x86, x86_reg base) {
  for (std::uint8_t i = 0; i < x86.op_count; ++i)
    if (x86.operands[i].type == X86_OP_MEM && x86.operands[i].mem.base == base) return true;
  return false;
}

} // namespace

bool DecodedInstruction::in_group(std::uint8_t group) const {
  for (std::uint8_t i = 0; i < detail.groups_count; ++i)
    if (detail.groups[i] == group) return true;
  return false;
}

bool DecodedInstruction::reads_flags() const {
  if (in_group(X86_GRP_JUMP) || in_group(X86_GRP_CMOV)) return true;
  switch (id) {
  case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_PUSHFQ: case X86_INS_LAHF:
  case X86_INS_LOOPE: case X86_INS_LOOPNE:
  case X86_INS_FCMOVB: case X86_INS_FCMOVBE: case X86_INS_FCMOVE: case X86_INS_FCMOVNB:
  case X86_INS_FCMOVNBE: case X86_INS_FCMOVNE: case X86_INS_FCMOVNU: case X86_INS_FCMOVU:
    return true;
  default: break;
  }
  // For x87 instructions the same field holds FPU flags instead.
  return !in_group(X86_GRP_FPU) && (x86().eflags & flag_tests) != 0;
}

bool DecodedInstruction::uses_stack() const {
  if (in_group(X86_GRP_CALL) || in_group(X86_GRP_RET)) return true;
  switch (id) {
  case X86_INS_PUSH: case X86_INS_POP: case X86_INS_PUSHF: case X86_INS_PUSHFQ: case X86_INS_PUSHFD:
  case X86_INS_POPF: case X86_INS_POPFQ: case X86_INS_POPFD: case X86_INS_ENTER: case X86_INS_LEAVE:
    return true;
  default:
    return false;
  }
}

bool DecodedInstruction::counts_with_rcx() const {
  switch (id) {
  case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE: case X86_INS_JRCXZ: case X86_INS_JECXZ:
    return true;
  default:
    return (x86().prefix[0] == X86_PREFIX_REP || x86().prefix[0] == X86_PREFIX_REPNE) && is_string_instruction(id);
  }
}

bool DecodedInstruction::rip_relative() const { return has_memory_base(x86(), X86_REG_RIP); }
bool DecodedInstruction::eip_relative() const { return has_memory_base(x86(), X86_REG_EIP); }

unsigned DecodedInstruction::displacement_offset() const {
  if (!rip_relative() && !eip_relative()) return 0;
  return x86().encoding.disp_offset;
}

Disassembler::Disassembler() {
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) != CS_ERR_OK) throw std::runtime_error("Capstone cannot open an x86-64 decoder");
  cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
  scratch_ = cs_malloc(handle_);
}

Disassembler::~Disassembler() {
  cs_free(scratch_, 1);
  cs_close(&handle_);
}

std::optional<DecodedInstruction> Disassembler::decode(std::span<const std::uint8_t> code, std::uint64_t address) const {
  const std::uint8_t* data = code.data();
  std::size_t size = code.size();
  if (!cs_disasm_iter(handle_, &data, &size, &address, scratch_)) return std::nullopt;
  DecodedInstruction out;
  out.bytes.assign(code.begin(), code.begin() + scratch_->size);
  out.text = std::string(scratch_->mnemonic) + (scratch_->op_str[0] ? " " : "") + scratch_->op_str;
  out.id = scratch_->id;
  out.detail = *scratch_->detail;
  return out;
}

} // namespace xolstub::differential
