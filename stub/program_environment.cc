#include "stub/program_environment.h"

extern char** environ;

namespace xolstub::stub {

ProgramEnvironment::ProgramEnvironment() { reset(); }

void ProgramEnvironment::set(const std::string& assignment) {
  auto equals = assignment.find('=');
  if (equals == std::string::npos)
    variables_[assignment] = "";
  else
    variables_[assignment.substr(0, equals)] = assignment.substr(equals + 1);
}

void ProgramEnvironment::unset(const std::string& name) { variables_.erase(name); }

void ProgramEnvironment::reset() {
  variables_.clear();
  for (char** entry = environ; entry && *entry; ++entry) set(*entry);
}

std::vector<std::string> ProgramEnvironment::entries() const {
  std::vector<std::string> result;
  for (const auto& [name, value] : variables_) result.push_back(name + "=" + value);
  return result;
}

} // namespace xolstub::stub
