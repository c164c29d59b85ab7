// The shared libraries a dynamically linked process has loaded, read the way a debugger reads
// them on SVR4 systems: the program's dynamic section holds DT_DEBUG, which ld.so points at its
// `struct r_debug`; r_map starts a doubly linked chain of `struct link_map`, one per loaded
// object (the program itself first). glibc 2.35+ chains further namespaces (dlmopen) through
// r_debug_extended.r_next. GDB gets this list as qXfer:libraries-svr4:read, which is much
// faster than reading the chain itself through memory packets.
//
// 64-bit processes only (link_map and r_debug offsets of x86-64).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xolstub::threads {

class ProcessMemory;

struct LinkMapEntry {
  std::string name;            // l_name as ld.so wrote it; "" for the program itself
  std::uint64_t lm = 0;        // the address of this link_map
  std::uint64_t l_addr = 0;    // load bias: run-time address minus link-time address
  std::uint64_t l_ld = 0;      // run-time address of the object's dynamic section
  std::uint64_t l_prev = 0;    // as read from memory, so callers can check a chain's link
  std::uint64_t lmid = 0;      // the r_debug of the namespace the object belongs to
};

struct Svr4LibraryList {
  std::uint64_t r_debug = 0;   // the default namespace's r_debug; 0 while ld.so has not run
  std::uint64_t main_lm = 0;   // the program's own link_map (first of the default namespace)
  // Every link_map of every namespace in chain order, the program's own entry included.
  std::vector<LinkMapEntry> entries;
};

// Where the program's DT_DEBUG points: 0 while ld.so has not yet filled it in (at the first
// instruction after exec). nullopt when the program has no dynamic section or no DT_DEBUG
// (statically linked): there is no list and never will be. Throws std::runtime_error when
// the auxv or the program headers cannot be read (the process is gone).
std::optional<std::uint64_t> find_r_debug(pid_t pid, const ProcessMemory& memory);

// The whole list; nullopt as for find_r_debug. A chain that breaks (unreadable memory,
// l_prev not pointing back) ends the list there: ld.so may be halfway through an update.
std::optional<Svr4LibraryList> read_svr4_libraries(pid_t pid, const ProcessMemory& memory);

// One namespace's chain starting at `start`, whose l_prev must be `prev`, each entry tagged
// with `lmid`. This is the walk GDB asks for with "start=...;prev=..." after a library event,
// when only the tail of a namespace is new.
std::vector<LinkMapEntry> read_link_map_chain(const ProcessMemory& memory, std::uint64_t start,
                                              std::uint64_t prev, std::uint64_t lmid);

} // namespace xolstub::threads
