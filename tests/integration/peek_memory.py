"""peek_memory.py LABEL PID ADDRESS LENGTH: print LENGTH bytes of process PID at ADDRESS as
"raw LABEL: xx xx ...", read straight from /proc/PID/mem (bypassing GDB and the server), or
"raw LABEL: unreadable (REASON)". Tests run it from GDB's `shell` command while the inferior
is stopped, to see what is really in memory (e.g. the int3 of an inserted breakpoint)."""

import sys


def main():
    label, pid = sys.argv[1], int(sys.argv[2])
    address, length = int(sys.argv[3], 0), int(sys.argv[4], 0)
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(address)
            data = mem.read(length)
    except OSError as error:
        print(f"raw {label}: unreadable ({error})", flush=True)
        return
    print(f"raw {label}: " + " ".join(f"{b:02x}" for b in data), flush=True)


if __name__ == "__main__":
    main()
