// Why a ptrace attach failed: /proc read after the fact, parsed by pure functions, and composed
// into sentences, most likely cause first. See attach_diagnosis.h for the layers.
#include "threads/attach_diagnosis.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace xolstub::threads {
namespace {

constexpr int cap_sys_ptrace_bit = 19;  // CAP_SYS_PTRACE in <linux/capability.h>

// Whole-file read with the errno kept: EACCES on /proc/PID/status is itself a finding, which
// std::ifstream would hide. /proc files report size 0, so read until EOF rather than stat.
std::optional<std::string> read_text(const std::string& path, int* error_out = nullptr) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error_out) *error_out = errno;
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (error_out) *error_out = errno;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string proc_path(pid_t pid, const char* leaf) { return "/proc/" + std::to_string(pid) + "/" + leaf; }

std::string_view trim(std::string_view text) {
  const char* blanks = " \t\r\n";
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::optional<std::uint64_t> first_number(std::string_view status_text, std::string_view name) {
  auto numbers = parse_status_numbers(status_text, name);
  if (numbers.empty()) return std::nullopt;
  return numbers.front();
}

const char* setcap_hint = "sudo setcap cap_sys_ptrace+ep $(which xolstub)";

} // namespace

// ---- Parsers ------------------------------------------------------------------------------------

std::optional<std::string> parse_status_field(std::string_view status_text, std::string_view name) {
  std::size_t start = 0;
  while (start < status_text.size()) {
    auto end = status_text.find('\n', start);
    if (end == std::string_view::npos) end = status_text.size();
    std::string_view line = status_text.substr(start, end - start);
    // The name must be the whole key, so "Uid" does not match a hypothetical "Uid_map:".
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':')
      return std::string(trim(line.substr(name.size() + 1)));
    start = end + 1;
  }
  return std::nullopt;
}

std::vector<std::uint64_t> parse_status_numbers(std::string_view status_text, std::string_view name) {
  std::vector<std::uint64_t> numbers;
  auto value = parse_status_field(status_text, name);
  if (!value) return numbers;
  const char* cursor = value->data();
  const char* end = value->data() + value->size();
  while (cursor < end) {
    while (cursor < end && (*cursor == ' ' || *cursor == '\t')) ++cursor;
    if (cursor == end) break;
    std::uint64_t number = 0;
    auto [next, error] = std::from_chars(cursor, end, number);
    // Stop at the first word that is not a number ("State:\tS (sleeping)" has none): what came
    // before is still right, and nothing after it would be.
    if (error != std::errc() || (next < end && *next != ' ' && *next != '\t')) break;
    numbers.push_back(number);
    cursor = next;
  }
  return numbers;
}

bool capability_effective(std::string_view status_text, int capability) {
  if (capability < 0 || capability > 63) return false;
  auto value = parse_status_field(status_text, "CapEff");
  if (!value || value->empty()) return false;
  std::uint64_t mask = 0;
  auto [next, error] = std::from_chars(value->data(), value->data() + value->size(), mask, 16);
  if (error != std::errc() || next != value->data() + value->size()) return false;
  return (mask >> capability) & 1;
}

int parse_ptrace_scope(std::string_view text) {
  text = trim(text);
  int scope = -1;
  auto [next, error] = std::from_chars(text.data(), text.data() + text.size(), scope);
  if (text.empty() || error != std::errc() || next != text.data() + text.size()) return -1;
  return scope;
}

std::string parse_comm(std::string_view text) {
  // The kernel ends comm with one newline; the name itself may hold blanks, so cut only that.
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return std::string(text);
}

bool is_descendant(pid_t pid, pid_t ancestor, const std::function<std::optional<pid_t>(pid_t)>& parent_of) {
  // Bounded: pids cannot form a cycle, but a pid reused between two reads could fake one.
  pid_t current = pid;
  for (int depth = 0; depth < 4096; ++depth) {
    auto parent = parent_of(current);
    if (!parent) return false;
    if (*parent == ancestor) return true;
    if (*parent <= 0) return false;  // above init (or the swapper, for kernel threads)
    current = *parent;
  }
  return false;
}

// ---- The message --------------------------------------------------------------------------------

std::string explain(const AttachFacts& facts, pid_t pid, int error_number) {
  const std::string process = std::to_string(pid);
  if (error_number == ESRCH) return "No process " + process + ": it may have exited.";
  if (error_number != EPERM) return "";

  std::vector<std::string> sentences;

  // States of the target that refuse any tracer, root included: nothing else matters then.
  if (facts.kernel_thread) {
    sentences.push_back("Process " + process + " is a kernel thread: there is no user-space program to debug.");
  } else if (facts.zombie) {
    sentences.push_back("Process " + process +
                        " has exited (a zombie, waiting for its parent to collect its exit status): "
                        "there is nothing left to debug.");
  } else if (facts.leader_exited) {
    sentences.push_back("The main thread of process " + process +
                        " has exited while its other threads run on, and xolstub attaches through the main thread.");
  }

  if (facts.tracer_pid != 0) {
    std::string tracer = std::to_string(facts.tracer_pid);
    if (!facts.tracer_comm.empty()) tracer += " (" + facts.tracer_comm + ")";
    sentences.push_back("It is already being traced by process " + tracer +
                        ". A process can have one tracer: detach that debugger first."
                        " (If it is another xolstub, `xolstub --attach` joins it by itself.)");
  }

  // Yama is checked after the uid rules, but when it is set it is usually the reason: on
  // distributions that ship scope 1, same-user attaches fail for that alone.
  const bool root = facts.our_euid == 0;
  if (facts.ptrace_scope == 1 && !facts.cap_sys_ptrace && !facts.target_is_descendant) {
    // Already root means the capability is what is missing (the container sentence follows).
    sentences.push_back(std::string("kernel.yama.ptrace_scope is 1: only a parent may trace its children. ") +
                        (root ? "Give xolstub CAP_SYS_PTRACE (" : "Run xolstub as root, give it CAP_SYS_PTRACE (") +
                        setcap_hint + "), or `sudo sysctl kernel.yama.ptrace_scope=0`.");
  } else if (facts.ptrace_scope == 2 && !facts.cap_sys_ptrace) {
    sentences.push_back(std::string("kernel.yama.ptrace_scope is 2: only root (CAP_SYS_PTRACE) may attach. ") +
                        (root ? "Give xolstub CAP_SYS_PTRACE (" : "Run xolstub as root or give it CAP_SYS_PTRACE (") +
                        setcap_hint + ").");
  } else if (facts.ptrace_scope == 3) {
    sentences.push_back("kernel.yama.ptrace_scope is 3: attaching is disabled until reboot.");
  }

  if (!facts.status_readable) {
    // The kernel lets us read another process's status unless hidepid hides it, and hidepid
    // asks the same question as ptrace: the answer is usually "another user's process".
    sentences.push_back("xolstub may not read /proc/" + process +
                        "/status (/proc mounted with hidepid?), so the process most likely belongs to another user: "
                        "run xolstub as that user or as root.");
  } else if (facts.target_uids.size() >= 3 && !facts.cap_sys_ptrace) {
    // PTRACE_ATTACH compares our real uid with the target's real, effective and saved uids: all
    // three must match. The first one that does not is the one to name.
    const uid_t ours = facts.our_uid;
    const std::string our_text = std::to_string(ours);
    std::string who;
    uid_t theirs = 0;
    if (facts.target_uids[0] != ours) {
      theirs = facts.target_uids[0];
      who = "Process " + process + " belongs to uid " + std::to_string(theirs);
    } else if (facts.target_uids[1] != ours) {
      theirs = facts.target_uids[1];
      who = "Process " + process + " runs with effective uid " + std::to_string(theirs) + " (a set-user-ID program)";
    } else if (facts.target_uids[2] != ours) {
      theirs = facts.target_uids[2];
      who = "Process " + process + " keeps saved uid " + std::to_string(theirs) + " (it was set-user-ID)";
    }
    if (!who.empty()) {
      std::string remedy = theirs == 0 ? "run it as root."
                           : root      ? "run it as uid " + std::to_string(theirs) + ", or give it CAP_SYS_PTRACE."
                                       : "run it as that user or as root.";
      sentences.push_back(who + ", and xolstub runs as uid " + our_text + " without CAP_SYS_PTRACE: " + remedy);
    }
  }

  if (root && !facts.cap_sys_ptrace)
    sentences.push_back("xolstub runs as root but without CAP_SYS_PTRACE (a container?): "
                        "start the container with --cap-add=SYS_PTRACE.");

  if (facts.seccomp == 2)
    sentences.push_back("A seccomp filter on xolstub may forbid ptrace (e.g. Docker's default profile): "
                        "run with --security-opt seccomp=unconfined.");

  std::string message;
  for (const auto& sentence : sentences) {
    if (!message.empty()) message += ' ';
    message += sentence;
  }
  return message;
}

AttachFacts gather_attach_facts(pid_t pid) {
  AttachFacts facts;
  facts.our_uid = ::getuid();
  facts.our_euid = ::geteuid();

  if (auto self = read_text("/proc/self/status")) {
    facts.cap_sys_ptrace = capability_effective(*self, cap_sys_ptrace_bit);
    facts.seccomp = static_cast<int>(first_number(*self, "Seccomp").value_or(0));
  } else {
    // Without our own status, root is the best guess for the capability: it is the usual case,
    // and it keeps the messages from telling root to become root.
    facts.cap_sys_ptrace = facts.our_euid == 0;
  }

  if (auto scope = read_text("/proc/sys/kernel/yama/ptrace_scope")) facts.ptrace_scope = parse_ptrace_scope(*scope);

  int error = 0;
  if (auto status = read_text(proc_path(pid, "status"), &error)) {
    facts.tracer_pid = static_cast<pid_t>(first_number(*status, "TracerPid").value_or(0));
    if (facts.tracer_pid != 0)
      if (auto comm = read_text(proc_path(facts.tracer_pid, "comm"))) facts.tracer_comm = parse_comm(*comm);
    for (auto uid : parse_status_numbers(*status, "Uid")) facts.target_uids.push_back(static_cast<uid_t>(uid));

    // "State:\tZ (zombie)". Threads counts the live ones, so a zombie leader with a count above
    // one still has threads running.
    auto state = parse_status_field(*status, "State");
    if (state && !state->empty() && state->front() == 'Z') {
      if (first_number(*status, "Threads").value_or(1) > 1)
        facts.leader_exited = true;
      else
        facts.zombie = true;
    }
    // Newer kernels say "Kthread:"; on older ones a kernel thread is kthreadd (pid 2) or one of
    // its children, which has no memory map and so no Vm* lines (a helper program the kernel
    // starts is also kthreadd's child, but has them).
    if (auto kthread = first_number(*status, "Kthread"))
      facts.kernel_thread = *kthread == 1;
    else
      facts.kernel_thread = pid == 2 || (first_number(*status, "PPid").value_or(0) == 2 &&
                                         !parse_status_field(*status, "VmSize"));
  } else if (error == EACCES || error == EPERM) {
    facts.status_readable = false;
  }

  // Only scope 1 cares about ancestry; the walk reads one file per generation.
  if (facts.ptrace_scope == 1 && facts.status_readable) {
    facts.target_is_descendant = is_descendant(pid, ::getpid(), [](pid_t child) -> std::optional<pid_t> {
      auto status = read_text(proc_path(child, "status"));
      if (!status) return std::nullopt;
      auto parent = first_number(*status, "PPid");
      if (!parent) return std::nullopt;
      return static_cast<pid_t>(*parent);
    });
  }
  return facts;
}

std::string explain_attach_failure(pid_t pid, int error_number) {
  // ESRCH needs no facts, and other errors have none to look for: read nothing then.
  if (error_number != EPERM) return explain(AttachFacts{}, pid, error_number);
  return explain(gather_attach_facts(pid), pid, error_number);
}

} // namespace xolstub::threads
