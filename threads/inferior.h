// One traced process and the all-stop engine that drives it.
//
// All-stop: when any thread has something to report, every other thread is stopped
// (PTRACE_INTERRUPT) before the report is handed up; events that other threads produce while
// being stopped are kept as `pending` and reported, one at a time, when they are resumed.
// Clone events, stale interrupts and signals the client passes are handled here and never
// reach the layers above.
//
// Non-stop: each thread's stop is reported on its own and nothing else stops for it. Only an
// in-place step-over (the rare instruction that cannot run out of line) stops the others, for
// one instruction, silently ("parked"), and lets them go again.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <utility>
#include <vector>

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
  // Which process the thread is in, for a caller that debugs several (an Inferior resumes only
  // its own threads and ignores this): a pid, or 0 / -1 for any / every one.
  pid_t process = 0;
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
  // Stopped, and not just held behind an in-place step-over (the client thinks a held thread
  // runs).
  bool stopped_for_client(pid_t tid) const;

  // Set by the breakpoint layer: is there an int3 of ours at this address?
  std::function<bool(std::uint64_t)> is_breakpoint_site;
  // Set by the breakpoint layer: does this hit of a wanted int3 stop the thread (target-side
  // conditions and commands)? The thread's PC is back on the int3. Unset: every hit stops.
  std::function<bool(Thread&, std::uint64_t)> breakpoint_stops;
  // An int3 of ours that no client wants any more but that is still in memory.
  std::function<bool(std::uint64_t)> is_retired_site;
  // Gets threads past breakpoints (xol/); without one, the client must remove them itself.
  StepOverHandler* step_over = nullptr;
  // Called before threads run, with the sites threads are about to step over.
  std::function<void(const std::set<std::uint64_t>&)> before_resume;
  // Called after the process exec'd: its memory, and every int3 in it, is new.
  std::function<void()> on_exec;
  // Called with a fork child, stopped, before it is let go or handed to the client: a fork
  // child must be left with none of our int3s or XOL areas in its copy of the memory; a vfork
  // child (`shares_memory`) only with a PC outside our slots.
  std::function<void(Thread& child, const ProcessMemory& child_memory, bool shares_memory)> on_fork_child;
  // Signals delivered to the program without stopping it (QPassSignals).
  std::set<int> pass_signals;
  // System calls whose entry and return stop the thread (QCatchSyscalls): nullopt, none; an
  // empty set, every one.
  std::optional<std::set<long>> catch_syscalls;

  // The hardware breakpoints and watchpoints every thread has, new ones included. Throws
  // DebugRegisterError when they do not fit the debug registers (nothing changes then).
  void set_hardware_points(std::vector<HardwarePoint> points);

  // Non-stop mode on or off. Turning it off stops every thread (what they stopped for stays
  // pending, as in all-stop).
  void set_non_stop(bool on);
  bool non_stop() const { return non_stop_; }
  // Non-stop: a new thread stops and is reported (thread_created) until the client resumes it,
  // and a thread's exit is reported (thread_exited). QThreadEvents.
  bool report_thread_events = false;
  // exec-events+: an exec is reported (Reason::exec) instead of the new program running on.
  bool report_exec = false;
  // fork-events+ / vfork-events+: a fork (vfork) is reported as `forked` (`vforked`), the
  // child kept stopped and traced for the client to take; the end of a vfork as `vfork_done`.
  bool report_forks = false;
  bool report_vforks = false;
  // The child of a reported fork or vfork, as a process of its own (nullptr if there is none).
  std::unique_ptr<Inferior> take_fork_child(pid_t child);

  // Resumes the threads the requests name. All-stop: when a thread about to run already has a
  // pending event, nothing runs and that event is returned to be reported at once. Non-stop:
  // such threads report and stay stopped, the others run. A wildcard request leaves alone the
  // threads in `unacknowledged` (their stop is still on its way to the client).
  std::vector<StopReport> resume(std::span<const ResumeRequest> requests, const std::set<pid_t>& unacknowledged = {});
  // All-stop: stops every thread (Ctrl-C); the report follows from handle_wait_status, or is
  // returned at once when nothing was running. Non-stop: stops one running thread, reported
  // with SIGINT.
  std::optional<StopReport> interrupt();
  // All-stop: a Ctrl-C that came while nothing ran (it crossed a stop reply): the next resume
  // reports SIGINT before anything runs.
  void interrupt_at_next_resume() { interrupt_owed_ = true; }
  // Non-stop vCont;t: stops the thread (every thread, for all_threads); each stop is reported,
  // as `interrupted` with signal 0 unless the thread has something else to say. Threads that
  // are already stopped stay as they are.
  std::vector<StopReport> stop_threads(pid_t tid);
  // Non-stop: stops every running thread and waits until they are (a client that debugs in
  // all-stop beside others stopped). Returns what each reported: `interrupted` with signal 0
  // for a thread that stopped only for this, or whatever it stopped for first.
  std::vector<StopReport> stop_all_now();
  // All-stop to non-stop while threads may be running (a second client arrives): they stop,
  // and what they stopped for stays pending, reported when they are next resumed.
  void enter_non_stop();
  // All-stop: every running thread stops, silently; what they stopped for stays pending. (Another
  // process of the client's stopped, and all-stop stops everything.) Returns the process's
  // exit if it died meanwhile, which no pending event can keep.
  std::optional<StopReport> halt();
  // Is `tid` one of this process's threads (known, or a new one not announced yet)?
  bool owns_thread(pid_t tid) const;
  // Set when the stub debugs several processes: a wait status one of our blocking waits read
  // for a thread that is not ours is handed over (true: taken by its process).
  std::function<bool(pid_t tid, int status)> belongs_elsewhere;
  // The breakpoint layer took an int3 out of memory: a thread running meanwhile may have
  // executed it already, and its trap is rewound silently when it arrives.
  void site_removed(std::uint64_t address);
  // Feeds one waitpid() result for one of this process's threads (or a new one).
  std::optional<StopReport> handle_wait_status(pid_t tid, int status);

  // Non-stop: stops that came out of a call that could report only one (threads that
  // stopped while the others were parked for an in-place step-over). Read after each call.
  std::vector<StopReport> take_reports() { return std::exchange(queued_reports_, {}); }

  // qXfer:siginfo: the siginfo_t of a stopped thread's current stop, as the kernel has it (the
  // signal it would get if resumed now); nullopt when its stop carries none. Writing changes
  // it (GDB's `set $_siginfo...`), for the signal the thread is resumed with. Throws
  // PtraceError.
  std::optional<std::string> read_siginfo(pid_t tid);
  void write_siginfo(pid_t tid, std::uint64_t offset, std::string_view bytes);

  // Kills the process and reaps it.
  void kill();
  // Stops every thread and waits until they are (detach, shutdown).
  void stop_all_and_wait();
  // Lets every thread go; the caller has already restored memory it changed.
  void detach();

private:
  Inferior(pid_t pid, bool attached);
  std::optional<StopReport> classify_trap(Thread& thread, int trap_code, bool after_step_over,
                                         const std::set<std::uint64_t>& removed);
  std::optional<StopReport> report(Thread& thread, StopReport stop);
  std::optional<StopReport> finish_stop_if_complete();
  std::optional<StopReport> process_gone(StopReport stop);
  bool trap_overtaken(Thread& thread);
  std::optional<StopReport> hardware_stop(Thread& thread, int trap_code);
  // inferior_forks.cc: fork and vfork children.
  bool is_our_thread(pid_t tid) const;
  void wait_for_first_stop(pid_t child);
  std::optional<StopReport> handle_fork(const Thread& parent, const WaitEvent& event);
  StopReport adopt_fork_child(const Thread& parent, pid_t child, bool vfork);
  void handle_vfork_child(Thread& child, int status);
  void let_vfork_children_go();
  void resume_thread(Thread& thread, bool step, int signal);
  static int signal_for(Thread& thread, const ResumeRequest& request);
  bool is_our_int3(std::uint64_t address) const;
  bool sits_on_hit_site(Thread& thread);
  StepOverStart begin_step_over(Thread& thread);
  std::optional<StopReport> resume_one_past_site(Thread& thread, bool step);
  void resume_held();
  std::optional<StopReport> keep_running(Thread& thread);
  std::optional<StopReport> keep_running_or_report(Thread& thread);
  void request_client_stop(Thread& thread, int signal);
  void stop_all_running();
  bool leader_is_zombie(pid_t tid) const;
  // Non-stop: the thread stays stopped for our own reasons while the others are parked; it
  // runs again (`step`) when they are let go.
  bool holding() const { return stopping_ || parking_; }
  bool is_held(pid_t tid) const;
  void hold(Thread& thread, bool step);
  bool exclusive_step_running() const;
  void park_running();
  // Blocks until every thread is stopped (or the process is gone), handing `take` what each
  // reports on the way.
  void wait_until_all_stopped(const std::function<void(const StopReport&)>& take);
  // What a thread stopped for while we stopped everything: told when it is next resumed.
  void keep_pending(const StopReport& stop);
  void undo_unstarted_step_over(Thread& thread);
  std::optional<StopReport> thread_gone(pid_t tid, int status, bool announced);

  pid_t pid_;
  bool attached_;
  bool gone_ = false;
  std::unique_ptr<ProcessMemory> memory_;
  std::map<pid_t, Thread> threads_;
  bool non_stop_ = false;
  bool parking_ = false;                  // non-stop: stopping every thread for an in-place step-over
  bool running_ = false;                  // resumed by the client and not reported since
  bool stopping_ = false;                 // stopping every thread for `stopping_for_`
  std::optional<StopReport> stopping_for_;
  bool interrupting_ = false;             // a Ctrl-C is being turned into a stop
  pid_t interrupted_tid_ = 0;             // the thread that Ctrl-C is reported for
  bool interrupt_owed_ = false;           // a Ctrl-C beaten by a real event: reported at the next resume
  std::set<pid_t> exited_early_;          // threads gone before their clone event was read
  // Fork children whose first stop came before the fork event. One set for every Inferior: any
  // of them may read a grandchild's first stop (waitpid(-1) is the stub's, not a process's).
  static inline std::set<pid_t> early_children_;
  std::map<pid_t, Thread> vfork_children_;  // share our memory, int3s included, until exec or exit
  std::map<pid_t, std::unique_ptr<Inferior>> fork_children_;  // reported, not taken yet
  struct Held { pid_t tid; bool step; int signal; };
  std::vector<StopReport> queued_reports_;  // see take_reports()
  std::vector<Held> held_;                // waiting for an in-place step-over to finish (non-stop: parked)
  std::vector<HardwarePoint> hardware_points_;
  DebugRegisterImage debug_image_;        // hardware_points_ laid out on DR0-DR3/DR7
};

} // namespace xolstub::threads
