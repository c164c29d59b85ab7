// qProcessInfo's and qfProcessInfo's facts: the status parser on a made-up file (and on ones
// missing a field), and this test process as /proc shows it (ids, cwd, command line, listing).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <string>

#include "threads/process_status.h"

using namespace xolstub::threads;

TEST_CASE("parse_process_status reads ids, tracer, state and name") {
  const char* text =
      "Name:\tworker-0\n"
      "Umask:\t0022\n"
      "State:\tS (sleeping)\n"
      "Tgid:\t4242\n"
      "Pid:\t4242\n"
      "PPid:\t17\n"
      "TracerPid:\t99\n"
      "Uid:\t1000\t1001\t1002\t1003\n"
      "Gid:\t100\t101\t102\t103\n";
  auto status = parse_process_status(text);
  REQUIRE(status);
  CHECK(status->pid == 4242);
  CHECK(status->parent == 17);
  CHECK(status->tracer == 99);
  CHECK(status->uid == 1000);
  CHECK(status->euid == 1001);
  CHECK(status->gid == 100);
  CHECK(status->egid == 101);
  CHECK(status->state == 'S');
  CHECK(status->name == "worker-0");
}

TEST_CASE("parse_process_status wants Pid, PPid, Uid and Gid") {
  CHECK_FALSE(parse_process_status(""));
  CHECK_FALSE(parse_process_status("Pid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\n"));       // no Gid
  CHECK_FALSE(parse_process_status("Pid:\tx\nPPid:\t0\nUid:\t0\t0\nGid:\t0\t0\n"));  // not a number
  CHECK_FALSE(parse_process_status("Pid:\t99999999999\nPPid:\t0\nUid:\t0\t0\nGid:\t0\t0\n"));  // too big
  auto minimal = parse_process_status("Pid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  REQUIRE(minimal);
  CHECK(minimal->tracer == 0);
  CHECK(minimal->state == '?');
}

TEST_CASE("this process as /proc shows it") {
  auto status = read_process_status(getpid());
  REQUIRE(status);
  CHECK(status->pid == getpid());
  CHECK(status->parent == getppid());
  CHECK(status->uid == getuid());
  CHECK(status->euid == geteuid());
  CHECK(status->gid == getgid());
  CHECK(status->egid == getegid());

  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof cwd));
  CHECK(working_directory(getpid()) == cwd);

  auto argv = command_line(getpid());
  REQUIRE_FALSE(argv.empty());
  CHECK(argv.front().find("unit_tests") != std::string::npos);

  auto pids = list_processes();
  CHECK(std::is_sorted(pids.begin(), pids.end()));
  CHECK(std::binary_search(pids.begin(), pids.end(), getpid()));

  CHECK_FALSE(read_process_status(0x7ffffff0));
  CHECK(working_directory(0x7ffffff0).empty());
  CHECK(command_line(0x7ffffff0).empty());
}
