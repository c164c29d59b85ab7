#include "stub/stop_reply.h"

#include <cstdio>

#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/lldb_stop_info.h"
#include "stub/server.h"
#include "stub/session.h"
#include "threads/proc_info.h"
#include "threads/register_layout.h"

namespace xolstub::stub {
namespace {
std::string hex_byte(int value) {
  char text[4];
  std::snprintf(text, sizeof text, "%02x", value & 0xff);
  return text;
}
} // namespace

std::string format_stop_reply(const threads::StopReport& stop, Session& session) {
  Debuggee& target = *session.server().owner_of(stop.tid);
  const auto& disabled = session.server().options().disabled_packets;
  std::string process = session.client.multiprocess ? ";process:" + rsp::hex_number(target.pid()) : "";
  using Reason = threads::StopReport::Reason;
  if (stop.reason == Reason::exited) return "W" + hex_byte(stop.exit_status) + process;
  if (stop.reason == Reason::killed) return "X" + hex_byte(session.to_wire_signal(stop.signal)) + process;
  if (stop.reason == Reason::thread_exited)
    return "w" + rsp::hex_number(static_cast<std::uint64_t>(stop.exit_status & 0xff)) + ";" +
           format_thread_id(target.pid(), stop.tid, session.client.multiprocess);
  if (stop.reason == Reason::no_resumed)
    return session.client.no_resumed ? "N" : "E.No unwaited-for children left.";

  std::string signal = hex_byte(session.to_wire_signal(stop.signal));
  if (disabled.count("T")) return "S" + signal;
  std::string reply = "T" + signal;
  if (stop.reason == Reason::thread_created) reply += "create:;";
  if (threads::Thread* thread = target.inferior().find_thread(stop.tid)) {
    using Layout = threads::RegisterLayout;
    for (unsigned regno : {Layout::rbp, Layout::rsp, Layout::rip})
      reply += hex_byte(static_cast<int>(regno)) + ":" + rsp::to_hex(thread->registers().read(regno)) + ";";
  }
  if (!disabled.count("Tthread") && !disabled.count("threads"))
    reply += "thread:" + format_thread_id(target.pid(), stop.tid, session.client.multiprocess) + ";";
  if (auto core = threads::thread_core(target.pid(), stop.tid)) reply += "core:" + rsp::hex_number(*core) + ";";
  if (session.client.lldb) reply += lldb_stop_fields(session, target, stop);
  if (stop.reason == Reason::breakpoint && session.client.swbreak) reply += "swbreak:;";
  if (stop.reason == Reason::forked || stop.reason == Reason::vforked)
    reply += std::string(stop.reason == Reason::forked ? "fork:" : "vfork:") +
             format_thread_id(stop.child, stop.child, session.client.multiprocess) + ";";
  if (stop.reason == Reason::vfork_done) reply += "vforkdone:;";
  if (stop.reason == Reason::exec) reply += "exec:" + rsp::to_hex(threads::executable_path(target.pid())) + ";";
  if (stop.reason == Reason::syscall_entry || stop.reason == Reason::syscall_return)
    reply += std::string(stop.reason == Reason::syscall_entry ? "syscall_entry:" : "syscall_return:") +
             rsp::hex_number(static_cast<std::uint64_t>(stop.syscall_number)) + ";";
  if (stop.reason == Reason::hardware_breakpoint && session.client.hwbreak) reply += "hwbreak:;";
  if (stop.reason == Reason::watchpoint)
    reply += std::string(stop.watch_kind == threads::HardwareKind::access ? "awatch:" : "watch:") +
             rsp::hex_number(stop.address) + ";";
  return reply;
}

} // namespace xolstub::stub
