// Software breakpoint sites: one int3 per address, shared by every owner that wants it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <stdexcept>

#include "breakpoints/agent_expression.h"
#include "threads/inferior.h"

namespace xolstub::breakpoints {

using OwnerId = int;  // who asked for a breakpoint: one id per client session

class BreakpointError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class BreakpointSites {
public:
  static constexpr std::uint8_t int3 = 0xcc;

  explicit BreakpointSites(threads::Inferior& inferior);

  // Adds `owner`'s reference, writing the int3 if this is the site's first. Idempotent per
  // owner, as Z packets are; the options (target-side conditions and commands) replace the
  // owner's earlier ones, as GDB re-sends Z0 when they change. Throws BreakpointError when the
  // address cannot be written.
  void insert(std::uint64_t address, OwnerId owner, PointOptions options = {});
  // Drops `owner`'s reference; the original byte returns when no owner is left. False when the
  // owner had no breakpoint there.
  bool remove(std::uint64_t address, OwnerId owner);
  void remove_all_of(OwnerId owner);
  // Restores every original byte (detach, kill, shutdown).
  void remove_all();
  // Writes every original byte into another copy of the address space (a fork child's),
  // keeping the sites here.
  void restore_all_into(const threads::ProcessMemory& memory) const;
  // A vfork child runs in its parent's memory: it knows the parent's int3s as its own (as
  // gdbserver clones a parent's breakpoints into a vfork child).
  void copy_sites_of(const BreakpointSites& parent) { sites_ = parent.sites_; }
  // Restores, into `memory`, the sites `other` does not have (the int3s that are only ours in a
  // memory we shared with `other`).
  void restore_all_but_those_of(const BreakpointSites& other, const threads::ProcessMemory& memory) const;
  // The process exec'd: its memory holds none of our int3s any more.
  void forget_all() { sites_.clear(); }

  // An int3 some owner wants.
  bool contains(std::uint64_t address) const {
    auto it = sites_.find(address);
    return it != sites_.end() && !it->second.owners.empty();
  }
  // An int3 nobody wants any more that is still in memory (see remove()).
  bool is_retired(std::uint64_t address) const {
    auto it = sites_.find(address);
    return it != sites_.end() && it->second.owners.empty();
  }
  // Restores the retired sites, but those in `keep` (threads are about to step over them).
  void purge_retired(const std::set<std::uint64_t>& keep);
  // Every owner's conditions and commands at a site that some owner wants; null otherwise.
  const std::map<OwnerId, PointOptions>* owners_at(std::uint64_t address) const {
    auto it = sites_.find(address);
    return it == sites_.end() || it->second.owners.empty() ? nullptr : &it->second.owners;
  }
  // A client wrote over a site: the instruction there changed (the XOL plan must be redone).
  std::function<void(std::uint64_t)> on_code_changed;
  std::size_t size() const { return sites_.size(); }

  // Memory as the program wrote it: original bytes in place of our int3s.
  std::size_t read_memory(std::uint64_t address, std::span<std::uint8_t> out) const;
  // Puts the original bytes over our int3s in `bytes`, read at `address` (by another process
  // sharing this memory: a vfork child and its parent).
  void hide_int3s(std::uint64_t address, std::span<std::uint8_t> bytes) const;
  // Writes as the program would see them; over a site the shadow takes the new byte and the
  // int3 stays.
  std::size_t write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes);

private:
  struct Site {
    std::uint8_t original;
    std::map<OwnerId, PointOptions> owners;
  };
  void restore(std::uint64_t address, const Site& site);

  threads::Inferior& inferior_;
  std::map<std::uint64_t, Site> sites_;
};

} // namespace xolstub::breakpoints
