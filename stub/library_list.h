// The qXfer:libraries-svr4:read document: the process's link_map chain as XML, so GDB learns
// every loaded library (name, link_map address, load bias, dynamic section, namespace) in one
// transfer instead of walking the chain through memory reads.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "threads/svr4_libraries.h"

namespace xolstub::stub {

// What GDB 13 puts in the annex after a library event ("lmid=R;start=LM;prev=P", hex without
// 0x): only the part of namespace R from link_map LM on is wanted, and LM's l_prev must be P,
// the last entry GDB already has. An empty annex (or no start) asks for everything.
struct Svr4Annex {
  std::uint64_t lmid = 0;
  std::uint64_t start = 0;
  std::uint64_t prev = 0;
};

// Unknown keys are skipped, as GDB expects of a stub; nullopt when a known key's value is not
// a hex number.
std::optional<Svr4Annex> parse_svr4_annex(std::string_view annex);

// The document for `annex`. Without a start: every library of every namespace, the program's
// own link_map named in main-lm rather than listed. With a start: the entries from that
// link_map to the end of its namespace, tagged with the annex's lmid, or none when the start
// is unknown or its l_prev is not `prev` (GDB then rereads the whole list). Entries with an
// empty name (the program, sometimes the vDSO) are never listed, as gdbserver does.
// Without `with_main_lm`, for LLDB 14, which takes main-lm for the address of r_debug and
// sets its library-event breakpoint in the program's ELF header.
std::string format_svr4_library_list(const threads::Svr4LibraryList& list, const Svr4Annex& annex = {},
                                     bool with_main_lm = true);

} // namespace xolstub::stub
