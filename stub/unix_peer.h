// Clients on Unix sockets (unix:PATH and the rendezvous socket): only our own user and root may
// connect. The socket file's mode keeps others out first; SO_PEERCRED is checked as well,
// because file modes are only as good as whoever last set them.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>

namespace xolstub::stub {

using UnixSocket = asio::local::stream_protocol::socket;

// Marks FD close-on-exec: descriptors of ours must not leak into programs the stub launches.
void set_cloexec(int fd);

// "uid U and root" (or "root"): who may join, for messages.
std::string who_may_join();

// `$E.MESSAGE#XX`, with framing characters in MESSAGE replaced (a path may contain anything).
std::string error_packet(std::string message);

// The peer of SOCKET, accepted at PATH: its description ("unix socket PATH (uid U, pid P)")
// when it is our euid or root. Anyone else gets one E. packet saying why, a line on stderr,
// and is closed: nullopt.
std::optional<std::string> admit_unix_peer(const std::shared_ptr<UnixSocket>& socket, const std::string& path);

} // namespace xolstub::stub
