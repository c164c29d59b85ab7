// Runs one system call inside a stopped tracee (how the XOL area is mapped): the thread's
// registers are saved, it is single-stepped through a `syscall` instruction the process already
// has (the vDSO's, libc's), and its registers are put back. Other threads may run meanwhile
// (non-stop): no code is changed. Only when no such instruction is found is one written over
// the thread's own PC for the moment, which is safe only while no other thread runs.
#pragma once
#include <array>
#include <cstdint>

#include "threads/memory.h"
#include "threads/thread.h"

namespace xolstub::threads {

// Returns the kernel's result (a negative errno on failure). Throws PtraceError or
// std::runtime_error when the thread cannot be made to run it.
long remote_syscall(Thread& thread, const ProcessMemory& memory, long number, std::array<std::uint64_t, 6> args);

} // namespace xolstub::threads
