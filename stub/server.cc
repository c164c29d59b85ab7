#include "stub/server.h"

#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include "stub/debug_log.h"
#include "stub/handlers.h"
#include "stub/rendezvous.h"
#include "stub/thread_id.h"

namespace xolstub::stub {
namespace {

// gdbserver resolves a program named without a directory against its working directory first.
std::string resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  std::error_code error;
  auto local = std::filesystem::current_path(error) / program;
  return std::filesystem::exists(local, error) ? local.string() : program;
}

// The program owns the terminal while it runs, as under gdbserver: Ctrl-C typed there reaches
// the program, and it can read its input without SIGTTIN.
void give_terminal_to(pid_t pid) {
  static pid_t original_group = -1;
  if (!isatty(STDERR_FILENO)) return;
  std::signal(SIGTTOU, SIG_IGN);
  std::signal(SIGTTIN, SIG_IGN);
  if (original_group == -1) {
    original_group = tcgetpgrp(STDERR_FILENO);
    std::atexit([] { tcsetpgrp(STDERR_FILENO, original_group); });
  }
  tcsetpgrp(STDERR_FILENO, pid);
}

} // namespace

Server::Server(Options options) : options_(std::move(options)) {
  launch_.wrapper = options_.wrapper;
  launch_.startup_with_shell = options_.startup_with_shell;
  register_all_handlers(dispatcher_);
  dispatcher_.disable(options_.disabled_packets);
  if (options_.disabled_packets.count("threads")) dispatcher_.disable({"qfThreadInfo", "qsThreadInfo", "qC"});
}

Server::~Server() = default;

int Server::run(std::unique_ptr<Listener> listener) {
  set_event_debugging(options_.debug);
  debug_settings().packets = options_.remote_debug || options_.debug;
  if (!options_.debug_file.empty()) set_debug_file(options_.debug_file);

  bool stdio = options_.comm == "-" || options_.comm == "stdio";
  launch_.stdio_is_connection = stdio;
  try {
    if (options_.attach_pid)
      attach_process(*options_.attach_pid);
    else if (!options_.program.empty())
      start_program(options_.program);
  } catch (const std::exception& error) {
    // Another xolstub already debugs it: join that one (it serves several clients) instead of
    // failing as a second ptrace tracer.
    std::error_code ignored;
    if (options_.attach_pid && std::filesystem::exists(rendezvous_path(*options_.attach_pid), ignored)) {
      std::fprintf(stderr, "Cannot attach to process %d (%s)\n", *options_.attach_pid, error.what());
      return relay_through_rendezvous(*options_.attach_pid, options_.comm);
    }
    std::fprintf(stderr, "%s\nExiting\n", error.what());
    return 1;
  }

  try {
    listener_ = listener ? std::move(listener) : make_listener(io_, options_.comm);
  } catch (const TransportError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    if (debuggee_) debuggee_->inferior().was_attached() ? debuggee_->detach() : debuggee_->kill();
    return 1;
  }
  std::fprintf(stderr, "%s\n", listener_->announcement().c_str());
  std::fflush(stderr);

  watch_signals();
  accept_from(*listener_, !options_.once && !listener_->is_stdio());
  io_.run();
  std::fflush(stdout);
  return 0;
}

// Clients are accepted while others are connected (up to --max-clients), except with --once
// (gdbserver's meaning: one connection, then no more) and over stdio (there is one).
void Server::accept_from(Listener& listener, bool keep_listening) {
  listener.async_accept([this, &listener, keep_listening](std::unique_ptr<ByteStream> stream) {
    if (exiting_) return;
    if (sessions_.size() >= static_cast<std::size_t>(options_.max_clients)) {
      refuse(std::move(stream), std::to_string(sessions_.size()) + " clients are connected, the most --max-clients allows");
    } else {
      if (!listener.is_stdio()) std::fprintf(stderr, "Remote debugging from %s\n", stream->describe_peer().c_str());
      auto session = std::make_unique<Session>(*this, std::move(stream), next_session_id_++);
      Session& started = *session;
      // Extended remote: a client that comes while another debugs the process sees no process
      // until it attaches to it.
      started.joined = !(options_.multi && debuggee_ && !debuggee_->gone() && !sessions_.empty());
      sessions_.push_back(std::move(session));
      if (started.joined) multiplex_if_shared(&started);
      started.start();
    }
    if (keep_listening && !exiting_) accept_from(listener, keep_listening);
  });
}

void Server::open_rendezvous() {
  rendezvous_.reset();
  try {
    rendezvous_ = std::make_unique<RendezvousListener>(io_, debuggee_->pid());
    debug_event(rendezvous_->announcement());
    accept_from(*rendezvous_, true);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "xolstub: other clients cannot join through a rendezvous socket: %s\n", error.what());
  }
}

// The client learns why in the reply to its first packet (GDB shows "Remote failure reply").
void Server::refuse(std::unique_ptr<ByteStream> stream, const std::string& why) {
  std::string message = "xolstub: refused a client from " + stream->describe_peer() + ": " + why;
  std::fprintf(stderr, "%s\n", message.c_str());
  debug_event(message);
  auto session = std::make_unique<Session>(*this, std::move(stream), next_session_id_++);
  session->refuse(message);
  Session& started = *session;
  refused_.push_back(std::move(session));
  started.start();
}

std::vector<Session*> Server::session_list() {
  std::vector<Session*> list;
  for (auto& session : sessions_)
    if (session->joined) list.push_back(session.get());
  return list;
}

// The clients that were there keep what they see; a newcomer starts with nothing held, and its
// `?` (all-stop) stops every thread for it.
void Server::multiplex_if_shared(Session* newcomer) {
  if (multiplexer_ || session_list().size() < 2 || !debuggee_ || debuggee_->gone()) return;
  multiplexer_ = std::make_unique<ClientMultiplexer>(*debuggee_, [this] { return session_list(); });
  // A newcomer to a program every client keeps stopped holds it stopped as well, as a lone
  // client would find it: if the others leave before it speaks, the program must not run off.
  // Otherwise it stops the threads when it asks (`?`).
  auto sessions = session_list();
  bool all_stopped = std::none_of(sessions.begin(), sessions.end(),
                                  [&](Session* s) { return s != newcomer && (s->non_stop || s->waiting_for_stop); });
  for (Session* session : sessions)
    if (session != newcomer || all_stopped) multiplexer_->adopt(*session);
  multiplexer_->update_pass_signals();
}

void Server::join_process(Session& session) {
  if (session.joined) return;
  session.joined = true;
  multiplex_if_shared(&session);
  if (multiplexer_) multiplexer_->update_pass_signals();
  update_thread_events();
}

bool Server::others_debug(const Session& session) const {
  if (!debuggee_ || debuggee_->gone()) return false;
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [&](const auto& other) { return other.get() != &session && other->joined; });
}

void Server::watch_signals() {
  watch_child_signals();
  stop_signals_.async_wait([this](std::error_code error, int signal) {
    if (error) return;
    debug_event("received signal " + std::to_string(signal) + ", leaving the program as it was");
    shutdown();
  });
}

// Re-armed after each SIGCHLD, until shutdown: a SIGCHLD handled after shutdown() must not
// arm it again, or the loop never runs dry and the stub never exits.
void Server::watch_child_signals() {
  child_signals_.async_wait([this](std::error_code error, int) {
    if (error) return;
    drain_wait_statuses();
    if (!exiting_) watch_child_signals();
  });
}

// At most a batch of statuses at a time: threads passing false-condition breakpoints out of line
// can keep waitpid() busy for ever, and the clients' packets must get their turn. What is left
// waits for the next turn of the loop (SIGCHLDs coalesce, so one is not to be waited for).
void Server::drain_wait_statuses() {
  constexpr int batch = 64;
  for (int handled = 0;; ++handled) {
    if (handled == batch) {
      asio::post(io_, [this] {
        if (!exiting_) drain_wait_statuses();
      });
      return;
    }
    int status = 0;
    pid_t tid = 0;
    if (!handed_over_.empty()) {
      std::tie(tid, status) = handed_over_.front();
      handed_over_.pop_front();
    } else {
      tid = waitpid(-1, &status, WNOHANG | __WALL);
      if (tid <= 0) return;
    }
    Debuggee* owner = owner_of(tid);
    if (!owner || owner->gone()) continue;
    try {
      if (auto stop = owner->inferior().handle_wait_status(tid, status)) deliver_stop(*stop, owner);
      if (!owner->gone())
        for (const auto& stop : owner->inferior().take_reports()) deliver_stop(stop, owner);
    } catch (const std::exception& error) {
      debug_event(std::string("while handling a ptrace event: ") + error.what());
    }
    forget_gone_processes();
  }
}

std::vector<Debuggee*> Server::memory_sharers(Debuggee& target) {
  std::vector<Debuggee*> sharers;
  if (other_processes_.empty()) return sharers;
  for (Debuggee* other : processes())
    if (other != &target && (other->pid() == target.vfork_parent || other->vfork_parent == target.pid()))
      sharers.push_back(other);
  return sharers;
}

void Server::settle_vfork_parent(Debuggee& child) {
  if (Debuggee* parent = child.vfork_parent ? process(child.vfork_parent) : nullptr)
    if (!parent->gone()) parent->sites().purge_retired({});
}

void Server::forget_gone_processes() {
  for (auto& child : other_processes_) {
    // A vfork child that exited leaves its int3s in the memory it shared with its parent.
    Debuggee* parent = child->gone() && child->vfork_parent ? process(child->vfork_parent) : nullptr;
    if (parent && !parent->gone()) child->sites().restore_all_but_those_of(parent->sites(), parent->inferior().memory());
  }
  std::erase_if(other_processes_, [&](const auto& child) {
    bool forget = child->gone() && !child->untold_exit;
    if (forget) forgotten_.insert(child->pid());
    return forget;
  });
  if (debuggee_ && debuggee_->gone() && !debuggee_->untold_exit && !other_processes_.empty()) promote_fork_child();
}

void Server::deliver_stop(const threads::StopReport& stop, Debuggee* from) {
  Debuggee& process = from ? *from : *debuggee_;
  if (process.unclaimed && stop.process_gone()) {
    // Killed before the client decided about it: its D;PID finds nothing left to detach.
    debug_event("fork child " + std::to_string(process.pid()) + " ended before the client took it: not reported");
    return;
  }
  debug_event("stop: thread " + std::to_string(stop.tid) + " reason " + stop.reason_name() +
              " signal " + std::to_string(stop.signal) + (other_processes_.empty() ? "" : " in process " + std::to_string(process.pid())));
  process.note_stop(stop);
  if (stop.reason == threads::StopReport::Reason::forked || stop.reason == threads::StopReport::Reason::vforked)
    adopt_fork_child(stop, process);
  if (stop.process_gone()) announce_exit(stop);
  if (multiplexer_) return multiplexer_->route(stop);
  // All-stop stops everything: the other processes the client resumed too.
  if (!other_processes_.empty() && !process.inferior().non_stop())
    for (Debuggee* other : processes())
      if (other != &process)
        if (auto exit = other->inferior().halt()) other->untold_exit = *exit;
  bool told = false;
  for (auto& session : sessions_) {
    if (session->non_stop) {
      session->notify_stop(stop);
      told = true;
    } else if (session->waiting_for_stop) {
      session->on_stop(stop);
      told = true;
    }
  }
  // Killed from outside while every client thought it stopped: the next resume hears of it.
  if (stop.process_gone() && !told) process.untold_exit = stop;
}

Debuggee* Server::process(pid_t pid) {
  if (pid == ThreadId::any || pid == ThreadId::all) return debuggee_.get();
  if (debuggee_ && debuggee_->pid() == pid) return debuggee_.get();
  for (auto& child : other_processes_)
    if (child->pid() == pid) return child.get();
  return nullptr;
}

Debuggee* Server::owner_of(pid_t tid) {
  if (other_processes_.empty() || (debuggee_ && debuggee_->inferior().find_thread(tid))) return debuggee_.get();
  for (auto& child : other_processes_)
    if (child->pid() == tid || child->inferior().owns_thread(tid)) return child.get();
  return debuggee_.get();
}

std::vector<Debuggee*> Server::all_processes() {
  std::vector<Debuggee*> every;
  if (debuggee_) every.push_back(debuggee_.get());
  for (auto& child : other_processes_) every.push_back(child.get());
  return every;
}

std::vector<Debuggee*> Server::processes() {
  std::vector<Debuggee*> live;
  if (debuggee_ && !debuggee_->gone()) live.push_back(debuggee_.get());
  for (auto& child : other_processes_)
    if (!child->gone()) live.push_back(child.get());
  return live;
}

std::vector<threads::ResumeRequest> Server::requests_for(Debuggee& process, std::span<const threads::ResumeRequest> requests) {
  std::vector<threads::ResumeRequest> mine;
  for (const auto& request : requests) {
    if (request.process > 0 && request.process != process.pid()) continue;
    if (request.tid != threads::ResumeRequest::all_threads && owner_of(request.tid) != &process) continue;
    mine.push_back(request);
  }
  return mine;
}

void Server::adopt_fork_child(const threads::StopReport& stop, Debuggee& parent_process) {
  auto inferior = parent_process.inferior().take_fork_child(stop.child);
  if (!inferior) return;
  auto child = Debuggee::adopt(std::move(inferior));
  child->unclaimed = true;
  child->forked_by = stop.tid;
  if (stop.reason == threads::StopReport::Reason::vforked) {
    child->vfork_parent = parent_process.pid();
    child->sites().copy_sites_of(parent_process.sites());
    // The int3s only it has are in its parent's memory until it execs: put back there when it
    // does (and when it exits: forget_gone_processes).
    auto forget = std::move(child->inferior().on_exec);
    child->inferior().on_exec = [this, process = child.get(), forget] {
      if (Debuggee* parent = this->process(process->vfork_parent); parent && !parent->gone())
        process->sites().restore_all_but_those_of(parent->sites(), parent->inferior().memory());
      process->vfork_parent = 0;  // its memory is its own from here
      if (forget) forget();
    };
  }
  // It starts with what every process was told to do, for the day it is followed.
  keep(std::move(child), true);
}

bool Server::kill_one_of_several(pid_t pid) {
  if (other_processes_.empty() || !process(pid)) return false;
  std::fprintf(stderr, "Killing process(es): %d\n", pid);
  process(pid)->kill();
  forget_gone_processes();
  return true;
}

bool Server::detach_fork_child(pid_t pid) {
  auto it = std::find_if(other_processes_.begin(), other_processes_.end(), [&](const auto& child) { return child->pid() == pid; });
  if (it != other_processes_.end()) {
    std::fprintf(stderr, "Detaching from process %d\n", pid);
    try {
      // A vfork child runs on in its parent's memory: no int3 may be left there for it to die on.
      settle_vfork_parent(**it);
      if (!(*it)->gone()) (*it)->detach();
    } catch (const std::exception& error) {
      debug_event("while detaching fork child " + std::to_string(pid) + ": " + error.what());
    }
    other_processes_.erase(it);
    return true;
  }
  // A child that died before GDB could let it go (its exit may still be on its way): nothing
  // left to detach.
  if (forgotten_.erase(pid)) {
    debug_event("process " + std::to_string(pid) + " is gone already: nothing to detach");
    return true;
  }
  if (!debuggee_ || debuggee_->pid() != pid || other_processes_.empty()) return false;
  detach_process();
  promote_fork_child();
  return true;
}

void Server::promote_fork_child() {
  debuggee_ = std::move(other_processes_.front());
  other_processes_.erase(other_processes_.begin());
  apply_modes();
}

// Detach or kill each as the process it came from would be (a program we started is killed).
void Server::let_other_processes_go() {
  for (auto& child : other_processes_) {
    try {
      if (child->gone()) continue;
      std::fprintf(stderr, "%s process %d\n", child->inferior().was_attached() ? "Detaching from" : "Killing", child->pid());
      child->inferior().was_attached() ? child->detach() : child->kill();
    } catch (const std::exception& error) {
      debug_event("while letting fork child " + std::to_string(child->pid()) + " go: " + error.what());
    }
  }
  other_processes_.clear();
}

// gdbserver's exact words; over stdio GDB shares the terminal and reports the exit itself.
void Server::announce_exit(const threads::StopReport& stop) {
  if (is_stdio()) return;
  if (stop.reason == threads::StopReport::Reason::exited) {
    std::fprintf(stderr, "\nChild exited with status %d\n", stop.exit_status);
  } else {
    const char* abbrev = sigabbrev_np(stop.signal);
    std::string name = abbrev ? std::string("SIG") + abbrev : "unknown signal";
    std::fprintf(stderr, "\nChild terminated with signal = 0x%x (%s)\n", stop.signal, name.c_str());
  }
  std::fflush(stderr);
}

void Server::resume(Session& session, std::span<const threads::ResumeRequest> requests) {
  if (multiplexer_) {
    if (session.non_stop) session.reply_ok();
    return multiplexer_->resume(session, requests);
  }
  // A process that died while nobody was waiting for it (killed from outside, or while
  // everything was stopped for another one's stop) speaks first.
  for (Debuggee* each : all_processes())
    if (each->untold_exit) {
      threads::StopReport exit = *std::exchange(each->untold_exit, std::nullopt);
      if (session.non_stop) {
        session.reply_ok();
        session.notify_stop(exit);
      } else {
        session.reply_stop(exit);
      }
      forget_gone_processes();
      return;
    }
  if (!debuggee_ || debuggee_->gone()) {
    session.reply_error(1, "there is no process to resume");
    return;
  }
  // A thread whose stop some client has not pulled yet is not resumed by a wildcard: that
  // client does not know it stopped (non-stop).
  std::set<pid_t> unacknowledged;
  for (auto& each : sessions_) unacknowledged.merge(each->unacknowledged_threads());
  // Each process resumes its own threads (several after a fork with detach-on-fork off).
  std::vector<std::pair<Debuggee*, std::vector<threads::ResumeRequest>>> plan;
  for (Debuggee* process : processes()) {
    auto mine = requests_for(*process, requests);
    if (mine.empty()) continue;
    // A fork child runs when resumed by name, or by a wildcard once the client has its fork:
    // before that, as for gdbserver, it is no thread of the client's.
    bool named = std::any_of(mine.begin(), mine.end(), [&](const auto& request) { return request.process == process->pid(); });
    if (process->unclaimed && !named && unacknowledged.count(process->forked_by)) continue;
    process->unclaimed = false;
    plan.emplace_back(process, std::move(mine));
  }
  if (plan.empty()) return session.reply_error(1, "no process of ours has the threads to resume");
  if (session.non_stop) {
    session.reply_ok();
    for (auto& [process, mine] : plan) {
      settle_vfork_parent(*process);
      for (const auto& stop : process->inferior().resume(mine, unacknowledged)) deliver_stop(stop, process);
    }
    return;
  }
  session.waiting_for_stop = true;
  for (auto& [process, mine] : plan) {
    settle_vfork_parent(*process);
    auto stops = process->inferior().resume(mine);
    if (!stops.empty()) return deliver_stop(stops.front(), process);
  }
}

// The process a Ctrl-C is for: one that runs (the one debugged first).
Debuggee* Server::running_process() {
  for (Debuggee* process : processes())
    if (!process->inferior().all_stopped()) return process;
  return debuggee_.get();
}

void Server::interrupt(Session& session) {
  if (!debuggee_ || debuggee_->gone()) return;
  if (multiplexer_) return multiplexer_->interrupt(session);
  // All-stop, a Ctrl-C that crossed the stop reply (GDB sent it while it thought the program
  // ran): the program stops with SIGINT as soon as it is resumed, as the SIGINT gdbserver
  // sends would still be queued then.
  if (!session.non_stop && !session.waiting_for_stop) {
    debug_event("interrupt while nothing runs: SIGINT is reported at the next resume");
    debuggee_->inferior().interrupt_at_next_resume();
    return;
  }
  Debuggee* process = running_process();
  if (auto stop = process->inferior().interrupt()) deliver_stop(*stop, process);
}

void Server::stop_threads(Session& session, pid_t tid) {
  if (!debuggee_ || debuggee_->gone()) return;
  if (multiplexer_) return multiplexer_->stop_threads(session, tid);
  for (Debuggee* process : processes()) {
    if (tid != threads::ResumeRequest::all_threads && owner_of(tid) != process) continue;
    for (const auto& stop : process->inferior().stop_threads(tid)) deliver_stop(stop, process);
  }
}

bool Server::report_status(Session& session) {
  if (!multiplexer_) return false;
  multiplexer_->report_status(session);
  return true;
}

void Server::set_non_stop(Session& session, bool on) {
  session.non_stop = on;
  // Several clients: the inferior is non-stop underneath whatever each one asks.
  if (multiplexer_) return;
  for (Debuggee* process : processes()) process->inferior().set_non_stop(on);
}

void Server::update_pass_signals(Session& session) {
  if (multiplexer_) return multiplexer_->update_pass_signals();
  for (Debuggee* process : processes()) process->inferior().pass_signals = session.pass_signals;
}

void Server::equip(Debuggee& process) {
  // Agent-style dprintf prints where gdbserver prints it: the stub's stdout, which the program
  // shares; over stdio that is the connection, so stderr then.
  process.agent_output = [this](std::string_view text) {
    std::FILE* out = is_stdio() || launch_.stdio_is_connection ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  };
  process.inferior().belongs_elsewhere = [this, &process](pid_t tid, int status) {
    for (Debuggee* other : processes()) {
      if (other == &process || !other->inferior().owns_thread(tid)) continue;
      handed_over_.emplace_back(tid, status);
      asio::post(io_, [this] {
        if (!exiting_) drain_wait_statuses();
      });
      return true;
    }
    return false;
  };
}

void Server::apply_modes() {
  equip(*debuggee_);
  bool non_stop = std::any_of(sessions_.begin(), sessions_.end(), [](const auto& session) { return session->non_stop; });
  debuggee_->inferior().set_non_stop(non_stop);
  multiplexer_.reset();
  multiplex_if_shared();
  update_thread_events();
  update_catch_syscalls();
  open_rendezvous();
}

void Server::update_thread_events() {
  auto any = [&](auto wants) {
    return std::any_of(sessions_.begin(), sessions_.end(), [&](const auto& session) { return session->joined && wants(*session); });
  };
  // A fork child is handed to the one client that debugs the process; with several, children
  // are cleaned and let go as without fork events (docs/multi-client.md).
  bool alone = session_list().size() == 1;
  for (Debuggee* process : processes()) {
    threads::Inferior& inferior = process->inferior();
    inferior.report_thread_events = any([](const Session& session) { return session.thread_events; });
    inferior.report_exec = any([](const Session& session) { return session.client.exec_events; });
    inferior.report_forks = alone && any([](const Session& session) { return session.client.fork_events; });
    inferior.report_vforks = alone && any([](const Session& session) { return session.client.vfork_events; });
  }
}

void Server::update_catch_syscalls() {
  if (!debuggee_ || debuggee_->gone()) return;
  std::optional<std::set<long>> wanted;
  bool every_call = false;  // one client catching every call makes the inferior stop at each
  for (Session* session : session_list()) {
    if (!session->catch_syscalls) continue;
    if (!wanted) wanted.emplace();
    every_call = every_call || session->catch_syscalls->empty();
    wanted->insert(session->catch_syscalls->begin(), session->catch_syscalls->end());
  }
  if (every_call) wanted->clear();
  for (Debuggee* process : processes()) process->inferior().catch_syscalls = wanted;
}

void Server::kill_process(Session* killer) {
  if (!debuggee_ || debuggee_->gone()) return;
  std::fprintf(stderr, "Killing process(es): %d\n", debuggee_->pid());
  debuggee_->kill();
  let_other_processes_go();
  if (multiplexer_ && killer) multiplexer_->process_killed(*killer);
}

bool Server::leave_process(Session& session) {
  if (!multiplexer_ || sessions_.size() < 2) return false;
  std::fprintf(stderr, "Client %d detached; %zu others still debug process %d\n", session.id(), sessions_.size() - 1,
               debuggee_ ? debuggee_->pid() : 0);
  session.joined = false;  // it hears of nothing more, and holds nothing
  multiplexer_->leave(session);
  return true;
}

void Server::detach_process() {
  if (!debuggee_ || debuggee_->gone()) return;
  std::fprintf(stderr, "Detaching from process %d\n", debuggee_->pid());
  debuggee_->detach();
}

Debuggee& Server::start_program(std::vector<std::string> argv, bool beside) {
  if (argv.empty()) throw threads::LaunchError("no program to run: name one with `set remote exec-file`", -1);
  beside = beside && debuggee_ && !debuggee_->gone();
  if (!beside && debuggee_ && !debuggee_->gone()) kill_process();
  last_argv_ = argv;
  threads::LaunchOptions launch = launch_;
  launch.argv = std::move(argv);
  launch.argv.front() = resolve_program(launch.argv.front());
  launch.environment = environment_.entries();
  Debuggee& started = keep(Debuggee::launch(launch), beside);
  std::fprintf(stderr, "Process %s created; pid = %d\n", launch.argv.front().c_str(), started.pid());
  std::fflush(stderr);
  give_terminal_to(started.pid());
  return started;
}

Debuggee& Server::attach_process(pid_t pid, bool beside) {
  if (process(pid) && !process(pid)->gone())
    throw std::runtime_error("process " + std::to_string(pid) + " is already being debugged");
  beside = beside && debuggee_ && !debuggee_->gone();
  auto attached = Debuggee::attach(pid);
  if (!beside && debuggee_ && !debuggee_->gone()) kill_process();
  Debuggee& kept = keep(std::move(attached), beside);
  std::fprintf(stderr, "Attached; pid = %d\n", kept.pid());
  std::fflush(stderr);
  return kept;
}

Debuggee& Server::keep(std::unique_ptr<Debuggee> process, bool beside) {
  if (!beside) {
    debuggee_ = std::move(process);
    apply_modes();
    return *debuggee_;
  }
  Debuggee& added = *process;
  equip(added);
  added.inferior().set_non_stop(debuggee_->inferior().non_stop());
  added.inferior().pass_signals = debuggee_->inferior().pass_signals;
  other_processes_.push_back(std::move(process));
  update_thread_events();
  update_catch_syscalls();
  return added;
}

void Server::request_exit() {
  exiting_ = true;
  asio::post(io_, [this] { shutdown(); });
}

void Server::session_ended(Session& ended) {
  // The session is still on the stack of its own read handler: let it go afterwards.
  asio::post(io_, [this, &ended] {
    if (ended.refused()) {
      std::erase_if(refused_, [&](const auto& session) { return session.get() == &ended; });
      return;
    }
    bool process_alive = debuggee_ && !debuggee_->gone();
    // What the client set goes with it: no int3 of its stays for the next client to trip on.
    try {
      // No longer one of the clients a stop can be told to (or held for) while it leaves.
      ended.joined = false;
      if (multiplexer_)
        multiplexer_->leave(ended);
      else if (process_alive) {
        debuggee_->sites().remove_all_of(ended.id());
        debuggee_->hardware_points().remove_all_of(ended.id());
      }
    } catch (const std::exception& error) {
      debug_event(std::string("while removing what the client left: ") + error.what());
    }
    std::erase_if(sessions_, [&](const auto& session) { return session.get() == &ended; });
    update_catch_syscalls();
    if (!sessions_.empty()) {
      update_thread_events();
      return;
    }
    if (exiting_ || options_.once || is_stdio() || (!process_alive && !options_.multi)) {
      shutdown();
      return;
    }
    // The next client starts in all-stop, with the process stopped, as gdbserver leaves it.
    multiplexer_.reset();
    if (process_alive && debuggee_->inferior().non_stop()) {
      try {
        debuggee_->inferior().set_non_stop(false);
      } catch (const std::exception& error) {
        debug_event(std::string("while stopping the threads for the next client: ") + error.what());
      }
    }
    update_thread_events();
  });
}

// Leaves the program as it was found: a program we started is killed (as gdbserver does), one
// we attached to is detached with every int3 restored. Then the loop runs dry and run() returns.
void Server::shutdown() {
  exiting_ = true;
  let_other_processes_go();
  if (debuggee_ && !debuggee_->gone()) {
    try {
      if (debuggee_->inferior().was_attached())
        detach_process();
      else
        kill_process();
    } catch (const std::exception& error) {
      debug_event(std::string("while letting the program go: ") + error.what());
    }
  }
  for (auto& session : sessions_) session->finish();
  for (auto& session : refused_) session->finish();
  std::error_code ignored;
  child_signals_.cancel(ignored);
  stop_signals_.cancel(ignored);
  listener_.reset();
  rendezvous_.reset();
}

} // namespace xolstub::stub
