#include "stub/thread_id.h"

#include "rsp/hex.h"

namespace xolstub::stub {
namespace {
std::optional<pid_t> parse_part(std::string_view text) {
  auto value = rsp::parse_signed_hex(text);
  if (!value || *value < -1 || *value > 0x7fffffff) return std::nullopt;
  return static_cast<pid_t>(*value);
}
} // namespace

std::optional<ThreadId> parse_thread_id(std::string_view text) {
  ThreadId id;
  if (!text.empty() && text.front() == 'p') {
    text.remove_prefix(1);
    auto dot = text.find('.');
    auto pid = parse_part(text.substr(0, dot));
    if (!pid) return std::nullopt;
    id.pid = *pid;
    if (dot == std::string_view::npos) {
      id.tid = ThreadId::all;  // "p<pid>" names every thread of the process
      return id;
    }
    auto tid = parse_part(text.substr(dot + 1));
    if (!tid) return std::nullopt;
    id.tid = *tid;
    return id;
  }
  auto tid = parse_part(text);
  if (!tid) return std::nullopt;
  id.tid = *tid;
  id.pid = *tid == ThreadId::all ? ThreadId::all : ThreadId::any;
  return id;
}

std::string format_thread_id(pid_t pid, pid_t tid, bool multiprocess) {
  std::string thread = rsp::hex_number(static_cast<std::uint64_t>(tid));
  return multiprocess ? "p" + rsp::hex_number(static_cast<std::uint64_t>(pid)) + "." + thread : thread;
}

} // namespace xolstub::stub
