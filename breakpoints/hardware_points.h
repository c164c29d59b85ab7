// Hardware breakpoints (Z1) and watchpoints (Z2, Z4) by owner: each client's points, laid out
// together on the debug registers of every thread (threads/debug_registers.h).
#pragma once
#include <map>
#include <set>
#include <vector>

#include "breakpoints/breakpoint_sites.h"
#include "threads/inferior.h"

namespace xolstub::breakpoints {

class HardwarePoints {
public:
  explicit HardwarePoints(threads::Inferior& inferior) : inferior_(inferior) {}

  // Idempotent per owner, as Z packets are. Throws threads::DebugRegisterError when the points
  // no longer fit the debug registers (nothing changes then).
  void insert(const threads::HardwarePoint& point, OwnerId owner);
  // Removing what is not there is not an error (GDB removes what it may not have inserted).
  void remove(const threads::HardwarePoint& point, OwnerId owner);
  void remove_all_of(OwnerId owner);
  // Whose point fired: the owners of a point of this kind that covers `address` (several
  // clients may watch one variable).
  std::set<OwnerId> owners_of(threads::HardwareKind kind, std::uint64_t address) const;
  // exec: the debug registers were cleared with the old program.
  void forget_all() { owned_.clear(); }

private:
  void apply(std::multimap<OwnerId, threads::HardwarePoint> owned);

  threads::Inferior& inferior_;
  std::multimap<OwnerId, threads::HardwarePoint> owned_;
};

} // namespace xolstub::breakpoints
