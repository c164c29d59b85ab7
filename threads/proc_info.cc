#include "threads/proc_info.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace xolstub::threads {
namespace {
std::string task_path(pid_t pid, pid_t tid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/" + leaf;
}
} // namespace

std::vector<pid_t> list_tasks(pid_t pid) {
  std::vector<pid_t> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* dir = opendir(path.c_str())) {
    while (dirent* entry = readdir(dir))
      if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') tids.push_back(std::stoi(entry->d_name));
    closedir(dir);
  }
  return tids;
}

std::string thread_name(pid_t pid, pid_t tid) {
  std::ifstream in(task_path(pid, tid, "comm"));
  std::string name;
  std::getline(in, name);
  return name;
}

std::optional<int> thread_core(pid_t pid, pid_t tid) {
  std::ifstream in(task_path(pid, tid, "stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // Field 3 (state) is the first after ')'; "processor" is field 39.
  for (int index = 3; fields >> field; ++index)
    if (index == 39) return std::stoi(field);
  return std::nullopt;
}

bool thread_is_zombie(pid_t pid, pid_t tid) {
  std::ifstream in(task_path(pid, tid, "stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  char state = stat[close + 2];
  return state == 'Z' || state == 'X';
}

std::string executable_path(pid_t pid) {
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  char buffer[4096];
  ssize_t n = readlink(link.c_str(), buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

bool process_exists(pid_t pid) {
  return access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

} // namespace xolstub::threads
