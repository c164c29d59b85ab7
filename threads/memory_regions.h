// The address space as /proc/PID/maps shows it, and the region an address falls in: what LLDB's
// qMemoryRegionInfo asks for (the unwinder at every stop, vDSO detection, `memory region`).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::threads {

struct MemoryRegion {
  std::uint64_t start = 0;
  std::uint64_t end = 0;  // one past the last byte
  bool readable = false;
  bool writable = false;
  bool executable = false;
  bool shared = false;
  std::uint64_t offset = 0;
  // The rest of the line as the kernel wrote it: a path (with " (deleted)" if so), "[stack]",
  // "[vdso]", or empty for anonymous memory.
  std::string name;
};

// Every line of a maps file, in the kernel's (ascending) order. A line that does not parse
// throws std::runtime_error naming it: the file is the kernel's, so that is a bug, not input.
std::vector<MemoryRegion> parse_memory_maps(std::string_view text);
// /proc/PID/maps; std::runtime_error when it cannot be read (the process is gone).
std::vector<MemoryRegion> read_memory_regions(pid_t pid);

// What lies at an address: the mapping that holds it, or, as lldb-server answers, the unmapped
// stretch from the address itself up to the next mapping (or to the top of the address space).
struct RegionAt {
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::optional<MemoryRegion> mapped;  // nullopt: nothing is mapped there
};

RegionAt region_at(const std::vector<MemoryRegion>& regions, std::uint64_t address);

} // namespace xolstub::threads
