#include "stub/debuggee.h"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "stub/debug_log.h"

namespace xolstub::stub {

Debuggee::Debuggee(std::unique_ptr<threads::Inferior> inferior)
    : inferior_(std::move(inferior)),
      sites_(std::make_unique<breakpoints::BreakpointSites>(*inferior_)),
      hardware_(std::make_unique<breakpoints::HardwarePoints>(*inferior_)),
      last_stop_{threads::StopReport::Reason::signal, inferior_->pid(), SIGTRAP} {
  auto* sites = sites_.get();
  xol_ = std::make_unique<xol::StepOverEngine>(*inferior_, [sites](std::uint64_t address, std::size_t size) {
    std::vector<std::uint8_t> code(size);
    code.resize(sites->read_memory(address, code));
    return code;
  });
  conditions_ = std::make_unique<breakpoints::BreakpointConditions>(
      *sites_, [this](std::string_view text) { if (agent_output) agent_output(text); },
      [](std::string_view warning) {
        debug_event(std::string(warning));
        std::fprintf(stderr, "xolstub: %.*s\n", static_cast<int>(warning.size()), warning.data());
      });
  inferior_->breakpoint_stops = [this](threads::Thread& thread, std::uint64_t address) {
    auto owners = conditions_->stopping_owners(thread, address);
    if (owners.empty()) return false;
    hit_owners_[thread.tid] = std::move(owners);
    return true;
  };
  auto* engine = xol_.get();
  inferior_->step_over = engine;
  inferior_->is_breakpoint_site = [sites](std::uint64_t address) { return sites->contains(address); };
  inferior_->is_retired_site = [sites](std::uint64_t address) { return sites->is_retired(address); };
  inferior_->before_resume = [sites](const std::set<std::uint64_t>& stepping) { sites->purge_retired(stepping); };
  sites_->on_code_changed = [engine](std::uint64_t address) { engine->forget_site(address); };
  // A fork child leaves (or is debugged apart) with the program's own code and no XOL areas;
  // a vfork child shares them with us, and is only moved out of a slot.
  inferior_->on_fork_child = [sites, engine](threads::Thread& child, const threads::ProcessMemory& memory,
                                             bool shares_memory) {
    engine->leave_slot(child);
    if (shares_memory) return;
    sites->restore_all_into(memory);
    engine->unmap_areas(child, memory);
  };
  inferior_->on_exec = [sites, engine, hardware = hardware_.get()] {
    sites->forget_all();
    hardware->forget_all();
    engine->forget_all();
  };
  // A thread that stopped for something else while we attached speaks first.
  for (auto& [tid, thread] : inferior_->threads())
    if (thread.pending) {
      last_stop_ = *thread.pending;
      thread.pending.reset();
      break;
    }
  last_thread_stops_[last_stop_.tid] = last_stop_;
}

std::unique_ptr<Debuggee> Debuggee::launch(const threads::LaunchOptions& options) {
  return std::unique_ptr<Debuggee>(new Debuggee(threads::Inferior::launch(options)));
}

std::unique_ptr<Debuggee> Debuggee::adopt(std::unique_ptr<threads::Inferior> inferior) {
  return std::unique_ptr<Debuggee>(new Debuggee(std::move(inferior)));
}

std::unique_ptr<Debuggee> Debuggee::attach(pid_t pid) {
  return std::unique_ptr<Debuggee>(new Debuggee(threads::Inferior::attach(pid)));
}

void Debuggee::note_stop(const threads::StopReport& stop) {
  using Reason = threads::StopReport::Reason;
  if (stop.reason == Reason::no_resumed || stop.reason == Reason::thread_exited) return;
  last_stop_ = stop;
  if (!stop.process_gone()) last_thread_stops_[stop.tid] = stop;
}

std::vector<threads::StopReport> Debuggee::stopped_threads() {
  std::vector<threads::StopReport> stops;
  if (gone()) return {last_stop_};
  for (auto& [tid, thread] : inferior_->threads()) {
    if (!inferior_->stopped_for_client(tid)) continue;
    if (thread.pending) {
      stops.push_back(*thread.pending);
      thread.pending.reset();
    } else if (auto last = last_thread_stops_.find(tid); last != last_thread_stops_.end()) {
      stops.push_back(last->second);
    } else {
      stops.push_back(threads::StopReport{threads::StopReport::Reason::interrupted, tid, 0});
    }
    last_thread_stops_[tid] = stops.back();
  }
  return stops;
}

std::vector<threads::StopReport> Debuggee::take_pending_stops(pid_t reported) {
  using Reason = threads::StopReport::Reason;
  std::vector<threads::StopReport> taken;
  if (gone() || inferior_->non_stop()) return taken;
  for (auto& [tid, thread] : inferior_->threads()) {
    if (tid == reported || !thread.pending) continue;
    const threads::StopReport& stop = *thread.pending;
    // A hit of a breakpoint removed since is no hit (Inferior::resume drops it the same way).
    bool hit = stop.reason == Reason::breakpoint && sites_->contains(stop.address);
    if (!hit && stop.reason != Reason::signal) continue;
    taken.push_back(stop);
    last_thread_stops_[tid] = stop;
    thread.pending.reset();
  }
  return taken;
}

std::set<breakpoints::OwnerId> Debuggee::take_hit_owners(const threads::StopReport& stop) {
  auto it = hit_owners_.find(stop.tid);
  if (it == hit_owners_.end()) {
    // Reported without being evaluated (a hit kept pending from before): every owner's.
    std::set<breakpoints::OwnerId> owners;
    if (const auto* at = sites_->owners_at(stop.address))
      for (const auto& [owner, options] : *at) owners.insert(owner);
    return owners;
  }
  auto owners = std::move(it->second);
  hit_owners_.erase(it);
  return owners;
}

pid_t Debuggee::default_thread() {
  if (inferior_->find_thread(last_stop_.tid)) return last_stop_.tid;
  if (inferior_->find_thread(pid())) return pid();
  return inferior_->threads().empty() ? 0 : inferior_->threads().begin()->first;
}

void Debuggee::detach() {
  inferior_->stop_all_and_wait();  // no thread may run into an int3 as it goes away
  sites_->remove_all();
  if (!inferior_->gone()) inferior_->set_hardware_points({});
  // Every thread is out of the slots now (settled at its stop): the areas can go, unmapped by
  // a thread that can run a system call now (not one stopped inside its own fork, say).
  auto& threads = inferior_->threads();
  auto free = std::find_if(threads.begin(), threads.end(), [](const auto& entry) { return !entry.second.in_syscall_stop; });
  if (xol_->areas() > 0 && free != threads.end()) {
    try {
      xol_->unmap_areas(free->second, inferior_->memory());
    } catch (const std::exception&) {
      // A thread that cannot run the munmap leaves a small unused mapping; nothing breaks.
    }
  }
  inferior_->detach();
}

void Debuggee::kill() {
  sites_->forget_all();
  xol_->forget_all();
  inferior_->kill();
}

} // namespace xolstub::stub
