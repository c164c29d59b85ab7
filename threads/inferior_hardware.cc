// Hardware breakpoints and watchpoints: the same debug-register image on every thread (new
// threads get it at their first stop; exec clears it), and the stop a fired register makes.
#include <csignal>

#include "threads/event_log.h"
#include "threads/inferior.h"
#include "threads/ptrace_ops.h"

namespace xolstub::threads {

void Inferior::set_hardware_points(std::vector<HardwarePoint> points) {
  DebugRegisterImage image = layout_debug_registers(points);
  for (auto& [tid, thread] : threads_) {
    if (thread.state != Thread::State::stopped) continue;  // it gets the image at its first stop
    try {
      write_debug_registers(tid, image);
    } catch (const PtraceError& error) {
      if (error.error() != ESRCH) throw;  // on its way out
    }
  }
  hardware_points_ = std::move(points);
  debug_image_ = image;
}

// A SIGTRAP from a debug exception: which of our points fired, if any. A single-step that also
// tripped a watchpoint comes as TRAP_TRACE, so both codes are looked at.
std::optional<StopReport> Inferior::hardware_stop(Thread& thread, int trap_code) {
  if (debug_image_.empty() || (trap_code != TRAP_HWBKPT && trap_code != TRAP_TRACE)) return std::nullopt;
  std::optional<int> fired = take_fired_debug_register(thread.tid);
  if (!fired) return std::nullopt;
  int index = debug_image_.point[*fired];
  if (index < 0 || static_cast<std::size_t>(index) >= hardware_points_.size()) return std::nullopt;
  const HardwarePoint& point = hardware_points_[static_cast<std::size_t>(index)];
  StopReport stop{StopReport::Reason::watchpoint, thread.tid, SIGTRAP, 0, debug_image_.address[*fired], point.kind};
  if (point.kind == HardwareKind::execute) stop.reason = StopReport::Reason::hardware_breakpoint;
  if (event_log_enabled())
    log_event("thread " + std::to_string(thread.tid) + ": DR" + std::to_string(*fired) + " fired (" + stop.reason_name() + ")");
  return stop;
}

} // namespace xolstub::threads
