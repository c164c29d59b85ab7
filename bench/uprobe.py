"""The kernel's own uprobes as the practical ceiling: the same probe point, hit and stepped over
out of line inside the kernel with no debugger process at all. Needs root and tracefs; where the
kernel does not allow it, the benchmark says so and measures the rest."""

import contextlib
import os
import re
import subprocess

TRACEFS = "/sys/kernel/tracing"
GROUP = "xolstub_bench"


def file_offset(program, symbol):
    """The file offset of SYMBOL in the ELF PROGRAM, which is what uprobe_events takes."""
    symbols = subprocess.run(["nm", program], capture_output=True, text=True, check=True).stdout
    found = re.search(rf"^([0-9a-f]+) [Tt] {re.escape(symbol)}$", symbols, re.M)
    if not found:
        raise RuntimeError(f"{program} has no function {symbol}")
    address = int(found.group(1), 16)
    headers = subprocess.run(["readelf", "-lW", program], capture_output=True, text=True, check=True).stdout
    for line in headers.splitlines():
        fields = line.split()
        if fields[:1] == ["LOAD"]:
            offset, vaddr, filesz = int(fields[1], 16), int(fields[2], 16), int(fields[4], 16)
            if vaddr <= address < vaddr + filesz:
                return address - vaddr + offset
    raise RuntimeError(f"{symbol} of {program} is in no loaded segment")


class Uprobes:
    def __init__(self):
        self.available, self.why_not = False, ""
        if os.geteuid() != 0:
            self.why_not = "needs root"
            return
        if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], capture_output=True)
        if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
            self.why_not = f"no tracefs with uprobe_events at {TRACEFS}"
            return
        self.available = True

    def _write(self, name, text, append=False):
        # os.write, not open(..., "a"): Python seeks to the end of a file opened for appending,
        # and tracefs files refuse the seek (EINVAL) on recent kernels.
        flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
        fd = os.open(os.path.join(TRACEFS, name), flags)
        try:
            os.write(fd, (text + "\n").encode())
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def probe(self, program, symbol):
        """A uprobe event on SYMBOL of PROGRAM, enabled while the block runs, then removed."""
        event = f"{GROUP}/{symbol}"
        self._write("uprobe_events", f"p:{event} {os.path.abspath(program)}:{file_offset(program, symbol):#x}",
                    append=True)
        enable = os.path.join("events", GROUP, symbol, "enable")
        try:
            self._write(enable, "1")
            yield
        finally:
            self._write(enable, "0")
            self._write("uprobe_events", f"-:{event}", append=True)
