#include "threads/memory_regions.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace xolstub::threads {
namespace {

// A hex field ending at `stop` (or at the end): advances `text` past it and the stop character.
std::optional<std::uint64_t> take_hex(std::string_view& text, char stop) {
  auto end = text.find(stop);
  std::string_view field = text.substr(0, end);
  std::uint64_t value = 0;
  auto [ptr, error] = std::from_chars(field.data(), field.data() + field.size(), value, 16);
  if (field.empty() || error != std::errc() || ptr != field.data() + field.size()) return std::nullopt;
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return value;
}

std::string_view take_word(std::string_view& text) {
  auto end = text.find(' ');
  std::string_view word = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return word;
}

// "7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]"
std::optional<MemoryRegion> parse_line(std::string_view line) {
  MemoryRegion region;
  auto start = take_hex(line, '-');
  auto end = take_hex(line, ' ');
  if (!start || !end || *end < *start) return std::nullopt;
  region.start = *start;
  region.end = *end;
  std::string_view permissions = take_word(line);
  if (permissions.size() != 4) return std::nullopt;
  region.readable = permissions[0] == 'r';
  region.writable = permissions[1] == 'w';
  region.executable = permissions[2] == 'x';
  region.shared = permissions[3] == 's';
  auto offset = take_hex(line, ' ');
  if (!offset) return std::nullopt;
  region.offset = *offset;
  take_word(line);  // device
  take_word(line);  // inode
  // The name is padded to a column with spaces; a path may itself hold spaces, so only the
  // leading ones go.
  auto name_start = line.find_first_not_of(' ');
  if (name_start != std::string_view::npos) region.name = std::string(line.substr(name_start));
  return region;
}

} // namespace

std::vector<MemoryRegion> parse_memory_maps(std::string_view text) {
  std::vector<MemoryRegion> regions;
  while (!text.empty()) {
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.empty()) continue;
    auto region = parse_line(line);
    if (!region) throw std::runtime_error("unexpected line in a maps file: \"" + std::string(line) + "\"");
    regions.push_back(std::move(*region));
  }
  return regions;
}

std::vector<MemoryRegion> read_memory_regions(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_memory_maps(text);
}

RegionAt region_at(const std::vector<MemoryRegion>& regions, std::uint64_t address) {
  for (const auto& region : regions) {
    if (address < region.start) return RegionAt{address, region.start - address, std::nullopt};
    if (address < region.end) return RegionAt{region.start, region.end - region.start, region};
  }
  // Above the last mapping (on x86-64 that is [vsyscall]): unmapped up to the top, as
  // lldb-server answers with LLDB_INVALID_ADDRESS as the end.
  return RegionAt{address, std::numeric_limits<std::uint64_t>::max() - address, std::nullopt};
}

} // namespace xolstub::threads
