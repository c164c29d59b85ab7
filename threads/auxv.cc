#include "threads/auxv.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xolstub::threads {

std::vector<std::uint8_t> read_auxv(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/auxv";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      bytes.insert(bytes.end(), chunk, chunk + n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      int saved = errno;
      ::close(fd);
      throw std::runtime_error("cannot read " + path + ": " + std::strerror(saved));
    }
  }
  ::close(fd);
  return bytes;
}

std::vector<AuxvEntry> parse_auxv(std::span<const std::uint8_t> auxv) {
  std::vector<AuxvEntry> entries;
  for (std::size_t at = 0; at + sizeof(Elf64_auxv_t) <= auxv.size(); at += sizeof(Elf64_auxv_t)) {
    AuxvEntry entry;
    std::memcpy(&entry.type, auxv.data() + at, 8);
    std::memcpy(&entry.value, auxv.data() + at + 8, 8);
    if (entry.type == AT_NULL) break;
    entries.push_back(entry);
  }
  return entries;
}

std::optional<std::uint64_t> auxv_value(std::span<const std::uint8_t> auxv, std::uint64_t type) {
  for (const AuxvEntry& entry : parse_auxv(auxv))
    if (entry.type == type) return entry.value;
  return std::nullopt;
}

} // namespace xolstub::threads
