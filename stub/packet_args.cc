#include "stub/packet_args.h"

#include <stdexcept>
#include <string>

#include "rsp/hex.h"

namespace xolstub::stub {

std::optional<AddressLength> parse_address_length(std::string_view text) {
  auto comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto address = rsp::parse_hex_number(text.substr(0, comma));
  auto length = rsp::parse_hex_number(text.substr(comma + 1));
  if (!address || !length) return std::nullopt;
  return AddressLength{*address, *length};
}

std::vector<std::string_view> split(std::string_view text, char delimiter) {
  std::vector<std::string_view> fields;
  for (;;) {
    auto end = text.find(delimiter);
    fields.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return fields;
    text.remove_prefix(end + 1);
  }
}

std::uint64_t require_hex(std::string_view text, const char* what) {
  if (auto value = rsp::parse_hex_number(text)) return *value;
  throw std::invalid_argument(std::string("malformed ") + what + ": \"" + std::string(text) + "\"");
}

std::string_view after_colon(std::string_view packet) {
  auto colon = packet.find(':');
  return colon == std::string_view::npos ? std::string_view() : packet.substr(colon + 1);
}

std::string decode_hex_text(std::string_view hex, const char* what) {
  auto bytes = rsp::from_hex(hex);
  if (!bytes) throw std::invalid_argument(std::string("malformed ") + what + ": not hex: \"" + std::string(hex) + "\"");
  return std::string(bytes->begin(), bytes->end());
}

} // namespace xolstub::stub
