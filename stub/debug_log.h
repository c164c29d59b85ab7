// --debug output: every packet and every ptrace event, one line each, on stderr (or the file
// named by --debug-file). Off by default; `monitor set debug 1` turns it on at run time.
#pragma once
#include <string>
#include <string_view>

namespace xolstub::stub {

struct DebugSettings {
  bool events = false;   // ptrace events, stops, resumes
  bool packets = false;  // every packet in and out
};
DebugSettings& debug_settings();
// Turns ptrace-event logging on or off, here and in threads/.
void set_event_debugging(bool on);
void set_debug_file(const std::string& path);

// Prints "xolstub: <line>" when `enabled`.
void debug_line(bool enabled, std::string_view line);
inline void debug_event(std::string_view line) { debug_line(debug_settings().events, line); }
inline void debug_packet(std::string_view line) { debug_line(debug_settings().packets, line); }
// A packet made printable: control and non-ASCII bytes as \xNN, long packets shortened.
std::string printable(std::string_view bytes);

} // namespace xolstub::stub
