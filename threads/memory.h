// The inferior's memory through /proc/PID/mem: one pread/pwrite per request however large,
// no word-at-a-time PTRACE_PEEKDATA. Reads and writes work while threads run.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

namespace xolstub::threads {

class ProcessMemory {
public:
  explicit ProcessMemory(pid_t pid);
  ~ProcessMemory();
  ProcessMemory(const ProcessMemory&) = delete;
  ProcessMemory& operator=(const ProcessMemory&) = delete;

  // Reads up to out.size() bytes; returns how many were readable before the first unmapped
  // page (0 when `address` itself is unmapped).
  std::size_t read(std::uint64_t address, std::span<std::uint8_t> out) const;
  // Writes all of `bytes` or as many as are mapped; returns the count written. Writes go
  // through page protections, as ptrace pokes do, so code pages can be patched.
  std::size_t write(std::uint64_t address, std::span<const std::uint8_t> bytes) const;

  std::vector<std::uint8_t> read_vector(std::uint64_t address, std::size_t size) const;
  pid_t pid() const { return pid_; }
  // Reads a plain value; throws std::runtime_error when it is not all readable.
  template <typename T> T read_value(std::uint64_t address) const {
    T value{};
    if (read(address, std::span(reinterpret_cast<std::uint8_t*>(&value), sizeof value)) != sizeof value)
      throw_unreadable(address, sizeof value);
    return value;
  }

private:
  [[noreturn]] static void throw_unreadable(std::uint64_t address, std::size_t size);
  pid_t pid_;
  int fd_;
};

} // namespace xolstub::threads
