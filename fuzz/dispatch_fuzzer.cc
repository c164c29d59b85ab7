// libFuzzer target: whatever a client may send, through the whole stub — Session, Dispatcher,
// every handler, the Inferior — against a real program the stub starts under ptrace for each
// input (fuzz/fuzz_inferior.c), exactly as `xolstub --once COMM PROG` would.
//
// The input is the byte stream of one client connection (a seed is a real GDB 13.1 session,
// fuzz/corpus/dispatch). Checked beyond "no crash, no sanitizer report": every byte the stub
// writes back is a well-formed frame (acks, `$...#cs` replies, `%...#cs` notifications).
//
// What a client could use to reach outside the sandbox is disabled (--disable-packet): vRun and
// R (run any program), vAttach (trace any process), vFile (read, write and delete files).
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz/in_memory_client.h"
#include "rsp/framing.h"
#include "stub/server.h"

namespace {

std::string inferior_path() {
  if (const char* path = std::getenv("XOLSTUB_FUZZ_INFERIOR")) return path;
  return XOLSTUB_FUZZ_INFERIOR;
}

[[noreturn]] void fail(const std::string& why, const std::string& output) {
  std::fprintf(stderr, "dispatch_fuzzer: %s\nthe stub wrote (%zu bytes): %.2000s\n", why.c_str(), output.size(),
               output.c_str());
  std::abort();
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The stub's side of the protocol: acks and frames with the right checksum, nothing between.
void check_output_framing(const std::string& output) {
  for (std::size_t at = 0; at < output.size();) {
    char c = output[at];
    if (c == '+' || c == '-') {
      ++at;
      continue;
    }
    if (c != '$' && c != '%') fail("a byte outside any frame at offset " + std::to_string(at), output);
    auto hash = output.find('#', at + 1);
    if (hash == std::string::npos || hash + 3 > output.size())
      fail("a frame without its #checksum at offset " + std::to_string(at), output);
    std::string_view body(output.data() + at + 1, hash - at - 1);
    if (body.find('$') != std::string_view::npos) fail("a '$' inside a frame at offset " + std::to_string(at), output);
    if (!is_hex(output[hash + 1]) || !is_hex(output[hash + 2]))
      fail("a checksum that is not two lowercase hex digits at offset " + std::to_string(hash), output);
    unsigned sum = std::stoul(output.substr(hash + 1, 2), nullptr, 16);
    if (sum != xolstub::rsp::checksum(body)) fail("a wrong checksum at offset " + std::to_string(hash), output);
    std::string expanded;
    if (!xolstub::rsp::expand_run_length(body, expanded))
      fail("a run-length encoding GDB cannot undo at offset " + std::to_string(at), output);
    at = hash + 3;
  }
}

// A program the stub let go (D) runs on as our child; nothing may outlive the input.
void kill_leftover_children() {
  std::ifstream children("/proc/self/task/" + std::to_string(::gettid()) + "/children");
  pid_t pid;
  while (children >> pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, __WALL);
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  if (::access(inferior_path().c_str(), X_OK) != 0) {
    std::fprintf(stderr, "dispatch_fuzzer: the inferior %s is not there (set XOLSTUB_FUZZ_INFERIOR)\n",
                 inferior_path().c_str());
    std::exit(1);
  }
  // The inferior's output is not what is fuzzed; the stub's messages stay on stderr.
  int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xolstub::stub::Options options;
  options.comm = "fuzz";
  options.program = {inferior_path()};
  options.once = true;
  options.startup_with_shell = false;
  options.disabled_packets = {"vRun", "R", "vAttach", "vFile"};
  auto output = std::make_shared<std::string>();
  {
    xolstub::stub::Server server(options);
    auto listener = std::make_unique<xolstub::fuzz::OneClientListener>(
        server.io(), std::string(reinterpret_cast<const char*>(data), size), output);
    int code = server.run(std::move(listener));
    if (code != 0) fail("the stub gave up with exit code " + std::to_string(code), *output);
  }
  kill_leftover_children();
  check_output_framing(*output);
  return 0;
}
