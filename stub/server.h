// The stub's one event loop: the listener, the client sessions, the debugged process, SIGCHLD
// turned into waitpid() draining, and the lifecycle messages gdbserver prints.
#pragma once
#include <deque>
#include <set>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <asio.hpp>

#include "stub/client_multiplexer.h"
#include "stub/debuggee.h"
#include "stub/dispatcher.h"
#include "stub/options.h"
#include "stub/program_environment.h"
#include "stub/session.h"
#include "stub/transport.h"

namespace xolstub::stub {

class Server {
public:
  explicit Server(Options options);
  ~Server();
  // Starts or attaches to the program named on the command line, listens, serves clients, and
  // returns the process exit code. Clients come from `listener`, or from the command line's
  // COMM when it is null (fuzz/ hands in an in-memory one).
  int run(std::unique_ptr<Listener> listener = nullptr);

  const Options& options() const { return options_; }
  // The loop everything runs on; a listener handed to run() posts its clients' I/O to it.
  asio::io_context& io() { return io_; }
  const Dispatcher& dispatcher() const { return dispatcher_; }
  Debuggee* debuggee() { return debuggee_.get(); }
  // The process `pid` names: the one debugged, or the child of a reported fork the client has
  // not let go yet; any (0) or all (-1) means the one debugged. nullptr: none of ours.
  Debuggee* process(pid_t pid);
  // The process thread `tid` belongs to (the one debugged when no process knows it).
  Debuggee* owner_of(pid_t tid);
  // Every live process: the one debugged first, then fork children (detach-on-fork off).
  std::vector<Debuggee*> processes();
  // D;PID of a fork child: it goes, the rest stays (true). A detach of the debugged process
  // while a fork child remains makes the child the one debugged (follow-fork-mode child).
  bool detach_fork_child(pid_t pid);
  // A vfork child about to run or get an int3 in the memory it shares with its parent: the
  // int3s the parent's client gave up on (kept for a step-over the blocked parent will not
  // make) go first, so the child neither trips on them nor takes one for the program's byte.
  void settle_vfork_parent(Debuggee& process);
  // The other processes whose memory is `process`'s (its vfork parent, its vfork children).
  std::vector<Debuggee*> memory_sharers(Debuggee& process);
  // vKill;PID of one of several processes: that one dies, the others stay (true). False when it
  // is the only one.
  bool kill_one_of_several(pid_t pid);
  bool is_stdio() const { return listener_ && listener_->is_stdio(); }

  // Resumes as the session asks. All-stop: the stop reply comes through session.on_stop().
  // Non-stop: the reply is OK, and stops follow as notifications.
  void resume(Session& session, std::span<const threads::ResumeRequest> requests);
  void interrupt(Session& session);
  // Non-stop (QNonStop): the session sees each thread stop on its own. A client alone sets
  // the inferior's mode; with several, the inferior runs non-stop underneath (multiplexed).
  void set_non_stop(Session& session, bool on);
  // Non-stop vCont;t: stops the thread (or every thread, for all_threads).
  void stop_threads(Session& session, pid_t tid);
  // `?` when several clients share the process (true: answered); false: answer as usual.
  bool report_status(Session& session);
  // QThreadEvents (or exec-events+) from any client: the inferior reports thread creation and
  // exit (or exec).
  void update_thread_events();
  // QCatchSyscalls from any client: the inferior stops at the system calls any client catches.
  void update_catch_syscalls();
  // QPassSignals from a client: the inferior passes silently what every client passes.
  void update_pass_signals(Session& session);
  // k / vKill from `killer` (null: the stub itself); every other client hears of the exit.
  void kill_process(Session* killer = nullptr);
  void detach_process();
  // D while other clients debug the process: only this client lets go (true). False when it is
  // the only one: the process is detached.
  bool leave_process(Session& session);
  // vAttach by a --multi client to the process another client debugs: it joins.
  void join_process(Session& session);
  // Another client debugs the live process (a vRun would take it away from them).
  bool others_debug(const Session& session) const;
  // Extended remote (vRun, R, vAttach): replaces whatever process there was, or, `beside` it
  // (a multiprocess extended-remote client: another inferior), adds one. Return the new one.
  // Throw threads::LaunchError / std::runtime_error with a message for the client.
  Debuggee& start_program(std::vector<std::string> argv, bool beside = false);
  Debuggee& attach_process(pid_t pid, bool beside = false);
  // What the next start_program() uses: set by QStartupWithShell, QSetWorkingDir, ...
  threads::LaunchOptions& launch_settings() { return launch_; }
  ProgramEnvironment& program_environment() { return environment_; }
  // The program and arguments start_program() ran last (or the command line's).
  const std::vector<std::string>& last_argv() const { return last_argv_; }
  std::string last_program() const { return last_argv_.empty() ? std::string() : last_argv_.front(); }
  // `monitor exit`: leave once the replies are out.
  void request_exit();
  void session_ended(Session& session);

private:
  void listen();
  // Accepts clients from `listener`, one after another while `keep_listening`.
  void accept_from(Listener& listener, bool keep_listening);
  // The per-process socket a second `xolstub --attach` joins through (stub/rendezvous.h).
  void open_rendezvous();
  void refuse(std::unique_ptr<ByteStream> stream, const std::string& why);
  // Several clients on one live process: the multiplexer takes over (docs/multi-client.md).
  void multiplex_if_shared(Session* newcomer = nullptr);
  std::vector<Session*> session_list();
  void watch_signals();
  void watch_child_signals();
  void drain_wait_statuses();
  // `from`: the process that stopped (nullptr: the one debugged).
  void deliver_stop(const threads::StopReport& stop, Debuggee* from = nullptr);
  // The requests of a resume that concern `process` (a thread is resumed by its own process).
  std::vector<threads::ResumeRequest> requests_for(Debuggee& process, std::span<const threads::ResumeRequest> requests);
  // Fork children that died are forgotten once told; the debugged process's place goes to a child.
  void forget_gone_processes();
  // A fork (vfork) was reported: its child becomes a process the client can address.
  void adopt_fork_child(const threads::StopReport& stop, Debuggee& parent);
  // The debugged process is gone or detached and a fork child remains: the child takes its place.
  void promote_fork_child();
  void let_other_processes_go();
  Debuggee* running_process();
  // processes() and the dead ones not forgotten yet.
  std::vector<Debuggee*> all_processes();
  // gives a Debuggee what every process of ours has (agent output)
  void equip(Debuggee& process);
  // A new process takes the first one's place, or is added beside it.
  Debuggee& keep(std::unique_ptr<Debuggee> process, bool beside);
  void announce_exit(const threads::StopReport& stop);
  void shutdown();
  // Gives a new process the modes the clients asked for.
  void apply_modes();

  Options options_;
  threads::LaunchOptions launch_;
  ProgramEnvironment environment_;
  std::vector<std::string> last_argv_;
  asio::io_context io_;
  asio::signal_set child_signals_{io_, SIGCHLD};
  asio::signal_set stop_signals_{io_, SIGTERM, SIGINT, SIGHUP};
  Dispatcher dispatcher_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Listener> rendezvous_;
  std::unique_ptr<Debuggee> debuggee_;
  // Every process beside the first: children of reported forks and vforks (until the client
  // detaches them, or their parent), and programs a multiprocess extended-remote client ran or
  // attached to while the first one lived (`add-inferior`, `run`).
  std::vector<std::unique_ptr<Debuggee>> other_processes_;
  // Wait statuses one process's blocking wait read for another's thread, handled next.
  std::deque<std::pair<pid_t, int>> handed_over_;
  // Processes beside the first that died and were forgotten (a later D;PID of one succeeds).
  std::set<pid_t> forgotten_;
  std::unique_ptr<ClientMultiplexer> multiplexer_;  // while several clients share the process
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<Session>> refused_;  // beyond --max-clients: told why, then let go
  int next_session_id_ = 1;
  bool exiting_ = false;
};

} // namespace xolstub::stub
