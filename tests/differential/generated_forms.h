// Hand-written encodings the corpus may lack or hold only by chance: every RIP-relative form
// (legacy, REX.R/X/B, SSE, VEX2, VEX3, EVEX with masked stores, immediates after the
// displacement), every relative branch form, calls, returns, syscall, pushf/popf, rep string
// instructions, and samples of what the planner refuses or the runner skips.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xolstub::differential {

struct GeneratedForm {
  std::vector<std::uint8_t> bytes;
  // Capstone 4's text for `bytes` at layout::site, with a RIP-relative displacement written as
  // "disp32": checked at start-up, so a typo in the table is caught, not run.
  std::string text;
  // False for valid instructions Capstone 4 does not know: the planner refuses them (they are
  // stepped in place), and `disp_offset` says where their disp32 is, for aiming it.
  bool capstone_decodes = true;
  unsigned disp_offset = 0;
};

const std::vector<GeneratedForm>& generated_forms();

} // namespace xolstub::differential
