#include "stub/transport.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <filesystem>

#include "stub/socket_stream.h"
#include "stub/unix_peer.h"

namespace xolstub::stub {
namespace {

// Whoever reaches a debugging stub can read and write the program's memory and make it run any
// code as the user running xolstub: say so when that is more than this machine.
void warn_exposed(const asio::ip::tcp::endpoint& endpoint) {
  std::fprintf(stderr,
               "xolstub: warning: listening on %s, which is not a loopback address: anyone who can reach it can "
               "debug the program and run code as uid %d. Use :PORT (loopback only) or an SSH tunnel unless you "
               "mean it.\n",
               endpoint.address().to_string().c_str(), static_cast<int>(::geteuid()));
  std::fflush(stderr);
}

class TcpListener : public Listener {
public:
  TcpListener(asio::io_context& io, asio::ip::tcp::endpoint endpoint) : io_(io), acceptor_(io) {
    std::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) set_cloexec(acceptor_.native_handle());
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (error == std::errc::address_in_use) throw TransportError("Can't bind address: Address already in use.");
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) throw TransportError("Can't listen on socket: " + error.message() + ".");
    if (!endpoint.address().is_loopback()) warn_exposed(endpoint);
  }

  void async_accept(AcceptHandler handler) override {
    auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
    acceptor_.async_accept(*socket, [socket, handler](std::error_code error) {
      if (error) return;
      set_cloexec(socket->native_handle());
      std::error_code ignored;
      socket->set_option(asio::ip::tcp::no_delay(true), ignored);
      auto remote = socket->remote_endpoint(ignored);
      std::string peer = "host " + remote.address().to_string() + ", port " + std::to_string(remote.port());
      handler(std::make_unique<AsioStream<asio::ip::tcp::socket>>(socket, socket, peer));
    });
  }

  int port() const override { return acceptor_.local_endpoint().port(); }
  std::string announcement() const override { return "Listening on port " + std::to_string(port()); }

private:
  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
};

// unix:PATH. The socket is 0600 before anyone can connect, and peers are checked with
// SO_PEERCRED (stub/unix_peer.h).
class UnixListener : public Listener {
public:
  UnixListener(asio::io_context& io, std::string path) : io_(io), acceptor_(io), path_(std::move(path)) {
    std::error_code error;
    // A socket file left by an earlier run would make bind fail; anything else is not ours.
    if (std::filesystem::is_socket(path_, error)) std::filesystem::remove(path_, error);
    acceptor_.open(asio::local::stream_protocol(), error);
    if (!error) set_cloexec(acceptor_.native_handle());
    if (!error) acceptor_.bind(asio::local::stream_protocol::endpoint(path_), error);
    if (error == std::errc::address_in_use) throw TransportError("Can't bind address: Address already in use.");
    bool bound = !error;
    // Connects are refused until listen(), so nobody gets in while the mode is still the umask's.
    if (!error && ::chmod(path_.c_str(), 0600) != 0) error = std::error_code(errno, std::generic_category());
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      if (bound) ::unlink(path_.c_str());
      throw TransportError("Can't listen on socket " + path_ + ": " + error.message() + ".");
    }
  }
  ~UnixListener() override { ::unlink(path_.c_str()); }

  void async_accept(AcceptHandler handler) override {
    auto socket = std::make_shared<UnixSocket>(io_);
    acceptor_.async_accept(*socket, [socket, handler, this](std::error_code error) {
      if (error) return;
      // An admitted client: the handler asks for the next one. A refused one: we do.
      if (auto description = admit_unix_peer(socket, path_))
        return handler(std::make_unique<AsioStream<UnixSocket>>(socket, socket, *description));
      async_accept(handler);
    });
  }

  std::string announcement() const override { return "Listening on Unix socket " + path_; }

private:
  asio::io_context& io_;
  asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
};

// stdin/stdout as the one and only client.
class StdioListener : public Listener {
public:
  explicit StdioListener(asio::io_context& io) : io_(io) {}

  void async_accept(AcceptHandler handler) override {
    if (used_) return;
    used_ = true;
    auto in = std::make_shared<asio::posix::stream_descriptor>(io_, ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
    auto out = std::make_shared<asio::posix::stream_descriptor>(io_, ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
    asio::post(io_, [handler, in, out] {
      handler(std::make_unique<AsioStream<asio::posix::stream_descriptor>>(in, out, "stdio"));
    });
  }
  bool is_stdio() const override { return true; }
  std::string announcement() const override { return "Remote debugging using stdio"; }

private:
  asio::io_context& io_;
  bool used_ = false;
};

asio::ip::tcp::endpoint resolve_tcp(asio::io_context& io, const std::string& comm) {
  auto colon = comm.rfind(':');
  if (colon == std::string::npos) throw TransportError(comm + ": no port given (use HOST:PORT or :PORT)");
  std::string host = comm.substr(0, colon);
  std::string port_text = comm.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";  // :PORT is loopback only; 0.0.0.0:PORT opens it up
  asio::ip::tcp::resolver resolver(io);
  std::error_code error;
  auto results = resolver.resolve(host, port_text, asio::ip::resolver_base::numeric_service, error);
  if (error || results.empty()) throw TransportError(comm + ": cannot resolve name: Name or service not known");
  return results.begin()->endpoint();
}

} // namespace

std::unique_ptr<Listener> make_listener(asio::io_context& io, const std::string& comm) {
  if (comm == "-" || comm == "stdio") return std::make_unique<StdioListener>(io);
  if (comm.rfind("unix:", 0) == 0) return std::make_unique<UnixListener>(io, comm.substr(5));
  return std::make_unique<TcpListener>(io, resolve_tcp(io, comm));
}

} // namespace xolstub::stub
