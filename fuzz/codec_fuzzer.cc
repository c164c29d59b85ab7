// libFuzzer target: the packet codec (rsp/) and the field parsers every handler uses.
//
// Beyond "no crash, no sanitizer report", each input checks properties a client relies on:
// - the decoder gives the same events however the bytes are split across reads;
// - a payload framed by frame_packet (run-length encoded) decodes to exactly that payload;
// - escaping, hex and number formatting round-trip.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/escape.h"
#include "rsp/framing.h"
#include "rsp/hex.h"
#include "stub/packet_args.h"
#include "stub/thread_id.h"

namespace {
using xolstub::rsp::InputEvent;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "codec_fuzzer: property broken: %s\n", what);
  std::abort();
}

// Junk is reported per read; two reads may cut one run of junk in two.
std::vector<InputEvent> merge_junk(std::vector<InputEvent> events) {
  std::vector<InputEvent> merged;
  for (auto& event : events) {
    if (event.kind == InputEvent::Kind::junk && !merged.empty() && merged.back().kind == InputEvent::Kind::junk)
      merged.back().payload += event.payload;
    else
      merged.push_back(std::move(event));
  }
  return merged;
}

bool same_events(const std::vector<InputEvent>& a, const std::vector<InputEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload) return false;
  return true;
}

void check_decoder_split(std::string_view input) {
  // A small limit, so that overlong packets are reached too.
  constexpr std::size_t limit = 256;
  std::vector<InputEvent> whole;
  xolstub::rsp::Decoder one(limit);
  one.feed(input, whole);

  std::size_t cut = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  std::vector<InputEvent> split;
  xolstub::rsp::Decoder two(limit);
  two.feed(input.substr(0, cut), split);
  two.feed(input.substr(cut), split);

  require(same_events(merge_junk(whole), merge_junk(split)), "decoding depends on how reads split the bytes");
  require(one.in_packet() == two.in_packet(), "in_packet() depends on how reads split the bytes");
  for (const auto& event : whole)
    if (event.kind == InputEvent::Kind::too_long) require(event.payload.size() <= 64, "too_long keeps the whole packet");
}

void check_framing_round_trip(std::string_view input) {
  std::string escaped = xolstub::rsp::escape_binary(input);
  for (bool run_length : {true, false}) {
    std::string framed = xolstub::rsp::frame_packet(escaped, run_length);
    std::vector<InputEvent> events;
    xolstub::rsp::Decoder decoder(escaped.size() + 1);
    decoder.feed(framed, events);
    require(events.size() == 1 && events[0].kind == InputEvent::Kind::packet, "a framed payload is not one packet");
    require(events[0].payload == escaped, "a framed payload decodes to something else");
    auto bytes = xolstub::rsp::unescape_binary(events[0].payload);
    require(bytes && std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()) == input,
            "escape_binary does not round-trip");
  }
}

void check_hex(std::string_view input) {
  std::string hex = xolstub::rsp::to_hex(input);
  auto bytes = xolstub::rsp::from_hex(hex);
  require(bytes && bytes->size() == input.size(), "to_hex does not round-trip");

  std::uint64_t value = 0;
  for (std::size_t i = 0; i < input.size() && i < 8; ++i) value = value << 8 | static_cast<unsigned char>(input[i]);
  require(xolstub::rsp::parse_hex_number(xolstub::rsp::hex_number(value)) == value, "hex_number does not round-trip");

  // Parsers on text as a client sends it: any answer but a crash.
  (void)xolstub::rsp::from_hex(input);
  (void)xolstub::rsp::parse_hex_number(input);
  (void)xolstub::rsp::parse_signed_hex(input);
  (void)xolstub::rsp::unescape_binary(input);
  (void)xolstub::stub::parse_address_length(input);
  (void)xolstub::stub::split(input, ',');
  (void)xolstub::stub::after_colon(input);
  if (auto thread = xolstub::stub::parse_thread_id(input))
    (void)xolstub::stub::format_thread_id(thread->pid, thread->tid, true);
  try {
    (void)xolstub::stub::require_hex(input, "fuzzed field");
  } catch (const std::exception&) {
    // a message for the client: what require_hex is for
  }
  std::string expanded;
  if (xolstub::rsp::expand_run_length(input, expanded))
    require(expanded.size() <= input.size() * 127, "run-length expansion grew more than its encoding allows");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decoder_split(input);
  check_framing_round_trip(input);
  check_hex(input);
  return 0;
}
