// Hex encoding used everywhere in RSP: memory and registers travel as pairs of hex digits,
// numbers as big-endian hex without a prefix.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::rsp {

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::string_view text);
// Bytes from pairs of hex digits; nullopt on odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);
// A number such as "7ffe12a0"; nullopt when empty, not hex, or wider than 64 bits.
std::optional<std::uint64_t> parse_hex_number(std::string_view hex);
// A number written as GDB writes it: lowercase hex, no leading zeros.
std::string hex_number(std::uint64_t value);
// A signed decimal or hex number GDB sends in thread ids ("-1" means all, "0" any).
std::optional<std::int64_t> parse_signed_hex(std::string_view text);
// A little-endian value as GDB shows a register: `size` bytes, low byte first.
std::string hex_le(std::uint64_t value, std::size_t size);

} // namespace xolstub::rsp
