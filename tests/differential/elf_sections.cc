#include "tests/differential/elf_sections.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace xolstub::differential {
namespace {

template <typename T> T read_at(const std::vector<char>& file, std::uint64_t offset, const std::string& path) {
  if (offset > file.size() || file.size() - offset < sizeof(T))
    throw std::runtime_error(path + ": truncated ELF file (header at offset " + std::to_string(offset) + ")");
  T value;
  std::memcpy(&value, file.data() + offset, sizeof value);
  return value;
}

} // namespace

std::vector<CodeSection> executable_sections(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path + " for the instruction corpus");
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const auto header = read_at<Elf64_Ehdr>(file, 0, path);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_machine != EM_X86_64)
    throw std::runtime_error(path + " is not an ELF64 x86-64 file");
  if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0)
    throw std::runtime_error(path + " has no section headers (stripped of them?): cannot find its code");

  std::vector<Elf64_Shdr> sections;
  for (unsigned i = 0; i < header.e_shnum; ++i)
    sections.push_back(read_at<Elf64_Shdr>(file, header.e_shoff + std::uint64_t{i} * sizeof(Elf64_Shdr), path));
  const Elf64_Shdr& names = sections.at(header.e_shstrndx);

  std::vector<CodeSection> code;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_type != SHT_PROGBITS || !(section.sh_flags & SHF_EXECINSTR)) continue;
    if (section.sh_offset > file.size() || file.size() - section.sh_offset < section.sh_size)
      throw std::runtime_error(path + ": a code section runs past the end of the file");
    CodeSection out;
    if (section.sh_name < names.sh_size && names.sh_offset + section.sh_name < file.size()) {
      const char* name = file.data() + names.sh_offset + section.sh_name;
      out.name.assign(name, strnlen(name, file.size() - (names.sh_offset + section.sh_name)));
    }
    out.address = section.sh_addr;
    out.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(section.sh_offset),
                     file.begin() + static_cast<std::ptrdiff_t>(section.sh_offset + section.sh_size));
    code.push_back(std::move(out));
  }
  if (code.empty()) throw std::runtime_error(path + " has no executable section");
  return code;
}

} // namespace xolstub::differential
