// LLDB's thread and stop packets (docs/lldb.md): QThreadSuffixSupported,
// QListThreadsInStopReply, QEnableErrorStrings, jThreadsInfo, qThreadStopInfo. LLDB probes
// for each (none is in qSupported); answering the first two is what puts a session in LLDB's
// dialect (ClientFeatures::lldb).
#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/lldb_stop_info.h"
#include "stub/server.h"
#include "stub/session.h"
#include "stub/stop_reply.h"

namespace xolstub::stub {
namespace {

void handle_thread_suffix(Session& session, std::string_view) {
  session.client.lldb = true;
  session.client.thread_suffix = true;
  session.reply_ok();
}

void handle_threads_in_stop_reply(Session& session, std::string_view) {
  session.client.lldb = true;
  session.client.threads_in_stop_reply = true;
  session.reply_ok();
}

void handle_error_strings(Session& session, std::string_view) {
  session.client.error_strings = true;
  session.reply_ok();
}

void handle_threads_info(Session& session, std::string_view) {
  session.reply(rsp::escape_binary(threads_info_json(session)));
}

// qThreadStopInfoTID: that thread's stop as a T reply (signal 0 when it did not stop for anything).
void handle_thread_stop_info(Session& session, std::string_view packet) {
  auto tid_text = packet.substr(std::string_view("qThreadStopInfo").size());
  auto tid = rsp::parse_hex_number(tid_text);
  if (!tid) return session.reply_error(1, "qThreadStopInfo: malformed thread id \"" + std::string(tid_text) + "\"");
  Debuggee* target = session.debuggee();
  auto* thread = target && !target->gone() ? target->inferior().find_thread(static_cast<pid_t>(*tid)) : nullptr;
  if (!thread || thread->zombie) return session.reply_error(1, "qThreadStopInfo: no thread " + std::string(tid_text));
  auto known = session.thread_stops.find(static_cast<pid_t>(*tid));
  threads::StopReport stop = known != session.thread_stops.end()
                                 ? known->second
                                 : threads::StopReport{threads::StopReport::Reason::interrupted, static_cast<pid_t>(*tid), 0};
  session.reply(format_stop_reply(stop, session));
}

} // namespace

void register_lldb_handlers(Dispatcher& dispatcher) {
  dispatcher.add("QThreadSuffixSupported", handle_thread_suffix);
  dispatcher.add("QListThreadsInStopReply", handle_threads_in_stop_reply);
  dispatcher.add("QEnableErrorStrings", handle_error_strings);
  dispatcher.add("jThreadsInfo", handle_threads_info);
  dispatcher.add_prefixed("qThreadStopInfo", handle_thread_stop_info);
}

} // namespace xolstub::stub
