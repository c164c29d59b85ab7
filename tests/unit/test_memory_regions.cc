// /proc/PID/maps for qMemoryRegionInfo: the line parser on made-up lines (padding, spaces in a
// path, " (deleted)", anonymous memory, bad lines), the lookup's mapped/gap/top-of-memory
// answers at the boundaries, and this test process's own maps (its stack, its code, a
// PROT_NONE mapping and the hole left by munmap).
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "threads/memory_regions.h"

using namespace xolstub::threads;

namespace {

const char* const sample =
    "555555554000-555555555000 r--p 00000000 08:01 1048602                    /work/my program\n"
    "555555555000-555555556000 r-xp 00001000 08:01 1048602                    /work/my program\n"
    "7ffff7fbc000-7ffff7fbd000 rw-p 00000000 00:00 0 \n"
    "7ffff7fbd000-7ffff7fbe000 ---p 00000000 00:00 0\n"
    "7ffff7fc0000-7ffff7fc1000 rw-s 00002000 00:05 42                         /dev/shm/x (deleted)\n"
    "7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

} // namespace

TEST_CASE("parse_memory_maps reads every field of every line") {
  auto regions = parse_memory_maps(sample);
  REQUIRE(regions.size() == 7);
  CHECK(regions[0].start == 0x555555554000);
  CHECK(regions[0].end == 0x555555555000);
  CHECK(regions[0].readable);
  CHECK_FALSE(regions[0].writable);
  CHECK_FALSE(regions[0].executable);
  CHECK(regions[0].name == "/work/my program");  // the padding goes, the path's own space stays
  CHECK(regions[1].executable);
  CHECK(regions[1].offset == 0x1000);
  CHECK(regions[2].name.empty());  // anonymous, with a trailing blank
  CHECK(regions[2].writable);
  CHECK_FALSE(regions[3].readable);
  CHECK_FALSE(regions[3].writable);
  CHECK_FALSE(regions[3].executable);
  CHECK(regions[4].shared);
  CHECK(regions[4].name == "/dev/shm/x (deleted)");
  CHECK(regions[5].name == "[vdso]");
  CHECK(regions[6].start == 0xffffffffff600000);
  CHECK(regions[6].name == "[vsyscall]");
}

TEST_CASE("parse_memory_maps refuses lines that are not maps lines") {
  CHECK(parse_memory_maps("").empty());
  CHECK(parse_memory_maps("\n\n").empty());
  CHECK_THROWS_AS(parse_memory_maps("garbage\n"), std::runtime_error);
  CHECK_THROWS_AS(parse_memory_maps("1000-zz r--p 0 0:0 0\n"), std::runtime_error);
  CHECK_THROWS_AS(parse_memory_maps("2000-1000 r--p 0 0:0 0\n"), std::runtime_error);       // end before start
  CHECK_THROWS_AS(parse_memory_maps("1000-2000 r-p 0 0:0 0\n"), std::runtime_error);        // short permissions
  CHECK_THROWS_AS(parse_memory_maps("1000-2000 r--p xyz 0:0 0\n"), std::runtime_error);     // offset
  CHECK_THROWS_AS(parse_memory_maps("10000000000000000-10000000000000001 r--p 0 0:0 0\n"),  // wider than 64 bits
                  std::runtime_error);
}

TEST_CASE("region_at: inside a mapping, in a gap, below the first and above the last") {
  auto regions = parse_memory_maps(sample);

  auto code = region_at(regions, 0x555555555123);
  REQUIRE(code.mapped);
  CHECK(code.start == 0x555555555000);
  CHECK(code.size == 0x1000);
  CHECK(code.mapped->executable);

  // The first byte belongs to the mapping, the end does not: it is the next one's.
  CHECK(region_at(regions, 0x555555555000).start == 0x555555555000);
  CHECK(region_at(regions, 0x555555554fff).start == 0x555555554000);

  // Unmapped: from the address itself up to the next mapping, as lldb-server answers.
  auto low = region_at(regions, 0);
  CHECK_FALSE(low.mapped);
  CHECK(low.start == 0);
  CHECK(low.size == 0x555555554000);

  auto gap = region_at(regions, 0x7ffff7fbe000);
  CHECK_FALSE(gap.mapped);
  CHECK(gap.start == 0x7ffff7fbe000);
  CHECK(gap.size == 0x2000);
  auto mid_gap = region_at(regions, 0x7ffff7fbf800);
  CHECK(mid_gap.start == 0x7ffff7fbf800);
  CHECK(mid_gap.size == 0x800);

  auto top = region_at(regions, 0xffffffffff601000);
  CHECK_FALSE(top.mapped);
  CHECK(top.start == 0xffffffffff601000);
  CHECK(top.size == std::numeric_limits<std::uint64_t>::max() - 0xffffffffff601000);
  CHECK(region_at(regions, std::numeric_limits<std::uint64_t>::max()).size == 0);

  auto none = region_at({}, 0x1234);
  CHECK_FALSE(none.mapped);
  CHECK(none.start == 0x1234);
}

TEST_CASE("read_memory_regions sees this process's stack, code, PROT_NONE memory and holes") {
  int local = 0;
  auto regions = read_memory_regions(getpid());
  REQUIRE_FALSE(regions.empty());

  auto stack = region_at(regions, reinterpret_cast<std::uintptr_t>(&local));
  REQUIRE(stack.mapped);
  CHECK(stack.mapped->name == "[stack]");
  CHECK(stack.mapped->readable);
  CHECK(stack.mapped->writable);

  auto code = region_at(regions, reinterpret_cast<std::uintptr_t>(&read_memory_regions));
  REQUIRE(code.mapped);
  CHECK(code.mapped->executable);
  CHECK_FALSE(code.mapped->name.empty());

  // Three pages; the middle one unmapped, the last one PROT_NONE.
  long page = sysconf(_SC_PAGESIZE);
  void* area = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(area != MAP_FAILED);
  auto base = reinterpret_cast<std::uintptr_t>(area);
  REQUIRE(munmap(reinterpret_cast<void*>(base + page), page) == 0);
  REQUIRE(mprotect(reinterpret_cast<void*>(base + 2 * page), page, PROT_NONE) == 0);
  regions = read_memory_regions(getpid());

  auto hole = region_at(regions, base + page + 16);
  CHECK_FALSE(hole.mapped);
  CHECK(hole.start == base + page + 16);
  CHECK(hole.size == static_cast<std::uint64_t>(page) - 16);

  auto guard = region_at(regions, base + 2 * page);
  REQUIRE(guard.mapped);
  CHECK(guard.start == base + 2 * page);
  CHECK_FALSE(guard.mapped->readable);
  CHECK_FALSE(guard.mapped->writable);
  CHECK_FALSE(guard.mapped->executable);

  munmap(area, page);
  munmap(reinterpret_cast<void*>(base + 2 * page), page);
}

TEST_CASE("read_memory_regions of a process that does not exist throws") {
  CHECK_THROWS_AS(read_memory_regions(0x7ffffff0), std::runtime_error);
}
