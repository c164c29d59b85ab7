#include "rsp/escape.h"

namespace xolstub::rsp {

std::string escape_binary(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 16);
  for (std::uint8_t b : bytes) {
    if (b == '$' || b == '#' || b == '}' || b == '*') {
      out.push_back('}');
      out.push_back(static_cast<char>(b ^ 0x20));
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  return out;
}

std::string escape_binary(std::string_view bytes) {
  return escape_binary(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::optional<std::vector<std::uint8_t>> unescape_binary(std::string_view escaped) {
  std::vector<std::uint8_t> out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    auto c = static_cast<std::uint8_t>(escaped[i]);
    if (c == '}') {
      if (++i == escaped.size()) return std::nullopt;
      c = static_cast<std::uint8_t>(escaped[i]) ^ 0x20;
    }
    out.push_back(c);
  }
  return out;
}

} // namespace xolstub::rsp
