// Where threads/ reports what it does to the inferior (every ptrace resume, interrupt and
// event), for --debug. The stub installs the sink; without one nothing is formatted.
#pragma once
#include <functional>
#include <string>

namespace xolstub::threads {

using EventSink = std::function<void(const std::string&)>;
void set_event_sink(EventSink sink);
bool event_log_enabled();
void log_event(const std::string& line);

} // namespace xolstub::threads
