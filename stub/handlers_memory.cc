// Memory: m, M, X. Reads show the program's own bytes under our int3s; writes over a
// breakpoint site update the shadow and keep the int3.
#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

Debuggee& require_process(Session& session) {
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) throw std::runtime_error("no process is being debugged");
  return *target;
}

std::string hex_address(std::uint64_t address) { return "0x" + rsp::hex_number(address); }

void handle_read(Session& session, std::string_view packet) {
  auto request = parse_address_length(packet.substr(1));
  if (!request) return session.reply_error(1, "m needs ADDR,LENGTH in hex: " + std::string(packet));
  // Answer as much as fits in one reply; GDB asks again for the rest.
  std::size_t length = std::min<std::uint64_t>(request->length, (Session::packet_size - 16) / 2);
  std::vector<std::uint8_t> bytes(length);
  Debuggee& target = require_process(session);
  std::size_t count = target.sites().read_memory(request->address, bytes);
  if (count == 0 && length != 0) return session.reply_error(1, "cannot read memory at " + hex_address(request->address));
  bytes.resize(count);
  // A vfork child and its parent share the memory, and each one's int3s are in it.
  for (Debuggee* other : session.server().memory_sharers(target)) other->sites().hide_int3s(request->address, bytes);
  session.reply(rsp::to_hex(bytes));
}

void write_bytes(Session& session, std::uint64_t address, const std::vector<std::uint8_t>& bytes) {
  std::size_t count = require_process(session).sites().write_memory(address, bytes);
  if (count != bytes.size())
    return session.reply_error(1, "cannot write memory at " + hex_address(address + count));
  session.reply_ok();
}

void handle_write_hex(Session& session, std::string_view packet) {
  auto colon = packet.find(':');
  auto request = parse_address_length(packet.substr(1, colon == std::string_view::npos ? colon : colon - 1));
  if (!request || colon == std::string_view::npos) return session.reply_error(1, "M needs ADDR,LENGTH:DATA");
  auto bytes = rsp::from_hex(packet.substr(colon + 1));
  if (!bytes || bytes->size() != request->length) return session.reply_error(1, "M: data does not match the length");
  write_bytes(session, request->address, *bytes);
}

void handle_write_binary(Session& session, std::string_view packet) {
  auto colon = packet.find(':');
  auto request = parse_address_length(packet.substr(1, colon == std::string_view::npos ? colon : colon - 1));
  if (!request || colon == std::string_view::npos) return session.reply_error(1, "X needs ADDR,LENGTH:DATA");
  auto bytes = rsp::unescape_binary(packet.substr(colon + 1));
  if (!bytes || bytes->size() != request->length) return session.reply_error(1, "X: data does not match the length");
  write_bytes(session, request->address, *bytes);
}

} // namespace

void register_memory_handlers(Dispatcher& dispatcher) {
  dispatcher.add("m", handle_read);
  dispatcher.add("M", handle_write_hex);
  dispatcher.add("X", handle_write_binary);
}

} // namespace xolstub::stub
