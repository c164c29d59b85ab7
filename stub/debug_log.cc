#include "stub/debug_log.h"

#include <cstdio>
#include <stdexcept>

#include "threads/event_log.h"

namespace xolstub::stub {
namespace {
FILE* debug_stream = nullptr;
}

DebugSettings& debug_settings() {
  static DebugSettings settings;
  return settings;
}

void set_event_debugging(bool on) {
  debug_settings().events = on;
  if (on)
    threads::set_event_sink([](const std::string& line) { debug_event(line); });
  else
    threads::set_event_sink(nullptr);
}

void set_debug_file(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (!file) throw std::runtime_error("cannot open debug file " + path);
  debug_stream = file;
}

void debug_line(bool enabled, std::string_view line) {
  if (!enabled) return;
  FILE* out = debug_stream ? debug_stream : stderr;
  std::fprintf(out, "xolstub: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(out);
}

std::string printable(std::string_view bytes) {
  constexpr std::size_t limit = 512;
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  if (bytes.size() > limit) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

} // namespace xolstub::stub
