// Read-only access to some address space, as a function: the TLS and symbol code below reads
// the inferior's memory through it, and the unit tests hand it a fake memory or the test's own
// process instead of a traced child.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace xolstub::threads {

class ProcessMemory;

// Reads up to out.size() bytes at `address`; returns how many were readable (0 when unmapped).
using MemoryReader = std::function<std::size_t(std::uint64_t address, std::span<std::uint8_t> out)>;

MemoryReader reader_for(const ProcessMemory& memory);

// A little-endian unsigned value of `size` bytes (1, 2, 4 or 8). Throws std::runtime_error
// "cannot read WHAT at 0x..." when the bytes are not all readable.
std::uint64_t read_unsigned(const MemoryReader& read, std::uint64_t address, std::size_t size, const std::string& what);

// "0x7f12..." for messages.
std::string hex_address(std::uint64_t value);

} // namespace xolstub::threads
