// Gets threads past breakpoints without removing the int3 and without stopping any other
// thread: emulated, boosted through a slot, or single-stepped in a slot with a fix-up; and,
// for the few instructions that cannot leave home, stepped in place with every other thread
// held (counted as a fallback). Knows nothing of clients: the breakpoint layer tells it what
// the program's bytes are.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "threads/inferior.h"
#include "threads/step_over.h"
#include "xol/instruction_plan.h"
#include "xol/xol_area.h"

namespace xolstub::xol {

struct XolCounters {
  std::uint64_t emulated = 0, boosted = 0, stepped = 0, in_place = 0;
  // Stops inside step-overs that the client did not ask for (its own single-step is not the
  // stub's cost): one per stepped or in-place step-over, none for an emulated or boosted one
  // unless something else (another thread's event, an interrupt) stopped it there.
  std::uint64_t stops_inside = 0;
};

class StepOverEngine : public threads::StepOverHandler {
public:
  // `read_code` returns the program's own bytes (the originals under our int3s).
  using CodeReader = std::function<std::vector<std::uint8_t>(std::uint64_t address, std::size_t size)>;
  StepOverEngine(threads::Inferior& inferior, CodeReader read_code);

  threads::StepOverStart start(threads::Thread& thread) override;
  bool steps_in_place(threads::Thread& thread) override;
  threads::Settled settle(threads::Thread& thread, bool trapped) override;

  // The program's bytes at a site changed (a client wrote there): plan it again when needed.
  void forget_site(std::uint64_t address) { plans_.erase(address); }
  // The address space was replaced (exec): areas, slots and plans are gone with it.
  void forget_all();
  // Unmaps the areas through a stopped thread of the process `memory` belongs to: ours at
  // detach, or a fork child's copy.
  void unmap_areas(threads::Thread& thread, const threads::ProcessMemory& memory) const {
    areas_.unmap_all(thread, memory);
  }
  // A fork child made by a `syscall` stepped in a slot starts there: put it at the original
  // next instruction (rcx too) before its copy of the areas goes.
  void leave_slot(threads::Thread& thread) const;
  bool in_slot(std::uint64_t pc) const { return areas_.contains(pc); }

  const XolCounters& counters() const { return counters_; }
  std::size_t areas() const { return areas_.areas(); }
  std::size_t slots() const { return areas_.slots(); }
  // `monitor xol`: counters, areas, slots, and the plan of every site seen.
  std::string report() const;

private:
  struct SitePlan {
    InstructionPlan plan;
    std::vector<std::uint8_t> code;
    std::uint64_t slot = 0;  // 0: refused, or no slot could be made (then stepped in place)
    std::string fallback_reason;
  };
  struct Active {
    std::uint64_t site;
    std::shared_ptr<const SitePlan> plan;
    bool in_place;
  };
  std::shared_ptr<SitePlan> plan_for(std::uint64_t address, threads::Thread& thread);
  // False when the instruction would fault instead (a call whose push would): nothing changed.
  bool emulate(const SitePlan& site, std::uint64_t address, threads::Thread& thread);
  threads::StepOverStart step_in_place(std::uint64_t address, const std::shared_ptr<SitePlan>& plan, threads::Thread& thread);
  static void hide_slot_in_x87_pointer(threads::RegisterFile& registers, std::uint64_t slot, std::uint64_t site);
  static void hide_slot_in_siginfo(pid_t tid, std::uint64_t slot, std::uint64_t site);
  void hide_slot_return_address(std::uint64_t sp, std::uint64_t slot_next, std::uint64_t original_next) const;

  threads::Inferior& inferior_;
  const threads::ProcessMemory& memory() const { return inferior_.memory(); }
  CodeReader read_code_;
  XolAreas areas_;
  std::map<std::uint64_t, std::shared_ptr<SitePlan>> plans_;  // shared: a thread in a slot keeps its plan
  std::map<pid_t, Active> active_;
  XolCounters counters_;
};

} // namespace xolstub::xol
