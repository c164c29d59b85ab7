// The auxiliary vector the kernel hands a new program: where its program headers are (AT_PHDR,
// AT_PHNUM), where ld.so was loaded (AT_BASE), its entry point (AT_ENTRY). GDB reads it raw
// through qXfer:auxv:read; the stub itself needs a few entries to find the dynamic section.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace xolstub::threads {

struct AuxvEntry {
  std::uint64_t type;
  std::uint64_t value;
};

// The bytes of /proc/PID/auxv, as the process's own ABI lays them out (pairs of 64-bit words,
// ending with AT_NULL). Throws std::runtime_error naming the file and errno when unreadable
// (the process is gone, or we lack ptrace access to it).
std::vector<std::uint8_t> read_auxv(pid_t pid);

// The entries of a 64-bit auxv up to AT_NULL; a truncated last pair is ignored.
std::vector<AuxvEntry> parse_auxv(std::span<const std::uint8_t> auxv);

// The value of the first entry of `type` (AT_PHDR, AT_PHNUM, AT_BASE, AT_ENTRY, ... from
// <elf.h>); nullopt when absent.
std::optional<std::uint64_t> auxv_value(std::span<const std::uint8_t> auxv, std::uint64_t type);

} // namespace xolstub::threads
