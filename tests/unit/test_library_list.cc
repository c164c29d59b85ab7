// The svr4 library list: auxv lookups, the link_map walk on a real dynamically linked child
// (checked against /proc/PID/maps), the "ld.so has not run yet" and "statically linked" cases,
// and the XML document with escapes and GDB's lmid/start/prev annex.
#include <doctest/doctest.h>

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "rsp/hex.h"
#include "stub/library_list.h"
#include "stub/xml_escape.h"
#include "threads/auxv.h"
#include "threads/memory.h"
#include "threads/svr4_libraries.h"

using namespace xolstub;
using threads::LinkMapEntry;
using threads::Svr4LibraryList;

namespace {

// A child running `path`, killed and reaped at the end of the test. With `stop_at_exec` it is
// traced and left stopped at its very first instruction (in ld.so, or the program's entry
// point when static), before any library is loaded.
class Child {
public:
  Child(const char* path, bool stop_at_exec) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      ::execl(path, path, "5", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Always wait for the exec stop: until then the child is a copy of this test binary, whose
    // own libc and link_map a test polling /proc/PID/maps would otherwise find.
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    REQUIRE(WIFSTOPPED(status));
    REQUIRE(WSTOPSIG(status) == SIGTRAP);
    if (!stop_at_exec) REQUIRE(::ptrace(PTRACE_DETACH, pid_, nullptr, nullptr) == 0);
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

private:
  pid_t pid_;
};

std::string maps(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The lowest start address of a mapping of the file with this inode; 0 if none.
std::uint64_t lowest_mapping_of(pid_t pid, ino_t inode) {
  std::istringstream lines(maps(pid));
  std::string line;
  std::uint64_t lowest = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device;
    unsigned long long ino = 0;
    fields >> range >> perms >> offset >> device >> ino;
    if (ino != inode) continue;
    std::uint64_t start = *rsp::parse_hex_number(range.substr(0, range.find('-')));
    if (lowest == 0 || start < lowest) lowest = start;
  }
  return lowest;
}

const LinkMapEntry* find_library(const Svr4LibraryList& list, std::string_view fragment) {
  for (const LinkMapEntry& entry : list.entries)
    if (entry.name.find(fragment) != std::string::npos) return &entry;
  return nullptr;
}

// Polls until ld.so has loaded libc into the child's list (it runs concurrently with us).
// The memory is opened only once the child has exec'd: a /proc/PID/mem descriptor stays bound
// to the address space it was opened on.
std::optional<Svr4LibraryList> wait_for_libc(pid_t pid, std::unique_ptr<threads::ProcessMemory>& memory) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (maps(pid).find("libc.so") != std::string::npos) {
      if (!memory) memory = std::make_unique<threads::ProcessMemory>(pid);
      auto list = threads::read_svr4_libraries(pid, *memory);
      if (list && find_library(*list, "libc.so")) return list;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::string hex(std::uint64_t value) { return "0x" + rsp::hex_number(value); }

// A hand-made list: the program, two libraries and an empty-named entry in the default
// namespace (r_debug 0x5000), one library in a second namespace (r_debug 0x6000).
Svr4LibraryList sample_list() {
  Svr4LibraryList list;
  list.r_debug = 0x5000;
  list.main_lm = 0x100;
  list.entries = {
      {"", 0x100, 0, 0x3d00, 0, 0x5000},
      {"/lib/liba.so", 0x200, 0x7f0000, 0x7f3d00, 0x100, 0x5000},
      {"", 0x250, 0x7e0000, 0x7e1000, 0x200, 0x5000},
      {"/lib/<b&\"q'>.so", 0x300, 0x7f1000, 0x7f4d00, 0x250, 0x5000},
      {"/lib/libc.so.6", 0x400, 0x7f2000, 0x7f5d00, 0, 0x6000},
  };
  return list;
}

} // namespace

TEST_CASE("auxv of a child stopped at exec: program headers, ld.so base, entry point") {
  Child child("/bin/sleep", true);
  std::vector<std::uint8_t> auxv = threads::read_auxv(child.pid());
  CHECK(auxv.size() % 16 == 0);
  CHECK(threads::auxv_value(auxv, AT_PHDR).value_or(0) != 0);
  CHECK(threads::auxv_value(auxv, AT_PHNUM).value_or(0) > 0);
  CHECK(threads::auxv_value(auxv, AT_BASE).value_or(0) != 0);  // dynamically linked
  CHECK(threads::auxv_value(auxv, AT_ENTRY).value_or(0) != 0);
  CHECK(threads::auxv_value(auxv, AT_PAGESZ).value_or(0) == static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
  CHECK(!threads::auxv_value(auxv, 0xdead).has_value());
  CHECK(threads::parse_auxv(auxv).size() == auxv.size() / 16 - 1);  // all but AT_NULL
}

TEST_CASE("parse_auxv stops at AT_NULL and ignores a truncated tail") {
  std::uint64_t words[] = {AT_PHNUM, 13, AT_ENTRY, 0x401000, AT_NULL, 0, AT_BASE, 7};
  auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(words), sizeof words);
  CHECK(threads::parse_auxv(bytes).size() == 2);
  CHECK(threads::auxv_value(bytes, AT_ENTRY) == 0x401000u);
  CHECK(!threads::auxv_value(bytes, AT_BASE).has_value());  // after AT_NULL
  CHECK(threads::parse_auxv(bytes.first(24)).size() == 1);
  CHECK_THROWS_WITH_AS(threads::read_auxv(0x7ffffff0), doctest::Contains("/proc/2147483632/auxv"), std::runtime_error);
}

TEST_CASE("before ld.so has run the library list is empty, not an error") {
  Child child("/bin/sleep", true);
  threads::ProcessMemory memory(child.pid());
  auto r_debug = threads::find_r_debug(child.pid(), memory);
  REQUIRE(r_debug.has_value());
  CHECK(*r_debug == 0);
  auto list = threads::read_svr4_libraries(child.pid(), memory);
  REQUIRE(list.has_value());
  CHECK(list->r_debug == 0);
  CHECK(list->main_lm == 0);
  CHECK(list->entries.empty());
  CHECK(stub::format_svr4_library_list(*list) == "<library-list-svr4 version=\"1.0\"></library-list-svr4>");
}

TEST_CASE("a statically linked program has no list at all") {
  // Debian's ldconfig is static-pie: a dynamic section but no PT_PHDR, like gdbserver we give up.
  struct stat st;
  if (::stat("/sbin/ldconfig", &st) != 0) {
    MESSAGE("skipped: no /sbin/ldconfig to serve as a static program");
    return;
  }
  Child child("/sbin/ldconfig", true);
  threads::ProcessMemory memory(child.pid());
  CHECK(!threads::read_svr4_libraries(child.pid(), memory).has_value());
}

TEST_CASE("the link_map chain of a running child matches /proc/PID/maps") {
  Child child("/bin/sleep", false);
  std::unique_ptr<threads::ProcessMemory> memory_owner;
  auto list = wait_for_libc(child.pid(), memory_owner);
  REQUIRE(list.has_value());
  const threads::ProcessMemory& memory = *memory_owner;
  CHECK(list->r_debug != 0);
  REQUIRE(!list->entries.empty());
  CHECK(list->entries[0].lm == list->main_lm);
  CHECK(list->entries[0].name.empty());
  CHECK(list->entries[0].l_prev == 0);

  const LinkMapEntry* libc = find_library(*list, "libc.so");
  REQUIRE(libc != nullptr);
  struct stat st;
  REQUIRE(::stat(libc->name.c_str(), &st) == 0);
  // libc's first segment is linked at 0, so its load bias is where it is mapped.
  CHECK(libc->l_addr == lowest_mapping_of(child.pid(), st.st_ino));
  CHECK(libc->lmid == list->r_debug);
  CHECK(libc->l_ld > libc->l_addr);

  // ld.so is in the list too, at the base the kernel reported in the auxv.
  const LinkMapEntry* ld_so = find_library(*list, "ld-linux");
  REQUIRE(ld_so != nullptr);
  CHECK(ld_so->l_addr == threads::auxv_value(threads::read_auxv(child.pid()), AT_BASE));

  // Each entry's back link is the entry before it.
  for (std::size_t i = 1; i < list->entries.size(); ++i)
    CHECK(list->entries[i].l_prev == list->entries[i - 1].lm);

  // Walking from the second entry, as GDB asks after a library event, gives the tail.
  auto tail = threads::read_link_map_chain(memory, list->entries[1].lm, list->main_lm, list->r_debug);
  REQUIRE(tail.size() == list->entries.size() - 1);
  CHECK(tail[0].name == list->entries[1].name);
  // A wrong prev ends the walk at once.
  CHECK(threads::read_link_map_chain(memory, list->entries[1].lm, 0x1234, list->r_debug).empty());

  std::string document = stub::format_svr4_library_list(*list);
  CHECK(document.starts_with("<library-list-svr4 version=\"1.0\" main-lm=\"" + hex(list->main_lm) + "\">"));
  CHECK(document.find("<library name=\"" + libc->name + "\" lm=\"" + hex(libc->lm) + "\" l_addr=\"" +
                      hex(libc->l_addr) + "\" l_ld=\"" + hex(libc->l_ld) + "\" lmid=\"" +
                      hex(list->r_debug) + "\"/>") != std::string::npos);
  CHECK(document.ends_with("</library-list-svr4>"));
}

TEST_CASE("the document lists every named library except the program, escaped") {
  std::string document = stub::format_svr4_library_list(sample_list());
  CHECK(document ==
        "<library-list-svr4 version=\"1.0\" main-lm=\"0x100\">"
        "<library name=\"/lib/liba.so\" lm=\"0x200\" l_addr=\"0x7f0000\" l_ld=\"0x7f3d00\" lmid=\"0x5000\"/>"
        "<library name=\"/lib/&lt;b&amp;&quot;q&apos;&gt;.so\" lm=\"0x300\" l_addr=\"0x7f1000\" "
        "l_ld=\"0x7f4d00\" lmid=\"0x5000\"/>"
        "<library name=\"/lib/libc.so.6\" lm=\"0x400\" l_addr=\"0x7f2000\" l_ld=\"0x7f5d00\" lmid=\"0x6000\"/>"
        "</library-list-svr4>");
}

TEST_CASE("xml_escape turns the five special characters into entities") {
  CHECK(stub::xml_escape("a<b>c&d\"e'f") == "a&lt;b&gt;c&amp;d&quot;e&apos;f");
  CHECK(stub::xml_escape("plain/path.so") == "plain/path.so");
  CHECK(stub::xml_escape("") == "");
}

TEST_CASE("parse_svr4_annex reads lmid, start and prev and skips the rest") {
  auto annex = stub::parse_svr4_annex("lmid=7ffff7ffe118;start=7ffff7fc3000;prev=7ffff7ffe2e0");
  REQUIRE(annex);
  CHECK(annex->lmid == 0x7ffff7ffe118u);
  CHECK(annex->start == 0x7ffff7fc3000u);
  CHECK(annex->prev == 0x7ffff7ffe2e0u);

  auto empty = stub::parse_svr4_annex("");
  REQUIRE(empty);
  CHECK(empty->start == 0);
  CHECK(empty->prev == 0);
  CHECK(empty->lmid == 0);

  auto other = stub::parse_svr4_annex("future=zz;start=10;noequals;prev=0");
  REQUIRE(other);
  CHECK(other->start == 0x10);
  CHECK(!stub::parse_svr4_annex("start=xyz").has_value());
  CHECK(!stub::parse_svr4_annex("start=").has_value());
}

TEST_CASE("start/prev: the rest of one namespace, tagged with the annex's lmid") {
  Svr4LibraryList list = sample_list();
  const std::string head = "<library-list-svr4 version=\"1.0\">";
  const std::string tail = "</library-list-svr4>";

  // After liba.so GDB knows 0x100 and 0x200; 0x250 has no name, 0x300 is new.
  CHECK(stub::format_svr4_library_list(list, {0x5000, 0x250, 0x200}) ==
        head +
            "<library name=\"/lib/&lt;b&amp;&quot;q&apos;&gt;.so\" lm=\"0x300\" l_addr=\"0x7f1000\" "
            "l_ld=\"0x7f4d00\" lmid=\"0x5000\"/>" +
            tail);
  // From the first library: both, no main-lm, and not the next namespace's library.
  std::string from_first = stub::format_svr4_library_list(list, {0x5000, 0x200, 0x100});
  CHECK(from_first.starts_with(head + "<library name=\"/lib/liba.so\""));
  CHECK(from_first.find("lm=\"0x300\"") != std::string::npos);
  CHECK(from_first.find("libc") == std::string::npos);
  // The first entry of another namespace has prev 0.
  CHECK(stub::format_svr4_library_list(list, {0x6000, 0x400, 0}) ==
        head +
            "<library name=\"/lib/libc.so.6\" lm=\"0x400\" l_addr=\"0x7f2000\" l_ld=\"0x7f5d00\" "
            "lmid=\"0x6000\"/>" +
            tail);
  // GDB's idea of the predecessor is stale, or start is unknown: nothing, GDB rereads it all.
  CHECK(stub::format_svr4_library_list(list, {0x5000, 0x300, 0x100}) == head + tail);
  CHECK(stub::format_svr4_library_list(list, {0x5000, 0x999, 0x100}) == head + tail);
  // prev without start is ignored: the whole list.
  CHECK(stub::format_svr4_library_list(list, {0, 0, 0x200}) == stub::format_svr4_library_list(list));
}
