#include "threads/debug_registers.h"

#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "threads/ptrace_ops.h"

namespace xolstub::threads {
namespace {

constexpr std::uint64_t dr7_rw_bits(HardwareKind kind) {
  switch (kind) {
  case HardwareKind::execute: return 0b00;
  case HardwareKind::write: return 0b01;
  case HardwareKind::access: return 0b11;
  }
  return 0;
}

constexpr std::uint64_t dr7_len_bits(std::uint64_t length) {
  switch (length) {
  case 1: return 0b00;
  case 2: return 0b01;
  case 8: return 0b10;
  default: return 0b11;  // 4
  }
}

std::size_t debugreg_offset(int index) {
  return offsetof(struct user, u_debugreg) + static_cast<std::size_t>(index) * sizeof(unsigned long);
}

[[noreturn]] void fail(const char* request, pid_t tid, int index) {
  int error = errno;
  throw PtraceError(std::string(request) + " of DR" + std::to_string(index) + " on thread " + std::to_string(tid) +
                        ": " + std::strerror(error),
                    error);
}

void poke_debugreg(pid_t tid, int index, std::uint64_t value) {
  errno = 0;
  if (ptrace(PTRACE_POKEUSER, tid, reinterpret_cast<void*>(debugreg_offset(index)), reinterpret_cast<void*>(value)) == -1)
    fail("PTRACE_POKEUSER", tid, index);
}

std::uint64_t peek_debugreg(pid_t tid, int index) {
  errno = 0;
  long value = ptrace(PTRACE_PEEKUSER, tid, reinterpret_cast<void*>(debugreg_offset(index)), nullptr);
  if (value == -1 && errno != 0) fail("PTRACE_PEEKUSER", tid, index);
  return static_cast<std::uint64_t>(value);
}

} // namespace

DebugRegisterImage layout_debug_registers(std::span<const HardwarePoint> points) {
  DebugRegisterImage image;
  int used = 0;
  for (std::size_t index = 0; index < points.size(); ++index) {
    const HardwarePoint& point = points[index];
    if (point.length == 0) throw DebugRegisterError("a hardware watchpoint needs a length");
    if (point.kind == HardwareKind::execute && point.length != 1)
      throw DebugRegisterError("a hardware breakpoint covers one instruction (length 1)");
    // Aligned pieces of 8, 4, 2 or 1 bytes, largest first.
    std::uint64_t address = point.address, remaining = point.length;
    while (remaining > 0) {
      std::uint64_t size = 8;
      while (size > 1 && (address % size != 0 || size > remaining)) size /= 2;
      // The same piece for the same kind already has a register: share it.
      bool shared = false;
      for (int r = 0; r < used && !shared; ++r) {
        std::uint64_t bits = image.control >> (16 + 4 * r);
        shared = image.address[r] == address && (bits & 0b11) == dr7_rw_bits(point.kind) &&
                 ((bits >> 2) & 0b11) == dr7_len_bits(size);
      }
      if (!shared) {
        if (used == 4) throw DebugRegisterError("the hardware points need more than the 4 debug registers");
        image.address[used] = address;
        image.point[used] = static_cast<int>(index);
        image.control |= (1ull << (2 * used)) |  // local enable
                         (dr7_rw_bits(point.kind) << (16 + 4 * used)) | (dr7_len_bits(size) << (18 + 4 * used));
        ++used;
      }
      address += size;
      remaining -= size;
    }
  }
  return image;
}

void write_debug_registers(pid_t tid, const DebugRegisterImage& image) {
  poke_debugreg(tid, 7, 0);
  for (int r = 0; r < 4; ++r)
    if (image.control & (1ull << (2 * r))) poke_debugreg(tid, r, image.address[r]);
  if (!image.empty()) poke_debugreg(tid, 7, image.control);
}

std::optional<int> take_fired_debug_register(pid_t tid) {
  std::uint64_t dr6 = peek_debugreg(tid, 6);
  poke_debugreg(tid, 6, 0);
  for (int r = 0; r < 4; ++r)
    if (dr6 & (1ull << r)) return r;
  return std::nullopt;
}

} // namespace xolstub::threads
