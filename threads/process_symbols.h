// Global symbols of a traced process by name, found without the client's help (no qSymbol):
// first in the dynamic symbol tables of its loaded objects, in the order of the link_map chain,
// read from memory; then, for a statically linked program (no chain, or no object that has the
// name), in the symbol tables of its executable file, /proc/PID/exe.
//
// It answers what libthread_db's ps_pglobal_lookup would for the symbols the TLS code needs.
// Built per request: a library list read once stays valid for one stopped moment only.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "threads/dynamic_symbols.h"
#include "threads/elf_file_symbols.h"
#include "threads/memory_reader.h"

namespace xolstub::threads {

class ProcessMemory;

class ProcessSymbols {
public:
  // Reads the library list now. Throws std::runtime_error when the process's auxv or program
  // headers cannot be read (it is gone).
  ProcessSymbols(pid_t pid, const ProcessMemory& memory);
  ~ProcessSymbols();

  // The run-time address of `name`; nullopt when no object defines it.
  std::optional<std::uint64_t> find(std::string_view name);

private:
  pid_t pid_;
  MemoryReader read_;
  std::vector<DynamicSymbols> objects_;
  // The executable's file, opened at the first name memory does not have.
  bool file_tried_ = false;
  std::unique_ptr<ElfFileSymbols> file_;
  std::uint64_t file_bias_ = 0;
};

} // namespace xolstub::threads
