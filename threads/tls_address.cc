#include "threads/tls_address.h"

#include <string>

namespace xolstub::threads {
namespace {

// glibc gives a statically linked executable's TLS module id 1 (__libc_setup_tls), which is
// what libthread_db assumes when there is no link_map (gdbserver's thread-db.cc).
constexpr std::uint64_t static_executable_modid = 1;
// l_tls_offset values that place no block in the static TLS area, where the TCB is at the
// thread pointer (x86-64): NO_TLS_OFFSET 0 and FORCED_DYNAMIC_TLS_OFFSET -1 (glibc's link.h).
constexpr std::int64_t no_tls_offset = 0;
constexpr std::int64_t forced_dynamic_tls_offset = -1;
// Bound against a corrupt list: chunks hold 64 entries or more each.
constexpr std::size_t max_slotinfo_chunks = 1 << 16;

std::string module_text(std::uint64_t modid) { return "TLS module " + std::to_string(modid); }

std::int64_t sign_extend(std::uint64_t value, std::uint32_t bits) {
  if (bits >= 64 || bits == 0) return static_cast<std::int64_t>(value);
  std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((value ^ sign) - sign);
}

// The address of module `modid`'s entry in the dynamic linker's slotinfo list.
std::uint64_t find_slot(const MemoryReader& read, const ThreadDbLayout& layout, std::uint64_t modid) {
  std::uint64_t chunk = read_unsigned(read, layout.slotinfo_list_head, layout.slotinfo_list_head_field.bits / 8,
                                      "the dynamic linker's TLS slotinfo list head");
  std::uint64_t first = 0;  // the module id of the chunk's first entry
  for (std::size_t count = 0; chunk != 0 && count < max_slotinfo_chunks; ++count) {
    std::uint64_t length = layout.dtv_slotinfo_list_len.read(read, chunk, "the length of a TLS slotinfo chunk");
    if (modid < first + length) return layout.dtv_slotinfo_list_slotinfo.address(chunk, modid - first);
    first += length;
    chunk = layout.dtv_slotinfo_list_next.read(read, chunk, "the next TLS slotinfo chunk");
  }
  throw TlsError(module_text(modid) + " is not in the dynamic linker's slotinfo list: no such module is loaded");
}

} // namespace

std::uint64_t tls_address(const MemoryReader& read, const ThreadDbLayout& layout, std::uint64_t thread_pointer,
                          std::uint64_t lm, std::uint64_t offset) {
  std::uint64_t modid = static_executable_modid;
  if (lm != 0) {
    modid = layout.link_map_l_tls_modid.read(read, lm, "l_tls_modid of the link_map at " + hex_address(lm));
    if (modid == 0)
      throw TlsError("the object whose link_map is at " + hex_address(lm) +
                     " has no thread-local storage (its l_tls_modid is 0)");
  }
  if (thread_pointer == 0)
    throw TlsError("the thread has no thread pointer yet (fs_base is 0): glibc has not set up its TLS; "
                   "try again once the program has reached main");

  std::uint64_t slot = find_slot(read, layout, modid);
  std::uint64_t map = layout.dtv_slotinfo_map.read(read, slot, "the link_map of " + module_text(modid));
  if (map == 0) throw TlsError(module_text(modid) + " is not loaded (its slot is free: the object was unloaded)");
  if (lm != 0 && map != lm)
    throw TlsError("the link_map at " + hex_address(lm) + " says " + module_text(modid) +
                   ", which the dynamic linker has for the link_map at " + hex_address(map) +
                   " (a stale link_map of an unloaded object?)");
  std::uint64_t module_generation = layout.dtv_slotinfo_gen.read(read, slot, "the generation of " + module_text(modid));

  std::uint64_t dtv = layout.pthread_dtvp.read(read, thread_pointer, "the thread's DTV pointer");
  if (dtv == 0) throw TlsError("the thread has no DTV yet (its TLS is not set up)");
  std::uint64_t dtv_generation =
      layout.dtv_t_counter.read(read, layout.dtv_dtv.address(dtv, 0), "the generation of the thread's DTV");
  // A DTV older than the module may be too short for it, or hold a dead module's block in its
  // slot: it is looked at only when it is recent enough.
  if (dtv_generation >= module_generation) {
    std::uint64_t block = layout.dtv_t_pointer_val.read(read, layout.dtv_dtv.address(dtv, modid),
                                                        "the DTV entry of " + module_text(modid));
    // TLS_DTV_UNALLOCATED is (void *) -1; a real block is aligned, so libthread_db tests bit 0.
    if (block != 0 && (block & 1) == 0) return block + offset;
  }

  std::int64_t static_offset = sign_extend(
      layout.link_map_l_tls_offset.read(read, map, "l_tls_offset of " + module_text(modid)),
      layout.link_map_l_tls_offset.bits);
  if (static_offset != no_tls_offset && static_offset != forced_dynamic_tls_offset)
    return thread_pointer - static_cast<std::uint64_t>(static_offset) + offset;

  throw TlsError("the thread has not allocated its block of " + module_text(modid) +
                 " yet: a dynamically loaded library's thread-local variables get their storage in a "
                 "thread when that thread first uses one of them");
}

} // namespace xolstub::threads
