// Resuming: vCont (c C s S t r), the older c C s S, and vCtrlC. The stop reply is sent when the
// target stops, through Session::on_stop.
#include <csignal>

#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

using threads::ResumeRequest;

int parse_signal(const Session& session, std::string_view hex) {
  return session.from_wire_signal(static_cast<int>(require_hex(hex, "signal number")));
}

// A resume address ("c ADDR") moves the thread's PC first.
void set_resume_address(Session& session, pid_t tid, std::string_view address) {
  if (address.empty()) return;
  Debuggee* target = session.debuggee();
  if (threads::Thread* thread = target ? target->inferior().find_thread(tid) : nullptr)
    thread->registers().set_pc(require_hex(address, "resume address"));
}

// c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]: the thread chosen with Hc, or all of them.
void handle_legacy_resume(Session& session, std::string_view packet) {
  bool step = packet[0] == 's' || packet[0] == 'S';
  bool with_signal = packet[0] == 'C' || packet[0] == 'S';
  std::string_view rest = packet.substr(1);
  int signal = 0;
  if (with_signal) {
    auto semicolon = rest.find(';');
    signal = parse_signal(session, rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
  }
  pid_t chosen = session.continue_thread.tid > 0 ? session.continue_thread.tid : session.selected_thread();
  set_resume_address(session, chosen, rest);
  std::vector<ResumeRequest> requests;
  if (step) {
    // Stepping one thread leaves the others stopped, as gdbserver does for `s`.
    requests.push_back({chosen, true, signal});
  } else {
    requests.push_back({chosen, false, signal});
    if (session.continue_thread.tid <= 0) requests.push_back({ResumeRequest::all_threads, false, 0});
  }
  session.server().resume(session, requests);
}

void handle_vcont_query(Session& session, std::string_view) { session.reply("vCont;c;C;s;S;t;r"); }

// vCont;ACTION[:THREAD];... — the leftmost action that names a thread applies to it.
void handle_vcont(Session& session, std::string_view packet) {
  std::vector<ResumeRequest> requests;
  std::vector<pid_t> stops;
  bool only_stops = true;
  for (auto action : split(packet.substr(std::string_view("vCont;").size()), ';')) {
    if (action.empty()) return session.reply_error(1, "vCont: empty action");
    auto colon = action.find(':');
    std::string_view verb = action.substr(0, colon);
    ResumeRequest request;
    if (colon != std::string_view::npos) {
      auto id = parse_thread_id(action.substr(colon + 1));
      if (!id) return session.reply_error(1, "vCont: malformed thread id " + std::string(action));
      request.tid = id->tid <= 0 ? ResumeRequest::all_threads : id->tid;
      request.process = id->pid;
    }
    switch (verb.front()) {
    case 'c': break;
    case 's': request.step = true; break;
    case 'C': request.signal = parse_signal(session, verb.substr(1)); break;
    case 'S': request.step = true; request.signal = parse_signal(session, verb.substr(1)); break;
    case 'r': {
      auto range = parse_address_length(verb.substr(1));  // "rSTART,END"
      if (!range) return session.reply_error(1, "vCont: malformed range " + std::string(verb));
      request.step = true;
      request.range_start = range->address;
      request.range_end = range->length;
      break;
    }
    case 't':
      // All-stop: a thread is stopped whenever the client may talk; it stays as it is.
      // Non-stop: it stops, and its stop is notified.
      stops.push_back(request.tid);
      continue;
    default:
      return session.reply_error(1, "vCont: unsupported action " + std::string(verb));
    }
    only_stops = false;
    requests.push_back(request);
  }
  if (only_stops) session.reply_ok();
  if (session.non_stop)
    for (pid_t tid : stops) session.server().stop_threads(session, tid);
  if (!only_stops) session.server().resume(session, requests);
}

// All-stop: like 0x03. Non-stop: one running thread stops with SIGINT, notified later.
void handle_ctrl_c(Session& session, std::string_view) {
  session.reply_ok();
  session.server().interrupt(session);
}

} // namespace

void register_resume_handlers(Dispatcher& dispatcher) {
  for (const char* name : {"c", "C", "s", "S"}) dispatcher.add(name, handle_legacy_resume);
  dispatcher.add("vCont?", handle_vcont_query);
  dispatcher.add("vCont", handle_vcont, {"vContSupported+"});
  dispatcher.add("vCtrlC", handle_ctrl_c);
}

} // namespace xolstub::stub
