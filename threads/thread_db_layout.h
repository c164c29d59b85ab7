// Where glibc keeps the pieces of thread-local storage, as glibc itself describes them for
// libthread_db. The structures involved (struct pthread, struct link_map, the DTV and the
// dynamic linker's slotinfo list) are private to glibc and change between versions, so their
// layout is not hard-coded here: glibc exports, for libthread_db (nptl_db/structs.def,
// db_info.c), one descriptor per field it needs, a symbol `_thread_db_STRUCT_FIELD` holding
// three 32-bit words:
//
//   { size of one element in bits, number of elements (0: an open-ended array), byte offset }
//
// They live in libc.so.6 since glibc 2.34 (libpthread.so.0 before) as GLIBC_PRIVATE dynamic
// symbols, and in the .symtab of a statically linked program. The descriptor values are read
// from the inferior's memory, so they are those of the glibc it runs.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "threads/memory_reader.h"

namespace xolstub::threads {

struct ThreadDbField {
  std::uint32_t bits = 0;    // of one element
  std::uint32_t count = 0;   // elements; 0 for an open-ended array
  std::uint32_t offset = 0;  // in bytes, from the start of the structure
  std::string name;          // the descriptor's symbol, for messages

  // Decodes the three words of a descriptor (host order: the inferior is x86-64 too).
  static ThreadDbField parse(std::span<const std::uint8_t, 12> bytes, std::string name);

  // The address of element `index` of this field in a structure at `base`. Throws
  // std::runtime_error when `index` is past a bounded array, or the element size is not whole
  // bytes.
  std::uint64_t address(std::uint64_t base, std::uint64_t index = 0) const;
  // Reads element `index` (a scalar field: 1, 2, 4 or 8 bytes). Throws std::runtime_error
  // naming `what` when it cannot.
  std::uint64_t read(const MemoryReader& read, std::uint64_t base, const std::string& what, std::uint64_t index = 0) const;
};

struct ThreadDbLayout {
  ThreadDbField pthread_dtvp;        // struct pthread: header.dtv, the thread's DTV pointer
  ThreadDbField dtv_dtv;             // the DTV seen as an array of dtv_t (element size)
  ThreadDbField dtv_t_counter;       // dtv_t.counter: dtv[0] holds the DTV's generation
  ThreadDbField dtv_t_pointer_val;   // dtv_t.pointer.val: a module's TLS block, or TLS_DTV_UNALLOCATED
  ThreadDbField link_map_l_tls_modid;   // the module's index in the DTV
  ThreadDbField link_map_l_tls_offset;  // where its block sits in the static TLS area, if it does
  ThreadDbField dtv_slotinfo_list_len;       // the dynamic linker's table of TLS modules, in
  ThreadDbField dtv_slotinfo_list_next;      // chunks: each has `len` entries and a next chunk
  ThreadDbField dtv_slotinfo_list_slotinfo;  // the entries (element size)
  ThreadDbField dtv_slotinfo_gen;  // the DTV generation a module's slot needs
  ThreadDbField dtv_slotinfo_map;  // the module's link_map; null when the slot is free
  // The variable that points at the first slotinfo chunk (_rtld_global._dl_tls_dtv_slotinfo_list,
  // or _dl_tls_dtv_slotinfo_list in a static program), and its size.
  std::uint64_t slotinfo_list_head = 0;
  ThreadDbField slotinfo_list_head_field;
};

// Looks a symbol up by name in the inferior; the run-time address or nullopt.
using SymbolLookup = std::function<std::optional<std::uint64_t>(std::string_view name)>;

// Finds and reads every descriptor above. Throws std::runtime_error with a message saying what
// is missing (not glibc, a stripped static program, ...) when one is not found.
ThreadDbLayout read_thread_db_layout(const MemoryReader& read, const SymbolLookup& lookup);

} // namespace xolstub::threads
