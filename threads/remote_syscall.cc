#include "threads/remote_syscall.h"

#include <sys/wait.h>

#include <csignal>
#include <cstring>
#include <stdexcept>

#include "threads/event_log.h"
#include "threads/ptrace_ops.h"
#include "threads/wait_event.h"

namespace xolstub::threads {

long remote_syscall(Thread& thread, const ProcessMemory& memory, long number, std::array<std::uint64_t, 6> args) {
  RegisterFile& registers = thread.registers();
  const user_regs_struct saved = registers.gprs();
  const std::uint64_t gadget = saved.rip;
  std::uint8_t original[2];
  if (memory.read(gadget, original) != 2) throw std::runtime_error("cannot read the code at the thread's PC");
  static const std::uint8_t syscall_insn[2] = {0x0f, 0x05};
  if (memory.write(gadget, syscall_insn) != 2) throw std::runtime_error("cannot write a syscall at the thread's PC");

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
    memory.write(gadget, original);
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
