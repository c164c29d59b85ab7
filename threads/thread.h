// One traced thread and its place in the run/stop state machine.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>

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
  bool stop_requested = false;  // PTRACE_INTERRUPT sent and its stop not seen yet
  bool stepping = false;        // last resumed with PTRACE_SINGLESTEP
  std::uint64_t range_start = 0, range_end = 0;  // range stepping: step on silently inside
  // An event that arrived while the other threads were being stopped; reported when the
  // client next resumes this thread.
  std::optional<StopReport> pending;

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
