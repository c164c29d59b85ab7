#include "rsp/framing.h"

#include "rsp/hex.h"

namespace xolstub::rsp {
namespace {
constexpr char hex_digits[] = "0123456789abcdef";
constexpr int rle_base = 29;      // a run of n+1 chars is "c*" followed by char(n + 29)
constexpr std::size_t rle_min = 4; // shorter runs are cheaper written out
constexpr std::size_t rle_max = 126 - rle_base + 1;

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string frame(char start, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back(start);
  out.append(payload);
  out.push_back('#');
  std::uint8_t sum = checksum(payload);
  out.push_back(hex_digits[sum >> 4]);
  out.push_back(hex_digits[sum & 0xf]);
  return out;
}
} // namespace

std::uint8_t checksum(std::string_view payload) {
  std::uint8_t sum = 0;
  for (char c : payload) sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(c));
  return sum;
}

void Decoder::flush_junk(std::vector<InputEvent>& out) {
  if (!junk_.empty()) out.push_back({InputEvent::Kind::junk, std::move(junk_)});
  junk_.clear();
}

void Decoder::feed(std::string_view bytes, std::vector<InputEvent>& out) {
  for (char c : bytes) {
    switch (state_) {
    case State::idle:
      if (c == '$') {
        flush_junk(out);
        state_ = State::body;
        body_.clear();
        overflowed_ = false;
      } else if (c == '+') {
        flush_junk(out);
        out.push_back({InputEvent::Kind::ack, {}});
      } else if (c == '-') {
        flush_junk(out);
        out.push_back({InputEvent::Kind::nak, {}});
      } else if (c == '\x03') {
        flush_junk(out);
        out.push_back({InputEvent::Kind::interrupt, {}});
      } else {
        junk_.push_back(c);
      }
      break;
    case State::body:
      if (c == '#') {
        state_ = State::checksum1;
      } else if (c == '$') {
        // A new packet started before this one ended: the client gave up on the old one.
        out.push_back({InputEvent::Kind::junk, "$" + body_});
        body_.clear();
        overflowed_ = false;
      } else if (body_.size() >= max_packet_size_) {
        overflowed_ = true;
      } else {
        body_.push_back(c);
      }
      break;
    case State::checksum1:
    case State::checksum2:
      if (c == '$') {
        // '$' is never a checksum digit: the packet was cut short after its '#' and the client
        // has sent the next one (or resent this one). Start over instead of eating the '$'.
        std::string cut = "$" + body_ + "#";
        if (state_ == State::checksum2) cut.push_back(checksum_hi_);
        out.push_back({InputEvent::Kind::junk, std::move(cut)});
        body_.clear();
        overflowed_ = false;
        state_ = State::body;
        break;
      }
      if (state_ == State::checksum1) {
        checksum_hi_ = c;
        state_ = State::checksum2;
        break;
      }
      checksum_lo_ = c;
      state_ = State::idle;
      finish_packet(out);
      break;
    }
  }
  flush_junk(out);
}

void Decoder::finish_packet(std::vector<InputEvent>& out) {
  if (overflowed_) {
    out.push_back({InputEvent::Kind::too_long, body_.substr(0, 64)});
    body_.clear();
    return;
  }
  std::string sum_text{checksum_hi_, checksum_lo_};
  auto sum = is_hex_digit(checksum_hi_) && is_hex_digit(checksum_lo_) ? parse_hex_number(sum_text)
                                                                       : std::nullopt;
  if (!sum || *sum != checksum(body_)) {
    out.push_back({InputEvent::Kind::bad_checksum, std::move(body_)});
    body_.clear();
    return;
  }
  std::string expanded;
  if (!expand_run_length(body_, expanded)) {
    out.push_back({InputEvent::Kind::bad_checksum, std::move(body_)});
  } else {
    out.push_back({InputEvent::Kind::packet, std::move(expanded)});
  }
  body_.clear();
}

bool expand_run_length(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    // Inside an escape pair the second byte is data, never a run marker.
    if (in[i] == '}' && i + 1 < in.size()) {
      out.push_back(in[i]);
      out.push_back(in[++i]);
      continue;
    }
    if (in[i] != '*') {
      out.push_back(in[i]);
      continue;
    }
    if (out.empty() || i + 1 >= in.size()) return false;
    int repeat = static_cast<unsigned char>(in[++i]) - rle_base;
    if (repeat < 0) return false;
    out.append(static_cast<std::size_t>(repeat), out.back());
  }
  return true;
}

std::string compress_run_length(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  for (std::size_t i = 0; i < payload.size();) {
    char c = payload[i];
    if (c == '}') {  // copy the escape pair untouched
      out.push_back(c);
      if (i + 1 < payload.size()) out.push_back(payload[i + 1]);
      i += 2;
      continue;
    }
    std::size_t run = 1;
    while (i + run < payload.size() && payload[i + run] == c && run < rle_max) ++run;
    if (run >= rle_min && c != '*' && c != '#' && c != '$') {
      std::size_t repeat = run - 1;
      // '#' (35) and '$' (36) would end or restart the frame; shorten the run instead.
      while (repeat + rle_base == '#' || repeat + rle_base == '$') --repeat;
      out.push_back(c);
      out.push_back('*');
      out.push_back(static_cast<char>(repeat + rle_base));
      i += repeat + 1;
    } else {
      out.append(run, c);
      i += run;
    }
  }
  return out;
}

std::string frame_packet(std::string_view payload, bool run_length) {
  return run_length ? frame('$', compress_run_length(payload)) : frame('$', payload);
}

std::string frame_notification(std::string_view payload) { return frame('%', payload); }

} // namespace xolstub::rsp
