#include "threads/process_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace xolstub::threads {
namespace {

std::string proc_path(pid_t pid, const char* leaf) { return "/proc/" + std::to_string(pid) + "/" + leaf; }

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// 1 when `pid` resolves names as we do (same mount namespace, same root directory), 0 when
// not, -errno when we cannot tell (the process is gone, or we may not look).
int sees_what_we_see(pid_t pid) {
  if (pid == 0 || pid == ::getpid()) return 1;
  struct stat our_ns, their_ns, our_root, their_root;
  if (::stat("/proc/self/ns/mnt", &our_ns) != 0 || ::stat("/", &our_root) != 0) return -errno;
  if (::stat(proc_path(pid, "ns/mnt").c_str(), &their_ns) != 0) return -errno;
  if (::stat(proc_path(pid, "root").c_str(), &their_root) != 0) return -errno;
  return same_file(our_ns, their_ns) && same_file(our_root, their_root) ? 1 : 0;
}

// RAII for the few descriptors opened here.
class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { int fd = fd_; fd_ = -1; return fd; }
  void reset(int fd) { if (fd_ >= 0) ::close(fd_); fd_ = fd; }
private:
  int fd_;
};

// `name` under directory `root` as if `root` were "/": absolute names, absolute symlinks and
// ".." all stay inside it. Kernels before 5.6 lack openat2; there we fall back to a plain
// lookup under `root`, right except for absolute symlinks.
int open_in_root(int root, const std::string& name, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;  // openat2 insists on 0 otherwise
  how.resolve = RESOLVE_IN_ROOT;
  long fd = ::syscall(SYS_openat2, root, name.c_str(), &how, sizeof how);
  if (fd >= 0) return static_cast<int>(fd);
  if (errno != ENOSYS) return -errno;
  std::size_t first = name.find_first_not_of('/');
  std::string relative = first == std::string::npos ? "." : name.substr(first);
  int plain = ::openat(root, relative.c_str(), flags | O_CLOEXEC, mode);
  return plain >= 0 ? plain : -errno;
}

// The directory holding `name`, opened inside `pid`'s root for *at() calls, and the last
// component of `name` relative to it.
int open_parent_in_root(pid_t pid, const std::string& name, std::string& last) {
  Fd root(::open(proc_path(pid, "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return -errno;
  std::size_t slash = name.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : name.substr(0, slash);
  last = slash == std::string::npos ? name : name.substr(slash + 1);
  if (last.empty()) last = ".";
  return open_in_root(root.get(), parent, O_PATH | O_DIRECTORY, 0);
}

} // namespace

int open_as_seen_by(pid_t pid, const std::string& name, int flags, mode_t mode) {
  int same = sees_what_we_see(pid);
  if (same < 0) return same;
  if (same) {
    int fd = ::open(name.c_str(), flags | O_CLOEXEC, mode);
    return fd >= 0 ? fd : -errno;
  }
  Fd root(::open(proc_path(pid, "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return -errno;
  return open_in_root(root.get(), name, flags, mode);
}

int unlink_as_seen_by(pid_t pid, const std::string& name) {
  int same = sees_what_we_see(pid);
  if (same < 0) return same;
  if (same) return ::unlink(name.c_str()) == 0 ? 0 : -errno;
  std::string last;
  Fd parent(open_parent_in_root(pid, name, last));
  if (parent.get() < 0) return parent.release();
  return ::unlinkat(parent.get(), last.c_str(), 0) == 0 ? 0 : -errno;
}

int readlink_as_seen_by(pid_t pid, const std::string& name, std::string& target) {
  int same = sees_what_we_see(pid);
  if (same < 0) return same;
  std::string last = name;
  int directory = AT_FDCWD;
  Fd parent(-1);
  if (!same) {
    parent.reset(open_parent_in_root(pid, name, last));
    if (parent.get() < 0) return parent.release();
    directory = parent.get();
  }
  // Link targets are at most PATH_MAX - 1 bytes on Linux; one more tells truncation apart.
  char buffer[PATH_MAX + 1];
  ssize_t n = ::readlinkat(directory, last.c_str(), buffer, sizeof buffer);
  if (n < 0) return -errno;
  if (static_cast<std::size_t>(n) == sizeof buffer) return -ENAMETOOLONG;
  target.assign(buffer, static_cast<std::size_t>(n));
  return 0;
}

} // namespace xolstub::threads
