#include "stub/transport.h"

#include <unistd.h>

#include <deque>
#include <filesystem>

namespace xolstub::stub {
namespace {

// One stream type for every Asio socket or descriptor pair: reads from `In`, writes to `Out`.
// Completion handlers hold the shared state, not the stream, so a session may end (and destroy
// its stream) while an operation is still in flight; after close() no handler reaches it.
template <typename In, typename Out = In> class AsioStream : public ByteStream {
  struct State {
    std::shared_ptr<In> in;
    std::shared_ptr<Out> out;
    std::array<char, 0x10000> buffer{};
    std::deque<std::string> queue;
    bool closed = false;
    bool close_when_drained = false;
  };

public:
  AsioStream(std::shared_ptr<In> in, std::shared_ptr<Out> out, std::string peer)
      : state_(std::make_shared<State>()), peer_(std::move(peer)) {
    state_->in = std::move(in);
    state_->out = std::move(out);
  }
  ~AsioStream() override { close(); }

  void async_read(ReadHandler handler) override {
    auto state = state_;
    state->in->async_read_some(asio::buffer(state->buffer), [state, handler](std::error_code error, std::size_t n) {
      if (!state->closed) handler(error, std::string_view(state->buffer.data(), n));
    });
  }

  void write(std::string bytes) override {
    if (state_->closed) return;
    state_->queue.push_back(std::move(bytes));
    if (state_->queue.size() == 1) write_front(state_);
  }

  void close() override { close_state(*state_); }

  void close_after_writes() override {
    if (state_->queue.empty())
      close_state(*state_);
    else
      state_->close_when_drained = true;
  }

  std::string describe_peer() const override { return peer_; }

private:
  static void close_state(State& state) {
    if (state.closed) return;
    state.closed = true;
    std::error_code ignored;
    state.in->close(ignored);
    if constexpr (!std::is_same_v<In, Out>) state.out->close(ignored);
  }

  static void write_front(std::shared_ptr<State> state) {
    asio::async_write(*state->out, asio::buffer(state->queue.front()), [state](std::error_code error, std::size_t) {
      if (error) {
        state->queue.clear();  // the reader side notices the dead peer and ends the session
        return;
      }
      state->queue.pop_front();
      if (!state->queue.empty())
        write_front(state);
      else if (state->close_when_drained)
        close_state(*state);
    });
  }

  std::shared_ptr<State> state_;
  std::string peer_;
};

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
