// Target-side breakpoint conditions and commands (GDB's `ConditionalBreakpoints+` and
// `BreakpointCommands+`): at a hit, each owner's conditions are evaluated (ORed; none means
// unconditional); the commands (agent-style dprintf) of every owner whose condition held run;
// the hit stops the thread when some owner's condition held and that owner has no commands, as
// gdbserver decides. A condition that cannot be evaluated counts as true, and its error is
// reported once per site. A hit that does not stop is passed out of line by the inferior,
// with no packet sent and no other thread stopped.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string_view>

#include "breakpoints/breakpoint_sites.h"

namespace xolstub::breakpoints {

class BreakpointConditions {
public:
  // `output` receives what the commands print; `warn` a condition's error, once per site.
  BreakpointConditions(BreakpointSites& sites, std::function<void(std::string_view)> output,
                       std::function<void(std::string_view)> warn);

  // The thread stopped on the int3 at `address` (PC already back on it): the owners for whom
  // the hit stops it (none: it goes on). A site nobody owns stops it for nobody in particular,
  // reported as `everyone`.
  static constexpr OwnerId everyone = -1;
  std::set<OwnerId> stopping_owners(threads::Thread& thread, std::uint64_t address);

private:
  BreakpointSites& sites_;
  std::function<void(std::string_view)> output_;
  std::function<void(std::string_view)> warn_;
  std::set<std::uint64_t> warned_;
};

} // namespace xolstub::breakpoints
