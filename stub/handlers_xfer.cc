// qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH for the objects GDB reads at connection and at every
// library event: the target description, auxv, the executable's name, the shared library
// list and the thread list (with names); and `info os`'s osdata tables.
#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/debug_log.h"
#include "stub/handlers.h"
#include "stub/library_list.h"
#include "stub/osdata.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"
#include "stub/target_description.h"
#include "stub/xfer_chunk.h"
#include "stub/xml_escape.h"
#include "threads/auxv.h"
#include "threads/proc_info.h"
#include "threads/register_layout.h"
#include "threads/svr4_libraries.h"

namespace xolstub::stub {
namespace {

struct XferRequest {
  std::string_view object;
  std::string_view annex;
  std::uint64_t offset;
  std::uint64_t length;
};

// qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH (no annex GDB sends contains ':'). Nullopt for other
// forms (writes): unsupported. A read whose range does not parse is an error, as from gdbserver.
std::optional<XferRequest> parse_xfer(std::string_view packet) {
  auto fields = split(packet, ':');
  if (fields.size() != 5 || fields[2] != "read") return std::nullopt;
  auto range = parse_address_length(fields[4]);
  if (!range) throw std::runtime_error("qXfer: malformed OFFSET,LENGTH \"" + std::string(fields[4]) + "\"");
  return XferRequest{fields[1], fields[3], range->address, range->length};
}

Debuggee& require_process(Session& session) {
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) throw std::runtime_error("no process is being debugged");
  return *target;
}

// Every process's threads; none, an empty list, as gdbserver answers (GDB asks right after an exit).
std::string threads_document(Session& session) {
  std::string xml = "<?xml version=\"1.0\"?>\n<threads>\n";
  for (Debuggee* target : session.server().processes()) {
    for (const auto& [tid, thread] : target->inferior().threads()) {
      if (thread.zombie) continue;  // exited; only its process's exit is left to report
      xml += "<thread id=\"" + format_thread_id(target->pid(), tid, session.client.multiprocess) + "\"";
      if (auto core = threads::thread_core(target->pid(), tid)) xml += " core=\"" + std::to_string(*core) + "\"";
      xml += " name=\"" + xml_escape(threads::thread_name(target->pid(), tid)) + "\"/>\n";
    }
  }
  return xml + "</threads>\n";
}

// The whole object, or nullopt for an object or annex we do not serve.
std::optional<std::string> read_object(Session& session, const XferRequest& request) {
  if (request.object == "features") {
    if (request.annex != "target.xml") return std::nullopt;
    // Like gdbserver, no description before there is a process (--multi): GDB keeps the
    // architecture the user set, and reads the description again after `run` or `attach`.
    require_process(session);
    static const std::string for_gdb = target_description_xml(threads::RegisterLayout::host());
    static const std::string for_lldb = lldb_target_description_xml(threads::RegisterLayout::host());
    return session.client.lldb ? for_lldb : for_gdb;
  }
  if (request.object == "auxv") {
    auto bytes = threads::read_auxv(require_process(session).pid());
    return std::string(bytes.begin(), bytes.end());
  }
  if (request.object == "exec-file") {
    pid_t pid = request.annex.empty() ? require_process(session).pid()
                                      : static_cast<pid_t>(require_hex(request.annex, "process id"));
    std::string path = threads::executable_path(pid);
    if (path.empty()) throw std::runtime_error("cannot read the executable of process " + std::to_string(pid));
    return path;
  }
  if (request.object == "libraries-svr4") {
    auto annex = parse_svr4_annex(request.annex);
    if (!annex) throw std::runtime_error("malformed libraries-svr4 annex: " + std::string(request.annex));
    Debuggee& target = require_process(session);
    auto list = threads::read_svr4_libraries(target.pid(), target.inferior().memory());
    if (!list) throw std::runtime_error("cannot read the library list of process " + std::to_string(target.pid()));
    return format_svr4_library_list(*list, *annex, !session.client.lldb);
  }
  if (request.object == "threads") return threads_document(session);
  if (request.object == "siginfo") {
    // The signal of the general thread's stop: GDB's $_siginfo.
    Debuggee& target = require_process(session);
    auto info = target.inferior().read_siginfo(session.selected_thread());
    if (!info) throw std::runtime_error("thread " + std::to_string(session.selected_thread()) + " did not stop for a signal");
    return info;
  }
  if (request.object == "osdata") {
    // The tables describe the whole machine, so no process is needed (`info os` works under
    // --multi before `run`). An unknown type is an empty object, not an unsupported one, as
    // gdbserver answers it: GDB then says "Wrong osdata type?".
    return osdata_xml(request.annex).value_or(std::string());
  }
  return std::nullopt;
}

// qXfer:siginfo:write::OFFSET:DATA (binary): GDB's `set $_siginfo...`; the reply is how many
// bytes were written.
void handle_siginfo_write(Session& session, std::string_view packet) {
  std::string_view rest = packet.substr(std::string_view("qXfer:siginfo:write:").size());
  auto annex_end = rest.find(':');
  auto offset_end = annex_end == std::string_view::npos ? annex_end : rest.find(':', annex_end + 1);
  if (offset_end == std::string_view::npos) return session.reply_error(1, "malformed qXfer:siginfo:write");
  std::uint64_t offset = require_hex(rest.substr(annex_end + 1, offset_end - annex_end - 1), "siginfo offset");
  auto bytes = rsp::unescape_binary(rest.substr(offset_end + 1));
  if (!bytes) return session.reply_error(1, "qXfer:siginfo:write: bad binary data");
  Debuggee& target = require_process(session);
  target.inferior().write_siginfo(session.selected_thread(), offset,
                                  std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  session.xfer_snapshots.erase("siginfo:");
  session.reply(rsp::hex_number(bytes->size()));
}

void handle_xfer(Session& session, std::string_view packet) {
  if (packet.starts_with("qXfer:siginfo:write:")) return handle_siginfo_write(session, packet);
  auto request = parse_xfer(packet);
  if (!request) {
    debug_packet("   only qXfer reads (and siginfo writes) are supported, empty reply");
    return session.reply("");
  }
  std::string key = std::string(request->object) + ":" + std::string(request->annex);
  auto snapshot = session.xfer_snapshots.find(key);
  if (request->offset == 0 || snapshot == session.xfer_snapshots.end()) {
    auto object = read_object(session, *request);
    if (!object) {
      debug_packet("   no qXfer object " + key + " here, empty reply");
      return session.reply("");
    }
    snapshot = session.xfer_snapshots.insert_or_assign(key, std::move(*object)).first;
  }
  session.reply(xfer_reply(snapshot->second, request->offset, request->length, Session::packet_size - 8));
}

} // namespace

void register_xfer_handlers(Dispatcher& dispatcher) {
  dispatcher.add("qXfer", handle_xfer,
                 {"qXfer:features:read+", "qXfer:auxv:read+", "qXfer:exec-file:read+",
                  "qXfer:libraries-svr4:read+", "augmented-libraries-svr4-read+", "qXfer:threads:read+",
                  "qXfer:osdata:read+", "qXfer:siginfo:read+", "qXfer:siginfo:write+"});
}

} // namespace xolstub::stub
