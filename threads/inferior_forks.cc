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

std::optional<StopReport> Inferior::handle_fork(const Thread& parent, const WaitEvent& event) {
  pid_t child = event.new_tid;
  try {
    wait_for_first_stop(child);
    if (event.vfork ? report_vforks : report_forks) return adopt_fork_child(parent, child, event.vfork);
    if (event.vfork) {
      log_event("vfork child " + std::to_string(child) + ": traced until it execs or exits");
      Thread& thread = vfork_children_.emplace(child, Thread(child, Thread::State::stopped)).first->second;
      resume_thread(thread, false, 0);
      return std::nullopt;
    }
    Thread thread(child, Thread::State::stopped);
    ProcessMemory memory(child);
    if (on_fork_child) on_fork_child(thread, memory, false);
    thread.flush_registers();
    ptrace_detach(child, 0);
    log_event("fork child " + std::to_string(child) + ": cleaned and detached");
  } catch (const std::exception& error) {
    // Nothing the client can do about it; the parent carries on either way.
    log_event("fork child " + std::to_string(child) + ": " + error.what());
  }
  return std::nullopt;
}

// The client debugs the child from here as a process of its own, which starts as a fresh
// attach would: no int3 and no XOL area of ours in it (a vfork child shares the parent's, and
// is kept out of our slots only), its thread stopped until the client resumes or detaches it.
StopReport Inferior::adopt_fork_child(const Thread& parent, pid_t child, bool vfork) {
  std::unique_ptr<Inferior> process(new Inferior(child, attached_));
  Thread& thread = process->threads_.emplace(child, Thread(child, Thread::State::stopped)).first->second;
  if (on_fork_child) on_fork_child(thread, process->memory(), vfork);
  thread.flush_registers();
  fork_children_[child] = std::move(process);
  log_event(std::string(vfork ? "vfork" : "fork") + " child " + std::to_string(child) + ": kept for the client");
  StopReport stop{vfork ? StopReport::Reason::vforked : StopReport::Reason::forked, parent.tid, SIGTRAP};
  stop.child = child;
  return stop;
}

std::unique_ptr<Inferior> Inferior::take_fork_child(pid_t child) {
  auto it = fork_children_.find(child);
  if (it == fork_children_.end()) return nullptr;
  std::unique_ptr<Inferior> process = std::move(it->second);
  fork_children_.erase(it);
  return process;
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
