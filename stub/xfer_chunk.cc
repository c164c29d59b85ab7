#include "stub/xfer_chunk.h"

#include <algorithm>

#include "rsp/escape.h"

namespace xolstub::stub {
namespace {
bool needs_escape(std::uint8_t b) { return b == '$' || b == '#' || b == '}' || b == '*'; }
} // namespace

std::size_t escaped_prefix_that_fits(std::span<const std::uint8_t> data, std::size_t budget) {
  std::size_t used = 0;
  std::size_t count = 0;
  for (std::uint8_t b : data) {
    std::size_t cost = needs_escape(b) ? 2 : 1;
    if (used + cost > budget) break;
    used += cost;
    ++count;
  }
  return count;
}

std::string xfer_reply(std::string_view whole_object, std::uint64_t offset, std::uint64_t length,
                       std::size_t max_reply_size) {
  if (offset >= whole_object.size()) return "l";
  std::string_view piece = whole_object.substr(offset);
  if (length < piece.size()) piece = piece.substr(0, length);
  if (max_reply_size != 0) {
    // One character goes to the 'm'/'l' marker; always send at least one byte so a tiny
    // limit cannot stall the transfer.
    std::size_t budget = max_reply_size > 1 ? max_reply_size - 1 : 0;
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size());
    std::size_t fits = std::max<std::size_t>(escaped_prefix_that_fits(bytes, budget), 1);
    piece = piece.substr(0, std::min(fits, piece.size()));
  }
  bool last = offset + piece.size() >= whole_object.size();
  return (last ? "l" : "m") + rsp::escape_binary(piece);
}

} // namespace xolstub::stub
