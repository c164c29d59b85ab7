// Ending the debugging of a process: k, vKill, D.
#include <csignal>

#include "rsp/hex.h"
#include "stub/debug_log.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

// Without --multi there is nothing left to serve once the process is gone.
void leave_if_single_process(Session& session) {
  if (!session.server().options().multi) {
    session.finish();
    session.server().request_exit();
  }
}

void handle_kill(Session& session, std::string_view) {
  session.server().kill_process(&session);
  // GDB does not wait for a reply to `k`; LLDB waits for the exit it caused.
  if (session.client.lldb) session.reply("X" + rsp::hex_le(static_cast<std::uint64_t>(session.to_wire_signal(SIGKILL)), 1));
  leave_if_single_process(session);
}

void handle_vkill(Session& session, std::string_view packet) {
  // vKill;PID of one of several processes (fork children kept): the others stay.
  if (auto semicolon = packet.find(';'); semicolon != std::string_view::npos)
    if (auto pid = rsp::parse_hex_number(packet.substr(semicolon + 1)))
      if (session.server().kill_one_of_several(static_cast<pid_t>(*pid))) return session.reply_ok();
  session.server().kill_process(&session);
  session.reply_ok();
  leave_if_single_process(session);
}

void handle_detach(Session& session, std::string_view packet) {
  // D;PID: the child of a reported fork (follow-fork-mode parent), or the parent while a child
  // remains (follow-fork-mode child): the session goes on with what is left.
  if (packet.size() > 2 && packet[1] == ';') {
    auto pid = rsp::parse_hex_number(packet.substr(2));
    if (!pid) return session.reply_error(1, "malformed process id in " + std::string(packet));
    if (session.server().detach_fork_child(static_cast<pid_t>(*pid))) return session.reply_ok();
    Debuggee* named = session.server().process(static_cast<pid_t>(*pid));
    if (!named) return session.reply_error(1, "process " + std::to_string(*pid) + " is not being debugged");
  }
  Debuggee* target = session.debuggee();
  if (!target) return session.reply_error(1, "no process to detach from");
  // A process that died while stopped (killed from outside) has nothing left to let go of:
  // the detach succeeds, as with gdbserver, and the client forgets it.
  if (target->gone()) debug_packet("   detach: the process is already gone");
  // Other clients still debug it: only this one lets go (its breakpoints and holds).
  if (session.server().leave_process(session)) return session.reply_ok();
  session.server().detach_process();
  session.reply_ok();
  leave_if_single_process(session);
}

} // namespace

void register_process_handlers(Dispatcher& dispatcher) {
  dispatcher.add("k", handle_kill);
  dispatcher.add("vKill", handle_vkill);
  dispatcher.add("D", handle_detach);
}

} // namespace xolstub::stub
