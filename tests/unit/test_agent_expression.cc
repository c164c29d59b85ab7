// The agent-expression interpreter against a fake target: every opcode GDB emits, printf, ORed
// breakpoint conditions, commands, bad bytecode, and the Z packet options that carry them.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "breakpoints/agent_expression.h"

using xolstub::breakpoints::AgentContext;
using xolstub::breakpoints::AgentErrorKind;
using xolstub::breakpoints::AgentExpression;
using xolstub::breakpoints::AgentLimits;
using xolstub::breakpoints::AgentResult;
using xolstub::breakpoints::any_condition_true;
using xolstub::breakpoints::evaluate;
using xolstub::breakpoints::parse_point_options;
using Op = xolstub::breakpoints::AgentOp;

namespace {

// Memory as a few regions (a read must fall inside one), registers by GDB number, and trace
// state variables only when a test gives it some.
class FakeTarget : public AgentContext {
public:
  std::map<std::uint64_t, std::vector<std::uint8_t>> regions;  // start -> bytes
  std::map<int, std::uint64_t> registers;
  std::optional<std::map<int, std::int64_t>> variables;
  std::vector<std::string> printed;
  int memory_reads = 0;
  bool throw_on_register = false;

  std::optional<std::vector<std::uint8_t>> read_memory(std::uint64_t address,
                                                       std::size_t size) override {
    ++memory_reads;
    for (const auto& [start, bytes] : regions) {
      if (address >= start && address - start <= bytes.size() &&
          size <= bytes.size() - (address - start)) {
        auto first = bytes.begin() + static_cast<std::ptrdiff_t>(address - start);
        return std::vector<std::uint8_t>(first, first + static_cast<std::ptrdiff_t>(size));
      }
    }
    return std::nullopt;
  }
  std::optional<std::uint64_t> read_register(int gdb_regnum) override {
    if (throw_on_register) throw std::runtime_error("ptrace(PTRACE_GETREGS): No such process");
    auto it = registers.find(gdb_regnum);
    if (it == registers.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::int64_t> get_trace_state_variable(int number) override {
    if (!variables || !variables->contains(number)) return std::nullopt;
    return variables->at(number);
  }
  bool set_trace_state_variable(int number, std::int64_t value) override {
    if (!variables) return false;
    (*variables)[number] = value;
    return true;
  }
  void print(std::string_view text) override { printed.emplace_back(text); }

  // A string in mapped memory that runs on to the end of its page, as real memory would (printf
  // %s reads whole pages).
  void put_string(std::uint64_t address, std::string_view text) {
    std::vector<std::uint8_t> page(4096 - address % 4096, 0);
    REQUIRE(text.size() < page.size());
    std::copy(text.begin(), text.end(), page.begin());
    regions[address] = std::move(page);
  }
};

// A tiny assembler, so tests read as the bytecode GDB would send.
class Code {
public:
  Code& op(Op opcode, std::initializer_list<std::uint8_t> operands = {}) {
    bytes_.push_back(static_cast<std::uint8_t>(opcode));
    bytes_.insert(bytes_.end(), operands);
    return *this;
  }
  Code& raw(std::initializer_list<std::uint8_t> bytes) {
    bytes_.insert(bytes_.end(), bytes);
    return *this;
  }
  // The smallest constN that holds `value`, as GDB's ax_const_l picks.
  Code& push(std::uint64_t value) {
    int size = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffff ? 4 : 8;
    bytes_.push_back(static_cast<std::uint8_t>(size == 1   ? Op::const8
                                               : size == 2 ? Op::const16
                                               : size == 4 ? Op::const32
                                                           : Op::const64));
    for (int i = size - 1; i >= 0; --i) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    return *this;
  }
  // A negative constant: push the low bits, then sign-extend them (the manual's recipe).
  Code& push_signed(std::int64_t value) {
    if (value >= 0) return push(static_cast<std::uint64_t>(value));
    return push(static_cast<std::uint64_t>(value) & 0xffffffff).op(Op::ext, {32});
  }
  Code& reg(int regnum) {
    return op(Op::reg, {static_cast<std::uint8_t>(regnum >> 8), static_cast<std::uint8_t>(regnum)});
  }
  // The printf opcode as gen_printf writes it: the arguments already pushed last to first, then
  // channel and function.
  Code& printf(std::uint8_t argument_count, std::string_view format) {
    push(0).push(0);  // channel, function
    std::size_t length = format.size() + 1;
    op(Op::printf, {argument_count, static_cast<std::uint8_t>(length >> 8),
                    static_cast<std::uint8_t>(length)});
    bytes_.insert(bytes_.end(), format.begin(), format.end());
    bytes_.push_back(0);
    return *this;
  }
  Code& end() { return op(Op::end); }
  std::size_t size() const { return bytes_.size(); }
  operator AgentExpression() const { return AgentExpression{bytes_}; }

private:
  std::vector<std::uint8_t> bytes_;
};

AgentResult run(const AgentExpression& expression, AgentContext& context,
                const AgentLimits& limits = {}) {
  return evaluate(expression, context, limits);
}

AgentResult run(const AgentExpression& expression) {
  FakeTarget target;
  return evaluate(expression, target);
}

// The value of a binary opcode applied to a and b (a pushed first).
std::uint64_t binary(Op opcode, std::uint64_t a, std::uint64_t b) {
  AgentResult result = run(Code().push(a).push(b).op(opcode).end());
  REQUIRE_MESSAGE(result.ok, result.error);
  return result.value;
}

std::int64_t signed_binary(Op opcode, std::int64_t a, std::int64_t b) {
  AgentResult result = run(Code().push_signed(a).push_signed(b).op(opcode).end());
  REQUIRE_MESSAGE(result.ok, result.error);
  return result.signed_value();
}

AgentErrorKind failure(const AgentExpression& expression) {
  AgentResult result = run(expression);
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.error.empty());
  return result.kind;
}

std::string printed(Code code) {
  FakeTarget target;
  AgentResult result = run(code.push(1).end(), target);  // printf pushes nothing: end needs a value
  REQUIRE_MESSAGE(result.ok, result.error);
  REQUIRE(target.printed.size() == 1);
  return target.printed[0];
}

}  // namespace

TEST_CASE("agent constants are big-endian in the bytecode and not sign-extended") {
  CHECK(run(Code().op(Op::const8, {0xfe}).end()).value == 0xfe);
  CHECK(run(Code().op(Op::const16, {0x12, 0x34}).end()).value == 0x1234);
  CHECK(run(Code().op(Op::const16, {0xff, 0xfe}).end()).value == 0xfffe);
  CHECK(run(Code().op(Op::const32, {0x12, 0x34, 0x56, 0x78}).end()).value == 0x12345678);
  CHECK(run(Code().op(Op::const32, {0x80, 0, 0, 0}).end()).value == 0x80000000);
  CHECK(run(Code().op(Op::const64, {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}).end()).value ==
        0x0123456789abcdefull);
  CHECK(run(Code().op(Op::const64, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}).end())
            .signed_value() == -1);
  // The result is the top of the stack, whatever lies under it.
  CHECK(run(Code().push(1).push(2).push(3).end()).value == 3);
}

TEST_CASE("agent add sub mul wrap at 64 bits with the top of the stack as b") {
  CHECK(binary(Op::add, 2, 3) == 5);
  CHECK(binary(Op::add, ~0ull, 2) == 1);
  CHECK(binary(Op::sub, 10, 3) == 7);  // a - b: next-to-top minus top
  CHECK(binary(Op::sub, 3, 10) == static_cast<std::uint64_t>(-7));
  CHECK(binary(Op::mul, 6, 7) == 42);
  CHECK(binary(Op::mul, 1ull << 63, 2) == 0);
  CHECK(signed_binary(Op::mul, -3, 5) == -15);
}

TEST_CASE("agent division and remainder, signed and unsigned") {
  CHECK(binary(Op::div_unsigned, 17, 5) == 3);
  CHECK(binary(Op::rem_unsigned, 17, 5) == 2);
  CHECK(signed_binary(Op::div_signed, -17, 5) == -3);  // truncates toward zero, as C does
  CHECK(signed_binary(Op::rem_signed, -17, 5) == -2);
  CHECK(signed_binary(Op::div_signed, 17, -5) == -3);
  CHECK(signed_binary(Op::rem_signed, 17, -5) == 2);
  // Unsigned division sees -16 as a huge number.
  CHECK(binary(Op::div_unsigned, static_cast<std::uint64_t>(-16), 2) == 0x7ffffffffffffff8ull);

  // INT64_MIN / -1 would trap on x86: it wraps instead.
  std::uint64_t int64_min = 1ull << 63;
  CHECK(run(Code().push(int64_min).push_signed(-1).op(Op::div_signed).end()).value == int64_min);
  CHECK(run(Code().push(int64_min).push_signed(-1).op(Op::rem_signed).end()).value == 0);

  for (Op opcode : {Op::div_signed, Op::div_unsigned, Op::rem_signed, Op::rem_unsigned}) {
    AgentResult result = run(Code().push(5).push(0).op(opcode).end());
    CHECK_FALSE(result.ok);
    CHECK(result.kind == AgentErrorKind::division_by_zero);
    CHECK(result.error.find("division by zero") != std::string::npos);
  }
}

TEST_CASE("agent shifts, including by 64 bits or more") {
  CHECK(binary(Op::lsh, 1, 4) == 16);
  CHECK(binary(Op::lsh, 1, 63) == 1ull << 63);
  CHECK(binary(Op::lsh, 1, 64) == 0);
  CHECK(binary(Op::rsh_unsigned, 0x80, 4) == 0x8);
  CHECK(binary(Op::rsh_unsigned, 1ull << 63, 63) == 1);
  CHECK(binary(Op::rsh_unsigned, ~0ull, 64) == 0);
  CHECK(signed_binary(Op::rsh_signed, -16, 2) == -4);  // copies of the sign bit come in
  CHECK(signed_binary(Op::rsh_signed, 16, 2) == 4);
  CHECK(signed_binary(Op::rsh_signed, -16, 200) == -1);
  CHECK(signed_binary(Op::rsh_signed, 16, 200) == 0);
}

TEST_CASE("agent logic, bitwise operations and comparisons") {
  CHECK(run(Code().push(0).op(Op::log_not).end()).value == 1);
  CHECK(run(Code().push(7).op(Op::log_not).end()).value == 0);
  CHECK(binary(Op::bit_and, 0b1100, 0b1010) == 0b1000);
  CHECK(binary(Op::bit_or, 0b1100, 0b1010) == 0b1110);
  CHECK(binary(Op::bit_xor, 0b1100, 0b1010) == 0b0110);
  CHECK(run(Code().push(0).op(Op::bit_not).end()).value == ~0ull);
  CHECK(binary(Op::equal, 5, 5) == 1);
  CHECK(binary(Op::equal, 5, 6) == 0);
  CHECK(signed_binary(Op::less_signed, -1, 1) == 1);  // a < b: next-to-top less than top
  CHECK(signed_binary(Op::less_signed, 1, -1) == 0);
  CHECK(signed_binary(Op::less_signed, 1, 1) == 0);
  CHECK(binary(Op::less_unsigned, static_cast<std::uint64_t>(-1), 1) == 0);
  CHECK(binary(Op::less_unsigned, 1, static_cast<std::uint64_t>(-1)) == 1);
}

TEST_CASE("agent ext sign-extends from n bits and zero_ext keeps the low n bits") {
  CHECK(run(Code().push(0xff).op(Op::ext, {8}).end()).signed_value() == -1);
  CHECK(run(Code().push(0x7f).op(Op::ext, {8}).end()).value == 0x7f);
  CHECK(run(Code().push(0x1ff).op(Op::ext, {8}).end()).signed_value() == -1);  // bits above n go
  CHECK(run(Code().push(0x8000).op(Op::ext, {16}).end()).signed_value() == -32768);
  CHECK(run(Code().push(0xfffffffe).op(Op::ext, {32}).end()).signed_value() == -2);
  CHECK(run(Code().push(1).op(Op::ext, {1}).end()).signed_value() == -1);
  CHECK(run(Code().push(0x80).op(Op::ext, {64}).end()).value == 0x80);  // n >= 64: no effect
  CHECK(run(Code().push(0x80).op(Op::ext, {200}).end()).value == 0x80);
  CHECK(failure(Code().push(1).op(Op::ext, {0}).end()) == AgentErrorKind::bad_operand);

  CHECK(run(Code().push_signed(-1).op(Op::zero_ext, {8}).end()).value == 0xff);
  CHECK(run(Code().push_signed(-1).op(Op::zero_ext, {32}).end()).value == 0xffffffff);
  CHECK(run(Code().push_signed(-1).op(Op::zero_ext, {64}).end()).value == ~0ull);
  CHECK(run(Code().push_signed(-1).op(Op::zero_ext, {0}).end()).value == 0);
}

TEST_CASE("agent dup pop swap pick rot move the stack as the manual says") {
  CHECK(run(Code().push(4).op(Op::dup).op(Op::add).end()).value == 8);
  CHECK(run(Code().push(1).push(2).op(Op::pop).end()).value == 1);
  // swap: a b => b a
  CHECK(run(Code().push(10).push(3).op(Op::swap).op(Op::sub).end()).value == static_cast<std::uint64_t>(-7));
  CHECK(run(Code().push(1).push(2).op(Op::swap).end()).value == 1);
  CHECK(run(Code().push(1).push(2).op(Op::swap).op(Op::pop).end()).value == 2);
  // pick n copies the item n below the top: 0 is dup.
  CHECK(run(Code().push(1).push(2).push(3).op(Op::pick, {0}).end()).value == 3);
  CHECK(run(Code().push(1).push(2).push(3).op(Op::pick, {1}).end()).value == 2);
  CHECK(run(Code().push(1).push(2).push(3).op(Op::pick, {2}).end()).value == 1);
  CHECK(run(Code().push(1).push(2).push(3).op(Op::pick, {2}).op(Op::pop).end()).value == 3);
  CHECK(failure(Code().push(1).push(2).op(Op::pick, {2}).end()) == AgentErrorKind::stack_underflow);
  // rot: a b c => c a b (top becomes third, b comes to the top).
  Code rotated = Code().push(1).push(2).push(3).op(Op::rot);
  CHECK(run(Code(rotated).end()).value == 2);
  CHECK(run(Code(rotated).op(Op::pop).end()).value == 1);
  CHECK(run(Code(rotated).op(Op::pop).op(Op::pop).end()).value == 3);
  CHECK(failure(Code().push(1).push(2).op(Op::rot).end()) == AgentErrorKind::stack_underflow);
}

TEST_CASE("agent ref8 to ref64 read little-endian memory through the context") {
  FakeTarget target;
  target.regions[0x1000] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
  CHECK(run(Code().push(0x1000).op(Op::ref8).end(), target).value == 0x11);
  CHECK(run(Code().push(0x1000).op(Op::ref16).end(), target).value == 0x2211);
  CHECK(run(Code().push(0x1000).op(Op::ref32).end(), target).value == 0x44332211);
  CHECK(run(Code().push(0x1000).op(Op::ref64).end(), target).value == 0x8877665544332211ull);
  CHECK(run(Code().push(0x1001).op(Op::ref64).end(), target).value == 0x9988776655443322ull);  // unaligned
  // Fetched values are unsigned: GDB adds ext for signed types.
  target.regions[0x2000] = {0xfe, 0xff, 0xff, 0xff};
  CHECK(run(Code().push(0x2000).op(Op::ref32).end(), target).value == 0xfffffffe);
  CHECK(run(Code().push(0x2000).op(Op::ref32).op(Op::ext, {32}).end(), target).signed_value() == -2);

  AgentResult fault = run(Code().push(0x1005).op(Op::ref64).end(), target);  // 4 bytes past the end
  CHECK_FALSE(fault.ok);
  CHECK(fault.kind == AgentErrorKind::memory_fault);
  CHECK(fault.error.find("memory fault at 0x1005") != std::string::npos);
  CHECK(run(Code().push(0).op(Op::ref8).end(), target).error.find("memory fault at 0x0") !=
        std::string::npos);
}

TEST_CASE("agent reg reads GDB's amd64 register numbers through the context") {
  FakeTarget target;
  target.registers[0] = 42;                        // rax
  target.registers[16] = 0x401136;                 // rip
  target.registers[300] = 0xfeedfacecafebeefull;   // a number that needs both operand bytes
  CHECK(run(Code().reg(0).end(), target).value == 42);
  CHECK(run(Code().reg(16).end(), target).value == 0x401136);
  CHECK(run(Code().reg(300).end(), target).value == 0xfeedfacecafebeefull);
  AgentResult missing = run(Code().reg(5).end(), target);
  CHECK(missing.kind == AgentErrorKind::register_unavailable);
  CHECK(missing.error.find("register 5") != std::string::npos);

  // A context that throws (a ptrace failure) is an error value too.
  target.throw_on_register = true;
  AgentResult thrown = run(Code().reg(0).end(), target);
  CHECK_FALSE(thrown.ok);
  CHECK(thrown.kind == AgentErrorKind::context_error);
  CHECK(thrown.error.find("No such process") != std::string::npos);
}

// What GDB 13 compiles for `y == 5` and `dprintf ...,"v=%d\n", y` with an `int y` at the frame's
// CFA-20 (`maint agent-eval`, `maint agent-printf` at -O0): the CFA is rbp+16.
const std::vector<std::uint8_t> gdb_load_y = {
    0x26, 0x00, 0x06,  // reg 6 (rbp)
    0x22, 0x10,        // const8 16
    0x02,              // add
    0x22, 0xec,        // const8 236
    0x16, 0x08,        // ext 8: -20
    0x02,              // add
    0x19,              // ref32
    0x16, 0x20,        // ext 32
};

AgentExpression gdb_condition_y_is_5() {
  AgentExpression condition{gdb_load_y};
  condition.bytes.insert(condition.bytes.end(), {0x22, 0x05, 0x13, 0x27});  // const8 5, equal, end
  return condition;
}

AgentExpression gdb_dprintf_y() {
  AgentExpression command{gdb_load_y};
  command.bytes.insert(command.bytes.end(), {
      0x22, 0x00, 0x22, 0x00,                     // channel, function
      0x34, 0x01, 0x00, 0x07,                     // printf, 1 argument, 7 bytes of format:
      'v', '=', '%', 'd', '\\', 'n', 0x00,          // the escape as typed, then the NUL
      0x27,                                       // end, with nothing left on the stack
  });
  return command;
}

TEST_CASE("agent a condition as GDB compiles it: y == 5 with y at rbp-4") {
  FakeTarget target;
  target.registers[6] = 0x7ffc0010;
  target.regions[0x7ffc000c] = {5, 0, 0, 0};
  CHECK(run(gdb_condition_y_is_5(), target).value == 1);
  target.regions[0x7ffc000c] = {6, 0, 0, 0};
  CHECK(run(gdb_condition_y_is_5(), target).value == 0);
  target.regions.clear();
  CHECK(run(gdb_condition_y_is_5(), target).error.find("memory fault at 0x7ffc000c") !=
        std::string::npos);
}

TEST_CASE("agent commands run for their effects: dprintf bytecode ends with an empty stack") {
  FakeTarget target;
  target.registers[6] = 0x7ffc0010;
  target.regions[0x7ffc000c] = {0xfe, 0xff, 0xff, 0xff};
  AgentResult result = xolstub::breakpoints::run_command(gdb_dprintf_y(), target);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.value == 0);
  CHECK(target.printed == std::vector<std::string>{"v=-2\n"});
  // As a condition the same bytecode has no value.
  AgentResult as_condition = run(gdb_dprintf_y(), target);
  CHECK_FALSE(as_condition.ok);
  CHECK(as_condition.error.find("empty stack") != std::string::npos);
  // A command's errors are still errors.
  target.regions.clear();
  CHECK(xolstub::breakpoints::run_command(gdb_dprintf_y(), target).kind ==
        AgentErrorKind::memory_fault);
}

TEST_CASE("agent if_goto and goto jump to offsets from the start") {
  // a ? 10 : 20 -- 0: const8 a; 2: if_goto 8; 5: const8 20; 7: end; 8: const8 10; 10: end
  auto choose = [](std::uint8_t a) {
    return Code().push(a).op(Op::if_goto, {0, 8}).push(20).end().push(10).end();
  };
  CHECK(run(choose(1)).value == 10);
  CHECK(run(choose(0)).value == 20);
  CHECK(run(Code().op(Op::goto_, {0, 5}).push(1).push(2).end()).value == 2);  // skips const8 1
  CHECK(failure(Code().op(Op::goto_, {0, 5}).push(1).op(Op::end)) == AgentErrorKind::stack_underflow);
  // if_goto pops its condition whether it jumps or not.
  CHECK(run(Code().push(7).push(0).op(Op::if_goto, {0, 7}).end()).value == 7);
  CHECK(run(Code().push(7).push(1).op(Op::if_goto, {0, 7}).end()).value == 7);

  // A backward loop: the sum of 1..10, with the counter on top and the sum under it.
  Code loop;
  loop.push(0).push(10);                                          //  0: sum n
  loop.op(Op::dup).op(Op::if_goto, {0, 10});                      //  4: while n != 0 go to 10
  loop.op(Op::pop).end();                                         //  8: drop n, return the sum
  loop.op(Op::swap).op(Op::pick, {1}).op(Op::add).op(Op::swap);   // 10: sum += n
  loop.push(1).op(Op::sub).op(Op::goto_, {0, 4});                 // 15: n -= 1, loop
  REQUIRE(loop.size() == 21);
  CHECK(run(loop).value == 55);
}

TEST_CASE("agent trace opcodes record nothing but take from the stack what they should") {
  // trace: addr size =>
  CHECK(run(Code().push(9).push(0x1000).push(4).op(Op::trace).end()).value == 9);
  CHECK(failure(Code().push(4).op(Op::trace).end()) == AgentErrorKind::stack_underflow);
  // tracenz: addr size =>
  CHECK(run(Code().push(9).push(0x1000).push(4).op(Op::tracenz).end()).value == 9);
  // trace_quick n and trace16 n: addr => addr
  CHECK(run(Code().push(0x1000).op(Op::trace_quick, {4}).end()).value == 0x1000);
  CHECK(run(Code().push(0x1000).op(Op::trace16, {0x01, 0x00}).end()).value == 0x1000);
  CHECK(failure(Code().op(Op::trace_quick, {4}).push(1).end()) == AgentErrorKind::stack_underflow);
  CHECK(failure(Code().push(0x1000).op(Op::trace16, {0x01})) == AgentErrorKind::truncated);
  // tracev n: the stack as it was (GDB puts it after the getv that pushed the value).
  CHECK(run(Code().push(3).op(Op::tracev, {0, 1}).end()).value == 3);
  // None of them reads memory: the fake would count it.
  FakeTarget target;
  run(Code().push(0x1000).push(4).op(Op::trace).push(0x1000).op(Op::trace_quick, {4}).end(), target);
  CHECK(target.memory_reads == 0);
}

TEST_CASE("agent getv and setv go through the context and are unsupported by default") {
  AgentResult unsupported = run(Code().op(Op::getv, {0, 1}).end());
  CHECK(unsupported.kind == AgentErrorKind::trace_state_variable);
  CHECK(unsupported.error.find("trace state variable 1") != std::string::npos);
  CHECK(failure(Code().push(1).op(Op::setv, {0, 1}).end()) == AgentErrorKind::trace_state_variable);

  FakeTarget target;
  target.variables.emplace();
  (*target.variables)[1] = -5;
  CHECK(run(Code().op(Op::getv, {0, 1}).end(), target).signed_value() == -5);
  // $tv = $tv + 10: getv, const8 10, add, setv (the value stays on the stack).
  CHECK(run(Code().op(Op::getv, {0, 1}).push(10).op(Op::add).op(Op::setv, {0, 1}).end(), target)
            .signed_value() == 5);
  CHECK(target.variables->at(1) == 5);
  CHECK(run(Code().push(7).op(Op::setv, {0x01, 0x02}).end(), target).value == 7);
  CHECK(target.variables->at(0x102) == 7);
  CHECK(failure(Code().op(Op::setv, {0, 1}).end()) == AgentErrorKind::stack_underflow);
}

TEST_CASE("agent floating-point opcodes are valid but unsupported") {
  for (Op opcode : {Op::float_prefix, Op::ref_float, Op::ref_double, Op::ref_long_double,
                    Op::l_to_d, Op::d_to_l}) {
    AgentResult result = run(Code().push(0x1000).op(opcode).end());
    CHECK_FALSE(result.ok);
    CHECK(result.kind == AgentErrorKind::unsupported_opcode);
    CHECK(result.error.find("floating point") != std::string::npos);
  }
}

TEST_CASE("agent unknown opcodes stop the expression") {
  for (std::uint8_t opcode : std::initializer_list<std::uint8_t>{0x00, 0x31, 0x35, 0x80, 0xff}) {
    AgentResult result = run(Code().push(1).raw({opcode}).end());
    CHECK_FALSE(result.ok);
    CHECK(result.kind == AgentErrorKind::unknown_opcode);
    CHECK(result.error.find("unknown opcode") != std::string::npos);
    CHECK(result.error.find("offset 2") != std::string::npos);
  }
}

TEST_CASE("agent bad bytecode is an error value, never a crash") {
  SUBCASE("stack underflow") {
    for (Op opcode : {Op::add, Op::sub, Op::mul, Op::div_signed, Op::lsh, Op::equal, Op::bit_and,
                      Op::less_signed, Op::swap}) {
      AgentResult result = run(Code().push(1).op(opcode).end());
      CHECK(result.kind == AgentErrorKind::stack_underflow);
      CHECK(result.error.find("stack underflow") != std::string::npos);
    }
    for (Op opcode : {Op::pop, Op::dup, Op::log_not, Op::bit_not, Op::ref8, Op::if_goto}) {
      Code code;
      code.op(opcode);
      if (opcode == Op::if_goto) code.raw({0, 0});
      CHECK(failure(code.push(1).end()) == AgentErrorKind::stack_underflow);
    }
    CHECK(failure(Code().end()) == AgentErrorKind::stack_underflow);  // end with nothing to return
  }
  SUBCASE("stack overflow at the fixed limit") {
    Code deep;
    for (int i = 0; i < 1025; ++i) deep.push(1);
    AgentResult result = run(deep.end());
    CHECK(result.kind == AgentErrorKind::stack_overflow);
    CHECK(result.error.find("1024") != std::string::npos);
    Code full;
    for (int i = 0; i < 1024; ++i) full.push(1);
    CHECK(run(full.end()).ok);
    // An endless dup loop overflows before the step limit.
    CHECK(failure(Code().push(1).op(Op::dup).op(Op::goto_, {0, 2})) == AgentErrorKind::stack_overflow);
  }
  SUBCASE("jumps out of range") {
    AgentResult result = run(Code().op(Op::goto_, {0x01, 0x00}).end());
    CHECK(result.kind == AgentErrorKind::jump_out_of_range);
    CHECK(result.error.find("offset 256") != std::string::npos);
    CHECK(failure(Code().push(1).op(Op::if_goto, {0, 8}).push(0).end()) ==
          AgentErrorKind::jump_out_of_range);  // 8 is one past the last byte
    // Not taken, an out-of-range if_goto is harmless.
    CHECK(run(Code().push(0).op(Op::if_goto, {0xff, 0xff}).push(3).end()).value == 3);
  }
  SUBCASE("operands cut off by the end of the bytecode") {
    CHECK(failure(Code().op(Op::const8)) == AgentErrorKind::truncated);
    CHECK(failure(Code().op(Op::const16, {1})) == AgentErrorKind::truncated);
    CHECK(failure(Code().op(Op::const32, {1, 2, 3})) == AgentErrorKind::truncated);
    CHECK(failure(Code().op(Op::const64, {1, 2, 3, 4, 5, 6, 7})) == AgentErrorKind::truncated);
    CHECK(failure(Code().op(Op::reg, {0})) == AgentErrorKind::truncated);
    CHECK(failure(Code().push(1).op(Op::goto_, {0})) == AgentErrorKind::truncated);
    CHECK(failure(Code().push(1).op(Op::ext)) == AgentErrorKind::truncated);
    CHECK(failure(Code().push(1).op(Op::printf, {0, 0, 9, 'a', 0})) == AgentErrorKind::truncated);
  }
  SUBCASE("running off the end without end") {
    AgentResult result = run(Code().push(1).push(2).op(Op::add));
    CHECK(result.kind == AgentErrorKind::ran_off_end);
    CHECK(result.error.find("without an end") != std::string::npos);
    // Also after a jump forward over everything but the last opcode.
    CHECK(failure(Code().op(Op::goto_, {0, 3}).push(1)) == AgentErrorKind::ran_off_end);
  }
  SUBCASE("a loop stops at the step limit") {
    AgentResult result = run(Code().op(Op::goto_, {0, 0}));
    CHECK(result.kind == AgentErrorKind::step_limit);
    CHECK(result.error.find("100000") != std::string::npos);
    FakeTarget target;
    AgentLimits tight;
    tight.max_steps = 3;
    CHECK(run(Code().push(1).push(2).end(), target, tight).ok);
    CHECK(run(Code().push(1).push(2).push(3).end(), target, tight).kind == AgentErrorKind::step_limit);
  }
  SUBCASE("an empty expression") {
    CHECK(failure(AgentExpression{}) == AgentErrorKind::empty_expression);
  }
}

TEST_CASE("agent printf formats integers like C, cut to the type the length modifier names") {
  CHECK(printed(Code().printf(0, "hello")) == "hello");
  CHECK(printed(Code().printf(0, "100%% sure")) == "100% sure");
  CHECK(printed(Code().push_signed(-42).printf(1, "%d")) == "-42");
  CHECK(printed(Code().push_signed(-42).printf(1, "%i")) == "-42");
  CHECK(printed(Code().push_signed(-1).printf(1, "%u")) == "4294967295");  // an unsigned int's worth
  CHECK(printed(Code().push(0xcafe).push(0xbeef).printf(2, "%x %X")) == "beef CAFE");
  CHECK(printed(Code().push(8).printf(1, "%o")) == "10");
  CHECK(printed(Code().push(0x100000001).printf(1, "%d")) == "1");  // int: the low 32 bits
  CHECK(printed(Code().push_signed(-5).printf(1, "%ld")) == "-5");
  CHECK(printed(Code().push(0x100000000).printf(1, "%ld")) == "4294967296");
  CHECK(printed(Code().push_signed(-1).printf(1, "%lu")) == "18446744073709551615");
  CHECK(printed(Code().push_signed(-1).printf(1, "%lx")) == "ffffffffffffffff");
  CHECK(printed(Code().push(1ull << 63).printf(1, "%lld")) == "-9223372036854775808");
  CHECK(printed(Code().push(1ull << 63).printf(1, "%llu")) == "9223372036854775808");
  CHECK(printed(Code().push(0xdeadbeefcafeull).printf(1, "%llx")) == "deadbeefcafe");
  CHECK(printed(Code().push(0x12345).printf(1, "%hd")) == "9029");  // 0x2345
  CHECK(printed(Code().push(0x1ff).printf(1, "%hhx")) == "ff");
  CHECK(printed(Code().push(123).printf(1, "%zu")) == "123");
  CHECK(printed(Code().push('A').printf(1, "%c")) == "A");
  CHECK(printed(Code().push(0x401000).printf(1, "%p")) == "0x401000");
}

TEST_CASE("agent printf keeps widths, flags and precision") {
  CHECK(printed(Code().push(42).printf(1, "%5d|")) == "   42|");
  CHECK(printed(Code().push(42).printf(1, "%-5d|")) == "42   |");
  CHECK(printed(Code().push(42).printf(1, "%05d")) == "00042");
  CHECK(printed(Code().push(42).printf(1, "%+d")) == "+42");
  CHECK(printed(Code().push(42).printf(1, "% d")) == " 42");
  CHECK(printed(Code().push(42).printf(1, "%.4d")) == "0042");
  CHECK(printed(Code().push(10).printf(1, "%8.3x|")) == "     00a|");
  CHECK(printed(Code().push(8).push(255).printf(2, "%#x %#o")) == "0xff 010");
  CHECK(printed(Code().push('B').push('A').printf(2, "[%3c][%-3c]")) == "[  A][B  ]");
}

TEST_CASE("agent printf turns the escapes GDB sends as typed into characters") {
  // The manual: "\t%d\n" is six characters long.
  CHECK(printed(Code().push(5).printf(1, R"(\t%d\n)")) == "\t5\n");
  CHECK(printed(Code().printf(0, R"(\a\b\e\f\n\r\t\v)")) == "\a\b\x1b\f\n\r\t\v");
  CHECK(printed(Code().printf(0, R"(a\\b \"q\")")) == R"(a\b "q")");
  // A real character is a literal like any other; an unescaped quote ends the format, as in
  // gdbserver (GDB's format ends at its closing quote).
  CHECK(printed(Code().printf(0, "tab\there")) == "tab\there");
  CHECK(printed(Code().printf(0, R"(cut" here)")) == "cut");
  CHECK(failure(Code().printf(0, R"(\q)").push(1).end()) == AgentErrorKind::bad_format);
  CHECK(failure(Code().printf(0, R"(\%d)").push(1).end()) == AgentErrorKind::bad_format);
  CHECK(failure(Code().printf(0, "ends\\").push(1).end()) == AgentErrorKind::bad_format);
}

TEST_CASE("agent printf takes its arguments in order and pops exactly 2 + count values") {
  // GDB pushes the arguments last to first, so the first is nearest the top.
  CHECK(printed(Code().push(3).push(2).push(1).printf(3, "%d-%d-%d")) == "1-2-3");
  FakeTarget target;
  AgentResult result = run(Code().push(99).push(7).printf(1, R"(v=%d\n)").end(), target);
  REQUIRE(result.ok);
  CHECK(result.value == 99);  // what was under the argument, function and channel
  CHECK(target.printed == std::vector<std::string>{"v=7\n"});
  // Too few values for the arguments, function and channel.
  CHECK(failure(Code().printf(1, "%d").push(1).end()) == AgentErrorKind::stack_underflow);
}

TEST_CASE("agent printf %s reads the string through the context") {
  FakeTarget target;
  target.put_string(0x5000, "world");
  auto print = [&](Code code) {
    target.printed.clear();
    AgentResult result = run(code.push(1).end(), target);
    REQUIRE_MESSAGE(result.ok, result.error);
    REQUIRE(target.printed.size() == 1);
    return target.printed[0];
  };
  CHECK(print(Code().push(0x5000).printf(1, "hello %s!")) == "hello world!");
  CHECK(print(Code().push(0x5000).printf(1, "[%8s]")) == "[   world]");
  CHECK(print(Code().push(0x5000).printf(1, "[%-7s]")) == "[world  ]");
  CHECK(print(Code().push(0x5000).printf(1, "%.3s")) == "wor");
  CHECK(print(Code().push(0).printf(1, "%s")) == "(null)");  // as gdbserver prints it

  // With a precision, no byte past it is read: here there is none to read.
  target.regions[0x6000] = {'a', 'b', 'c'};
  CHECK(print(Code().push(0x6000).printf(1, "%.3s")) == "abc");
  // A string that ends just before an unmapped page is read a page at a time, without faulting.
  target.regions[0x7ff0] = {'e', 'n', 'd', 0, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
  CHECK(print(Code().push(0x7ff0).printf(1, "%s")) == "end");
  // A string with no NUL stops at the limit.
  target.regions[0x9000] = std::vector<std::uint8_t>(4096, 'z');
  AgentLimits limits;
  limits.max_string = 10;
  target.printed.clear();
  REQUIRE(run(Code().push(0x9000).printf(1, "%s").push(1).end(), target, limits).ok);
  CHECK(target.printed.at(0) == "zzzzzzzzzz");

  AgentResult fault = run(Code().push(0xdead0000).printf(1, "%s").push(1).end(), target);
  CHECK(fault.kind == AgentErrorKind::memory_fault);
  CHECK(fault.error.find("memory fault at 0xdead0000") != std::string::npos);
}

TEST_CASE("agent printf refuses formats it cannot honour") {
  auto kind = [](Code code) { return failure(code.push(1).end()); };
  CHECK(kind(Code().push(1).printf(0, "%d")) == AgentErrorKind::bad_format);  // wants 1, gets 0
  CHECK(kind(Code().push(1).push(2).printf(2, "%d")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().push(1).printf(1, "%f")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().push(1).printf(1, "%ls")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().push(1).printf(1, "%lc")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().push(1).push(1).printf(2, "%*d")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().push(1).printf(1, "%99999d")) == AgentErrorKind::bad_format);
  CHECK(kind(Code().printf(0, "50%")) == AgentErrorKind::bad_format);
  AgentResult result = run(Code().push(1).printf(1, "%Lf").push(1).end());
  CHECK(result.error.find("'%Lf'") != std::string::npos);
  // The format must end in the NUL its length counts.
  CHECK(kind(Code().push(0).push(0).op(Op::printf, {0, 0, 2, 'a', 'b'})) == AgentErrorKind::bad_operand);
  CHECK(kind(Code().push(0).push(0).op(Op::printf, {0, 0, 0})) == AgentErrorKind::bad_operand);
  // An inner NUL ends the format, as in C.
  CHECK(printed(Code().printf(0, std::string_view("ab\0%d", 5))) == "ab");
}

TEST_CASE("agent conditions are ORed: any nonzero stops, an error stops and is reported") {
  FakeTarget target;
  AgentExpression zero = Code().push(0).end();
  AgentExpression one = Code().push(1).end();
  AgentExpression faulting = Code().push(0x10).op(Op::ref32).end();
  AgentExpression reads_memory = Code().push(0x1000).op(Op::ref8).end();
  target.regions[0x1000] = {1};

  auto verdict = any_condition_true({}, target);
  CHECK(verdict.stop);  // no condition: an unconditional breakpoint
  CHECK_FALSE(verdict.error);

  std::vector<AgentExpression> none_true{zero, zero};
  verdict = any_condition_true(none_true, target);
  CHECK_FALSE(verdict.stop);
  CHECK_FALSE(verdict.error);

  std::vector<AgentExpression> second_true{zero, one};
  verdict = any_condition_true(second_true, target);
  CHECK(verdict.stop);
  CHECK_FALSE(verdict.error);

  std::vector<AgentExpression> broken{faulting, zero};
  verdict = any_condition_true(broken, target);
  CHECK(verdict.stop);  // GDB then evaluates the condition itself
  REQUIRE(verdict.error);
  CHECK(verdict.error->find("condition 1 of 2") != std::string::npos);
  CHECK(verdict.error->find("memory fault at 0x10") != std::string::npos);

  // The first true one decides; the rest are not evaluated.
  std::vector<AgentExpression> decided{one, reads_memory, faulting};
  target.memory_reads = 0;
  verdict = any_condition_true(decided, target);
  CHECK(verdict.stop);
  CHECK_FALSE(verdict.error);
  CHECK(target.memory_reads == 0);
  std::vector<AgentExpression> read_then_fault{zero, reads_memory};
  CHECK(any_condition_true(read_then_fault, target).stop);
  CHECK(target.memory_reads == 1);
}

TEST_CASE("agent Z packet options: conditions and commands as GDB writes them") {
  auto parsed = parse_point_options("");
  REQUIRE(parsed.ok);
  CHECK(parsed.options.conditions.empty());
  CHECK(parsed.options.commands.empty());
  CHECK_FALSE(parsed.options.persist);

  // remote_add_target_side_condition: one ';', then the conditions back to back.
  parsed = parse_point_options(";X3,220127X5,2201220127");
  REQUIRE_MESSAGE(parsed.ok, parsed.error);
  REQUIRE(parsed.options.conditions.size() == 2);
  CHECK(parsed.options.conditions[0].bytes == std::vector<std::uint8_t>{0x22, 0x01, 0x27});
  CHECK(parsed.options.conditions[1].bytes == std::vector<std::uint8_t>{0x22, 0x01, 0x22, 0x01, 0x27});
  CHECK(parsed.options.commands.empty());

  // Conditions separated by ';' are accepted too, and hex digits in either case.
  parsed = parse_point_options(";Xb,2501020304050607080927;X3,22FF27");
  REQUIRE_MESSAGE(parsed.ok, parsed.error);
  REQUIRE(parsed.options.conditions.size() == 2);
  CHECK(parsed.options.conditions[0].bytes.size() == 11);
  CHECK(parsed.options.conditions[1].bytes == std::vector<std::uint8_t>{0x22, 0xff, 0x27});

  // remote_add_target_side_commands: ";cmds:%x," then the commands back to back.
  parsed = parse_point_options(";X3,220127;cmds:1,X3,220027X2,2227");
  REQUIRE_MESSAGE(parsed.ok, parsed.error);
  CHECK(parsed.options.conditions.size() == 1);
  REQUIRE(parsed.options.commands.size() == 2);
  CHECK(parsed.options.commands[0].bytes == std::vector<std::uint8_t>{0x22, 0x00, 0x27});
  CHECK(parsed.options.commands[1].bytes == std::vector<std::uint8_t>{0x22, 0x27});
  CHECK(parsed.options.persist);

  parsed = parse_point_options(";cmds:0,X1,27");
  REQUIRE_MESSAGE(parsed.ok, parsed.error);
  CHECK(parsed.options.conditions.empty());
  CHECK(parsed.options.commands.size() == 1);
  CHECK_FALSE(parsed.options.persist);

  // A parsed condition runs.
  parsed = parse_point_options(";X5,2201220213");
  REQUIRE(parsed.ok);
  FakeTarget target;
  CHECK(evaluate(parsed.options.conditions[0], target).kind == AgentErrorKind::ran_off_end);
  parsed = parse_point_options(";X6,220122021327");
  REQUIRE(parsed.ok);
  CHECK(evaluate(parsed.options.conditions[0], target).value == 0);  // 1 == 2
}

TEST_CASE("agent Z packet options: malformed input is an error that says what is wrong") {
  auto error_of = [](std::string_view tail) {
    auto parsed = parse_point_options(tail);
    CHECK_FALSE(parsed.ok);
    CHECK_FALSE(parsed.error.empty());
    return parsed.error;
  };
  CHECK(error_of("X3,220127").find("';'") != std::string::npos);
  CHECK(error_of(";X").find("length") != std::string::npos);
  CHECK(error_of(";X,27").find("length") != std::string::npos);
  CHECK(error_of(";X3").find("','") != std::string::npos);
  CHECK(error_of(";X3;220127").find("','") != std::string::npos);
  CHECK(error_of(";X3,2201").find("6 hex digits") != std::string::npos);
  CHECK(error_of(";X3,2201zz").find("hex digit") != std::string::npos);
  CHECK(error_of(";X0,").find("empty") != std::string::npos);
  CHECK(error_of(";Xffffffffffffffffffff,00").find("too large") != std::string::npos);
  CHECK(error_of(";X1,2727").find("unexpected '2'") != std::string::npos);  // one byte too many
  CHECK(error_of(";cmds:").find("persist") != std::string::npos);
  CHECK(error_of(";cmds:2,X1,27").find("persist") != std::string::npos);
  CHECK(error_of(";cmds:1X1,27").find("persist") != std::string::npos);
  CHECK(error_of(";cmds:1,").find("without any command") != std::string::npos);
  CHECK(error_of(";cmds:1,;X1,27").find("without any command") != std::string::npos);
  CHECK(error_of(";cmds:1,X1,27;cmds:0,X1,27").find("second cmds") != std::string::npos);
  CHECK(error_of(";Q1").find("unexpected 'Q'") != std::string::npos);
}
