// The dynamic symbol table of one loaded object, read from the inferior's memory the way ld.so
// finds symbols: the object's dynamic section (l_ld of its link_map) locates the symbol table,
// the string table and a hash table (DT_GNU_HASH, or the older DT_HASH) that leads from a name
// to its few candidate symbols, so a lookup reads a few dozen bytes, not the whole table.
//
// Memory rather than the file on disk: the file may have been replaced since the process
// loaded it (a library upgraded under a running program), deleted, or live in another mount
// namespace; what is mapped is what the process runs.
//
// 64-bit objects only.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "threads/memory_reader.h"

namespace xolstub::threads {

class DynamicSymbols {
public:
  // `l_addr` and `l_ld` as the object's link_map has them. Throws std::runtime_error when the
  // dynamic section cannot be read.
  DynamicSymbols(MemoryReader read, std::uint64_t l_addr, std::uint64_t l_ld);

  // The run-time address of the symbol `name` the object defines (any version); nullopt when
  // it defines none, or has no symbol or hash table.
  std::optional<std::uint64_t> find(std::string_view name) const;

  // The classic ELF hash functions, exposed for the tests.
  static std::uint32_t gnu_hash(std::string_view name);
  static std::uint32_t sysv_hash(std::string_view name);

private:
  std::optional<std::uint64_t> find_gnu(std::string_view name) const;
  std::optional<std::uint64_t> find_sysv(std::string_view name) const;
  // The address of symbol `index` when it is a definition named `name`.
  std::optional<std::uint64_t> match(std::uint32_t index, std::string_view name) const;
  std::uint32_t word(std::uint64_t address) const;

  MemoryReader read_;
  std::uint64_t l_addr_;
  std::uint64_t symtab_ = 0;
  std::uint64_t strtab_ = 0;
  std::uint64_t strsz_ = 0;
  std::uint64_t syment_ = 0;  // 0: not given, sizeof(Elf64_Sym)
  std::uint64_t gnu_hash_ = 0;
  std::uint64_t sysv_hash_ = 0;
};

} // namespace xolstub::threads
