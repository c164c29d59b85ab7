// The packet codec: framing, checksums, acks, escapes, run-length encoding, malformed input.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "rsp/escape.h"
#include "rsp/framing.h"
#include "rsp/hex.h"

using namespace xolstub::rsp;
using Kind = InputEvent::Kind;

namespace {
std::vector<InputEvent> decode(std::string_view bytes, std::size_t limit = 0x4000) {
  Decoder decoder(limit);
  std::vector<InputEvent> events;
  decoder.feed(bytes, events);
  return events;
}
} // namespace

TEST_CASE("checksum is the byte sum modulo 256") {
  CHECK(checksum("") == 0);
  CHECK(checksum("OK") == 0x9a);
  CHECK(frame_packet("OK") == "$OK#9a");
  CHECK(frame_notification("Stop:T05") == "%Stop:T05#" + to_hex(std::vector<std::uint8_t>{checksum("Stop:T05")}));
}

TEST_CASE("decoder splits acks, packets and the interrupt byte") {
  auto events = decode("+$qSupported#37-\x03$g#67");
  REQUIRE(events.size() == 5);
  CHECK(events[0].kind == Kind::ack);
  CHECK(events[1].kind == Kind::packet);
  CHECK(events[1].payload == "qSupported");
  CHECK(events[2].kind == Kind::nak);
  CHECK(events[3].kind == Kind::interrupt);
  CHECK(events[4].kind == Kind::packet);
  CHECK(events[4].payload == "g");
}

TEST_CASE("decoder keeps a packet split across reads") {
  Decoder decoder(0x4000);
  std::vector<InputEvent> events;
  decoder.feed("$m10", events);
  CHECK(events.empty());
  CHECK(decoder.in_packet());
  decoder.feed(",4#", events);
  CHECK(events.empty());
  decoder.feed("f", events);
  CHECK(events.empty());
  decoder.feed("e", events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == "m10,4");
  CHECK_FALSE(decoder.in_packet());
}

TEST_CASE("bad checksums, bad checksum digits and overlong packets are reported, not dropped silently") {
  auto bad = decode("$g#00");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].kind == Kind::bad_checksum);
  auto not_hex = decode("$g#zz");
  REQUIRE(not_hex.size() == 1);
  CHECK(not_hex[0].kind == Kind::bad_checksum);
  std::string body(100, 'a');
  auto overlong = decode(frame_packet(body, false), 50);
  REQUIRE(overlong.size() == 1);
  CHECK(overlong[0].kind == Kind::too_long);
}

TEST_CASE("junk between packets and a restarted packet") {
  auto events = decode("hello$g#67");
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == Kind::junk);
  CHECK(events[0].payload == "hello");
  CHECK(events[1].payload == "g");
  auto restarted = decode("$m0,$g#67");
  REQUIRE(restarted.size() == 2);
  CHECK(restarted[0].kind == Kind::junk);
  CHECK(restarted[1].payload == "g");
}

TEST_CASE("a packet cut short inside its checksum gives way to the next packet") {
  for (std::string_view cut : {"$m0,4#", "$m0,4#3"}) {
    CAPTURE(cut);
    auto events = decode(std::string(cut) + "$g#67");
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == Kind::junk);
    CHECK(events[0].payload == cut);
    CHECK(events[1].kind == Kind::packet);
    CHECK(events[1].payload == "g");
  }
}

TEST_CASE("binary escapes round-trip every byte value") {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  std::string escaped = escape_binary(all);
  CHECK(escaped.find('$') == std::string::npos);
  CHECK(escaped.find('#') == std::string::npos);
  CHECK(escaped.find('*') == std::string::npos);
  CHECK(escape_binary(std::string_view("a}b")) == "a}]b");
  auto back = unescape_binary(escaped);
  REQUIRE(back);
  CHECK(*back == all);
  CHECK_FALSE(unescape_binary("abc}"));
}

TEST_CASE("run-length encoding compresses runs GDB can expand") {
  std::string zeros(64, '0');
  std::string compressed = compress_run_length(zeros);
  CHECK(compressed.size() < zeros.size());
  std::string expanded;
  REQUIRE(expand_run_length(compressed, expanded));
  CHECK(expanded == zeros);
  // Short runs stay as they are.
  CHECK(compress_run_length("000") == "000");
}

TEST_CASE("run-length encoding never produces '#' or '$' as a repeat count") {
  for (std::size_t n = 1; n < 300; ++n) {
    std::string run(n, 'f');
    std::string compressed = compress_run_length(run);
    CHECK(compressed.find('#') == std::string::npos);
    CHECK(compressed.find('$') == std::string::npos);
    std::string expanded;
    REQUIRE(expand_run_length(compressed, expanded));
    CHECK(expanded == run);
  }
}

TEST_CASE("run-length encoding leaves escape pairs alone") {
  std::string payload = escape_binary(std::string_view("}}}}}}}}"));
  std::string compressed = compress_run_length(payload);
  std::string expanded;
  REQUIRE(expand_run_length(compressed, expanded));
  CHECK(expanded == payload);
  CHECK(*unescape_binary(expanded) == std::vector<std::uint8_t>(8, '}'));
}

TEST_CASE("decoder expands run-length encoded packets and rejects a dangling '*'") {
  auto events = decode(frame_packet("0*\"", false));
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == "000000");
  auto dangling = decode(frame_packet("*a", false));
  REQUIRE(dangling.size() == 1);
  CHECK(dangling[0].kind == Kind::bad_checksum);
}

TEST_CASE("hex helpers") {
  CHECK(to_hex(std::string_view("OK")) == "4f4b");
  CHECK(*from_hex("4f4B") == std::vector<std::uint8_t>{0x4f, 0x4b});
  CHECK_FALSE(from_hex("abc"));
  CHECK_FALSE(from_hex("zz"));
  CHECK(*parse_hex_number("ffffffffffffffff") == UINT64_MAX);
  CHECK_FALSE(parse_hex_number("10000000000000000"));
  CHECK_FALSE(parse_hex_number(""));
  CHECK_FALSE(parse_hex_number("-1"));
  CHECK(*parse_signed_hex("-1") == -1);
  CHECK_FALSE(parse_signed_hex("p1a"));
  CHECK(hex_number(0) == "0");
  CHECK(hex_number(0x7ffe) == "7ffe");
  CHECK(hex_le(0x1234, 4) == "34120000");
}
