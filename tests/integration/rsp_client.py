"""A raw RSP client over a TCP or Unix socket, for tests that send what GDB never would.

It acks like GDB (`+` after every reply it accepts) and checks every reply's framing and
checksum itself, so a reply GDB would misread fails the test instead of being papered over.
Every read has a deadline; a server that falls silent is a test failure, not a hang.
"""

import re
import socket
import time

from harness import HOST, TIMEOUT


def checksum(payload):
    return sum(payload) & 0xFF


def frame(payload):
    """`$payload#cs` for bytes or str PAYLOAD (sent as it is: no escaping, no RLE)."""
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    return b"$" + payload + b"#" + b"%02x" % checksum(payload)


def expand_run_length(body):
    """Undoes the stub's run-length encoding (`c*N`: N - 29 more copies of c), as GDB does."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == ord("*"):
            if not out or i + 1 >= len(body):
                raise AssertionError(f"'*' with nothing to repeat in reply {bytes(body)!r}")
            out += bytes([out[-1]]) * (body[i + 1] - 29)
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


class ProtocolError(AssertionError):
    pass


class RspClient:
    """One connection. `command()` is GDB's exchange: packet out, `+` back, reply, `+` out."""

    def __init__(self, address, timeout=TIMEOUT):
        self.timeout = timeout
        if isinstance(address, int):
            self.sock = socket.create_connection((HOST, address), timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        self.buffer = b""
        self.transcript = []  # what went each way, for failure messages

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def describe(self):
        return "--- RSP transcript ---\n" + "\n".join(self.transcript[-60:])

    # -- raw bytes -------------------------------------------------------------------------------

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.transcript.append(f"-> {data[:200]!r}{'...' if len(data) > 200 else ''}")
        self.sock.sendall(data)

    def _timed_out(self):
        return ProtocolError(f"timed out waiting for the server; have {self.buffer!r}\n{self.describe()}")

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise self._timed_out() from None
        if not chunk:
            raise ProtocolError(f"the server closed the connection; have {self.buffer!r}\n"
                                f"{self.describe()}")
        self.buffer += chunk

    def read_byte(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.buffer:
            self._fill(deadline)
        byte, self.buffer = self.buffer[:1], self.buffer[1:]
        self.transcript.append(f"<- {byte!r}")
        return byte

    def read_ack(self, timeout=None):
        """The server's `+` or `-` for the packet just sent."""
        byte = self.read_byte(timeout)
        if byte not in (b"+", b"-"):
            raise ProtocolError(f"expected an ack, got {byte!r}\n{self.describe()}")
        return byte.decode()

    def read_packet(self, timeout=None, ack=True):
        """The next `$...#cs` reply, checked and RLE-expanded, as str; acks it with `+`.
        Anything before the `$` is a framing error (GDB would take it for junk)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.buffer:
            self._fill(deadline)
        if self.buffer[:1] != b"$":
            raise ProtocolError(f"expected '$', got {self.buffer[:40]!r}\n{self.describe()}")
        while True:
            match = re.match(rb"\$([^#$]*)#(..)", self.buffer, re.S)
            if match:
                break
            if b"$" in self.buffer[1:] and b"#" not in self.buffer:
                raise ProtocolError(f"a '$' inside a reply: {self.buffer!r}\n{self.describe()}")
            self._fill(deadline)
        body, sum_text = match.group(1), match.group(2)
        self.buffer = self.buffer[match.end():]
        self.transcript.append(f"<- ${body[:200]!r}#{sum_text.decode(errors='replace')}")
        if int(sum_text, 16) != checksum(body):
            raise ProtocolError(f"bad checksum in reply ${body!r}#{sum_text!r}\n{self.describe()}")
        if ack:
            self.send_raw(b"+")
        return expand_run_length(body).decode("latin-1")

    def assert_silent(self, seconds=0.3):
        """Nothing arrives within SECONDS (a dropped or incomplete packet gets no answer)."""
        if self.buffer:
            raise ProtocolError(f"unexpected bytes from the server: {self.buffer!r}\n"
                                f"{self.describe()}")
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return
        finally:
            self.sock.settimeout(self.timeout)
        raise ProtocolError(f"unexpected bytes from the server: {chunk!r}\n{self.describe()}")

    # -- GDB's exchange --------------------------------------------------------------------------

    def command(self, payload, timeout=None):
        """Sends PAYLOAD framed, expects `+`, returns the reply."""
        self.send_raw(frame(payload))
        ack = self.read_ack(timeout)
        if ack != "+":
            raise ProtocolError(f"{payload!r} was NAKed\n{self.describe()}")
        return self.read_packet(timeout)
