// Negotiation and thread queries: qSupported, QStartNoAckMode, ?, H, T, qC, qAttached,
// qfThreadInfo/qsThreadInfo, qSymbol, QPassSignals, QProgramSignals.
#include <algorithm>

#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

void handle_qsupported(Session& session, std::string_view packet) {
  auto colon = packet.find(':');
  std::string_view offered = colon == std::string_view::npos ? std::string_view() : packet.substr(colon + 1);
  ClientFeatures& client = session.client;
  for (auto feature : split(offered, ';')) {
    if (feature == "multiprocess+") client.multiprocess = true;
    if (feature == "swbreak+") client.swbreak = true;
    if (feature == "hwbreak+") client.hwbreak = true;
    if (feature == "vContSupported+") client.vcont_supported = true;
    if (feature == "no-resumed+") client.no_resumed = true;
    if (feature == "exec-events+") client.exec_events = true;
    if (feature == "fork-events+") client.fork_events = true;
    if (feature == "vfork-events+") client.vfork_events = true;
  }
  session.server().update_thread_events();
  std::string reply = "PacketSize=" + rsp::hex_number(Session::packet_size);
  for (const auto& feature : session.server().dispatcher().features()) reply += ";" + feature;
  session.reply(reply);
}

void handle_start_no_ack(Session& session, std::string_view) {
  session.reply_ok();  // acknowledged with '+' like every packet; no acks from the next one on
  session.no_ack = true;
}

Debuggee& require_process(Session& session) {
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) throw std::runtime_error("no process is being debugged");
  return *target;
}

void handle_last_stop(Session& session, std::string_view) {
  Debuggee* target = session.debuggee();
  if (!target || !session.joined) {
    // --multi before `run`, or before this client attached to the process another debugs.
    session.reply(session.non_stop ? "OK" : "W00");
    return;
  }
  if (session.server().report_status(session)) return;
  // Non-stop: one stop per stopped thread, the first as the reply, the rest through vStopped.
  if (session.non_stop) return session.restart_stop_queue(target->stopped_threads());
  session.reply_stop(target->last_stop());
}

bool thread_exists(Session& session, const ThreadId& id) {
  Debuggee* target = session.server().process(id.pid);
  if (!target || target->gone()) return false;
  if (id.tid == ThreadId::all || id.tid == ThreadId::any) return true;
  const threads::Thread* thread = target->inferior().find_thread(id.tid);
  return thread && !thread->zombie;
}

void handle_set_thread(Session& session, std::string_view packet) {
  if (packet.size() < 2) return session.reply_error(1, "H needs g or c and a thread id");
  auto id = parse_thread_id(packet.substr(2));
  if (!id) return session.reply_error(1, "malformed thread id in " + std::string(packet));
  if (!thread_exists(session, *id)) return session.reply_error(1, "no such thread: " + std::string(packet.substr(2)));
  if (packet[1] == 'g')
    session.general_thread = *id;
  else if (packet[1] == 'c')
    session.continue_thread = *id;
  else
    return session.reply_error(1, "H must be followed by g or c");
  session.reply_ok();
}

void handle_thread_alive(Session& session, std::string_view packet) {
  auto id = parse_thread_id(packet.substr(1));
  if (id && id->tid > 0 && thread_exists(session, *id))
    session.reply_ok();
  else
    session.reply_error(1, "thread is not alive: " + std::string(packet.substr(1)));
}

void handle_current_thread(Session& session, std::string_view) {
  Debuggee& target = require_process(session);
  session.reply("QC" + format_thread_id(target.pid(), session.selected_thread(), session.client.multiprocess));
}

void handle_attached(Session& session, std::string_view) {
  Debuggee* target = session.debuggee();
  session.reply(target && target->inferior().was_attached() ? "1" : "0");
}

// The thread list goes out in pieces that fit a packet: first with qfThreadInfo, the rest
// with qsThreadInfo.
void send_thread_list_piece(Session& session) {
  if (session.thread_list.empty()) return session.reply("l");
  std::string reply = "m";
  while (!session.thread_list.empty() && reply.size() + session.thread_list.front().size() < Session::packet_size / 2) {
    reply += (reply.size() > 1 ? "," : "") + session.thread_list.front();
    session.thread_list.erase(session.thread_list.begin());
  }
  session.reply(reply);
}

void handle_first_thread_info(Session& session, std::string_view) {
  session.thread_list.clear();
  for (Debuggee* target : session.server().processes())
    for (const auto& [tid, thread] : target->inferior().threads())
      if (!thread.zombie) session.thread_list.push_back(format_thread_id(target->pid(), tid, session.client.multiprocess));
  send_thread_list_piece(session);
}

void handle_next_thread_info(Session& session, std::string_view) { send_thread_list_piece(session); }

// QPassSignals:0e;14;... and QProgramSignals: wire numbers, hex, separated by ';'.
std::set<int> parse_signal_list(const Session& session, std::string_view packet) {
  std::set<int> signals;
  auto colon = packet.find(':');
  if (colon == std::string_view::npos) return signals;
  for (auto field : split(packet.substr(colon + 1), ';')) {
    if (field.empty()) continue;
    if (int host = session.from_wire_signal(static_cast<int>(require_hex(field, "signal number")))) signals.insert(host);
  }
  return signals;
}

void handle_pass_signals(Session& session, std::string_view packet) {
  session.pass_signals = parse_signal_list(session, packet);
  session.server().update_pass_signals(session);
  session.reply_ok();
}

void handle_program_signals(Session& session, std::string_view packet) {
  // Which signals the client would pass on. It matters only when the stub resumes a thread on
  // its own (the XOL step-overs); until then every signal goes through the client, which
  // resumes with or without it, so the list is validated and acknowledged.
  parse_signal_list(session, packet);
  session.reply_ok();
}

// QCatchSyscalls:0, or QCatchSyscalls:1[;SYSNO]... (hex; none listed: every system call).
void handle_catch_syscalls(Session& session, std::string_view packet) {
  std::string_view body = after_colon(packet);
  if (body == "0") {
    session.catch_syscalls.reset();
  } else if (body.starts_with("1")) {
    std::set<long> numbers;
    for (auto field : split(body.substr(1), ';'))
      if (!field.empty()) numbers.insert(static_cast<long>(require_hex(field, "system call number")));
    session.catch_syscalls = std::move(numbers);
  } else {
    return session.reply_error(1, "malformed QCatchSyscalls: want 0, or 1 and the system call numbers");
  }
  session.server().update_catch_syscalls();
  session.reply_ok();
}

} // namespace

void register_query_handlers(Dispatcher& dispatcher) {
  dispatcher.add("qSupported", handle_qsupported);
  dispatcher.add("QStartNoAckMode", handle_start_no_ack, {"QStartNoAckMode+"});
  dispatcher.add_feature("multiprocess+");
  dispatcher.add_feature("exec-events+");
  dispatcher.add_feature("fork-events+");
  dispatcher.add_feature("vfork-events+");
  dispatcher.add("?", handle_last_stop);
  dispatcher.add("H", handle_set_thread);
  dispatcher.add("T", handle_thread_alive);
  dispatcher.add("qC", handle_current_thread);
  dispatcher.add("qAttached", handle_attached);
  dispatcher.add("qfThreadInfo", handle_first_thread_info);
  dispatcher.add("qsThreadInfo", handle_next_thread_info);
  dispatcher.add("qSymbol", [](Session& session, std::string_view) { session.reply_ok(); });
  dispatcher.add("QPassSignals", handle_pass_signals, {"QPassSignals+"});
  dispatcher.add("QProgramSignals", handle_program_signals, {"QProgramSignals+"});
  dispatcher.add("QCatchSyscalls", handle_catch_syscalls, {"QCatchSyscalls+"});
}

} // namespace xolstub::stub
