// LLDB's host and process queries (qHostInfo, qProcessInfo, qMemoryRegionInfo, ...): not yet
// answered; LLDB falls back without them.
#include "stub/handlers.h"

namespace xolstub::stub {

void register_lldb_host_handlers(Dispatcher&) {}

} // namespace xolstub::stub
