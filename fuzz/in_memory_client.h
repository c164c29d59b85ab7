// A client that is a fuzz input: one ByteStream that delivers the input's bytes in one read,
// collects what the stub writes, and then hangs up — once the stub has been quiet for a moment,
// so that the replies to a resume (a stop) get their chance to come out first.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include <asio.hpp>

#include "stub/transport.h"

namespace xolstub::fuzz {

class InMemoryClient : public stub::ByteStream {
public:
  // `output` receives every byte the stub writes, and outlives the stream.
  InMemoryClient(asio::io_context& io, std::string input, std::shared_ptr<std::string> output)
      : state_(std::make_shared<State>(io)) {
    state_->input = std::move(input);
    state_->output = std::move(output);
  }
  ~InMemoryClient() override { close(); }

  void async_read(ReadHandler handler) override {
    auto state = state_;
    if (!state->input_sent) {
      state->input_sent = true;
      state->started = std::chrono::steady_clock::now();
      asio::post(state->timer.get_executor(), [state, handler] {
        if (!state->closed) handler({}, state->input);
      });
      return;
    }
    state->pending_read = std::move(handler);
    hang_up_when_quiet(state);
  }

  void write(std::string bytes) override {
    if (state_->closed) return;
    state_->output->append(bytes);
    state_->wrote_since_check = true;
  }
  void close() override {
    state_->closed = true;
    state_->pending_read = nullptr;
    state_->timer.cancel();
  }
  void close_after_writes() override { close(); }  // writes never wait
  std::string describe_peer() const override { return "fuzz input"; }

private:
  struct State {
    explicit State(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::string input;
    std::shared_ptr<std::string> output;
    bool input_sent = false;
    bool closed = false;
    bool wrote_since_check = true;
    std::chrono::steady_clock::time_point started;
    ReadHandler pending_read;
  };

  // End of file after `quiet` without a write, or after `longest` whatever happens (a program
  // that stops and is resumed for ever by the stub's own bookkeeping must not hang the fuzzer).
  static constexpr std::chrono::milliseconds quiet{5};
  static constexpr std::chrono::milliseconds longest{200};
  static void hang_up_when_quiet(std::shared_ptr<State> state) {
    state->wrote_since_check = false;
    state->timer.expires_after(quiet);
    state->timer.async_wait([state](std::error_code error) {
      if (error || state->closed || !state->pending_read) return;
      if (state->wrote_since_check && std::chrono::steady_clock::now() - state->started < longest) {
        hang_up_when_quiet(state);
        return;
      }
      auto handler = std::move(state->pending_read);
      state->pending_read = nullptr;
      handler(asio::error::eof, {});
    });
  }

  std::shared_ptr<State> state_;
};

// Hands out one InMemoryClient, then no more.
class OneClientListener : public stub::Listener {
public:
  OneClientListener(asio::io_context& io, std::string input, std::shared_ptr<std::string> output)
      : io_(io), input_(std::move(input)), output_(std::move(output)) {}

  void async_accept(AcceptHandler handler) override {
    if (used_) return;
    used_ = true;
    auto client = std::make_shared<std::unique_ptr<stub::ByteStream>>(
        std::make_unique<InMemoryClient>(io_, std::move(input_), output_));
    asio::post(io_, [handler, client] { handler(std::move(*client)); });
  }
  std::string announcement() const override { return "Serving a fuzz input"; }

private:
  asio::io_context& io_;
  std::string input_;
  std::shared_ptr<std::string> output_;
  bool used_ = false;
};

} // namespace xolstub::fuzz
