// GDB's agent expressions: the bytecode GDB sends with a Z packet for a target-side breakpoint
// condition (`;X len,bytes`) or command (`;cmds:persist,X len,bytes`), an interpreter for it, and
// the parser for those Z packet options. The truth is the "Agent Expressions" appendix of the GDB
// manual and gdbsupport/ax.def (opcode numbers and operand sizes).
//
// The interpreter knows nothing of ptrace: memory, registers, trace state variables and printf
// output go through an AgentContext. Bad bytecode is never a crash or an exception: every
// failure is an AgentResult with a message.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::breakpoints {

// Opcode numbers, as in gdbsupport/ax.def (they are fixed by the protocol). Operands follow the
// opcode in the bytecode, most significant byte first.
enum class AgentOp : std::uint8_t {
  float_prefix = 0x01,  // ax.def's `float`
  add = 0x02,
  sub = 0x03,
  mul = 0x04,
  div_signed = 0x05,
  div_unsigned = 0x06,
  rem_signed = 0x07,
  rem_unsigned = 0x08,
  lsh = 0x09,
  rsh_signed = 0x0a,
  rsh_unsigned = 0x0b,
  trace = 0x0c,
  trace_quick = 0x0d,  // 1-byte size
  log_not = 0x0e,
  bit_and = 0x0f,
  bit_or = 0x10,
  bit_xor = 0x11,
  bit_not = 0x12,
  equal = 0x13,
  less_signed = 0x14,
  less_unsigned = 0x15,
  ext = 0x16,  // 1-byte bit count
  ref8 = 0x17,
  ref16 = 0x18,
  ref32 = 0x19,
  ref64 = 0x1a,
  ref_float = 0x1b,
  ref_double = 0x1c,
  ref_long_double = 0x1d,
  l_to_d = 0x1e,
  d_to_l = 0x1f,
  if_goto = 0x20,  // 2-byte offset from the start of the bytecode
  goto_ = 0x21,    // 2-byte offset
  const8 = 0x22,
  const16 = 0x23,
  const32 = 0x24,
  const64 = 0x25,
  reg = 0x26,  // 2-byte GDB register number
  end = 0x27,
  dup = 0x28,
  pop = 0x29,
  zero_ext = 0x2a,  // 1-byte bit count
  swap = 0x2b,
  getv = 0x2c,     // 2-byte trace state variable number
  setv = 0x2d,     // 2-byte trace state variable number
  tracev = 0x2e,   // 2-byte trace state variable number
  tracenz = 0x2f,
  trace16 = 0x30,  // 2-byte size
  invalid2 = 0x31, // a hole in the table: no operation
  pick = 0x32,     // 1-byte depth (0 is dup)
  rot = 0x33,
  printf = 0x34,   // 1-byte argument count, 2-byte format length (NUL included), format bytes
};

// One expression: the bytes of one `X len,bytes` item.
struct AgentExpression {
  std::vector<std::uint8_t> bytes;
  bool operator==(const AgentExpression&) const = default;
};

// What the interpreter may ask of the stopped thread and its process. Only memory and registers
// are required; the rest answer "not supported" unless a context provides them.
class AgentContext {
public:
  virtual ~AgentContext() = default;

  // Exactly `size` bytes at `address`, or nullopt when any of them cannot be read (the
  // expression then fails with a memory fault at that address).
  virtual std::optional<std::vector<std::uint8_t>> read_memory(std::uint64_t address,
                                                               std::size_t size) = 0;
  // A register by GDB's amd64 number (threads/register_layout.h), zero-extended; nullopt for a
  // number the thread does not have or a register wider than 64 bits.
  virtual std::optional<std::uint64_t> read_register(int gdb_regnum) = 0;

  // Trace state variables (`tvariable`) belong to tracepoints; a stub without them says nullopt
  // or false and the expression fails with "not supported".
  virtual std::optional<std::int64_t> get_trace_state_variable(int number);
  virtual bool set_trace_state_variable(int number, std::int64_t value);

  // The text one `printf` opcode formatted (dprintf with `dprintf-style agent`).
  virtual void print(std::string_view text);
};

struct AgentLimits {
  std::size_t max_stack = 1024;      // entries; more is a stack overflow
  std::size_t max_steps = 100000;    // opcodes executed; a loop in the bytecode cannot hang us
  std::size_t max_string = 4096;     // bytes a printf %s reads before it stops
};

enum class AgentErrorKind {
  none,
  empty_expression,
  stack_underflow,
  stack_overflow,
  jump_out_of_range,
  truncated,            // the bytecode ends inside an opcode's operands
  ran_off_end,          // no `end` before the last byte
  unknown_opcode,
  unsupported_opcode,   // a valid opcode this interpreter does not do (floating point)
  division_by_zero,
  memory_fault,
  register_unavailable,
  trace_state_variable, // getv/setv with no trace state variables
  bad_operand,          // ext 0, a printf format without its NUL
  bad_format,           // printf: a conversion or escape we do not do, the wrong argument count
  step_limit,
  context_error,        // the context threw while answering (a ptrace error)
};

// The value of an expression (the top of the stack at `end`) or why there is none.
struct AgentResult {
  bool ok = false;
  std::uint64_t value = 0;
  AgentErrorKind kind = AgentErrorKind::none;
  std::string error;  // empty when ok

  std::int64_t signed_value() const { return static_cast<std::int64_t>(value); }
};

// A condition (or any expression whose value is wanted): `end` with an empty stack is an error.
AgentResult evaluate(const AgentExpression& expression, AgentContext& context,
                     const AgentLimits& limits = {});
// A breakpoint command (`cmds:`), run for its effects: GDB's dprintf bytecode is `... printf end`,
// which leaves nothing on the stack, so an empty stack at `end` is success with value 0, as
// gdbserver runs commands without asking for a result.
AgentResult run_command(const AgentExpression& expression, AgentContext& context,
                        const AgentLimits& limits = {});

// The site's conditions, from every location and owner, ORed as gdbserver does: the first that
// is nonzero decides, and one that cannot be evaluated counts as true (the thread stops and GDB
// evaluates the condition itself). No condition at all means an unconditional breakpoint. The
// conditions after the deciding one are not evaluated: they may have side effects (setv).
struct ConditionVerdict {
  bool stop = true;
  std::optional<std::string> error;  // why a condition could not be evaluated
};
ConditionVerdict any_condition_true(std::span<const AgentExpression> conditions,
                                    AgentContext& context, const AgentLimits& limits = {});

// What follows `Z0,addr,kind` (or `Z1`): nothing, or `;` then conditions `X len,hex` and a
// commands list `cmds:persist,X len,hex...`, where len is hex and hex is 2*len digits. GDB writes
// the conditions back to back (`;X3,220127X3,220227`) and the commands after another `;`;
// a `;` between two conditions is accepted too. Anything else is an error (gdbserver skips what
// it does not know; we would rather refuse the Z packet than silently drop a condition).
struct PointOptions {
  std::vector<AgentExpression> conditions;
  std::vector<AgentExpression> commands;
  bool persist = false;  // the commands stay when GDB disconnects
};
struct ParsedPointOptions {
  bool ok = false;
  PointOptions options;
  std::string error;  // what was malformed, when not ok
};
ParsedPointOptions parse_point_options(std::string_view tail);

} // namespace xolstub::breakpoints
