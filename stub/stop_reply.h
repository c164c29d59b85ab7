// Stop replies: `T` with the thread, its core, the registers GDB needs at every stop (so a stop
// costs GDB no extra packets) and `swbreak:`; `W`/`X` when the process is gone; non-stop's
// `w` (thread exit), `T05create:` (new thread) and `N` (nothing left running).
#pragma once
#include <string>

#include "threads/stop_report.h"

namespace xolstub::stub {

class Session;

std::string format_stop_reply(const threads::StopReport& stop, Session& session);

} // namespace xolstub::stub
