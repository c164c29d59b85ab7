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
std::string executable_path(pid_t pid);                 // /proc/PID/exe, "" if unreadable
bool process_exists(pid_t pid);

} // namespace xolstub::threads
