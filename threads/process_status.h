// Who a process is, as /proc/PID/status, cwd and cmdline tell: LLDB's qProcessInfo (its own
// process) and qfProcessInfo (every process on the host).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::threads {

struct ProcessStatus {
  pid_t pid = 0;
  pid_t parent = 0;
  uid_t uid = 0, euid = 0;
  gid_t gid = 0, egid = 0;
  pid_t tracer = 0;   // TracerPid: 0 when nobody traces it
  char state = '?';   // R, S, D, Z, T, t, X...
  std::string name;   // comm, at most 15 characters
};

// The fields above from the text of a status file; nullopt when one is missing or malformed.
std::optional<ProcessStatus> parse_process_status(std::string_view text);
// /proc/PID/status; nullopt when the process is gone.
std::optional<ProcessStatus> read_process_status(pid_t pid);
// /proc/PID/cwd; "" when it cannot be read (gone, or another user's process).
std::string working_directory(pid_t pid);
// /proc/PID/cmdline split at its NULs; empty for a kernel thread or a process that is gone.
std::vector<std::string> command_line(pid_t pid);
// Every process id in /proc, ascending.
std::vector<pid_t> list_processes();

} // namespace xolstub::threads
