// `monitor` commands (qRcmd): what GDB's testsuite and gdbserver users rely on.
#include "rsp/hex.h"
#include "stub/debug_log.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

constexpr const char* help_text =
    "The following monitor commands are supported:\n"
    "  set debug <0|1>\n"
    "    Enable general debugging messages (ptrace events and stops)\n"
    "  set remote-debug <0|1>\n"
    "    Enable remote protocol debugging messages (every packet)\n"
    "  set debug-format all|none\n"
    "    Accepted for gdbserver compatibility\n"
    "  set libthread-db-search-path PATH\n"
    "    Accepted for gdbserver compatibility (threads are found without libthread_db)\n"
    "  xol\n"
    "    Show how threads got past breakpoints out of line: counts per strategy, areas, slots\n"
    "  help\n"
    "    Print this message\n"
    "  exit\n"
    "    Quit GDBserver\n";

void output(Session& session, const std::string& text) { session.reply("O" + rsp::to_hex(text)); }

void handle_monitor(Session& session, std::string_view packet) {
  auto comma = packet.find(',');
  auto bytes = rsp::from_hex(comma == std::string_view::npos ? std::string_view() : packet.substr(comma + 1));
  if (!bytes) return session.reply_error(1, "qRcmd: command is not hex");
  std::string command(bytes->begin(), bytes->end());

  if (command == "help") {
    output(session, help_text);
  } else if (command == "exit") {
    session.reply_ok();
    session.server().request_exit();
    return;
  } else if (command == "set debug 1" || command == "set debug 0") {
    set_event_debugging(command.back() == '1');
    output(session, debug_settings().events ? "Debug output enabled.\n" : "Debug output disabled.\n");
  } else if (command == "set remote-debug 1" || command == "set remote-debug 0") {
    debug_settings().packets = command.back() == '1';
    output(session, debug_settings().packets ? "Protocol debug output enabled.\n" : "Protocol debug output disabled.\n");
  } else if (command == "set debug-format all" || command == "set debug-format none") {
    output(session, command.ends_with("all") ? "All extra debug format options enabled.\n"
                                             : "All extra debug format options disabled.\n");
  } else if (command == "xol") {
    Debuggee* target = session.debuggee();
    if (!target || target->gone()) return session.reply_error(1, "monitor xol: no process is being debugged");
    output(session, target->xol().report());
  } else if (command.starts_with("set libthread-db-search-path")) {
    std::string path = command.size() > 29 ? command.substr(29) : "";
    output(session, "libthread-db-search-path set to `" + path + "'\n");
  } else {
    output(session, "Unknown monitor command.\n\n");
    return session.reply_error(1, "unknown monitor command: " + command);
  }
  session.reply_ok();
}

} // namespace

void register_monitor_handlers(Dispatcher& dispatcher) { dispatcher.add("qRcmd", handle_monitor); }

} // namespace xolstub::stub
