// Extended remote (`target extended-remote`, `--multi`): `!`, vRun, R, vAttach, and the
// settings that shape the next `run`: QEnvironmentHexEncoded, QEnvironmentUnset,
// QEnvironmentReset, QSetWorkingDir, QStartupWithShell, QDisableRandomization.
#include <cstdlib>

#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"

namespace xolstub::stub {
namespace {

// The new process's first stop; its thread is the general thread in non-stop too (GDB asks
// which is the main thread of the new inferior next).
void reply_with_new_process(Session& session, Debuggee& process) {
  const threads::StopReport& stop = process.last_stop();
  session.reply_stop(stop);
  session.general_thread = ThreadId{process.pid(), stop.tid};
}

// gdbserver's rule: a multiprocess extended-remote client runs or attaches to another program
// beside the one it debugs (another inferior); any other client replaces it.
bool beside(const Session& session) { return session.extended && session.client.multiprocess; }

// vRun;PROGRAM;ARG... (all hex); an empty PROGRAM means the one started last.
void handle_vrun(Session& session, std::string_view packet) {
  auto fields = split(packet, ';');
  std::vector<std::string> argv;
  for (std::size_t i = 1; i < fields.size(); ++i) argv.push_back(decode_hex_text(fields[i], "vRun argument"));
  Server& server = session.server();
  if (argv.empty() || argv.front().empty()) {
    const auto& last = server.last_program();
    if (last.empty()) return session.reply_error(1, "vRun without a program, and none was run before");
    if (argv.empty()) argv.push_back(last);
    else argv.front() = last;
  }
  if (server.others_debug(session))
    return session.reply_error(1, "another client debugs process " + std::to_string(session.debuggee()->pid()) +
                                      ": attach to it to join, or end it there first");
  try {
    reply_with_new_process(session, server.start_program(argv, beside(session)));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return session.reply_error(1, error.what());
  }
}

// R: start the program again with the same arguments; GDB expects no reply.
void handle_restart(Session& session, std::string_view) {
  Server& server = session.server();
  try {
    server.start_program(server.last_argv());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
  }
}

void handle_vattach(Session& session, std::string_view packet) {
  auto fields = split(packet, ';');
  if (fields.size() != 2) return session.reply_error(1, "malformed vAttach: want vAttach;PID");
  pid_t pid = static_cast<pid_t>(require_hex(fields[1], "process id"));
  // A process the stub already debugs (for another client): this client joins it.
  if (Debuggee* target = session.debuggee(); target && !target->gone() && target->pid() == pid) {
    std::fprintf(stderr, "Joining the debugging of process %d\n", pid);
    session.server().join_process(session);
    if (session.non_stop) return session.reply_ok();  // GDB stops the threads it wants with vCont;t
    if (!session.server().report_status(session)) session.reply_stop(target->last_stop());
    return;
  }
  if (session.server().others_debug(session))
    return session.reply_error(1, "another client debugs process " + std::to_string(session.debuggee()->pid()) +
                                      " and the stub serves one process at a time");
  Debuggee* attached = nullptr;
  try {
    attached = &session.server().attach_process(pid, beside(session));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return session.reply_error(1, error.what());
  }
  // Non-stop: OK, and the threads run on, as they did before; GDB stops those it wants to
  // see stopped (vCont;t), all of them unless it was `attach&`.
  if (session.non_stop) {
    threads::ResumeRequest everyone;
    everyone.process = attached->pid();
    return session.server().resume(session, std::span(&everyone, 1));
  }
  reply_with_new_process(session, *attached);
}

void handle_environment_set(Session& session, std::string_view packet) {
  session.server().program_environment().set(decode_hex_text(after_colon(packet), "environment entry"));
  session.reply_ok();
}

void handle_environment_unset(Session& session, std::string_view packet) {
  session.server().program_environment().unset(decode_hex_text(after_colon(packet), "environment variable"));
  session.reply_ok();
}

void handle_environment_reset(Session& session, std::string_view) {
  session.server().program_environment().reset();
  session.reply_ok();
}

// `set cwd ~/dir` reaches the stub as typed; like gdbserver, a leading ~ is the stub's $HOME.
std::string expand_tilde(const std::string& directory) {
  if (directory != "~" && !directory.starts_with("~/")) return directory;
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + directory.substr(1) : directory;
}

void handle_working_dir(Session& session, std::string_view packet) {
  std::string directory = decode_hex_text(after_colon(packet), "working directory");
  auto& launch = session.server().launch_settings();
  // Empty: GDB's `set cwd` was cleared; the program starts where the stub runs.
  if (directory.empty()) launch.working_directory.reset();
  else launch.working_directory = expand_tilde(directory);
  session.reply_ok();
}

bool require_flag(std::string_view packet) {
  std::string_view value = after_colon(packet);
  if (value != "0" && value != "1") throw std::runtime_error("malformed " + std::string(packet) + ": want 0 or 1");
  return value == "1";
}

} // namespace

void register_extended_handlers(Dispatcher& dispatcher) {
  dispatcher.add("!", [](Session& session, std::string_view) {
    session.extended = true;
    session.reply_ok();
  });
  dispatcher.add("vRun", handle_vrun);
  dispatcher.add("R", handle_restart);
  dispatcher.add("vAttach", handle_vattach);
  dispatcher.add("QEnvironmentHexEncoded", handle_environment_set, {"QEnvironmentHexEncoded+"});
  dispatcher.add("QEnvironmentUnset", handle_environment_unset, {"QEnvironmentUnset+"});
  dispatcher.add("QEnvironmentReset", handle_environment_reset, {"QEnvironmentReset+"});
  dispatcher.add("QSetWorkingDir", handle_working_dir, {"QSetWorkingDir+"});
  dispatcher.add("QStartupWithShell", [](Session& session, std::string_view packet) {
    session.server().launch_settings().startup_with_shell = require_flag(packet);
    session.reply_ok();
  }, {"QStartupWithShell+"});
  dispatcher.add("QDisableRandomization", [](Session& session, std::string_view packet) {
    session.server().launch_settings().disable_randomization = require_flag(packet);
    session.reply_ok();
  }, {"QDisableRandomization+"});
}

} // namespace xolstub::stub
