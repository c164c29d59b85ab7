#include "stub/transport.h"

#include <unistd.h>

#include <filesystem>

#include "stub/socket_stream.h"

namespace xolstub::stub {
namespace {

class TcpListener : public Listener {
public:
  TcpListener(asio::io_context& io, asio::ip::tcp::endpoint endpoint) : io_(io), acceptor_(io) {
    std::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (error == std::errc::address_in_use) throw TransportError("Can't bind address: Address already in use.");
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) throw TransportError("Can't listen on socket: " + error.message() + ".");
  }

  void async_accept(AcceptHandler handler) override {
    auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
    acceptor_.async_accept(*socket, [socket, handler](std::error_code error) {
      if (error) return;
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

class UnixListener : public Listener {
public:
  UnixListener(asio::io_context& io, std::string path) : io_(io), acceptor_(io), path_(std::move(path)) {
    std::error_code error;
    // A socket file left by an earlier run would make bind fail; anything else is not ours.
    if (std::filesystem::is_socket(path_, error)) std::filesystem::remove(path_, error);
    acceptor_.open(asio::local::stream_protocol(), error);
    if (!error) acceptor_.bind(asio::local::stream_protocol::endpoint(path_), error);
    if (error == std::errc::address_in_use) throw TransportError("Can't bind address: Address already in use.");
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) throw TransportError("Can't listen on socket " + path_ + ": " + error.message() + ".");
  }
  ~UnixListener() override { ::unlink(path_.c_str()); }

  void async_accept(AcceptHandler handler) override {
    auto socket = std::make_shared<asio::local::stream_protocol::socket>(io_);
    acceptor_.async_accept(*socket, [socket, handler, this](std::error_code error) {
      if (error) return;
      handler(std::make_unique<AsioStream<asio::local::stream_protocol::socket>>(socket, socket, "Unix socket " + path_));
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
    auto in = std::make_shared<asio::posix::stream_descriptor>(io_, ::dup(STDIN_FILENO));
    auto out = std::make_shared<asio::posix::stream_descriptor>(io_, ::dup(STDOUT_FILENO));
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
