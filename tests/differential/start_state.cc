#include "tests/differential/start_state.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tests/differential/layout.h"
#include "tests/differential/xstate_regset.h"
#include "threads/register_layout.h"
#include "xol/instruction_plan.h"

namespace xolstub::differential {
namespace {

// splitmix64: small, seedable, and the same on every machine.
struct Pattern {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  void fill(std::uint8_t* out, std::size_t size) {
    for (std::size_t i = 0; i < size; i += 8) {
      std::uint64_t v = next();
      std::memcpy(out + i, &v, std::min<std::size_t>(8, size - i));
    }
  }
};

void store64(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t value) {
  std::memcpy(bytes.data() + offset, &value, 8);
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

bool is_vector_component(unsigned component) {
  using threads::XsaveLayout;
  return component == XsaveLayout::sse || component == XsaveLayout::avx || component == XsaveLayout::opmask ||
         component == XsaveLayout::zmm_hi256 || component == XsaveLayout::hi16_zmm;
}

// xmm0-7 and their upper parts hold small dwords (multiples of 8 below 16 KiB), so that a
// gather or scatter indexed by them lands in the scratch region; the rest hold noise.
bool holds_small_dwords(const threads::RegisterInfo& info) {
  if (info.component == threads::XsaveLayout::opmask || info.component == threads::XsaveLayout::hi16_zmm) return false;
  std::size_t digit = info.name.find_first_of("0123456789");
  return digit != std::string::npos && std::stoul(info.name.substr(digit)) < 8;  // "ymm3h" -> 3
}

} // namespace

std::string StartVariant::describe() const {
  std::string out = "eflags=" + hex(flag_states.at(flags_index));
  if (rcx) out += " rcx=" + hex(*rcx);
  if (stack == StackKind::unmapped) out += " rsp=unmapped";
  if (stack == StackKind::guard_page) out += " rsp=above-guard-page";
  return out;
}

user_regs_struct StartState::registers_for(const StartVariant& variant, bool runs_getpid, std::uint64_t rip) const {
  user_regs_struct regs = gprs;
  regs.rip = rip;
  regs.eflags = flag_states.at(variant.flags_index);
  if (runs_getpid) regs.rax = SYS_getpid;
  if (variant.rcx) regs.rcx = *variant.rcx;
  switch (variant.stack) {
  case StackKind::scratch: regs.rsp = layout::stack_pointer; break;
  case StackKind::unmapped: regs.rsp = layout::unmapped_stack; break;
  case StackKind::guard_page: regs.rsp = layout::guarded_stack; break;
  }
  return regs;
}

StartState make_start_state(std::uint64_t seed, threads::Thread& thread) {
  Pattern pattern{seed};
  StartState state;

  state.scratch.resize(layout::scratch_size);
  pattern.fill(state.scratch.data(), state.scratch.size());
  // Above the stack pointer: what ret, pop and popf find. A canonical address in the code page
  // (ret lands somewhere mapped; as eflags it sets CF and TF), a scratch pointer, then noise.
  const std::size_t sp = layout::stack_pointer - layout::scratch;
  store64(state.scratch, sp, layout::code_page + 0x123);
  store64(state.scratch, sp + 8, layout::scratch + 0x2345);
  state.guarded_stack.resize(layout::page);
  pattern.fill(state.guarded_stack.data(), state.guarded_stack.size());
  store64(state.guarded_stack, 0, layout::code_page + 0x321);

  threads::RegisterFile& registers = thread.registers();
  user_regs_struct& regs = state.gprs;
  regs = registers.gprs();  // segment selectors as the kernel gave them
  const std::uint64_t s = layout::scratch;
  regs.rax = s + 0x1000;
  regs.rbx = s + 0x1800;
  regs.rcx = s + 0x2000;
  regs.rdx = s + 0x2800;
  regs.rsi = s + 0x3000;
  regs.rdi = s + 0x3800;
  regs.rbp = s + 0x4000;
  regs.r8 = s + 0x4800;
  regs.r9 = s + 0x5000;
  regs.r10 = s + 0x5800;
  regs.r11 = s + 0x6000;
  regs.r12 = s + 0x6800;
  regs.r13 = s + 0x7000;
  regs.r14 = s + 0x7800;
  regs.r15 = s + 0x8000;
  regs.fs_base = s + 0x9000;
  regs.gs_base = s + 0xa000;
  regs.orig_rax = static_cast<std::uint64_t>(-1);  // not in a system call: nothing to restart

  // Vector and mask registers through the stub's own register code, then the image as a whole,
  // with every component marked in use.
  for (unsigned regno = 0; regno < registers.layout().size(); ++regno) {
    const threads::RegisterInfo& info = registers.layout().at(regno);
    if (info.storage != threads::RegisterStorage::xstate || !is_vector_component(info.component)) continue;
    std::vector<std::uint8_t> value(info.size());
    pattern.fill(value.data(), value.size());
    if (holds_small_dwords(info))
      for (std::size_t i = 0; i + 4 <= value.size(); i += 4) {
        std::uint32_t dword = static_cast<std::uint32_t>(pattern.next() & 0x3ff8);
        std::memcpy(value.data() + i, &dword, 4);
      }
    registers.write(regno, value);
  }
  registers.flush();
  registers.invalidate();
  state.xstate = read_xstate(thread.tid);
  const threads::XsaveLayout& xsave = threads::XsaveLayout::host();
  std::uint64_t in_use = 0;
  for (unsigned c : {threads::XsaveLayout::x87, threads::XsaveLayout::sse, threads::XsaveLayout::avx,
                     threads::XsaveLayout::opmask, threads::XsaveLayout::zmm_hi256, threads::XsaveLayout::hi16_zmm})
    if (xsave.has(c)) in_use |= std::uint64_t{1} << c;
  std::uint64_t bv = 0;
  std::memcpy(&bv, state.xstate.data() + threads::XsaveLayout::xstate_bv_offset, 8);
  bv |= in_use;
  std::memcpy(state.xstate.data() + threads::XsaveLayout::xstate_bv_offset, &bv, 8);
  // x87 invalid-operation exceptions unmasked: an x87 instruction on the empty stack then leaves
  // one pending, and with it the x87 last-instruction pointer, which AMD CPUs save (and so
  // show) only while an exception is pending, Intel ones always.
  const std::uint16_t fcw = 0x037e;
  std::memcpy(state.xstate.data(), &fcw, 2);
  return state;
}

void check_flag_states() {
  for (unsigned condition = 0; condition < 16; ++condition) {
    unsigned held = 0;
    for (std::uint64_t flags : flag_states) held += xol::condition_holds(condition, flags) ? 1 : 0;
    if (held == 0 || held == flag_states.size())
      throw std::logic_error("the flag states never make jcc condition " + std::to_string(condition) +
                             (held ? " false" : " true") + ": fix flag_states in start_state.h");
  }
}

std::vector<StartVariant> variants_for(const DecodedInstruction& instruction, bool generated, std::size_t ordinal) {
  std::vector<unsigned> flag_indexes;
  if (instruction.reads_flags())
    flag_indexes = {0, 1, 2};
  else
    flag_indexes = {static_cast<unsigned>(ordinal % flag_states.size())};
  std::vector<std::optional<std::uint64_t>> counts = {std::nullopt};
  if (instruction.counts_with_rcx()) counts = {std::nullopt, 0, 1, 2};

  std::vector<StartVariant> variants;
  for (unsigned flags : flag_indexes)
    for (const auto& rcx : counts) variants.push_back({flags, rcx, StackKind::scratch});
  if (generated && instruction.uses_stack()) {
    variants.push_back({0, std::nullopt, StackKind::unmapped});
    variants.push_back({0, std::nullopt, StackKind::guard_page});
  }
  return variants;
}

} // namespace xolstub::differential
