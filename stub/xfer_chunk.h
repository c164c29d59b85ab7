// qXfer objects travel in pieces: GDB asks for `length` bytes at `offset` and the stub answers
// `m<data>` (more follows), `l<data>` (this is the last piece) or a bare `l` (past the end).
// The data is binary-escaped, so an escaped reply can be up to twice `length` characters.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace xolstub::stub {

// The reply for reading `length` bytes of `whole_object` at `offset`. `length` counts bytes of
// the object, not of the escaped reply. When `max_reply_size` is non-zero the reply also stays
// within that many characters (fewer bytes are sent, with `m`, so GDB asks for the rest), for
// clients whose buffers cannot take a fully escaped piece.
std::string xfer_reply(std::string_view whole_object, std::uint64_t offset, std::uint64_t length,
                       std::size_t max_reply_size = 0);

// How many leading bytes of `data` fit in `budget` characters once binary-escaped.
std::size_t escaped_prefix_that_fits(std::span<const std::uint8_t> data, std::size_t budget);

} // namespace xolstub::stub
