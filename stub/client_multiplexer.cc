#include "stub/client_multiplexer.h"

#include <algorithm>
#include <csignal>

#include "stub/debug_log.h"
#include "stub/debuggee.h"
#include "stub/session.h"

namespace xolstub::stub {

using threads::ResumeRequest;
using threads::StopReport;
using Reason = StopReport::Reason;

ClientMultiplexer::ClientMultiplexer(Debuggee& target, SessionList sessions)
    : target_(target), sessions_(std::move(sessions)) {}

void ClientMultiplexer::adopt(Session& session) {
  auto& inferior = target_.inferior();
  // A client in all-stop that waits for a stop had every thread running: they are stopped to
  // change engines (what they stopped for stays pending) and run again at once, below.
  inferior.enter_non_stop();
  ClientView& view = clients_[&session];
  // What the client sees stopped stays held for it: in all-stop, everything unless it waits.
  for (auto& [tid, thread] : inferior.threads()) {
    bool held = session.non_stop ? inferior.stopped_for_client(tid) : !session.waiting_for_stop;
    if (held) threads_[tid].holders.insert(&session);
  }
  view.stopped = !session.non_stop && !session.waiting_for_stop;
  if (session.non_stop || !session.waiting_for_stop) return;
  // Resumed as it was: a thread the client stepped goes on stepping.
  std::vector<pid_t> tids;
  for (auto& [tid, thread] : inferior.threads()) {
    if (thread.stepping) threads_[tid].steppers[&session] = ResumeRequest{tid, true, 0, thread.range_start, thread.range_end};
    tids.push_back(tid);
  }
  run_unheld(tids);
}

void ClientMultiplexer::leave(Session& session) {
  debug_event("client " + std::to_string(session.id()) + " leaves: its breakpoints go, the threads it held run on");
  if (!target_.gone()) {
    target_.sites().remove_all_of(session.id());
    target_.sites().purge_retired({});
    try {
      target_.hardware_points().remove_all_of(session.id());
    } catch (const std::exception& error) {
      debug_event(std::string("while removing its watchpoints: ") + error.what());
    }
  }
  clients_.erase(&session);
  std::vector<pid_t> released;
  for (auto& [tid, view] : threads_) {
    view.steppers.erase(&session);
    view.stop_requests.erase(&session);
    std::erase_if(view.told_later, [&](const auto& later) { return later.first == &session; });
    if (view.holders.erase(&session)) released.push_back(tid);
  }
  if (!target_.gone()) run_unheld(released);
  update_pass_signals();
}

bool ClientMultiplexer::owns_breakpoint(Session& session, std::uint64_t address) {
  const auto* owners = target_.sites().owners_at(address);
  return owners && owners->count(session.id());
}

Session* ClientMultiplexer::session_with_id(int id) {
  for (Session* session : sessions_())
    if (session->id() == id) return session;
  return nullptr;
}

pid_t ClientMultiplexer::main_thread() {
  auto& threads = target_.inferior().threads();
  if (threads.count(target_.pid())) return target_.pid();
  return threads.empty() ? 0 : threads.begin()->first;
}

bool ClientMultiplexer::stopped_in_inferior(pid_t tid) {
  threads::Thread* thread = target_.inferior().find_thread(tid);
  return thread && target_.inferior().stopped_for_client(tid);
}

void ClientMultiplexer::forget_dead_threads() {
  auto& threads = target_.inferior().threads();
  std::erase_if(threads_, [&](const auto& entry) { return !threads.count(entry.first); });
}

std::vector<Session*> ClientMultiplexer::audience(const StopReport& stop, ThreadView& view) {
  std::vector<Session*> told;
  auto add = [&](Session* session) {
    if (session && std::find(told.begin(), told.end(), session) == told.end()) told.push_back(session);
  };
  switch (stop.reason) {
  case Reason::breakpoint:
    for (int owner : target_.take_hit_owners(stop)) {
      if (owner == breakpoints::BreakpointConditions::everyone)
        for (Session* session : sessions_()) add(session);
      else
        add(session_with_id(owner));
    }
    break;
  case Reason::hardware_breakpoint:
  case Reason::watchpoint: {
    auto kind = stop.reason == Reason::hardware_breakpoint ? threads::HardwareKind::execute : stop.watch_kind;
    auto owners = target_.hardware_points().owners_of(kind, stop.address);
    for (int owner : owners) add(session_with_id(owner));
    if (owners.empty())
      for (Session* session : sessions_()) add(session);
    break;
  }
  case Reason::single_step:
    for (auto& [session, request] : view.steppers) add(session);
    break;
  case Reason::interrupted:
    break;  // the stop requests, below
  case Reason::signal:
    for (Session* session : sessions_()) {
      // A client that passes this signal silently does not hear of it, and wants it delivered.
      if (session->pass_signals.count(stop.signal))
        view.signal = stop.signal;
      else
        add(session);
    }
    break;
  case Reason::exec:
    for (Session* session : sessions_())
      if (session->client.exec_events) add(session);
    break;
  case Reason::syscall_entry:
  case Reason::syscall_return:
    for (Session* session : sessions_())
      if (session->catch_syscalls && (session->catch_syscalls->empty() || session->catch_syscalls->count(stop.syscall_number)))
        add(session);
    break;
  case Reason::thread_created:
  case Reason::thread_exited:
    for (Session* session : sessions_())
      if (session->thread_events) add(session);
    break;
  default:
    for (Session* session : sessions_()) add(session);
  }
  return told;
}

void ClientMultiplexer::route(const StopReport& stop) {
  if (stop.process_gone()) return tell_exit(stop);
  // Only clients that run something wait for a stop; "nothing is running" is no news here,
  // since another client may resume the threads.
  if (stop.reason == Reason::no_resumed) return;
  ThreadView& view = threads_[stop.tid];
  std::vector<Session*> told = audience(stop, view);
  std::vector<std::pair<Session*, StopReport>> messages;
  for (Session* session : told) messages.emplace_back(session, stop);
  // A client that asked for this thread to stop hears that it did, whatever it stopped for.
  for (auto& [session, signal] : std::exchange(view.stop_requests, {}))
    if (std::find(told.begin(), told.end(), session) == told.end())
      messages.emplace_back(session, StopReport{Reason::interrupted, stop.tid, signal});
  if (stop.reason == Reason::thread_exited) {
    threads_.erase(stop.tid);
    for (auto& [session, message] : messages)
      if (session->non_stop) session->notify_stop(message);
    return;
  }
  // A breakpoint hit that concerns all-stop and non-stop clients is told to the all-stop ones
  // first and to the others once they let the thread go, before it moves: a non-stop GDB steps
  // over its breakpoint by moving the PC into its scratch pad (displaced stepping), which an
  // all-stop GDB stepping over the same breakpoint in place must not see; and a non-stop client
  // never waits for a thread that an all-stop client holds while that one waits for it in turn.
  bool all_stop_told = std::any_of(messages.begin(), messages.end(), [](const auto& m) { return !m.first->non_stop; });
  if (all_stop_told && stop.reason == Reason::breakpoint) {
    for (auto it = messages.begin(); it != messages.end();) {
      if (!it->first->non_stop) {
        ++it;
        continue;
      }
      view.steppers.erase(it->first);
      view.told_later.push_back(*it);
      it = messages.erase(it);
    }
  }
  for (auto& [session, message] : messages) {
    view.steppers.erase(session);
    view.holders.insert(session);
  }
  if (debug_settings().events) {
    std::string whom;
    for (auto& [session, message] : messages) whom += " " + std::to_string(session->id());
    debug_event("stop of thread " + std::to_string(stop.tid) + " (" + stop.reason_name() + ") " +
                (messages.empty() ? std::string("concerns no client") : "is told to client" + whom));
  }
  for (auto& [session, message] : messages) tell(*session, message);
  run_unheld({stop.tid});
}

void ClientMultiplexer::tell(Session& session, const StopReport& stop) {
  ClientView& view = clients_[&session];
  view.last_stops[stop.tid] = stop;
  if (session.non_stop) return session.notify_stop(stop);
  if (view.stopping || !session.waiting_for_stop) {
    view.deferred.push_back(stop);
    return;
  }
  stop_everything_for(session);
  view.stopped = true;
  session.on_stop(stop);
}

void ClientMultiplexer::tell_exit(const StopReport& stop) {
  threads_.clear();
  for (Session* session : sessions_()) {
    ClientView& view = clients_[session];
    view.deferred.clear();
    if (session->non_stop)
      session->notify_stop(stop);
    else if (session->waiting_for_stop && !view.stopping)
      session->on_stop(stop);
    else
      view.exit_untold = stop;
  }
}

// An all-stop client is told of a stop: every thread stops and is held for it. What the others
// stopped for meanwhile goes to whoever it concerns (to this client, at its next resume).
void ClientMultiplexer::stop_everything_for(Session& session) {
  ClientView& view = clients_[&session];
  view.stopping = true;
  for (auto& [tid, thread] : target_.inferior().threads()) {
    ThreadView& thread_view = threads_[tid];
    thread_view.holders.insert(&session);
    thread_view.steppers.erase(&session);
  }
  route_all(target_.inferior().stop_all_now());
  clients_[&session].stopping = false;
}

void ClientMultiplexer::route_all(const std::vector<StopReport>& stops) {
  for (const auto& stop : stops) {
    if (target_.gone() && !stop.process_gone()) continue;
    target_.note_stop(stop);
    route(stop);
  }
}

void ClientMultiplexer::release(pid_t tid, Session& session, const ResumeRequest& request) {
  ThreadView& view = threads_[tid];
  view.holders.erase(&session);
  if (request.step) view.steppers[&session] = request;
  if (request.signal != 0) view.signal = request.signal;
}

// A thread held only by all-stop clients that are waiting for a stop may take one step that
// another client asked for: they cannot look at it until they are told of a stop, and every
// thread is stopped again before that. One instruction passes no breakpoint of theirs. Without
// this, two clients could wait for each other for ever: an all-stop client stepping one
// thread over its breakpoint (the others held for it) while a non-stop client, which also
// holds that thread, first displaced-steps another.
bool ClientMultiplexer::lendable(pid_t tid, const ThreadView& view) {
  if (view.steppers.empty()) return false;
  return std::all_of(view.holders.begin(), view.holders.end(), [&](Session* holder) {
    const ClientView& client = clients_[holder];
    // A stop it has yet to be told of must find the thread as it stopped.
    bool told_later = std::any_of(client.deferred.begin(), client.deferred.end(),
                                  [&](const StopReport& stop) { return stop.tid == tid; });
    return !holder->non_stop && holder->waiting_for_stop && !client.stopping && !told_later;
  });
}

std::vector<pid_t> ClientMultiplexer::all_threads() {
  std::vector<pid_t> tids;
  for (auto& [tid, thread] : target_.inferior().threads()) tids.push_back(tid);
  return tids;
}

// Runs the threads among `tids` that no client holds (or that can be lent, above), each as
// the clients that resumed it asked: stepping if one stepped it (its range), with the signal
// one passed.
void ClientMultiplexer::run_unheld(const std::vector<pid_t>& tids) {
  if (target_.gone()) return;
  std::vector<ResumeRequest> requests;
  for (pid_t tid : tids) {
    auto it = threads_.find(tid);
    if (it != threads_.end() && it->second.holders.empty() && !it->second.told_later.empty()) {
      // Those told first let it go: now the rest hear of the stop, and hold it in turn.
      for (auto& [session, message] : std::exchange(it->second.told_later, {})) {
        it->second.steppers.erase(session);
        it->second.holders.insert(session);
        debug_event("stop of thread " + std::to_string(tid) + " is told now to client " + std::to_string(session->id()));
        tell(*session, message);
      }
    }
    if (it != threads_.end() && !it->second.holders.empty() && !lendable(tid, it->second)) continue;
    if (!stopped_in_inferior(tid)) continue;
    ResumeRequest request{tid, false, 0};
    if (it != threads_.end()) {
      if (!it->second.steppers.empty()) {
        request = it->second.steppers.begin()->second;
        request.tid = tid;
      }
      request.signal = std::exchange(it->second.signal, 0);
    }
    requests.push_back(request);
  }
  if (requests.empty()) return;
  route_all(target_.inferior().resume(requests));
}

void ClientMultiplexer::log_state(const char* when) {
  if (!debug_settings().events) return;
  std::string text = std::string("threads after ") + when + ":";
  for (auto& [tid, thread] : target_.inferior().threads()) {
    text += " " + std::to_string(tid) + (thread.state == threads::Thread::State::running ? "(running" : "(stopped");
    auto it = threads_.find(tid);
    if (it != threads_.end()) {
      for (Session* holder : it->second.holders) text += " held:" + std::to_string(holder->id());
      for (auto& [stepper, request] : it->second.steppers) text += " step:" + std::to_string(stepper->id());
      for (auto& [later, stop] : it->second.told_later) text += " later:" + std::to_string(later->id());
    }
    text += ")";
  }
  debug_event(text);
}

void ClientMultiplexer::resume(Session& session, std::span<const ResumeRequest> requests) {
  resume_for(session, requests);
  log_state("a resume");
}

void ClientMultiplexer::resume_for(Session& session, std::span<const ResumeRequest> requests) {
  ClientView& view = clients_[&session];
  if (view.exit_untold) {
    StopReport exit = *view.exit_untold;
    view.exit_untold.reset();
    if (session.non_stop) return session.notify_stop(exit);
    return session.reply_stop(exit);
  }
  if (target_.gone()) return session.reply_error(1, "there is no process to resume");
  forget_dead_threads();
  std::set<pid_t> unacknowledged = session.non_stop ? session.unacknowledged_threads() : std::set<pid_t>{};
  auto request_for = [&](pid_t tid) -> const ResumeRequest* {
    for (const auto& request : requests)
      if (request.tid == tid || (request.tid == ResumeRequest::all_threads && !unacknowledged.count(tid))) return &request;
    return nullptr;
  };
  if (!session.non_stop) {
    session.waiting_for_stop = true;
    view.stopped = false;
    for (auto& [tid, thread_view] : threads_) thread_view.steppers.erase(&session);
    // What happened while it was stopped is told first, before anything runs, as gdbserver
    // reports a pending event.
    if (view.interrupt_owed) {
      view.interrupt_owed = false;
      view.stopped = true;
      return session.on_stop(StopReport{Reason::interrupted, main_thread(), SIGINT});
    }
    // A stop of a thread this resume leaves stopped waits for a resume that runs it.
    for (auto it = view.deferred.begin(); it != view.deferred.end();) {
      StopReport stop = *it;
      if (target_.inferior().find_thread(stop.tid) && !request_for(stop.tid)) {
        ++it;
        continue;
      }
      it = view.deferred.erase(it);
      if (!target_.inferior().find_thread(stop.tid)) continue;
      // Its breakpoint went meanwhile: nothing to tell; the thread runs the instruction.
      if (stop.reason == Reason::breakpoint && !owns_breakpoint(session, stop.address)) continue;
      view.stopped = true;
      return session.on_stop(stop);
    }
  }
  std::vector<pid_t> released;
  for (auto& [tid, thread_view] : threads_) {
    if (!thread_view.holders.count(&session)) continue;
    const ResumeRequest* request = request_for(tid);
    if (!request) continue;
    release(tid, session, *request);
    released.push_back(tid);
  }
  // A waiting all-stop client lends the threads it still holds to other clients' steps.
  run_unheld(session.non_stop ? released : all_threads());
}

void ClientMultiplexer::interrupt(Session& session) {
  forget_dead_threads();
  if (!session.non_stop) {
    if (!session.waiting_for_stop) {
      clients_[&session].interrupt_owed = true;
      return;
    }
    pid_t tid = main_thread();
    stop_everything_for(session);
    clients_[&session].stopped = true;
    if (session.waiting_for_stop) session.on_stop(StopReport{Reason::interrupted, tid, SIGINT});
    return;
  }
  // vCtrlC: one thread this client sees running, the main one if it can.
  pid_t chosen = 0;
  for (auto& [tid, thread] : target_.inferior().threads()) {
    if (threads_[tid].holders.count(&session)) continue;
    if (!chosen || tid == target_.pid()) chosen = tid;
  }
  if (!chosen) return;
  if (stopped_in_inferior(chosen)) {
    threads_[chosen].holders.insert(&session);
    return tell(session, StopReport{Reason::interrupted, chosen, SIGINT});
  }
  threads_[chosen].stop_requests[&session] = SIGINT;
  route_all(target_.inferior().stop_threads(chosen));
}

void ClientMultiplexer::stop_threads(Session& session, pid_t tid) {
  forget_dead_threads();
  std::vector<pid_t> running;
  for (auto& [id, thread] : target_.inferior().threads()) {
    if (tid != ResumeRequest::all_threads && id != tid) continue;
    ThreadView& view = threads_[id];
    if (view.holders.count(&session)) continue;
    if (stopped_in_inferior(id)) {
      // Held by another client: stopped already, so this is its stop for this one.
      view.holders.insert(&session);
      tell(session, StopReport{Reason::interrupted, id, 0});
      continue;
    }
    view.stop_requests[&session] = 0;
    running.push_back(id);
  }
  for (pid_t id : running) route_all(target_.inferior().stop_threads(id));
}

void ClientMultiplexer::report_status(Session& session) {
  ClientView& view = clients_[&session];
  forget_dead_threads();
  if (session.non_stop) {
    // A client that just joined sees stopped what is stopped (held by the others).
    bool joined = std::none_of(threads_.begin(), threads_.end(), [&](const auto& entry) { return entry.second.holders.count(&session); });
    std::vector<StopReport> stops;
    for (auto& [tid, thread] : target_.inferior().threads()) {
      ThreadView& thread_view = threads_[tid];
      if (joined && stopped_in_inferior(tid)) thread_view.holders.insert(&session);
      if (!thread_view.holders.count(&session)) continue;
      auto last = view.last_stops.find(tid);
      stops.push_back(last != view.last_stops.end() ? last->second : StopReport{Reason::interrupted, tid, 0});
    }
    return session.restart_stop_queue(stops);
  }
  if (view.exit_untold) return session.reply_stop(*view.exit_untold);
  if (!view.stopped) {
    // A client that just joined in all-stop: the process is stopped for it, as it expects.
    stop_everything_for(session);
    view.stopped = true;
    session.waiting_for_stop = false;
    return session.reply_stop(StopReport{Reason::signal, main_thread(), SIGTRAP});
  }
  auto last = view.last_stops.find(session.selected_thread());
  session.reply_stop(last != view.last_stops.end() ? last->second : StopReport{Reason::signal, main_thread(), SIGTRAP});
}

void ClientMultiplexer::process_killed(Session& killer) {
  StopReport killed{Reason::killed, target_.pid(), SIGKILL};
  tell_exit(killed);
  clients_[&killer].exit_untold.reset();
}

void ClientMultiplexer::update_pass_signals() {
  if (target_.gone()) return;
  auto sessions = sessions_();
  std::set<int> common;
  if (!sessions.empty()) common = sessions.front()->pass_signals;
  for (Session* session : sessions) {
    std::set<int> both;
    std::ranges::set_intersection(common, session->pass_signals, std::inserter(both, both.begin()));
    common = std::move(both);
  }
  target_.inferior().pass_signals = common;
}

} // namespace xolstub::stub
