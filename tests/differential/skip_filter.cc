#include "tests/differential/skip_filter.h"

namespace xolstub::differential {
namespace {

bool is_segment_register(x86_reg reg) {
  return reg == X86_REG_CS || reg == X86_REG_DS || reg == X86_REG_ES || reg == X86_REG_FS || reg == X86_REG_GS ||
         reg == X86_REG_SS;
}

// mov sreg, r/m and pop fs/gs: the first operand is the segment register written.
bool loads_segment_register(const DecodedInstruction& instruction) {
  if (instruction.id != X86_INS_MOV && instruction.id != X86_INS_POP) return false;
  const cs_x86& x86 = instruction.x86();
  return x86.op_count >= 1 && x86.operands[0].type == X86_OP_REG && is_segment_register(x86.operands[0].reg);
}

} // namespace

std::optional<std::string_view> skip_reason(const DecodedInstruction& instruction) {
  switch (instruction.id) {
  // Their results differ between any two runs, in place or not.
  case X86_INS_RDTSC: case X86_INS_RDTSCP: case X86_INS_RDRAND: case X86_INS_RDSEED:
    return "reads a clock or a random number generator (no two runs agree)";
  // System calls through the 32-bit ABI, with pointers from the pattern as arguments (rax is
  // a pointer too, except for `syscall`, which always runs getpid).
  case X86_INS_SYSENTER:
    return "a system call other than getpid (sysenter, int 0x80)";
  case X86_INS_INT:
    if (instruction.x86().op_count == 1 && instruction.x86().operands[0].imm == 0x80)
      return "a system call other than getpid (sysenter, int 0x80)";
    return std::nullopt;
  // A far return or jump with a code selector from the pattern could leave the sandbox in
  // 32-bit mode.
  case X86_INS_LJMP: case X86_INS_LCALL: case X86_INS_RETF: case X86_INS_RETFQ:
  case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
    return "far control transfer (could switch the sandbox to another code segment)";
  case X86_INS_LSS: case X86_INS_LFS: case X86_INS_LGS:
    return "loads a segment register";
  // Only meaningful inside a transaction; with RTM, xbegin's fallback path is another branch.
  case X86_INS_XBEGIN: case X86_INS_XEND: case X86_INS_XABORT: case X86_INS_XTEST:
    return "transactional memory (RTM)";
  case X86_INS_ENCLS: case X86_INS_ENCLU:
    return "SGX enclave instruction";
  // With UMIP the kernel emulates these and resumes after them without the single-step trap:
  // in place, the step runs on into the next instruction (out of line, into the slot's jmp).
  case X86_INS_SGDT: case X86_INS_SIDT: case X86_INS_SLDT: case X86_INS_SMSW: case X86_INS_STR:
    return "emulated by the kernel under UMIP (a single-step runs on past it)";
  // Can wait for a store that never comes.
  case X86_INS_MONITOR: case X86_INS_MWAIT:
    return "monitor/mwait (could wait)";
  default: break;
  }
  if (loads_segment_register(instruction)) return "loads a segment register";
  // vmcall/vmmcall from user mode reach the hypervisor this machine may run under.
  if (instruction.in_group(X86_GRP_VM)) return "hypervisor or virtualization instruction";
  return std::nullopt;
}

} // namespace xolstub::differential
