// Thin wrappers over ptrace(2) that turn failures into exceptions naming the request and thread,
// so a caller never has to remember to check errno.
#pragma once
#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace xolstub::threads {

class PtraceError : public std::runtime_error {
public:
  PtraceError(const std::string& what, int error) : std::runtime_error(what), error_(error) {}
  int error() const { return error_; }  // the errno value; ESRCH means the thread is gone

private:
  int error_;
};

// The options every thread is traced with: new threads are traced automatically, exec is an
// event, and fork/vfork children are caught so none leaves with our int3s in it. A program the stub started also dies with the stub (a dead stub must not leave int3s
// in a live program); one it attached to is the user's and only gets detached.
long default_ptrace_options(bool kill_with_stub);

void ptrace_seize(pid_t tid, long options);
void ptrace_interrupt(pid_t tid);
void ptrace_cont(pid_t tid, int signal);
void ptrace_step(pid_t tid, int signal);
// PTRACE_SYSCALL: runs until the next system call entry or exit (QCatchSyscalls).
void ptrace_syscall(pid_t tid, int signal);
// PTRACE_GET_SYSCALL_INFO in a syscall stop: the system call number, and whether this is its
// entry (true) or its exit. Nullopt when the stop is neither.
struct SyscallStop { bool entry; long number; };
std::optional<SyscallStop> ptrace_syscall_stop(pid_t tid);
void ptrace_detach(pid_t tid, int signal);
unsigned long ptrace_event_message(pid_t tid);
// False when the thread is not in a signal-delivery-stop (no siginfo to read).
bool ptrace_siginfo(pid_t tid, void* siginfo_out);
void ptrace_set_siginfo(pid_t tid, const void* siginfo);
// Is a SIGTRAP queued for this thread alone (PTRACE_PEEKSIGINFO)? An int3 or a single-step trap
// raced by PTRACE_INTERRUPT: the interrupt's stop is reported first, the trap on the next resume.
bool ptrace_sigtrap_queued(pid_t tid);

} // namespace xolstub::threads
