#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/ from real GDB and LLDB sessions.

    fuzz/make_corpus.py --xolstub build/stub/xolstub --inferior build-fuzz/fuzz/fuzz_inferior

Each session below runs the installed GDB (13.1) against xolstub over stdio on dispatch_fuzzer's
inferior, with `set remotelogfile`; what GDB wrote becomes one seed of corpus/dispatch (the
codec is fed the same files), and the tail of every Z packet that carries agent bytecode
(`;X...` conditions, `cmds:` commands) a seed of corpus/agent. The LLDB sessions (LLDB 14, over
TCP: it has no pipe transport) log with `log enable gdb-remote packets`; what it sent becomes a
seed the same way.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

SESSIONS = {
    "break-step-registers": [
        "break hot", "continue", "bt", "info registers", "info registers ymm0", "p counter", "x/16xb $pc",
        "stepi", "next", "finish", "info threads", "thread 2", "delete", "continue",
    ],
    # Set at main: before the program runs, GDB 13.1 evaluates conditions itself. A condition and
    # an agent dprintf on one address are both evaluated by GDB, so they get a session each.
    "condition": [
        "break main", "continue", "break hot if value == 600", "continue", "p value", "info breakpoints",
        "condition 2 value == 700 || value == 3", "continue", "delete", "continue",
    ],
    "agent-dprintf": [
        "break main", "continue", "set dprintf-style agent", "dprintf hot,\"v=%ld c=%ld\\n\",value,counter",
        "info breakpoints", "continue",
    ],
    "watchpoints": [
        "break main", "continue", "watch counter", "rwatch counter", "continue", "continue", "delete",
        "hbreak hot", "continue", "kill",
    ],
    "memory-tls": [
        "break hot", "continue", "x/64xg &counter", "set var counter = 5", "p per_thread", "p $_siginfo",
        "info auxv", "info sharedlibrary", "find &counter, +64, (long)5", "detach",
    ],
    "non-stop": [
        "break hot", "continue", "info threads", "continue -a &", "shell sleep 0.2", "interrupt -a",
        "shell sleep 0.2", "info threads", "kill",
    ],
}
NON_STOP_PREAMBLE = ["set non-stop on"]

LLDB_SESSIONS = {
    "lldb-threads-registers": [
        "b hot", "c", "thread list", "bt", "register read", "register read ymm0 zmm0 rflags eax",
        "memory read -s1 -c16 -fx $pc", "frame variable", "next", "step", "breakpoint delete 1",
        "watchpoint set variable counter", "c", "watchpoint delete 1", "image list", "kill",
    ],
}


def run_session(name, commands, xolstub, inferior, log):
    preamble = NON_STOP_PREAMBLE if name == "non-stop" else []
    args = ["gdb", "-nx", "-batch", "-ex", "set remotelogbase hex", "-ex", f"set remotelogfile {log}",
            "-ex", "set sysroot", *sum((["-ex", c] for c in preamble), []), "-ex", f"file {inferior}",
            "-ex", f"target remote | {xolstub} - {inferior}", *sum((["-ex", c] for c in commands), [])]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, LC_ALL="C", DEBUGINFOD_URLS=""))
    if result.returncode != 0 and "Remote connection closed" not in result.stderr:
        print(result.stdout, result.stderr, file=sys.stderr)
        raise SystemExit(f"session {name}: gdb exited with {result.returncode}")


def run_lldb_session(name, commands, xolstub, inferior, log):
    server = subprocess.Popen([xolstub, "--once", "127.0.0.1:0", inferior], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stderr:
            match = re.search(r"Listening on port (\d+)", line)
            if match:
                port = match.group(1)
                break
        if port is None:
            raise SystemExit(f"session {name}: xolstub did not listen")
        args = ["lldb", "-b", "--no-lldbinit", inferior, "-o", f"log enable -f {log} gdb-remote packets",
                "-o", f"gdb-remote 127.0.0.1:{port}", *sum((["-o", c] for c in commands), [])]
        result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=dict(os.environ, LC_ALL="C"))
        if "Process" not in result.stdout:
            print(result.stdout, result.stderr, file=sys.stderr)
            raise SystemExit(f"session {name}: lldb did not debug the program")
    finally:
        server.kill()
        server.wait()


def lldb_client_bytes(log):
    """What LLDB sent, from its packet log ("<  21> send packet: $qC#b4" lines)."""
    out = bytearray()
    with open(log, encoding="latin-1") as text:
        for line in text:
            match = re.search(r"send packet: (.*)$", line.rstrip("\n"))
            if match:
                out.extend(match.group(1).encode("latin-1"))
    return bytes(out)


def client_bytes(log):
    """The bytes GDB wrote, from a `set remotelogbase hex` log ("w  24 71 53 ..." lines)."""
    out = bytearray()
    with open(log) as text:
        for line in text:
            if line.startswith("w "):
                out.extend(int(token, 16) for token in re.findall(r"\b[0-9a-f]{2}\b", line[2:]))
    return bytes(out)


def agent_tails(stream):
    """`;X...` and `;cmds:...` tails of the Z0/Z1 packets in a client's byte stream."""
    for packet in re.findall(rb"\$(Z[01],[0-9a-f]+,[0-9a-f]+;[^#]*)#", stream):
        yield packet[packet.index(b";"):]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xolstub", required=True)
    parser.add_argument("--inferior", required=True)
    args = parser.parse_args()
    dispatch = os.path.join(HERE, "corpus", "dispatch")
    agent = os.path.join(HERE, "corpus", "agent")
    os.makedirs(dispatch, exist_ok=True)
    os.makedirs(agent, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name, commands in SESSIONS.items():
            log = os.path.join(scratch, f"{name}.log")
            run_session(name, commands, os.path.abspath(args.xolstub), os.path.abspath(args.inferior), log)
            stream = client_bytes(log)
            if not stream.startswith(b"+$qSupported") and not stream.startswith(b"$qSupported"):
                raise SystemExit(f"session {name}: the log does not start with qSupported: {stream[:40]!r}")
            with open(os.path.join(dispatch, name), "wb") as out:
                out.write(stream)
            for number, tail in enumerate(agent_tails(stream)):
                with open(os.path.join(agent, f"{name}-{number}"), "wb") as out:
                    out.write(tail)
            print(f"{name}: {len(stream)} bytes")
        for name, commands in LLDB_SESSIONS.items():
            log = os.path.join(scratch, f"{name}.log")
            run_lldb_session(name, commands, os.path.abspath(args.xolstub), os.path.abspath(args.inferior), log)
            stream = lldb_client_bytes(log)
            if b"$QThreadSuffixSupported" not in stream:
                raise SystemExit(f"session {name}: the log has no LLDB session: {stream[:40]!r}")
            with open(os.path.join(dispatch, name), "wb") as out:
                out.write(stream)
            print(f"{name}: {len(stream)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
