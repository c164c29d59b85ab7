#include "threads/launcher.h"

#include <sys/personality.h>

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "threads/ptrace_ops.h"
#include "threads/wait_event.h"

namespace xolstub::threads {
namespace {

// What the child execs first, and how many execs it takes to reach the program itself.
struct ExecPlan {
  std::vector<std::string> argv;
  int execs_until_program;
};

ExecPlan plan_exec(const LaunchOptions& options) {
  int wrapper_execs = options.wrapper.empty() ? 0 : 1;
  if (!options.startup_with_shell) {
    ExecPlan plan{options.wrapper, 1 + wrapper_execs};
    plan.argv.insert(plan.argv.end(), options.argv.begin(), options.argv.end());
    return plan;
  }
  const char* shell = std::getenv("SHELL");
  std::string command = "exec";
  for (const auto& word : options.wrapper) command += " " + shell_quote(word);
  for (const auto& word : options.argv) command += " " + shell_quote(word);
  return ExecPlan{{shell && *shell ? shell : "/bin/sh", "-c", command}, 2 + wrapper_execs};
}

[[noreturn]] void child_exec(const LaunchOptions& options, const ExecPlan& plan) {
  setpgid(0, 0);
  if (options.stdio_is_connection) {
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(2, 1);
    static const char note[] = "stdin/stdout redirected\n";
    if (write(2, note, sizeof note - 1) < 0) { /* nothing useful to do */ }
  }
  if (options.working_directory && chdir(options.working_directory->c_str()) != 0) {
    std::fprintf(stderr, "Cannot change directory to %s: %s\n", options.working_directory->c_str(), std::strerror(errno));
    _exit(127);
  }
  std::signal(SIGTTOU, SIG_DFL);
  std::signal(SIGTTIN, SIG_DFL);
  if (options.disable_randomization) {
    int current = personality(0xffffffff);
    if (current != -1) personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE);
  }
  // Wait here until the stub has seized us, so that the exec is already traced.
  raise(SIGSTOP);
  std::vector<char*> argv;
  for (const auto& word : plan.argv) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : options.environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  if (options.environment.empty())
    execvp(argv[0], argv.data());
  else
    execvpe(argv[0], argv.data(), envp.data());
  int error = errno;
  std::fprintf(stderr, "Cannot exec %s: %s.\n", argv[0], std::strerror(error));
  _exit(127);
}

} // namespace

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+=:,@%", c))) plain = false;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

pid_t launch_traced(const LaunchOptions& options) {
  if (options.argv.empty()) throw LaunchError("no program to run", -1);
  ExecPlan plan = plan_exec(options);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) throw LaunchError(std::string("fork: ") + std::strerror(errno), -1);
  if (pid == 0) child_exec(options, plan);

  int status = 0;
  if (wait_retrying(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
    throw LaunchError("the new process did not reach its first stop", -1);
  ptrace_seize(pid, default_ptrace_options(true));
  kill(pid, SIGCONT);

  // Run through the shell's and the wrapper's execs until the program itself is loaded.
  int execs = 0;
  int signal_to_pass = 0;
  for (;;) {
    if (wait_retrying(pid, &status, __WALL) != pid) throw LaunchError(std::string("waitpid: ") + std::strerror(errno), -1);
    if (WIFEXITED(status))
      throw LaunchError("During startup program exited with code " + std::to_string(WEXITSTATUS(status)) + ".",
                        WEXITSTATUS(status));
    if (WIFSIGNALED(status))
      throw LaunchError("During startup program terminated with signal " +
                            std::string(sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?") + ".",
                        128 + WTERMSIG(status));
    int event = status >> 16;
    int signal = WSTOPSIG(status);
    if (event == PTRACE_EVENT_EXEC) {
      if (++execs == plan.execs_until_program) break;
    } else if (event == 0 && signal != SIGSTOP && signal != SIGCONT && signal != SIGTRAP) {
      signal_to_pass = signal;  // the shell's own business, e.g. SIGCHLD
    }
    ptrace_cont(pid, signal_to_pass);
    signal_to_pass = 0;
  }
  return pid;
}

} // namespace xolstub::threads
