#include "rsp/hex.h"
#include "tests/differential/outcome.h"

#include <csignal>
#include <cstdio>
#include <cstring>


namespace xolstub::differential {
namespace {

std::string hex(std::uint64_t value) { return "0x" + rsp::hex_number(value); }

// Registers up to 8 bytes as numbers; wider ones as hex digits, most significant byte first.
std::string register_value(const std::uint8_t* bytes, std::size_t size) {
  if (size <= 8) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes, size);
    return hex(value);
  }
  std::string out;
  char digits[3];
  for (std::size_t i = size; i-- > 0;) {
    std::snprintf(digits, sizeof digits, "%02x", bytes[i]);
    out += digits;
  }
  return out;
}

std::string byte_run(const std::vector<std::uint8_t>& bytes, std::size_t from, std::size_t to) {
  std::string out;
  char digits[4];
  for (std::size_t i = from; i < to && i < bytes.size(); ++i) {
    std::snprintf(digits, sizeof digits, "%s%02x", out.empty() ? "" : " ", bytes[i]);
    out += digits;
  }
  return out;
}

// Differing byte ranges of one memory region, at most a few of them.
void compare_memory(const char* name, std::uint64_t base, const std::vector<std::uint8_t>& a,
                    const std::vector<std::uint8_t>& b, std::vector<std::string>& out) {
  if (a.size() != b.size()) {
    out.push_back(std::string(name) + ": " + std::to_string(a.size()) + " bytes readable in place, " +
                  std::to_string(b.size()) + " out of line");
    return;
  }
  unsigned shown = 0;
  for (std::size_t i = 0; i < a.size();) {
    if (a[i] == b[i]) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < a.size() && (a[end] != b[end] || (end + 1 < a.size() && a[end + 1] != b[end + 1]))) ++end;
    if (++shown > 4) {
      out.push_back(std::string(name) + ": more bytes differ");
      return;
    }
    std::size_t shown_end = std::min(end, i + 32);
    out.push_back(std::string(name) + " " + hex(base + i) + ".." + hex(base + end - 1) + ": in place [" +
                  byte_run(a, i, shown_end) + "] out of line [" + byte_run(b, i, shown_end) + "]" +
                  (shown_end < end ? " ..." : ""));
    i = end;
  }
}

std::string signal_name(int signal) {
  const char* name = sigabbrev_np(signal);
  return name ? std::string("SIG") + name : "signal " + std::to_string(signal);
}

} // namespace

std::string Outcome::describe_stop() const {
  if (!error.empty()) return "error: " + error;
  switch (reason) {
  case threads::StopReport::Reason::single_step: return "single-step";
  case threads::StopReport::Reason::exited: return "exited with status " + std::to_string(exit_status);
  case threads::StopReport::Reason::killed: return "killed by " + signal_name(signal);
  case threads::StopReport::Reason::signal: break;
  default: return threads::StopReport{reason}.reason_name();
  }
  std::string out = signal_name(signal);
  if (has_siginfo) out += " (si_code " + std::to_string(signal_code) + ", si_addr " + hex(signal_address) + ")";
  return out;
}

bool Outcome::faulted() const {
  return error.empty() && reason == threads::StopReport::Reason::signal &&
         (signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE || signal == SIGILL);
}

std::vector<std::string> compare_outcomes(const Outcome& in_place, const Outcome& out_of_line,
                                          const threads::RegisterLayout& layout) {
  std::vector<std::string> out;
  if (in_place.describe_stop() != out_of_line.describe_stop())
    out.push_back("stop: in place " + in_place.describe_stop() + ", out of line " + out_of_line.describe_stop());
  if (!in_place.error.empty() || !out_of_line.error.empty()) return out;
  if (in_place.registers.size() == layout.g_packet_size() && out_of_line.registers.size() == layout.g_packet_size()) {
    for (const threads::RegisterInfo& info : layout.registers()) {
      const std::uint8_t* a = in_place.registers.data() + info.offset;
      const std::uint8_t* b = out_of_line.registers.data() + info.offset;
      if (std::memcmp(a, b, info.size()) != 0)
        out.push_back(info.name + ": in place " + register_value(a, info.size()) + ", out of line " +
                      register_value(b, info.size()) +
                      (info.name == "rip" && out_of_line.pc_in_slot ? " (an XOL slot address)" : ""));
    }
  } else if (in_place.registers != out_of_line.registers) {
    out.push_back("registers: one run has none (process gone?)");
  }
  if (in_place.memory.size() != out_of_line.memory.size()) {
    out.push_back("memory: not read in one of the runs");
    return out;
  }
  for (std::size_t i = 0; i < in_place.memory.size(); ++i)
    compare_memory(in_place.memory[i].name, in_place.memory[i].address, in_place.memory[i].bytes,
                   out_of_line.memory[i].bytes, out);
  return out;
}

} // namespace xolstub::differential
