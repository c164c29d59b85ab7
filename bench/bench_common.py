"""What every bench/ script shares: the two servers to compare, and building a program."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The integration tests' GDB/MI and server drivers (tests/integration/harness.py).
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


def add_server_options(parser):
    parser.add_argument("--xolstub", default=os.path.join(HERE, "..", "build", "stub", "xolstub"))
    parser.add_argument("--gdbserver", default="/usr/bin/gdbserver")
    parser.add_argument("--runs", type=int, default=3)


def servers(args):
    """{name: path} of the servers to compare; exits with a message when one is missing."""
    found = {"xolstub": os.path.abspath(args.xolstub), "gdbserver": args.gdbserver}
    for name, path in found.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"{name} not found at {path}")
    return found


def build(source, directory):
    """Compiles bench/SOURCE (a .c file) into DIRECTORY; returns the program's path."""
    program = os.path.join(directory, os.path.splitext(source)[0])
    subprocess.run(["cc", "-O1", "-g", "-pthread", "-o", program, os.path.join(HERE, source)], check=True)
    return program
