// One traced thread and its place in the run/stop state machine.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <set>

#include "threads/register_file.h"
#include "threads/stop_report.h"

namespace xolstub::threads {

struct Thread {
  enum class State {
    running,
    stopped,
    starting,  // announced by its parent's clone event; its first stop not seen yet
  };

  Thread(pid_t tid, State state) : tid(tid), state(state) {}

  pid_t tid;
  State state;
  // False for a new thread whose first stop came before its parent's clone event.
  bool announced = true;
  // Exited, not reaped: a leader that called pthread_exit while others run on. It is kept (its
  // exit is the process's, reported last) but never stops and is not shown to the client.
  bool zombie = false;
  bool stop_requested = false;  // PTRACE_INTERRUPT sent and its stop not seen yet
  // Non-stop: the client asked for this stop (vCont;t, Ctrl-C): it is reported, with
  // `stop_signal` (0, or SIGINT), unless the thread reports something else first.
  bool client_stop = false;
  int stop_signal = 0;
  bool stepping = false;        // last resumed to single-step for the client (not a step-over's own step)
  std::uint64_t range_start = 0, range_end = 0;  // range stepping: step on silently inside
  bool pc_in_step_range() {
    std::uint64_t pc = registers().pc();
    return pc >= range_start && pc < range_end;
  }
  bool client_step = false;     // the client asked for a single-step (not our own step-over)
  // The breakpoint this thread last stopped on (PC back on the int3): resuming it from there
  // means getting past that instruction, not hitting the breakpoint again.
  std::optional<std::uint64_t> hit_site;
  bool in_step_over = false;    // StepOverHandler::start() ran; settle() at the next stop
  bool step_over_steps = false; // the step-over needs a single-step, whatever the client asked
  bool exclusive_step = false;  // stepping in place: every other thread waits for it
  // The stub passed a signal (QPassSignals) to the thread on a breakpoint it had hit: when the
  // handler returns onto that int3, the trap is not a new hit. (A signal the client resumes
  // with is not silent: GDB wants the handler's return reported.)
  std::optional<std::uint64_t> silent_site;
  // An event that arrived while the other threads were being stopped; reported when the
  // client next resumes this thread.
  std::optional<StopReport> pending;
  // A signal the client resumed this thread with while another thread's pending event was
  // reported instead: delivered at the thread's next resume, so it is never lost.
  int deferred_signal = 0;
  // Its current stop is a signal-delivery-stop (a signal or a trap), the only stop in which
  // PTRACE_CONT can deliver a signal; in any other stop (an interrupt, an event) the kernel
  // ignores the signal argument, so it is sent with tgkill and delivered when it arrives.
  bool in_signal_delivery_stop = false;
  // Stopped inside a system call it has not returned from (a fork, vfork, clone or exec event,
  // a syscall stop): resumed, it first finishes that call, whose result lands in rax, so no
  // system call can be injected into it (threads/remote_syscall.h) until it has run again.
  bool in_syscall_stop = false;
  int injected_signal = 0;
  long syscall_number = -1;  // the system call it last entered (its exit stop does not say)
  // Breakpoints removed while this thread ran: a trap from one of them may still be on its
  // way, and is rewound silently at the thread's next stop.
  std::set<std::uint64_t> removed_while_running;

  RegisterFile& registers() {
    if (!registers_) registers_ = std::make_unique<RegisterFile>(tid, RegisterLayout::host());
    return *registers_;
  }
  // Writes back modified registers; call before the thread runs again.
  void flush_registers() {
    if (registers_) {
      registers_->flush();
      registers_->invalidate();
    }
  }

private:
  std::unique_ptr<RegisterFile> registers_;
};

} // namespace xolstub::threads
