// The address of a thread's copy of a thread-local variable: what GDB asks with qGetTLSAddr and
// gdbserver answers with libthread_db's td_thr_tls_get_addr. Computed here the way glibc's
// nptl_db does it (td_thr_tlsaddr.c, td_thr_tlsbase.c), from the thread's thread pointer and
// glibc's descriptors of its own structures (thread_db_layout.h), without loading
// libthread_db and without asking the client for symbols:
//
//  1. The module's TLS index is l_tls_modid of its link_map (`lm`). `lm` 0 is what GDB sends
//     for a statically linked program, whose executable glibc always makes module 1.
//  2. The module's slot in the dynamic linker's slotinfo list says it is loaded (its link_map)
//     and which DTV generation first includes it.
//  3. The thread's DTV pointer is in its struct pthread, which on x86-64 starts at the thread
//     pointer (fs_base; the TCB is at the thread pointer, TLS blocks below it). If the DTV is
//     at least that generation (dtv[0].counter) and dtv[modid].pointer.val is allocated, that
//     is the module's block for this thread.
//  4. Otherwise, a module in the static TLS area (the executable, and the libraries loaded at
//     startup: libc's errno, ...) has its block at thread pointer - l_tls_offset all the same.
//  5. Otherwise the thread has no block for the module yet: a dlopen'ed library's block is
//     allocated at the thread's first access to it. There is no address to give.
//
// The address is the block plus the variable's offset in it (`offset`, from its debug info).
#pragma once
#include <cstdint>
#include <stdexcept>

#include "threads/memory_reader.h"
#include "threads/thread_db_layout.h"

namespace xolstub::threads {

// Why there is no address, in words a user can act on.
class TlsError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Throws TlsError when the address does not exist (yet), and std::runtime_error when memory the
// walk needs is unreadable.
std::uint64_t tls_address(const MemoryReader& read, const ThreadDbLayout& layout, std::uint64_t thread_pointer,
                          std::uint64_t lm, std::uint64_t offset);

} // namespace xolstub::threads
