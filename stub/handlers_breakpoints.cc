// Software breakpoints: Z0 and z0 become references on refcounted int3 sites, owned by the
// session that set them.
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

void handle_breakpoint(Session& session, std::string_view packet) {
  bool insert = packet[0] == 'Z';
  // Z TYPE,ADDR,KIND[;cond...][;cmds...]
  std::string_view body = packet.substr(1);
  auto fields = split(body.substr(0, body.find(';')), ',');
  if (fields.size() != 3) return session.reply_error(1, "malformed breakpoint packet " + std::string(packet));
  if (fields[0] != "0") return session.reply("");  // hardware breakpoints and watchpoints: not yet
  std::uint64_t address = require_hex(fields[1], "breakpoint address");
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) return session.reply_error(1, "no process to set a breakpoint in");
  if (insert) {
    try {
      target->sites().insert(address, session.id());
    } catch (const breakpoints::BreakpointError& error) {
      return session.reply_error(1, error.what());
    }
  } else {
    target->sites().remove(address, session.id());  // removing what is not there is not an error
  }
  session.reply_ok();
}

} // namespace

void register_breakpoint_handlers(Dispatcher& dispatcher) {
  dispatcher.add("Z", handle_breakpoint);
  dispatcher.add("z", handle_breakpoint);
  dispatcher.add_feature("swbreak+");
}

} // namespace xolstub::stub
