#include "threads/inferior.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <utility>

#include "threads/attach_diagnosis.h"
#include "threads/event_log.h"
#include "threads/proc_info.h"
#include "threads/ptrace_ops.h"
#include "threads/wait_event.h"

namespace xolstub::threads {

Inferior::Inferior(pid_t pid, bool attached)
    : pid_(pid), attached_(attached), memory_(std::make_unique<ProcessMemory>(pid)) {}

Inferior::~Inferior() = default;

std::unique_ptr<Inferior> Inferior::launch(const LaunchOptions& options) {
  pid_t pid = launch_traced(options);
  std::unique_ptr<Inferior> inferior(new Inferior(pid, false));
  inferior->threads_.emplace(pid, Thread(pid, Thread::State::stopped));
  return inferior;
}

std::unique_ptr<Inferior> Inferior::attach(pid_t pid) {
  if (!process_exists(pid)) throw std::runtime_error("Cannot attach to process " + std::to_string(pid) + ": No such process");
  std::unique_ptr<Inferior> inferior(new Inferior(pid, true));
  // Threads may be created while we attach: repeat until a pass finds no new one.
  for (bool found_new = true; found_new;) {
    found_new = false;
    for (pid_t tid : list_tasks(pid)) {
      if (inferior->threads_.count(tid)) continue;
      try {
        ptrace_seize(tid, default_ptrace_options(false));
      } catch (const PtraceError& error) {
        if (error.error() == ESRCH) continue;  // exited meanwhile
        if (tid == pid) {
          // The bare errno leaves the user guessing; say why, from /proc, when it can be told.
          std::string why = explain_attach_failure(pid, error.error());
          throw std::runtime_error("Cannot attach to process " + std::to_string(pid) + ": " + error.what() +
                                   (why.empty() ? "" : ". " + why));
        }
        continue;
      }
      ptrace_interrupt(tid);
      inferior->threads_.emplace(tid, Thread(tid, Thread::State::running)).first->second.stop_requested = true;
      found_new = true;
    }
  }
  // Collect each thread's first stop. Clone events from threads we already seized bring the new
  // threads in automatically (they start stopped).
  while (!inferior->all_stopped()) {
    int status = 0;
    pid_t tid = wait_retrying(-1, &status, __WALL);
    if (tid < 0) throw std::runtime_error(std::string("waitpid while attaching: ") + std::strerror(errno));
    // A thread that stopped for something else first keeps it for the client.
    if (auto stop = inferior->handle_wait_status(tid, status))
      if (Thread* thread = inferior->find_thread(stop->tid)) thread->pending = stop;
  }
  return inferior;
}

Thread* Inferior::find_thread(pid_t tid) {
  auto it = threads_.find(tid);
  return it == threads_.end() ? nullptr : &it->second;
}

bool Inferior::all_stopped() const {
  return std::all_of(threads_.begin(), threads_.end(),
                     [](const auto& entry) { return entry.second.state == Thread::State::stopped; });
}

bool Inferior::stopped_for_client(pid_t tid) const {
  auto it = threads_.find(tid);
  if (it == threads_.end() || it->second.state != Thread::State::stopped) return false;
  return !is_held(tid);
}

bool Inferior::is_held(pid_t tid) const {
  return std::any_of(held_.begin(), held_.end(), [&](const Held& h) { return h.tid == tid; });
}

// `step` is the client's (or range stepping's) single-step; a step-over that steps in a slot or in
// place adds its own, which classify_trap never mistakes for the client's.
void Inferior::resume_thread(Thread& thread, bool step, int signal) {
  try {
    thread.flush_registers();
  } catch (const PtraceError& error) {
    if (error.error() != ESRCH) throw;  // gone: see below
  }
  thread.stepping = step;
  step = step || thread.step_over_steps;
  if (event_log_enabled())
    log_event(std::string(step ? "PTRACE_SINGLESTEP" : "PTRACE_CONT") + " thread " + std::to_string(thread.tid) +
              " signal " + std::to_string(signal));
  if (signal != 0 && !thread.in_signal_delivery_stop) {
    log_event("thread " + std::to_string(thread.tid) + " is not in a signal-delivery-stop: signal " +
              std::to_string(signal) + " sent with tgkill");
    if (::syscall(SYS_tgkill, pid_, thread.tid, signal) == 0) thread.injected_signal = signal;
    signal = 0;
  }
  thread.in_signal_delivery_stop = false;
  thread.in_syscall_stop = false;
  try {
    // Out of line, a system call would stop with the PC in a slot: a slot runs plainly.
    if (step)
      ptrace_step(thread.tid, signal);
    else if (catch_syscalls && !thread.in_step_over)
      ptrace_syscall(thread.tid, signal);
    else
      ptrace_cont(thread.tid, signal);
  } catch (const PtraceError& error) {
    // Killed while stopped (another thread's exit_group, a SIGKILL from outside): it is no
    // longer in a ptrace-stop, and its exit is on its way; wait for that like for any runner.
    if (error.error() != ESRCH) throw;
    log_event("thread " + std::to_string(thread.tid) + " vanished before it could be resumed");
  }
  thread.state = Thread::State::running;
}

bool Inferior::is_our_int3(std::uint64_t address) const {
  return (is_breakpoint_site && is_breakpoint_site(address)) || (is_retired_site && is_retired_site(address));
}

bool Inferior::sits_on_hit_site(Thread& thread) {
  return step_over && thread.hit_site && thread.registers().pc() == *thread.hit_site && is_our_int3(*thread.hit_site);
}

// Asks the handler to get the thread past the breakpoint it sits on and remembers how, so its
// next stop is settled.
StepOverStart Inferior::begin_step_over(Thread& thread) {
  thread.hit_site.reset();
  StepOverStart start = step_over->start(thread);
  if (start.action == StepOverStart::Action::run || start.action == StepOverStart::Action::step) {
    thread.in_step_over = true;
    thread.step_over_steps = start.action == StepOverStart::Action::step;
    thread.exclusive_step = start.exclusive;
  }
  return start;
}

// Resumes one thread on its own (a silent re-hit, a false target-side condition, a passed
// signal), getting it past the breakpoint it sits on first. A single-step that the emulated
// instruction already completed (and that left its range) is not resumed: its stop is
// returned, to report.
std::optional<StopReport> Inferior::resume_one_past_site(Thread& thread, bool step) {
  if (sits_on_hit_site(thread)) {
    // Non-stop: an in-place step-over needs the running threads stopped first (what they
    // stop for meanwhile is queued for take_reports()); if another one is already stepping
    // in place, this thread waits for it.
    if (non_stop_ && step_over->steps_in_place(thread)) {
      if (exclusive_step_running()) {
        held_.push_back({thread.tid, step, 0});
        return std::nullopt;
      }
      park_running();
      if (gone_) return std::nullopt;
    }
    if (begin_step_over(thread).action == StepOverStart::Action::done && step && !thread.pc_in_step_range())
      return StopReport{StopReport::Reason::single_step, thread.tid, SIGTRAP};
  }
  thread.hit_site.reset();
  resume_thread(thread, step, 0);
  return std::nullopt;
}

void Inferior::resume_held() {
  std::vector<Held> held;
  held.swap(held_);
  if (holding()) return;  // the world is being stopped: they stay as they are
  // One that had already begun an in-place step-over of its own (its int3 is lifted) goes
  // next, alone; the rest wait for it in turn.
  auto next_exclusive = std::find_if(held.begin(), held.end(), [&](const Held& h) {
    const Thread* thread = find_thread(h.tid);
    return thread && thread->exclusive_step && thread->state == Thread::State::stopped;
  });
  if (next_exclusive != held.end()) {
    Held chosen = *next_exclusive;
    held.erase(next_exclusive);
    held_ = std::move(held);
    resume_thread(*find_thread(chosen.tid), chosen.step, chosen.signal);
    return;
  }
  for (std::size_t i = 0; i < held.size(); ++i) {
    // One of them began an in-place step-over of its own: the rest wait for that one.
    if (exclusive_step_running()) {
      held_.insert(held_.end(), held.begin() + static_cast<std::ptrdiff_t>(i), held.end());
      return;
    }
    Thread* thread = find_thread(held[i].tid);
    if (!thread || thread->state != Thread::State::stopped) continue;
    // Held before it could be moved past the breakpoint it sits on (non-stop).
    if (held[i].signal == 0 && !thread->in_step_over && sits_on_hit_site(*thread)) {
      if (auto stepped = resume_one_past_site(*thread, held[i].step))
        if (auto stop = report(*thread, *stepped)) queued_reports_.push_back(*stop);
    } else
      resume_thread(*thread, held[i].step, held[i].signal);
    if (gone_) return;
  }
}

// Sends a thread that stopped for our own bookkeeping back to what it was doing, unless the
// world is being stopped, in which case this stop is as good as the one we asked for. In
// non-stop, a thread the client asked to stop stays stopped: its stop is returned, to report.
std::optional<StopReport> Inferior::keep_running(Thread& thread) {
  if (non_stop_ && thread.client_stop) return StopReport{StopReport::Reason::interrupted, thread.tid, thread.stop_signal};
  if (holding()) {
    hold(thread, thread.stepping);
    return std::nullopt;
  }
  return resume_one_past_site(thread, thread.stepping);
}

std::optional<StopReport> Inferior::keep_running_or_report(Thread& thread) {
  if (auto stop = keep_running(thread)) return report(thread, *stop);
  return finish_stop_if_complete();
}

// The signal a thread resumes with: the client's, else one deferred from an earlier resume.
int Inferior::signal_for(Thread& thread, const ResumeRequest& request) {
  int deferred = std::exchange(thread.deferred_signal, 0);
  return request.signal != 0 ? request.signal : deferred;
}

std::vector<StopReport> Inferior::resume(std::span<const ResumeRequest> requests,
                                         const std::set<pid_t>& unacknowledged) {
  std::vector<StopReport> reports;
  struct Plan { Thread* thread; const ResumeRequest* request; int signal = 0; };
  std::vector<Plan> plan;
  for (auto& [tid, thread] : threads_) {
    pid_t id = tid;  // clang 14 cannot capture a structured binding
    auto request = std::find_if(requests.begin(), requests.end(), [&](const ResumeRequest& r) {
      return r.tid == id || (r.tid == ResumeRequest::all_threads && !unacknowledged.count(id));
    });
    // A held (parked) thread is running as far as the client knows.
    if (request != requests.end() && thread.state == Thread::State::stopped && !(non_stop_ && is_held(tid)))
      plan.push_back({&thread, &*request});
  }
  // A thread that already has something to say speaks before anything runs. All-stop: the
  // signals the others were to be resumed with wait for their next resume. Non-stop: it stays
  // stopped and the others run.
  auto defer_signals = [&](const Thread& speaker) {
    for (auto& entry : plan)
      if (entry.thread != &speaker && entry.request->signal != 0) entry.thread->deferred_signal = entry.request->signal;
  };
  for (auto entry = plan.begin(); entry != plan.end();) {
    Thread& thread = *entry->thread;
    std::optional<StopReport> said;
    while (thread.pending && !said) {
      StopReport stop = *thread.pending;
      thread.pending.reset();
      // A breakpoint removed since the hit was recorded: the PC is already back on it, so
      // the thread simply executes the original instruction when it runs.
      if (stop.reason == StopReport::Reason::breakpoint && !(is_breakpoint_site && is_breakpoint_site(stop.address)))
        continue;
      // The end of a step the client has since stopped asking for (it steps another thread
      // now, this one only continues): the step is done, nothing to report.
      if (stop.reason == StopReport::Reason::single_step && !entry->request->step) continue;
      said = stop;
    }
    if (!said) {
      ++entry;
      continue;
    }
    if (!non_stop_) {
      defer_signals(thread);
      return {*said};
    }
    if (entry->request->signal != 0) thread.deferred_signal = entry->request->signal;
    reports.push_back(*said);
    entry = plan.erase(entry);
  }
  // A Ctrl-C that a real event beat: reported now, before anything runs, for the thread the
  // client steps (or the first it resumes).
  if (interrupt_owed_ && !non_stop_ && !plan.empty()) {
    interrupt_owed_ = false;
    auto chosen = std::find_if(plan.begin(), plan.end(), [](const Plan& p) { return p.request->step; });
    if (chosen == plan.end()) chosen = plan.begin();
    Thread& speaker = *chosen->thread;
    defer_signals(speaker);  // every signal, its own too, waits for the next resume
    if (chosen->request->signal != 0) speaker.deferred_signal = chosen->request->signal;
    return {StopReport{StopReport::Reason::interrupted, speaker.tid, SIGINT}};
  }
  std::set<std::uint64_t> stepping_sites;
  for (auto& entry : plan) {
    Thread& thread = *entry.thread;
    entry.signal = signal_for(thread, *entry.request);
    thread.client_step = entry.request->step;
    thread.range_start = entry.request->range_start;
    thread.range_end = entry.request->range_end;
    // A signal is delivered from the breakpoint itself (no signal frame may hold a slot
    // address). The handler's return onto the int3 is reported: GDB puts a step-resume
    // breakpoint there to step over the breakpoint once the handler is done.
    if (entry.signal != 0 || !sits_on_hit_site(thread)) thread.hit_site.reset();
    if (thread.hit_site) stepping_sites.insert(*thread.hit_site);
  }
  // A breakpoint the client removed stays in memory only while nothing runs but threads taking
  // one plain step off it (GDB's own z0/step/Z0); when any thread continues or range-steps, it
  // goes now (that thread could come round to it again), and a thread on it simply executes the
  // original instruction.
  bool only_steppers = std::all_of(plan.begin(), plan.end(), [](const Plan& p) {
    return p.thread->hit_site && p.request->step && p.request->range_start == p.request->range_end;
  });
  if (before_resume && !plan.empty()) before_resume(only_steppers ? stepping_sites : std::set<std::uint64_t>{});
  for (auto& entry : plan)
    if (entry.thread->hit_site && !is_our_int3(*entry.thread->hit_site)) entry.thread->hit_site.reset();

  // A client's step over an emulated instruction is finished before anything runs; if it left
  // the step's range it is reported at once, before any other thread is moved into a slot (the
  // client would read a slot address) or has its int3 lifted for an in-place step.
  // All-stop: only the first such thread is looked at (GDB steps one thread at a time), so
  // nothing else has started a step-over when it returns.
  for (auto entry = plan.begin(); entry != plan.end();) {
    Thread& thread = *entry->thread;
    if (!thread.hit_site || !thread.client_step) {
      ++entry;
      continue;
    }
    if (begin_step_over(thread).action == StepOverStart::Action::done) {
      if (!thread.pc_in_step_range()) {
        StopReport stepped{StopReport::Reason::single_step, thread.tid, SIGTRAP};
        if (!non_stop_) {
          running_ = false;
          return {stepped};
        }
        reports.push_back(stepped);
        entry = plan.erase(entry);
        continue;
      }
    }
    if (!non_stop_) break;
    ++entry;
  }
  // Non-stop: an instruction that can only be stepped in place needs every other thread
  // stopped first, the running ones included; they are parked, and let go after it.
  if (non_stop_ && step_over && !exclusive_step_running()) {
    bool in_place = std::any_of(plan.begin(), plan.end(), [&](const Plan& p) {
      return p.thread->hit_site && step_over->steps_in_place(*p.thread);
    });
    if (in_place) {
      park_running();
      if (gone_) {
        std::ranges::move(take_reports(), std::back_inserter(reports));
        return reports;
      }
    }
  }
  for (auto& entry : plan)
    if (entry.thread->hit_site) begin_step_over(*entry.thread);
  // An instruction that can only be stepped in place goes first, alone; the rest wait (in
  // non-stop, also for one already stepping in place).
  Thread* exclusive = nullptr;
  for (auto& entry : plan)
    if (entry.thread->exclusive_step && !exclusive) exclusive = entry.thread;
  bool wait_for_other = non_stop_ && !exclusive && exclusive_step_running();
  if (!non_stop_) running_ = !plan.empty();
  for (auto& entry : plan) {
    Thread& thread = *entry.thread;
    if ((exclusive && &thread != exclusive) || wait_for_other) {
      held_.push_back({thread.tid, entry.request->step, entry.signal});
      continue;
    }
    resume_thread(thread, entry.request->step, entry.signal);
  }
  std::ranges::move(take_reports(), std::back_inserter(reports));
  // Nothing runs and nothing was said: a client waiting for a stop would wait for ever.
  if (reports.empty() && all_stopped() && held_.empty())
    reports.push_back(StopReport{StopReport::Reason::no_resumed, 0, 0});
  return reports;
}

bool Inferior::exclusive_step_running() const {
  return std::any_of(threads_.begin(), threads_.end(), [](const auto& entry) { return entry.second.exclusive_step; });
}

void Inferior::hold(Thread& thread, bool step) {
  thread.stop_requested = false;
  if (parking_) held_.push_back({thread.tid, step, 0});
}

// Stops every running thread and waits until they are: what they stop for is reported as
// usual (non-stop), and those stopped only for this are held, to run again after the in-place
// step-over. Blocking is fine: an interrupt stops a thread at once, even in a system call.
void Inferior::park_running() {
  log_event("parking every running thread for an in-place step-over");
  parking_ = true;
  stop_all_running();
  wait_until_all_stopped([&](const StopReport& stop) { queued_reports_.push_back(stop); });
  parking_ = false;
}

void Inferior::wait_until_all_stopped(const std::function<void(const StopReport&)>& take) {
  while (!gone_ && !all_stopped()) {
    int status = 0;
    pid_t tid = wait_retrying(-1, &status, __WALL);
    if (tid < 0) return;
    if (auto stop = handle_wait_status(tid, status)) take(*stop);
  }
}

void Inferior::keep_pending(const StopReport& stop) {
  if (Thread* thread = find_thread(stop.tid); thread && !stop.process_gone()) thread->pending = stop;
}

void Inferior::set_non_stop(bool on) {
  if (on == non_stop_) return;
  if (on) {
    non_stop_ = true;
    return;
  }
  // All-stop from here: the threads the client had running stop now, and what they stopped
  // for waits as pending, reported when they are next resumed.
  stop_all_and_wait();
}

// Only a leader outlives itself as a zombie while other threads run (another thread's exit is
// reported to us at once), so only the leader's /proc entry is read.
bool Inferior::leader_is_zombie(pid_t tid) const { return tid == pid_ && thread_is_zombie(pid_, tid); }

std::vector<StopReport> Inferior::stop_all_now() {
  std::vector<StopReport> reports = stop_threads(ResumeRequest::all_threads);
  for (auto& [tid, thread] : threads_) {
    // A zombie leader (or a thread on its way out) never stops: it is not waited for.
    if (thread.state == Thread::State::running && !thread.stop_requested) thread.state = Thread::State::stopped;
  }
  while (!gone_ && !all_stopped()) {
    int status = 0;
    pid_t tid = wait_retrying(-1, &status, __WALL);
    if (tid < 0) break;
    if (auto stop = handle_wait_status(tid, status)) reports.push_back(*stop);
    std::ranges::move(take_reports(), std::back_inserter(reports));
  }
  return reports;
}

void Inferior::enter_non_stop() {
  if (non_stop_) return;
  halt();
  non_stop_ = true;
}

std::optional<StopReport> Inferior::halt() {
  if (gone_) return std::nullopt;
  std::optional<StopReport> exit;
  if (!all_stopped()) {
    stopping_ = true;
    stop_all_running();
    wait_until_all_stopped([&](const StopReport& stop) {
      if (stop.process_gone())
        exit = stop;
      else
        keep_pending(stop);
    });
  }
  stopping_ = interrupting_ = running_ = false;
  stopping_for_.reset();
  return exit;
}

bool Inferior::owns_thread(pid_t tid) const {
  return threads_.count(tid) || vfork_children_.count(tid) || (!gone_ && is_our_thread(tid));
}

std::vector<StopReport> Inferior::stop_threads(pid_t tid) {
  std::vector<StopReport> reports;
  for (auto& [id, thread] : threads_) {
    if (tid != ResumeRequest::all_threads && id != tid) continue;
    pid_t wanted = id;  // clang 14 cannot capture a structured binding
    auto held = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.tid == wanted; });
    if (held != held_.end()) {
      // Parked behind an in-place step-over: already stopped, so this is its stop, once it is
      // out of the slot it may have been moved into.
      held_.erase(held);
      undo_unstarted_step_over(thread);
      reports.push_back(StopReport{StopReport::Reason::interrupted, id, 0});
      continue;
    }
    if (thread.state != Thread::State::stopped && !thread.client_stop) request_client_stop(thread, 0);
  }
  return reports;
}

void Inferior::request_client_stop(Thread& thread, int signal) {
  thread.client_stop = true;
  thread.stop_signal = signal;
  if (thread.state == Thread::State::starting || thread.stop_requested) return;  // its stop is coming
  if (thread.zombie || leader_is_zombie(thread.tid)) {  // never stops: nothing waits for it
    thread.zombie = true;
    thread.state = Thread::State::stopped;
    return;
  }
  try {
    log_event("PTRACE_INTERRUPT thread " + std::to_string(thread.tid) + " (the client stops it)");
    ptrace_interrupt(thread.tid);
    thread.stop_requested = true;
  } catch (const PtraceError&) {
    // On its way out: its exit is what comes next.
  }
}

// A held thread may have been moved into a slot without running: back onto its breakpoint.
void Inferior::undo_unstarted_step_over(Thread& thread) {
  if (!thread.in_step_over || !step_over) return;
  thread.in_step_over = thread.step_over_steps = thread.exclusive_step = false;
  if (step_over->settle(thread, false) == Settled::rolled_back) thread.hit_site = thread.registers().pc();
}

void Inferior::site_removed(std::uint64_t address) {
  for (auto& [tid, thread] : threads_)
    if (thread.state != Thread::State::stopped) thread.removed_while_running.insert(address);
}

void Inferior::stop_all_running() {
  for (auto& [tid, thread] : threads_) {
    if (thread.state != Thread::State::running || thread.stop_requested) continue;
    if (thread.zombie || leader_is_zombie(tid)) {
      log_event("thread " + std::to_string(tid) + " has exited (a zombie leader): not waited for");
      thread.zombie = true;
      thread.state = Thread::State::stopped;
      continue;
    }
    try {
      log_event("PTRACE_INTERRUPT thread " + std::to_string(tid));
      ptrace_interrupt(tid);
      thread.stop_requested = true;
    } catch (const PtraceError&) {
      // A zombie leader or a thread on its way out never stops; do not wait for it.
      thread.state = Thread::State::stopped;
    }
  }
}

std::optional<StopReport> Inferior::interrupt() {
  if (gone_) return std::nullopt;
  if (non_stop_) {
    // Ctrl-C: one running thread (the main one if it runs) stops and reports SIGINT, as the
    // program's SIGINT would be reported; nothing else stops.
    Thread* chosen = nullptr;
    for (auto& [tid, thread] : threads_)
      if (thread.state == Thread::State::running && !thread.client_stop && !thread.zombie &&
          !leader_is_zombie(tid) && (!chosen || tid == pid_))
        chosen = &thread;
    if (chosen) request_client_stop(*chosen, SIGINT);
    return std::nullopt;
  }
  if (!stopping_) {
    stopping_ = true;
    interrupting_ = true;
    stopping_for_.reset();
    // The interrupt is reported for a thread that was running (with scheduler-locking only
    // the resumed one is), so the client's view of who was stopped is right.
    interrupted_tid_ = 0;
    for (auto& [tid, thread] : threads_)
      if (thread.state == Thread::State::running && !thread.zombie && !leader_is_zombie(tid) &&
          (interrupted_tid_ == 0 || tid == pid_))
        interrupted_tid_ = tid;
  }
  stop_all_running();
  return finish_stop_if_complete();
}

std::optional<StopReport> Inferior::report(Thread& thread, StopReport stop) {
  thread.stop_requested = false;
  if (non_stop_) {
    // Whatever the thread stopped for answers a stop the client asked for, too.
    thread.client_stop = false;
    return stop;
  }
  if (!stopping_) {
    stopping_ = true;
    stopping_for_ = stop;
    stop_all_running();
  } else if (!stopping_for_) {
    stopping_for_ = stop;  // a real event beats a bare Ctrl-C
  } else {
    thread.pending = stop;
  }
  return finish_stop_if_complete();
}

std::optional<StopReport> Inferior::finish_stop_if_complete() {
  if (!stopping_ || !all_stopped()) return std::nullopt;
  stopping_ = false;
  std::optional<StopReport> stop = stopping_for_;
  stopping_for_.reset();
  if (interrupting_) {
    pid_t tid = threads_.count(interrupted_tid_) ? interrupted_tid_ : threads_.count(pid_) ? pid_ : threads_.begin()->first;
    // A real event came first (a step that ended, a breakpoint): it is reported, and the
    // Ctrl-C is owed, reported at the next resume, as a SIGINT queued in the kernel would be.
    if (stop)
      interrupt_owed_ = true;
    else
      stop = StopReport{StopReport::Reason::interrupted, tid, SIGINT};
  }
  interrupting_ = false;
  running_ = false;
  return stop;
}

std::optional<StopReport> Inferior::process_gone(StopReport stop) {
  gone_ = true;
  running_ = false;
  threads_.clear();
  stopping_ = false;
  stopping_for_.reset();
  interrupting_ = false;
  return stop;
}

std::optional<StopReport> Inferior::classify_trap(Thread& thread, int trap_code, bool after_step_over,
                                                 const std::set<std::uint64_t>& removed) {
  if (!after_step_over && (trap_code == SI_KERNEL || trap_code == TRAP_BRKPT)) {
    std::uint64_t address = thread.registers().pc() - 1;
    if (!is_our_int3(address) && removed.count(address)) {
      // The int3 was taken out after this thread had executed it: it re-executes the
      // original instruction, and nobody hears of it.
      log_event("thread " + std::to_string(thread.tid) + ": trap of a removed breakpoint rewound");
      thread.registers().set_pc(address);
      return keep_running(thread);
    }
    if (is_our_int3(address)) {
      thread.registers().set_pc(address);  // GDB's swbreak convention: report the int3's own address
      thread.hit_site = address;
      bool silent = thread.silent_site == address || !(is_breakpoint_site && is_breakpoint_site(address));
      thread.silent_site.reset();
      if (silent && step_over) {
        // A handler returned onto the breakpoint it was delivered from, or a trap in flight
        // for a breakpoint just removed: no new hit; the thread goes on past it.
        return keep_running(thread);
      }
      if (is_breakpoint_site && is_breakpoint_site(address)) {
        // A target-side condition that is false (or a dprintf that only prints): the thread
        // goes on out of line; no packet, no other thread stopped.
        if (step_over && breakpoint_stops && !breakpoint_stops(thread, address)) return keep_running(thread);
        return StopReport{StopReport::Reason::breakpoint, thread.tid, SIGTRAP, 0, address};
      }
      thread.hit_site.reset();
    }
  }
  if (thread.stepping) {
    // Range stepping: a step that stays inside the range is nobody's business but ours, unless
    // the world is being stopped anyway.
    if (thread.pc_in_step_range()) return keep_running(thread);
    return StopReport{StopReport::Reason::single_step, thread.tid, SIGTRAP};
  }
  return StopReport{StopReport::Reason::signal, thread.tid, SIGTRAP};
}

// PTRACE_INTERRUPT's stop is reported before a SIGTRAP the thread has already raised (an int3,
// a single-step) and left queued. That trap must be seen now, while the breakpoint it belongs to
// is certainly still known (the client may remove it before the thread next runs, and a trap
// nobody recognises reaches it as a SIGTRAP with the PC one past the int3): resumed, the thread
// stops again at once, before running any instruction, and reports it.
bool Inferior::trap_overtaken(Thread& thread) {
  try {
    if (!ptrace_sigtrap_queued(thread.tid)) return false;
    log_event("thread " + std::to_string(thread.tid) + ": a SIGTRAP is queued behind the interrupt; resumed to take it");
    thread.stop_requested = false;  // the interrupt's stop was this one
    thread.flush_registers();
    ptrace_cont(thread.tid, 0);
    return true;
  } catch (const PtraceError&) {
    return false;  // gone: its exit is reported next
  }
}

std::optional<StopReport> Inferior::handle_wait_status(pid_t tid, int status) {
  // Read by one of our blocking waits, but another process's (a fork child the client debugs).
  if (!threads_.count(tid) && !vfork_children_.count(tid) && belongs_elsewhere && belongs_elsewhere(tid, status))
    return std::nullopt;
  if (auto child = vfork_children_.find(tid); child != vfork_children_.end()) {
    handle_vfork_child(child->second, status);
    return std::nullopt;
  }
  Thread* thread = find_thread(tid);
  if (!thread) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) return std::nullopt;
    if (!is_our_thread(tid)) {
      early_children_.insert(tid);  // a fork child's first stop, before its parent's event
      return std::nullopt;
    }
    // A new thread whose first stop arrived before its parent's clone event.
    thread = &threads_.emplace(tid, Thread(tid, Thread::State::starting)).first->second;
    thread->announced = false;
  }
  WaitEvent event = decode_wait_status(tid, status);
  if (event_log_enabled())
    log_event("event thread " + std::to_string(tid) + ": " + describe(event));
  Thread::State previous = thread->state;
  bool announced = thread->announced;
  if (event.kind == WaitEvent::Kind::event_stop && previous == Thread::State::running && trap_overtaken(*thread))
    return std::nullopt;
  thread->state = Thread::State::stopped;
  std::set<std::uint64_t> removed = std::exchange(thread->removed_while_running, {});
  thread->in_signal_delivery_stop =
      event.kind == WaitEvent::Kind::signal_stop || event.kind == WaitEvent::Kind::trap_stop;
  thread->in_syscall_stop = event.kind == WaitEvent::Kind::fork || event.kind == WaitEvent::Kind::clone ||
                            event.kind == WaitEvent::Kind::exec || event.kind == WaitEvent::Kind::vfork_done ||
                            event.kind == WaitEvent::Kind::syscall_stop;

  // A thread on its way past a breakpoint: put it where the program is before anything else
  // looks at it (no slot address is ever seen), and finish the step-over if that is what
  // this trap was.
  std::optional<StopReport> hardware;
  if (event.kind == WaitEvent::Kind::trap_stop) hardware = hardware_stop(*thread, event.trap_code);
  bool step_over_done = false;
  if (thread->in_step_over && step_over &&
      (event.kind == WaitEvent::Kind::trap_stop || event.kind == WaitEvent::Kind::signal_stop ||
       event.kind == WaitEvent::Kind::event_stop)) {
    bool trapped = event.kind == WaitEvent::Kind::trap_stop;
    bool exclusive = thread->exclusive_step;
    thread->in_step_over = thread->step_over_steps = thread->exclusive_step = false;
    Settled settled = step_over->settle(*thread, trapped);
    if (settled == Settled::rolled_back) thread->hit_site = thread->registers().pc();
    if (exclusive) {
      resume_held();
      if (gone_) return std::nullopt;  // died while others were parked: its exit is queued
    }
    if (settled == Settled::completed && trapped && !hardware) {
      if (!thread->client_step) {
        if (holding()) {
          hold(*thread, false);
          return finish_stop_if_complete();
        }
        resume_thread(*thread, false, 0);
        return std::nullopt;
      }
      step_over_done = true;  // the client's single-step: classified below as one
    }
  }

  switch (event.kind) {
  case WaitEvent::Kind::exited:
  case WaitEvent::Kind::killed:
    if (tid == pid_) {
      bool exited = event.kind == WaitEvent::Kind::exited;
      return process_gone(StopReport{exited ? StopReport::Reason::exited : StopReport::Reason::killed, tid,
                                     event.signal, event.status});
    }
    return thread_gone(tid, event.status, announced);

  case WaitEvent::Kind::clone: {
    // The new thread may have reported its first stop already; then it is known and handled.
    if (exited_early_.erase(event.new_tid) == 0)
      threads_.emplace(event.new_tid, Thread(event.new_tid, Thread::State::starting)).first->second.announced = true;
    return keep_running_or_report(*thread);
  }

  case WaitEvent::Kind::event_stop:
    if (previous == Thread::State::starting) {
      // A new thread's first stop: it gets the debug registers every thread has, and runs like
      // the rest, unless everything is being stopped.
      if (!debug_image_.empty()) write_debug_registers(tid, debug_image_);
      if (non_stop_) {
        // Non-stop: it runs, unless the client asked to stop it already or wants to hear of
        // new threads (then it waits for the client to resume it).
        if (thread->client_stop)
          return report(*thread, StopReport{StopReport::Reason::interrupted, tid, thread->stop_signal});
        if (report_thread_events) return report(*thread, StopReport{StopReport::Reason::thread_created, tid, SIGTRAP});
        if (parking_ || exclusive_step_running())
          held_.push_back({tid, false, 0});
        else
          resume_thread(*thread, false, 0);
        return std::nullopt;
      }
      if (running_ && !stopping_) resume_thread(*thread, false, 0);
      return finish_stop_if_complete();
    }
    if (thread->stop_requested) {
      thread->stop_requested = false;
      if (non_stop_ && thread->client_stop)
        return report(*thread, StopReport{StopReport::Reason::interrupted, tid, thread->stop_signal});
      if (parking_) hold(*thread, thread->stepping);
      return finish_stop_if_complete();
    }
    // A group-stop or an interrupt that outlived the stop it was for: not the client's business.
    return keep_running_or_report(*thread);

  case WaitEvent::Kind::fork:
    if (auto forked = handle_fork(*thread, event)) return report(*thread, *forked);
    return keep_running_or_report(*thread);

  case WaitEvent::Kind::vfork_done:
    if (report_vforks) return report(*thread, StopReport{StopReport::Reason::vfork_done, tid, SIGTRAP});
    return keep_running_or_report(*thread);

  case WaitEvent::Kind::exec:
    // The other threads are gone and the address space is new.
    for (auto it = threads_.begin(); it != threads_.end();) it = it->first == pid_ ? std::next(it) : threads_.erase(it);
    if (!threads_.count(pid_)) threads_.emplace(pid_, Thread(pid_, Thread::State::stopped));
    memory_ = std::make_unique<ProcessMemory>(pid_);
    for (auto& [tid, t] : threads_) {
      t.in_step_over = t.step_over_steps = t.exclusive_step = false;
      t.hit_site.reset();
      t.silent_site.reset();
    }
    held_.clear();
    hardware_points_.clear();  // exec cleared the debug registers
    debug_image_ = {};
    if (on_exec) on_exec();
    if (report_exec) return report(threads_.at(pid_), StopReport{StopReport::Reason::exec, pid_, SIGTRAP});
    return keep_running_or_report(threads_.at(pid_));

  case WaitEvent::Kind::syscall_stop:
    if (auto call = ptrace_syscall_stop(tid)) {
      if (call->entry) thread->syscall_number = call->number;
      long number = call->entry ? call->number : std::exchange(thread->syscall_number, -1);
      // An exit whose entry we did not see (the execve a launched program stopped in): the
      // kernel keeps the call's number in orig_rax until the return.
      if (number < 0) {
        std::uint64_t orig = 0;
        auto bytes = thread->registers().read(RegisterLayout::orig_rax);
        std::memcpy(&orig, bytes.data(), std::min(bytes.size(), sizeof orig));
        number = static_cast<long>(orig);
      }
      if (catch_syscalls && (catch_syscalls->empty() || catch_syscalls->count(number))) {
        StopReport stop{call->entry ? StopReport::Reason::syscall_entry : StopReport::Reason::syscall_return, tid, SIGTRAP};
        stop.syscall_number = number;
        return report(*thread, stop);
      }
    }
    return keep_running_or_report(*thread);

  case WaitEvent::Kind::trap_stop:
    // A watchpoint tripped by an instruction run out of line is reported at the original next
    // instruction: settle() already put the PC there.
    if (hardware) return report(*thread, *hardware);
    if (auto stop = classify_trap(*thread, event.trap_code, step_over_done, removed)) return report(*thread, *stop);
    return finish_stop_if_complete();

  case WaitEvent::Kind::signal_stop:
    // The signal the client resumed this thread with, sent by tgkill: delivered now, as asked.
    if (thread->injected_signal == event.signal && !stopping_) {
      thread->injected_signal = 0;
      resume_thread(*thread, thread->stepping, event.signal);
      return std::nullopt;
    }
    // A thread the client is stepping reports even a signal it would pass, as gdbserver does:
    // GDB decides how to step into or over the handler.
    if (pass_signals.count(event.signal) && !thread->stepping) {
      if (thread->hit_site) thread->silent_site = thread->hit_site;
      thread->hit_site.reset();
      // All-stop, while every thread is being stopped: the signal is no report (it could
      // stand in for a Ctrl-C, which the client would then never see); the thread counts as
      // stopped and gets the signal when it next runs.
      if (stopping_) {
        thread->deferred_signal = event.signal;
        hold(*thread, false);
        return finish_stop_if_complete();
      }
      resume_thread(*thread, thread->stepping, event.signal);
      return std::nullopt;
    }
    return report(*thread, StopReport{StopReport::Reason::signal, tid, event.signal});
  }
  return std::nullopt;
}

// A thread other than the main one exited.
std::optional<StopReport> Inferior::thread_gone(pid_t tid, int status, bool announced) {
  // A thread can end inside a step-over (an exit system call under a breakpoint, stepped in
  // its slot or in place): there is nothing to settle, but the threads held while it stepped
  // in place alone must not wait for it for ever.
  auto it = threads_.find(tid);
  bool was_exclusive = it != threads_.end() && it->second.exclusive_step;
  threads_.erase(tid);
  std::erase_if(held_, [&](const Held& h) { return h.tid == tid; });
  // A short-lived thread can start, run and exit before its parent's clone event is read;
  // that late event must not bring it back as a thread that will never stop.
  if (!announced) exited_early_.insert(tid);
  if (was_exclusive) {
    resume_held();
    if (gone_) return std::nullopt;
  }
  if (!non_stop_) {
    if (stopping_) return finish_stop_if_complete();
    // The client resumed only this thread (GDB stepping it off a breakpoint on its exit call)
    // and the others are stopped: nothing is left that could report, so the client is told,
    // as gdbserver tells it, instead of waiting for ever.
    if (running_ && all_stopped() && held_.empty()) {
      running_ = false;
      return StopReport{StopReport::Reason::no_resumed, 0, 0};
    }
    return std::nullopt;
  }
  if (report_thread_events) return StopReport{StopReport::Reason::thread_exited, tid, 0, status};
  // The last thread that could have reported anything is gone; the client hears so rather
  // than waiting for ever.
  if (all_stopped() && !parking_ && held_.empty()) return StopReport{StopReport::Reason::no_resumed, 0, 0};
  return std::nullopt;
}

std::optional<std::string> Inferior::read_siginfo(pid_t tid) {
  siginfo_t info{};
  if (!find_thread(tid) || !ptrace_siginfo(tid, &info)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(&info), sizeof info);
}

void Inferior::write_siginfo(pid_t tid, std::uint64_t offset, std::string_view bytes) {
  auto current = read_siginfo(tid);
  if (!current) throw std::runtime_error("thread " + std::to_string(tid) + " has no signal to change");
  if (offset > current->size() || bytes.size() > current->size() - offset)
    throw std::runtime_error("siginfo is " + std::to_string(current->size()) + " bytes; cannot write " +
                             std::to_string(bytes.size()) + " at offset " + std::to_string(offset));
  current->replace(offset, bytes.size(), bytes);
  ptrace_set_siginfo(tid, current->data());
}

void Inferior::kill() {
  if (gone_) return;
  let_vfork_children_go();
  // A fork the client has not been told of yet: its child goes with its parent.
  for (auto& [pid, child] : std::exchange(fork_children_, {})) child->kill();
  ::kill(pid_, SIGKILL);
  // Reap every thread; the leader reports last. Another process's statuses go to it.
  for (;;) {
    int status = 0;
    pid_t tid = wait_retrying(-1, &status, __WALL);
    if (tid < 0) break;
    if (!threads_.count(tid) && belongs_elsewhere && belongs_elsewhere(tid, status)) continue;
    if (tid == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) break;
  }
  gone_ = true;
  threads_.clear();
}

void Inferior::stop_all_and_wait() {
  if (gone_) return;
  // All-stop's machinery stops them all; the caller is leaving non-stop (or the process).
  non_stop_ = false;
  for (auto& [tid, thread] : threads_) thread.client_stop = false;
  for (const Held& held : std::exchange(held_, {}))
    if (Thread* thread = find_thread(held.tid)) undo_unstarted_step_over(*thread);
  interrupt();
  // Whatever they stopped for stays pending (a signal is delivered on detach).
  wait_until_all_stopped([&](const StopReport& stop) { keep_pending(stop); });
}

void Inferior::detach() {
  stop_all_and_wait();
  let_vfork_children_go();
  // A fork the client has not been told of yet (its report pending): the child, cleaned when
  // it was kept, goes too, as gdbserver lets it go.
  for (auto& [pid, child] : std::exchange(fork_children_, {})) child->detach();
  if (gone_) return;
  for (auto& [tid, thread] : threads_) {
    int signal = thread.pending && thread.pending->reason == StopReport::Reason::signal ? thread.pending->signal
                                                                                      : thread.deferred_signal;
    try {
      thread.flush_registers();
      ptrace_detach(tid, signal);
    } catch (const PtraceError&) {
      // Already gone: nothing left to let go of.
    }
  }
  gone_ = true;
  threads_.clear();
}

} // namespace xolstub::threads
