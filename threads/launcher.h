// Starting a program under the stub the way gdbserver does: through `$SHELL -c exec ...` unless
// told otherwise, behind an optional wrapper, in its own process group that owns the terminal,
// and stopped (traced with PTRACE_SEIZE) right after the exec of the program itself.
#pragma once
#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xolstub::threads {

struct LaunchOptions {
  std::vector<std::string> argv;      // program and its arguments
  std::vector<std::string> wrapper;   // e.g. {"env", "TEST=1"}: runs the program
  bool startup_with_shell = true;
  bool stdio_is_connection = false;   // stdin from /dev/null, stdout to stderr
  std::optional<std::string> working_directory;
  std::vector<std::string> environment;  // empty: inherit the stub's
  // Like gdbserver (and GDB's default), the program's addresses are the same on every run.
  bool disable_randomization = true;
};

// The program could not be started; `exit_code` is what the child exited with (127 for a
// missing program, as shells report it) or -1 when it was not even forked.
class LaunchError : public std::runtime_error {
public:
  LaunchError(const std::string& what, int exit_code) : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

private:
  int exit_code_;
};

// Returns the pid of the new process, stopped at its first instruction and traced.
pid_t launch_traced(const LaunchOptions& options);

// Quotes one word for `sh -c` so that it reaches the program unchanged.
std::string shell_quote(const std::string& word);

} // namespace xolstub::threads
