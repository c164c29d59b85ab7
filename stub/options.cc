#include "stub/options.h"

#include <CLI/CLI.hpp>

namespace xolstub::stub {
namespace {

constexpr const char* usage_text =
    "Usage: xolstub [OPTIONS] COMM PROG [ARGS ...]\n"
    "       xolstub [OPTIONS] --attach COMM PID\n"
    "       xolstub [OPTIONS] --multi COMM\n"
    "\n"
    "A gdbserver-compatible remote debugging stub with out-of-line breakpoints.\n"
    "\n"
    "COMM may be\n"
    "  HOST:PORT     listen on TCP at HOST (a name, an IPv4 address, or [IPv6])\n"
    "  :PORT         listen on TCP at 127.0.0.1 only; use 0.0.0.0:PORT to listen on\n"
    "                all interfaces (anyone who can reach the port controls the program)\n"
    "                PORT 0 picks a free port; the chosen one is printed\n"
    "  unix:PATH     listen on a Unix socket; GDB connects with `target remote PATH`\n"
    "  - or stdio    talk RSP on stdin/stdout: `target remote | xolstub - PROG`\n";

// Splits off `--wrapper WRAPPER... --`, which CLI11 cannot express.
std::vector<std::string> take_wrapper(std::vector<std::string>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] != "--wrapper") continue;
    auto end = std::find(words.begin() + static_cast<long>(i) + 1, words.end(), "--");
    if (end == words.end()) throw UsageError("--wrapper: missing -- after the wrapper command");
    std::vector<std::string> wrapper(words.begin() + static_cast<long>(i) + 1, end);
    if (wrapper.empty()) throw UsageError("--wrapper: no wrapper command given before --");
    words.erase(words.begin() + static_cast<long>(i), end + 1);
    return wrapper;
  }
  return {};
}

pid_t parse_pid(const std::string& text) {
  try {
    std::size_t used = 0;
    long pid = std::stol(text, &used);
    if (used == text.size() && pid > 0) return static_cast<pid_t>(pid);
  } catch (const std::exception&) {
  }
  throw UsageError("--attach: \"" + text + "\" is not a process id");
}

} // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options options;
  std::vector<std::string> words = args;
  options.wrapper = take_wrapper(words);

  CLI::App app{usage_text, "xolstub"};
  app.set_help_flag();
  std::string disable_packets;
  bool no_startup_with_shell = false, randomization_ignored = false;
  app.add_flag("--help", options.show_help, "Print this message and exit");
  app.add_flag("--version", options.show_version, "Print the version and exit");
  app.add_flag_function("--attach", [&](std::int64_t) { options.attach_pid = 0; }, "Attach to the running process PID");
  app.add_flag("--multi", options.multi, "Start without a program and wait for GDB's `run` or `attach` (extended-remote)");
  app.add_flag("--once", options.once, "Exit after the first connection closes");
  app.add_option("--max-clients", options.max_clients, "How many clients may debug at once (default 8)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--debug", options.debug, "Print every ptrace event and stop to stderr");
  app.add_flag("--remote-debug", options.remote_debug, "Print every packet to stderr");
  app.add_option("--debug-file", options.debug_file, "Write debug output to this file instead of stderr");
  app.add_option("--disable-packet", disable_packets, "Pretend not to support these packets (comma-separated: T, Tthread, threads, qC, vCont, qfThreadInfo)");
  app.add_flag("--startup-with-shell", options.startup_with_shell, "Start the program through $SHELL (default)");
  app.add_flag("--no-startup-with-shell", no_startup_with_shell, "Exec the program directly");
  app.add_flag("--disable-randomization,--no-disable-randomization", randomization_ignored,
               "Accepted for gdbserver compatibility; GDB sets this per run with QDisableRandomization");
  app.add_flag("--selftest", options.selftest, "Run the built-in self tests (see the unit tests instead)");
  app.footer("  --wrapper WRAPPER... --   run the program through WRAPPER (e.g. --wrapper env X=1 --)");
  options.help_text = app.help();

  // Options come before COMM (and --attach may follow it); everything after PROG is the
  // program's own arguments, even when it looks like an option. An option that takes a value
  // may have it in the next word (`--debug-file FILE`) as well as after `=` (gdbserver's form).
  std::size_t comm_index = 0;
  while (comm_index < words.size() && words[comm_index].size() > 1 && words[comm_index].rfind("--", 0) == 0) {
    const std::string& word = words[comm_index++];
    const CLI::Option* option = word.find('=') == std::string::npos ? app.get_option_no_throw(word) : nullptr;
    if (option && option->get_items_expected_min() > 0 && comm_index < words.size()) ++comm_index;
  }
  std::vector<std::string> option_words(words.begin(), words.begin() + static_cast<long>(comm_index));
  try {
    std::vector<std::string> reversed(option_words.rbegin(), option_words.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what());
  }
  if (no_startup_with_shell) options.startup_with_shell = false;
  for (std::size_t start = 0; !disable_packets.empty() && start <= disable_packets.size();) {
    std::size_t comma = disable_packets.find(',', start);
    if (comma == std::string::npos) comma = disable_packets.size();
    options.disabled_packets.insert(disable_packets.substr(start, comma - start));
    start = comma + 1;
  }
  if (options.show_help || options.show_version || options.selftest) return options;

  if (comm_index == words.size()) throw UsageError("no COMM given (for example :2345)\n" + std::string(usage_text));
  options.comm = words[comm_index];
  std::vector<std::string> rest(words.begin() + static_cast<long>(comm_index) + 1, words.end());
  if (!rest.empty() && rest.front() == "--attach") {
    options.attach_pid = 0;
    rest.erase(rest.begin());
  }
  if (options.attach_pid) {
    if (rest.size() != 1) throw UsageError("--attach needs exactly one PID after COMM");
    options.attach_pid = parse_pid(rest.front());
  } else {
    options.program = rest;
    if (options.program.empty() && !options.multi)
      throw UsageError("no program given: name PROG, use --attach PID, or --multi\n" + std::string(usage_text));
  }
  return options;
}

} // namespace xolstub::stub
