// What one run of an instruction left behind — how and where the thread stopped, every register
// the stub shows a debugger, the memory the instruction could touch — and the comparison of the
// in-place run with the out-of-line one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "threads/register_layout.h"
#include "threads/stop_report.h"

namespace xolstub::differential {

struct Outcome {
  threads::StopReport::Reason reason = threads::StopReport::Reason::single_step;
  int signal = 0;
  int exit_status = 0;
  // The kernel's siginfo for a signal other than SIGTRAP (what a handler would be given).
  bool has_siginfo = false;
  int signal_code = 0;
  std::uint64_t signal_address = 0;  // si_addr
  std::vector<std::uint8_t> registers;  // RegisterLayout::host() order, as in the `g` packet
  struct Memory {
    const char* name;
    std::uint64_t address;
    std::vector<std::uint8_t> bytes;  // as many as were readable
  };
  std::vector<Memory> memory;           // the scratch region (stack included), guard page, stack page above it
  std::string error;                    // the stub or the harness threw
  // Out of line: the reported PC is in an XOL area. Only wrong when it differs from the in-place
  // PC: a branch target of the corpus can happen to fall into an area, which in the sandbox is
  // mapped next to the code.
  bool pc_in_slot = false;

  std::string describe_stop() const;
  bool faulted() const;
};

// Human-readable differences, empty when the runs agree. The trace flag is compared too: the
// kernel hides its own single-step TF, so any TF seen is the program's.
std::vector<std::string> compare_outcomes(const Outcome& in_place, const Outcome& out_of_line,
                                          const threads::RegisterLayout& layout);

} // namespace xolstub::differential
