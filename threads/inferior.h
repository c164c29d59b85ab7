// One traced process and the all-stop engine that drives it.
//
// All-stop: when any thread has something to report, every other thread is stopped
// (PTRACE_INTERRUPT) before the report is handed up; events that other threads produce while
// being stopped are kept as `pending` and reported, one at a time, when they are resumed.
// Clone events, stale interrupts and signals the client passes are handled here and never
// reach the layers above.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include "threads/debug_registers.h"
#include "threads/launcher.h"
#include "threads/memory.h"
#include "threads/step_over.h"
#include "threads/stop_report.h"
#include "threads/thread.h"
#include "threads/wait_event.h"

namespace xolstub::threads {

struct ResumeRequest {
  static constexpr pid_t all_threads = -1;
  pid_t tid = all_threads;  // a thread, or every thread no earlier request named
  bool step = false;
  int signal = 0;
  // Range stepping (vCont;r): keep stepping while the PC stays in [range_start, range_end).
  std::uint64_t range_start = 0;
  std::uint64_t range_end = 0;
};

class Inferior {
public:
  static std::unique_ptr<Inferior> launch(const LaunchOptions& options);
  static std::unique_ptr<Inferior> attach(pid_t pid);
  ~Inferior();

  pid_t pid() const { return pid_; }
  bool was_attached() const { return attached_; }
  bool gone() const { return gone_; }
  ProcessMemory& memory() { return *memory_; }
  std::map<pid_t, Thread>& threads() { return threads_; }
  Thread* find_thread(pid_t tid);
  bool all_stopped() const;

  // Set by the breakpoint layer: is there an int3 of ours at this address?
  std::function<bool(std::uint64_t)> is_breakpoint_site;
  // An int3 of ours that no client wants any more but that is still in memory.
  std::function<bool(std::uint64_t)> is_retired_site;
  // Gets threads past breakpoints (xol/); without one, the client must remove them itself.
  StepOverHandler* step_over = nullptr;
  // Called before threads run, with the sites threads are about to step over.
  std::function<void(const std::set<std::uint64_t>&)> before_resume;
  // Called after the process exec'd: its memory, and every int3 in it, is new.
  std::function<void()> on_exec;
  // Called with a fork child, stopped, before it is let go: it must leave with none of our
  // int3s or XOL areas in its copy of the memory.
  std::function<void(Thread& child, const ProcessMemory& child_memory)> on_fork_child;
  // Signals delivered to the program without stopping it (QPassSignals).
  std::set<int> pass_signals;

  // The hardware breakpoints and watchpoints every thread has, new ones included. Throws
  // DebugRegisterError when they do not fit the debug registers (nothing changes then).
  void set_hardware_points(std::vector<HardwarePoint> points);

  // Resumes the threads the requests name. When a thread about to run already has a pending
  // event, nothing runs and that event is returned to be reported at once.
  std::optional<StopReport> resume(std::span<const ResumeRequest> requests);
  // Stops every thread (Ctrl-C); the report follows from handle_wait_status, or is returned
  // at once when nothing was running.
  std::optional<StopReport> interrupt();
  // Feeds one waitpid() result for one of this process's threads (or a new one).
  std::optional<StopReport> handle_wait_status(pid_t tid, int status);

  // Kills the process and reaps it.
  void kill();
  // Stops every thread and waits until they are (detach, shutdown).
  void stop_all_and_wait();
  // Lets every thread go; the caller has already restored memory it changed.
  void detach();

private:
  Inferior(pid_t pid, bool attached);
  std::optional<StopReport> classify_trap(Thread& thread, int trap_code, bool after_step_over);
  std::optional<StopReport> report(Thread& thread, StopReport stop);
  std::optional<StopReport> finish_stop_if_complete();
  std::optional<StopReport> process_gone(StopReport stop);
  bool trap_overtaken(Thread& thread);
  std::optional<StopReport> hardware_stop(Thread& thread, int trap_code);
  // inferior_forks.cc: fork and vfork children.
  bool is_our_thread(pid_t tid) const;
  void wait_for_first_stop(pid_t child);
  void handle_fork(const WaitEvent& event);
  void handle_vfork_child(Thread& child, int status);
  void let_vfork_children_go();
  void resume_thread(Thread& thread, bool step, int signal);
  static int signal_for(Thread& thread, const ResumeRequest& request);
  bool is_our_int3(std::uint64_t address) const;
  bool sits_on_hit_site(Thread& thread);
  StepOverStart begin_step_over(Thread& thread);
  void resume_one_past_site(Thread& thread, bool step);
  void resume_held();
  void keep_running(Thread& thread);
  void stop_all_running();

  pid_t pid_;
  bool attached_;
  bool gone_ = false;
  std::unique_ptr<ProcessMemory> memory_;
  std::map<pid_t, Thread> threads_;
  bool running_ = false;                  // resumed by the client and not reported since
  bool stopping_ = false;                 // stopping every thread for `stopping_for_`
  std::optional<StopReport> stopping_for_;
  bool interrupting_ = false;             // a Ctrl-C is being turned into a stop
  pid_t interrupted_tid_ = 0;             // the thread that Ctrl-C is reported for
  std::set<pid_t> exited_early_;          // threads gone before their clone event was read
  std::set<pid_t> early_children_;        // fork children whose first stop came before the fork event
  std::map<pid_t, Thread> vfork_children_;  // share our memory, int3s included, until exec or exit
  struct Held { pid_t tid; bool step; int signal; };
  std::vector<Held> held_;                // waiting for an in-place step-over to finish
  std::vector<HardwarePoint> hardware_points_;
  DebugRegisterImage debug_image_;        // hardware_points_ laid out on DR0-DR3/DR7
};

} // namespace xolstub::threads
