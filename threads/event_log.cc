#include "threads/event_log.h"

namespace xolstub::threads {
namespace {
EventSink& sink() {
  static EventSink instance;
  return instance;
}
} // namespace

void set_event_sink(EventSink new_sink) { sink() = std::move(new_sink); }
bool event_log_enabled() { return static_cast<bool>(sink()); }
void log_event(const std::string& line) {
  if (sink()) sink()(line);
}

} // namespace xolstub::threads
