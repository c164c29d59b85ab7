#include "tests/differential/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/differential/xstate_regset.h"
#include "threads/ptrace_ops.h"

namespace xolstub::differential {
namespace {

constexpr std::uint8_t int3 = 0xcc;
constexpr std::uint8_t nop = 0x90;
constexpr unsigned stop_timeout_seconds = 30;

volatile std::sig_atomic_t alarm_rang = 0;
void on_alarm(int) { alarm_rang = 1; }

// SIGALRM interrupts a waitpid that would otherwise wait for a thread that never stops.
void install_alarm_handler() {
  static bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR
    sigaction(SIGALRM, &action, nullptr);
    return true;
  }();
  (void)installed;
}

struct Mapping {
  std::uint64_t address, size;
  int protection;
};
constexpr Mapping sandbox_mappings[] = {
    {layout::code_page, layout::page, PROT_READ | PROT_EXEC},
    {layout::scratch, layout::scratch_size, PROT_READ | PROT_WRITE},
    {layout::guard_page, layout::page, PROT_NONE},
    {layout::guarded_stack, layout::page, PROT_READ | PROT_WRITE},
};

// In the child, between fork and the tracer's attach: async-signal-safe calls only.
[[noreturn]] void sandbox_child(int ready_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // One CPU: cpuid and rdpid then give the same answer in both runs.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &cpus)) {
        CPU_ZERO(&cpus);
        CPU_SET(cpu, &cpus);
        sched_setaffinity(0, sizeof cpus, &cpus);
        break;
      }
  int index = 0;
  for (const Mapping& m : sandbox_mappings) {
    void* want = reinterpret_cast<void*>(m.address);
    if (mmap(want, m.size, m.protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != want)
      _exit(100 + index);
    ++index;
  }
  char ready = 'r';
  if (write(ready_fd, &ready, 1) != 1) _exit(99);
  for (;;) pause();
}

pid_t spawn_sandbox_process() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) throw SandboxError(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw SandboxError(std::string("cannot fork the sandbox: ") + std::strerror(errno));
  if (pid == 0) {
    close(ready[0]);
    sandbox_child(ready[1]);
  }
  close(ready[1]);
  char byte = 0;
  ssize_t n;
  do n = read(ready[0], &byte, 1);
  while (n < 0 && errno == EINTR);
  close(ready[0]);
  if (n != 1) {
    int status = 0;
    waitpid(pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::string why = code >= 100 ? "cannot map its fixed addresses (mapping " + std::to_string(code - 100) +
                                        " of layout.h is taken or refused)"
                                  : "exited with status " + std::to_string(code);
    throw SandboxError("the sandbox process " + why);
  }
  return pid;
}

// The state letter and wait channel of a thread, for a message about one that did not stop.
std::string thread_state(pid_t tid) {
  std::ifstream stat("/proc/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::size_t end = line.rfind(')');
  std::string state = end != std::string::npos && end + 2 < line.size() ? line.substr(end + 2, 1) : "?";
  std::ifstream wchan("/proc/" + std::to_string(tid) + "/wchan");
  std::string channel;
  std::getline(wchan, channel);
  return "state " + state + (channel.empty() || channel == "0" ? "" : ", in " + channel);
}

} // namespace

Sandbox::Sandbox(std::uint64_t seed) {
  install_alarm_handler();
  pid_ = spawn_sandbox_process();
  try {
    inferior_ = threads::Inferior::attach(pid_);
  } catch (...) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw;
  }
  engine_ = std::make_unique<xol::StepOverEngine>(*inferior_, [this](std::uint64_t address, std::size_t size) {
    // The program's own bytes: memory, with the site's originals in place of our int3.
    std::vector<std::uint8_t> bytes(size);
    bytes.resize(inferior_->memory().read(address, bytes));
    for (std::size_t i = 0; i < bytes.size(); ++i)
      if (address + i >= layout::site && address + i < layout::site + code_.size()) bytes[i] = code_[address + i - layout::site];
    return bytes;
  });
  inferior_->step_over = engine_.get();
  inferior_->is_breakpoint_site = [this](std::uint64_t address) { return site_armed_ && address == layout::site; };
  inferior_->is_retired_site = [](std::uint64_t) { return false; };

  start_ = make_start_state(seed, thread());
  watched_ = {{"scratch", layout::scratch, start_.scratch},
              {"guard page", layout::guard_page, std::vector<std::uint8_t>(layout::page, 0)},
              {"stack page above the guard", layout::guarded_stack, start_.guarded_stack}};
  const std::uint8_t pads[] = {int3, nop};  // at reset_pad, launch_pad
  if (inferior_->memory().write(layout::reset_pad, pads) != sizeof pads)
    throw SandboxError("cannot write the launch pads of the sandbox");
}

Sandbox::~Sandbox() {
  if (alive()) inferior_->kill();
}

threads::Thread& Sandbox::thread() {
  if (!alive() || inferior_->threads().empty()) throw SandboxError("the sandbox process is gone");
  return inferior_->threads().begin()->second;
}

void Sandbox::load_code(std::span<const std::uint8_t> instruction, bool with_int3) {
  if (instruction.empty() || instruction.size() >= code_.size()) throw SandboxError("an instruction of 1 to 15 bytes is needed");
  std::fill(code_.begin(), code_.end(), int3);
  std::copy(instruction.begin(), instruction.end(), code_.begin());
  std::array<std::uint8_t, layout::code_bytes> in_memory = code_;
  if (with_int3) in_memory[0] = int3;
  if (inferior_->memory().write(layout::site, in_memory) != in_memory.size()) throw SandboxError("cannot write the code page");
  site_armed_ = with_int3;
}

void Sandbox::restore_watched() {
  for (Watched& region : watched_) {
    if (!region.dirty) continue;
    inferior_->memory().write(region.address, region.expected);  // the guard page may refuse: then it was never written
    region.dirty = false;
  }
}

// Registers for the next resume: the vector state from the one saved image, the general
// registers through the thread's RegisterFile (flushed by the Inferior when it resumes).
void Sandbox::set_registers(const user_regs_struct& gprs) {
  threads::Thread& t = thread();
  t.registers().invalidate();
  write_xstate(t.tid, start_.xstate);
  t.registers().gprs() = gprs;
  t.registers().mark_gprs_dirty();
}

threads::StopReport Sandbox::resume_and_wait(bool step, const char* phase) {
  threads::ResumeRequest request;
  request.step = step;
  if (auto reports = inferior_->resume(std::span(&request, 1)); !reports.empty()) return reports.front();
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    alarm_rang = 0;
    alarm(stop_timeout_seconds);
    pid_t tid = waitpid(-1, &status, __WALL);
    int error = errno;
    alarm(0);
    if (tid < 0) {
      if (error == EINTR && !alarm_rang) continue;
      std::string state = thread_state(pid_);
      ::kill(pid_, SIGKILL);
      throw SandboxError(alarm_rang ? std::string("no stop within ") + std::to_string(stop_timeout_seconds) + " s (" +
                                          phase + "; the thread was in " + state + ")"
                                    : std::string("waitpid: ") + std::strerror(error));
    }
    if (auto report = inferior_->handle_wait_status(tid, status)) {
      slowest_stop_ = std::max(slowest_stop_, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      return *report;
    }
  }
}

Outcome Sandbox::step_and_observe() {
  Outcome outcome;
  threads::StopReport report{};
  try {
    report = resume_and_wait(true, "the single-step");
  } catch (const SandboxError&) {
    throw;
  } catch (const std::exception& error) {
    // The stub's own code gave up (the engine, the Inferior): a result, to compare.
    outcome.error = error.what();
    return outcome;
  }
  outcome.reason = report.reason;
  outcome.signal = report.signal;
  outcome.exit_status = report.exit_status;
  if (report.process_gone()) return outcome;

  threads::Thread& t = thread();
  outcome.registers = t.registers().read_all();
  if (report.reason == threads::StopReport::Reason::signal && report.signal != SIGTRAP) {
    siginfo_t info{};
    if (threads::ptrace_siginfo(t.tid, &info)) {
      outcome.has_siginfo = true;
      outcome.signal_code = info.si_code;
      outcome.signal_address = reinterpret_cast<std::uint64_t>(info.si_addr);
    }
  }
  for (Watched& region : watched_) {
    std::vector<std::uint8_t> now(region.expected.size());
    now.resize(inferior_->memory().read(region.address, now));
    region.dirty = !std::equal(now.begin(), now.end(), region.expected.begin());
    outcome.memory.push_back({region.name, region.address, std::move(now)});
  }
  return outcome;
}

Outcome Sandbox::run_in_place(std::span<const std::uint8_t> instruction, const StartVariant& variant, bool runs_getpid) {
  load_code(instruction, false);
  restore_watched();
  set_registers(start_.registers_for(variant, runs_getpid, layout::reset_pad));
  threads::StopReport trap = resume_and_wait(false, "running into the reset pad's int3");
  if (trap.reason != threads::StopReport::Reason::signal || trap.signal != SIGTRAP)
    throw SandboxError(std::string("the thread did not stop at the reset pad's int3 (") + trap.reason_name() +
                       ", signal " + std::to_string(trap.signal) + ")");
  set_registers(start_.registers_for(variant, runs_getpid, layout::site));
  return step_and_observe();
}

Outcome Sandbox::run_out_of_line(std::span<const std::uint8_t> instruction, const StartVariant& variant, bool runs_getpid) {
  load_code(instruction, true);
  restore_watched();
  // Run into the breakpoint, as a program does.
  set_registers(start_.registers_for(variant, runs_getpid, layout::launch_pad));
  threads::StopReport hit = resume_and_wait(false, "running into the breakpoint");
  if (hit.reason != threads::StopReport::Reason::breakpoint || hit.address != layout::site)
    throw SandboxError(std::string("the thread did not stop at the breakpoint (") + hit.reason_name() + ", signal " +
                       std::to_string(hit.signal) + ")");
  set_registers(start_.registers_for(variant, runs_getpid, layout::site));
  Outcome outcome = step_and_observe();
  if (alive() && outcome.error.empty() && !outcome.registers.empty())
    outcome.pc_in_slot = engine_->in_slot(thread().registers().pc());
  return outcome;
}

} // namespace xolstub::differential
