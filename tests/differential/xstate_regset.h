// The raw XSAVE image of a stopped thread (PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE).
//
// The start state of every run is set from one saved image, bytes and XSTATE_BV header alike:
// writing registers one by one (RegisterFile::write) leaves a component "in use" or not
// depending on what the previous run left, and that shows through xsave, xsaveopt and
// xgetbv(1), so the two runs would not start from the same state.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace xolstub::differential {

// Both throw threads::PtraceError.
std::vector<std::uint8_t> read_xstate(pid_t tid);
void write_xstate(pid_t tid, const std::vector<std::uint8_t>& image);

} // namespace xolstub::differential
