// The per-process rendezvous socket: where it lives, its modes, a live stub against a dead one's
// leftover file, peers of another uid refused with an E. packet (as root), and the relay a second
// stub runs. The socket path is fixed by the pid, so the tests use pid numbers no real process
// has (2000000000 + something), and a private XDG_RUNTIME_DIR when not root.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rsp/framing.h"
#include "rsp/hex.h"
#include "stub/rendezvous.h"

using namespace xolstub::stub;
namespace fs = std::filesystem;
using UnixSocket = asio::local::stream_protocol::socket;

namespace {

pid_t test_pid(int which = 0) { return 2000000000 + (::getpid() % 1000) * 10 + which; }

// A private XDG_RUNTIME_DIR for a non-root run (root always uses /run/xolstub), restored after.
struct RendezvousEnv {
  std::string runtime_dir;
  std::optional<std::string> saved;
  RendezvousEnv() {
    char tmpl[] = "/tmp/xolstub-rdv-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    runtime_dir = tmpl;
    if (const char* value = std::getenv("XDG_RUNTIME_DIR")) saved = value;
    ::setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1);
  }
  ~RendezvousEnv() {
    if (saved)
      ::setenv("XDG_RUNTIME_DIR", saved->c_str(), 1);
    else
      ::unsetenv("XDG_RUNTIME_DIR");
    std::error_code ignored;
    fs::remove_all(runtime_dir, ignored);
  }
};

// Runs the loop until `done` or the deadline; true when `done`.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

// A blocking client socket connected to `path`, retried until the deadline (a listener binds
// before it listens); -1 if it never connects.
int connect_unix(const fs::path& path, std::chrono::seconds limit = std::chrono::seconds(10)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) return fd;
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// Everything until EOF (or an error, or the receive timeout).
std::string read_to_eof(int fd) {
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string all;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    all.append(buffer, static_cast<std::size_t>(n));
  }
  return all;
}

// True when `bytes` is exactly one `$payload#cs` packet with the right checksum.
bool well_framed(const std::string& bytes, std::string& payload) {
  if (bytes.size() < 4 || bytes.front() != '$' || bytes[bytes.size() - 3] != '#') return false;
  payload = bytes.substr(1, bytes.size() - 4);
  return bytes.substr(bytes.size() - 2) == xolstub::rsp::to_hex(std::vector<std::uint8_t>{xolstub::rsp::checksum(payload)});
}

std::string what_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const TransportError& error) {
    return error.what();
  }
  return "";
}

} // namespace

TEST_CASE("rendezvous path: /run/xolstub for root, XDG_RUNTIME_DIR or /tmp/xolstub-UID for others") {
  CHECK(rendezvous_path_for(0, nullptr, 42) == "/run/xolstub/42");
  CHECK(rendezvous_path_for(0, "/run/user/0", 42) == "/run/xolstub/42");
  CHECK(rendezvous_path_for(1000, "/run/user/1000", 42) == "/run/user/1000/xolstub/42");
  CHECK(rendezvous_path_for(1000, nullptr, 42) == "/tmp/xolstub-1000/42");
  CHECK(rendezvous_path_for(1000, "", 42) == "/tmp/xolstub-1000/42");

  RendezvousEnv env;
  CHECK(rendezvous_path(7) == rendezvous_path_for(::geteuid(), env.runtime_dir.c_str(), 7));
}

TEST_CASE("rendezvous listener: socket 0600 in a directory of ours; bytes go both ways through an accepted stream") {
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid();
  RendezvousListener listener(io, pid);
  fs::path path = rendezvous_path(pid);
  CHECK(listener.path() == path);
  CHECK(listener.announcement() == "Rendezvous socket " + path.string());
  CHECK(S_ISSOCK(mode_of(path)));
  CHECK((mode_of(path) & 07777) == 0600);
  struct stat dir {};
  REQUIRE(::lstat(path.parent_path().c_str(), &dir) == 0);
  CHECK(S_ISDIR(dir.st_mode));
  CHECK(dir.st_uid == ::geteuid());
  if (::geteuid() != 0) CHECK((dir.st_mode & 07777) == 0700);  // root's /run/xolstub may predate us

  std::unique_ptr<ByteStream> accepted;
  std::string stub_got;
  listener.async_accept([&](std::unique_ptr<ByteStream> stream) {
    accepted = std::move(stream);
    accepted->async_read([&](std::error_code error, std::string_view bytes) {
      if (error) return;
      stub_got = bytes;
      accepted->write("$OK#9a");
    });
  });

  UnixSocket client(io);
  client.connect(asio::local::stream_protocol::endpoint(path.string()));
  asio::write(client, asio::buffer(std::string("$g#67")));
  REQUIRE(run_until(io, [&] { return stub_got == "$g#67"; }));
  CHECK(accepted->describe_peer() == "unix socket " + path.string() + " (uid " + std::to_string(::geteuid()) +
                                         ", pid " + std::to_string(::getpid()) + ")");

  std::array<char, 64> buffer{};
  std::string client_got;
  client.async_read_some(asio::buffer(buffer), [&](std::error_code error, std::size_t n) {
    if (!error) client_got.assign(buffer.data(), n);
  });
  REQUIRE(run_until(io, [&] { return !client_got.empty(); }));
  CHECK(client_got == "$OK#9a");
}

TEST_CASE("rendezvous listener: a second stub for a live pid is refused; the file goes with the first") {
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid(1);
  fs::path path = rendezvous_path(pid);
  CHECK_FALSE(rendezvous_live(pid));

  auto first = std::make_unique<RendezvousListener>(io, pid);
  CHECK(rendezvous_live(pid));
  std::string message = what_of([&] { RendezvousListener second(io, pid); });
  CHECK(message == "another xolstub already serves process " + std::to_string(pid) + " at " + path.string());
  // The refused one must not have taken the live stub's file with it.
  CHECK(fs::is_socket(path));
  CHECK(rendezvous_live(pid));

  first.reset();
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(rendezvous_live(pid));
}

TEST_CASE("rendezvous listener: a socket file nobody listens on is replaced") {
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid(2);
  fs::path path = rendezvous_path(pid);
  { RendezvousListener make_the_directory(io, pid); }

  // What a stub killed with SIGKILL leaves: a bound socket file, nobody listening.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  ::close(fd);
  REQUIRE(fs::is_socket(path));
  CHECK_FALSE(rendezvous_live(pid));

  {
    // (Not compared by inode: tmpfs hands the freed number straight to the new file.)
    RendezvousListener listener(io, pid);
    CHECK((mode_of(path) & 07777) == 0600);
    CHECK(rendezvous_live(pid));
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("rendezvous listener: a directory of another uid, or something not a socket in the way, is refused") {
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid(3);
  // Not root: /tmp is root's. Root: a directory given away to nobody.
  fs::path foreign = "/tmp";
  if (::geteuid() == 0) {
    foreign = fs::path(env.runtime_dir) / "foreign";
    REQUIRE(::mkdir(foreign.c_str(), 0700) == 0);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
  }
  std::string message = what_of([&] { RendezvousListener listener(io, pid, foreign / std::to_string(pid)); });
  CHECK(message.find("The rendezvous directory " + foreign.string() + " belongs to uid") == 0);

  fs::path ours = fs::path(env.runtime_dir) / "ours";
  fs::path in_the_way = ours / std::to_string(pid);
  fs::create_directories(in_the_way);  // a directory where the socket should go
  message = what_of([&] { RendezvousListener listener(io, pid, in_the_way); });
  CHECK(message == in_the_way.string() + " is in the way of the rendezvous socket and is not a socket; remove it.");
  CHECK(fs::is_directory(in_the_way));
}

TEST_CASE("rendezvous listener: a peer of another uid gets one E. packet and EOF, and the handler never sees it") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: connecting as another uid needs root");
    return;
  }
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid(4);
  auto owned = std::make_unique<RendezvousListener>(io, pid);
  RendezvousListener& listener = *owned;
  fs::path path = listener.path();
  int accepted = 0;
  listener.async_accept([&](std::unique_ptr<ByteStream>) { ++accepted; });

  // Open the modes up, as a careless admin might; the SO_PEERCRED check must still hold.
  mode_t directory_mode = mode_of(path.parent_path()) & 07777;
  REQUIRE(::chmod(path.parent_path().c_str(), 0755) == 0);
  REQUIRE(::chmod(path.c_str(), 0666) == 0);

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(2);
    int fd = connect_unix(path, std::chrono::seconds(1));
    if (fd < 0) ::_exit(3);
    std::string got = read_to_eof(fd);
    if (::write(pipe_fds[1], got.data(), got.size()) != static_cast<ssize_t>(got.size())) ::_exit(4);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int status = 0;
  bool exited = run_until(io, [&] { return ::waitpid(child, &status, WNOHANG) == child; });
  if (!exited) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  ::chmod(path.parent_path().c_str(), directory_mode);
  std::string got;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) got.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);

  REQUIRE(exited);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::string payload;
  CHECK_MESSAGE(well_framed(got, payload), got);
  CHECK(payload.rfind("E.", 0) == 0);
  CHECK(payload.find("uid 65534") != std::string::npos);
  CHECK(payload.find(path.string()) != std::string::npos);
  CHECK(payload.find("only root may join") != std::string::npos);
  CHECK(accepted == 0);

  // Still listening, and a client of ours reaches the handler.
  int fd = connect_unix(path);
  REQUIRE(fd >= 0);
  CHECK(run_until(io, [&] { return accepted == 1; }));
  ::close(fd);

  // Opened-up modes do not stop the listener from removing its own file.
  owned.reset();
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("rendezvous relay: a client's bytes reach the stub and back; the relay ends when the client leaves") {
  RendezvousEnv env;
  asio::io_context io;
  pid_t pid = test_pid(5);
  RendezvousListener listener(io, pid);

  std::unique_ptr<ByteStream> accepted;
  std::string stub_got;
  bool session_ended = false;
  std::function<void()> echo = [&] {
    accepted->async_read([&](std::error_code error, std::string_view bytes) {
      if (error || bytes.empty()) {
        session_ended = true;
        return;
      }
      stub_got += bytes;
      accepted->write("echo:" + std::string(bytes));
      echo();
    });
  };
  listener.async_accept([&](std::unique_ptr<ByteStream> stream) {
    accepted = std::move(stream);
    echo();
  });

  fs::path client_path = fs::path(env.runtime_dir) / "client.sock";
  int relay_status = -1;
  std::thread relay([&] { relay_status = relay_through_rendezvous(pid, "unix:" + client_path.string()); });
  std::string client_got;
  std::thread client([&] {
    int fd = connect_unix(client_path);
    if (fd < 0) return;
    std::string packet = "$qSupported#37";
    if (::write(fd, packet.data(), packet.size()) == static_cast<ssize_t>(packet.size())) {
      char buffer[256];
      while (client_got.size() < packet.size() + 5) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) break;
        client_got.append(buffer, static_cast<std::size_t>(n));
      }
    }
    ::close(fd);
  });

  bool ended = run_until(io, [&] { return session_ended; });
  client.join();
  if (!ended) accepted.reset();  // nothing else would end the relay
  relay.join();
  CHECK(ended);
  CHECK(stub_got == "$qSupported#37");
  CHECK(client_got == "echo:$qSupported#37");
  CHECK(relay_status == 0);
}

TEST_CASE("rendezvous relay: with no stub at the socket the client gets an E. packet and the relay returns 1") {
  RendezvousEnv env;
  pid_t pid = test_pid(6);
  fs::path client_path = fs::path(env.runtime_dir) / "client.sock";
  int relay_status = -1;
  std::thread relay([&] { relay_status = relay_through_rendezvous(pid, "unix:" + client_path.string()); });
  std::string got;
  int fd = connect_unix(client_path);
  if (fd >= 0) {
    got = read_to_eof(fd);
    ::close(fd);
  }
  relay.join();
  REQUIRE(fd >= 0);
  std::string payload;
  CHECK_MESSAGE(well_framed(got, payload), got);
  CHECK(payload.rfind("E.xolstub: cannot reach the xolstub that debugs process " + std::to_string(pid), 0) == 0);
  CHECK(relay_status == 1);
}
