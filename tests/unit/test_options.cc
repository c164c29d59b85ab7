// The command line: gdbserver's forms, and the program's own arguments left alone.
#include <doctest/doctest.h>

#include "stub/options.h"

using xolstub::stub::parse_options;
using xolstub::stub::UsageError;

TEST_CASE("an option's value may follow after = or in the next word") {
  auto joined = parse_options({"--debug", "--debug-file=/tmp/a.log", "--max-clients=3", ":2345", "prog"});
  CHECK(joined.debug);
  CHECK(joined.debug_file == "/tmp/a.log");
  CHECK(joined.max_clients == 3);
  CHECK(joined.comm == ":2345");

  auto spaced = parse_options({"--debug-file", "/tmp/b.log", "--disable-packet", "T,qC", "--once", ":2345", "prog", "x"});
  CHECK(spaced.debug_file == "/tmp/b.log");
  CHECK(spaced.disabled_packets == std::set<std::string>{"T", "qC"});
  CHECK(spaced.once);
  CHECK(spaced.comm == ":2345");
  CHECK(spaced.program == std::vector<std::string>{"prog", "x"});
}

TEST_CASE("everything after PROG is the program's, even options") {
  auto options = parse_options({"--once", "-", "prog", "--debug-file", "x", "--once"});
  CHECK_FALSE(options.debug);
  CHECK(options.debug_file.empty());
  CHECK(options.program == std::vector<std::string>{"prog", "--debug-file", "x", "--once"});
}

TEST_CASE("--attach before or after COMM") {
  CHECK(*parse_options({"--attach", ":1", "42"}).attach_pid == 42);
  CHECK(*parse_options({":1", "--attach", "42"}).attach_pid == 42);
  CHECK_THROWS_AS(parse_options({":1", "--attach", "x"}), UsageError);
}

TEST_CASE("usage errors name what is missing") {
  CHECK_THROWS_WITH_AS(parse_options({"--once"}), doctest::Contains("no COMM"), UsageError);
  CHECK_THROWS_WITH_AS(parse_options({":1"}), doctest::Contains("no program"), UsageError);
  CHECK_THROWS_AS(parse_options({"--max-clients", "many", ":1", "prog"}), UsageError);
}
