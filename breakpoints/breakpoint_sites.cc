#include "breakpoints/breakpoint_sites.h"

#include <cstdio>
#include <vector>

namespace xolstub::breakpoints {
namespace {
std::string hex_address(std::uint64_t address) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(address));
  return text;
}
} // namespace

BreakpointSites::BreakpointSites(threads::Inferior& inferior) : inferior_(inferior) {}

void BreakpointSites::insert(std::uint64_t address, OwnerId owner, PointOptions options) {
  std::uint8_t current = 0;
  if (inferior_.memory().read(address, std::span(&current, 1)) != 1)
    throw BreakpointError("cannot insert a breakpoint at " + hex_address(address) + ": address not mapped");
  if (auto it = sites_.find(address); it != sites_.end()) {
    it->second.owners[owner] = std::move(options);
    if (current == int3) return;
    // Our int3 is not there any more: the code was replaced under it (a library unloaded and
    // another loaded at the same address, a JIT). What is there now is the original, and
    // whatever was planned for the old instruction no longer holds.
    if (inferior_.memory().write(address, std::span(&int3, 1)) != 1)
      throw BreakpointError("cannot insert a breakpoint at " + hex_address(address) + ": memory not writable");
    it->second.original = current;
    if (on_code_changed) on_code_changed(address);
    return;
  }
  if (inferior_.memory().write(address, std::span(&int3, 1)) != 1)
    throw BreakpointError("cannot insert a breakpoint at " + hex_address(address) + ": memory not writable");
  sites_.emplace(address, Site{current, {{owner, std::move(options)}}});
}

void BreakpointSites::restore(std::uint64_t address, const Site& site) {
  // The mapping may be gone (munmap, a library unloaded) or hold other code now: only our own
  // int3 is put back to what it hid.
  std::uint8_t current = 0;
  if (inferior_.memory().read(address, std::span(&current, 1)) != 1 || current != int3) return;
  inferior_.memory().write(address, std::span(&site.original, 1));
  inferior_.site_removed(address);
}

// The last owner gone, the site is retired, not restored: GDB's own step-over removes a
// breakpoint, steps and inserts it again, and a thread about to step must find the int3 still
// there (it is stepped over out of line). purge_retired() restores it once no thread needs it.
bool BreakpointSites::remove(std::uint64_t address, OwnerId owner) {
  auto it = sites_.find(address);
  if (it == sites_.end() || it->second.owners.erase(owner) == 0) return false;
  // The code went away under the breakpoint (munmap, an unloaded library): nothing can be
  // restored, and the client is told, as gdbserver tells it.
  std::uint8_t current = 0;
  if (it->second.owners.empty() && inferior_.memory().read(address, std::span(&current, 1)) != 1) {
    sites_.erase(it);
    throw BreakpointError("cannot remove the breakpoint at " + hex_address(address) + ": address not mapped");
  }
  return true;
}

void BreakpointSites::purge_retired(const std::set<std::uint64_t>& keep) {
  for (auto it = sites_.begin(); it != sites_.end();) {
    if (it->second.owners.empty() && !keep.count(it->first)) {
      restore(it->first, it->second);
      it = sites_.erase(it);
    } else {
      ++it;
    }
  }
}

void BreakpointSites::remove_all_of(OwnerId owner) {
  for (auto it = sites_.begin(); it != sites_.end();) {
    auto next = std::next(it);
    try {
      remove(it->first, owner);
    } catch (const BreakpointError&) {
      // Unmapped: nothing left to restore there.
    }
    it = next;
  }
}

void BreakpointSites::restore_all_into(const threads::ProcessMemory& memory) const {
  for (const auto& [address, site] : sites_) memory.write(address, std::span(&site.original, 1));
}

void BreakpointSites::restore_all_but_those_of(const BreakpointSites& other, const threads::ProcessMemory& memory) const {
  for (const auto& [address, site] : sites_)
    if (!other.sites_.count(address)) memory.write(address, std::span(&site.original, 1));
}

void BreakpointSites::remove_all() {
  if (!inferior_.gone())
    for (const auto& [address, site] : sites_) restore(address, site);
  sites_.clear();
}

std::size_t BreakpointSites::read_memory(std::uint64_t address, std::span<std::uint8_t> out) const {
  std::size_t count = inferior_.memory().read(address, out);
  hide_int3s(address, out.first(count));
  return count;
}

void BreakpointSites::hide_int3s(std::uint64_t address, std::span<std::uint8_t> bytes) const {
  for (auto it = sites_.lower_bound(address); it != sites_.end() && it->first < address + bytes.size(); ++it)
    bytes[it->first - address] = it->second.original;
}

std::size_t BreakpointSites::write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) {
  auto first = sites_.lower_bound(address);
  auto last = sites_.lower_bound(address + bytes.size());
  if (first == last) return inferior_.memory().write(address, bytes);
  std::vector<std::uint8_t> patched(bytes.begin(), bytes.end());
  for (auto it = first; it != last; ++it) patched[it->first - address] = int3;
  std::size_t count = inferior_.memory().write(address, patched);
  for (auto it = first; it != last && it->first < address + count; ++it) {
    it->second.original = bytes[it->first - address];
    if (on_code_changed) on_code_changed(it->first);
  }
  return count;
}

} // namespace xolstub::breakpoints
