// qXfer replies: m/l markers, offsets past the end, escapes, and lengths counted in object bytes.
#include <doctest/doctest.h>

#include <string>

#include "rsp/escape.h"
#include "stub/xfer_chunk.h"

using xolstub::stub::escaped_prefix_that_fits;
using xolstub::stub::xfer_reply;

TEST_CASE("xfer_reply marks the last piece with l and earlier ones with m") {
  CHECK(xfer_reply("hello world", 0, 5) == "mhello");
  CHECK(xfer_reply("hello world", 5, 100) == "l world");
  CHECK(xfer_reply("hello world", 6, 5) == "lworld");  // ends exactly at the end
  CHECK(xfer_reply("hello", 0, 5) == "lhello");
}

TEST_CASE("xfer_reply past or at the end is a bare l") {
  CHECK(xfer_reply("hello", 5, 10) == "l");
  CHECK(xfer_reply("hello", 1000, 10) == "l");
  CHECK(xfer_reply("", 0, 10) == "l");
  CHECK(xfer_reply("hello", ~0ull, ~0ull) == "l");
}

TEST_CASE("xfer_reply huge lengths do not overflow") {
  CHECK(xfer_reply("hello", 2, ~0ull) == "lllo");
}

TEST_CASE("xfer_reply escapes binary data but counts object bytes") {
  std::string object = "a$b#c}d*e";
  std::string reply = xfer_reply(object, 0, 4);
  CHECK(reply == "ma}\x04" "b}\x03");
  auto back = xolstub::rsp::unescape_binary(std::string_view(reply).substr(1));
  REQUIRE(back);
  CHECK(std::string(back->begin(), back->end()) == "a$b#");
  CHECK(xfer_reply(object, 4, 5) == "lc}]d}\x0a" "e");
  // NUL bytes are data like any other.
  CHECK(xfer_reply(std::string("\0\x01", 2), 0, 2) == std::string("l\0\x01", 3));
}

TEST_CASE("xfer_reply respects a maximum reply size, escapes included") {
  std::string object(100, '}');  // every byte doubles
  std::string reply = xfer_reply(object, 0, 100, 21);
  CHECK(reply.size() <= 21);
  CHECK(reply == "m" + xolstub::rsp::escape_binary(std::string(10, '}')));
  // A tiny limit still makes progress, one byte at a time.
  CHECK(xfer_reply(object, 0, 100, 1) == "m}]");
  // The limit ending exactly at the end of the object gives l.
  CHECK(xfer_reply("abc", 0, 100, 4) == "labc");
  CHECK(xfer_reply("abcd", 0, 100, 4) == "mabc");
}

TEST_CASE("escaped_prefix_that_fits never splits an escape") {
  std::string data = "ab}c";
  auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  CHECK(escaped_prefix_that_fits(bytes, 0) == 0);
  CHECK(escaped_prefix_that_fits(bytes, 2) == 2);
  CHECK(escaped_prefix_that_fits(bytes, 3) == 2);
  CHECK(escaped_prefix_that_fits(bytes, 4) == 3);
  CHECK(escaped_prefix_that_fits(bytes, 5) == 4);
  CHECK(escaped_prefix_that_fits(bytes, 100) == 4);
}
