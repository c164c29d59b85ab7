// The packet handler families. Each registers its packets (and the qSupported features they
// implement) with the dispatcher; none of them touches ptrace directly.
#pragma once
#include "stub/dispatcher.h"

namespace xolstub::stub {

void register_query_handlers(Dispatcher& dispatcher);       // qSupported, ?, H, T, qC, thread lists, ...
void register_monitor_handlers(Dispatcher& dispatcher);     // qRcmd
void register_register_handlers(Dispatcher& dispatcher);    // g G p P
void register_memory_handlers(Dispatcher& dispatcher);      // m M X
void register_resume_handlers(Dispatcher& dispatcher);      // c C s S vCont vCtrlC
void register_non_stop_handlers(Dispatcher& dispatcher);    // QNonStop QThreadEvents vStopped
void register_breakpoint_handlers(Dispatcher& dispatcher);  // Z z
void register_process_handlers(Dispatcher& dispatcher);     // k vKill D
void register_xfer_handlers(Dispatcher& dispatcher);        // qXfer objects
void register_host_io_handlers(Dispatcher& dispatcher);     // vFile
void register_extended_handlers(Dispatcher& dispatcher);    // ! vRun R vAttach QEnvironment* QSetWorkingDir ...
void register_tls_handlers(Dispatcher& dispatcher);         // qGetTLSAddr
void register_lldb_handlers(Dispatcher& dispatcher);        // LLDB's thread and stop packets: QThreadSuffixSupported, jThreadsInfo...
void register_lldb_host_handlers(Dispatcher& dispatcher);   // LLDB's host and process queries: qHostInfo, qMemoryRegionInfo...
void register_lldb_process_list_handlers(Dispatcher& dispatcher);  // qfProcessInfo, qsProcessInfo, qProcessInfoPID

inline void register_all_handlers(Dispatcher& dispatcher) {
  register_query_handlers(dispatcher);
  register_monitor_handlers(dispatcher);
  register_register_handlers(dispatcher);
  register_memory_handlers(dispatcher);
  register_resume_handlers(dispatcher);
  register_non_stop_handlers(dispatcher);
  register_breakpoint_handlers(dispatcher);
  register_process_handlers(dispatcher);
  register_xfer_handlers(dispatcher);
  register_host_io_handlers(dispatcher);
  register_extended_handlers(dispatcher);
  register_tls_handlers(dispatcher);
  register_lldb_handlers(dispatcher);
  register_lldb_host_handlers(dispatcher);
  register_lldb_process_list_handlers(dispatcher);
}

} // namespace xolstub::stub
