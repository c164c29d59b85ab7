#include "stub/gdb_signals.h"

#include <csignal>
#include <utility>

namespace xolstub::stub {
namespace {
constexpr int gdb_unknown = 143;

// {Linux, GDB} for the classic signals; real-time signals are computed below.
constexpr std::pair<int, int> classic[] = {
    {SIGHUP, 1},   {SIGINT, 2},     {SIGQUIT, 3},   {SIGILL, 4},   {SIGTRAP, 5},    {SIGABRT, 6},
    {SIGBUS, 10},  {SIGFPE, 8},     {SIGKILL, 9},   {SIGUSR1, 30}, {SIGSEGV, 11},   {SIGUSR2, 31},
    {SIGPIPE, 13}, {SIGALRM, 14},   {SIGTERM, 15},  {SIGCHLD, 20}, {SIGCONT, 19},   {SIGSTOP, 17},
    {SIGTSTP, 18}, {SIGTTIN, 21},   {SIGTTOU, 22},  {SIGURG, 16},  {SIGXCPU, 24},   {SIGXFSZ, 25},
    {SIGVTALRM, 26}, {SIGPROF, 27}, {SIGWINCH, 28}, {SIGIO, 23},   {SIGPWR, 32},    {SIGSYS, 12},
};

// GDB's real-time numbering: 33..63 are 45..75, 32 is 77, 64 and up are 78...
int realtime_to_gdb(int host) {
  if (host == 32) return 77;
  if (host >= 33 && host <= 63) return host - 33 + 45;
  if (host >= 64 && host <= 127) return host - 64 + 78;
  return gdb_unknown;
}
} // namespace

int host_to_gdb_signal(int host_signal) {
  if (host_signal == 0) return 0;
  for (auto [host, gdb] : classic)
    if (host == host_signal) return gdb;
  return realtime_to_gdb(host_signal);
}

int gdb_to_host_signal(int gdb_signal) {
  if (gdb_signal == 0) return 0;
  for (auto [host, gdb] : classic)
    if (gdb == gdb_signal) return host;
  for (int host = 32; host <= 64; ++host)
    if (realtime_to_gdb(host) == gdb_signal) return host;
  return 0;
}

} // namespace xolstub::stub
