// vFile host I/O through HostIo::handle with the packets GDB sends: open/pread/pwrite/fstat/
// close/unlink/readlink on temporary files, fileio errno values in error replies, binary
// escapes both ways, reply size limits, setfs into another mount namespace and a chroot.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/host_io.h"

using xolstub::stub::HostIo;
namespace rsp = xolstub::rsp;

namespace {

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/xolstub-hostio-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string operator/(const std::string& leaf) const { return path + "/" + leaf; }
};

std::string hex_name(const std::string& name) { return rsp::to_hex(std::string_view(name)); }

std::string open_packet(const std::string& name, unsigned flags, unsigned mode) {
  return "vFile:open:" + hex_name(name) + "," + rsp::hex_number(flags) + "," + rsp::hex_number(mode);
}

// The fd of an "F<fd>" reply.
int reply_fd(const std::string& reply) {
  REQUIRE(reply.size() > 1);
  REQUIRE(reply[0] == 'F');
  REQUIRE(reply[1] != '-');
  auto fd = rsp::parse_hex_number(std::string_view(reply).substr(1));
  REQUIRE(fd);
  return static_cast<int>(*fd);
}

// "F<count>;<escaped>" -> the bytes, checking that count matches them.
std::string reply_data(const std::string& reply) {
  REQUIRE(reply.size() >= 3);
  REQUIRE(reply[0] == 'F');
  std::size_t semicolon = reply.find(';');
  REQUIRE(semicolon != std::string::npos);
  auto count = rsp::parse_hex_number(std::string_view(reply).substr(1, semicolon - 1));
  REQUIRE(count);
  auto bytes = rsp::unescape_binary(std::string_view(reply).substr(semicolon + 1));
  REQUIRE(bytes);
  CHECK(bytes->size() == *count);
  return std::string(bytes->begin(), bytes->end());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::uint64_t be(const std::string& bytes, std::size_t at, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = value << 8 | static_cast<std::uint8_t>(bytes[at + i]);
  return value;
}

constexpr unsigned o_rdonly = 0, o_wronly = 1, o_rdwr = 2, o_creat = 0x200, o_trunc = 0x400, o_excl = 0x800;

} // namespace

TEST_CASE("vFile: create, write, read back, stat, close, unlink a file") {
  TempDir dir;
  std::string path = dir / "data.bin";
  HostIo io;

  int fd = reply_fd(io.handle(open_packet(path, o_rdwr | o_creat | o_trunc, 0640)));
  CHECK(io.open_count() == 1);

  // Every byte the framing cares about, plus NUL and high bytes.
  std::string payload("ab$cd#ef}gh*ij\0\xff\x7d\x03", 18);
  std::string written = io.handle("vFile:pwrite:" + rsp::hex_number(fd) + ",0," + rsp::escape_binary(payload));
  CHECK(written == "F" + rsp::hex_number(payload.size()));
  CHECK(read_file(path) == payload);

  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",1000,0")) == payload);
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",3,2")) == "$cd");
  CHECK(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",10,1000") == "F0;");
  CHECK(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",0,0") == "F0;");

  // pwrite at an offset overwrites in place.
  CHECK(io.handle("vFile:pwrite:" + rsp::hex_number(fd) + ",2," + rsp::escape_binary(std::string_view("XY"))) == "F2");
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",4,0")) == "abXY");

  std::string stat_reply = io.handle("vFile:fstat:" + rsp::hex_number(fd));
  CHECK(stat_reply.starts_with("F40;"));
  std::string st = reply_data(stat_reply);
  REQUIRE(st.size() == 64);
  struct stat host;
  REQUIRE(::stat(path.c_str(), &host) == 0);
  CHECK(be(st, 4, 4) == (host.st_ino & 0xffffffffu));
  CHECK(be(st, 8, 4) == 0100640);  // S_IFREG | 0640 in fileio bits
  CHECK(be(st, 12, 4) == 1);       // nlink
  CHECK(be(st, 16, 4) == host.st_uid);
  CHECK(be(st, 28, 8) == payload.size());
  CHECK(be(st, 36, 8) == static_cast<std::uint64_t>(host.st_blksize));
  CHECK(be(st, 56, 4) == (static_cast<std::uint64_t>(host.st_mtime) & 0xffffffffu));

  CHECK(io.handle("vFile:close:" + rsp::hex_number(fd)) == "F0");
  CHECK(io.open_count() == 0);
  CHECK(::fcntl(fd, F_GETFD) == -1);

  CHECK(io.handle("vFile:unlink:" + hex_name(path)) == "F0");
  CHECK(!std::filesystem::exists(path));
}

TEST_CASE("vFile: error replies carry GDB's fileio errno in hex") {
  TempDir dir;
  HostIo io;
  // ENOENT = 2
  CHECK(io.handle(open_packet(dir / "missing", o_rdonly, 0)) == "F-1,2");
  CHECK(io.handle("vFile:unlink:" + hex_name(dir / "missing")) == "F-1,2");
  CHECK(io.handle("vFile:readlink:" + hex_name(dir / "missing")) == "F-1,2");
  // EEXIST = 17 = 0x11
  std::ofstream(dir / "there") << "x";
  CHECK(io.handle(open_packet(dir / "there", o_wronly | o_creat | o_excl, 0600)) == "F-1,11");
  // EISDIR = 21 = 0x15 (writing a directory); unlinking one is EISDIR on Linux too.
  CHECK(io.handle(open_packet(dir.path, o_wronly, 0)) == "F-1,15");
  CHECK(io.handle("vFile:unlink:" + hex_name(dir.path)) == "F-1,15");
  // ENOTDIR = 20 = 0x14
  CHECK(io.handle(open_packet(dir / "there/below", o_rdonly, 0)) == "F-1,14");
  // EINVAL = 22 = 0x16: readlink of something that is not a link.
  CHECK(io.handle("vFile:readlink:" + hex_name(dir / "there")) == "F-1,16");
  // Errno values GDB has no number for (ELOOP here) travel as FILEIO_EUNKNOWN, 9999.
  std::filesystem::create_symlink("loop-b", dir / "loop-a");
  std::filesystem::create_symlink("loop-a", dir / "loop-b");
  CHECK(io.handle(open_packet(dir / "loop-a", o_rdonly, 0)) == "F-1,270f");
  // EBADF = 9 for descriptors this session did not open, even valid ones of the stub.
  CHECK(io.handle("vFile:pread:0,10,0") == "F-1,9");
  CHECK(io.handle("vFile:close:0") == "F-1,9");
  CHECK(io.handle("vFile:fstat:1") == "F-1,9");
  CHECK(io.handle("vFile:pwrite:2,0,abc") == "F-1,9");
}

TEST_CASE("vFile: malformed requests get EINVAL, unknown ones an empty reply") {
  HostIo io;
  CHECK(io.handle("vFile:open:zz,0,0") == "F-1,16");                // name not hex
  CHECK(io.handle("vFile:open:" + hex_name("/tmp") + ",0") == "F-1,16");
  CHECK(io.handle("vFile:open:" + hex_name("/tmp") + ",0,0,0") == "F-1,16");
  CHECK(io.handle("vFile:open:" + hex_name("/tmp") + ",1000,0") == "F-1,16");  // undefined flag
  CHECK(io.handle("vFile:open:" + hex_name("/tmp") + ",3,0") == "F-1,16");     // WRONLY|RDWR
  CHECK(io.handle("vFile:open:" + hex_name("/tmp") + ",200,20000") == "F-1,16");  // S_IFCHR mode
  CHECK(io.handle("vFile:open:" + rsp::to_hex(std::string_view("/tmp\0x", 6)) + ",0,0") == "F-1,16");
  CHECK(io.handle("vFile:pread:1,2") == "F-1,16");
  CHECK(io.handle("vFile:pread:1,2,ffffffffffffffff") == "F-1,16");
  CHECK(io.handle("vFile:pread:ffffffffff,2,0") == "F-1,16");
  CHECK(io.handle("vFile:pwrite:1,0") == "F-1,16");
  CHECK(io.handle("vFile:close:") == "F-1,16");
  CHECK(io.handle("vFile:fstat:x") == "F-1,16");
  CHECK(io.handle("vFile:setfs:-1") == "F-1,16");
  CHECK(io.handle("vFile:stat:2f746d70").empty());
  CHECK(io.handle("vFile:").empty());
  CHECK(io.handle("vFileX").empty());
}

TEST_CASE("vFile:pwrite with a lone trailing escape is malformed") {
  TempDir dir;
  HostIo io;
  int fd = reply_fd(io.handle(open_packet(dir / "f", o_rdwr | o_creat, 0600)));
  CHECK(io.handle("vFile:pwrite:" + rsp::hex_number(fd) + ",0,ab}") == "F-1,16");
  // Commas inside the data are data.
  CHECK(io.handle("vFile:pwrite:" + rsp::hex_number(fd) + ",0,a,b,c") == "F5");
  CHECK(read_file(dir / "f") == "a,b,c");
}

TEST_CASE("vFile:readlink answers the target as escaped binary") {
  TempDir dir;
  HostIo io;
  std::string target = "/some/where/a$b#c}d*e";
  REQUIRE(::symlink(target.c_str(), (dir / "link").c_str()) == 0);
  std::string reply = io.handle("vFile:readlink:" + hex_name(dir / "link"));
  CHECK(reply == "F15;/some/where/a}\x04" "b}\x03" "c}]d}\x0a" "e");
  CHECK(reply_data(reply) == target);
}

TEST_CASE("vFile:readlink refuses a target that does not fit in a reply") {
  TempDir dir;
  HostIo io(200);
  std::string target(250, 'x');
  REQUIRE(::symlink(target.c_str(), (dir / "long").c_str()) == 0);
  CHECK(io.handle("vFile:readlink:" + hex_name(dir / "long")) == "F-1,5b");  // ENAMETOOLONG = 91
  HostIo roomy;
  CHECK(reply_data(roomy.handle("vFile:readlink:" + hex_name(dir / "long"))) == target);
}

TEST_CASE("vFile:pread caps the count so the escaped reply fits") {
  TempDir dir;
  std::string path = dir / "braces";
  std::string content(1000, '}');
  content.replace(0, 10, "0123456789");
  std::ofstream(path, std::ios::binary) << content;

  HostIo io(300);
  int fd = reply_fd(io.handle(open_packet(path, o_rdonly, 0)));
  std::string reply = io.handle("vFile:pread:" + rsp::hex_number(fd) + ",3e8,0");
  CHECK(reply.size() <= 300);
  std::string got = reply_data(reply);
  CHECK(got.size() > 100);
  CHECK(got == content.substr(0, got.size()));
  // GDB continues where the short read stopped.
  std::string rest = reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",3e8," + rsp::hex_number(got.size())));
  CHECK(rest == content.substr(got.size(), rest.size()));

  // Plain data fills the budget.
  std::string plain_path = dir / "plain";
  std::ofstream(plain_path, std::ios::binary) << std::string(100000, 'a');
  HostIo big;
  int plain = reply_fd(big.handle(open_packet(plain_path, o_rdonly, 0)));
  std::string big_reply = big.handle("vFile:pread:" + rsp::hex_number(plain) + ",100000,0");
  CHECK(big_reply.size() <= HostIo::default_max_reply_size);
  CHECK(big_reply.size() > HostIo::default_max_reply_size - 16);
}

TEST_CASE("descriptors opened through vFile close with their HostIo") {
  TempDir dir;
  std::ofstream(dir / "f") << "x";
  int fd;
  {
    HostIo io;
    fd = reply_fd(io.handle(open_packet(dir / "f", o_rdonly, 0)));
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  }
  CHECK(::fcntl(fd, F_GETFD) == -1);
  CHECK(errno == EBADF);
}

TEST_CASE("two sessions do not share descriptors") {
  TempDir dir;
  std::ofstream(dir / "f") << "x";
  HostIo first, second;
  int fd = reply_fd(first.handle(open_packet(dir / "f", o_rdonly, 0)));
  CHECK(second.handle("vFile:close:" + rsp::hex_number(fd)) == "F-1,9");
  CHECK(first.handle("vFile:close:" + rsp::hex_number(fd)) == "F0");
}

TEST_CASE("vFile:setfs with our own pid or 0 uses our view; a missing process fails") {
  TempDir dir;
  std::ofstream(dir / "f") << "mine";
  HostIo io;
  CHECK(io.handle("vFile:setfs:" + rsp::hex_number(::getpid())) == "F0");
  CHECK(io.filesystem_pid() == ::getpid());
  int fd = reply_fd(io.handle(open_packet(dir / "f", o_rdonly, 0)));
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",10,0")) == "mine");
  CHECK(io.handle("vFile:setfs:7ffffff0") == "F0");
  CHECK(io.handle(open_packet(dir / "f", o_rdonly, 0)) == "F-1,2");
  CHECK(io.handle("vFile:setfs:0") == "F0");
  CHECK(io.handle(open_packet(dir / "f", o_rdonly, 0)).starts_with("F"));
}

namespace {

// A child that rearranges its filesystem view with `setup` (run in the child; returns false
// when it lacks the privilege) and then waits to be killed.
class ViewChild {
public:
  template <typename Setup> explicit ViewChild(Setup setup) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[0]);
      char ok = setup() ? 'y' : 'n';
      if (::write(fds[1], &ok, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    char ok = 'n';
    if (::read(fds[0], &ok, 1) != 1) ok = 'n';
    ::close(fds[0]);
    ready_ = ok == 'y';
  }
  ~ViewChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

bool write_text(const std::string& path, const char* text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text));
  ::close(fd);
  return ok;
}

} // namespace

TEST_CASE("vFile:setfs into another mount namespace sees that namespace's files") {
  TempDir dir;
  std::filesystem::create_directory(dir / "mnt");
  std::string mount_point = dir / "mnt";
  ViewChild child([&] {
    return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
           ::mount("none", mount_point.c_str(), "tmpfs", 0, nullptr) == 0 &&
           write_text(mount_point + "/inside", "from the namespace") &&
           ::symlink("inside", (mount_point + "/link").c_str()) == 0;
  });
  if (!child.ready()) {
    MESSAGE("skipped: cannot create a mount namespace here (needs CAP_SYS_ADMIN)");
    return;
  }
  CHECK(!std::filesystem::exists(mount_point + "/inside"));  // not in our view

  HostIo io;
  CHECK(io.handle("vFile:setfs:" + rsp::hex_number(child.pid())) == "F0");
  int fd = reply_fd(io.handle(open_packet(mount_point + "/inside", o_rdonly, 0)));
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",100,0")) == "from the namespace");
  CHECK(reply_data(io.handle("vFile:readlink:" + hex_name(mount_point + "/link"))) == "inside");
  CHECK(io.handle("vFile:unlink:" + hex_name(mount_point + "/link")) == "F0");
  CHECK(io.handle("vFile:readlink:" + hex_name(mount_point + "/link")) == "F-1,2");
  // New files land in the namespace too.
  int created = reply_fd(io.handle(open_packet(mount_point + "/new", o_wronly | o_creat, 0600)));
  CHECK(io.handle("vFile:pwrite:" + rsp::hex_number(created) + ",0,hi") == "F2");
  CHECK(!std::filesystem::exists(mount_point + "/new"));
  CHECK(io.handle("vFile:unlink:" + hex_name(mount_point + "/new")) == "F0");
}

TEST_CASE("vFile:setfs into a chroot resolves absolute names and symlinks inside it") {
  TempDir dir;
  std::filesystem::create_directories(dir / "etc");
  std::ofstream(dir / "etc/xolstub-marker") << "chrooted";
  // An absolute symlink: inside the chroot it means <dir>/etc/xolstub-marker.
  std::filesystem::create_symlink("/etc/xolstub-marker", dir / "abs-link");
  REQUIRE(!std::filesystem::exists("/etc/xolstub-marker"));
  std::string root = dir.path;
  ViewChild child([&] { return ::chroot(root.c_str()) == 0 && ::chdir("/") == 0; });
  if (!child.ready()) {
    MESSAGE("skipped: cannot chroot here (needs CAP_SYS_CHROOT)");
    return;
  }
  HostIo io;
  CHECK(io.handle("vFile:setfs:" + rsp::hex_number(child.pid())) == "F0");
  int fd = reply_fd(io.handle(open_packet("/abs-link", o_rdonly, 0)));
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(fd) + ",100,0")) == "chrooted");
  CHECK(reply_data(io.handle("vFile:readlink:" + hex_name("/abs-link"))) == "/etc/xolstub-marker");
  // ".." cannot climb out of the inferior's root.
  int climbed = reply_fd(io.handle(open_packet("/../../../etc/xolstub-marker", o_rdonly, 0)));
  CHECK(reply_data(io.handle("vFile:pread:" + rsp::hex_number(climbed) + ",100,0")) == "chrooted");
  // The stub's own files are not visible.
  CHECK(io.handle(open_packet("/etc/passwd", o_rdonly, 0)) == "F-1,2");
}
