// Turning a byte stream into RSP events and payloads into framed bytes.
//
// Incoming: `$payload#cs` packets (run-length encoding expanded, escapes left for the handler
// since only binary packets use them), `+`/`-` acks, the 0x03 interrupt byte, and whatever junk
// a broken client sends between packets. Outgoing: `$payload#cs` and `%notification#cs`, with
// run-length encoding applied where it is safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::rsp {

std::uint8_t checksum(std::string_view payload);

struct InputEvent {
  enum class Kind {
    packet,        // a well-formed packet; payload holds it, RLE expanded
    bad_checksum,  // framing was fine but the checksum was not: answer with '-'
    too_long,      // longer than the decoder's limit: dropped, answer with '-'
    ack,           // '+'
    nak,           // '-': resend the last packet
    interrupt,     // 0x03 outside a packet
    junk,          // bytes outside any packet; payload holds them for --debug
  };
  Kind kind;
  std::string payload;
};

class Decoder {
public:
  explicit Decoder(std::size_t max_packet_size) : max_packet_size_(max_packet_size) {}

  // Consumes bytes; complete events are appended to `out`. Partial packets are kept.
  void feed(std::string_view bytes, std::vector<InputEvent>& out);
  // True while a packet has started but not ended (a client that went silent mid-packet).
  bool in_packet() const { return state_ != State::idle; }

private:
  enum class State { idle, body, checksum1, checksum2 };
  void finish_packet(std::vector<InputEvent>& out);
  void flush_junk(std::vector<InputEvent>& out);

  std::size_t max_packet_size_;
  State state_ = State::idle;
  std::string body_;
  std::string junk_;
  bool overflowed_ = false;
  char checksum_hi_ = 0;
  char checksum_lo_ = 0;
};

// Expands `X*N` run-length sequences; false when a '*' has nothing to repeat.
bool expand_run_length(std::string_view in, std::string& out);
// Applies run-length encoding where GDB can undo it: never to escape sequences, never with a
// repeat count that would read as '#' or '$'.
std::string compress_run_length(std::string_view payload);

std::string frame_packet(std::string_view payload, bool run_length = true);
std::string frame_notification(std::string_view payload);

} // namespace xolstub::rsp
