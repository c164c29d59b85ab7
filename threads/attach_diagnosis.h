// Why a ptrace attach failed, in words a user can act on. PTRACE_SEIZE says only EPERM or ESRCH;
// the reasons behind an EPERM (another tracer, Yama's ptrace_scope, another user's process, a
// container without CAP_SYS_PTRACE, a seccomp filter) are all visible in /proc, so they are read
// from there after the fact. Nothing here calls ptrace: the attach has already failed, and a
// probe could only disturb a process that someone else may be debugging.
//
// Three layers, so that the unit tests need no real process in any particular state:
//   - parsers: pure functions over the text of one /proc file;
//   - AttachFacts + explain(): the message, composed from facts;
//   - gather_attach_facts() / explain_attach_failure(): read the files and combine the two.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::threads {

// ---- Parsers: each takes the text of a /proc file as it was read --------------------------------

// The value of "NAME:\tvalue" in a /proc/PID/status text, without the surrounding blanks; nullopt
// when no line has that name. NAME matches a whole field name ("Uid" is not "Uid_map").
std::optional<std::string> parse_status_field(std::string_view status_text, std::string_view name);

// The decimal numbers of a status field, in order: "Uid:\t1000\t1000\t1000\t1000" gives four.
// Empty when the field is missing or does not start with a number.
std::vector<std::uint64_t> parse_status_numbers(std::string_view status_text, std::string_view name);

// Whether capability bit `capability` (CAP_SYS_PTRACE is 19) is set in the status text's CapEff,
// a hexadecimal mask. False when CapEff is missing or unreadable: an unknown capability must not
// be credited to us, since the messages built on it only ever tell the user to add one.
bool capability_effective(std::string_view status_text, int capability);

// /proc/sys/kernel/yama/ptrace_scope: 0..3, or -1 when the text is not a number (no Yama).
int parse_ptrace_scope(std::string_view text);

// /proc/PID/comm: the name without its newline.
std::string parse_comm(std::string_view text);

// Whether `pid` descends from `ancestor`, following `parent_of` (nullopt: unknown, which ends
// the walk with false). Yama's scope 1 lets a process trace its descendants only.
bool is_descendant(pid_t pid, pid_t ancestor, const std::function<std::optional<pid_t>(pid_t)>& parent_of);

// ---- The message --------------------------------------------------------------------------------

// What /proc told us about the target and about ourselves. The defaults are "nothing known", for
// which explain() says nothing: a guess the user cannot check is worse than the bare strerror.
struct AttachFacts {
  // The target, from /proc/PID/status.
  bool status_readable = true;      // false: reading it failed with EACCES (hidepid, another user)
  bool kernel_thread = false;       // no user-space program at all
  bool zombie = false;              // State: Z, and no other thread left
  bool leader_exited = false;       // State: Z, but other threads still live
  pid_t tracer_pid = 0;             // TracerPid: 0 when none
  std::string tracer_comm;          // /proc/TRACER/comm, "" if unreadable
  std::vector<uid_t> target_uids;   // Uid: real, effective, saved, filesystem; empty if unknown
  bool target_is_descendant = false;
  // The system.
  int ptrace_scope = -1;            // kernel.yama.ptrace_scope, -1 without Yama
  // Ourselves, from /proc/self/status and the credentials calls.
  uid_t our_uid = 0;                // the real uid: the one PTRACE_ATTACH compares with the target's
  uid_t our_euid = 0;
  bool cap_sys_ptrace = false;      // CAP_SYS_PTRACE in CapEff
  int seccomp = 0;                  // Seccomp: 0 none, 1 strict, 2 filter
};

// The sentences to append after the strerror of a failed attach to `pid` with `error_number`, the
// most likely cause first; "" when there is nothing useful to say. No trailing newline.
std::string explain(const AttachFacts& facts, pid_t pid, int error_number);

// Reads /proc/PID/status, /proc/TRACER/comm, the parents' status files, Yama's ptrace_scope and
// /proc/self/status. Files that cannot be read leave their facts at the defaults.
AttachFacts gather_attach_facts(pid_t pid);

// explain(gather_attach_facts(pid), pid, error_number), reading nothing for an errno that has no
// explanation to look for.
std::string explain_attach_failure(pid_t pid, int error_number);

} // namespace xolstub::threads
