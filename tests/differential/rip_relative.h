// RIP-relative operands of the corpus point wherever the library's data was; at the site they
// would address nothing. The runner rewrites their disp32 so that, run at layout::site, they
// address layout::rip_target in the scratch data; both runs then use that same instruction.
#pragma once
#include <cstdint>
#include <vector>

#include "tests/differential/decoded_instruction.h"

namespace xolstub::differential {

// `bytes` (one whole instruction) with the disp32 at `disp_offset` aimed at layout::rip_target
// from layout::site; unchanged when `disp_offset` is 0.
std::vector<std::uint8_t> aim_at_scratch(std::vector<std::uint8_t> bytes, unsigned disp_offset);
// The same for a decoded instruction with a RIP- or EIP-relative operand (an EIP-relative sum
// is truncated to 32 bits, so those address low memory either way).
std::vector<std::uint8_t> aim_at_scratch(const DecodedInstruction& instruction);

} // namespace xolstub::differential
