#include "xol/instruction_plan.h"

#include <capstone/capstone.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace xolstub::xol {
namespace {

// One Capstone handle for the process: the stub has one thread.
csh capstone() {
  static csh handle = [] {
    csh h = 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) throw std::runtime_error("Capstone cannot decode x86-64");
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    return h;
  }();
  return handle;
}

struct Decoded {
  cs_insn* insn = nullptr;
  ~Decoded() {
    if (insn) cs_free(insn, 1);
  }
};

bool in_group(const cs_insn& insn, std::uint8_t group) {
  const cs_detail& d = *insn.detail;
  for (std::uint8_t i = 0; i < d.groups_count; ++i)
    if (d.groups[i] == group) return true;
  return false;
}

bool has_prefix(const cs_x86& x86, std::uint8_t prefix) {
  for (std::uint8_t p : x86.prefix)
    if (p == prefix) return true;
  return false;
}

std::int32_t read_le32(const std::uint8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

bool fits_int32(std::int64_t value) { return value >= INT32_MIN && value <= INT32_MAX; }

InstructionPlan refused(InstructionPlan plan, std::string why) {
  plan.strategy = Strategy::refuse;
  plan.refusal = std::move(why);
  return plan;
}

} // namespace

const char* InstructionPlan::strategy_name() const {
  switch (strategy) {
  case Strategy::emulate: return "emulated";
  case Strategy::boosted: return "boosted";
  case Strategy::step_fixup: return "stepped";
  case Strategy::refuse: return "refused";
  }
  return "?";
}

bool condition_holds(unsigned condition, std::uint64_t eflags) {
  bool cf = eflags & (1u << 0), pf = eflags & (1u << 2), zf = eflags & (1u << 6);
  bool sf = eflags & (1u << 7), of = eflags & (1u << 11);
  bool result = false;
  switch (condition >> 1) {
  case 0: result = of; break;              // o / no
  case 1: result = cf; break;              // b / ae
  case 2: result = zf; break;              // e / ne
  case 3: result = cf || zf; break;        // be / a
  case 4: result = sf; break;              // s / ns
  case 5: result = pf; break;              // p / np
  case 6: result = sf != of; break;        // l / ge
  case 7: result = zf || sf != of; break;  // le / g
  }
  return (condition & 1) ? !result : result;
}

std::optional<std::uint64_t> emulate_registers(const InstructionPlan& plan, std::uint64_t address, user_regs_struct& regs) {
  const std::uint64_t next = address + plan.length;
  switch (plan.emulation) {
  case Emulation::skip: regs.rip = next; break;
  case Emulation::jump: regs.rip = plan.target; break;
  case Emulation::conditional_jump: regs.rip = condition_holds(plan.condition, regs.eflags) ? plan.target : next; break;
  case Emulation::call:
    regs.rsp -= 8;
    regs.rip = plan.target;
    return next;
  case Emulation::loop: {
    // With 0x67 the counter is ecx, and writing it clears rcx's upper half, as any write of a
    // 32-bit register does.
    std::uint64_t count = plan.short_counter ? ((regs.rcx - 1) & 0xffffffffu) : regs.rcx - 1;
    regs.rcx = count;
    bool zf = regs.eflags & (1u << 6);
    bool taken = count != 0 && (plan.loop_kind == 0xe2 || (plan.loop_kind == 0xe1 ? zf : !zf));
    regs.rip = taken ? plan.target : next;
    break;
  }
  case Emulation::jump_if_rcx_zero: {
    std::uint64_t count = plan.short_counter ? (regs.rcx & 0xffffffffu) : regs.rcx;
    regs.rip = count == 0 ? plan.target : next;
    break;
  }
  case Emulation::none: break;
  }
  return std::nullopt;
}

InstructionPlan analyze(std::span<const std::uint8_t> bytes, std::uint64_t address) {
  InstructionPlan plan;
  Decoded decoded;
  if (cs_disasm(capstone(), bytes.data(), bytes.size(), address, 1, &decoded.insn) != 1)
    return refused(plan, "Capstone cannot decode it");
  const cs_insn& insn = *decoded.insn;
  const cs_x86& x86 = insn.detail->x86;
  plan.length = insn.size;
  plan.text = std::string(insn.mnemonic) + (insn.op_str[0] ? " " : "") + insn.op_str;

  for (std::uint8_t i = 0; i < x86.op_count; ++i) {
    if (x86.operands[i].type != X86_OP_MEM) continue;
    // With an address-size prefix the operand is [eip + disp32]: still relative to where the
    // instruction runs, so it is re-encoded too.
    if (x86.operands[i].mem.base == X86_REG_RIP) plan.rip_relative = true;
    if (x86.operands[i].mem.base == X86_REG_EIP) plan.rip_relative = plan.eip_relative = true;
  }
  if (plan.rip_relative) {
    for (std::size_t p = 1; p + 4 <= plan.length; ++p)
      if (bytes[p - 1] == x86.modrm && (x86.modrm & 0xc7) == 0x05 && read_le32(&bytes[p]) == static_cast<std::int32_t>(x86.disp)) {
        plan.displacement_offset = p;
        break;
      }
    if (plan.displacement_offset == 0) return refused(plan, "RIP-relative operand whose displacement was not found");
  }

  switch (insn.id) {
  case X86_INS_INT3: case X86_INS_INT: case X86_INS_INT1: case X86_INS_INTO:
  case X86_INS_UD2: case X86_INS_UD0:
  case X86_INS_HLT: case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
  case X86_INS_SYSENTER: case X86_INS_SYSEXIT: case X86_INS_SYSRET:
  case X86_INS_CLI: case X86_INS_STI:
  case X86_INS_XBEGIN: case X86_INS_XEND: case X86_INS_XABORT:
    return refused(plan, "traps, is privileged or transactional: only runs in place");
  case X86_INS_NOP: case X86_INS_ENDBR64: case X86_INS_ENDBR32: case X86_INS_PAUSE:
    plan.strategy = Strategy::emulate;
    plan.emulation = Emulation::skip;
    return plan;
  case X86_INS_SYSCALL:
    plan.strategy = Strategy::step_fixup;
    plan.fixup = Fixup::syscall;
    return plan;
  case X86_INS_POPF: case X86_INS_POPFQ:
    plan.strategy = Strategy::step_fixup;
    plan.fixup = Fixup::popf;
    return plan;
  case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
    // As for other relative branches below: AMD truncates the target to 16 bits, Intel does not.
    if (has_prefix(x86, 0x66)) return refused(plan, "relative branch with an operand-size prefix");
    plan.strategy = Strategy::emulate;
    plan.emulation = Emulation::loop;
    plan.loop_kind = x86.opcode[0];
    plan.short_counter = x86.addr_size == 4;
    plan.target = static_cast<std::uint64_t>(x86.operands[0].imm);
    return plan;
  case X86_INS_JRCXZ: case X86_INS_JECXZ:
    if (has_prefix(x86, 0x66)) return refused(plan, "relative branch with an operand-size prefix");
    plan.strategy = Strategy::emulate;
    plan.emulation = Emulation::jump_if_rcx_zero;
    plan.short_counter = insn.id == X86_INS_JECXZ;
    plan.target = static_cast<std::uint64_t>(x86.operands[0].imm);
    return plan;
  default: break;
  }
  if (in_group(insn, X86_GRP_PRIVILEGE) || (in_group(insn, X86_GRP_INT)))
    return refused(plan, "privileged or an interrupt: only runs in place");
  if (x86.op_count >= 1 && insn.detail->x86.operands[0].type == X86_OP_REG &&
      insn.detail->x86.operands[0].reg == X86_REG_SS)
    return refused(plan, "writes ss: the interrupt shadow would swallow the step");

  if (in_group(insn, X86_GRP_BRANCH_RELATIVE)) {
    // Intel and AMD disagree about an operand-size prefix on a 64-bit branch.
    if (has_prefix(x86, 0x66)) return refused(plan, "relative branch with an operand-size prefix");
    plan.strategy = Strategy::emulate;
    plan.target = static_cast<std::uint64_t>(x86.operands[0].imm);
    if (insn.id == X86_INS_JMP) {
      plan.emulation = Emulation::jump;
    } else if (insn.id == X86_INS_CALL) {
      plan.emulation = Emulation::call;
    } else {
      plan.emulation = Emulation::conditional_jump;
      plan.condition = (x86.opcode[0] == 0x0f ? x86.opcode[1] : x86.opcode[0]) & 0x0f;
    }
    return plan;
  }
  if (in_group(insn, X86_GRP_CALL)) {
    plan.strategy = Strategy::step_fixup;
    plan.fixup = Fixup::call_return;
    return plan;
  }
  // An x87 instruction (escape opcodes d8-df; Capstone 4 leaves many out of its FPU group)
  // records its own address as the last x87 instruction pointer (FIP); run from a slot, that
  // would be the slot's. Intel CPUs always save it, AMD ones while an exception is pending.
  if (x86.opcode[0] >= 0xd8 && x86.opcode[0] <= 0xdf) {
    plan.strategy = Strategy::step_fixup;
    plan.fixup = Fixup::x87_pointer;
    return plan;
  }
  // Everything else leaves no trace of where it ran once RIP-relative operands are
  // re-encoded: ret, indirect jmp, rep string instructions, SSE/AVX/AVX-512, ...
  plan.strategy = Strategy::boosted;
  return plan;
}

std::vector<std::uint8_t> build_slot(const InstructionPlan& plan, std::span<const std::uint8_t> bytes,
                                     std::uint64_t address, std::uint64_t slot) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(plan.length));
  const std::uint64_t original_next = address + plan.length;
  const std::uint64_t slot_next = slot + plan.length;
  if (plan.rip_relative) {
    std::int64_t old_disp = read_le32(&bytes[plan.displacement_offset]);
    // [eip + disp32] addresses the low 4 GiB, so any displacement reaches: all arithmetic wraps.
    const std::uint64_t wrap = plan.eip_relative ? 0xffffffffull : ~0ull;
    std::uint64_t operand = (original_next + static_cast<std::uint64_t>(old_disp)) & wrap;
    std::int64_t new_disp = plan.eip_relative ? static_cast<std::int32_t>(static_cast<std::uint32_t>(operand - slot_next))
                                              : static_cast<std::int64_t>(operand - slot_next);
    if (!fits_int32(new_disp)) throw std::runtime_error("the slot is out of RIP-relative reach of " + plan.text);
    std::int32_t disp32 = static_cast<std::int32_t>(new_disp);
    std::memcpy(&out[plan.displacement_offset], &disp32, 4);

    // Re-decode what we wrote: the relocated copy must be the same instruction, same operand.
    Decoded check;
    if (cs_disasm(capstone(), out.data(), out.size(), slot, 1, &check.insn) != 1 || check.insn->size != plan.length ||
        ((slot_next + static_cast<std::uint64_t>(check.insn->detail->x86.disp)) & wrap) != operand)
      throw std::runtime_error("relocating " + plan.text + " did not give the same instruction");
  }
  // Both kinds end in `jmp original_next`: a boosted copy runs on through it, a stepped one stops
  // before it, and a thread that starts life in the slot (the child of a `clone` syscall
  // stepped here) or a step reported one instruction late still ends up in the program's code.
  std::int64_t rel = static_cast<std::int64_t>(original_next - (slot_next + 5));
  if (!fits_int32(rel)) throw std::runtime_error("the slot is out of jmp reach of " + plan.text);
  std::int32_t rel32 = static_cast<std::int32_t>(rel);
  out.push_back(0xe9);
  std::uint8_t raw[4];
  std::memcpy(raw, &rel32, 4);
  out.insert(out.end(), raw, raw + 4);
  return out;
}

} // namespace xolstub::xol
