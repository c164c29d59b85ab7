// Scratch code pages inside the tracee that hold the relocated instructions (slots). Each area
// is 64 KiB, mapped read+exec only by an injected mmap (slots are written through
// /proc/PID/mem, so the page is never writable and never W+X), placed within ±2 GiB of the code
// it serves so RIP-relative operands can be re-encoded and a `jmp rel32` can return.
// Slots are never freed or reused for other code while the address space lives: a thread
// might still be executing one. exec makes a new address space and a new XolAreas.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "threads/memory.h"
#include "threads/thread.h"

namespace xolstub::xol {

class XolAreas {
public:
  static constexpr std::uint64_t area_size = 64 * 1024;

  explicit XolAreas(pid_t pid) : pid_(pid) {}

  // A free slot of `size` bytes within reach of `near`, mapping a new area through `thread`
  // (stopped, with no other thread running) when none has room. Throws std::runtime_error.
  std::uint64_t allocate(std::uint64_t near, std::size_t size, threads::Thread& thread, const threads::ProcessMemory& memory);

  bool contains(std::uint64_t address) const;
  std::size_t areas() const { return areas_.size(); }
  std::size_t slots() const { return slots_; }
  // Unmaps every area through `thread`, which runs the munmap calls: at detach, or in a fork
  // child (its copy of the address space has the areas too; ours keeps them).
  void unmap_all(threads::Thread& thread, const threads::ProcessMemory& memory) const;
  // exec: the areas went with the old address space.
  void forget() {
    areas_.clear();
    slots_ = 0;
  }

private:
  struct Area {
    std::uint64_t start;
    std::uint64_t used;
  };
  std::uint64_t map_near(std::uint64_t near, threads::Thread& thread, const threads::ProcessMemory& memory);

  pid_t pid_;
  std::vector<Area> areas_;
  std::size_t slots_ = 0;
};

} // namespace xolstub::xol
