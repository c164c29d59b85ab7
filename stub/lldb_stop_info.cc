#include "stub/lldb_stop_info.h"

#include <nlohmann/json.hpp>

#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/server.h"
#include "stub/session.h"
#include "threads/proc_info.h"
#include "threads/register_layout.h"

namespace xolstub::stub {
namespace {

using json = nlohmann::json;
using Reason = threads::StopReport::Reason;
using Layout = threads::RegisterLayout;

// Thread names are whatever the program wrote into comm: not always UTF-8.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string pc_text(threads::Thread& thread) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(thread.registers().pc()));
  return text;
}

// The threads of the process in tid order, as LLDB lists them. Only stopped ones: registers
// cannot be read from a running thread (with other clients, one may run while LLDB looks).
std::vector<std::pair<pid_t, threads::Thread*>> stopped_threads(Debuggee& target) {
  std::vector<std::pair<pid_t, threads::Thread*>> out;
  for (auto& [tid, thread] : target.inferior().threads())
    if (!thread.zombie && thread.state == threads::Thread::State::stopped) out.emplace_back(tid, &thread);
  return out;
}

// One thread's entry of jstopinfo and jThreadsInfo: its stop reason, if it has one.
json thread_entry(Session& session, Debuggee& target, pid_t tid) {
  json entry = {{"tid", tid}, {"name", threads::thread_name(target.pid(), tid)}};
  if (auto stop = session.thread_stops.find(tid); stop != session.thread_stops.end()) {
    if (auto reason = lldb_reason(stop->second)) {
      entry["reason"] = *reason;
      entry["signal"] = session.to_wire_signal(stop->second.signal);
    }
  }
  return entry;
}

} // namespace

std::optional<std::string> lldb_reason(const threads::StopReport& stop) {
  switch (stop.reason) {
  case Reason::breakpoint:
  case Reason::hardware_breakpoint: return "breakpoint";
  case Reason::single_step: return "trace";
  case Reason::signal: return "signal";
  case Reason::interrupted:
    if (stop.signal != 0) return "signal";
    return std::nullopt;
  case Reason::exec: return "exec";
  default: return std::nullopt;  // watch:, fork:, syscall_entry:... say it in GDB's words
  }
}

void record_thread_stops(Session& session, const threads::StopReport& stop) {
  session.thread_stops.clear();
  if (stop.process_gone()) return;
  session.thread_stops[stop.tid] = stop;
  Debuggee* target = session.server().owner_of(stop.tid);
  if (!target || target->gone()) return;
  for (const auto& pending : target->take_pending_stops(stop.tid)) session.thread_stops[pending.tid] = pending;
}

std::string lldb_stop_fields(Session& session, Debuggee& target, const threads::StopReport& stop) {
  std::string fields = "hexname:" + rsp::to_hex(threads::thread_name(target.pid(), stop.tid)) + ";";
  if (session.client.threads_in_stop_reply) {
    auto threads = stopped_threads(target);
    std::string tids, pcs;
    for (auto& [tid, thread] : threads) {
      tids += (tids.empty() ? "" : ",") + rsp::hex_number(static_cast<std::uint64_t>(tid));
      pcs += (pcs.empty() ? "" : ",") + pc_text(*thread);
    }
    fields += "threads:" + tids + ";thread-pcs:" + pcs + ";";
    if (threads.size() > 1) {
      json all = json::array();
      for (auto& [tid, thread] : threads) all.push_back(thread_entry(session, target, tid));
      fields += "jstopinfo:" + rsp::to_hex(dump(all)) + ";";
    }
  }
  if (auto reason = lldb_reason(stop)) fields += "reason:" + *reason + ";";
  return fields;
}

std::string threads_info_json(Session& session) {
  json all = json::array();
  Debuggee* target = session.debuggee();
  if (!target || target->gone()) return dump(all);
  for (auto& [tid, thread] : stopped_threads(*target)) {
    json entry = thread_entry(session, *target, tid);
    // The registers LLDB needs to unwind without asking: decimal regnum -> target-order hex.
    json registers = json::object();
    for (unsigned regno : {Layout::rbp, Layout::rsp, Layout::rip})
      registers[std::to_string(regno)] = rsp::to_hex(thread->registers().read(regno));
    entry["registers"] = registers;
    all.push_back(entry);
  }
  return dump(all);
}

} // namespace xolstub::stub
