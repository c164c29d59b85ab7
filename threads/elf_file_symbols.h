// The symbols of an ELF file on disk (.symtab, then .dynsym), for what has no dynamic symbol
// table in memory: a statically linked program keeps glibc's internals (the libthread_db
// descriptors among them) only in the .symtab of its file, and loses them when stripped.
//
// 64-bit little-endian files only. A lookup is a linear scan of the mapped tables: it runs a
// handful of times per request, on tables of a few thousand symbols.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::threads {

class ElfFileSymbols {
public:
  // Maps the file read-only. Throws std::runtime_error when it cannot be opened or is not a
  // 64-bit ELF file. A file without symbol tables is not an error: find() finds nothing.
  explicit ElfFileSymbols(const std::string& path);
  ~ElfFileSymbols();
  ElfFileSymbols(const ElfFileSymbols&) = delete;
  ElfFileSymbols& operator=(const ElfFileSymbols&) = delete;

  // The link-time value of the defined symbol `name`; nullopt when there is none.
  std::optional<std::uint64_t> find(std::string_view name) const;
  // ET_EXEC or ET_DYN.
  std::uint16_t type() const { return type_; }
  // The entry point's link-time address (e_entry); with AT_ENTRY it gives a PIE's load bias.
  std::uint64_t entry() const { return entry_; }

private:
  struct Table {
    std::uint64_t symbols = 0, count = 0, strings = 0, strings_size = 0;  // file offsets and sizes
  };
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::uint16_t type_ = 0;
  std::uint64_t entry_ = 0;
  std::vector<Table> tables_;
};

} // namespace xolstub::threads
