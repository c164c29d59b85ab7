// What LLDB wants to know of a stop beyond GDB's T packet: every thread's stop reason at once
// (lldb-server reports them all; LLDB steps a thread that sits on a breakpoint with no reason
// over it and the hit is lost), thread names, and the PCs of all threads.
#pragma once
#include <optional>
#include <string>

#include "threads/stop_report.h"

namespace xolstub::stub {

class Debuggee;
class Session;

// LLDB's name for why a thread stopped ("breakpoint", "trace", "signal", "exec"), or nullopt
// where GDB's own key says it better (watch:, fork:, ...) or there is nothing to say.
std::optional<std::string> lldb_reason(const threads::StopReport& stop);

// All-stop: records `stop` and the breakpoint hits and signals the other threads had pending
// (taken out of the inferior: this client hears of them now) in session.thread_stops.
void record_thread_stops(Session& session, const threads::StopReport& stop);

// The fields LLDB reads after `thread:` in a T reply: hexname, and with QListThreadsInStopReply
// threads, thread-pcs and (several threads) jstopinfo, then reason.
std::string lldb_stop_fields(Session& session, Debuggee& target, const threads::StopReport& stop);

// jThreadsInfo: a JSON array, one object per thread (tid, name, reason, signal, the expedited
// registers), as lldb-server answers it.
std::string threads_info_json(Session& session);

} // namespace xolstub::stub
