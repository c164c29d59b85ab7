// Binary data inside packets (X, vFile:pwrite, qXfer and vFile:pread replies) escapes the bytes
// that mean something to the framing: '$', '#', '}' and '*' travel as '}' followed by byte^0x20.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::rsp {

std::string escape_binary(std::span<const std::uint8_t> bytes);
std::string escape_binary(std::string_view bytes);
// nullopt when the data ends in a lone '}'.
std::optional<std::vector<std::uint8_t>> unescape_binary(std::string_view escaped);

} // namespace xolstub::rsp
