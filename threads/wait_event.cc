#include "threads/wait_event.h"

#include <cerrno>

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <csignal>
#include <string>

#include "threads/ptrace_ops.h"

namespace xolstub::threads {

WaitEvent decode_wait_status(pid_t tid, int status) {
  WaitEvent event{};
  event.tid = tid;
  if (WIFEXITED(status)) {
    event.kind = WaitEvent::Kind::exited;
    event.status = WEXITSTATUS(status);
    return event;
  }
  if (WIFSIGNALED(status)) {
    event.kind = WaitEvent::Kind::killed;
    event.signal = WTERMSIG(status);
    return event;
  }
  int signal = WSTOPSIG(status);
  int ptrace_event = status >> 16;
  event.signal = signal;
  switch (ptrace_event) {
  case PTRACE_EVENT_CLONE:
    event.kind = WaitEvent::Kind::clone;
    event.new_tid = static_cast<pid_t>(ptrace_event_message(tid));
    return event;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK:
    event.kind = WaitEvent::Kind::fork;
    event.vfork = ptrace_event == PTRACE_EVENT_VFORK;
    event.new_tid = static_cast<pid_t>(ptrace_event_message(tid));
    return event;
  case PTRACE_EVENT_EXEC:
    event.kind = WaitEvent::Kind::exec;
    event.former_tid = static_cast<pid_t>(ptrace_event_message(tid));
    return event;
  case PTRACE_EVENT_STOP:
    event.kind = WaitEvent::Kind::event_stop;
    return event;
  case PTRACE_EVENT_VFORK_DONE:
    event.kind = WaitEvent::Kind::vfork_done;
    return event;
  default:
    break;
  }
  if (signal == (SIGTRAP | 0x80)) {
    event.kind = WaitEvent::Kind::syscall_stop;
    event.signal = SIGTRAP;
    return event;
  }
  if (signal == SIGTRAP) {
    siginfo_t info{};
    if (ptrace_siginfo(tid, &info) && info.si_code != SI_USER && info.si_code != SI_TKILL &&
        info.si_code != SI_QUEUE) {
      event.kind = WaitEvent::Kind::trap_stop;
      event.trap_code = info.si_code;
      return event;
    }
  }
  event.kind = WaitEvent::Kind::signal_stop;
  return event;
}

pid_t wait_retrying(pid_t pid, int* status, int options) {
  for (;;) {
    pid_t result = ::waitpid(pid, status, options);
    if (result >= 0 || errno != EINTR) return result;
  }
}

std::string describe(const WaitEvent& event) {
  switch (event.kind) {
  case WaitEvent::Kind::signal_stop: return "signal " + std::to_string(event.signal);
  case WaitEvent::Kind::trap_stop: return "SIGTRAP si_code " + std::to_string(event.trap_code);
  case WaitEvent::Kind::event_stop: return "PTRACE_EVENT_STOP signal " + std::to_string(event.signal);
  case WaitEvent::Kind::clone: return "clone, new thread " + std::to_string(event.new_tid);
  case WaitEvent::Kind::fork: return std::string(event.vfork ? "vfork" : "fork") + ", child " + std::to_string(event.new_tid);
  case WaitEvent::Kind::exec: return "exec (was thread " + std::to_string(event.former_tid) + ")";
  case WaitEvent::Kind::vfork_done: return "vfork done";
  case WaitEvent::Kind::syscall_stop: return "syscall stop";
  case WaitEvent::Kind::exited: return "exited with status " + std::to_string(event.status);
  case WaitEvent::Kind::killed: return "killed by signal " + std::to_string(event.signal);
  }
  return "?";
}

} // namespace xolstub::threads
