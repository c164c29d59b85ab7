// Files named as a given process sees them. GDB's host I/O (vFile:setfs) asks for names in the
// inferior's filesystem, which differs from the stub's when the inferior runs in a container
// (another mount namespace) or a chroot. There, names are resolved inside /proc/PID/root with
// openat2(RESOLVE_IN_ROOT), so that absolute symlinks such as /lib64/ld-linux-x86-64.so.2 lead
// where they lead for the inferior, not to the stub's own copy. Where the views agree, names
// are used as they are, as gdbserver does.
//
// Errors are values: each call returns a non-negative result or -errno.
#pragma once
#include <sys/types.h>

#include <string>

namespace xolstub::threads {

// pid 0 stands for the stub itself. `flags` and `mode` are open(2)'s; O_CLOEXEC is added.
int open_as_seen_by(pid_t pid, const std::string& name, int flags, mode_t mode);
int unlink_as_seen_by(pid_t pid, const std::string& name);
// The target of symlink `name` in `target`; returns 0 or -errno.
int readlink_as_seen_by(pid_t pid, const std::string& name, std::string& target);

} // namespace xolstub::threads
