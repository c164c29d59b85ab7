#include "breakpoints/breakpoint_conditions.h"

#include <cstdio>
#include <cstring>

namespace xolstub::breakpoints {
namespace {

// The stopped thread as the bytecode sees it: memory as the program wrote it (the original
// bytes under our int3s), registers by GDB's amd64 numbers.
class ThreadContext : public AgentContext {
public:
  ThreadContext(const BreakpointSites& sites, threads::Thread& thread, const std::function<void(std::string_view)>& output)
      : sites_(sites), thread_(thread), output_(output) {}

  std::optional<std::vector<std::uint8_t>> read_memory(std::uint64_t address, std::size_t size) override {
    std::vector<std::uint8_t> bytes(size);
    if (sites_.read_memory(address, bytes) != size) return std::nullopt;
    return bytes;
  }

  std::optional<std::uint64_t> read_register(int gdb_regnum) override {
    if (gdb_regnum < 0 || static_cast<std::size_t>(gdb_regnum) >= thread_.registers().layout().size())
      return std::nullopt;
    std::vector<std::uint8_t> bytes = thread_.registers().read(static_cast<unsigned>(gdb_regnum));
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
    return value;
  }

  void print(std::string_view text) override {
    if (output_) output_(text);
  }

private:
  const BreakpointSites& sites_;
  threads::Thread& thread_;
  const std::function<void(std::string_view)>& output_;
};

std::string hex_address(std::uint64_t address) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(address));
  return text;
}

} // namespace

BreakpointConditions::BreakpointConditions(BreakpointSites& sites, std::function<void(std::string_view)> output,
                                           std::function<void(std::string_view)> warn)
    : sites_(sites), output_(std::move(output)), warn_(std::move(warn)) {}

std::set<OwnerId> BreakpointConditions::stopping_owners(threads::Thread& thread, std::uint64_t address) {
  const auto* owners = sites_.owners_at(address);
  if (!owners) return {everyone};
  ThreadContext context(sites_, thread, output_);
  std::set<OwnerId> stops;
  for (const auto& [owner, options] : *owners) {
    ConditionVerdict verdict = any_condition_true(options.conditions, context);
    if (verdict.error && warned_.insert(address).second && warn_)
      warn_("breakpoint condition at " + hex_address(address) + " cannot be evaluated (" + *verdict.error +
            "): the breakpoint stops the thread");
    if (!verdict.stop) continue;
    if (options.commands.empty()) {
      stops.insert(owner);
      continue;
    }
    for (const auto& command : options.commands) {
      AgentResult result = run_command(command, context);
      if (!result.ok && warned_.insert(address).second && warn_)
        warn_("breakpoint command at " + hex_address(address) + " failed: " + result.error);
    }
  }
  return stops;
}

} // namespace xolstub::breakpoints
