// Where clients come from: a TCP or Unix-socket listener, or stdin/stdout. Each accepted
// client is a ByteStream; sessions read from it and queue writes without ever blocking the loop.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <asio.hpp>

namespace xolstub::stub {

class ByteStream {
public:
  using ReadHandler = std::function<void(std::error_code, std::string_view)>;
  virtual ~ByteStream() = default;
  // Reads what is available; the handler runs once. Call again for more.
  virtual void async_read(ReadHandler handler) = 0;
  // Queues bytes; they go out in order as the peer accepts them.
  virtual void write(std::string bytes) = 0;
  virtual void close() = 0;
  // Closes once every queued byte has gone out (a last reply before the stub lets go).
  virtual void close_after_writes() = 0;
  virtual std::string describe_peer() const = 0;
};

class Listener {
public:
  using AcceptHandler = std::function<void(std::unique_ptr<ByteStream>)>;
  virtual ~Listener() = default;
  virtual void async_accept(AcceptHandler handler) = 0;
  // For the "Listening on port N" line; 0 when not TCP.
  virtual int port() const { return 0; }
  virtual bool is_stdio() const { return false; }
  // The announcement gdbserver prints once listening ("Listening on port 2345").
  virtual std::string announcement() const = 0;
};

// A COMM the stub cannot use; the message is what gdbserver prints ("...: cannot resolve name: ...").
class TransportError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::unique_ptr<Listener> make_listener(asio::io_context& io, const std::string& comm);

} // namespace xolstub::stub
