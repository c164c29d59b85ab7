#include "threads/memory_reader.h"

#include <cstdio>
#include <stdexcept>

#include "threads/memory.h"

namespace xolstub::threads {

MemoryReader reader_for(const ProcessMemory& memory) {
  return [&memory](std::uint64_t address, std::span<std::uint8_t> out) { return memory.read(address, out); };
}

std::uint64_t read_unsigned(const MemoryReader& read, std::uint64_t address, std::size_t size, const std::string& what) {
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw std::runtime_error("cannot read " + what + ": unexpected size of " + std::to_string(size) + " bytes");
  std::uint8_t bytes[8] = {};
  if (read(address, std::span(bytes, size)) != size)
    throw std::runtime_error("cannot read " + what + " at " + hex_address(address));
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = value << 8 | bytes[i];
  return value;
}

std::string hex_address(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

} // namespace xolstub::threads
