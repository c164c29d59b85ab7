#include "xol/step_over_engine.h"

#include <csignal>
#include <cstring>
#include <sstream>

#include "threads/event_log.h"
#include "threads/ptrace_ops.h"

namespace xolstub::xol {

using threads::Settled;
using threads::StepOverStart;

StepOverEngine::StepOverEngine(threads::Inferior& inferior, CodeReader read_code)
    : inferior_(inferior), read_code_(std::move(read_code)), areas_(inferior.pid()) {}

std::shared_ptr<StepOverEngine::SitePlan> StepOverEngine::plan_for(std::uint64_t address, threads::Thread& thread) {
  auto& entry = plans_[address];
  if (entry) return entry;
  entry = std::make_shared<SitePlan>();
  SitePlan& site = *entry;
  site.code = read_code_(address, 16);
  site.plan = analyze(site.code, address);
  if (site.plan.strategy == Strategy::boosted || site.plan.strategy == Strategy::step_fixup) {
    try {
      std::uint64_t slot = areas_.allocate(address, slot_size, thread, memory());
      std::vector<std::uint8_t> bytes = build_slot(site.plan, site.code, address, slot);
      if (memory().write(slot, bytes) != bytes.size()) throw std::runtime_error("cannot write the slot");
      site.slot = slot;
    } catch (const std::exception& error) {
      site.fallback_reason = error.what();
    }
  } else if (site.plan.strategy == Strategy::refuse) {
    site.fallback_reason = site.plan.refusal;
  }
  if (threads::event_log_enabled())
    threads::log_event("xol: site " + std::to_string(address) + " `" + site.plan.text + "` " +
                       site.plan.strategy_name() + (site.fallback_reason.empty() ? "" : " -> in place: " + site.fallback_reason));
  return entry;
}

void StepOverEngine::emulate(const SitePlan& site, std::uint64_t address, threads::Thread& thread) {
  const InstructionPlan& plan = site.plan;
  user_regs_struct& regs = thread.registers().gprs();
  const std::uint64_t next = address + plan.length;
  switch (plan.emulation) {
  case Emulation::skip: regs.rip = next; break;
  case Emulation::jump: regs.rip = plan.target; break;
  case Emulation::conditional_jump: regs.rip = condition_holds(plan.condition, regs.eflags) ? plan.target : next; break;
  case Emulation::call: {
    std::uint64_t sp = regs.rsp - 8;
    std::uint8_t raw[8];
    std::memcpy(raw, &next, 8);
    if (memory().write(sp, raw) != 8) throw std::runtime_error("the stack is not writable for an emulated call");
    regs.rsp = sp;
    regs.rip = plan.target;
    break;
  }
  case Emulation::loop: {
    std::uint64_t count = plan.short_counter ? ((regs.rcx - 1) & 0xffffffffu) : regs.rcx - 1;
    regs.rcx = plan.short_counter ? ((regs.rcx & ~0xffffffffull) | count) : count;
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
  thread.registers().mark_gprs_dirty();
}

// A signal about to be delivered from a slot names the slot as the faulting instruction
// (si_addr of SIGILL, SIGFPE, SIGTRAP, and SIGSEGV/SIGBUS on an instruction fetch): name the
// original instead, so no signal frame ever holds a slot address.
void StepOverEngine::hide_slot_in_siginfo(pid_t tid, std::uint64_t slot, std::uint64_t site) {
  siginfo_t info{};
  if (!threads::ptrace_siginfo(tid, &info)) return;  // an interrupt or event stop: no signal
  auto address = reinterpret_cast<std::uint64_t>(info.si_addr);
  if (address < slot || address >= slot + slot_size) return;
  info.si_addr = reinterpret_cast<void*>(site + (address - slot));
  threads::ptrace_set_siginfo(tid, &info);
}

StepOverStart StepOverEngine::start(threads::Thread& thread) {
  std::uint64_t address = thread.registers().pc();
  std::shared_ptr<SitePlan> plan = plan_for(address, thread);
  SitePlan& site = *plan;
  if (site.plan.strategy == Strategy::emulate) {
    emulate(site, address, thread);
    ++counters_.emulated;
    return {StepOverStart::Action::done};
  }
  if (site.slot == 0) {
    // Stop-everything fallback: the caller holds every other thread while this one steps
    // over the original instruction in place.
    memory().write(address, std::span(site.code.data(), 1));
    active_[thread.tid] = Active{address, plan, true};
    ++counters_.in_place;
    return {StepOverStart::Action::step, true};
  }
  thread.registers().set_pc(site.slot);
  active_[thread.tid] = Active{address, plan, false};
  if (site.plan.strategy == Strategy::boosted) {
    ++counters_.boosted;
    return {StepOverStart::Action::run};
  }
  ++counters_.stepped;
  return {StepOverStart::Action::step};
}

Settled StepOverEngine::settle(threads::Thread& thread, bool trapped) {
  auto it = active_.find(thread.tid);
  if (it == active_.end()) return Settled::not_ours;
  Active active = it->second;
  active_.erase(it);
  const InstructionPlan& plan = active.plan->plan;
  threads::RegisterFile& registers = thread.registers();
  std::uint64_t pc = registers.pc();

  if (active.in_place) {
    static const std::uint8_t int3 = 0xcc;
    memory().write(active.site, std::span(&int3, 1));
    if (pc == active.site) return Settled::rolled_back;
    return trapped ? Settled::completed : Settled::not_ours;
  }

  const std::uint64_t slot = active.plan->slot;
  const std::uint64_t slot_next = slot + plan.length;
  const std::uint64_t original_next = active.site + plan.length;
  if (pc == slot) {
    // Not executed yet (a signal or an interrupt came first), a fault, or a rep string
    // instruction part-way: either way the program is at the original instruction, and so is
    // the faulting address a SIGILL/SIGFPE/SIGTRAP handler will read.
    registers.set_pc(active.site);
    if (!trapped) hide_slot_in_siginfo(thread.tid, slot, active.site);
    return Settled::rolled_back;
  }
  // The instruction ran. Its fix-ups apply whatever stopped the thread (a step trap, a signal
  // that came with it, the clone or fork event of a stepped `syscall`), and from here on the
  // thread is in the program's code.
  bool on_jmp_back = pc == slot_next;
  if (on_jmp_back) registers.set_pc(original_next);
  if (plan.strategy == Strategy::step_fixup) {
    user_regs_struct& regs = registers.gprs();
    if (plan.fixup == Fixup::call_return) {
      std::uint64_t pushed = memory().read_value<std::uint64_t>(regs.rsp);
      if (pushed == slot_next) {
        std::uint8_t raw[8];
        std::memcpy(raw, &original_next, 8);
        memory().write(regs.rsp, raw);
      }
    } else if (plan.fixup == Fixup::syscall && regs.rcx == slot_next) {
      regs.rcx = original_next;
      registers.mark_gprs_dirty();
    }
    return Settled::completed;
  }
  // A boosted thread that left the slot by itself (a `ret`, a taken branch, the jmp back):
  // this stop is about something else.
  return on_jmp_back ? Settled::completed : Settled::not_ours;
}

void StepOverEngine::forget_all() {
  plans_.clear();
  active_.clear();
  areas_.forget();
}

void StepOverEngine::leave_slot(threads::Thread& thread) const {
  std::uint64_t pc = thread.registers().pc();
  if (!areas_.contains(pc)) return;
  for (const auto& [site, plan] : plans_) {
    if (plan->slot == 0 || pc < plan->slot || pc > plan->slot + plan->plan.length) continue;
    bool executed = pc != plan->slot;
    std::uint64_t original_next = site + plan->plan.length;
    thread.registers().set_pc(executed ? original_next : site);
    user_regs_struct& regs = thread.registers().gprs();
    if (executed && plan->plan.fixup == Fixup::syscall && regs.rcx == pc) {
      regs.rcx = original_next;
      thread.registers().mark_gprs_dirty();
    }
    return;
  }
}

std::string StepOverEngine::report() const {
  std::ostringstream out;
  out << "XOL step-overs: " << counters_.emulated << " emulated, " << counters_.boosted << " boosted, "
      << counters_.stepped << " stepped in a slot, " << counters_.in_place << " in place (fallback, others held)\n";
  out << "XOL areas: " << areas_.areas() << " (" << XolAreas::area_size / 1024 << " KiB each), slots in use: "
      << areas_.slots() << "\n";
  for (const auto& [address, site] : plans_) {
    out << "  0x" << std::hex << address << std::dec << "  " << site->plan.strategy_name();
    if (site->slot) out << " (slot 0x" << std::hex << site->slot << std::dec << ")";
    if (!site->fallback_reason.empty()) out << " in place: " << site->fallback_reason;
    out << "  " << site->plan.text << "\n";
  }
  return out.str();
}

} // namespace xolstub::xol
