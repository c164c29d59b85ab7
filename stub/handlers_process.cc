// Ending the debugging of a process: k, vKill, D.
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
  session.server().kill_process();  // GDB does not wait for a reply to `k`
  leave_if_single_process(session);
}

void handle_vkill(Session& session, std::string_view) {
  session.server().kill_process();
  session.reply_ok();
  leave_if_single_process(session);
}

void handle_detach(Session& session, std::string_view) {
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) return session.reply_error(1, "no process to detach from");
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
