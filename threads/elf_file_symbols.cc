#include "threads/elf_file_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xolstub::threads {

ElfFileSymbols::ElfFileSymbols(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat info;
  if (::fstat(fd, &info) != 0 || info.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    ::close(fd);
    throw std::runtime_error(path + " is not an ELF file");
  }
  size_ = static_cast<std::size_t>(info.st_size);
  void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  ::close(fd);
  if (mapped == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + std::strerror(saved));
  data_ = static_cast<const unsigned char*>(mapped);

  Elf64_Ehdr header;
  std::memcpy(&header, data_, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB) {
    ::munmap(const_cast<unsigned char*>(data_), size_);
    throw std::runtime_error(path + " is not a 64-bit little-endian ELF file");
  }
  type_ = header.e_type;
  entry_ = header.e_entry;
  if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shoff == 0 || header.e_shoff > size_ ||
      header.e_shnum > (size_ - header.e_shoff) / sizeof(Elf64_Shdr))
    return;  // no usable section headers: nothing to find

  auto section = [&](std::size_t index) {
    Elf64_Shdr out;
    std::memcpy(&out, data_ + header.e_shoff + index * sizeof(Elf64_Shdr), sizeof out);
    return out;
  };
  auto inside = [&](std::uint64_t offset, std::uint64_t size) { return offset <= size_ && size <= size_ - offset; };
  // .symtab first: it has everything .dynsym has and more.
  for (std::uint32_t wanted : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (std::size_t i = 0; i < header.e_shnum; ++i) {
      Elf64_Shdr symbols = section(i);
      if (symbols.sh_type != wanted || symbols.sh_link >= header.e_shnum) continue;
      Elf64_Shdr strings = section(symbols.sh_link);
      if (!inside(symbols.sh_offset, symbols.sh_size) || !inside(strings.sh_offset, strings.sh_size)) continue;
      tables_.push_back({symbols.sh_offset, symbols.sh_size / sizeof(Elf64_Sym), strings.sh_offset, strings.sh_size});
    }
  }
}

ElfFileSymbols::~ElfFileSymbols() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

std::optional<std::uint64_t> ElfFileSymbols::find(std::string_view name) const {
  for (const Table& table : tables_) {
    for (std::uint64_t i = 0; i < table.count; ++i) {
      Elf64_Sym symbol;
      std::memcpy(&symbol, data_ + table.symbols + i * sizeof symbol, sizeof symbol);
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_name >= table.strings_size) continue;
      const char* text = reinterpret_cast<const char*>(data_ + table.strings + symbol.st_name);
      std::size_t room = table.strings_size - symbol.st_name;
      if (name.size() < room && text[name.size()] == '\0' && std::memcmp(text, name.data(), name.size()) == 0)
        return symbol.st_value;
    }
  }
  return std::nullopt;
}

} // namespace xolstub::threads
