#include "threads/elf_build_id.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace xolstub::threads {
namespace {

// Note tables are small; anything claiming more is not one we should read into memory.
constexpr std::uint64_t max_note_bytes = 1 << 20;
constexpr std::uint64_t max_headers = 4096;

class File {
public:
  explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  std::uint64_t size() const {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return 0;
    return static_cast<std::uint64_t>(info.st_size);
  }
  // Exactly `length` bytes at `offset`, or false (past the end, short file).
  bool read(std::uint64_t offset, void* into, std::size_t length) const {
    auto* bytes = static_cast<char*>(into);
    while (length > 0) {
      ssize_t got = ::pread(fd_, bytes, length, static_cast<off_t>(offset));
      if (got <= 0) return false;
      bytes += got;
      offset += static_cast<std::uint64_t>(got);
      length -= static_cast<std::size_t>(got);
    }
    return true;
  }

private:
  int fd_;
};

std::uint32_t load32(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t value;
  std::memcpy(&value, bytes.data() + at, sizeof value);  // ELF is little-endian here (x86-64)
  return value;
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t align) { return (value + align - 1) / align * align; }

// The build-id in the note table at [offset, offset+size) of the file.
std::optional<std::vector<std::uint8_t>> build_id_at(const File& file, std::uint64_t offset, std::uint64_t size,
                                                     std::uint64_t align, std::uint64_t file_size) {
  if (size == 0 || size > max_note_bytes || offset > file_size || size > file_size - offset) return std::nullopt;
  std::vector<std::uint8_t> notes(size);
  if (!file.read(offset, notes.data(), notes.size())) return std::nullopt;
  return find_build_id(notes, align);
}

template <typename Header, typename ProgramHeader, typename SectionHeader>
std::vector<std::uint8_t> find_in_file(const File& file, std::uint64_t file_size) {
  Header header;
  if (!file.read(0, &header, sizeof header)) return {};
  // Segments first (what a loaded module keeps); sections for files without PT_NOTE.
  if (header.e_phentsize == sizeof(ProgramHeader) && header.e_phnum < max_headers) {
    for (std::uint64_t i = 0; i < header.e_phnum; ++i) {
      ProgramHeader segment;
      if (!file.read(header.e_phoff + i * sizeof segment, &segment, sizeof segment)) break;
      if (segment.p_type != PT_NOTE) continue;
      if (auto id = build_id_at(file, segment.p_offset, segment.p_filesz, segment.p_align, file_size)) return *id;
    }
  }
  if (header.e_shentsize == sizeof(SectionHeader) && header.e_shnum < max_headers) {
    for (std::uint64_t i = 0; i < header.e_shnum; ++i) {
      SectionHeader section;
      if (!file.read(header.e_shoff + i * sizeof section, &section, sizeof section)) break;
      if (section.sh_type != SHT_NOTE) continue;
      if (auto id = build_id_at(file, section.sh_offset, section.sh_size, section.sh_addralign, file_size)) return *id;
    }
  }
  return {};
}

std::string resolved(const std::string& path) {
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer)) return buffer;
  return path;
}

} // namespace

std::optional<std::vector<std::uint8_t>> find_build_id(std::span<const std::uint8_t> notes, std::uint64_t align) {
  // Notes are 4-byte aligned, except in a segment aligned to 8 (the GNU property notes).
  align = align == 8 ? 8 : 4;
  std::size_t at = 0;
  while (notes.size() - at >= 12) {
    std::uint64_t name_size = load32(notes, at);
    std::uint64_t desc_size = load32(notes, at + 4);
    std::uint32_t type = load32(notes, at + 8);
    std::uint64_t name_at = at + 12;
    std::uint64_t desc_at = align_up(name_at + name_size, align);
    std::uint64_t next = align_up(desc_at + desc_size, align);
    if (desc_at + desc_size > notes.size()) return std::nullopt;  // truncated: no more notes
    if (type == NT_GNU_BUILD_ID && name_size == 4 && std::memcmp(notes.data() + name_at, "GNU", 4) == 0 && desc_size > 0)
      return std::vector<std::uint8_t>(notes.begin() + static_cast<std::ptrdiff_t>(desc_at),
                                       notes.begin() + static_cast<std::ptrdiff_t>(desc_at + desc_size));
    if (next >= notes.size()) break;
    at = static_cast<std::size_t>(next);
  }
  return std::nullopt;
}

ElfModule read_elf_module(const std::string& path) {
  File file(path);
  ElfModule module;
  module.real_path = resolved(path);
  module.file_size = file.size();
  unsigned char ident[EI_NIDENT];
  if (!file.read(0, ident, sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    throw std::runtime_error(path + " is not an ELF file");
  if (ident[EI_DATA] != ELFDATA2LSB) throw std::runtime_error(path + " is not a little-endian ELF file");
  module.is_64bit = ident[EI_CLASS] == ELFCLASS64;
  if (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32)
    throw std::runtime_error(path + " has an unknown ELF class");
  if (!file.read(offsetof(Elf64_Ehdr, e_machine), &module.machine, sizeof module.machine))
    throw std::runtime_error(path + " is truncated");
  module.build_id = module.is_64bit ? find_in_file<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(file, module.file_size)
                                    : find_in_file<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(file, module.file_size);
  return module;
}

std::string uuid_string(std::span<const std::uint8_t> build_id) {
  static const char digits[] = "0123456789ABCDEF";
  std::string text;
  for (auto byte : build_id) {
    text += digits[byte >> 4];
    text += digits[byte & 0xf];
  }
  return text;
}

} // namespace xolstub::threads
