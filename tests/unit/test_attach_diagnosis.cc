// Attach failures explained: the /proc parsers on status texts as the kernel writes them, the
// message composed from facts for each cause and for several at once, and the facts gathered
// from real processes (ourselves, a child of ours, a pid nobody has).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>

#include "threads/attach_diagnosis.h"

using namespace xolstub::threads;

namespace {

// Trimmed from a real /proc/PID/status (Linux 6.x): tabs after the colon, several numbers on
// some lines, names that are prefixes of others.
const char* status_text =
    "Name:\tsleeper\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Pid:\t4242\n"
    "PPid:\t4200\n"
    "TracerPid:\t4300\n"
    "Uid:\t1000\t1001\t1002\t1003\n"
    "Gid:\t100\t100\t100\t100\n"
    "Threads:\t1\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t00000000a80425fb\n"
    "Seccomp:\t2\n"
    "Seccomp_filters:\t1\n";

// What a user with nothing special would see: our uid 1000, no capability, no Yama, nothing
// about the target known yet.
AttachFacts plain_user() {
  AttachFacts facts;
  facts.our_uid = 1000;
  facts.our_euid = 1000;
  facts.target_uids = {1000, 1000, 1000, 1000};
  return facts;
}

AttachFacts root_with_caps() {
  AttachFacts facts;
  facts.our_uid = 0;
  facts.our_euid = 0;
  facts.cap_sys_ptrace = true;
  facts.target_uids = {1000, 1000, 1000, 1000};
  return facts;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("parse_status_field finds whole field names and trims the value") {
  CHECK(parse_status_field(status_text, "Name") == "sleeper");
  CHECK(parse_status_field(status_text, "State") == "S (sleeping)");
  CHECK(parse_status_field(status_text, "TracerPid") == "4300");
  CHECK(parse_status_field(status_text, "Uid") == "1000\t1001\t1002\t1003");
  // "Seccomp" is a prefix of "Seccomp_filters": each finds its own line.
  CHECK(parse_status_field(status_text, "Seccomp") == "2");
  CHECK(parse_status_field(status_text, "Seccomp_filters") == "1");
  // A prefix of a name is not the name.
  CHECK_FALSE(parse_status_field(status_text, "Tracer"));
  CHECK_FALSE(parse_status_field(status_text, "Kthread"));
  CHECK_FALSE(parse_status_field("", "Name"));
  // The last line need not end with a newline; an empty value is a value.
  CHECK(parse_status_field("A:\t1\nB:\t 7 ", "B") == "7");
  CHECK(parse_status_field("A:\n", "A") == "");
}

TEST_CASE("parse_status_numbers reads every number of a field, and nothing else") {
  CHECK(parse_status_numbers(status_text, "Uid") == std::vector<std::uint64_t>{1000, 1001, 1002, 1003});
  CHECK(parse_status_numbers(status_text, "TracerPid") == std::vector<std::uint64_t>{4300});
  CHECK(parse_status_numbers(status_text, "Missing").empty());
  CHECK(parse_status_numbers(status_text, "State").empty());   // "S (sleeping)"
  CHECK(parse_status_numbers("Cpus:\t0f\n", "Cpus").empty());  // not decimal
  CHECK(parse_status_numbers("X:\t1 2 three 4\n", "X") == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("capability_effective tests one bit of CapEff") {
  // 0xa80425fb: the bits Docker leaves a container's root, without CAP_SYS_PTRACE (19).
  CHECK_FALSE(capability_effective(status_text, 19));
  CHECK(capability_effective(status_text, 0));   // CAP_CHOWN
  CHECK(capability_effective(status_text, 31));  // CAP_SETFCAP
  CHECK(capability_effective("CapEff:\t000001ffffffffff\n", 19));
  CHECK(capability_effective("CapEff:\t0000000000080000\n", 19));
  CHECK_FALSE(capability_effective("CapEff:\t0000000000000000\n", 19));
  CHECK(capability_effective("CapEff:\t8000000000000000\n", 63));
  // Unknown is not granted: missing, garbled, or a bit outside the mask.
  CHECK_FALSE(capability_effective("CapPrm:\t000001ffffffffff\n", 19));
  CHECK_FALSE(capability_effective("CapEff:\tzz\n", 0));
  CHECK_FALSE(capability_effective("CapEff:\t000001ffffffffff\n", 64));
  CHECK_FALSE(capability_effective("CapEff:\t000001ffffffffff\n", -1));
}

TEST_CASE("parse_ptrace_scope and parse_comm") {
  CHECK(parse_ptrace_scope("0\n") == 0);
  CHECK(parse_ptrace_scope("1\n") == 1);
  CHECK(parse_ptrace_scope("3") == 3);
  CHECK(parse_ptrace_scope("") == -1);
  CHECK(parse_ptrace_scope("x\n") == -1);
  CHECK(parse_ptrace_scope("1x\n") == -1);
  CHECK(parse_comm("gdbserver\n") == "gdbserver");
  CHECK(parse_comm("Web Content\n") == "Web Content");  // blanks belong to the name
  CHECK(parse_comm("") == "");
}

TEST_CASE("is_descendant follows parents up to the ancestor") {
  // 1 ─► 10 ─► 20 ─► 30, and 1 ─► 11.
  std::map<pid_t, pid_t> parents = {{10, 1}, {20, 10}, {30, 20}, {11, 1}, {1, 0}};
  auto parent_of = [&](pid_t pid) -> std::optional<pid_t> {
    auto found = parents.find(pid);
    if (found == parents.end()) return std::nullopt;
    return found->second;
  };
  CHECK(is_descendant(30, 20, parent_of));
  CHECK(is_descendant(30, 10, parent_of));
  CHECK(is_descendant(30, 1, parent_of));  // xolstub as a container's init
  CHECK_FALSE(is_descendant(30, 11, parent_of));
  CHECK_FALSE(is_descendant(10, 20, parent_of));
  CHECK_FALSE(is_descendant(20, 20, parent_of));
  CHECK_FALSE(is_descendant(99, 1, parent_of));  // unknown pid
  // A cycle (pid reuse between reads) ends, with false.
  std::map<pid_t, pid_t> loop = {{5, 6}, {6, 5}};
  CHECK_FALSE(is_descendant(5, 7, [&](pid_t pid) -> std::optional<pid_t> { return loop.at(pid); }));
}

TEST_CASE("explain: ESRCH, other errors, and an EPERM with nothing found") {
  CHECK(explain(plain_user(), 4242, ESRCH) == "No process 4242: it may have exited.");
  CHECK(explain(plain_user(), 4242, EINVAL) == "");
  CHECK(explain(plain_user(), 4242, EIO) == "");
  // Same user, no Yama, no tracer: the cause is not in /proc (not dumpable?). Say nothing
  // rather than guess.
  CHECK(explain(plain_user(), 4242, EPERM) == "");
  CHECK(explain(root_with_caps(), 4242, EPERM) == "");
}

TEST_CASE("explain: another tracer") {
  AttachFacts facts = root_with_caps();
  facts.tracer_pid = 4300;
  facts.tracer_comm = "gdbserver";
  CHECK(explain(facts, 4242, EPERM) ==
        "It is already being traced by process 4300 (gdbserver). A process can have one tracer: detach that "
        "debugger first. (If it is another xolstub, `xolstub --attach` joins it by itself.)");
  facts.tracer_comm.clear();  // the tracer's comm was unreadable
  CHECK(contains(explain(facts, 4242, EPERM), "already being traced by process 4300. A process can have one"));
}

TEST_CASE("explain: Yama's ptrace_scope") {
  AttachFacts facts = plain_user();
  facts.ptrace_scope = 1;
  CHECK(explain(facts, 4242, EPERM) ==
        "kernel.yama.ptrace_scope is 1: only a parent may trace its children. Run xolstub as root, give it "
        "CAP_SYS_PTRACE (sudo setcap cap_sys_ptrace+ep $(which xolstub)), or `sudo sysctl kernel.yama.ptrace_scope=0`.");
  // A descendant of ours, or a capability, passes scope 1.
  facts.target_is_descendant = true;
  CHECK(explain(facts, 4242, EPERM) == "");
  facts.target_is_descendant = false;
  facts.cap_sys_ptrace = true;
  CHECK(explain(facts, 4242, EPERM) == "");

  facts = plain_user();
  facts.ptrace_scope = 2;
  facts.target_is_descendant = true;  // does not help at 2
  CHECK(explain(facts, 4242, EPERM) ==
        "kernel.yama.ptrace_scope is 2: only root (CAP_SYS_PTRACE) may attach. Run xolstub as root or give it "
        "CAP_SYS_PTRACE (sudo setcap cap_sys_ptrace+ep $(which xolstub)).");
  facts.cap_sys_ptrace = true;
  CHECK(explain(facts, 4242, EPERM) == "");

  facts = root_with_caps();  // nothing passes 3
  facts.ptrace_scope = 3;
  CHECK(explain(facts, 4242, EPERM) == "kernel.yama.ptrace_scope is 3: attaching is disabled until reboot.");

  facts.ptrace_scope = 0;
  CHECK(explain(facts, 4242, EPERM) == "");
}

TEST_CASE("explain: another user's process") {
  AttachFacts facts = plain_user();
  facts.target_uids = {1001, 1001, 1001, 1001};
  CHECK(explain(facts, 4242, EPERM) ==
        "Process 4242 belongs to uid 1001, and xolstub runs as uid 1000 without CAP_SYS_PTRACE: "
        "run it as that user or as root.");
  facts.target_uids = {0, 0, 0, 0};
  CHECK(explain(facts, 4242, EPERM) ==
        "Process 4242 belongs to uid 0, and xolstub runs as uid 1000 without CAP_SYS_PTRACE: run it as root.");
  // Our own program, but set-user-ID: its effective or saved uid is another's.
  facts.target_uids = {1000, 0, 0, 0};
  CHECK(explain(facts, 4242, EPERM) ==
        "Process 4242 runs with effective uid 0 (a set-user-ID program), and xolstub runs as uid 1000 without "
        "CAP_SYS_PTRACE: run it as root.");
  facts.target_uids = {1000, 1000, 1005, 1000};
  CHECK(contains(explain(facts, 4242, EPERM), "Process 4242 keeps saved uid 1005 (it was set-user-ID)"));
  // The capability overrides uids.
  facts.cap_sys_ptrace = true;
  CHECK(explain(facts, 4242, EPERM) == "");
  // Unknown uids say nothing.
  facts = plain_user();
  facts.target_uids.clear();
  CHECK(explain(facts, 4242, EPERM) == "");
}

TEST_CASE("explain: /proc/PID/status unreadable") {
  AttachFacts facts = plain_user();
  facts.status_readable = false;
  facts.target_uids.clear();
  CHECK(explain(facts, 4242, EPERM) ==
        "xolstub may not read /proc/4242/status (/proc mounted with hidepid?), so the process most likely "
        "belongs to another user: run xolstub as that user or as root.");
}

TEST_CASE("explain: root without CAP_SYS_PTRACE, and seccomp") {
  AttachFacts facts = root_with_caps();
  facts.cap_sys_ptrace = false;
  facts.target_uids = {0, 0, 0, 0};
  CHECK(explain(facts, 4242, EPERM) ==
        "xolstub runs as root but without CAP_SYS_PTRACE (a container?): start the container with "
        "--cap-add=SYS_PTRACE.");
  // Another uid as well: not "run it as root", we already are.
  facts.target_uids = {1000, 1000, 1000, 1000};
  CHECK(explain(facts, 4242, EPERM) ==
        "Process 4242 belongs to uid 1000, and xolstub runs as uid 0 without CAP_SYS_PTRACE: run it as uid 1000, "
        "or give it CAP_SYS_PTRACE. xolstub runs as root but without CAP_SYS_PTRACE (a container?): start the "
        "container with --cap-add=SYS_PTRACE.");

  facts = root_with_caps();
  facts.seccomp = 2;
  CHECK(explain(facts, 4242, EPERM) ==
        "A seccomp filter on xolstub may forbid ptrace (e.g. Docker's default profile): run with "
        "--security-opt seccomp=unconfined.");
  facts.seccomp = 1;  // strict mode could not even get here; nothing to say about it
  CHECK(explain(facts, 4242, EPERM) == "");
}

TEST_CASE("explain: processes nobody can attach to") {
  AttachFacts facts = root_with_caps();
  facts.zombie = true;
  CHECK(explain(facts, 4242, EPERM) ==
        "Process 4242 has exited (a zombie, waiting for its parent to collect its exit status): there is nothing "
        "left to debug.");
  facts = root_with_caps();
  facts.leader_exited = true;
  CHECK(contains(explain(facts, 4242, EPERM), "The main thread of process 4242 has exited while its other threads"));
  facts = root_with_caps();
  facts.kernel_thread = true;
  CHECK(explain(facts, 2, EPERM) == "Process 2 is a kernel thread: there is no user-space program to debug.");
}

TEST_CASE("explain: several causes, most likely first") {
  // The worst case: a container's root, without the capability, under a seccomp filter, on a
  // host with Yama at 1, and the process is another user's and already traced.
  AttachFacts facts;
  facts.our_uid = 0;
  facts.our_euid = 0;
  facts.cap_sys_ptrace = false;
  facts.seccomp = 2;
  facts.ptrace_scope = 1;
  facts.target_uids = {1000, 1000, 1000, 1000};
  facts.tracer_pid = 4300;
  facts.tracer_comm = "gdb";
  std::string message = explain(facts, 4242, EPERM);
  auto tracer = message.find("already being traced by process 4300 (gdb)");
  auto scope = message.find("kernel.yama.ptrace_scope is 1");
  auto uid = message.find("belongs to uid 1000");
  auto caps = message.find("runs as root but without CAP_SYS_PTRACE");
  auto seccomp = message.find("seccomp filter");
  REQUIRE(tracer != std::string::npos);
  REQUIRE(scope != std::string::npos);
  REQUIRE(uid != std::string::npos);
  REQUIRE(caps != std::string::npos);
  REQUIRE(seccomp != std::string::npos);
  CHECK(tracer < scope);
  CHECK(scope < uid);
  CHECK(uid < caps);
  CHECK(caps < seccomp);
  // Root already: the scope sentence does not tell it to become root.
  CHECK_FALSE(contains(message, "Run xolstub as root"));
  CHECK(contains(message, "Give xolstub CAP_SYS_PTRACE"));
  // One line of sentences, one space apart.
  CHECK_FALSE(contains(message, "\n"));
  CHECK_FALSE(contains(message, "  "));
  CHECK(message.back() == '.');
}

TEST_CASE("gather_attach_facts on real processes") {
  // Ourselves: readable, untraced (unless run under a debugger), our own uids.
  AttachFacts self = gather_attach_facts(::getpid());
  CHECK(self.status_readable);
  CHECK(self.our_uid == ::getuid());
  CHECK(self.our_euid == ::geteuid());
  REQUIRE(self.target_uids.size() == 4);
  CHECK(self.target_uids[0] == ::getuid());
  CHECK(self.target_uids[1] == ::geteuid());
  CHECK_FALSE(self.zombie);
  CHECK_FALSE(self.kernel_thread);
  if (self.tracer_pid != 0) MESSAGE("the unit tests run under a tracer: " << self.tracer_comm);

  // A child of ours is our descendant (asked only at scope 1, so check it through the walk the
  // gatherer uses only when Yama is there).
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  AttachFacts facts = gather_attach_facts(child);
  CHECK(facts.status_readable);
  CHECK_FALSE(facts.zombie);
  if (facts.ptrace_scope == 1) CHECK(facts.target_is_descendant);
  ::kill(child, SIGKILL);
  // Killed but not yet reaped: a zombie, which nobody can attach to.
  for (int i = 0; i < 500 && !gather_attach_facts(child).zombie; ++i) ::usleep(2000);
  CHECK(gather_attach_facts(child).zombie);
  CHECK(contains(explain_attach_failure(child, EPERM), "has exited (a zombie"));
  int status = 0;
  ::waitpid(child, &status, 0);

  // Kernel threads: kthreadd is pid 2 outside a pid namespace; inside one pid 2 is whatever it is.
  AttachFacts kthreadd = gather_attach_facts(2);
  if (kthreadd.kernel_thread) CHECK(contains(explain_attach_failure(2, EPERM), "is a kernel thread"));

  // Nobody: ESRCH reads nothing and says so; EPERM on a missing pid finds nothing to say that
  // would be wrong (no tracer, no uid).
  CHECK(explain_attach_failure(2147483000, ESRCH) == "No process 2147483000: it may have exited.");
  CHECK(explain_attach_failure(::getpid(), EINVAL) == "");
  AttachFacts nobody = gather_attach_facts(2147483000);
  CHECK(nobody.status_readable);
  CHECK(nobody.tracer_pid == 0);
  CHECK(nobody.target_uids.empty());
}
