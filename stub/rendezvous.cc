// The per-process rendezvous socket (see rendezvous.h): making and checking its directory,
// telling a live stub from a dead one's leftover socket file, refusing peers of other users, and
// the relay a second stub runs between its own client and the first stub.
#include "stub/rendezvous.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "rsp/framing.h"
#include "stub/socket_stream.h"
#include "stub/unix_peer.h"

namespace xolstub::stub {

struct RendezvousListener::Shared {
  explicit Shared(asio::io_context& io) : io(io), acceptor(io) {}
  asio::io_context& io;
  asio::local::stream_protocol::acceptor acceptor;
  std::string path;
  bool closed = false;
};

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// mkdir -p with mode 0700 for what we create; an existing directory keeps its mode (the user
// may have opened it up on purpose). The last component must then be a real directory of ours:
// lstat, so a symlink planted in /tmp by someone else is refused rather than followed.
void prepare_directory(const std::filesystem::path& directory) {
  std::filesystem::path partial;
  bool created_last = false;
  for (const auto& part : directory) {
    partial /= part;
    if (partial == partial.root_path()) continue;
    created_last = ::mkdir(partial.c_str(), 0700) == 0;
    if (!created_last && errno != EEXIST)
      throw TransportError("Can't create the rendezvous directory " + partial.string() + ": " + errno_text(errno) + ".");
  }
  // mkdir's mode went through the umask; 0700 is what we promise.
  if (created_last) ::chmod(directory.c_str(), 0700);

  struct stat st {};
  if (::lstat(directory.c_str(), &st) != 0)
    throw TransportError("Can't use the rendezvous directory " + directory.string() + ": " + errno_text(errno) + ".");
  if (!S_ISDIR(st.st_mode))
    throw TransportError("The rendezvous directory " + directory.string() + " is not a directory; remove it.");
  if (st.st_uid != ::geteuid())
    throw TransportError("The rendezvous directory " + directory.string() + " belongs to uid " +
                         std::to_string(st.st_uid) + ", not to us (uid " + std::to_string(::geteuid()) +
                         "); remove it, or set XDG_RUNTIME_DIR to a directory of ours.");
}

// Held while a stub decides the socket file is stale, removes it and binds its own, and while it
// removes its own at exit: without it two stubs starting together could each remove the other's
// fresh socket. The lock is on the directory itself, so no lock files pile up.
class DirectoryLock {
public:
  explicit DirectoryLock(const std::filesystem::path& directory)
      : fd_(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  bool locked() const { return fd_ >= 0; }

private:
  int fd_;
};

bool fill_address(const std::filesystem::path& path, sockaddr_un& address) {
  address = {};
  address.sun_family = AF_UNIX;
  const std::string& text = path.native();
  if (text.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return true;
}

void check_length(const std::filesystem::path& path) {
  sockaddr_un address;
  if (!fill_address(path, address))
    throw TransportError("The rendezvous socket path " + path.string() + " is longer than a Unix socket allows (" +
                         std::to_string(sizeof(address.sun_path) - 1) + " bytes); set XDG_RUNTIME_DIR to a shorter directory.");
}

// 0 when something accepts connections at `path`, else the errno of the failed connect.
// A blocking connect: a listening Unix socket completes it from the kernel's backlog, without
// the other stub's loop having to run.
int probe(const std::filesystem::path& path) {
  sockaddr_un address;
  if (!fill_address(path, address)) return ENAMETOOLONG;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int result = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

// Relays what `from` reads to `to` until `from` ends; then `to` is closed once what it was
// given has gone out (the first stub's last `E.` reply reaches the client).
void pump(ByteStream& from, ByteStream& to) {
  from.async_read([&from, &to](std::error_code error, std::string_view bytes) {
    if (error || bytes.empty()) {
      from.close();
      to.close_after_writes();
      return;
    }
    to.write(std::string(bytes));
    pump(from, to);
  });
}

} // namespace

std::filesystem::path rendezvous_path_for(uid_t euid, const char* xdg_runtime_dir, pid_t pid) {
  std::string name = std::to_string(pid);
  if (euid == 0) return std::filesystem::path("/run/xolstub") / name;
  if (xdg_runtime_dir != nullptr && *xdg_runtime_dir != '\0')
    return std::filesystem::path(xdg_runtime_dir) / "xolstub" / name;
  return std::filesystem::path("/tmp/xolstub-" + std::to_string(euid)) / name;
}

std::filesystem::path rendezvous_path(pid_t pid) {
  return rendezvous_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"), pid);
}

RendezvousListener::RendezvousListener(asio::io_context& io, pid_t pid)
    : RendezvousListener(io, pid, rendezvous_path(pid)) {}

RendezvousListener::RendezvousListener(asio::io_context& io, pid_t pid, std::filesystem::path path)
    : pid_(pid), path_(std::move(path)), shared_(std::make_shared<Shared>(io)) {
  shared_->path = path_.string();
  check_length(path_);
  std::filesystem::path directory = path_.parent_path();
  prepare_directory(directory);
  DirectoryLock lock(directory);
  if (!lock.locked())
    throw TransportError("Can't lock the rendezvous directory " + directory.string() + ": " + errno_text(errno) + ".");

  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw TransportError(path_.string() + " is in the way of the rendezvous socket and is not a socket; remove it.");
    int error = probe(path_);
    if (error == 0)
      throw TransportError("another xolstub already serves process " + std::to_string(pid_) + " at " + path_.string());
    if (error != ECONNREFUSED && error != ENOENT)
      throw TransportError("Can't tell whether a stub listens at " + path_.string() + ": " + errno_text(error) + ".");
    // Nobody listens: a stub that died without cleaning up. Ours replaces it.
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
      throw TransportError("Can't remove the stale rendezvous socket " + path_.string() + ": " + errno_text(errno) + ".");
  }

  auto& acceptor = shared_->acceptor;
  std::error_code error;
  acceptor.open(asio::local::stream_protocol(), error);
  if (!error) set_cloexec(acceptor.native_handle());
  if (!error) acceptor.bind(asio::local::stream_protocol::endpoint(path_.string()), error);
  bool bound = !error;
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  // The directory already keeps others out; 0600 keeps them out if its mode was opened up.
  if (!error && ::chmod(path_.c_str(), 0600) != 0) error = std::error_code(errno, std::generic_category());
  if (!error && ::lstat(path_.c_str(), &st) != 0) error = std::error_code(errno, std::generic_category());
  if (error) {
    if (bound) ::unlink(path_.c_str());
    throw TransportError("Can't listen on the rendezvous socket " + path_.string() + ": " + error.message() + ".");
  }
  device_ = st.st_dev;
  inode_ = st.st_ino;
}

RendezvousListener::~RendezvousListener() {
  shared_->closed = true;
  {
    // Only our own file: if someone removed ours, another stub may have bound its own since.
    DirectoryLock lock(path_.parent_path());
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_) ::unlink(path_.c_str());
  }
  std::error_code ignored;
  shared_->acceptor.close(ignored);
}

void RendezvousListener::async_accept(AcceptHandler handler) { accept_next(shared_, std::move(handler)); }

void RendezvousListener::accept_next(std::shared_ptr<Shared> shared, AcceptHandler handler) {
  auto socket = std::make_shared<UnixSocket>(shared->io);
  shared->acceptor.async_accept(*socket, [shared, socket, handler](std::error_code error) {
    if (shared->closed) return;
    if (error) {
      // A peer that gave up while queued is no reason to stop listening; anything else
      // (EMFILE...) would fail again at once, so say so and stop, as the other listeners do.
      if (error == asio::error::connection_aborted) {
        accept_next(shared, handler);
      } else if (error != asio::error::operation_aborted) {
        std::fprintf(stderr, "xolstub: no longer accepting on %s: %s\n", shared->path.c_str(), error.message().c_str());
      }
      return;
    }
    // An admitted client: the handler asks for the next one. A refused one: we do.
    if (auto description = admit_unix_peer(socket, shared->path))
      return handler(std::make_unique<AsioStream<UnixSocket>>(socket, socket, *description));
    accept_next(shared, handler);
  });
}

std::string RendezvousListener::announcement() const { return "Rendezvous socket " + path_.string(); }

bool rendezvous_live(pid_t pid) { return probe(rendezvous_path(pid)) == 0; }

int relay_through_rendezvous(pid_t pid, const std::string& comm) {
  // A client that goes away while we write to it is the end of the relay, not of the process
  // (a stdio client is a pipe; sockets are written with MSG_NOSIGNAL already).
  std::signal(SIGPIPE, SIG_IGN);

  asio::io_context io;
  std::unique_ptr<Listener> listener;
  try {
    listener = make_listener(io, comm);
  } catch (const TransportError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  const bool stdio = listener->is_stdio();
  const std::filesystem::path path = rendezvous_path(pid);
  if (!stdio) std::fprintf(stderr, "%s\n", listener->announcement().c_str());
  std::fprintf(stderr, "Joining the xolstub that debugs process %d through %s\n", static_cast<int>(pid), path.c_str());
  std::fflush(stderr);

  // Both streams outlive io.run(): the pumps hold references to them.
  std::unique_ptr<ByteStream> client;
  std::unique_ptr<ByteStream> stub;
  int status = 0;
  listener->async_accept([&](std::unique_ptr<ByteStream> accepted) {
    client = std::move(accepted);
    if (!stdio) std::fprintf(stderr, "Remote debugging from %s\n", client->describe_peer().c_str());
    std::fflush(stderr);
    // One client only: stop listening, so a second one is refused rather than left hanging in
    // the backlog. Posted, since this runs inside the listener's own completion.
    asio::post(io, [&] { listener.reset(); });

    auto socket = std::make_shared<UnixSocket>(io);
    socket->async_connect(asio::local::stream_protocol::endpoint(path.string()), [&, socket](std::error_code error) {
      if (error) {
        std::string message = "xolstub: cannot reach the xolstub that debugs process " + std::to_string(pid) +
                              " at " + path.string() + ": " + error.message();
        std::fprintf(stderr, "%s\n", message.c_str());
        std::fflush(stderr);
        client->write(error_packet(message));
        client->close_after_writes();
        status = 1;
        return;
      }
      set_cloexec(socket->native_handle());
      stub = std::make_unique<AsioStream<UnixSocket>>(socket, socket, "unix socket " + path.string());
      pump(*client, *stub);
      pump(*stub, *client);
    });
  });
  io.run();
  return status;
}

} // namespace xolstub::stub
