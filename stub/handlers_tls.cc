// Thread-local storage: qGetTLSAddr:THREAD-ID,OFFSET,LM. GDB asks it for every `print` of a
// __thread variable (remote.c get_thread_local_address) and has no way of its own to find one
// on a remote target: without an answer it says "Cannot find thread-local storage". LM is the
// address of the module's struct link_map (0 for a statically linked executable), OFFSET the
// variable's offset in the module's TLS block. The reply is the address in hex, or an error.
//
// gdbserver answers through libthread_db, which it loads once GDB has answered its qSymbol
// lookups; here the same walk is done directly (threads/tls_address.h), with the layout glibc
// describes in its own descriptors found in the inferior's memory, so there is no qSymbol
// round trip and no libthread_db to match the inferior's glibc.
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"
#include "threads/process_symbols.h"
#include "threads/tls_address.h"

namespace xolstub::stub {
namespace {

void handle_get_tls_address(Session& session, std::string_view packet) {
  std::vector<std::string_view> fields = split(after_colon(packet), ',');
  if (fields.size() != 3) return session.reply_error(1, "qGetTLSAddr needs THREAD-ID,OFFSET,LM: " + std::string(packet));
  std::optional<ThreadId> id = parse_thread_id(fields[0]);
  if (!id || id->tid == ThreadId::all)
    return session.reply_error(1, "qGetTLSAddr: not one thread: " + std::string(fields[0]));
  std::uint64_t offset = require_hex(fields[1], "TLS offset");
  std::uint64_t lm = require_hex(fields[2], "link_map address");

  // The thread's own process: with detach-on-fork off it may be a fork child.
  Debuggee* target = session.server().process(id->pid);
  if (!target || target->gone()) return session.reply_error(2, "qGetTLSAddr: no such process: " + std::string(fields[0]));
  pid_t tid = id->tid == ThreadId::any ? session.selected_thread() : id->tid;
  threads::Thread* thread = target->inferior().find_thread(tid);
  if (!thread || thread->zombie) return session.reply_error(2, "qGetTLSAddr: no such thread: " + std::string(fields[0]));
  // The thread pointer is a register: only a stopped thread has one to read.
  if (thread->state != threads::Thread::State::stopped)
    return session.reply_error(1, "qGetTLSAddr: thread " + std::to_string(tid) + " is running; stop it first");

  try {
    threads::ProcessMemory& memory = target->inferior().memory();
    threads::MemoryReader read = threads::reader_for(memory);
    threads::ProcessSymbols symbols(target->pid(), memory);
    threads::ThreadDbLayout layout =
        threads::read_thread_db_layout(read, [&](std::string_view name) { return symbols.find(name); });
    std::uint64_t thread_pointer = thread->registers().gprs().fs_base;
    session.reply(rsp::hex_number(threads::tls_address(read, layout, thread_pointer, lm, offset)));
  } catch (const std::exception& error) {
    session.reply_error(1, "qGetTLSAddr: thread " + std::to_string(tid) + ": " + error.what());
  }
}

} // namespace

void register_tls_handlers(Dispatcher& dispatcher) {
  // No qSupported feature: GDB just tries the packet, and takes an empty reply as "unsupported".
  dispatcher.add("qGetTLSAddr", handle_get_tls_address);
}

} // namespace xolstub::stub
