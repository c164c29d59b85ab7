// xol_differential: runs every instruction of a corpus (the machine's libc, ld.so and
// libstdc++, plus generated forms) once in place and once out of line through xolstub's real
// step-over path, from the same start state, and fails on any difference. See README.md.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "tests/differential/corpus.h"
#include "tests/differential/runner.h"
#include "tests/differential/start_state.h"

using namespace xolstub::differential;

int main(int argc, char** argv) {
  CLI::App app{"XOL differential test: each instruction in place and out of line, compared", "xol_differential"};
  std::uint64_t seed = 0x5eed;
  std::vector<std::string> libraries;
  bool generated_only = false;
  std::size_t limit = 0;
  RunnerOptions options;
  app.add_option("--seed", seed, "seed of the scratch and vector-register patterns (printed; default 0x5eed)");
  app.add_option("--library", libraries, "an ELF file to sweep instead of libc, ld.so and libstdc++ (repeatable)");
  app.add_flag("--generated-only", generated_only, "run the generated forms only");
  app.add_option("--limit", limit, "stop after this many corpus encodings (debugging; the summary says so)");
  app.add_option("--show", options.mismatches_shown, "print at most this many mismatching runs in detail (all are counted)");
  app.add_flag("-v,--verbose", options.verbose, "a line per encoding");
  CLI11_PARSE(app, argc, argv);
  options.seed = seed;

  const auto started = std::chrono::steady_clock::now();
  try {
    char seed_text[32];
    std::snprintf(seed_text, sizeof seed_text, "0x%llx", static_cast<unsigned long long>(seed));
    std::cout << "XOL differential test, seed " << seed_text << std::endl;

    check_flag_states();
    Disassembler disassembler;
    CorpusBuilder builder(disassembler);
    builder.add_generated();
    if (!generated_only) {
      if (libraries.empty()) libraries = default_libraries();
      for (const std::string& path : libraries) builder.add_library(path);
    }
    Corpus corpus = builder.take();
    std::cout << "generated forms: " << corpus.generated << "\n";
    for (const LibraryStats& library : corpus.libraries)
      std::cout << "swept " << library.path << ": " << library.instructions << " instructions, "
                << library.undecodable_bytes << " undecodable bytes skipped, " << library.new_encodings
                << " new distinct encodings\n";
    const bool limited = limit != 0 && corpus.encodings.size() > corpus.generated + limit;
    if (limited) corpus.encodings.resize(corpus.generated + limit);
    std::cout << "encodings to consider: " << corpus.encodings.size()
              << " (RIP-relative displacements aimed at the scratch data, then deduplicated)" << std::endl;

    Runner runner(options, std::cout);
    runner.run(corpus.encodings);
    const Tally& tally = runner.tally();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "\n";
    tally.print(std::cout);
    if (limited) std::cout << "LIMITED RUN: only the first " << limit << " corpus encodings (--limit)\n";
    char time_text[64];
    std::snprintf(time_text, sizeof time_text, "%.1f s", seconds);
    std::cout << "time: " << time_text << "\n";
    const bool passed = tally.mismatched == 0 && tally.runs_mismatched == 0;
    std::cout << (passed ? "PASS" : "FAIL") << ": " << tally.mismatched << " mismatched encodings" << std::endl;
    return passed ? 0 : 1;
  } catch (const std::exception& error) {
    std::cout << std::flush;
    std::cerr << "xol_differential: " << error.what() << std::endl;
    return 2;
  }
}
