// What LLDB needs to know of a module file on the stub's host (qModuleInfo, jModulesInfo): its
// GNU build-id (the module's UUID, how LLDB matches it with the file it has), its real path and
// its size. Read from the file; nothing here touches a process.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xolstub::threads {

struct ElfModule {
  std::string real_path;               // symlinks resolved ("/lib/..." -> "/usr/lib/...")
  std::uint64_t file_size = 0;
  std::uint16_t machine = 0;           // e_machine (EM_X86_64 = 62)
  bool is_64bit = false;
  std::vector<std::uint8_t> build_id;  // empty: the file has no NT_GNU_BUILD_ID note
};

// Throws std::runtime_error saying why when the file cannot be opened or is not an ELF file;
// a truncated or inconsistent note table only means no build-id.
ElfModule read_elf_module(const std::string& path);

// The NT_GNU_BUILD_ID descriptor among the notes of one note segment or section; `align` is
// the segment's (4, or 8 for the GNU property notes' segment).
std::optional<std::vector<std::uint8_t>> find_build_id(std::span<const std::uint8_t> notes, std::uint64_t align);

// The build-id as LLDB writes a UUID without separators: upper-case hex.
std::string uuid_string(std::span<const std::uint8_t> build_id);

} // namespace xolstub::threads
