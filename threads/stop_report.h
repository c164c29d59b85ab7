// What the inferior tells the layers above when it has stopped for a reason worth reporting.
#pragma once
#include <sys/types.h>

#include <cstdint>

#include "threads/debug_registers.h"

namespace xolstub::threads {

struct StopReport {
  enum class Reason {
    breakpoint,    // an int3 the stub inserted; the thread's PC is already back on the int3
    hardware_breakpoint,  // a debug-register execute breakpoint (Z1) at `address`
    watchpoint,    // a debug-register watchpoint (Z2/Z4) on `address` fired; `watch_kind` says which
    single_step,   // a requested single-step finished
    signal,        // a signal the program received (not passed silently)
    interrupted,   // the client asked to stop: Ctrl-C (SIGINT), or non-stop vCont;t (signal 0)
    exited,        // the whole process exited with `exit_status`
    killed,        // the whole process was killed by `signal`
    // Non-stop only:
    thread_created,  // a new thread, stopped at its start (thread events asked for)
    thread_exited,   // a thread (not the last) exited with `exit_status` (thread events asked for)
    no_resumed,      // nothing is left running that could report anything
    exec,          // the process ran a new program (exec events asked for); tid is the pid
    // fork-events / vfork-events: thread `tid` forked process `child`, which waits, stopped,
    // for the client (Inferior::take_fork_child); vfork_done: the vfork child let its parent go.
    forked,
    vforked,
    vfork_done,
    // QCatchSyscalls: a system call `syscall_number` is entered or has returned.
    syscall_entry,
    syscall_return,
  };
  Reason reason;
  pid_t tid = 0;
  int signal = 0;
  int exit_status = 0;
  std::uint64_t address = 0;  // the breakpoint or watched address
  HardwareKind watch_kind = HardwareKind::write;
  long syscall_number = -1;
  pid_t child = 0;  // forked, vforked

  bool process_gone() const { return reason == Reason::exited || reason == Reason::killed; }
  const char* reason_name() const {
    switch (reason) {
    case Reason::breakpoint: return "breakpoint";
    case Reason::hardware_breakpoint: return "hardware breakpoint";
    case Reason::watchpoint: return "watchpoint";
    case Reason::single_step: return "single-step";
    case Reason::signal: return "signal";
    case Reason::interrupted: return "interrupted";
    case Reason::exited: return "exited";
    case Reason::killed: return "killed";
    case Reason::thread_created: return "thread created";
    case Reason::thread_exited: return "thread exited";
    case Reason::no_resumed: return "no thread resumed";
    case Reason::exec: return "exec";
    case Reason::forked: return "fork";
    case Reason::vforked: return "vfork";
    case Reason::vfork_done: return "vfork done";
    case Reason::syscall_entry: return "syscall entry";
    case Reason::syscall_return: return "syscall return";
    }
    return "?";
  }
};

} // namespace xolstub::threads
