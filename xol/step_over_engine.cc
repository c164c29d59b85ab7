#include "xol/step_over_engine.h"

#include <sys/uio.h>

#include <algorithm>
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

namespace {
// Stores an emulated call's return address as the CPU's push would: through the page
// protections (process_vm_writev, unlike /proc/PID/mem, does not force its way into a read-only
// or PROT_NONE page, such as the guard page below a thread's stack) and growing a stack mapping
// as a fault would. False, with memory as it was, when the push would fault.
bool push_like_the_cpu(pid_t pid, const threads::ProcessMemory& memory, std::uint64_t sp, std::uint64_t value) {
  std::uint8_t before[8];
  const std::size_t readable = memory.read(sp, before);
  iovec local{&value, 8};
  iovec remote{reinterpret_cast<void*>(sp), 8};
  ssize_t written = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (written == 8) return true;
  // Half a push, across into a page that refused the rest: the CPU would have written nothing.
  if (written > 0) memory.write(sp, std::span(before, std::min<std::size_t>(readable, static_cast<std::size_t>(written))));
  return false;
}
} // namespace

bool StepOverEngine::emulate(const SitePlan& site, std::uint64_t address, threads::Thread& thread) {
  user_regs_struct regs = thread.registers().gprs();
  if (std::optional<std::uint64_t> pushed = emulate_registers(site.plan, address, regs))
    if (!push_like_the_cpu(inferior_.pid(), memory(), regs.rsp, *pushed)) return false;
  thread.registers().gprs() = regs;
  thread.registers().mark_gprs_dirty();
  return true;
}

// Stop-everything fallback: the caller holds every other thread while this one steps over the
// original instruction in place.
StepOverStart StepOverEngine::step_in_place(std::uint64_t address, const std::shared_ptr<SitePlan>& plan,
                                            threads::Thread& thread) {
  memory().write(address, std::span(plan->code.data(), 1));
  active_[thread.tid] = Active{address, plan, true};
  ++counters_.in_place;
  return {StepOverStart::Action::step, true};
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

// FIP, the x87 last-instruction pointer, is 64 bits in the 64-bit FXSAVE image: GDB's fiseg
// holds its high half, fioff its low half.
void StepOverEngine::hide_slot_in_x87_pointer(threads::RegisterFile& registers, std::uint64_t slot, std::uint64_t site) {
  const threads::RegisterLayout& layout = registers.layout();
  const std::optional<unsigned> high = layout.find("fiseg"), low = layout.find("fioff");
  if (!high || !low) return;
  std::uint32_t halves[2];
  std::memcpy(&halves[0], registers.read(*low).data(), 4);
  std::memcpy(&halves[1], registers.read(*high).data(), 4);
  const std::uint64_t fip = (std::uint64_t{halves[1]} << 32) | halves[0];
  if (fip < slot || fip >= slot + slot_size) return;
  const std::uint64_t moved = site + (fip - slot);
  const std::uint32_t moved_low = static_cast<std::uint32_t>(moved), moved_high = static_cast<std::uint32_t>(moved >> 32);
  registers.write(*low, std::span(reinterpret_cast<const std::uint8_t*>(&moved_low), 4));
  registers.write(*high, std::span(reinterpret_cast<const std::uint8_t*>(&moved_high), 4));
}

// An indirect call run from the slot stored slot_next at `sp`: the program's own return
// address is original_next. Nothing to do when the stack there holds something else.
void StepOverEngine::hide_slot_return_address(std::uint64_t sp, std::uint64_t slot_next, std::uint64_t original_next) const {
  std::uint8_t raw[8];
  if (memory().read(sp, raw) != sizeof raw) return;
  std::uint64_t pushed;
  std::memcpy(&pushed, raw, 8);
  if (pushed != slot_next) return;
  std::memcpy(raw, &original_next, 8);
  memory().write(sp, raw);
}

StepOverStart StepOverEngine::start(threads::Thread& thread) {
  std::uint64_t address = thread.registers().pc();
  std::shared_ptr<SitePlan> plan = plan_for(address, thread);
  SitePlan& site = *plan;
  if (site.plan.strategy == Strategy::emulate) {
    // A call whose return address cannot be pushed faults: the CPU raises that, in place.
    if (!emulate(site, address, thread)) return step_in_place(address, plan, thread);
    ++counters_.emulated;
    return {StepOverStart::Action::done};
  }
  if (site.slot == 0) return step_in_place(address, plan, thread);
  thread.registers().set_pc(site.slot);
  active_[thread.tid] = Active{address, plan, false};
  if (site.plan.strategy == Strategy::boosted) {
    ++counters_.boosted;
    return {StepOverStart::Action::run};
  }
  ++counters_.stepped;
  return {StepOverStart::Action::step};
}

bool StepOverEngine::steps_in_place(threads::Thread& thread) {
  const SitePlan& site = *plan_for(thread.registers().pc(), thread);
  return site.plan.strategy != Strategy::emulate && site.slot == 0;
}

Settled StepOverEngine::settle(threads::Thread& thread, bool trapped) {
  auto it = active_.find(thread.tid);
  if (it == active_.end()) return Settled::not_ours;
  Active active = it->second;
  active_.erase(it);
  const InstructionPlan& plan = active.plan->plan;
  threads::RegisterFile& registers = thread.registers();
  std::uint64_t pc = registers.pc();

  // The stub's own cost: a stop inside the step-over that the client did not ask for with a
  // single-step. A boosted thread that already left its slot is settled at its next stop,
  // wherever that is: only a stop in the slot itself counts.
  bool in_slot = pc == active.plan->slot || pc == active.plan->slot + plan.length;
  if (!thread.client_step && (active.in_place || plan.strategy == Strategy::step_fixup || in_slot))
    ++counters_.stops_inside;
  if (active.in_place) {
    // The int3 returns, unless the breakpoint was removed meanwhile (non-stop: a client can
    // remove it while this thread steps).
    static const std::uint8_t int3 = 0xcc;
    bool still_wanted = (inferior_.is_breakpoint_site && inferior_.is_breakpoint_site(active.site)) ||
                        (inferior_.is_retired_site && inferior_.is_retired_site(active.site));
    if (still_wanted) memory().write(active.site, std::span(&int3, 1));
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
    // An AMD CPU stores an indirect call's return address before it faults on the target (a
    // non-canonical one raises #GP), leaving rsp as it was: the program would find its own
    // return address below rsp, not the slot's. Intel CPUs store nothing.
    if (plan.fixup == Fixup::call_return) hide_slot_return_address(registers.gprs().rsp - 8, slot_next, original_next);
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
      hide_slot_return_address(regs.rsp, slot_next, original_next);
    } else if (plan.fixup == Fixup::syscall && regs.rcx == slot_next) {
      regs.rcx = original_next;
      registers.mark_gprs_dirty();
    } else if (plan.fixup == Fixup::x87_pointer) {
      hide_slot_in_x87_pointer(registers, slot, active.site);
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
  out << "XOL stops inside step-overs not asked for by a client step: " << counters_.stops_inside
      << " (none of an emulated or boosted step-over's own: the breakpoint's trap is its only one)\n";
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
