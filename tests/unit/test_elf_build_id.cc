// Build-ids for qModuleInfo/jModulesInfo: the note walker on made-up note tables (other notes
// first, 8-byte alignment, truncation, a build-id under another owner's name), and whole files:
// this test binary and libc against `readelf -n`, a tiny ELF file without notes, files that
// are not ELF or do not exist.
#include <doctest/doctest.h>

#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "threads/elf_build_id.h"

using namespace xolstub::threads;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void pad(Bytes& out, std::size_t align) {
  while (out.size() % align) out.push_back(0);
}

void add_note(Bytes& out, std::string_view name, std::uint32_t type, const Bytes& desc, std::size_t align = 4) {
  put32(out, static_cast<std::uint32_t>(name.size() + 1));
  put32(out, static_cast<std::uint32_t>(desc.size()));
  put32(out, type);
  out.insert(out.end(), name.begin(), name.end());
  out.push_back(0);
  pad(out, align);
  out.insert(out.end(), desc.begin(), desc.end());
  pad(out, align);
}

// The "Build ID: ..." readelf prints for PATH, upper-cased ("" when it prints none).
std::string readelf_build_id(const std::string& path) {
  std::string command = "readelf -n '" + path + "' 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  pclose(pipe);
  constexpr std::string_view key = "Build ID: ";
  auto at = out.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  std::string id = out.substr(at, out.find_first_not_of("0123456789abcdef", at) - at);
  for (auto& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return id;
}

struct TempFile {
  std::string path;
  explicit TempFile(const Bytes& bytes) {
    char name[] = "/tmp/xolstub-elf-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    close(fd);
    path = name;
  }
  ~TempFile() { unlink(path.c_str()); }
};

} // namespace

TEST_CASE("find_build_id finds the GNU build-id among other notes") {
  Bytes notes;
  add_note(notes, "GNU", NT_GNU_ABI_TAG, {0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});
  add_note(notes, "Go", NT_GNU_BUILD_ID, {9, 9, 9, 9});  // the right type under another name
  add_note(notes, "GNU", NT_GNU_BUILD_ID, {0xde, 0xad, 0xbe, 0xef, 0x01});
  auto id = find_build_id(notes, 4);
  REQUIRE(id);
  CHECK(*id == Bytes{0xde, 0xad, 0xbe, 0xef, 0x01});
  CHECK(uuid_string(*id) == "DEADBEEF01");
}

TEST_CASE("find_build_id in an 8-byte aligned note segment") {
  Bytes notes;
  add_note(notes, "GNU", NT_GNU_PROPERTY_TYPE_0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 8);
  add_note(notes, "GNU", NT_GNU_BUILD_ID, {0xaa, 0xbb, 0xcc}, 8);
  auto id = find_build_id(notes, 8);
  REQUIRE(id);
  CHECK(*id == Bytes{0xaa, 0xbb, 0xcc});
}

TEST_CASE("find_build_id: none, truncated, empty, absurd sizes") {
  CHECK_FALSE(find_build_id({}, 4));
  Bytes other;
  add_note(other, "GNU", NT_GNU_ABI_TAG, {0, 0, 0, 0});
  CHECK_FALSE(find_build_id(other, 4));

  Bytes truncated;
  add_note(truncated, "GNU", NT_GNU_BUILD_ID, {1, 2, 3, 4, 5, 6, 7, 8});
  truncated.erase(truncated.end() - 3, truncated.end());
  CHECK_FALSE(find_build_id(truncated, 4));

  Bytes empty_desc;
  add_note(empty_desc, "GNU", NT_GNU_BUILD_ID, {});
  CHECK_FALSE(find_build_id(empty_desc, 4));

  Bytes huge;  // sizes near 2^32 must not wrap around
  put32(huge, 0xfffffffc);
  put32(huge, 0xfffffffc);
  put32(huge, NT_GNU_BUILD_ID);
  huge.insert(huge.end(), 52, 0);
  CHECK_FALSE(find_build_id(huge, 4));
}

TEST_CASE("read_elf_module of this test binary and of libc matches readelf") {
  for (std::string path : {std::string("/proc/self/exe"), std::string("/lib/x86_64-linux-gnu/libc.so.6")}) {
    CAPTURE(path);
    auto module = read_elf_module(path);
    CHECK(module.is_64bit);
    CHECK(module.machine == EM_X86_64);
    char real[4096];
    REQUIRE(realpath(path.c_str(), real));
    CHECK(module.real_path == real);
    std::ifstream in(real, std::ios::binary | std::ios::ate);
    CHECK(module.file_size == static_cast<std::uint64_t>(in.tellg()));
    std::string expected = readelf_build_id(real);
    CHECK(uuid_string(module.build_id) == expected);
    if (path.starts_with("/lib")) CHECK_FALSE(expected.empty());  // Debian's libc has one
  }
}

TEST_CASE("read_elf_module: an ELF header alone has no build-id; other files are errors") {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_machine = EM_X86_64;
  header.e_phoff = 0x1000000;  // far past the end: read fails, no crash
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = 3;
  Bytes bytes(reinterpret_cast<const std::uint8_t*>(&header), reinterpret_cast<const std::uint8_t*>(&header + 1));
  TempFile bare(bytes);
  auto module = read_elf_module(bare.path);
  CHECK(module.build_id.empty());
  CHECK(module.file_size == sizeof header);

  TempFile text(Bytes{'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'});
  CHECK_THROWS_AS(read_elf_module(text.path), std::runtime_error);
  TempFile empty(Bytes{});
  CHECK_THROWS_AS(read_elf_module(empty.path), std::runtime_error);
  CHECK_THROWS_AS(read_elf_module("/nonexistent/libnothing.so"), std::runtime_error);
  CHECK_THROWS_AS(read_elf_module("/tmp"), std::runtime_error);  // a directory
}
