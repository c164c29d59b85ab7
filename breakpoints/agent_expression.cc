// The agent-expression interpreter, its printf, and the Z packet option parser (see the header).
#include "breakpoints/agent_expression.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <limits>
#include <utility>

namespace xolstub::breakpoints {

std::optional<std::int64_t> AgentContext::get_trace_state_variable(int) { return std::nullopt; }
bool AgentContext::set_trace_state_variable(int, std::int64_t) { return false; }
void AgentContext::print(std::string_view) {}

namespace {

// ---------------------------------------------------------------------------------------------
// Messages

struct OpcodeName {
  std::uint8_t opcode;
  const char* name;
};

// ax.def's names, for messages that say which opcode failed.
constexpr std::array<OpcodeName, 52> opcode_names{{
    {0x01, "float"},        {0x02, "add"},          {0x03, "sub"},
    {0x04, "mul"},          {0x05, "div_signed"},   {0x06, "div_unsigned"},
    {0x07, "rem_signed"},   {0x08, "rem_unsigned"}, {0x09, "lsh"},
    {0x0a, "rsh_signed"},   {0x0b, "rsh_unsigned"}, {0x0c, "trace"},
    {0x0d, "trace_quick"},  {0x0e, "log_not"},      {0x0f, "bit_and"},
    {0x10, "bit_or"},       {0x11, "bit_xor"},      {0x12, "bit_not"},
    {0x13, "equal"},        {0x14, "less_signed"},  {0x15, "less_unsigned"},
    {0x16, "ext"},          {0x17, "ref8"},         {0x18, "ref16"},
    {0x19, "ref32"},        {0x1a, "ref64"},        {0x1b, "ref_float"},
    {0x1c, "ref_double"},   {0x1d, "ref_long_double"}, {0x1e, "l_to_d"},
    {0x1f, "d_to_l"},       {0x20, "if_goto"},      {0x21, "goto"},
    {0x22, "const8"},       {0x23, "const16"},      {0x24, "const32"},
    {0x25, "const64"},      {0x26, "reg"},          {0x27, "end"},
    {0x28, "dup"},          {0x29, "pop"},          {0x2a, "zero_ext"},
    {0x2b, "swap"},         {0x2c, "getv"},         {0x2d, "setv"},
    {0x2e, "tracev"},       {0x2f, "tracenz"},      {0x30, "trace16"},
    {0x31, "invalid2"},     {0x32, "pick"},         {0x33, "rot"},
    {0x34, "printf"},
}};

const char* opcode_name(std::uint8_t opcode) {
  for (const auto& entry : opcode_names)
    if (entry.opcode == opcode) return entry.name;
  return "unknown";
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

// Internal only: evaluate() turns it into an AgentResult, so none escapes.
struct AgentFault {
  AgentErrorKind kind;
  std::string message;
};

[[noreturn]] void fail(AgentErrorKind kind, std::string message) {
  throw AgentFault{kind, std::move(message)};
}

// ---------------------------------------------------------------------------------------------
// printf

enum class LengthModifier { none, hh, h, l, ll, z, j, t, long_double };

struct FormatPiece {
  bool literal = true;
  std::string text;  // a literal's text (%% already made %), or a conversion's printf spec
  char conversion = 0;
  LengthModifier length = LengthModifier::none;
  std::optional<std::size_t> precision;
};

FormatPiece literal_piece(std::string text) {
  FormatPiece piece;
  piece.text = std::move(text);
  return piece;
}

// Widths beyond this are refused: a %999999999d in bytecode must not make us allocate a gigabyte.
constexpr std::size_t max_field_width = 4096;

std::size_t parse_field_number(std::string_view format, std::size_t& pos) {
  std::size_t value = 0;
  while (pos < format.size() && format[pos] >= '0' && format[pos] <= '9') {
    value = value * 10 + static_cast<std::size_t>(format[pos] - '0');
    if (value > max_field_width)
      fail(AgentErrorKind::bad_format, "printf: a width or precision over " +
                                           std::to_string(max_field_width) + " in the format");
    ++pos;
  }
  return value;
}

// hh, h, l, ll, z, j, t or L at format[pos], consumed; none when there is no length modifier.
LengthModifier parse_length_modifier(std::string_view format, std::size_t& pos) {
  auto take = [&](char wanted) {
    if (pos >= format.size() || format[pos] != wanted) return false;
    ++pos;
    return true;
  };
  if (take('h')) return take('h') ? LengthModifier::hh : LengthModifier::h;
  if (take('l')) return take('l') ? LengthModifier::ll : LengthModifier::l;
  if (take('z')) return LengthModifier::z;
  if (take('j')) return LengthModifier::j;
  if (take('t')) return LengthModifier::t;
  if (take('L')) return LengthModifier::long_double;  // only to name %Lf in the refusal
  return LengthModifier::none;
}

// GDB sends the format as the user typed it between the quotes (breakpoint.c's
// parse_cmd_to_aexpr), so "\t%d\n" arrives as six characters and the agent turns the escapes
// into characters, accepting the ones GDB's own printf does; an unescaped '"' ends the format.
std::string unescape_format(std::string_view format) {
  std::string text;
  for (std::size_t pos = 0; pos < format.size() && format[pos] != '"'; ++pos) {
    if (format[pos] != '\\') {
      text += format[pos];
      continue;
    }
    if (++pos == format.size())
      fail(AgentErrorKind::bad_format, "printf: the format ends inside an escape");
    switch (format[pos]) {
    case '\\': text += '\\'; break;
    case '"': text += '"'; break;
    case 'a': text += '\a'; break;
    case 'b': text += '\b'; break;
    case 'e': text += '\x1b'; break;
    case 'f': text += '\f'; break;
    case 'n': text += '\n'; break;
    case 'r': text += '\r'; break;
    case 't': text += '\t'; break;
    case 'v': text += '\v'; break;
    default:
      fail(AgentErrorKind::bad_format,
           std::string("printf: unknown escape \\") + format[pos] + " in the format");
    }
  }
  return text;
}

// The C89 conversions GDB's own format parser lets through to an agent printf, plus the length
// modifiers; floating point and wide characters are refused as gdbserver refuses them. `format`
// is already unescaped.
std::vector<FormatPiece> parse_format(std::string_view format) {
  std::vector<FormatPiece> pieces;
  std::string literal;
  std::size_t pos = 0;
  while (pos < format.size()) {
    char c = format[pos++];
    if (c != '%') {
      literal += c;
      continue;
    }
    if (pos < format.size() && format[pos] == '%') {
      literal += '%';
      ++pos;
      continue;
    }
    if (!literal.empty()) pieces.push_back(literal_piece(std::exchange(literal, {})));

    std::size_t start = pos - 1;
    FormatPiece piece;
    piece.literal = false;
    while (pos < format.size() && std::string_view("-+ #0").find(format[pos]) != std::string_view::npos)
      ++pos;
    if (pos < format.size() && format[pos] == '*')
      fail(AgentErrorKind::bad_format, "printf: '*' widths are not supported");
    parse_field_number(format, pos);
    if (pos < format.size() && format[pos] == '.') {
      ++pos;
      if (pos < format.size() && format[pos] == '*')
        fail(AgentErrorKind::bad_format, "printf: '*' precisions are not supported");
      piece.precision = parse_field_number(format, pos);
    }
    std::size_t length_start = pos;
    piece.length = parse_length_modifier(format, pos);
    if (pos >= format.size())
      fail(AgentErrorKind::bad_format, "printf: the format ends inside a conversion");
    piece.conversion = format[pos++];
    std::string_view spec = format.substr(start, pos - start);
    switch (piece.conversion) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
      if (piece.length == LengthModifier::long_double)
        fail(AgentErrorKind::bad_format,
             "printf: conversion '" + std::string(spec) + "' is not supported");
      break;
    case 'c': case 's': case 'p':
      // %lc and %ls are wide characters, which the agent cannot fetch.
      if (piece.length != LengthModifier::none)
        fail(AgentErrorKind::bad_format,
             "printf: conversion '" + std::string(spec) + "' is not supported");
      break;
    default:
      fail(AgentErrorKind::bad_format,
           "printf: conversion '" + std::string(spec) + "' is not supported");
    }
    // The spec keeps flags, width and precision for snprintf; the length modifier is rewritten
    // to match the C type each value is passed as (see format_integer).
    piece.text = std::string(format.substr(start, length_start - start));
    pieces.push_back(std::move(piece));
  }
  if (!literal.empty()) pieces.push_back(literal_piece(std::move(literal)));
  return pieces;
}

template <typename T>
std::string snprintf_one(const std::string& spec, T value) {
  int size = std::snprintf(nullptr, 0, spec.c_str(), value);
  if (size < 0) fail(AgentErrorKind::bad_format, "printf: snprintf refused '" + spec + "'");
  std::string out(static_cast<std::size_t>(size) + 1, '\0');
  std::snprintf(out.data(), out.size(), spec.c_str(), value);
  out.resize(static_cast<std::size_t>(size));
  return out;
}

// An integer conversion with the stack value cut to the C type the length modifier names, as a
// C printf would see it after the program's own argument promotion.
std::string format_integer(const FormatPiece& piece, std::uint64_t value) {
  bool is_signed = piece.conversion == 'd' || piece.conversion == 'i';
  std::string spec = piece.text;
  switch (piece.length) {
  case LengthModifier::none:
  case LengthModifier::h:   // snprintf narrows an int itself for h and hh
  case LengthModifier::hh:
    if (piece.length == LengthModifier::h) spec += 'h';
    if (piece.length == LengthModifier::hh) spec += "hh";
    spec += piece.conversion;
    return is_signed ? snprintf_one(spec, static_cast<int>(value))
                     : snprintf_one(spec, static_cast<unsigned>(value));
  case LengthModifier::l:
  case LengthModifier::z:
  case LengthModifier::t:
    spec += 'l';
    spec += piece.conversion;
    return is_signed ? snprintf_one(spec, static_cast<long>(value))
                     : snprintf_one(spec, static_cast<unsigned long>(value));
  case LengthModifier::ll:
  case LengthModifier::j:
  case LengthModifier::long_double:  // refused by parse_format
    spec += "ll";
    spec += piece.conversion;
    return is_signed ? snprintf_one(spec, static_cast<long long>(value))
                     : snprintf_one(spec, static_cast<unsigned long long>(value));
  }
  return {};
}

// A NUL-terminated string from the inferior, read a page at a time so that a string ending just
// before an unmapped page does not fault.
std::string read_string(AgentContext& context, std::uint64_t address, std::size_t limit) {
  constexpr std::uint64_t page = 4096;
  std::string text;
  while (text.size() < limit) {
    std::uint64_t at = address + text.size();
    std::size_t chunk = static_cast<std::size_t>(
        std::min<std::uint64_t>(limit - text.size(), page - at % page));
    auto bytes = context.read_memory(at, chunk);
    if (!bytes || bytes->size() != chunk)
      fail(AgentErrorKind::memory_fault, "printf %s: memory fault at " + hex(at));
    for (std::uint8_t byte : *bytes) {
      if (byte == 0) return text;
      text += static_cast<char>(byte);
    }
  }
  return text;  // no NUL within the limit: what was read is printed
}

std::string format_printf(std::string_view format, std::span<const std::uint64_t> args,
                          AgentContext& context, const AgentLimits& limits) {
  std::vector<FormatPiece> pieces = parse_format(unescape_format(format));
  std::size_t wanted = 0;
  for (const auto& piece : pieces) wanted += piece.literal ? 0 : 1;
  if (wanted != args.size())
    fail(AgentErrorKind::bad_format, "printf: the format wants " + std::to_string(wanted) +
                                         " arguments, the bytecode gives " +
                                         std::to_string(args.size()));
  std::string out;
  std::size_t next_arg = 0;
  for (const auto& piece : pieces) {
    if (piece.literal) {
      out += piece.text;
      continue;
    }
    std::uint64_t value = args[next_arg++];
    switch (piece.conversion) {
    case 'c':
      out += snprintf_one(piece.text + 'c', static_cast<int>(value));
      break;
    case 'p':
      out += snprintf_one(piece.text + 'p',
                          reinterpret_cast<const void*>(static_cast<std::uintptr_t>(value)));
      break;
    case 's': {
      // A null pointer prints "(null)", as gdbserver's agent printf does.
      std::size_t limit = std::min(limits.max_string, piece.precision.value_or(limits.max_string));
      std::string text = value == 0 ? "(null)" : read_string(context, value, limit);
      out += snprintf_one(piece.text + 's', text.c_str());
      break;
    }
    default:
      out += format_integer(piece, value);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The interpreter

class Machine {
public:
  Machine(std::span<const std::uint8_t> code, AgentContext& context, const AgentLimits& limits,
          bool value_required)
      : code_(code), context_(context), limits_(limits), value_required_(value_required) {}

  std::uint64_t run();

private:
  std::string where() const {
    return std::string(opcode_name(code_[op_start_])) + " at offset " + std::to_string(op_start_);
  }
  // An operand of `size` bytes after the opcode, most significant byte first.
  std::uint64_t operand(std::size_t size);
  void need(std::size_t count) const;
  void push(std::uint64_t value);
  std::uint64_t pop() {
    need(1);
    std::uint64_t value = stack_.back();
    stack_.pop_back();
    return value;
  }
  void jump(std::uint64_t target);
  std::uint64_t load(std::uint64_t address, std::size_t size);
  void binary(std::uint64_t (*operation)(std::uint64_t a, std::uint64_t b)) {
    need(2);
    std::uint64_t b = pop();
    std::uint64_t a = pop();
    push(operation(a, b));
  }
  void divide(bool is_signed, bool remainder);
  void do_printf();

  std::span<const std::uint8_t> code_;
  AgentContext& context_;
  const AgentLimits& limits_;
  bool value_required_;
  std::vector<std::uint64_t> stack_;
  std::size_t pc_ = 0;
  std::size_t op_start_ = 0;
};

std::uint64_t Machine::operand(std::size_t size) {
  if (code_.size() - pc_ < size)
    fail(AgentErrorKind::truncated, "the bytecode ends inside the operands of " + where());
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = value << 8 | code_[pc_++];
  return value;
}

void Machine::need(std::size_t count) const {
  if (stack_.size() < count)
    fail(AgentErrorKind::stack_underflow, "stack underflow: " + where() + " needs " +
                                              std::to_string(count) + " values, the stack has " +
                                              std::to_string(stack_.size()));
}

void Machine::push(std::uint64_t value) {
  if (stack_.size() >= limits_.max_stack)
    fail(AgentErrorKind::stack_overflow, "stack overflow: " + where() + " pushes past " +
                                             std::to_string(limits_.max_stack) + " entries");
  stack_.push_back(value);
}

void Machine::jump(std::uint64_t target) {
  if (target >= code_.size())
    fail(AgentErrorKind::jump_out_of_range,
         "jump out of range: " + where() + " jumps to offset " + std::to_string(target) +
             ", past the end of the " + std::to_string(code_.size()) + "-byte bytecode");
  pc_ = static_cast<std::size_t>(target);
}

std::uint64_t Machine::load(std::uint64_t address, std::size_t size) {
  auto bytes = context_.read_memory(address, size);
  if (!bytes || bytes->size() != size)
    fail(AgentErrorKind::memory_fault, "memory fault at " + hex(address) + " (" + where() + ")");
  // The target's natural byte order: amd64 is little-endian.
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = value << 8 | (*bytes)[i];
  return value;
}

void Machine::divide(bool is_signed, bool remainder) {
  need(2);
  std::uint64_t b = pop();
  std::uint64_t a = pop();
  if (b == 0) fail(AgentErrorKind::division_by_zero, "division by zero: " + where());
  if (!is_signed) {
    push(remainder ? a % b : a / b);
    return;
  }
  auto sa = static_cast<std::int64_t>(a);
  auto sb = static_cast<std::int64_t>(b);
  // INT64_MIN / -1 overflows (and traps on x86); the wrapped answer is what 64-bit C gives.
  if (sa == std::numeric_limits<std::int64_t>::min() && sb == -1) {
    push(remainder ? 0 : a);
    return;
  }
  push(static_cast<std::uint64_t>(remainder ? sa % sb : sa / sb));
}

void Machine::do_printf() {
  std::size_t argument_count = static_cast<std::size_t>(operand(1));
  std::size_t format_length = static_cast<std::size_t>(operand(2));
  if (code_.size() - pc_ < format_length)
    fail(AgentErrorKind::truncated, "the bytecode ends inside the format string of " + where());
  // The length counts the format's NUL, which must be there (GDB's ax_string writes it).
  if (format_length == 0 || code_[pc_ + format_length - 1] != 0)
    fail(AgentErrorKind::bad_operand, "the format string of " + where() + " has no NUL");
  std::string_view format(reinterpret_cast<const char*>(&code_[pc_]), format_length - 1);
  format = format.substr(0, format.find('\0'));  // a C string: an inner NUL ends it
  pc_ += format_length;

  // GDB pushes the arguments last to first, then the channel and the function (gen_printf);
  // a target without fprintf-like functions ignores those two, as gdbserver does.
  need(2 + argument_count);
  pop();  // function
  pop();  // channel
  std::vector<std::uint64_t> args(argument_count);
  for (auto& arg : args) arg = pop();
  context_.print(format_printf(format, args, context_, limits_));
}

std::uint64_t Machine::run() {
  if (code_.empty()) fail(AgentErrorKind::empty_expression, "empty agent expression");
  stack_.reserve(std::min<std::size_t>(limits_.max_stack, 64));
  for (std::size_t steps = 0;; ++steps) {
    if (steps >= limits_.max_steps)
      fail(AgentErrorKind::step_limit, "step limit: " + std::to_string(limits_.max_steps) +
                                           " opcodes executed without reaching end");
    if (pc_ >= code_.size())
      fail(AgentErrorKind::ran_off_end, "the bytecode ran past its end (" +
                                            std::to_string(code_.size()) +
                                            " bytes) without an end opcode");
    op_start_ = pc_;
    std::uint8_t opcode = code_[pc_++];
    switch (static_cast<AgentOp>(opcode)) {
    case AgentOp::add: binary([](std::uint64_t a, std::uint64_t b) { return a + b; }); break;
    case AgentOp::sub: binary([](std::uint64_t a, std::uint64_t b) { return a - b; }); break;
    case AgentOp::mul: binary([](std::uint64_t a, std::uint64_t b) { return a * b; }); break;
    case AgentOp::div_signed: divide(true, false); break;
    case AgentOp::div_unsigned: divide(false, false); break;
    case AgentOp::rem_signed: divide(true, true); break;
    case AgentOp::rem_unsigned: divide(false, true); break;
    // Shifts by 64 or more are undefined in C++; they give what shifting one bit at a time would.
    case AgentOp::lsh:
      binary([](std::uint64_t a, std::uint64_t b) { return b >= 64 ? 0 : a << b; });
      break;
    case AgentOp::rsh_signed:
      binary([](std::uint64_t a, std::uint64_t b) {
        auto sa = static_cast<std::int64_t>(a);
        return static_cast<std::uint64_t>(b >= 64 ? (sa < 0 ? -1 : 0) : sa >> b);
      });
      break;
    case AgentOp::rsh_unsigned:
      binary([](std::uint64_t a, std::uint64_t b) { return b >= 64 ? 0 : a >> b; });
      break;
    case AgentOp::log_not: push(pop() == 0 ? 1 : 0); break;
    case AgentOp::bit_and: binary([](std::uint64_t a, std::uint64_t b) { return a & b; }); break;
    case AgentOp::bit_or: binary([](std::uint64_t a, std::uint64_t b) { return a | b; }); break;
    case AgentOp::bit_xor: binary([](std::uint64_t a, std::uint64_t b) { return a ^ b; }); break;
    case AgentOp::bit_not: push(~pop()); break;
    case AgentOp::equal:
      binary([](std::uint64_t a, std::uint64_t b) -> std::uint64_t { return a == b; });
      break;
    case AgentOp::less_signed:
      binary([](std::uint64_t a, std::uint64_t b) -> std::uint64_t {
        return static_cast<std::int64_t>(a) < static_cast<std::int64_t>(b);
      });
      break;
    case AgentOp::less_unsigned:
      binary([](std::uint64_t a, std::uint64_t b) -> std::uint64_t { return a < b; });
      break;

    case AgentOp::ext: {
      auto bits = operand(1);
      if (bits == 0) fail(AgentErrorKind::bad_operand, where() + ": sign extension from 0 bits");
      std::uint64_t value = pop();
      if (bits < 64) {  // the manual: n at least the stack width has no effect
        std::uint64_t sign = std::uint64_t{1} << (bits - 1);
        value &= (std::uint64_t{1} << bits) - 1;
        value = (value ^ sign) - sign;
      }
      push(value);
      break;
    }
    case AgentOp::zero_ext: {
      auto bits = operand(1);
      std::uint64_t value = pop();
      if (bits < 64) value &= (std::uint64_t{1} << bits) - 1;
      push(value);
      break;
    }

    case AgentOp::ref8: push(load(pop(), 1)); break;
    case AgentOp::ref16: push(load(pop(), 2)); break;
    case AgentOp::ref32: push(load(pop(), 4)); break;
    case AgentOp::ref64: push(load(pop(), 8)); break;

    case AgentOp::if_goto: {
      auto target = operand(2);
      if (pop() != 0) jump(target);
      break;
    }
    case AgentOp::goto_: jump(operand(2)); break;

    case AgentOp::const8: push(operand(1)); break;
    case AgentOp::const16: push(operand(2)); break;
    case AgentOp::const32: push(operand(4)); break;
    case AgentOp::const64: push(operand(8)); break;

    case AgentOp::reg: {
      int regnum = static_cast<int>(operand(2));
      auto value = context_.read_register(regnum);
      if (!value)
        fail(AgentErrorKind::register_unavailable,
             "register " + std::to_string(regnum) + " is not available (" + where() + ")");
      push(*value);
      break;
    }

    case AgentOp::end:
      if (!stack_.empty()) return stack_.back();
      if (!value_required_) return 0;
      fail(AgentErrorKind::stack_underflow, "stack underflow: " + where() +
                                                " with an empty stack has no value to return");

    case AgentOp::dup:
      need(1);
      push(stack_.back());
      break;
    case AgentOp::pop: pop(); break;
    case AgentOp::swap:
      need(2);
      std::swap(stack_[stack_.size() - 1], stack_[stack_.size() - 2]);
      break;
    case AgentOp::pick: {
      auto depth = static_cast<std::size_t>(operand(1));
      need(depth + 1);
      push(stack_[stack_.size() - 1 - depth]);
      break;
    }
    case AgentOp::rot: {
      // a b c => c a b: the top goes third, the other two move up (the manual, as corrected in
      // 2017 to match gdbserver).
      need(3);
      std::size_t top = stack_.size() - 1;
      std::uint64_t c = stack_[top];
      stack_[top] = stack_[top - 1];
      stack_[top - 1] = stack_[top - 2];
      stack_[top - 2] = c;
      break;
    }

    case AgentOp::getv: {
      int number = static_cast<int>(operand(2));
      auto value = context_.get_trace_state_variable(number);
      if (!value)
        fail(AgentErrorKind::trace_state_variable,
             "trace state variable " + std::to_string(number) + " is not supported (" + where() +
                 ")");
      push(static_cast<std::uint64_t>(*value));
      break;
    }
    case AgentOp::setv: {
      int number = static_cast<int>(operand(2));
      need(1);
      // The value stays on the stack, for the enclosing expression (an assignment's value).
      if (!context_.set_trace_state_variable(number, static_cast<std::int64_t>(stack_.back())))
        fail(AgentErrorKind::trace_state_variable,
             "trace state variable " + std::to_string(number) + " is not supported (" + where() +
                 ")");
      break;
    }

    // Collection opcodes only matter to tracepoints, which have a trace buffer; here nothing is
    // recorded, but each takes from the stack exactly what it would.
    case AgentOp::trace:    // addr size =>
    case AgentOp::tracenz:  // addr size =>
      need(2);
      pop();
      pop();
      break;
    case AgentOp::trace_quick:  // addr => addr
      operand(1);
      need(1);
      break;
    case AgentOp::trace16:  // addr => addr
      operand(2);
      need(1);
      break;
    case AgentOp::tracev:  // records variable n; GDB emits it after the getv/setv that pushed it
      operand(2);
      break;

    case AgentOp::printf: do_printf(); break;

    case AgentOp::float_prefix:
    case AgentOp::ref_float:
    case AgentOp::ref_double:
    case AgentOp::ref_long_double:
    case AgentOp::l_to_d:
    case AgentOp::d_to_l:
      fail(AgentErrorKind::unsupported_opcode,
           "unsupported opcode " + where() + ": floating point is not supported");

    case AgentOp::invalid2:
    default:
      fail(AgentErrorKind::unknown_opcode, "unknown opcode " + hex(opcode) + " at offset " +
                                               std::to_string(op_start_));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Z packet options

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct MalformedOptions {
  std::string message;
};

// One `X len,hex` at tail[pos] (the X included); pos ends after the last hex digit.
AgentExpression parse_x_item(std::string_view tail, std::size_t& pos) {
  std::size_t start = pos++;
  auto at = [&](std::size_t where) { return " at offset " + std::to_string(where); };
  std::uint64_t length = 0;
  std::size_t digits = 0;
  for (; pos < tail.size() && hex_digit(tail[pos]) >= 0; ++pos, ++digits) {
    if (length > (tail.size() >> 4))  // more bytes than the packet could hold: stop before overflow
      throw MalformedOptions{"agent expression length too large" + at(start)};
    length = length << 4 | static_cast<std::uint64_t>(hex_digit(tail[pos]));
  }
  if (digits == 0) throw MalformedOptions{"agent expression without a hex length" + at(start)};
  if (pos >= tail.size() || tail[pos] != ',')
    throw MalformedOptions{"expected ',' after the agent expression length" + at(pos)};
  ++pos;
  if (length == 0) throw MalformedOptions{"empty agent expression" + at(start)};
  if (length > (tail.size() - pos) / 2)
    throw MalformedOptions{"agent expression of " + std::to_string(length) + " bytes" + at(start) +
                           " needs " + std::to_string(2 * length) + " hex digits, " +
                           std::to_string(tail.size() - pos) + " characters follow"};
  AgentExpression expression;
  expression.bytes.reserve(static_cast<std::size_t>(length));
  for (std::uint64_t i = 0; i < length; ++i, pos += 2) {
    int high = hex_digit(tail[pos]);
    int low = hex_digit(tail[pos + 1]);
    if (high < 0 || low < 0)
      throw MalformedOptions{"bad hex digit in an agent expression" + at(high < 0 ? pos : pos + 1)};
    expression.bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return expression;
}

PointOptions parse_options(std::string_view tail) {
  PointOptions options;
  if (tail.empty()) return options;
  if (tail[0] != ';')
    throw MalformedOptions{"expected ';' before the breakpoint's conditions, got '" +
                           std::string(1, tail[0]) + "'"};
  // X items are conditions until `cmds:`, commands after it until the next `;` (gdbserver's
  // process_point_options reads them so).
  bool in_commands = false;
  bool seen_commands = false;
  std::size_t pos = 1;
  while (pos < tail.size()) {
    if (tail[pos] == ';') {
      in_commands = false;
      ++pos;
    } else if (tail[pos] == 'X') {
      auto expression = parse_x_item(tail, pos);
      (in_commands ? options.commands : options.conditions).push_back(std::move(expression));
    } else if (tail.substr(pos).starts_with("cmds:")) {
      if (seen_commands)
        throw MalformedOptions{"a second cmds: list at offset " + std::to_string(pos)};
      pos += 5;
      // GDB writes persist with %x: 0 or 1.
      if (pos + 1 >= tail.size() || (tail[pos] != '0' && tail[pos] != '1') || tail[pos + 1] != ',')
        throw MalformedOptions{"cmds: wants a persist flag 0 or 1 and ',' at offset " +
                               std::to_string(pos)};
      options.persist = tail[pos] == '1';
      pos += 2;
      if (pos >= tail.size() || tail[pos] != 'X')
        throw MalformedOptions{"cmds: without any command at offset " + std::to_string(pos)};
      in_commands = seen_commands = true;
    } else {
      throw MalformedOptions{"unexpected '" + std::string(1, tail[pos]) +
                             "' in the breakpoint options at offset " + std::to_string(pos)};
    }
  }
  return options;
}

AgentResult run_machine(const AgentExpression& expression, AgentContext& context,
                        const AgentLimits& limits, bool value_required) {
  AgentResult result;
  try {
    result.value = Machine(expression.bytes, context, limits, value_required).run();
    result.ok = true;
  } catch (const AgentFault& fault) {
    result.kind = fault.kind;
    result.error = fault.message;
  } catch (const std::exception& error) {
    // The context's own failure (a ptrace call that threw): the expression has no value.
    result.kind = AgentErrorKind::context_error;
    result.error = std::string("the target could not answer: ") + error.what();
  }
  return result;
}

} // namespace

AgentResult evaluate(const AgentExpression& expression, AgentContext& context,
                     const AgentLimits& limits) {
  return run_machine(expression, context, limits, true);
}

AgentResult run_command(const AgentExpression& expression, AgentContext& context,
                        const AgentLimits& limits) {
  return run_machine(expression, context, limits, false);
}

ConditionVerdict any_condition_true(std::span<const AgentExpression> conditions,
                                    AgentContext& context, const AgentLimits& limits) {
  if (conditions.empty()) return {true, std::nullopt};
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    AgentResult result = evaluate(conditions[i], context, limits);
    if (!result.ok)
      return {true, "condition " + std::to_string(i + 1) + " of " +
                        std::to_string(conditions.size()) + ": " + result.error};
    if (result.value != 0) return {true, std::nullopt};
  }
  return {false, std::nullopt};
}

ParsedPointOptions parse_point_options(std::string_view tail) {
  ParsedPointOptions parsed;
  try {
    parsed.options = parse_options(tail);
    parsed.ok = true;
  } catch (const MalformedOptions& malformed) {
    parsed.error = malformed.message;
  }
  return parsed;
}

} // namespace xolstub::breakpoints
