#include "threads/ptrace_ops.h"

#include <sys/ptrace.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

namespace xolstub::threads {
namespace {
void check(long result, const char* request, pid_t tid) {
  if (result == -1) {
    int error = errno;
    throw PtraceError(std::string(request) + " on thread " + std::to_string(tid) + ": " +
                          std::strerror(error),
                      error);
  }
}
} // namespace

long default_ptrace_options(bool kill_with_stub) {
  long options = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
                 PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACESYSGOOD;
  return kill_with_stub ? options | PTRACE_O_EXITKILL : options;
}

void ptrace_seize(pid_t tid, long options) {
  check(ptrace(PTRACE_SEIZE, tid, nullptr, options), "PTRACE_SEIZE", tid);
}
void ptrace_interrupt(pid_t tid) {
  check(ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr), "PTRACE_INTERRUPT", tid);
}
void ptrace_cont(pid_t tid, int signal) {
  check(ptrace(PTRACE_CONT, tid, nullptr, static_cast<long>(signal)), "PTRACE_CONT", tid);
}
void ptrace_step(pid_t tid, int signal) {
  check(ptrace(PTRACE_SINGLESTEP, tid, nullptr, static_cast<long>(signal)), "PTRACE_SINGLESTEP", tid);
}
void ptrace_syscall(pid_t tid, int signal) {
  check(ptrace(PTRACE_SYSCALL, tid, nullptr, static_cast<long>(signal)), "PTRACE_SYSCALL", tid);
}
std::optional<SyscallStop> ptrace_syscall_stop(pid_t tid) {
  __ptrace_syscall_info info{};
  if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0) return std::nullopt;
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) return SyscallStop{true, static_cast<long>(info.entry.nr)};
  // The exit does not say which call it was; the entry before it did (Thread::syscall_number).
  if (info.op == PTRACE_SYSCALL_INFO_EXIT) return SyscallStop{false, -1};
  return std::nullopt;
}
void ptrace_detach(pid_t tid, int signal) {
  check(ptrace(PTRACE_DETACH, tid, nullptr, static_cast<long>(signal)), "PTRACE_DETACH", tid);
}
unsigned long ptrace_event_message(pid_t tid) {
  unsigned long message = 0;
  check(ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message), "PTRACE_GETEVENTMSG", tid);
  return message;
}
bool ptrace_siginfo(pid_t tid, void* siginfo_out) {
  return ptrace(PTRACE_GETSIGINFO, tid, nullptr, siginfo_out) == 0;
}
void ptrace_set_siginfo(pid_t tid, const void* siginfo) {
  check(ptrace(PTRACE_SETSIGINFO, tid, nullptr, siginfo), "PTRACE_SETSIGINFO", tid);
}

bool ptrace_sigtrap_queued(pid_t tid) {
  __ptrace_peeksiginfo_args args{};
  args.off = 0;
  args.flags = 0;  // the thread's own queue: a trap is always sent to the thread that raised it
  args.nr = 8;
  siginfo_t queued[8];
  long count = ptrace(PTRACE_PEEKSIGINFO, tid, &args, queued);
  check(count, "PTRACE_PEEKSIGINFO", tid);
  for (long i = 0; i < count; ++i)
    if (queued[i].si_signo == SIGTRAP) return true;
  return false;
}

} // namespace xolstub::threads
