// Runs one system call inside a stopped tracee (how the XOL area is mapped): the thread's
// registers are saved, it executes a `syscall` written over its own PC for the moment, and
// everything is put back. Only call it while no other thread of the process runs.
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
