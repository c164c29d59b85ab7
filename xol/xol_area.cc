#include "xol/xol_area.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "threads/remote_syscall.h"

namespace xolstub::xol {
namespace {

constexpr std::uint64_t reach = 0x7ff00000;  // a little under 2 GiB, leaving room for the slot itself

struct Range {
  std::uint64_t start, end;
};

std::vector<Range> mapped_ranges(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  if (!maps) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/maps");
  std::vector<Range> ranges;
  std::string line;
  while (std::getline(maps, line)) {
    Range r{};
    char dash = 0;
    std::istringstream in(line);
    in >> std::hex >> r.start >> dash >> r.end;
    if (in) ranges.push_back(r);
  }
  return ranges;
}

std::uint64_t distance(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : b - a; }

} // namespace

bool XolAreas::contains(std::uint64_t address) const {
  for (const Area& area : areas_)
    if (address >= area.start && address < area.start + area_size) return true;
  return false;
}

std::uint64_t XolAreas::allocate(std::uint64_t near, std::size_t size, threads::Thread& thread,
                                 const threads::ProcessMemory& memory) {
  for (Area& area : areas_) {
    if (area.used + size > area_size) continue;
    std::uint64_t slot = area.start + area.used;
    if (distance(slot, near) > reach) continue;
    area.used += size;
    ++slots_;
    return slot;
  }
  std::uint64_t start = map_near(near, thread, memory);
  areas_.push_back({start, size});
  ++slots_;
  return start;
}

// The free gap nearest to `near` (below the lowest or above the highest mapping around it),
// tried in order of distance until the kernel accepts one.
std::uint64_t XolAreas::map_near(std::uint64_t near, threads::Thread& thread, const threads::ProcessMemory& memory) {
  std::vector<Range> ranges = mapped_ranges(pid_);
  std::vector<std::uint64_t> candidates;
  const std::uint64_t page = 4096;
  for (std::size_t i = 0; i + 1 < ranges.size(); ++i) {
    std::uint64_t gap_start = ranges[i].end, gap_end = ranges[i + 1].start;
    if (gap_end - gap_start < area_size + 2 * page) continue;
    // Keep a guard page on each side; prefer the end of the gap nearest to `near`.
    std::uint64_t low = gap_start + page, high = gap_end - page - area_size;
    candidates.push_back(distance(low, near) < distance(high, near) ? low : high);
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](std::uint64_t a, std::uint64_t b) { return distance(a, near) < distance(b, near); });
  for (std::uint64_t hint : candidates) {
    if (distance(hint, near) > reach) break;
    long result = threads::remote_syscall(thread, memory, SYS_mmap,
                                          {hint, area_size, PROT_READ | PROT_EXEC,
                                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                                           static_cast<std::uint64_t>(-1), 0});
    if (result < 0 && result > -4096) continue;  // taken meanwhile, or refused: try the next gap
    return static_cast<std::uint64_t>(result);
  }
  throw std::runtime_error("no room for an XOL area within 2 GiB of " + std::to_string(near) +
                           " (or the program may not map executable memory)");
}

void XolAreas::unmap_all(threads::Thread& thread, const threads::ProcessMemory& memory) const {
  for (const Area& area : areas_)
    threads::remote_syscall(thread, memory, SYS_munmap, {area.start, area_size, 0, 0, 0, 0});
}

} // namespace xolstub::xol
