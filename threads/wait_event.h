// What one waitpid() status means for one thread, before any policy is applied.
#pragma once
#include <sys/types.h>

#include <string>

namespace xolstub::threads {

struct WaitEvent {
  enum class Kind {
    signal_stop,    // signal-delivery-stop: `signal` is about to be delivered
    trap_stop,      // SIGTRAP from int3, single-step or a hardware debug event
    event_stop,     // PTRACE_EVENT_STOP: our PTRACE_INTERRUPT, a group-stop, or a new thread's first stop
    clone,          // PTRACE_EVENT_CLONE: `new_tid` is the new thread
    fork,           // PTRACE_EVENT_FORK / _VFORK: `new_tid` is the child process (`vfork` says which)
    exec,           // PTRACE_EVENT_EXEC: `former_tid` is the thread that called execve
    vfork_done,     // PTRACE_EVENT_VFORK_DONE: the vfork child exec'd or exited; the parent goes on
    syscall_stop,   // syscall entry or exit (PTRACE_O_TRACESYSGOOD)
    exited,         // WIFEXITED: `status` is the exit code
    killed,         // WIFSIGNALED: `signal` killed it
  };
  Kind kind;
  pid_t tid = 0;
  int signal = 0;
  int status = 0;
  int trap_code = 0;   // si_code of a SIGTRAP (TRAP_TRACE, TRAP_BRKPT, SI_KERNEL, ...)
  pid_t new_tid = 0;
  pid_t former_tid = 0;
  bool vfork = false;
};

// One line for --debug.
std::string describe(const WaitEvent& event);

// Decodes a status; reads siginfo and event messages from the (stopped) thread as needed.
WaitEvent decode_wait_status(pid_t tid, int status);

// waitpid() retried when a signal interrupts it (the stub gets SIGCHLD and, on a terminal,
// SIGWINCH while it waits).
pid_t wait_retrying(pid_t pid, int* status, int options);

} // namespace xolstub::threads
