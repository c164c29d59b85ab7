#include "threads/remote_syscall.h"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "threads/event_log.h"
#include "threads/ptrace_ops.h"
#include "threads/wait_event.h"

namespace xolstub::threads {
namespace {

const std::uint8_t syscall_insn[2] = {0x0f, 0x05};

// A `syscall` instruction already in the process (the vDSO has some; libc many): the thread is
// single-stepped through it, and no code is written that another running thread could execute.
// Remembered per process, and checked before each use (an exec replaces the address space).
std::optional<std::uint64_t> find_syscall_gadget(pid_t pid, const ProcessMemory& memory) {
  static std::map<pid_t, std::uint64_t> found;
  std::uint8_t bytes[2];
  if (auto it = found.find(pid); it != found.end()) {
    if (memory.read(it->second, bytes) == 2 && std::memcmp(bytes, syscall_insn, 2) == 0) return it->second;
    found.erase(it);
  }
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> executable;
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, permissions;
    fields >> range >> permissions;
    if (permissions.size() < 3 || permissions[2] != 'x') continue;
    auto dash = range.find('-');
    std::uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    std::uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    // The vDSO first: small, always there, never unmapped.
    if (line.find("[vdso]") != std::string::npos)
      executable.insert(executable.begin(), {start, end});
    else
      executable.emplace_back(start, end);
  }
  for (auto [start, end] : executable) {
    const std::size_t size = std::min<std::uint64_t>(end - start, 1 << 20);
    std::vector<std::uint8_t> code = memory.read_vector(start, size);
    for (std::size_t i = 0; i + 1 < code.size(); ++i)
      if (code[i] == 0x0f && code[i + 1] == 0x05) return found[pid] = start + i;
  }
  return std::nullopt;
}

} // namespace

long remote_syscall(Thread& thread, const ProcessMemory& memory, long number, std::array<std::uint64_t, 6> args) {
  RegisterFile& registers = thread.registers();
  const user_regs_struct saved = registers.gprs();
  std::optional<std::uint64_t> existing = find_syscall_gadget(memory.pid(), memory);
  // Without one, a `syscall` goes over the thread's own PC for the moment: only safe while no
  // other thread runs.
  const std::uint64_t gadget = existing ? *existing : saved.rip;
  std::uint8_t original[2];
  if (memory.read(gadget, original) != 2) throw std::runtime_error("cannot read the code at the thread's PC");
  if (!existing && memory.write(gadget, syscall_insn) != 2)
    throw std::runtime_error("cannot write a syscall at the thread's PC");

  user_regs_struct& regs = registers.gprs();
  regs.rip = gadget;
  regs.rax = static_cast<std::uint64_t>(number);
  regs.orig_rax = static_cast<std::uint64_t>(-1);  // no syscall-restart logic on our call
  regs.rdi = args[0];
  regs.rsi = args[1];
  regs.rdx = args[2];
  regs.r10 = args[3];
  regs.r8 = args[4];
  regs.r9 = args[5];
  registers.mark_gprs_dirty();
  registers.flush();
  registers.invalidate();

  auto put_back = [&] {
    if (!existing) memory.write(gadget, original);
    registers.invalidate();
    registers.gprs() = saved;
    registers.mark_gprs_dirty();
  };
  long result = -ENOSYS;
  try {
    for (;;) {
      ptrace_step(thread.tid, 0);
      int status = 0;
      if (wait_retrying(thread.tid, &status, __WALL) != thread.tid) throw std::runtime_error("waitpid for the injected syscall failed");
      if (!WIFSTOPPED(status)) throw std::runtime_error("the thread ended during an injected syscall");
      int signal = WSTOPSIG(status);
      if (signal == SIGTRAP && (status >> 16) == 0) break;
      // A signal that arrived meanwhile stays the program's: keep it for the client.
      if ((status >> 16) == 0 && signal != SIGTRAP && signal != SIGSTOP)
        thread.pending = StopReport{StopReport::Reason::signal, thread.tid, signal};
    }
    result = static_cast<long>(registers.gprs().rax);
  } catch (...) {
    put_back();
    throw;
  }
  put_back();
  log_event("injected syscall " + std::to_string(number) + " in thread " + std::to_string(thread.tid) +
            " returned " + std::to_string(result));
  return result;
}

} // namespace xolstub::threads
