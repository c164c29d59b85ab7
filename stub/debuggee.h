// The process being debugged as the sessions see it: the traced inferior, its breakpoint
// sites and hardware points, and the last stop reported (what `?` answers).
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <memory>
#include <vector>

#include "breakpoints/breakpoint_conditions.h"
#include "breakpoints/breakpoint_sites.h"
#include "breakpoints/hardware_points.h"
#include "threads/inferior.h"
#include "xol/step_over_engine.h"

namespace xolstub::stub {

class Debuggee {
public:
  static std::unique_ptr<Debuggee> launch(const threads::LaunchOptions& options);
  static std::unique_ptr<Debuggee> attach(pid_t pid);
  // A process already traced: the child of a reported fork (threads::Inferior::take_fork_child).
  static std::unique_ptr<Debuggee> adopt(std::unique_ptr<threads::Inferior> inferior);

  threads::Inferior& inferior() { return *inferior_; }
  breakpoints::BreakpointSites& sites() { return *sites_; }
  // Where agent-style dprintf output goes (the stub's stdout, as gdbserver's).
  std::function<void(std::string_view)> agent_output;
  breakpoints::HardwarePoints& hardware_points() { return *hardware_; }
  xol::StepOverEngine& xol() { return *xol_; }
  pid_t pid() const { return inferior_->pid(); }
  // A vfork child shares this process's memory (and our int3s in it) until it execs or exits.
  pid_t vfork_parent = 0;
  // A fork child the client has not resumed yet: GDB does not count it as an inferior until it
  // has handled the fork, and a stop of a process it does not know is a GDB internal error.
  bool unclaimed = false;
  pid_t forked_by = 0;  // the parent's thread whose fork it is
  // It died while all-stop stopped everything for another process's stop: told at the next resume.
  std::optional<threads::StopReport> untold_exit;
  bool gone() const { return inferior_->gone(); }

  const threads::StopReport& last_stop() const { return last_stop_; }
  void note_stop(const threads::StopReport& stop);
  // `?` in non-stop: one stop per thread the client may see stopped: what it has pending, else
  // the last stop reported for it, else a stop with signal 0.
  std::vector<threads::StopReport> stopped_threads();
  // All-stop, for a client told of every thread's stop at once (LLDB): the breakpoint hits and
  // signals other threads had pending when the world stopped for `reported`, taken out so that
  // they are not reported again when those threads are resumed. Other pending events (steps,
  // watchpoints, exits...) stay, reported one at a time as before.
  std::vector<threads::StopReport> take_pending_stops(pid_t reported);
  // The owners whose breakpoint a reported hit stopped for (their conditions held).
  std::set<breakpoints::OwnerId> take_hit_owners(const threads::StopReport& stop);
  // The thread a client means by "any thread": the one that stopped last, if it still lives.
  pid_t default_thread();

  // Restores every int3 and lets the process run on.
  void detach();
  void kill();

private:
  explicit Debuggee(std::unique_ptr<threads::Inferior> inferior);

  std::unique_ptr<threads::Inferior> inferior_;
  std::unique_ptr<breakpoints::BreakpointSites> sites_;
  std::unique_ptr<breakpoints::BreakpointConditions> conditions_;
  std::unique_ptr<breakpoints::HardwarePoints> hardware_;
  std::unique_ptr<xol::StepOverEngine> xol_;
  threads::StopReport last_stop_;
  std::map<pid_t, threads::StopReport> last_thread_stops_;
  std::map<pid_t, std::set<breakpoints::OwnerId>> hit_owners_;  // see take_hit_owners()
};

} // namespace xolstub::stub
