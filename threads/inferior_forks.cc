// Children of fork and vfork. The client is not offered fork events (yet), so neither child is
// debugged, but neither may leave with our int3s in its memory: an int3 hit by an untraced
// process kills it with SIGTRAP.
//
//   fork  — the child has its own copy of the memory: on_fork_child restores the program's
//           bytes and unmaps the XOL areas in that copy, and the child is detached.
//   vfork — the child shares our memory, int3s and slots included, until it execs or exits,
//           and removing an int3 would let our own threads race past it. So the child stays
//           traced until then, and every breakpoint it meets is stepped over out of line,
//           silently, like a breakpoint no client owns.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string>

#include "threads/event_log.h"
#include "threads/inferior.h"
#include "threads/ptrace_ops.h"

namespace xolstub::threads {

bool Inferior::is_our_thread(pid_t tid) const {
  std::string task = "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(tid);
  return ::access(task.c_str(), F_OK) == 0;
}

// A traced child reports an initial stop; it may have been read already by a waitpid(-1).
void Inferior::wait_for_first_stop(pid_t child) {
  if (early_children_.erase(child)) return;
  int status = 0;
  if (wait_retrying(child, &status, __WALL) != child)
    throw std::runtime_error("fork child " + std::to_string(child) + " cannot be waited for");
  if (!WIFSTOPPED(status))
    throw std::runtime_error("fork child " + std::to_string(child) + " ended before its first stop");
}

void Inferior::handle_fork(const WaitEvent& event) {
  pid_t child = event.new_tid;
  try {
    wait_for_first_stop(child);
    if (event.vfork) {
      log_event("vfork child " + std::to_string(child) + ": traced until it execs or exits");
      Thread& thread = vfork_children_.emplace(child, Thread(child, Thread::State::stopped)).first->second;
      resume_thread(thread, false, 0);
      return;
    }
    Thread thread(child, Thread::State::stopped);
    ProcessMemory memory(child);
    if (on_fork_child) on_fork_child(thread, memory);
    thread.flush_registers();
    ptrace_detach(child, 0);
    log_event("fork child " + std::to_string(child) + ": cleaned and detached");
  } catch (const std::exception& error) {
    // Nothing the client can do about it; the parent carries on either way.
    log_event("fork child " + std::to_string(child) + ": " + error.what());
  }
}

void Inferior::handle_vfork_child(Thread& child, int status) {
  pid_t tid = child.tid;
  WaitEvent event = decode_wait_status(tid, status);
  if (event_log_enabled()) log_event("vfork child " + std::to_string(tid) + ": " + describe(event));
  child.state = Thread::State::stopped;
  try {
    switch (event.kind) {
    case WaitEvent::Kind::exited:
    case WaitEvent::Kind::killed:
      vfork_children_.erase(tid);
      return;
    case WaitEvent::Kind::exec:
      // Its own, new address space: nothing of ours is in it.
      ptrace_detach(tid, 0);
      vfork_children_.erase(tid);
      return;
    case WaitEvent::Kind::trap_stop:
      if (child.in_step_over && step_over) {
        child.in_step_over = child.step_over_steps = child.exclusive_step = false;
        if (step_over->settle(child, true) == Settled::completed) {
          resume_thread(child, false, 0);
          return;
        }
      }
      if (event.trap_code == SI_KERNEL || event.trap_code == TRAP_BRKPT) {
        std::uint64_t address = child.registers().pc() - 1;
        if (step_over && is_our_int3(address)) {
          child.registers().set_pc(address);
          begin_step_over(child);
          resume_thread(child, false, 0);
          return;
        }
      }
      resume_thread(child, false, SIGTRAP);  // its own
      return;
    case WaitEvent::Kind::signal_stop:
      if (child.in_step_over && step_over) {
        child.in_step_over = child.step_over_steps = child.exclusive_step = false;
        step_over->settle(child, false);  // delivered from the program's own address
      }
      resume_thread(child, false, event.signal);
      return;
    default:
      // Its first stop, interrupts, its own clones: none of our business.
      resume_thread(child, false, 0);
      return;
    }
  } catch (const PtraceError& error) {
    log_event("vfork child " + std::to_string(tid) + ": " + error.what());
    vfork_children_.erase(tid);
  }
}

// Detach or kill: a vfork child still sharing our memory is let go as it is.
void Inferior::let_vfork_children_go() {
  for (auto& [tid, child] : vfork_children_) {
    try {
      if (child.state == Thread::State::running) {
        ptrace_interrupt(tid);
        int status = 0;
        if (wait_retrying(tid, &status, __WALL) != tid || !WIFSTOPPED(status)) continue;  // it ended
      }
      if (child.in_step_over && step_over) step_over->settle(child, false);
      child.flush_registers();
      ptrace_detach(tid, 0);
    } catch (const PtraceError&) {
      // Gone already: nothing to let go of.
    }
  }
  vfork_children_.clear();
}

} // namespace xolstub::threads
