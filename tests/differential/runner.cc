#include "tests/differential/runner.h"

#include <algorithm>
#include <cstdio>

#include "tests/differential/layout.h"
#include "tests/differential/skip_filter.h"
#include "threads/register_layout.h"
#include "xol/instruction_plan.h"

namespace xolstub::differential {
namespace {

std::string hex_bytes(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char digits[4];
  for (std::uint8_t b : bytes) {
    std::snprintf(digits, sizeof digits, "%s%02x", out.empty() ? "" : " ", b);
    out += digits;
  }
  return out;
}

// What the engine did, from its counters before and after the out-of-line run.
std::string what_was_done(const xol::XolCounters& before, const xol::XolCounters& after) {
  if (after.emulated > before.emulated) return "emulated";
  if (after.boosted > before.boosted) return "boosted";
  if (after.stepped > before.stepped) return "stepped in a slot";
  if (after.in_place > before.in_place) return "stepped in place";
  return "nothing (no step-over started)";
}

} // namespace

Runner::Runner(RunnerOptions options, std::ostream& out) : options_(options), out_(out) {}

Sandbox& Runner::sandbox() {
  if (!sandbox_ || !sandbox_->alive()) replace_sandbox();
  return *sandbox_;
}

void Runner::replace_sandbox() {
  if (sandbox_) {
    ++tally_.sandbox_restarts;
    tally_.slowest_stop = std::max(tally_.slowest_stop, sandbox_->slowest_stop());
  }
  sandbox_.reset();
  sandbox_ = std::make_unique<Sandbox>(options_.seed);
}

void Runner::run(const std::vector<Encoding>& encodings) {
  for (std::size_t i = 0; i < encodings.size(); ++i) {
    run_encoding(encodings[i], i);
    if ((i + 1) % 20000 == 0) out_ << "  ... " << i + 1 << " of " << encodings.size() << " encodings" << std::endl;
  }
  finish();
}

Runner::RunResult Runner::run_once(const Encoding& encoding, const StartVariant& variant, bool runs_getpid) {
  // A sandbox that fails (a thread that never stops, an unexpected stop) is replaced and the
  // run repeated once, in the new one; it is reported either way, and a second failure is a
  // mismatch.
  for (int attempt = 0;; ++attempt) {
    RunResult result;
    try {
      result.in_place = sandbox().run_in_place(encoding.bytes, variant, runs_getpid);
      Sandbox& box = sandbox();  // a new one if the in-place run ended the process
      const xol::XolCounters before = box.engine().counters();
      result.out_of_line = box.run_out_of_line(encoding.bytes, variant, runs_getpid);
      result.done = what_was_done(before, box.engine().counters());
      result.differences = compare_outcomes(result.in_place, result.out_of_line, threads::RegisterLayout::host());
      return result;
    } catch (const SandboxError& error) {
      replace_sandbox();
      ++tally_.sandbox_failures;
      out_ << "NOTE: the sandbox failed on " << hex_bytes(encoding.bytes) << " (" << encoding.origin << "), start "
           << variant.describe() << ": " << error.what() << (attempt == 0 ? "; running it again" : "") << std::endl;
      if (attempt == 0) continue;
      result.differences = {std::string("the sandbox failed twice: ") + error.what()};
      return result;
    }
  }
}

void Runner::finish() {
  if (sandbox_) tally_.slowest_stop = std::max(tally_.slowest_stop, sandbox_->slowest_stop());
}

void Runner::run_encoding(const Encoding& encoding, std::size_t ordinal) {
  ++tally_.encodings;
  std::optional<DecodedInstruction> insn = disassembler_.decode(encoding.bytes, layout::site);
  if (insn) {
    if (std::optional<std::string_view> reason = skip_reason(*insn)) {
      ++tally_.skipped;
      ++tally_.skipped_by_reason[std::string(*reason)];
      if (options_.verbose) out_ << "skip " << hex_bytes(encoding.bytes) << "  " << insn->text << ": " << *reason << "\n";
      return;
    }
  }
  ++tally_.compared;
  std::vector<std::uint8_t> code = encoding.bytes;
  code.resize(layout::code_bytes, 0xcc);
  const xol::InstructionPlan plan = xol::analyze(code, layout::site);
  ++tally_.planned[plan.strategy_name()];
  if (!insn) ++tally_.undecodable;

  // Undecodable (generated) encodings get the one default state.
  const std::vector<StartVariant> variants =
      insn ? variants_for(*insn, encoding.generated, ordinal) : std::vector<StartVariant>{StartVariant{}};
  const bool runs_getpid = insn && insn->id == X86_INS_SYSCALL;
  bool all_matched = true;
  std::string stops;  // verbose: how the in-place runs ended
  for (const StartVariant& variant : variants) {
    RunResult result = run_once(encoding, variant, runs_getpid);
    if (options_.verbose) stops += (stops.empty() ? "" : "; ") + result.in_place.describe_stop();
    ++tally_.runs;
    ++tally_.done[result.done.empty() ? "not run (sandbox failed)" : result.done];
    if (result.differences.empty()) {
      ++tally_.runs_matched;
      if (result.in_place.faulted()) ++tally_.runs_faulted;
      continue;
    }
    ++tally_.runs_mismatched;
    all_matched = false;
    if (tally_.runs_mismatched <= options_.mismatches_shown) {
      out_ << "MISMATCH: " << hex_bytes(encoding.bytes) << "  `" << (insn ? insn->text : plan.text) << "`  from "
           << encoding.origin << "\n"
           << "  planned " << plan.strategy_name() << (plan.refusal.empty() ? "" : " (" + plan.refusal + ")")
           << ", out of line: " << result.done << "; start " << variant.describe() << "\n"
           << "  in place: " << result.in_place.describe_stop() << "; out of line: " << result.out_of_line.describe_stop()
           << "\n";
      for (const std::string& difference : result.differences) out_ << "    " << difference << "\n";
    }
  }
  ++(all_matched ? tally_.matched : tally_.mismatched);
  if (options_.verbose)
    out_ << (all_matched ? "ok   " : "FAIL ") << hex_bytes(encoding.bytes) << "  " << (insn ? insn->text : plan.text)
         << "  [" << plan.strategy_name() << "; " << stops << "]\n";
  if (sandbox_ && sandbox_->alive()) sandbox_->forget_instruction();
}

} // namespace xolstub::differential
