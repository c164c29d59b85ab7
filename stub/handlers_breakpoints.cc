// Breakpoints and watchpoints: Z0/z0 become references on refcounted int3 sites (with the
// owner's target-side conditions and commands, agent bytecode), Z1 (hbreak),
// Z2 (watch) and Z4 (awatch) points in the debug registers, all owned by the session that set
// them. Z3 (rwatch) gets the empty reply, as from gdbserver: x86 cannot watch reads alone.
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/debug_log.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

void handle_hardware_point(Session& session, Debuggee& target, bool insert, char type, std::uint64_t address,
                           std::uint64_t length) {
  using threads::HardwareKind;
  HardwareKind kind = type == '1' ? HardwareKind::execute : type == '2' ? HardwareKind::write : HardwareKind::access;
  // Z1's KIND is the breakpoint's size in bytes to GDB; the debug register watches one address.
  threads::HardwarePoint point{kind, address, kind == HardwareKind::execute ? 1 : length};
  try {
    if (insert)
      target.hardware_points().insert(point, session.id());
    else
      target.hardware_points().remove(point, session.id());
  } catch (const std::exception& error) {
    return session.reply_error(1, error.what());
  }
  session.reply_ok();
}

void handle_breakpoint(Session& session, std::string_view packet) {
  bool insert = packet[0] == 'Z';
  // Z TYPE,ADDR,KIND[;cond...][;cmds...]
  std::string_view body = packet.substr(1);
  auto fields = split(body.substr(0, body.find(';')), ',');
  if (fields.size() != 3) return session.reply_error(1, "malformed breakpoint packet " + std::string(packet));
  std::uint64_t address = require_hex(fields[1], "breakpoint address");
  Debuggee* target = session.debuggee();
  if (fields[0] == "1" || fields[0] == "2" || fields[0] == "4") {
    if (!target || target->gone()) return session.reply_error(1, "no process to set a hardware point in");
    return handle_hardware_point(session, *target, insert, fields[0][0], address,
                                 require_hex(fields[2], "hardware point length"));
  }
  if (fields[0] != "0") {
    debug_packet("   breakpoint type " + std::string(fields[0]) + " is not supported, empty reply");
    return session.reply("");
  }
  if (!target || target->gone()) return session.reply_error(1, "no process to set a breakpoint in");
  if (insert) {
    session.server().settle_vfork_parent(*target);
    // `;X len,bytecode...` conditions and `;cmds:persist,X len,bytecode...` commands, run by
    // the stub at each hit (breakpoints/breakpoint_conditions.h).
    auto options = breakpoints::parse_point_options(body.substr(std::min(body.find(';'), body.size())));
    if (!options.ok) return session.reply_error(1, "breakpoint conditions or commands: " + options.error);
    try {
      target->sites().insert(address, session.id(), std::move(options.options));
    } catch (const breakpoints::BreakpointError& error) {
      return session.reply_error(1, error.what());
    }
  } else {
    try {
      target->sites().remove(address, session.id());  // removing what is not there is not an error
    } catch (const breakpoints::BreakpointError& error) {
      return session.reply_error(1, error.what());
    }
    // Non-stop: threads are running, and GDB steps over breakpoints itself (displaced stepping
    // or with every thread stopped), never by lifting one for a moment. The int3 goes at once;
    // a trap of it still on its way is rewound silently.
    if (target->inferior().non_stop()) target->sites().purge_retired({});
  }
  session.reply_ok();
}

} // namespace

void register_breakpoint_handlers(Dispatcher& dispatcher) {
  dispatcher.add("Z", handle_breakpoint);
  dispatcher.add("z", handle_breakpoint);
  dispatcher.add_feature("swbreak+");
  dispatcher.add_feature("hwbreak+");
  dispatcher.add_feature("ConditionalBreakpoints+");
  dispatcher.add_feature("BreakpointCommands+");
}

} // namespace xolstub::stub
