// Runs each encoding of the corpus in place and out of line under each of its start states,
// compares, counts, and prints every mismatch (up to a limit; all are counted).
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "tests/differential/corpus.h"
#include "tests/differential/decoded_instruction.h"
#include "tests/differential/sandbox.h"
#include "tests/differential/tally.h"

namespace xolstub::differential {

struct RunnerOptions {
  std::uint64_t seed = 0;
  std::size_t mismatches_shown = 25;
  bool verbose = false;  // a line per encoding
};

class Runner {
public:
  Runner(RunnerOptions options, std::ostream& out);
  void run(const std::vector<Encoding>& encodings);
  const Tally& tally() const { return tally_; }

private:
  struct RunResult {
    std::vector<std::string> differences;
    std::string done;  // what the engine did out of line
    Outcome in_place, out_of_line;
  };
  void run_encoding(const Encoding& encoding, std::size_t ordinal);
  RunResult run_once(const Encoding& encoding, const StartVariant& variant, bool runs_getpid);
  Sandbox& sandbox();
  void replace_sandbox();
  void finish();  // collects the last sandbox's figures

  RunnerOptions options_;
  std::ostream& out_;
  Disassembler disassembler_;
  std::unique_ptr<Sandbox> sandbox_;
  Tally tally_;
};

} // namespace xolstub::differential
