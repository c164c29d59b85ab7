// The per-process rendezvous socket: the stub that debugs process PID also listens on a Unix
// socket named after PID, so that a second `xolstub --attach COMM PID` joins it (the first stub
// serves several clients) instead of failing with EPERM from a second ptrace attach.
//
// Where the socket lives:
//   euid 0                             /run/xolstub/PID
//   other users, XDG_RUNTIME_DIR set   $XDG_RUNTIME_DIR/xolstub/PID
//   other users, XDG_RUNTIME_DIR unset /tmp/xolstub-UID/PID
// The directory is ours and 0700, the socket 0600; a peer is also checked with SO_PEERCRED
// (our euid or root), because the file modes are only as good as whoever set them.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include <asio.hpp>

#include "stub/transport.h"

namespace xolstub::stub {

// The rendezvous socket for `pid`, for this process's euid and environment (see above).
std::filesystem::path rendezvous_path(pid_t pid);
// The pure part of rendezvous_path: `xdg_runtime_dir` is the variable's value (null or empty
// when unset).
std::filesystem::path rendezvous_path_for(uid_t euid, const char* xdg_runtime_dir, pid_t pid);

// Listens on the rendezvous socket. Accepted streams are peers of our euid or root; anyone else
// gets one `$E.xolstub: ...#XX` packet, a line on stderr, and is closed, and the listener goes on
// accepting without calling the handler.
class RendezvousListener : public Listener {
public:
  // Creates the directory if needed and listens at rendezvous_path(pid). Throws TransportError
  // when the directory is not ours, when another stub is live at the path, or when the socket
  // cannot be made; a socket file nobody listens on (a stub that died) is replaced.
  RendezvousListener(asio::io_context& io, pid_t pid);
  // The same at an explicit path (its directory is checked and made the same way); for tests.
  RendezvousListener(asio::io_context& io, pid_t pid, std::filesystem::path path);
  // Stops listening and removes the socket file if it is still the one we made.
  ~RendezvousListener() override;
  RendezvousListener(const RendezvousListener&) = delete;
  RendezvousListener& operator=(const RendezvousListener&) = delete;

  void async_accept(AcceptHandler handler) override;
  std::string announcement() const override;  // "Rendezvous socket PATH"
  const std::filesystem::path& path() const { return path_; }

private:
  struct Shared;
  static void accept_next(std::shared_ptr<Shared> shared, AcceptHandler handler);

  pid_t pid_;
  std::filesystem::path path_;
  // The acceptor and what pending accepts need; they hold it, so a completion that was already
  // queued when the listener went away finds `closed` set instead of a destroyed object.
  std::shared_ptr<Shared> shared_;
  // The socket file we bound. (Not its ctime as well: a chmod by the user changes that.)
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

// True when a stub accepts connections at rendezvous_path(pid). The probe connects and closes at
// once, so a live stub sees (and drops) one client that said nothing.
bool rendezvous_live(pid_t pid);

// The second stub's whole run when `pid` already has a stub: listens on COMM as usual, accepts one
// client, and relays its bytes to and from the stub at rendezvous_path(pid) until either side
// closes. Returns the process exit code: 0 after a relayed session, 1 when COMM cannot be used or
// the rendezvous socket cannot be reached (the client then gets an `E.` packet saying why).
int relay_through_rendezvous(pid_t pid, const std::string& comm);

} // namespace xolstub::stub
