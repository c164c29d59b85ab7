// xolstub: a gdbserver-compatible remote debugging stub. See README.md.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "stub/options.h"
#include "stub/server.h"

int main(int argc, char** argv) {
  using namespace xolstub::stub;
  std::vector<std::string> args(argv + 1, argv + argc);
  Options options;
  try {
    options = parse_options(args);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "xolstub: %s\nTry `xolstub --help' for more information.\n", error.what());
    return 2;
  }
  if (options.show_help) {
    std::printf("%s", options.help_text.c_str());
    return 0;
  }
  if (options.show_version) {
    std::printf("xolstub %s\nA gdbserver-compatible debugging stub for x86-64 GNU/Linux.\n", XOLSTUB_VERSION);
    return 0;
  }
  if (options.selftest) {
    // The unit tests live in tests/unit (ctest); GDB's testsuite accepts this answer.
    std::printf("Selftests have been disabled for this build.\n");
    return 0;
  }
  // Broken pipes are a client going away, which the session notices; never a reason to die.
  std::signal(SIGPIPE, SIG_IGN);
  return Server(std::move(options)).run();
}
