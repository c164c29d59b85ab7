#include "stub/unix_peer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "rsp/framing.h"

namespace xolstub::stub {

void set_cloexec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

std::string who_may_join() {
  uid_t euid = ::geteuid();
  return euid == 0 ? std::string("root") : "uid " + std::to_string(euid) + " and root";
}

std::string error_packet(std::string message) {
  for (char& c : message)
    if (c == '$' || c == '#' || c == '}' || c == '*') c = '?';
  return rsp::frame_packet("E." + message, false);
}

std::optional<std::string> admit_unix_peer(const std::shared_ptr<UnixSocket>& socket, const std::string& path) {
  set_cloexec(socket->native_handle());
  ucred peer{};
  socklen_t size = sizeof(peer);
  bool known = ::getsockopt(socket->native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0;
  if (known && (peer.uid == ::geteuid() || peer.uid == 0))
    return "unix socket " + path + " (uid " + std::to_string(peer.uid) + ", pid " + std::to_string(peer.pid) + ")";

  // The file modes should have kept this peer out; someone opened them up. Tell the peer why
  // (GDB shows an E. message) and let the listener go on for the clients that may join.
  std::string uid_text = known ? "uid " + std::to_string(peer.uid) : "unknown uid";
  std::string message = "xolstub: refused a client of " + uid_text + " at " + path + " (only " + who_may_join() +
                        " may join)";
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  auto packet = std::make_shared<std::string>(error_packet(message));
  asio::async_write(*socket, asio::buffer(*packet), [socket, packet](std::error_code, std::size_t) {
    std::error_code ignored;
    socket->shutdown(asio::socket_base::shutdown_both, ignored);
    socket->close(ignored);
  });
  return std::nullopt;
}

} // namespace xolstub::stub
