// vFile host I/O: GDB reads the program, its libraries and /proc files through these when its
// sysroot is `target:` (the default).
#include "stub/handlers.h"
#include "stub/host_io.h"
#include "stub/session.h"

namespace xolstub::stub {

void register_host_io_handlers(Dispatcher& dispatcher) {
  dispatcher.add("vFile", [](Session& session, std::string_view packet) {
    session.reply(session.host_io().handle(packet));
  });
}

} // namespace xolstub::stub
