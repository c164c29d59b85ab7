// libFuzzer target: the Z packet options parser and the agent-expression interpreter, which run
// bytecode a client sent against the stopped thread. Bad bytecode must be an AgentResult with a
// message, never a crash, an exception, a hang or unbounded memory.
//
// The input is the tail of a Z packet (";X3,220127..."); when it parses, every condition and
// command runs against a context whose memory is a pattern with unreadable holes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "breakpoints/agent_expression.h"

namespace {
using namespace xolstub::breakpoints;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "agent_fuzzer: property broken: %s\n", what);
  std::abort();
}

class PatternContext : public AgentContext {
public:
  std::optional<std::vector<std::uint8_t>> read_memory(std::uint64_t address, std::size_t size) override {
    require(size <= 64 * 1024, "one memory read larger than any opcode or printf string needs");
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < size; ++i) {
      std::uint64_t at = address + i;
      if ((at >> 12) % 3 == 2) return std::nullopt;  // every third page is unmapped
      bytes.push_back(static_cast<std::uint8_t>(at * 31 + (at >> 8)));
    }
    return bytes;
  }
  std::optional<std::uint64_t> read_register(int number) override {
    if (number < 0 || number > 23) return std::nullopt;
    return 0x1000u * static_cast<std::uint64_t>(number) + 7;
  }
  void print(std::string_view text) override { printed += text.size(); }
  std::size_t printed = 0;
};

void check(const AgentResult& result) {
  require(result.ok == (result.kind == AgentErrorKind::none), "ok and kind disagree");
  require(result.ok == result.error.empty(), "a failure without a message (or a success with one)");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParsedPointOptions parsed = parse_point_options(input);
  require(parsed.ok == parsed.error.empty(), "a parse failure without a message");

  AgentLimits limits;
  limits.max_steps = 20000;  // keeps one input fast; the limit itself is what is tested
  PatternContext context;
  // The raw bytes as one expression too, so the interpreter sees inputs the parser would refuse.
  AgentExpression raw{std::vector<std::uint8_t>(data, data + size)};
  check(evaluate(raw, context, limits));
  check(run_command(raw, context, limits));
  if (parsed.ok) {
    for (const auto& condition : parsed.options.conditions) check(evaluate(condition, context, limits));
    for (const auto& command : parsed.options.commands) check(run_command(command, context, limits));
    (void)any_condition_true(parsed.options.conditions, context, limits);
  }
  // printf output is bounded by the step limit and max_string per argument.
  require(context.printed <= 64 * 1024 * 1024, "printf wrote without bound");
  return 0;
}
