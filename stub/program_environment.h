// The environment a program started by `run` gets: the stub's own, changed by GDB's
// QEnvironmentHexEncoded / QEnvironmentUnset / QEnvironmentReset (`set environment`,
// `unset environment` in GDB).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace xolstub::stub {

class ProgramEnvironment {
public:
  ProgramEnvironment();  // a copy of the stub's environment

  // "VAR=VALUE" as QEnvironmentHexEncoded carries it; a missing '=' sets an empty value.
  void set(const std::string& assignment);
  void unset(const std::string& name);
  void reset();
  // In the order execve wants: "VAR=VALUE" each.
  std::vector<std::string> entries() const;

private:
  std::map<std::string, std::string> variables_;
};

} // namespace xolstub::stub
