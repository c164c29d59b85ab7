#include "threads/svr4_libraries.h"

#include <elf.h>

#include <cstdio>
#include <cstring>
#include <span>
#include <stdexcept>

#include "threads/auxv.h"
#include "threads/memory.h"

namespace xolstub::threads {
namespace {

// x86-64 layouts of <link.h>: struct r_debug (r_debug_extended adds r_next at 40) and the
// public head of struct link_map.
constexpr std::uint64_t r_version_offset = 0;
constexpr std::uint64_t r_map_offset = 8;
constexpr std::uint64_t r_next_offset = 40;
struct LinkMapHead {
  std::uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

// Bounds against a corrupt or hostile inferior: a real process has far fewer of each.
constexpr std::size_t max_program_headers = 4096;
constexpr std::size_t max_dynamic_entries = 1 << 16;
constexpr std::size_t max_chain_length = 1 << 16;
constexpr std::size_t max_namespaces = 4096;
constexpr std::size_t max_name_length = 4096;

std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

// Run-time address of the program's PT_DYNAMIC; 0 when it has none. The load bias comes from
// PT_PHDR (the headers' own link-time address) against AT_PHDR (where they are now): every
// executable with a DT_DEBUG has PT_PHDR, PIE or not.
std::uint64_t find_dynamic_section(pid_t pid, const ProcessMemory& memory) {
  std::vector<std::uint8_t> auxv = read_auxv(pid);
  std::optional<std::uint64_t> phdr = auxv_value(auxv, AT_PHDR);
  std::optional<std::uint64_t> phnum = auxv_value(auxv, AT_PHNUM);
  if (!phdr || !phnum || *phnum == 0) return 0;
  if (*phnum > max_program_headers)
    throw std::runtime_error("auxv of process " + std::to_string(pid) + " claims " +
                             std::to_string(*phnum) + " program headers");

  std::vector<Elf64_Phdr> headers(*phnum);
  std::size_t size = headers.size() * sizeof(Elf64_Phdr);
  if (memory.read(*phdr, std::span(reinterpret_cast<std::uint8_t*>(headers.data()), size)) != size)
    throw std::runtime_error("cannot read the program headers of process " + std::to_string(pid) +
                             " at " + hex(*phdr));

  std::optional<std::uint64_t> bias;
  for (const Elf64_Phdr& header : headers)
    if (header.p_type == PT_PHDR) bias = *phdr - header.p_vaddr;
  if (!bias) return 0;
  for (const Elf64_Phdr& header : headers)
    if (header.p_type == PT_DYNAMIC) return header.p_vaddr + *bias;
  return 0;
}

// The value of DT_DEBUG in the dynamic section at `dynamic`; nullopt when there is no such tag.
std::optional<std::uint64_t> read_dt_debug(const ProcessMemory& memory, std::uint64_t dynamic) {
  constexpr std::size_t batch = 64;  // one read covers a typical dynamic section
  Elf64_Dyn entries[batch];
  for (std::size_t index = 0; index < max_dynamic_entries; index += batch) {
    std::size_t got = memory.read(dynamic + index * sizeof(Elf64_Dyn),
                                  std::span(reinterpret_cast<std::uint8_t*>(entries), sizeof entries));
    std::size_t count = got / sizeof(Elf64_Dyn);
    for (std::size_t i = 0; i < count; ++i) {
      if (entries[i].d_tag == DT_NULL) return std::nullopt;
      if (entries[i].d_tag == DT_DEBUG) return entries[i].d_un.d_val;
    }
    if (count < batch) return std::nullopt;  // ran into unreadable memory before DT_NULL
  }
  return std::nullopt;
}

std::optional<std::uint64_t> read_word(const ProcessMemory& memory, std::uint64_t address) {
  std::uint64_t value = 0;
  if (memory.read(address, std::span(reinterpret_cast<std::uint8_t*>(&value), sizeof value)) != sizeof value)
    return std::nullopt;
  return value;
}

// A NUL-terminated string of the inferior, read in small pieces: library names are short and
// may sit right before an unmapped page.
std::string read_c_string(const ProcessMemory& memory, std::uint64_t address) {
  std::string text;
  char piece[256];
  while (text.size() < max_name_length) {
    std::size_t got = memory.read(address + text.size(), std::span(reinterpret_cast<std::uint8_t*>(piece), sizeof piece));
    if (got == 0) break;
    std::size_t length = strnlen(piece, got);
    text.append(piece, length);
    if (length < got || got < sizeof piece) break;
  }
  if (text.size() > max_name_length) text.resize(max_name_length);
  return text;
}

} // namespace

std::optional<std::uint64_t> find_r_debug(pid_t pid, const ProcessMemory& memory) {
  std::uint64_t dynamic = find_dynamic_section(pid, memory);
  if (dynamic == 0) return std::nullopt;
  return read_dt_debug(memory, dynamic);
}

std::vector<LinkMapEntry> read_link_map_chain(const ProcessMemory& memory, std::uint64_t start,
                                              std::uint64_t prev, std::uint64_t lmid) {
  std::vector<LinkMapEntry> chain;
  for (std::uint64_t lm = start; lm != 0 && chain.size() < max_chain_length;) {
    LinkMapHead head;
    if (memory.read(lm, std::span(reinterpret_cast<std::uint8_t*>(&head), sizeof head)) != sizeof head) break;
    // A back link that disagrees means a stale `start` from the client or a list ld.so is
    // rewriting right now; either way what follows cannot be trusted.
    if (head.l_prev != prev) break;
    chain.push_back({read_c_string(memory, head.l_name), lm, head.l_addr, head.l_ld, head.l_prev, lmid});
    prev = lm;
    lm = head.l_next;
  }
  return chain;
}

std::optional<Svr4LibraryList> read_svr4_libraries(pid_t pid, const ProcessMemory& memory) {
  std::optional<std::uint64_t> r_debug = find_r_debug(pid, memory);
  if (!r_debug) return std::nullopt;

  Svr4LibraryList list;
  list.r_debug = *r_debug;
  std::uint64_t namespace_debug = *r_debug;
  for (std::size_t count = 0; namespace_debug != 0 && count < max_namespaces; ++count) {
    std::int32_t version = 0;
    if (memory.read(namespace_debug + r_version_offset,
                    std::span(reinterpret_cast<std::uint8_t*>(&version), sizeof version)) != sizeof version)
      break;
    // Version 0 is an r_debug ld.so has not initialised yet.
    if (version < 1) break;
    std::optional<std::uint64_t> r_map = read_word(memory, namespace_debug + r_map_offset);
    if (!r_map) break;
    if (namespace_debug == list.r_debug) list.main_lm = *r_map;
    std::vector<LinkMapEntry> chain = read_link_map_chain(memory, *r_map, 0, namespace_debug);
    list.entries.insert(list.entries.end(), std::make_move_iterator(chain.begin()),
                        std::make_move_iterator(chain.end()));
    // Only r_debug_extended (version 2) has r_next.
    if (version < 2) break;
    std::optional<std::uint64_t> next = read_word(memory, namespace_debug + r_next_offset);
    if (!next) break;
    namespace_debug = *next;
  }
  return list;
}

} // namespace xolstub::threads
