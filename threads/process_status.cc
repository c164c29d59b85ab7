#include "threads/process_status.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>

#include "threads/attach_diagnosis.h"

namespace xolstub::threads {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <typename T>
bool fits(std::uint64_t value) {
  return value <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
}

} // namespace

std::optional<ProcessStatus> parse_process_status(std::string_view text) {
  ProcessStatus status;
  auto pid = parse_status_numbers(text, "Pid");
  auto parent = parse_status_numbers(text, "PPid");
  auto uid = parse_status_numbers(text, "Uid");  // real, effective, saved, filesystem
  auto gid = parse_status_numbers(text, "Gid");
  if (pid.size() != 1 || parent.size() != 1 || uid.size() < 2 || gid.size() < 2) return std::nullopt;
  if (!fits<pid_t>(pid[0]) || !fits<pid_t>(parent[0]) || !fits<uid_t>(uid[0]) || !fits<uid_t>(uid[1]) ||
      !fits<gid_t>(gid[0]) || !fits<gid_t>(gid[1]))
    return std::nullopt;
  status.pid = static_cast<pid_t>(pid[0]);
  status.parent = static_cast<pid_t>(parent[0]);
  status.uid = static_cast<uid_t>(uid[0]);
  status.euid = static_cast<uid_t>(uid[1]);
  status.gid = static_cast<gid_t>(gid[0]);
  status.egid = static_cast<gid_t>(gid[1]);
  auto tracer = parse_status_numbers(text, "TracerPid");
  if (tracer.size() == 1 && fits<pid_t>(tracer[0])) status.tracer = static_cast<pid_t>(tracer[0]);
  if (auto state = parse_status_field(text, "State"); state && !state->empty()) status.state = state->front();
  status.name = parse_status_field(text, "Name").value_or("");
  return status;
}

std::optional<ProcessStatus> read_process_status(pid_t pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (text.empty()) return std::nullopt;
  return parse_process_status(text);
}

std::string working_directory(pid_t pid) {
  std::string link = "/proc/" + std::to_string(pid) + "/cwd";
  std::string buffer(4096, '\0');
  ssize_t n = readlink(link.c_str(), buffer.data(), buffer.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buffer.size()) return {};
  buffer.resize(static_cast<std::size_t>(n));
  return buffer;
}

std::vector<std::string> command_line(pid_t pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> argv;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    argv.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

std::vector<pid_t> list_processes() {
  std::vector<pid_t> pids;
  if (DIR* dir = opendir("/proc")) {
    while (dirent* entry = readdir(dir)) {
      std::string_view name = entry->d_name;
      pid_t pid = 0;
      auto [ptr, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
      if (error == std::errc() && ptr == name.data() + name.size() && pid > 0) pids.push_back(pid);
    }
    closedir(dir);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

} // namespace xolstub::threads
