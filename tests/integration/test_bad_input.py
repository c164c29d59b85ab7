"""Bad input over a real socket (issue 10): every kind of malformed packet a broken or hostile
client can send, each with the protocol's answer (`-` for a frame that did not arrive whole,
`E..` for a request that cannot be carried out, the empty reply for what is not supported,
silence for bytes that are not a packet yet), and after each the same session goes on and the
program finishes exactly as an undebugged run: nothing it owns was touched.

The client is rsp_client.RspClient (raw bytes, its own framing checks). Under xolstub the server
runs with --remote-debug and each case also checks the line that tells a user what happened.

xolstub only: gdbserver 13.1 drops the connection, and with it the program, on most of these
(a bad checksum digit, `M` with too few bytes, a hex overflow in `Z0`, `m-4,4`...), which is
what the README's Hardening section reports.
"""

import os
import re
import subprocess
import time
import unittest

import harness
from harness import Server, program, server_is_gdbserver
from rsp_client import RspClient, frame

GREETING = b"hello, xolstub"
# What basic prints when nothing disturbed it (its last line; see tests/programs/basic.c).
UNDISTURBED = "counter = 5 total = 10 greeting = hello, xolstub pattern[100] = 191"


def skip_for_gdbserver():
    if server_is_gdbserver():
        raise unittest.SkipTest("gdbserver 13.1 drops the connection on most of these (see the module's comment)")


def symbol_offset(path, name):
    """NAME's value in PATH's symbol table (an offset from the load base: the tests' programs are PIE)."""
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    match = re.search(rf"^([0-9a-f]+) \w {re.escape(name)}$", out, re.M)
    if not match:
        raise AssertionError(f"no symbol {name} in {path}")
    return int(match.group(1), 16)


def load_base(pid, path):
    """The lowest address PATH is mapped at in process PID."""
    real = os.path.realpath(path)
    with open(f"/proc/{pid}/maps") as maps:
        starts = [int(line.split("-")[0], 16) for line in maps
                  if line.split()[-1:] and os.path.realpath(line.split()[-1]) == real]
    if not starts:
        raise AssertionError(f"{path} is not mapped in process {pid}")
    return min(starts)


class BadInputTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        skip_for_gdbserver()
        self.server = Server.launch("basic", options=["--remote-debug"])
        self.addCleanup(self.server.close)
        self.client = RspClient(self.server.port)
        self.addCleanup(self.client.close)
        self.client.send_raw("+")
        features = self.client.command("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+")
        self.packet_size = int(re.search(r"PacketSize=([0-9a-f]+)", features).group(1), 16)
        path = program("basic")
        self.greeting = load_base(self.server.inferior_pid, path) + symbol_offset(path, "greeting")

    # -- what every case ends with -------------------------------------------------------------

    def ask(self, payload):
        """PAYLOAD as one well-formed packet; its reply."""
        return self.client.command(payload)

    def assertError(self, payload):
        reply = self.ask(payload)
        self.assertRegex(reply, r"^E[0-9a-fA-F]{2}$", f"{payload!r}: {reply!r}\n{self.client.describe()}")

    def assertUnsupported(self, payload):
        self.assertEqual(self.ask(payload), "", f"{payload!r}\n{self.client.describe()}")

    def assertLogged(self, *fragments):
        """Each fragment is in xolstub's --remote-debug log."""
        deadline = time.monotonic() + harness.TIMEOUT
        log = ""
        while time.monotonic() < deadline:
            log = self.server.errors()
            if all(fragment in log for fragment in fragments):
                return
            time.sleep(0.05)
        missing = [fragment for fragment in fragments if fragment not in log]
        self.fail(f"not in the --remote-debug log: {missing}\n--- log ---\n{log[-4000:]}")

    def read_greeting(self):
        return bytes.fromhex(self.ask(f"m{self.greeting:x},{len(GREETING):x}"))

    def assertSessionGoesOn(self):
        """The session still answers, the program's data is intact, and it runs to its normal end."""
        self.assertEqual(self.read_greeting(), GREETING, self.client.describe())
        reply = self.client.command("c")
        self.assertRegex(reply, r"^W00", self.client.describe())
        self.assertTrue(harness._wait_until(lambda: UNDISTURBED in self.server.output(), harness.TIMEOUT),
                        f"the program's output:\n{self.server.output()}")

    # -- framing ---------------------------------------------------------------------------------

    def test_bad_checksum_is_nakked_and_the_resend_answered(self):
        for sent in (b"$g#00", b"$g#zz", b"$g#6"):  # wrong sum, not hex, one digit then a NUL
            with self.subTest(sent=sent):
                self.client.send_raw(sent if len(sent) == 5 else sent + b"\0")
                self.assertEqual(self.client.read_ack(), "-", self.client.describe())
        self.assertRegex(self.ask("g"), r"^[0-9a-f]+$")
        self.assertLogged("<- bad checksum, asking for a resend: $g")
        self.assertSessionGoesOn()

    def test_missing_hash_gives_way_to_the_next_packet(self):
        # No '#': the packet never ends, so no reply; the next '$' starts over (GDB's resend).
        self.client.send_raw(f"$m{self.greeting:x},4")
        self.client.assert_silent()
        self.assertEqual(self.read_greeting(), GREETING)
        self.assertLogged(f"<- junk outside a packet ignored: $m{self.greeting:x},4")
        self.assertSessionGoesOn()

    def test_packet_cut_inside_its_checksum_gives_way_to_the_next(self):
        for cut in ("#", "#6"):
            with self.subTest(cut=cut):
                self.client.send_raw(f"$m{self.greeting:x},4{cut}")
                self.client.assert_silent()
                self.assertEqual(self.read_greeting(), GREETING)
        self.assertLogged(f"<- junk outside a packet ignored: $m{self.greeting:x},4#6")
        self.assertSessionGoesOn()

    def test_packet_longer_than_packet_size_is_dropped_and_nakked(self):
        # An X that would write far past the greeting if any of it were taken.
        payload = f"X{self.greeting:x},{self.packet_size:x}:".encode() + b"A" * (self.packet_size + 256)
        self.client.send_raw(frame(payload))
        self.assertEqual(self.client.read_ack(), "-", self.client.describe())
        self.client.assert_silent()
        self.assertLogged(f"<- packet longer than PacketSize dropped: $X{self.greeting:x}")
        self.assertSessionGoesOn()

    def test_a_packet_that_just_fits_is_taken(self):
        # PacketSize counts the payload; the reply to an unknown packet of that size is empty.
        self.assertUnsupported("qZZ" + "z" * (self.packet_size - 3))
        self.assertSessionGoesOn()

    # -- fields ----------------------------------------------------------------------------------

    def test_absurd_lengths(self):
        at = f"{self.greeting:x}"
        for payload in (f"M{at},ffffffff:00", f"M{at},ffffffffffffffff:00",
                        f"X{at},100000000:A", f"M{at},4:68", f"M{at},1:6869", f"X{at},4:A"):
            with self.subTest(payload=payload):
                self.assertError(payload)
        # A read longer than a reply can hold is cut to what fits, as gdbserver does, even when
        # ADDR + LENGTH wraps around.
        for length in ("100000", "ffffffffffffffff"):
            with self.subTest(length=length):
                reply = self.ask(f"m{at},{length}")
                self.assertRegex(reply, r"^([0-9a-f]{2})+$")
                self.assertLessEqual(len(reply), self.packet_size)
                self.assertTrue(bytes.fromhex(reply).startswith(GREETING))
        self.assertSessionGoesOn()

    def test_hex_overflow(self):
        for payload in ("m1ffffffffffffffffff,4", f"m{self.greeting:x},1ffffffffffffffffff",
                        "M1ffffffffffffffffff,1:00", "Z0,1ffffffffffffffffff,1", "p1ffffffffffffffffff",
                        "P1ffffffffffffffffff=00", "Hg1ffffffffffffffffffff", "vCont;c:1ffffffffffffffffffff"):
            with self.subTest(payload=payload):
                self.assertError(payload)
        self.assertLogged("malformed")
        self.assertSessionGoesOn()

    def test_negative_and_missing_fields(self):
        at = f"{self.greeting:x}"
        for payload in ("m-4,4", f"m{at},-4", "m,4", f"m{at}", f"m{at},", "M,1:00", f"M{at},1", f"X{at}",
                        "Hg-2", "Hgp-5.-7", "T-5", "z0,,", "Z0", "Z0,,1", "P0=zz", "P=00", "p", "p-1",
                        "vCont;c:zz", "vCont;q", "qXfer:features:read:target.xml:zz,10",
                        "qXfer:features:read:target.xml:0", "QPassSignals:zz", "qRcmd,zz"):
            with self.subTest(payload=payload):
                self.assertError(payload)
        self.assertLogged("error: malformed thread id in Hg-2", "error: P: value is not hex",
                          'error: qXfer: malformed OFFSET,LENGTH "zz,10"', "error: vCont: unsupported action q")
        self.assertSessionGoesOn()

    # -- what is not a packet we know -----------------------------------------------------------

    def test_unknown_packets_get_the_empty_reply(self):
        for payload in ("foo", "vFoo", "qFoo", "QFoo", "_", "Z9,0,1", "qXfer:bogus:read::0,10",
                        "qXfer:features:write:target.xml:0:00"):
            with self.subTest(payload=payload):
                self.assertUnsupported(payload)
        self.assertLogged("<- $foo\n", "unknown packet, empty reply", "breakpoint type 9 is not supported",
                          "no qXfer object bogus: here")
        self.assertSessionGoesOn()

    def test_binary_junk(self):
        # Between packets: ignored, no answer. Inside a packet: an unknown packet.
        self.client.send_raw(bytes(range(0, 256)).replace(b"$", b"").replace(b"\x03", b"")
                             .replace(b"+", b"").replace(b"-", b""))
        self.client.assert_silent()
        self.assertUnsupported(bytes([1, 2, 0x7f, 0x80, 0xfe, 0xff, 0]))
        # A run-length marker with nothing to repeat cannot be expanded: a frame gone wrong.
        self.client.send_raw(frame("*!"))
        self.assertEqual(self.client.read_ack(), "-")
        self.assertLogged("junk outside a packet ignored", "<- $\\x01\\x02")
        self.assertSessionGoesOn()

    def test_half_sent_packet_then_silence(self):
        self.client.send_raw(f"$M{self.greeting:x},5:776f72")
        self.client.assert_silent(seconds=1.5)
        # The client comes back to life with a packet of its own; the torso is discarded, unused.
        self.assertEqual(self.read_greeting(), GREETING)
        self.assertSessionGoesOn()


class HalfSentThenGoneTest(unittest.TestCase):
    """A client that vanishes in the middle of a packet: the stub keeps the program for the next."""

    def test_next_client_finds_the_program_as_it_was(self):
        skip_for_gdbserver()
        server = Server.launch("basic", once=False, options=["--remote-debug"])
        self.addCleanup(server.close)
        first = RspClient(server.port)
        first.send_raw("+")
        first.command("qSupported:multiprocess+")
        path = program("basic")
        greeting = load_base(server.inferior_pid, path) + symbol_offset(path, "greeting")
        first.send_raw(f"$M{greeting:x},5:776f72")
        first.close()
        with RspClient(server.port) as second:
            second.send_raw("+")
            second.command("qSupported:multiprocess+")
            reply = second.command(f"m{greeting:x},{len(GREETING):x}")
            self.assertRegex(reply, r"^[0-9a-f]+$", second.describe() + "\n" + server.errors()[-3000:])
            self.assertEqual(bytes.fromhex(reply), GREETING)
            self.assertRegex(second.command("c"), r"^W00", second.describe())
        self.assertTrue(harness._wait_until(lambda: UNDISTURBED in server.output(), harness.TIMEOUT),
                        server.output())


if __name__ == "__main__":
    unittest.main()
