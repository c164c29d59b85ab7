#include "threads/memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xolstub::threads {

ProcessMemory::ProcessMemory(pid_t pid) : pid_(pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/mem";
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
}

ProcessMemory::~ProcessMemory() { ::close(fd_); }

std::size_t ProcessMemory::read(std::uint64_t address, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread64(fd_, out.data() + done, out.size() - done, static_cast<off64_t>(address + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // A read that crosses into an unmapped page fails as a whole: retry up to the page end
      // so the caller gets every readable byte.
      std::uint64_t page_end = ((address + done) | 0xfff) + 1;
      std::size_t to_page_end = static_cast<std::size_t>(page_end - (address + done));
      if (to_page_end >= out.size() - done) break;
      ssize_t m = ::pread64(fd_, out.data() + done, to_page_end, static_cast<off64_t>(address + done));
      if (m <= 0) break;
      done += static_cast<std::size_t>(m);
    }
  }
  return done;
}

std::size_t ProcessMemory::write(std::uint64_t address, std::span<const std::uint8_t> bytes) const {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite64(fd_, bytes.data() + done, bytes.size() - done, static_cast<off64_t>(address + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      std::uint64_t page_end = ((address + done) | 0xfff) + 1;
      std::size_t to_page_end = static_cast<std::size_t>(page_end - (address + done));
      if (to_page_end >= bytes.size() - done) break;
      ssize_t m = ::pwrite64(fd_, bytes.data() + done, to_page_end, static_cast<off64_t>(address + done));
      if (m <= 0) break;
      done += static_cast<std::size_t>(m);
    }
  }
  return done;
}

std::vector<std::uint8_t> ProcessMemory::read_vector(std::uint64_t address, std::size_t size) const {
  std::vector<std::uint8_t> out(size);
  out.resize(read(address, out));
  return out;
}

void ProcessMemory::throw_unreadable(std::uint64_t address, std::size_t size) {
  throw std::runtime_error("cannot read " + std::to_string(size) + " bytes at 0x" +
                           [&] { char b[32]; std::snprintf(b, sizeof b, "%llx", (unsigned long long)address); return std::string(b); }());
}

} // namespace xolstub::threads
