// The qXfer:osdata documents (see osdata.h): one small reader per type, each turning one /proc
// table (or directory walk) into items, the table of types `info os` lists, and the XML they
// travel in. What each column holds follows gdbserver's linux-osdata.c, so `info os` reads the
// same whichever server GDB talks to.
#include "stub/osdata.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <system_error>

#include "stub/xml_escape.h"
#include "threads/proc_info.h"

namespace xolstub::stub {
namespace {

// ---- text ----------------------------------------------------------------------------------

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  // /proc files report size 0: read until the end rather than by size.
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr std::string_view blanks = " \t\r\n";

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  for (auto start = line.find_first_not_of(blanks); start != std::string_view::npos;
       start = line.find_first_not_of(blanks, start)) {
    auto end = line.find_first_of(blanks, start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    start = end;
  }
  return out;
}

template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string octal(unsigned value) {
  char buffer[16];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value, 8).ptr;
  return std::string(buffer, end);
}

std::string hex(unsigned long long value) {
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value, 16).ptr;
  return std::string(buffer, end);
}

// Length of the UTF-8 sequence at the start of `text` if it is one XML may carry (no C0
// controls but tab, newline and return; no surrogates, overlong forms, U+FFFE/U+FFFF or values
// past U+10FFFF), else 0.
std::size_t xml_char_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return lead >= 0x20 || lead == '\t' || lead == '\n' || lead == '\r' ? 1 : 0;
  std::size_t length = lead >= 0xF8 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || text.size() < length) return 0;
  std::uint32_t code = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10FFFF) return 0;
  if ((code >= 0xD800 && code <= 0xDFFF) || code == 0xFFFE || code == 0xFFFF) return 0;
  return length;
}

// Text for the document. Command lines, file names and thread names are whatever bytes a
// program chose; one byte expat rejects (a control character, Latin-1) would make GDB throw
// away the whole table ("Can not fetch data now."), so such bytes become '?', as ps shows them.
std::string xml_text(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  while (!text.empty()) {
    std::size_t length = xml_char_length(text);
    if (length == 0) {
      clean += '?';
      length = 1;
    } else {
      clean.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return xml_escape(clean);
}

std::string time_text(long long seconds) {
  // gdbserver leaves a time that never happened (0) empty.
  if (seconds == 0) return "";
  time_t when = static_cast<time_t>(seconds);
  char buffer[64];
  if (!ctime_r(&when, buffer)) return std::to_string(seconds);
  return std::string(trim(buffer));  // without ctime's newline
}

// ---- /proc walks -----------------------------------------------------------------------------

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

// The entries of `path` whose names are numbers (pids, tids, fds), in the order readdir gives
// them, as gdbserver lists them. A directory that cannot be opened (a process that exited,
// another user's fd directory) has none, unless `required`: then it is an error.
std::vector<std::string> numeric_entries(const std::string& path, bool required = false) {
  std::unique_ptr<DIR, DirCloser> dir(opendir(path.c_str()));
  if (!dir) {
    if (required) throw std::system_error(errno, std::generic_category(), "cannot list " + path);
    return {};
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir.get()))
    if (parse_number<long long>(entry->d_name)) names.push_back(entry->d_name);
  return names;
}

std::vector<std::string> process_entries() { return numeric_entries("/proc", true); }

pid_t to_pid(std::string_view entry) { return parse_number<pid_t>(entry).value_or(0); }

// User and group names by id, looked up once per document: a process table asks for the same
// few owners thousands of times, and each NSS lookup may read /etc/passwd again.
class IdNames {
public:
  const std::string& user(uid_t uid) {
    auto found = users_.find(uid);
    if (found == users_.end()) found = users_.emplace(uid, lookup_user(uid)).first;
    return found->second;
  }
  const std::string& group(gid_t gid) {
    auto found = groups_.find(gid);
    if (found == groups_.end()) found = groups_.emplace(gid, lookup_group(gid)).first;
    return found->second;
  }

private:
  // The *_r lookups want a caller's buffer whose needed size is unknown: grow it on ERANGE.
  // An id without a name is "", as gdbserver shows it.
  static std::string lookup_user(uid_t uid) {
    std::vector<char> buffer(1024);
    for (;;) {
      struct ::passwd entry {};
      struct ::passwd* result = nullptr;
      int error = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result);
      if (error == ERANGE && buffer.size() < (1u << 20)) {
        buffer.resize(buffer.size() * 4);
        continue;
      }
      return error == 0 && result ? std::string(result->pw_name) : std::string();
    }
  }
  static std::string lookup_group(gid_t gid) {
    std::vector<char> buffer(1024);
    for (;;) {
      struct ::group entry {};
      struct ::group* result = nullptr;
      int error = getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &result);
      if (error == ERANGE && buffer.size() < (1u << 20)) {
        buffer.resize(buffer.size() * 4);
        continue;
      }
      return error == 0 && result ? std::string(result->gr_name) : std::string();
    }
  }

  std::map<uid_t, std::string> users_;
  std::map<gid_t, std::string> groups_;
};

// The cores the threads of `pid` last ran on, ascending, comma-separated ("0,3").
std::string cores_of(pid_t pid) {
  std::set<int> cores;
  for (pid_t tid : threads::list_tasks(pid))
    if (auto core = threads::thread_core(pid, tid); core && *core >= 0) cores.insert(*core);
  std::string text;
  for (int core : cores) text += (text.empty() ? "" : ",") + std::to_string(core);
  return text;
}

std::string link_target(const std::string& path) {
  char buffer[4096];
  ssize_t length = readlink(path.c_str(), buffer, sizeof buffer);
  if (length < 0) return {};
  return std::string(buffer, static_cast<std::size_t>(length));
}

// ---- one reader per type ---------------------------------------------------------------------

std::vector<OsdataItem> processes_items() {
  IdNames names;
  std::vector<OsdataItem> items;
  for (const std::string& entry : process_entries()) {
    pid_t pid = to_pid(entry);
    // The owner of the /proc entry is the process's effective user; "?" once it is gone.
    struct stat status {};
    std::string user = ::stat(("/proc/" + entry).c_str(), &status) == 0 ? names.user(status.st_uid) : "?";
    items.push_back({{"pid", entry},
                     {"user", user},
                     {"command", process_command_line(pid)},
                     {"cores", cores_of(pid)}});
  }
  return items;
}

std::vector<OsdataItem> procgroups_items() {
  struct Member {
    pid_t pid;
    pid_t pgid;
    bool leader() const { return pid == pgid; }
  };
  std::vector<Member> members;
  for (const std::string& entry : process_entries()) {
    pid_t pid = to_pid(entry);
    pid_t pgid = getpgid(pid);
    if (pgid > 0) members.push_back({pid, pgid});
  }
  // By group; in each group its leader first, then the others by pid.
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    if (a.pgid != b.pgid) return a.pgid < b.pgid;
    if (a.leader() != b.leader()) return a.leader();
    return a.pid < b.pid;
  });
  std::vector<OsdataItem> items;
  for (const Member& member : members)
    items.push_back({{"pgid", std::to_string(member.pgid)},
                     {"leader command", process_command(member.pgid)},
                     {"pid", std::to_string(member.pid)},
                     {"command line", process_command_line(member.pid)}});
  return items;
}

std::vector<OsdataItem> threads_items() {
  std::vector<OsdataItem> items;
  for (const std::string& entry : process_entries()) {
    pid_t pid = to_pid(entry);
    std::string command = process_command(pid);
    for (const std::string& task : numeric_entries("/proc/" + entry + "/task")) {
      auto core = threads::thread_core(pid, to_pid(task));
      items.push_back({{"pid", entry},
                       {"command", command},
                       {"tid", task},
                       {"core", std::to_string(core.value_or(-1))}});
    }
  }
  return items;
}

std::vector<OsdataItem> files_items() {
  std::vector<OsdataItem> items;
  for (const std::string& entry : process_entries()) {
    std::string command = process_command(to_pid(entry));
    std::string directory = "/proc/" + entry + "/fd";
    for (const std::string& fd : numeric_entries(directory)) {
      // A link that cannot be read (the fd was closed meanwhile) shows its number.
      std::string name = link_target(directory + "/" + fd);
      items.push_back({{"pid", entry},
                       {"command", command},
                       {"file descriptor", fd},
                       {"name", name.empty() ? fd : name}});
    }
  }
  return items;
}

std::optional<OsdataItem> socket_item(std::string_view line, bool ipv6, bool tcp, IdNames& names);

std::vector<OsdataItem> sockets_items() {
  IdNames names;
  std::vector<OsdataItem> items;
  // gdbserver's order: IPv4 TCP, IPv4 UDP, IPv6 TCP, IPv6 UDP.
  struct Table {
    const char* path;
    bool ipv6;
    bool tcp;
  };
  static constexpr Table tables[] = {{"/proc/net/tcp", false, true},
                                     {"/proc/net/udp", false, false},
                                     {"/proc/net/tcp6", true, true},
                                     {"/proc/net/udp6", true, false}};
  for (const Table& table : tables) {
    auto text = read_text(table.path);
    if (!text) continue;  // no IPv6 in this kernel or namespace
    for (std::string_view line : split_lines(*text))
      if (auto item = socket_item(line, table.ipv6, table.tcp, names)) items.push_back(std::move(*item));
  }
  return items;
}

// Every line of a /proc table through `parse`; a table that does not exist has no lines.
template <typename Parse>
std::vector<OsdataItem> table_items(const std::string& path, Parse parse) {
  std::vector<OsdataItem> items;
  if (auto text = read_text(path))
    for (std::string_view line : split_lines(*text))
      if (auto item = parse(line)) items.push_back(std::move(*item));
  return items;
}

std::optional<OsdataItem> shm_item(std::string_view line, IdNames& names);
std::optional<OsdataItem> sem_item(std::string_view line, IdNames& names);
std::optional<OsdataItem> msg_item(std::string_view line, IdNames& names);

std::vector<OsdataItem> shm_items() {
  IdNames names;
  return table_items("/proc/sysvipc/shm", [&](std::string_view line) { return shm_item(line, names); });
}

std::vector<OsdataItem> sem_items() {
  IdNames names;
  return table_items("/proc/sysvipc/sem", [&](std::string_view line) { return sem_item(line, names); });
}

std::vector<OsdataItem> msg_items() {
  IdNames names;
  return table_items("/proc/sysvipc/msg", [&](std::string_view line) { return msg_item(line, names); });
}

std::vector<OsdataItem> modules_items() {
  return table_items("/proc/modules", [](std::string_view line) { return module_item(line); });
}

std::vector<OsdataItem> cpus_items() { return cpuinfo_items(read_text("/proc/cpuinfo").value_or("")); }

// ---- line parsers ------------------------------------------------------------------------------

// The whitespace-separated fields of one table line, read by position. A field that is missing
// or not a number in the base asked for marks the line bad (a header, a truncated line).
class Fields {
public:
  explicit Fields(std::string_view line) : words_(words(line)) {}

  template <typename T>
  T number(std::size_t index, int base = 10) {
    std::optional<T> value;
    if (index < words_.size()) value = parse_number<T>(words_[index], base);
    if (!value) bad_ = true;
    return value.value_or(T{});
  }
  std::string_view text(std::size_t index) {
    if (index < words_.size()) return words_[index];
    bad_ = true;
    return {};
  }
  bool bad() const { return bad_; }

private:
  std::vector<std::string_view> words_;
  bool bad_ = false;
};

const char* tcp_state_name(unsigned state) {
  // The kernel's enum in include/net/tcp_states.h; UDP sockets use the same numbers.
  static constexpr const char* names[] = {"(unknown)", "ESTABLISHED", "SYN_SENT", "SYN_RECV",
                                          "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                          "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
  return state < std::size(names) ? names[state] : "(unknown)";
}

struct Endpoint {
  std::string address;
  std::string port;
};

// "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6).
std::optional<Endpoint> parse_endpoint(std::string_view text, bool ipv6) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view digits = text.substr(0, colon);
  auto port = parse_number<unsigned>(text.substr(colon + 1), 16);
  std::size_t count = ipv6 ? 4 : 1;
  if (!port || digits.size() != 8 * count) return std::nullopt;
  // The kernel prints each 32-bit word of the address as the number those bytes make in host
  // order, so storing the numbers back gives the address bytes in network order.
  std::array<std::uint32_t, 4> address{};
  for (std::size_t i = 0; i < count; ++i) {
    auto word = parse_number<std::uint32_t>(digits.substr(8 * i, 8), 16);
    if (!word) return std::nullopt;
    address[i] = *word;
  }
  char buffer[INET6_ADDRSTRLEN];
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), buffer, sizeof buffer)) return std::nullopt;
  return Endpoint{buffer, std::to_string(*port)};
}

// "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid ..."
std::optional<OsdataItem> socket_item(std::string_view line, bool ipv6, bool tcp, IdNames& names) {
  Fields fields(line);
  std::string_view slot = fields.text(0);
  if (slot.empty() || slot.back() != ':' || !parse_number<unsigned>(slot.substr(0, slot.size() - 1)))
    return std::nullopt;
  auto local = parse_endpoint(fields.text(1), ipv6);
  auto remote = parse_endpoint(fields.text(2), ipv6);
  auto state = fields.number<unsigned>(3, 16);
  auto uid = fields.number<uid_t>(7);
  if (fields.bad() || !local || !remote) return std::nullopt;
  return OsdataItem{{"local address", local->address},
                    {"local port", local->port},
                    {"remote address", remote->address},
                    {"remote port", remote->port},
                    {"state", tcp_state_name(state)},
                    {"user", names.user(uid)},
                    {"family", ipv6 ? "INET6" : "INET"},
                    {"protocol", tcp ? "STREAM" : "DGRAM"}};
}

// key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime [rss swap]
std::optional<OsdataItem> shm_item(std::string_view line, IdNames& names) {
  Fields f(line);
  auto key = f.number<int>(0);
  auto shmid = f.number<int>(1);
  auto perms = f.number<unsigned>(2, 8);
  auto size = f.number<unsigned long long>(3);
  auto cpid = f.number<pid_t>(4);
  auto lpid = f.number<pid_t>(5);
  auto attached = f.number<unsigned long>(6);
  auto uid = f.number<uid_t>(7);
  auto gid = f.number<gid_t>(8);
  auto cuid = f.number<uid_t>(9);
  auto cgid = f.number<gid_t>(10);
  auto atime = f.number<long long>(11);
  auto dtime = f.number<long long>(12);
  auto ctime = f.number<long long>(13);
  if (f.bad()) return std::nullopt;
  return OsdataItem{{"key", std::to_string(key)},
                    {"shmid", std::to_string(shmid)},
                    {"permissions", octal(perms)},
                    {"size", std::to_string(size)},
                    {"creator command", process_command(cpid)},
                    {"last op. command", process_command(lpid)},
                    {"num attached", std::to_string(attached)},
                    {"user", names.user(uid)},
                    {"group", names.group(gid)},
                    {"creator user", names.user(cuid)},
                    {"creator group", names.group(cgid)},
                    {"last shmat() time", time_text(atime)},
                    {"last shmdt() time", time_text(dtime)},
                    {"last shmctl() time", time_text(ctime)}};
}

// key semid perms nsems uid gid cuid cgid otime ctime
std::optional<OsdataItem> sem_item(std::string_view line, IdNames& names) {
  Fields f(line);
  auto key = f.number<int>(0);
  auto semid = f.number<int>(1);
  auto perms = f.number<unsigned>(2, 8);
  auto count = f.number<unsigned long>(3);
  auto uid = f.number<uid_t>(4);
  auto gid = f.number<gid_t>(5);
  auto cuid = f.number<uid_t>(6);
  auto cgid = f.number<gid_t>(7);
  auto otime = f.number<long long>(8);
  auto ctime = f.number<long long>(9);
  if (f.bad()) return std::nullopt;
  return OsdataItem{{"key", std::to_string(key)},
                    {"semid", std::to_string(semid)},
                    {"permissions", octal(perms)},
                    {"num semaphores", std::to_string(count)},
                    {"user", names.user(uid)},
                    {"group", names.group(gid)},
                    {"creator user", names.user(cuid)},
                    {"creator group", names.group(cgid)},
                    {"last semop() time", time_text(otime)},
                    {"last semctl() time", time_text(ctime)}};
}

// key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
std::optional<OsdataItem> msg_item(std::string_view line, IdNames& names) {
  Fields f(line);
  auto key = f.number<int>(0);
  auto msqid = f.number<int>(1);
  auto perms = f.number<unsigned>(2, 8);
  auto bytes = f.number<unsigned long>(3);
  auto messages = f.number<unsigned long>(4);
  auto lspid = f.number<pid_t>(5);
  auto lrpid = f.number<pid_t>(6);
  auto uid = f.number<uid_t>(7);
  auto gid = f.number<gid_t>(8);
  auto cuid = f.number<uid_t>(9);
  auto cgid = f.number<gid_t>(10);
  auto stime = f.number<long long>(11);
  auto rtime = f.number<long long>(12);
  auto ctime = f.number<long long>(13);
  if (f.bad()) return std::nullopt;
  return OsdataItem{{"key", std::to_string(key)},
                    {"msqid", std::to_string(msqid)},
                    {"permissions", octal(perms)},
                    {"num used bytes", std::to_string(bytes)},
                    {"num messages", std::to_string(messages)},
                    {"last msgsnd() command", process_command(lspid)},
                    {"last msgrcv() command", process_command(lrpid)},
                    {"user", names.user(uid)},
                    {"group", names.group(gid)},
                    {"creator user", names.user(cuid)},
                    {"creator group", names.group(cgid)},
                    {"last msgsnd() time", time_text(stime)},
                    {"last msgrcv() time", time_text(rtime)},
                    {"last msgctl() time", time_text(ctime)}};
}

// ---- the types -------------------------------------------------------------------------------

struct OsdataType {
  std::string_view annex;         // what GDB asks for: `info os ANNEX`
  std::string_view title;
  std::string_view description;
  std::string_view element_type;  // the <osdata type="..."> gdbserver writes (not always the annex)
  std::vector<OsdataItem> (*items)();
};

// gdbserver's table, in its order (`info os` lists the types in this order).
constexpr OsdataType osdata_types[] = {
    {"cpus", "CPUs", "Listing of all cpus/cores on the system", "cpus", cpus_items},
    {"files", "File descriptors", "Listing of all file descriptors", "files", files_items},
    {"modules", "Kernel modules", "Listing of all loaded kernel modules", "modules", modules_items},
    {"msg", "Message queues", "Listing of all message queues", "message queues", msg_items},
    {"processes", "Processes", "Listing of all processes", "processes", processes_items},
    {"procgroups", "Process groups", "Listing of all process groups", "process groups", procgroups_items},
    {"semaphores", "Semaphores", "Listing of all semaphores", "semaphores", sem_items},
    {"shm", "Shared-memory regions", "Listing of all shared-memory regions", "shared memory", shm_items},
    {"sockets", "Sockets", "Listing of all internet-domain sockets", "I sockets", sockets_items},
    {"threads", "Threads", "Listing of all threads", "threads", threads_items},
};

std::vector<OsdataItem> types_items() {
  std::vector<OsdataItem> items;
  for (const OsdataType& type : osdata_types)
    items.push_back({{"Type", std::string(type.annex)},
                     {"Description", std::string(type.description)},
                     {"Title", std::string(type.title)}});
  return items;
}

} // namespace

// ---- public ------------------------------------------------------------------------------------

std::string osdata_item_xml(const OsdataItem& item) {
  std::string xml = "<item>";
  for (const OsdataColumn& column : item)
    xml += "<column name=\"" + xml_text(column.name) + "\">" + xml_text(column.value) + "</column>";
  return xml + "</item>";
}

std::string osdata_document(std::string_view type, std::span<const OsdataItem> items) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"" +
                    xml_text(type) + "\">\n";
  for (const OsdataItem& item : items) xml += osdata_item_xml(item) + "\n";
  return xml + "</osdata>\n";
}

std::optional<std::string> osdata_xml(std::string_view annex) {
  // gdbserver also answers "types" by name, besides the empty annex `info os` sends.
  if (annex.empty() || annex == "types") return osdata_document("types", types_items());
  for (const OsdataType& type : osdata_types)
    if (type.annex == annex) return osdata_document(type.element_type, type.items());
  return std::nullopt;
}

std::vector<OsdataItem> cpuinfo_items(std::string_view cpuinfo) {
  std::vector<OsdataItem> items;
  for (std::string_view line : split_lines(cpuinfo)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the blank line between processors
    std::string_view key = trim(line.substr(0, colon));
    if (key.empty()) continue;
    if (key == "processor") items.emplace_back();
    if (items.empty()) continue;
    items.back().push_back({std::string(key), std::string(trim(line.substr(colon + 1)))});
  }
  return items;
}

std::optional<OsdataItem> socket_item(std::string_view line, bool ipv6, bool tcp) {
  IdNames names;
  return socket_item(line, ipv6, tcp, names);
}

// name size uses dependencies status address [taint flags]
std::optional<OsdataItem> module_item(std::string_view line) {
  Fields f(line);
  std::string_view name = f.text(0);
  auto size = f.number<unsigned long>(1);
  auto uses = f.number<int>(2);
  std::string_view dependencies = f.text(3);
  std::string_view status = f.text(4);
  std::string_view address_text = f.text(5);
  if (address_text.starts_with("0x") || address_text.starts_with("0X")) address_text.remove_prefix(2);
  auto address = parse_number<unsigned long long>(address_text, 16);
  if (f.bad() || !address) return std::nullopt;
  return OsdataItem{{"name", std::string(name)},
                    {"size", std::to_string(size)},
                    {"num uses", std::to_string(uses)},
                    {"dependencies", std::string(dependencies)},
                    {"status", std::string(status)},
                    {"address", hex(*address)}};
}

std::optional<OsdataItem> shm_item(std::string_view line) {
  IdNames names;
  return shm_item(line, names);
}

std::optional<OsdataItem> sem_item(std::string_view line) {
  IdNames names;
  return sem_item(line, names);
}

std::optional<OsdataItem> msg_item(std::string_view line) {
  IdNames names;
  return msg_item(line, names);
}

std::string process_command(pid_t pid) {
  auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::to_string(pid);
  // "PID (COMM) STATE ...": COMM may itself hold spaces and parentheses, so it runs from the
  // first '(' to the last ')'.
  auto open = stat->find('(');
  auto close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  if (parse_number<pid_t>(trim(std::string_view(*stat).substr(0, open))) != pid) return "";
  return stat->substr(open + 1, close - open - 1);
}

std::string process_command_line(pid_t pid) {
  auto line = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  if (!line) return "";
  if (line->empty()) return "[" + process_command(pid) + "]";
  // Each argument ends with a NUL; the last one's would only be a trailing space.
  if (line->back() == '\0') line->pop_back();
  std::replace(line->begin(), line->end(), '\0', ' ');
  return *line;
}

} // namespace xolstub::stub
