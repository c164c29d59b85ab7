// The instructions the runner does not execute at all, even from its controlled start state,
// and why. Everything else is run, refused ones included (the planner refuses int3, int n, ud2,
// hlt, privileged instructions...: the engine then steps them in place, which is compared too).
//
// Each reason is counted and printed, so nothing is left out quietly.
#pragma once
#include <optional>
#include <string_view>

#include "tests/differential/decoded_instruction.h"

namespace xolstub::differential {

// nullopt: run it.
std::optional<std::string_view> skip_reason(const DecodedInstruction& instruction);

} // namespace xolstub::differential
