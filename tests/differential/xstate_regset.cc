#include "tests/differential/xstate_regset.h"

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "threads/ptrace_ops.h"
#include "threads/xsave_layout.h"

namespace xolstub::differential {

std::vector<std::uint8_t> read_xstate(pid_t tid) {
  const threads::XsaveLayout& layout = threads::XsaveLayout::host();
  std::vector<std::uint8_t> image(std::max(layout.max_size, layout.size));
  iovec iov{image.data(), image.size()};
  if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == -1)
    throw threads::PtraceError("PTRACE_GETREGSET(NT_X86_XSTATE) on thread " + std::to_string(tid) + ": " +
                                   std::strerror(errno),
                               errno);
  image.resize(iov.iov_len);
  return image;
}

void write_xstate(pid_t tid, const std::vector<std::uint8_t>& image) {
  std::vector<std::uint8_t> copy = image;  // the kernel's iovec is not const
  iovec iov{copy.data(), copy.size()};
  if (::ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == -1)
    throw threads::PtraceError("PTRACE_SETREGSET(NT_X86_XSTATE) on thread " + std::to_string(tid) + ": " +
                                   std::strerror(errno),
                               errno);
}

} // namespace xolstub::differential
