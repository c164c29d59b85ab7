// Where the sandbox keeps what the differential runner needs. Everything sits in one 2 GiB
// neighbourhood far above the runner's own image, heap, libraries and AddressSanitizer's shadow
// (whose high shadow ends at 0x10007fff7fff), so that
//   - a RIP-relative operand of the instruction at `site` can be pointed at the scratch data,
//   - the XOL areas the engine maps "near the code" land in the free space next to it,
//   - a memory operand that misses the scratch region most likely hits nothing at all.
#pragma once
#include <cstdint>

namespace xolstub::differential::layout {

inline constexpr std::uint64_t page = 4096;

// One read+exec page holding the instruction under test. The runner writes it through
// /proc/PID/mem, as the stub does with breakpoints; the program itself can never write it.
inline constexpr std::uint64_t code_page = 0x200000000000;
inline constexpr std::uint64_t site = code_page + 0x800;
// A `nop` just before the site: the thread runs from here into the site's int3, so the stop is
// a real breakpoint hit.
inline constexpr std::uint64_t launch_pad = site - 1;
// An int3 before that: the in-place run starts by running into it. Both runs thus begin with a
// PTRACE_CONT, which clears the kernel's single-step bookkeeping (TIF_SINGLESTEP/TIF_FORCED_TF)
// left by the previous run; without it, a step after a step that ran `popf` shows the kernel's
// own TF as the program's.
inline constexpr std::uint64_t reset_pad = site - 2;
inline constexpr std::uint64_t code_bytes = 16;  // instruction (at most 15) and padding

// Read+write data every general register points into, the stack included. Pattern-filled
// before every run and compared, whole, after it.
inline constexpr std::uint64_t scratch = code_page + 0x100000;
inline constexpr std::uint64_t scratch_size = 0x10000;
inline constexpr std::uint64_t scratch_end = scratch + scratch_size;
// Where a RIP-relative operand is made to point (64-byte aligned, so aligned SSE, AVX and
// AVX-512 accesses work; 0x400 bytes of pattern on each side).
inline constexpr std::uint64_t rip_target = scratch + 0x8c00;
inline constexpr std::uint64_t stack_pointer = scratch + 0xc000;

// A thread whose stack ran out: a read+write page whose lowest address is the stack pointer,
// above a PROT_NONE guard page (as glibc puts below every thread stack). A push must fault.
inline constexpr std::uint64_t guard_page = scratch + 0x20000;
inline constexpr std::uint64_t guarded_stack = guard_page + page;
// A stack pointer into nothing: between the scratch region and the guard page.
inline constexpr std::uint64_t unmapped_stack = scratch + 0x18000;

} // namespace xolstub::differential::layout
