// Several clients on one process (docs/multi-client.md). The stub is the process's one ptrace
// tracer; the inferior runs in non-stop underneath, and this class gives each client its own
// view of it:
//
// - A thread runs while no client holds it. A client holds a thread from the moment a stop of
//   that thread is reported to it until it resumes the thread (or leaves).
// - A stop is reported only to the clients it concerns: a breakpoint hit to the owners whose
//   condition held, a finished step to the clients that stepped the thread, an interrupt to
//   the client that asked for it; signals, exits and new threads (to those who asked) to all.
//   A stop that concerns nobody is no stop: the thread goes on.
// - An all-stop client that is told of a stop stops every thread (they are all held for it
//   until it resumes them), as all-stop promises; what else happens meanwhile that concerns it
//   is told at its next resume, one stop at a time, as gdbserver's pending events are.
// - A non-stop client sees only the stops reported to it; a thread another client holds is
//   running as far as it knows.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "threads/inferior.h"

namespace xolstub::stub {

class Debuggee;
class Session;

class ClientMultiplexer {
public:
  using SessionList = std::function<std::vector<Session*>()>;
  ClientMultiplexer(Debuggee& target, SessionList sessions);

  // Takes over a process that the session debugged alone (or a new process every client
  // sees stopped): the inferior goes non-stop, and the threads the session sees stopped stay
  // held for it.
  void adopt(Session& session);
  // The client is gone: its breakpoints and watchpoints go, and the threads it held run on
  // unless another client holds them.
  void leave(Session& session);

  // A stop from the inferior.
  void route(const threads::StopReport& stop);
  // The session's resume (all-stop: the stop reply follows; non-stop: already answered OK).
  void resume(Session& session, std::span<const threads::ResumeRequest> requests);
  // 0x03 (all-stop) or vCtrlC (non-stop: one thread, with SIGINT).
  void interrupt(Session& session);
  // Non-stop vCont;t.
  void stop_threads(Session& session, pid_t tid);
  // `?`: all-stop, the session's last stop (a client that just joined stops everything first);
  // non-stop, one stop per thread it holds.
  void report_status(Session& session);
  // `k` or vKill from one client: the others hear of the exit (the killer expects nothing).
  void process_killed(Session& killer);
  // QPassSignals: the inferior passes silently only what every client passes.
  void update_pass_signals();

private:
  struct ThreadView {
    std::set<Session*> holders;
    // Clients that resumed the thread with a step (range stepping included): a finished step
    // is theirs. Everyone else resumed it with a plain continue.
    std::map<Session*, threads::ResumeRequest> steppers;
    // Non-stop vCont;t / vCtrlC in flight: the client and the signal its stop reports.
    std::map<Session*, int> stop_requests;
    int signal = 0;  // delivered when the thread next runs
    // Non-stop clients a stop also concerns, told once the all-stop clients that were told
    // first let the thread go (see route()).
    std::vector<std::pair<Session*, threads::StopReport>> told_later;
  };
  struct ClientView {
    bool stopped = false;    // all-stop: the client sees the process stopped
    bool stopping = false;   // all-stop: every thread is being stopped for it now
    bool interrupt_owed = false;
    std::deque<threads::StopReport> deferred;  // all-stop: told at its next resume
    std::optional<threads::StopReport> exit_untold;
    std::map<pid_t, threads::StopReport> last_stops;  // what `?` repeats
  };

  std::vector<Session*> audience(const threads::StopReport& stop, ThreadView& view);
  void tell(Session& session, const threads::StopReport& stop);
  void tell_exit(const threads::StopReport& stop);
  void stop_everything_for(Session& session);
  void release(pid_t tid, Session& session, const threads::ResumeRequest& request);
  void run_unheld(const std::vector<pid_t>& tids);
  bool lendable(pid_t tid, const ThreadView& view);
  void resume_for(Session& session, std::span<const threads::ResumeRequest> requests);
  void log_state(const char* when);
  std::vector<pid_t> all_threads();
  void route_all(const std::vector<threads::StopReport>& stops);
  void forget_dead_threads();
  Session* session_with_id(int id);
  bool owns_breakpoint(Session& session, std::uint64_t address);
  pid_t main_thread();
  bool stopped_in_inferior(pid_t tid);

  Debuggee& target_;
  SessionList sessions_;
  std::map<pid_t, ThreadView> threads_;
  std::map<Session*, ClientView> clients_;
};

} // namespace xolstub::stub
