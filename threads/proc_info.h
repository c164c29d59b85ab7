// Facts about a process and its threads that /proc knows and ptrace does not.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace xolstub::threads {

std::vector<pid_t> list_tasks(pid_t pid);
std::string thread_name(pid_t pid, pid_t tid);          // /proc/PID/task/TID/comm, "" if gone
std::optional<int> thread_core(pid_t pid, pid_t tid);   // the CPU it last ran on
// A thread that has exited but is not reaped yet: a leader that called pthread_exit while other
// threads run on stays a zombie, and PTRACE_INTERRUPT "succeeds" on it without a stop ever.
bool thread_is_zombie(pid_t pid, pid_t tid);
std::string executable_path(pid_t pid);                 // /proc/PID/exe, "" if unreadable
bool process_exists(pid_t pid);

} // namespace xolstub::threads
