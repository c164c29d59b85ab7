// The executable sections of an ELF64 x86-64 file (.text, .plt, .init, ...), read from its
// section headers: the part of a library the corpus sweeps.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xolstub::differential {

struct CodeSection {
  std::string name;
  std::uint64_t address = 0;  // sh_addr: where the library's own code expects it
  std::vector<std::uint8_t> bytes;
};

// Throws std::runtime_error naming the file when it cannot be read or is not ELF64 x86-64.
std::vector<CodeSection> executable_sections(const std::string& path);

} // namespace xolstub::differential
