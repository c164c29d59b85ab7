// LLDB's process list (its `platform process list` and attach-by-name): qProcessInfoPID and
// qfProcessInfo/qsProcessInfo, in lldb-server's platform style: decimal numbers, the executable
// and arguments in hex. What is read from /proc and ELF files is threads/'s.
#include <elf.h>
#include <regex.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <stdexcept>

#include "rsp/hex.h"
#include "stub/handlers.h"
#include "stub/lldb_wire.h"
#include "stub/packet_args.h"
#include "stub/session.h"
#include "threads/elf_build_id.h"
#include "threads/proc_info.h"
#include "threads/process_status.h"

namespace xolstub::stub {
namespace {

std::string executable_of(pid_t pid, const std::vector<std::string>& argv, const threads::ProcessStatus& status) {
  std::string path = threads::executable_path(pid);
  if (!path.empty()) return path;
  return argv.empty() ? status.name : argv.front();
}

std::string base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string process_entry(const threads::ProcessStatus& status) {
  auto argv = threads::command_line(status.pid);
  std::string entry = "pid:" + std::to_string(status.pid) + ";ppid:" + std::to_string(status.parent) +
                      ";uid:" + std::to_string(status.uid) + ";gid:" + std::to_string(status.gid) +
                      ";euid:" + std::to_string(status.euid) + ";egid:" + std::to_string(status.egid) + ";";
  entry += "name:" + rsp::to_hex(executable_of(status.pid, argv, status)) + ";";
  entry += "args:";
  for (std::size_t i = 0; i < argv.size(); ++i) entry += (i ? "-" : "") + rsp::to_hex(argv[i]);
  entry += ";";
  // Like lldb-server, a triple only when the executable says which (an x86-64 ELF file).
  try {
    auto module = threads::read_elf_module("/proc/" + std::to_string(status.pid) + "/exe");
    if (module.is_64bit && module.machine == EM_X86_64) entry += "triple:" + rsp::to_hex(host_triple) + ";";
  } catch (const std::exception&) {
  }
  return entry;
}

void handle_process_info_pid(Session& session, std::string_view packet) {
  std::string_view text = after_colon(packet);
  pid_t pid = 0;
  auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || error != std::errc() || ptr != text.data() + text.size() || pid <= 0)
    return session.reply_error(1, "malformed qProcessInfoPID: want a decimal process id");
  auto status = threads::read_process_status(pid);
  if (!status) return session.reply_error(1, "no process " + std::to_string(pid));
  session.reply(process_entry(*status));
}

// name_match:regex, a POSIX extended expression (LLDB's RegularExpression is one too).
class Regex {
public:
  explicit Regex(const std::string& pattern) {
    int error = regcomp(&compiled_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
    if (error != 0) {
      char why[256];
      regerror(error, &compiled_, why, sizeof why);
      throw std::invalid_argument("qfProcessInfo: bad regex \"" + pattern + "\": " + why);
    }
  }
  ~Regex() { regfree(&compiled_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  bool search(const std::string& text) const { return regexec(&compiled_, text.c_str(), 0, nullptr, 0) == 0; }

private:
  regex_t compiled_;
};

// The keys qfProcessInfo filters on (lldb-gdb-remote.txt). Unset: anything matches.
struct ProcessFilter {
  std::optional<std::string> name;  // a base name, matched against the executable's
  std::string name_match = "equals";
  std::shared_ptr<Regex> regex;     // for name_match:regex
  std::optional<long> pid, parent, uid, gid, euid, egid;
  bool all_users = false;

  bool matches_name(const std::string& executable) const {
    if (!name) return true;
    std::string base = base_name(executable);
    if (name_match == "equals") return base == *name;
    if (name_match == "starts_with") return base.starts_with(*name);
    if (name_match == "ends_with") return base.ends_with(*name);
    if (name_match == "contains") return base.find(*name) != std::string::npos;
    return regex && regex->search(base);  // "regex"
  }
  bool matches(const threads::ProcessStatus& status, const std::string& executable) const {
    auto same = [](const std::optional<long>& want, long have) { return !want || *want == have; };
    return same(pid, status.pid) && same(parent, status.parent) && same(uid, status.uid) && same(gid, status.gid) &&
           same(euid, status.euid) && same(egid, status.egid) && matches_name(executable);
  }
};

// LLDB sends decimal; lldb-server also takes 0x... (getAsInteger with radix 0).
long parse_id(std::string_view key, std::string_view value) {
  int base = 10;
  if (value.starts_with("0x") || value.starts_with("0X")) value.remove_prefix(2), base = 16;
  long number = 0;
  auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), number, base);
  if (value.empty() || error != std::errc() || ptr != value.data() + value.size() || number < 0)
    throw std::invalid_argument("qfProcessInfo: malformed " + std::string(key) + ": \"" + std::string(value) + "\"");
  return number;
}

ProcessFilter parse_filter(std::string_view packet) {
  ProcessFilter filter;
  std::string_view body = after_colon(packet);
  for (auto field : split(body, ';')) {
    if (field.empty()) continue;
    auto colon = field.find(':');
    if (colon == std::string_view::npos)
      throw std::invalid_argument("qfProcessInfo: \"" + std::string(field) + "\" is not key:value");
    std::string_view key = field.substr(0, colon), value = field.substr(colon + 1);
    if (key == "name") {
      filter.name = base_name(decode_hex_text(value, "qfProcessInfo name"));
    } else if (key == "name_match") {
      if (value != "equals" && value != "starts_with" && value != "ends_with" && value != "contains" && value != "regex")
        throw std::invalid_argument("qfProcessInfo: unknown name_match \"" + std::string(value) + "\"");
      filter.name_match = std::string(value);
    } else if (key == "pid") {
      filter.pid = parse_id(key, value);
    } else if (key == "parent_pid") {
      filter.parent = parse_id(key, value);
    } else if (key == "uid") {
      filter.uid = parse_id(key, value);
    } else if (key == "gid") {
      filter.gid = parse_id(key, value);
    } else if (key == "euid") {
      filter.euid = parse_id(key, value);
    } else if (key == "egid") {
      filter.egid = parse_id(key, value);
    } else if (key == "all_users") {
      filter.all_users = value == "1" || value == "true" || value == "yes";
    } else if (key == "triple") {
      // Every process the stub could debug is x86-64; nothing to filter.
    } else {
      throw std::invalid_argument("qfProcessInfo: unknown key \"" + std::string(key) + "\"");
    }
  }
  if (filter.name && filter.name_match == "regex") filter.regex = std::make_shared<Regex>(*filter.name);
  return filter;
}

// One qsProcessInfo reply each from the rest of the session's list.
void reply_next_process(Session& session) {
  if (session.process_list.empty()) return session.reply_error(4, "qsProcessInfo: no more processes");
  std::string entry = std::move(session.process_list.back());
  session.process_list.pop_back();
  session.reply(entry);
}

void handle_first_process_info(Session& session, std::string_view packet) {
  session.process_list.clear();
  ProcessFilter filter;
  try {
    filter = parse_filter(packet);
  } catch (const std::exception& error) {
    return session.reply_error(2, error.what());
  }
  // As lldb-server lists them: not zombies, not traced ones (they cannot be attached to), and
  // unless all_users, only our user's (root sees every process).
  uid_t our_uid = getuid();
  std::vector<std::string> entries;
  for (pid_t pid : threads::list_processes()) {
    auto status = threads::read_process_status(pid);
    if (!status || status->state == 'Z' || status->state == 'X' || status->tracer != 0) continue;
    if (!filter.all_users && our_uid != 0 && status->uid != our_uid) continue;
    auto argv = threads::command_line(pid);
    if (!filter.matches(*status, executable_of(pid, argv, *status))) continue;
    entries.push_back(process_entry(*status));
  }
  if (entries.empty()) return session.reply_error(3, "qfProcessInfo: no process matches");
  std::reverse(entries.begin(), entries.end());  // popped from the back: ascending pids
  session.process_list = std::move(entries);
  reply_next_process(session);
}

} // namespace

void register_lldb_process_list_handlers(Dispatcher& dispatcher) {
  dispatcher.add("qProcessInfoPID", handle_process_info_pid);
  dispatcher.add("qfProcessInfo", handle_first_process_info);
  dispatcher.add("qsProcessInfo", [](Session& session, std::string_view) { reply_next_process(session); });
}

} // namespace xolstub::stub
