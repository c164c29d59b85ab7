// Registers of the selected thread: g, G, p, P.
#include <cerrno>

#include "rsp/hex.h"
#include "stub/debug_log.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/session.h"
#include "threads/ptrace_ops.h"

namespace xolstub::stub {
namespace {

threads::RegisterFile& selected_registers(Session& session) {
  Debuggee* target = session.debuggee();
  threads::Thread* thread = target && !target->gone() ? target->inferior().find_thread(session.selected_thread()) : nullptr;
  if (!thread) throw std::runtime_error("no thread selected, or it has exited");
  if (thread->state != threads::Thread::State::stopped) throw std::runtime_error("the selected thread is running");
  return thread->registers();
}

// A process killed while stopped (SIGKILL from outside) has no registers to read any more. They
// are unavailable ('x'), not an error, so the client can still resume and hear how it ended.
void reply_unavailable_registers(Session& session, const std::string& why) {
  debug_packet("   g: " + why + "; registers unavailable");
  session.reply(std::string(2 * threads::RegisterLayout::host().g_packet_size(), 'x'));
}

void handle_read_all(Session& session, std::string_view) {
  Debuggee* target = session.debuggee();
  if (target && target->gone()) return reply_unavailable_registers(session, "the process is gone");
  auto& registers = selected_registers(session);
  try {
    session.reply(rsp::to_hex(registers.read_all()));
  } catch (const threads::PtraceError& error) {
    if (error.error() != ESRCH) throw;
    reply_unavailable_registers(session, error.what());
  }
}

void handle_write_all(Session& session, std::string_view packet) {
  auto bytes = rsp::from_hex(packet.substr(1));
  if (!bytes) return session.reply_error(1, "G: register data is not hex");
  selected_registers(session).write_all(*bytes);
  session.reply_ok();
}

void handle_read_one(Session& session, std::string_view packet) {
  auto regno = static_cast<unsigned>(require_hex(packet.substr(1), "register number"));
  auto& registers = selected_registers(session);
  try {
    session.reply(rsp::to_hex(registers.read(regno)));
  } catch (const std::out_of_range&) {
    session.reply_error(0x45, "p: no register number " + std::to_string(regno));
  }
}

void handle_write_one(Session& session, std::string_view packet) {
  auto equals = packet.find('=');
  if (equals == std::string_view::npos) return session.reply_error(1, "P needs REGNO=VALUE");
  auto regno = static_cast<unsigned>(require_hex(packet.substr(1, equals - 1), "register number"));
  auto bytes = rsp::from_hex(packet.substr(equals + 1));
  if (!bytes) return session.reply_error(1, "P: value is not hex");
  auto& registers = selected_registers(session);
  try {
    registers.write(regno, *bytes);
  } catch (const std::out_of_range&) {
    return session.reply_error(0x45, "P: no register number " + std::to_string(regno));
  }
  session.reply_ok();
}

} // namespace

void register_register_handlers(Dispatcher& dispatcher) {
  dispatcher.add("g", handle_read_all);
  dispatcher.add("G", handle_write_all);
  dispatcher.add("p", handle_read_one);
  dispatcher.add("P", handle_write_one);
}

} // namespace xolstub::stub
