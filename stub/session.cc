#include "stub/session.h"

#include "rsp/hex.h"
#include "stub/debug_log.h"
#include "stub/gdb_signals.h"
#include "stub/lldb_stop_info.h"
#include "stub/server.h"
#include "stub/stop_reply.h"

namespace xolstub::stub {

Session::Session(Server& server, std::unique_ptr<ByteStream> stream, int id)
    : server_(server), stream_(std::move(stream)), id_(id) {}

Session::~Session() = default;

void Session::start() { read_more(); }

// The process of the general thread (a fork child the client looks into), else the one debugged.
Debuggee* Session::debuggee() {
  Debuggee* process = server_.process(general_thread.pid);
  return process ? process : server_.debuggee();
}

void Session::read_more() {
  stream_->async_read([this](std::error_code error, std::string_view bytes) {
    if (error) {
      debug_event("client " + std::to_string(id_) + " disconnected: " + error.message());
      server_.session_ended(*this);  // destroys this session once the handler returns
      return;
    }
    on_bytes(bytes);
    if (!finished_) read_more();
  });
}

void Session::on_bytes(std::string_view bytes) {
  std::vector<rsp::InputEvent> events;
  decoder_.feed(bytes, events);
  for (const auto& event : events) {
    if (finished_) return;
    handle(event);
  }
}

void Session::handle(const rsp::InputEvent& event) {
  using Kind = rsp::InputEvent::Kind;
  switch (event.kind) {
  case Kind::bad_checksum:
    if (!no_ack) {
      debug_packet(tag() + "<- bad checksum, asking for a resend: $" + printable(event.payload));
      send_raw("-");
      return;
    }
    // Without acks there is no way to ask again; act on it as gdbserver does.
    debug_packet(tag() + "<- bad checksum in no-ack mode, accepted: $" + printable(event.payload));
    [[fallthrough]];
  case Kind::packet: {
    if (event.kind == Kind::packet) debug_packet(tag() + "<- $" + printable(event.payload));
    if (!no_ack) send_raw("+");
    if (!refusal_.empty()) return reply("E." + refusal_);
    std::string_view payload = event.payload;
    packet_thread.reset();
    if (client.thread_suffix) payload = take_thread_suffix(payload);
    try {
      if (!server_.dispatcher().dispatch(*this, payload)) {
        debug_packet("   unknown packet, empty reply");
        reply("");
      }
    } catch (const std::exception& error) {
      reply_error(1, error.what());
    }
    packet_thread.reset();
    return;
  }
  case Kind::too_long:
    debug_packet(tag() + "<- packet longer than PacketSize dropped: $" + printable(event.payload) + "...");
    if (!no_ack) send_raw("-");
    return;
  case Kind::ack:
    return;
  case Kind::nak:
    debug_packet(tag() + "<- NAK, resending the last packet");
    if (!last_sent_.empty()) send_raw(last_sent_);
    return;
  case Kind::interrupt:
    debug_packet(tag() + "<- interrupt (0x03)");
    server_.interrupt(*this);
    return;
  case Kind::junk:
    debug_packet(tag() + "<- junk outside a packet ignored: " + printable(event.payload));
    return;
  }
}

void Session::send_raw(std::string bytes) { stream_->write(std::move(bytes)); }

// In --debug output, packets of the second and later clients say whose they are.
std::string Session::tag() const { return id_ > 1 ? "[client " + std::to_string(id_) + "] " : std::string(); }

void Session::reply(std::string_view payload) {
  debug_packet(tag() + "-> $" + printable(payload));
  last_sent_ = rsp::frame_packet(payload);
  send_raw(last_sent_);
}

void Session::reply_error(int code, std::string_view why) {
  debug_packet("   error: " + std::string(why));
  char text[8];
  std::snprintf(text, sizeof text, "E%02x", code & 0xff);
  // LLDB shows the text after `;` when it asked for it (QEnableErrorStrings).
  reply(client.error_strings ? text + (";" + rsp::to_hex(why)) : std::string(text));
}

// `PACKET;thread:TID;` -> PACKET, remembering TID for selected_thread(). A suffix that does not
// parse stays part of the packet, whose handler then says what is wrong with it.
std::string_view Session::take_thread_suffix(std::string_view packet) {
  constexpr std::string_view key = ";thread:";
  if (!packet.ends_with(';')) return packet;
  auto at = packet.rfind(key);
  if (at == std::string_view::npos) return packet;
  auto id = parse_thread_id(packet.substr(at + key.size(), packet.size() - 1 - at - key.size()));
  if (!id || id->tid <= 0) return packet;
  packet_thread = id->tid;
  return packet.substr(0, at);
}

void Session::on_stop(const threads::StopReport& stop) {
  waiting_for_stop = false;
  reply_stop(stop);
}

void Session::reply_stop(const threads::StopReport& stop) {
  if (!non_stop) general_thread = stop.process_gone() ? ThreadId{} : ThreadId{server_.owner_of(stop.tid)->pid(), stop.tid};
  if (client.lldb) record_thread_stops(*this, stop);
  reply(format_stop_reply(stop, *this));
}

void Session::notify_stop(const threads::StopReport& stop) {
  using Reason = threads::StopReport::Reason;
  if ((stop.reason == Reason::thread_created || stop.reason == Reason::thread_exited) && !thread_events) return;
  if (stop.reason == Reason::no_resumed && !client.no_resumed) return;
  stop_queue_.push_back({stop.tid, format_stop_reply(stop, *this)});
  if (stop_queue_.size() > 1) {
    debug_packet("   stop of thread " + std::to_string(stop.tid) + " queued behind " +
                 std::to_string(stop_queue_.size() - 1) + " the client has not pulled yet");
    return;
  }
  std::string payload = "Stop:" + stop_queue_.front().reply;
  debug_packet(tag() + "-> %" + printable(payload));
  send_raw(rsp::frame_notification(payload));
}

void Session::acknowledge_stop() {
  if (!stop_queue_.empty()) stop_queue_.pop_front();
  reply_next_queued_stop();
}

void Session::restart_stop_queue(const std::vector<threads::StopReport>& stops) {
  stop_queue_.clear();
  for (const auto& stop : stops) stop_queue_.push_back({stop.tid, format_stop_reply(stop, *this)});
  reply_next_queued_stop();
}

// vStopped's and `?`'s answer: the oldest queued stop, or OK when there is none.
void Session::reply_next_queued_stop() {
  if (stop_queue_.empty()) return reply_ok();
  reply(stop_queue_.front().reply);
}

std::set<pid_t> Session::unacknowledged_threads() const {
  std::set<pid_t> tids;
  for (const auto& queued : stop_queue_) tids.insert(queued.tid);
  return tids;
}

void Session::finish() {
  finished_ = true;
  stream_->close_after_writes();
}

int Session::to_wire_signal(int host_signal) const { return client.lldb ? host_signal : host_to_gdb_signal(host_signal); }

int Session::from_wire_signal(int wire_signal) const {
  return client.lldb ? wire_signal : gdb_to_host_signal(wire_signal);
}

pid_t Session::selected_thread() {
  Debuggee* target = debuggee();
  if (!target || target->gone()) return 0;
  if (packet_thread && target->inferior().find_thread(*packet_thread)) return *packet_thread;
  if (general_thread.tid > 0 && target->inferior().find_thread(general_thread.tid)) return general_thread.tid;
  return target->default_thread();
}

} // namespace xolstub::stub
