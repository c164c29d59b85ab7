// The instructions to compare: every instruction of the executable sections of the machine's
// libc.so.6, ld-linux-x86-64.so.2 and libstdc++.so.6 (linear sweep; an undecodable byte is
// skipped and counted), RIP-relative ones aimed at the scratch data, then deduplicated by their
// bytes; and the generated forms (generated_forms.h).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/differential/decoded_instruction.h"

namespace xolstub::differential {

struct Encoding {
  std::vector<std::uint8_t> bytes;  // as run (RIP-relative displacement already aimed)
  std::string origin;               // "libc.so.6+0x2a3f0", or what a generated form tests
  bool generated = false;
};

struct LibraryStats {
  std::string path;
  std::size_t instructions = 0;       // decoded by the sweep
  std::size_t undecodable_bytes = 0;  // skipped one at a time
  std::size_t new_encodings = 0;      // not seen in an earlier library
};

struct Corpus {
  std::vector<Encoding> encodings;
  std::vector<LibraryStats> libraries;
  std::size_t generated = 0;
};

// The real paths (symlinks resolved) of libc.so.6, ld-linux-x86-64.so.2 and libstdc++.so.6 as
// this program itself loaded them. Throws std::runtime_error when one is missing.
std::vector<std::string> default_libraries();

class CorpusBuilder {
public:
  explicit CorpusBuilder(const Disassembler& disassembler) : disassembler_(disassembler) {}
  void add_library(const std::string& path);
  void add_generated();
  Corpus take() { return std::move(corpus_); }

private:
  const Disassembler& disassembler_;
  Corpus corpus_;
  std::unordered_set<std::string> seen_;
};

} // namespace xolstub::differential
