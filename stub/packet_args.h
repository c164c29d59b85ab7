// Small parsers for the fields packets carry ("addr,length", "addr,kind", signal numbers).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace xolstub::stub {

struct AddressLength {
  std::uint64_t address;
  std::uint64_t length;
};

// "1000,4" -> {0x1000, 4}; nullopt on anything else.
std::optional<AddressLength> parse_address_length(std::string_view text);
// Splits on a delimiter, keeping empty fields.
std::vector<std::string_view> split(std::string_view text, char delimiter);
// Text sent as hex (vRun arguments, paths, names); throws naming WHAT when it is not hex.
std::string decode_hex_text(std::string_view hex, const char* what);
// What follows the first ':' of "Name:value" (empty when there is none).
std::string_view after_colon(std::string_view packet);
// A whole hex number, or an exception with a message naming the field (caught by the session
// and answered with E01).
std::uint64_t require_hex(std::string_view text, const char* what);

} // namespace xolstub::stub
