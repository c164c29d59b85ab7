// Hardware breakpoints and watchpoints in the x86 debug registers: DR0-DR3 hold addresses, DR7
// says what each watches (execute, write, read/write) and how wide (1, 2, 4 or 8 bytes, aligned),
// DR6 says which one fired. A watched region that is not one aligned piece takes several
// registers, as gdbserver does it; there are four in all.
#pragma once
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>

namespace xolstub::threads {

enum class HardwareKind { execute, write, access };  // Z1, Z2, Z4 (x86 cannot watch reads alone)

struct HardwarePoint {
  HardwareKind kind;
  std::uint64_t address;
  std::uint64_t length;
  bool operator==(const HardwarePoint&) const = default;
};

class DebugRegisterError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DebugRegisterImage {
  std::array<std::uint64_t, 4> address{};
  std::array<int, 4> point{-1, -1, -1, -1};  // which HardwarePoint each register serves
  std::uint64_t control = 0;                 // DR7
  bool empty() const { return control == 0; }
};

// Lays the points out on the four registers. Throws DebugRegisterError when they do not fit or
// a point is malformed (an execute point wider than one byte, a zero length).
DebugRegisterImage layout_debug_registers(std::span<const HardwarePoint> points);

// Writes DR0-DR3 and DR7 of a stopped thread (DR7 cleared first, so no half-written state fires).
void write_debug_registers(pid_t tid, const DebugRegisterImage& image);

// After a debug exception (a SIGTRAP with TRAP_HWBKPT or TRAP_TRACE): the register that fired,
// if any, with DR6 cleared for the next one.
std::optional<int> take_fired_debug_register(pid_t tid);

} // namespace xolstub::threads
