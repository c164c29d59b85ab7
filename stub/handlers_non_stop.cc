// Non-stop mode: QNonStop, QThreadEvents and vStopped. Stops reach a non-stop client as
// `%Stop` notifications (Session::notify_stop); `?`, vCont;t and vCtrlC have their non-stop
// meanings in their own families.
#include "stub/handlers.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

// QNonStop:1 / QNonStop:0 and QThreadEvents:1 / :0.
std::optional<bool> parse_switch(std::string_view packet) {
  auto colon = packet.find(':');
  std::string_view value = colon == std::string_view::npos ? std::string_view() : packet.substr(colon + 1);
  if (value == "1") return true;
  if (value == "0") return false;
  return std::nullopt;
}

void handle_non_stop(Session& session, std::string_view packet) {
  auto on = parse_switch(packet);
  if (!on) return session.reply_error(1, "unknown non-stop mode requested: " + std::string(packet));
  session.server().set_non_stop(session, *on);
  session.reply_ok();
}

void handle_thread_events(Session& session, std::string_view packet) {
  auto on = parse_switch(packet);
  if (!on) return session.reply("E.Unknown thread-events mode requested: " + std::string(packet));
  session.thread_events = *on;
  session.server().update_thread_events();
  session.reply_ok();
}

void handle_stopped(Session& session, std::string_view) { session.acknowledge_stop(); }

} // namespace

void register_non_stop_handlers(Dispatcher& dispatcher) {
  dispatcher.add("QNonStop", handle_non_stop, {"QNonStop+"});
  dispatcher.add("QThreadEvents", handle_thread_events, {"QThreadEvents+"});
  dispatcher.add("vStopped", handle_stopped);
}

} // namespace xolstub::stub
