// `info os` documents: the types list, the XML shape and escapes, the /proc line parsers on
// made-up lines, and each table finding something this test process owns right now (itself,
// a thread, an fd, a listening socket, SysV IPC objects).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "stub/osdata.h"

using namespace xolstub::stub;

namespace {

using Row = std::vector<std::pair<std::string, std::string>>;

std::string unescape(std::string_view text) {
  static const std::pair<std::string_view, char> entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (auto [entity, c] : entities)
      if (text.substr(i).starts_with(entity)) {
        out += c;
        i += entity.size();
        replaced = true;
        break;
      }
    if (!replaced) out += text[i++];
  }
  return out;
}

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The items of an osdata document, checking its shape on the way: the header, one
// <osdata type=TYPE>, items made only of columns, nothing unescaped inside values.
std::vector<Row> parse_document(const std::string& xml, std::string_view type) {
  std::string head = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"" +
                     std::string(type) + "\">\n";
  REQUIRE(xml.starts_with(head));
  REQUIRE(xml.ends_with("</osdata>\n"));
  REQUIRE(count(xml, "<item>") == count(xml, "</item>"));
  REQUIRE(count(xml, "<column ") == count(xml, "</column>"));
  std::vector<Row> rows;
  std::string_view body = std::string_view(xml).substr(head.size());
  body.remove_suffix(std::string_view("</osdata>\n").size());
  while (!body.empty()) {
    REQUIRE(body.starts_with("<item>"));
    auto end = body.find("</item>\n");
    REQUIRE(end != std::string_view::npos);
    std::string_view item = body.substr(6, end - 6);
    body.remove_prefix(end + 8);
    Row row;
    while (!item.empty()) {
      REQUIRE(item.starts_with("<column name=\""));
      auto name_end = item.find("\">");
      auto value_end = item.find("</column>");
      REQUIRE(name_end != std::string_view::npos);
      REQUIRE(value_end != std::string_view::npos);
      std::string_view name = item.substr(14, name_end - 14);
      std::string_view value = item.substr(name_end + 2, value_end - name_end - 2);
      CHECK(name.find_first_of("<>\"") == std::string_view::npos);
      CHECK(value.find_first_of("<>") == std::string_view::npos);
      row.emplace_back(unescape(name), unescape(value));
      item.remove_prefix(value_end + 9);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> document_rows(std::string_view annex, std::string_view type) {
  auto xml = osdata_xml(annex);
  REQUIRE(xml.has_value());
  return parse_document(*xml, type);
}

std::vector<std::string> names_of(const Row& row) {
  std::vector<std::string> names;
  for (const auto& column : row) names.push_back(column.first);
  return names;
}

std::string value(const Row& row, std::string_view name) {
  for (const auto& [key, text] : row)
    if (key == name) return text;
  FAIL("no column " << name);
  return {};
}

std::string value(const OsdataItem& item, std::string_view name) {
  for (const auto& column : item)
    if (column.name == name) return column.value;
  FAIL("no column " << name);
  return {};
}

std::optional<Row> find_row(const std::vector<Row>& rows, std::initializer_list<std::pair<std::string, std::string>> match) {
  for (const Row& row : rows)
    if (std::all_of(match.begin(), match.end(), [&](const auto& want) { return value(row, want.first) == want.second; }))
      return row;
  return std::nullopt;
}

std::string read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string our_comm() {
  std::string comm = read_all("/proc/self/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

std::string user_name(uid_t uid) {
  passwd* entry = getpwuid(uid);
  return entry ? entry->pw_name : "";
}

const std::vector<std::string> all_types = {"cpus",       "files",      "modules", "msg",     "processes",
                                            "procgroups", "semaphores", "shm",     "sockets", "threads"};

} // namespace

TEST_CASE("osdata: the empty annex lists every type gdbserver offers, in its order") {
  auto rows = document_rows("", "types");
  std::vector<std::string> types;
  for (const Row& row : rows) {
    CHECK(names_of(row) == std::vector<std::string>{"Type", "Description", "Title"});
    types.push_back(value(row, "Type"));
  }
  CHECK(types == all_types);
  CHECK(value(rows[4], "Title") == "Processes");
  CHECK(value(rows[4], "Description") == "Listing of all processes");
  CHECK(value(rows[8], "Description") == "Listing of all internet-domain sockets");
  CHECK(osdata_xml("types") == osdata_xml(""));
}

TEST_CASE("osdata: an unknown annex is nullopt") {
  CHECK_FALSE(osdata_xml("unknown_entry").has_value());
  CHECK_FALSE(osdata_xml("Processes").has_value());  // names are case-sensitive, as in gdbserver
  CHECK_FALSE(osdata_xml("processes ").has_value());
}

TEST_CASE("osdata: every document is well formed, with gdbserver's element types") {
  const std::pair<const char*, const char*> element_types[] = {
      {"cpus", "cpus"},         {"files", "files"},           {"modules", "modules"},
      {"msg", "message queues"}, {"processes", "processes"},   {"procgroups", "process groups"},
      {"semaphores", "semaphores"}, {"shm", "shared memory"}, {"sockets", "I sockets"},
      {"threads", "threads"}};
  for (auto [annex, type] : element_types) {
    CAPTURE(annex);
    auto rows = document_rows(annex, type);
    // Every item of one table has the same columns in the same order: GDB takes the
    // headings from the first.
    for (const Row& row : rows) CHECK(names_of(row) == names_of(rows.front()));
  }
}

TEST_CASE("osdata: processes lists this process with its command line and cores") {
  auto rows = document_rows("processes", "processes");
  REQUIRE_FALSE(rows.empty());
  CHECK(names_of(rows.front()) == std::vector<std::string>{"pid", "user", "command", "cores"});
  auto self = find_row(rows, {{"pid", std::to_string(getpid())}});
  REQUIRE(self.has_value());
  std::string expected = read_all("/proc/self/cmdline");
  if (!expected.empty() && expected.back() == '\0') expected.pop_back();
  std::replace(expected.begin(), expected.end(), '\0', ' ');
  CHECK(value(*self, "command") == expected);
  CHECK(value(*self, "command").starts_with(program_invocation_name));
  CHECK(value(*self, "user") == user_name(geteuid()));
  std::string cores = value(*self, "cores");
  REQUIRE_FALSE(cores.empty());
  CHECK(cores.find_first_not_of("0123456789,") == std::string::npos);
  CHECK(process_command_line(getpid()) == expected);
}

TEST_CASE("osdata: procgroups has this process under its group, leaders first") {
  auto rows = document_rows("procgroups", "process groups");
  REQUIRE_FALSE(rows.empty());
  CHECK(names_of(rows.front()) == std::vector<std::string>{"pgid", "leader command", "pid", "command line"});
  auto self = find_row(rows, {{"pid", std::to_string(getpid())}});
  REQUIRE(self.has_value());
  CHECK(value(*self, "pgid") == std::to_string(getpgrp()));
  CHECK(value(*self, "command line") == process_command_line(getpid()));
  // Sorted by group, and within a group its leader comes first.
  for (std::size_t i = 1; i < rows.size(); ++i) {
    long previous = std::stol(value(rows[i - 1], "pgid"));
    long group = std::stol(value(rows[i], "pgid"));
    CHECK(previous <= group);
    if (previous == group) CHECK(value(rows[i], "pid") != value(rows[i], "pgid"));
  }
}

TEST_CASE("osdata: threads lists every thread of this process with its core") {
  std::atomic<pid_t> helper_tid{0};
  std::atomic<bool> done{false};
  std::thread helper([&] {
    helper_tid = gettid();
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (helper_tid == 0) std::this_thread::yield();
  auto rows = document_rows("threads", "threads");
  done = true;
  helper.join();
  REQUIRE_FALSE(rows.empty());
  CHECK(names_of(rows.front()) == std::vector<std::string>{"pid", "command", "tid", "core"});
  std::string pid = std::to_string(getpid());
  for (pid_t tid : {getpid(), helper_tid.load()}) {
    auto row = find_row(rows, {{"pid", pid}, {"tid", std::to_string(tid)}});
    REQUIRE(row.has_value());
    CHECK(value(*row, "command") == our_comm());
    CHECK(std::stoi(value(*row, "core")) >= 0);
  }
}

TEST_CASE("osdata: files lists an fd this process opened") {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto rows = document_rows("files", "files");
  close(fd);
  CHECK(names_of(rows.front()) == std::vector<std::string>{"pid", "command", "file descriptor", "name"});
  auto row = find_row(rows, {{"pid", std::to_string(getpid())}, {"file descriptor", std::to_string(fd)}});
  REQUIRE(row.has_value());
  CHECK(value(*row, "name") == "/dev/null");
  CHECK(value(*row, "command") == our_comm());
}

TEST_CASE("osdata: sockets lists a TCP socket this process listens on") {
  int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(sock >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(sock, 1) == 0);
  socklen_t size = sizeof address;
  REQUIRE(getsockname(sock, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  auto rows = document_rows("sockets", "I sockets");
  close(sock);
  auto row = find_row(rows, {{"local address", "127.0.0.1"}, {"local port", std::to_string(ntohs(address.sin_port))}});
  REQUIRE(row.has_value());
  CHECK(names_of(*row) == std::vector<std::string>{"local address", "local port", "remote address", "remote port",
                                                   "state", "user", "family", "protocol"});
  CHECK(value(*row, "remote address") == "0.0.0.0");
  CHECK(value(*row, "remote port") == "0");
  CHECK(value(*row, "state") == "LISTEN");
  CHECK(value(*row, "user") == user_name(geteuid()));
  CHECK(value(*row, "family") == "INET");
  CHECK(value(*row, "protocol") == "STREAM");
}

TEST_CASE("osdata: shm, semaphores and msg list SysV objects this process made") {
  int shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  int semid = semget(IPC_PRIVATE, 3, IPC_CREAT | 0640);
  int msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0604);
  auto shm = document_rows("shm", "shared memory");
  auto sem = document_rows("semaphores", "semaphores");
  auto msg = document_rows("msg", "message queues");
  if (shmid >= 0) shmctl(shmid, IPC_RMID, nullptr);
  if (semid >= 0) semctl(semid, 0, IPC_RMID);
  if (msqid >= 0) msgctl(msqid, IPC_RMID, nullptr);
  if (shmid < 0 || semid < 0 || msqid < 0) {
    MESSAGE("SysV IPC unavailable here (errno " << errno << "): only the shapes were checked");
    return;
  }
  auto segment = find_row(shm, {{"shmid", std::to_string(shmid)}});
  REQUIRE(segment.has_value());
  CHECK(names_of(*segment) ==
        std::vector<std::string>{"key", "shmid", "permissions", "size", "creator command", "last op. command",
                                 "num attached", "user", "group", "creator user", "creator group",
                                 "last shmat() time", "last shmdt() time", "last shmctl() time"});
  CHECK(value(*segment, "key") == "0");
  CHECK(value(*segment, "permissions") == "600");
  CHECK(value(*segment, "size") == "4096");
  CHECK(value(*segment, "creator command") == our_comm());
  CHECK(value(*segment, "num attached") == "0");
  CHECK(value(*segment, "last shmat() time") == "");  // never attached
  CHECK_FALSE(value(*segment, "last shmctl() time").empty());

  auto set = find_row(sem, {{"semid", std::to_string(semid)}});
  REQUIRE(set.has_value());
  CHECK(names_of(*set) == std::vector<std::string>{"key", "semid", "permissions", "num semaphores", "user", "group",
                                                   "creator user", "creator group", "last semop() time",
                                                   "last semctl() time"});
  CHECK(value(*set, "permissions") == "640");
  CHECK(value(*set, "num semaphores") == "3");

  auto queue = find_row(msg, {{"msqid", std::to_string(msqid)}});
  REQUIRE(queue.has_value());
  CHECK(names_of(*queue) ==
        std::vector<std::string>{"key", "msqid", "permissions", "num used bytes", "num messages",
                                 "last msgsnd() command", "last msgrcv() command", "user", "group", "creator user",
                                 "creator group", "last msgsnd() time", "last msgrcv() time", "last msgctl() time"});
  CHECK(value(*queue, "permissions") == "604");
  CHECK(value(*queue, "num messages") == "0");
  CHECK(value(*queue, "last msgsnd() command") == "0");  // nobody yet: pid 0, shown as a number
}

TEST_CASE("osdata: cpus has one item per processor") {
  auto rows = document_rows("cpus", "cpus");
  REQUIRE_FALSE(rows.empty());
  CHECK(rows.size() == static_cast<std::size_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].front().first == "processor");
    CHECK(value(rows[i], "processor") == std::to_string(i));
  }
}

TEST_CASE("osdata: rows escape what XML gives meaning to") {
  OsdataItem item{{"a<b", "x&y \"q\" 'z' <t>"}, {"plain", ""}};
  CHECK(osdata_item_xml(item) ==
        "<item><column name=\"a&lt;b\">x&amp;y &quot;q&quot; &apos;z&apos; &lt;t&gt;</column>"
        "<column name=\"plain\"></column></item>");
  std::vector<OsdataItem> items{item, {{"pid", "1"}}};
  CHECK(osdata_document("a\"b", items) ==
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"a&quot;b\">\n" +
            osdata_item_xml(item) + "\n<item><column name=\"pid\">1</column></item>\n</osdata>\n");
  CHECK(osdata_document("types", {}) ==
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n<osdata type=\"types\">\n</osdata>\n");
}

TEST_CASE("osdata: bytes XML cannot carry become '?', valid UTF-8 stays") {
  // A command line is arbitrary bytes; one expat rejects would lose GDB the whole table.
  OsdataItem item{{"command", std::string("a\x01z\tcaf\xc3\xa9 \xe9t\xe9 \xed\xa0\x80 \xc0\xaf \xef\xbf\xbe end")}};
  CHECK(osdata_item_xml(item) == "<item><column name=\"command\">a?z\tcaf\xc3\xa9 ?t? ??? ?? ??? end</column></item>");
  OsdataItem wide{{"x", "\xf0\x9f\x98\x80 \xe2\x82\xac"}};  // U+1F600, U+20AC
  CHECK(osdata_item_xml(wide) == "<item><column name=\"x\">\xf0\x9f\x98\x80 \xe2\x82\xac</column></item>");
  OsdataItem five{{"x", "\xf8\x90\x80\x80!"}};  // no lead byte past 0xF7 in UTF-8
  CHECK(osdata_item_xml(five) == "<item><column name=\"x\">?\?\?\?!</column></item>");
  OsdataItem cut{{"x", "ab\xe2\x82"}};  // a sequence cut short at the end
  CHECK(osdata_item_xml(cut) == "<item><column name=\"x\">ab?\?</column></item>");
}

TEST_CASE("osdata: cpuinfo blocks become items, keys and values trimmed") {
  const char* text =
      "junk before : ignored\n"
      "processor\t: 0\n"
      "vendor_id\t: GenuineIntel\n"
      "model name\t: Some CPU @ 2.00GHz\n"
      "power management:\n"
      "\n"
      "processor\t: 1\n"
      "flags\t\t: fpu vme\n"
      "weird\t: a:b\n";
  auto items = cpuinfo_items(text);
  REQUIRE(items.size() == 2);
  REQUIRE(items[0].size() == 4);
  CHECK(items[0][0].name == "processor");
  CHECK(items[0][0].value == "0");
  CHECK(items[0][1].value == "GenuineIntel");
  CHECK(items[0][2].name == "model name");
  CHECK(items[0][2].value == "Some CPU @ 2.00GHz");
  CHECK(items[0][3].name == "power management");
  CHECK(items[0][3].value == "");
  REQUIRE(items[1].size() == 3);
  CHECK(items[1][1].value == "fpu vme");
  CHECK(items[1][2].value == "a:b");
  CHECK(cpuinfo_items("").empty());
}

TEST_CASE("osdata: /proc/net lines become socket rows") {
  auto v4 = socket_item("   0: 0100007F:1F90 0A00020F:C350 01 00000000:00000000 00:00000000 00000000     0        0 "
                        "1681 1 00000000dec899e7 100 0 0 10 0",
                        false, true);
  REQUIRE(v4.has_value());
  CHECK(value(*v4, "local address") == "127.0.0.1");
  CHECK(value(*v4, "local port") == "8080");
  CHECK(value(*v4, "remote address") == "15.2.0.10");
  CHECK(value(*v4, "remote port") == "50000");
  CHECK(value(*v4, "state") == "ESTABLISHED");
  CHECK(value(*v4, "user") == user_name(0));
  CHECK(value(*v4, "family") == "INET");
  CHECK(value(*v4, "protocol") == "STREAM");

  auto v6 = socket_item("  1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 "
                        "00000000:00000000 00:00000000 00000000   101        0 4242 2 0000000000000000 0",
                        true, false);
  REQUIRE(v6.has_value());
  CHECK(value(*v6, "local address") == "::1");
  CHECK(value(*v6, "local port") == "53");
  CHECK(value(*v6, "remote address") == "::");
  CHECK(value(*v6, "state") == "CLOSE");
  CHECK(value(*v6, "user") == user_name(101));
  CHECK(value(*v6, "family") == "INET6");
  CHECK(value(*v6, "protocol") == "DGRAM");

  auto odd = socket_item("   2: 0100007F:0016 00000000:0000 63 00000000:00000000 00:00000000 00000000 0 0 1", false, true);
  REQUIRE(odd.has_value());
  CHECK(value(*odd, "state") == "(unknown)");

  CHECK_FALSE(socket_item("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
                          "timeout inode",
                          false, true));
  CHECK_FALSE(socket_item("   0: 0100007F:1F90 00000000:0000 0A", false, true));  // cut short
  CHECK_FALSE(socket_item("   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0", true, true));  // not IPv6
  CHECK_FALSE(socket_item("", false, true));
}

TEST_CASE("osdata: /proc/modules lines become module rows") {
  auto module = module_item("snd_hda_intel 57344 3 snd_a,snd_b, Live 0xffffffffc0a00000 (OE)");
  REQUIRE(module.has_value());
  std::vector<std::string> names;
  for (const auto& column : *module) names.push_back(column.name);
  CHECK(names == std::vector<std::string>{"name", "size", "num uses", "dependencies", "status", "address"});
  CHECK(value(*module, "name") == "snd_hda_intel");
  CHECK(value(*module, "size") == "57344");
  CHECK(value(*module, "num uses") == "3");
  CHECK(value(*module, "dependencies") == "snd_a,snd_b,");
  CHECK(value(*module, "status") == "Live");
  CHECK(value(*module, "address") == "ffffffffc0a00000");
  auto hidden = module_item("loop 40960 0 - Live 0x0000000000000000");  // what non-root users see
  REQUIRE(hidden.has_value());
  CHECK(value(*hidden, "address") == "0");
  CHECK_FALSE(module_item("loop 40960 0 - Live"));
  CHECK_FALSE(module_item("loop big 0 - Live 0x0"));
  CHECK_FALSE(module_item(""));
}

TEST_CASE("osdata: /proc/sysvipc lines become IPC rows") {
  std::string me = std::to_string(getpid());
  auto shm = shm_item("      3925      32768   666                  4096 " + me +
                      "     0      2     0     0     0     0          0          0 1700000000                 0 0");
  REQUIRE(shm.has_value());
  CHECK(value(*shm, "key") == "3925");
  CHECK(value(*shm, "permissions") == "666");
  CHECK(value(*shm, "creator command") == our_comm());
  CHECK(value(*shm, "last op. command") == "0");
  CHECK(value(*shm, "num attached") == "2");
  CHECK(value(*shm, "user") == user_name(0));
  CHECK(value(*shm, "last shmat() time") == "");
  CHECK_FALSE(value(*shm, "last shmctl() time").empty());
  CHECK(value(*shm, "last shmctl() time").find('\n') == std::string::npos);
  auto negative = shm_item("-559038737 1 600 1 1 1 0 0 0 0 0 0 0 0");
  REQUIRE(negative.has_value());
  CHECK(value(*negative, "key") == "-559038737");

  auto sem = sem_item("      7428      65537   666          1     0     0     0     0          0 1700000000");
  REQUIRE(sem.has_value());
  CHECK(value(*sem, "num semaphores") == "1");
  CHECK(value(*sem, "last semop() time") == "");

  auto msg = msg_item("      5294      98306   666          5          1 " + me +
                      "     0     0     0     0     0 1700000000          0 1700000000");
  REQUIRE(msg.has_value());
  CHECK(value(*msg, "num used bytes") == "5");
  CHECK(value(*msg, "num messages") == "1");
  CHECK(value(*msg, "last msgsnd() command") == our_comm());
  CHECK(value(*msg, "last msgrcv() command") == "0");

  CHECK_FALSE(shm_item("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid"
                       "      atime      dtime      ctime                   rss                  swap"));
  CHECK_FALSE(sem_item("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime"));
  CHECK_FALSE(msg_item("1 2 666 0 0 0 0 0 0 0 0 0 0"));  // one field short
  CHECK_FALSE(sem_item("1 2 999 1 0 0 0 0 0 0"));        // permissions are octal
}

TEST_CASE("osdata: process names and command lines") {
  CHECK(process_command(getpid()) == our_comm());
  // A process that is gone (a creator pid in an IPC table) shows its number, as gdbserver.
  CHECK(process_command(0) == "0");
  CHECK(process_command(2147483647) == "2147483647");
  CHECK(process_command_line(2147483647) == "");
}
