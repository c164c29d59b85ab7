// The counts the runner prints: every encoding considered ends up in exactly one of
// skipped / matched / mismatched, and every run (encoding × start state) in matched or
// mismatched, so nothing is left out without being seen.
#pragma once
#include <cstddef>
#include <map>
#include <ostream>
#include <string>

namespace xolstub::differential {

struct Tally {
  std::size_t encodings = 0;   // considered
  std::size_t skipped = 0;     // not run (skip_filter.h)
  std::map<std::string, std::size_t> skipped_by_reason;
  std::size_t compared = 0;    // run, in place and out of line, under each of their start states
  std::size_t matched = 0;     // every run agreed
  std::size_t mismatched = 0;  // at least one run disagreed
  std::map<std::string, std::size_t> planned;  // compared encodings by the planner's strategy
  std::size_t undecodable = 0; // compared encodings Capstone cannot decode (planned: refused)

  std::size_t runs = 0, runs_matched = 0, runs_mismatched = 0;
  std::map<std::string, std::size_t> done;  // runs by what the engine did out of line
  std::size_t runs_faulted = 0;   // both runs faulted the same way
  std::size_t sandbox_restarts = 0;
  std::size_t sandbox_failures = 0;  // runs repeated in a new sandbox (each printed as a NOTE)
  double slowest_stop = 0;           // seconds a resumed thread took to stop, at worst

  void print(std::ostream& out) const;
};

} // namespace xolstub::differential
