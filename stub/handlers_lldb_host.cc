// LLDB's host and process queries: qHostInfo, qProcessInfo, qGetWorkingDir, qMemoryRegionInfo, qWatchpointSupportInfo, QSetDisableASLR,
// qModuleInfo, jModulesInfo. The replies are lldb-server 14's, field for field and in its order
// (LLDB reads key:value; pairs in any order, but then a packet log diffs cleanly against
// lldb-server's). What is read from /proc and ELF files is threads/'s.
#include <elf.h>
#include <regex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/debuggee.h"
#include "stub/handlers.h"
#include "stub/lldb_wire.h"
#include "stub/packet_args.h"
#include "stub/server.h"
#include "stub/session.h"
#include "threads/elf_build_id.h"
#include "threads/memory_regions.h"
#include "threads/proc_info.h"
#include "threads/process_status.h"

namespace xolstub::stub {
namespace {

// What lldb-server says of a module file (its ELF object's triple: no vendor, no environment).
constexpr std::string_view module_triple = "x86_64--linux";
// DR0-DR3.
constexpr int hardware_watchpoints = 4;

Debuggee* live_process(Session& session) {
  Debuggee* target = session.debuggee();
  if (!target || target->gone() || !session.joined) return nullptr;
  return target;
}


// ---------------------------------------------------------------------------------------------
// qHostInfo

// "6.18.44-fc-v1045" -> "6.18.44": the numbers LLDB reads as the OS version.
std::string version_numbers(std::string_view release) {
  auto end = release.find_first_not_of("0123456789.");
  std::string_view numbers = release.substr(0, end);
  while (numbers.ends_with('.')) numbers.remove_suffix(1);
  return std::string(numbers);
}

// ID= of /etc/os-release ("debian"): LLDB's distribution_id, which lldb-server reads from
// `lsb_release -i`, lower-cased.
std::string distribution_id() {
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("ID=")) continue;
    std::string id = line.substr(3);
    id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    return id;
  }
  return {};
}

void handle_host_info(Session& session, std::string_view) {
  std::string reply = "triple:" + rsp::to_hex(host_triple) + ";ptrsize:8;";
  if (std::string distribution = distribution_id(); !distribution.empty())
    reply += "distribution_id:" + rsp::to_hex(distribution) + ";";
  // x86 debug registers trap after the access: LLDB must not step over the instruction again.
  reply += "watchpoint_exceptions_received:after;endian:little;";
  struct utsname host {};
  if (uname(&host) == 0) {
    if (std::string version = version_numbers(host.release); !version.empty()) reply += "os_version:" + version + ";";
    reply += "os_build:" + rsp::to_hex(host.release) + ";";
    reply += "os_kernel:" + rsp::to_hex(host.version) + ";";
  }
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0]) reply += "hostname:" + rsp::to_hex(name) + ";";
  session.reply(reply);
}

// ---------------------------------------------------------------------------------------------
// qProcessInfo (the process being debugged, debugserver's style: hex numbers)

void handle_process_info(Session& session, std::string_view) {
  Debuggee* target = live_process(session);
  if (!target) return session.reply_error(0x44, "qProcessInfo: no process is being debugged");
  auto status = threads::read_process_status(target->pid());
  if (!status)
    return session.reply_error(0x44, "qProcessInfo: cannot read /proc/" + std::to_string(target->pid()) + "/status");
  session.reply("pid:" + rsp::hex_number(static_cast<std::uint64_t>(status->pid)) +
                ";parent-pid:" + rsp::hex_number(static_cast<std::uint64_t>(status->parent)) +
                ";real-uid:" + rsp::hex_number(status->uid) + ";real-gid:" + rsp::hex_number(status->gid) +
                ";effective-uid:" + rsp::hex_number(status->euid) +
                ";effective-gid:" + rsp::hex_number(status->egid) + ";triple:" + rsp::to_hex(host_triple) +
                ";ostype:linux;endian:little;ptrsize:8;");
}

// ---------------------------------------------------------------------------------------------
// qGetWorkingDir

void handle_working_dir(Session& session, std::string_view) {
  if (Debuggee* target = live_process(session)) {
    std::string directory = threads::working_directory(target->pid());
    if (directory.empty())
      return session.reply_error(0x14, "qGetWorkingDir: cannot read /proc/" + std::to_string(target->pid()) + "/cwd");
    return session.reply(rsp::to_hex(directory));
  }
  // No process yet: where the next one will start, as lldb-server answers.
  const auto& directory = session.server().launch_settings().working_directory;
  if (!directory) return session.reply_error(0x14, "qGetWorkingDir: no process, and no working directory was set");
  session.reply(rsp::to_hex(*directory));
}

// ---------------------------------------------------------------------------------------------
// qMemoryRegionInfo[:ADDR]

void handle_memory_region(Session& session, std::string_view packet) {
  Debuggee* target = live_process(session);
  if (!target) return session.reply_error(0x15, "qMemoryRegionInfo: no process is being debugged");
  if (packet.find(':') == std::string_view::npos) return session.reply_ok();  // the probe: supported
  auto address = rsp::parse_hex_number(after_colon(packet));
  if (!address)
    return session.reply_error(1, "qMemoryRegionInfo: malformed address \"" + std::string(after_colon(packet)) + "\"");
  auto at = threads::region_at(threads::read_memory_regions(target->pid()), *address);
  std::string reply = "start:" + rsp::hex_number(at.start) + ";size:" + rsp::hex_number(at.size) + ";";
  if (at.mapped) {
    // lldb-server leaves out "permissions" when there are none (a guard page), and sends an
    // empty "flags" (no memory tagging on x86-64) for every mapping.
    const auto& region = *at.mapped;
    if (region.readable || region.writable || region.executable)
      reply += std::string("permissions:") + (region.readable ? "r" : "") + (region.writable ? "w" : "") +
               (region.executable ? "x" : "") + ";";
    reply += "flags:;";
    if (!region.name.empty()) reply += "name:" + rsp::to_hex(region.name) + ";";
  }
  session.reply(reply);
}

// ---------------------------------------------------------------------------------------------
// QSetDisableASLR:0|1 (LLDB's QDisableRandomization)

void handle_disable_aslr(Session& session, std::string_view packet) {
  std::string_view value = after_colon(packet);
  if (value != "0" && value != "1") return session.reply_error(1, "malformed QSetDisableASLR: want 0 or 1");
  session.server().launch_settings().disable_randomization = value == "1";
  session.reply_ok();
}

// ---------------------------------------------------------------------------------------------
// qModuleInfo:HEX(path);HEX(triple) and jModulesInfo:[{"file":...,"triple":...},...]

// The module file as lldb-server describes it; std::runtime_error saying why it cannot.
threads::ElfModule module_for(const std::string& path, std::string_view triple) {
  if (path.empty()) throw std::runtime_error("no module path");
  if (!triple.empty() && !triple.starts_with("x86_64"))
    throw std::runtime_error("module triple " + std::string(triple) + " is not x86-64");
  auto module = threads::read_elf_module(path);
  if (!module.is_64bit || module.machine != EM_X86_64) throw std::runtime_error(path + " is not an x86-64 ELF file");
  return module;
}

void handle_module_info(Session& session, std::string_view packet) {
  auto fields = split(after_colon(packet), ';');
  if (fields.size() != 2) return session.reply_error(1, "malformed qModuleInfo: want qModuleInfo:HEX(path);HEX(triple)");
  std::string path = decode_hex_text(fields[0], "qModuleInfo path");
  std::string triple = decode_hex_text(fields[1], "qModuleInfo triple");
  threads::ElfModule module;
  try {
    module = module_for(path, triple);
  } catch (const std::exception& error) {
    return session.reply_error(3, std::string("qModuleInfo: ") + error.what());
  }
  // lldb-server would send an md5 of the file instead; LLDB matches either, and every module
  // Debian builds has a build-id.
  if (module.build_id.empty()) return session.reply_error(5, "qModuleInfo: " + path + " has no GNU build-id");
  session.reply("uuid:" + rsp::to_hex(threads::uuid_string(module.build_id)) + ";triple:" + rsp::to_hex(module_triple) +
                ";file_path:" + rsp::to_hex(module.real_path) + ";file_offset:0;file_size:" +
                rsp::hex_number(module.file_size) + ";");
}

void handle_modules_info(Session& session, std::string_view packet) {
  // The JSON travels as binary data: '}' (and '#', '$', '*') arrive escaped.
  constexpr std::string_view prefix = "jModulesInfo:";
  if (!packet.starts_with(prefix)) return session.reply_error(1, "malformed jModulesInfo: want jModulesInfo:[...]");
  auto body = rsp::unescape_binary(packet.substr(prefix.size()));
  if (!body) return session.reply_error(1, "jModulesInfo: the request ends in a lone '}'");
  auto request = nlohmann::json::parse(body->begin(), body->end(), nullptr, false);
  if (request.is_discarded()) return session.reply_error(1, "jModulesInfo: the request is not JSON");
  if (!request.is_array()) return session.reply_error(2, "jModulesInfo: the request is not a JSON array");
  auto answer = nlohmann::json::array();
  for (const auto& query : request) {
    // Like lldb-server: a query it cannot answer is left out, not an error.
    if (!query.is_object() || !query.contains("file") || !query["file"].is_string() || !query.contains("triple") ||
        !query["triple"].is_string())
      continue;
    threads::ElfModule module;
    try {
      module = module_for(query["file"].get<std::string>(), query["triple"].get<std::string>());
    } catch (const std::exception&) {
      continue;
    }
    if (module.build_id.empty()) continue;
    answer.push_back({{"uuid", threads::uuid_string(module.build_id)},
                      {"triple", module_triple},
                      {"file_path", module.real_path},
                      {"file_offset", 0},
                      {"file_size", module.file_size}});
  }
  session.reply(rsp::escape_binary(answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

} // namespace

void register_lldb_host_handlers(Dispatcher& dispatcher) {
  dispatcher.add("qHostInfo", handle_host_info);
  dispatcher.add("qProcessInfo", handle_process_info);
  dispatcher.add("qGetWorkingDir", handle_working_dir);
  dispatcher.add("qMemoryRegionInfo", handle_memory_region);
  dispatcher.add("qWatchpointSupportInfo", [](Session& session, std::string_view) {
    session.reply("num:" + std::to_string(hardware_watchpoints) + ";");
  });
  dispatcher.add("QSetDisableASLR", handle_disable_aslr);
  dispatcher.add("qModuleInfo", handle_module_info);
  dispatcher.add("jModulesInfo", handle_modules_info);
}

} // namespace xolstub::stub
