#include "threads/thread_db_layout.h"

#include <cstring>
#include <stdexcept>

namespace xolstub::threads {
namespace {

constexpr const char* prefix = "_thread_db_";

ThreadDbField read_descriptor(const MemoryReader& read, const SymbolLookup& lookup, const std::string& field) {
  std::string name = prefix + field;
  std::optional<std::uint64_t> address = lookup(name);
  if (!address)
    throw std::runtime_error("cannot find " + name + " in the program; the TLS address comes from glibc's "
                             "libthread_db descriptors, which are in libc.so.6 (glibc 2.34 and later), "
                             "libpthread.so.0 (earlier glibc), or the symbol table of a statically linked "
                             "program that is not stripped");
  std::uint8_t bytes[12];
  if (read(*address, bytes) != sizeof bytes)
    throw std::runtime_error("cannot read the descriptor " + name + " at " + hex_address(*address));
  return ThreadDbField::parse(bytes, name);
}

} // namespace

ThreadDbField ThreadDbField::parse(std::span<const std::uint8_t, 12> bytes, std::string name) {
  ThreadDbField field;
  std::memcpy(&field.bits, bytes.data(), 4);
  std::memcpy(&field.count, bytes.data() + 4, 4);
  std::memcpy(&field.offset, bytes.data() + 8, 4);
  field.name = std::move(name);
  return field;
}

std::uint64_t ThreadDbField::address(std::uint64_t base, std::uint64_t index) const {
  if (bits == 0 || bits % 8 != 0)
    throw std::runtime_error(name + " describes elements of " + std::to_string(bits) + " bits, not whole bytes");
  if (count != 0 && index >= count)
    throw std::runtime_error("index " + std::to_string(index) + " is past the " + std::to_string(count) +
                             " elements " + name + " describes");
  return base + offset + index * (bits / 8);
}

std::uint64_t ThreadDbField::read(const MemoryReader& reader, std::uint64_t base, const std::string& what,
                                  std::uint64_t index) const {
  return read_unsigned(reader, address(base, index), bits / 8, what);
}

ThreadDbLayout read_thread_db_layout(const MemoryReader& read, const SymbolLookup& lookup) {
  ThreadDbLayout layout;
  // The first lookup says whether there is a glibc with descriptors at all.
  layout.pthread_dtvp = read_descriptor(read, lookup, "pthread_dtvp");
  layout.dtv_dtv = read_descriptor(read, lookup, "dtv_dtv");
  layout.dtv_t_counter = read_descriptor(read, lookup, "dtv_t_counter");
  layout.dtv_t_pointer_val = read_descriptor(read, lookup, "dtv_t_pointer_val");
  layout.link_map_l_tls_modid = read_descriptor(read, lookup, "link_map_l_tls_modid");
  layout.link_map_l_tls_offset = read_descriptor(read, lookup, "link_map_l_tls_offset");
  layout.dtv_slotinfo_list_len = read_descriptor(read, lookup, "dtv_slotinfo_list_len");
  layout.dtv_slotinfo_list_next = read_descriptor(read, lookup, "dtv_slotinfo_list_next");
  layout.dtv_slotinfo_list_slotinfo = read_descriptor(read, lookup, "dtv_slotinfo_list_slotinfo");
  layout.dtv_slotinfo_gen = read_descriptor(read, lookup, "dtv_slotinfo_gen");
  layout.dtv_slotinfo_map = read_descriptor(read, lookup, "dtv_slotinfo_map");

  // A dynamically linked program: the list head is a member of ld.so's _rtld_global, which
  // the descriptor places. A static one has a plain variable and describes that instead.
  if (lookup(std::string(prefix) + "rtld_global__dl_tls_dtv_slotinfo_list")) {
    layout.slotinfo_list_head_field = read_descriptor(read, lookup, "rtld_global__dl_tls_dtv_slotinfo_list");
    std::optional<std::uint64_t> rtld_global = lookup("_rtld_global");
    if (!rtld_global)
      throw std::runtime_error("cannot find _rtld_global (the dynamic linker's state) in the program's loaded objects");
    layout.slotinfo_list_head = layout.slotinfo_list_head_field.address(*rtld_global);
  } else {
    layout.slotinfo_list_head_field = read_descriptor(read, lookup, "_dl_tls_dtv_slotinfo_list");
    std::optional<std::uint64_t> variable = lookup("_dl_tls_dtv_slotinfo_list");
    if (!variable) throw std::runtime_error("cannot find _dl_tls_dtv_slotinfo_list in the program");
    layout.slotinfo_list_head = layout.slotinfo_list_head_field.address(*variable);
  }
  return layout;
}

} // namespace xolstub::threads
