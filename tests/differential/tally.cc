#include "tests/differential/tally.h"

namespace xolstub::differential {
namespace {

void print_breakdown(std::ostream& out, const std::map<std::string, std::size_t>& counts) {
  bool first = true;
  for (const auto& [name, count] : counts) {
    out << (first ? "" : ", ") << count << " " << name;
    first = false;
  }
}

} // namespace

void Tally::print(std::ostream& out) const {
  out << "encodings: " << encodings << " = compared " << compared << " + skipped " << skipped << "\n";
  out << "compared:  " << compared << " = matched " << matched << " + mismatched " << mismatched << "\n";
  out << "  planned: ";
  print_breakdown(out, planned);
  out << " (refused: " << (planned.count("refused") ? planned.at("refused") : 0) << ", of which " << undecodable
      << " Capstone cannot decode)\n";
  out << "skipped:   " << skipped << (skipped ? " = " : "");
  bool first = true;
  for (const auto& [reason, count] : skipped_by_reason) {
    out << (first ? "" : " + ") << count << " " << reason;
    first = false;
  }
  out << "\n";
  out << "runs:      " << runs << " (encoding x start state) = matched " << runs_matched << " + mismatched "
      << runs_mismatched << "\n";
  out << "  out of line: ";
  print_breakdown(out, done);
  out << "\n  both faulted with the same signal, PC and siginfo: " << runs_faulted << "\n";
  out << "sandbox restarts: " << sandbox_restarts << " (" << sandbox_failures
      << " after a sandbox failure, each run again in a new one); slowest stop: "
      << static_cast<long>(slowest_stop * 1000) << " ms\n";
}

} // namespace xolstub::differential
