// The command line, gdbserver-compatible so that scripts and GDB's testsuite can swap binaries:
//   xolstub [OPTIONS] COMM PROG [ARGS...]
//   xolstub [OPTIONS] --attach COMM PID      (--attach may also follow COMM)
//   xolstub [OPTIONS] --multi COMM
#pragma once
#include <sys/types.h>

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace xolstub::stub {

struct Options {
  std::string comm;                      // HOST:PORT, :PORT, unix:PATH, - or stdio
  std::vector<std::string> program;      // PROG ARGS...
  std::optional<pid_t> attach_pid;
  std::vector<std::string> wrapper;
  bool once = false;
  int max_clients = 8;                   // clients connected at once (docs/multi-client.md)
  bool multi = false;
  bool debug = false;
  bool remote_debug = false;
  std::string debug_file;
  std::set<std::string> disabled_packets;  // --disable-packet=T,Tthread,...
  bool startup_with_shell = true;
  bool selftest = false;
  bool show_version = false;
  bool show_help = false;
  std::string help_text;
};

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws UsageError with a message a user can act on.
Options parse_options(const std::vector<std::string>& args);

} // namespace xolstub::stub
