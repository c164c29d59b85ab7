// The ByteStream over Asio sockets and descriptors that every listener hands out: transport.cc's
// listeners and the rendezvous socket (rendezvous.cc) share it, so queued writes and the
// "no handler after close()" rule behave the same for every client.
#pragma once
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>

#include <asio.hpp>

#include "stub/transport.h"

namespace xolstub::stub {

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

} // namespace xolstub::stub
