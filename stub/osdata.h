// GDB's `info os TYPE`: the qXfer:osdata:read:TYPE documents, read from /proc (and /sys) the
// way gdbserver builds them (GDB 13.1's nat/linux-osdata.c): the same types, the same column
// names in the same order, the same meaning for each value. GDB prints the columns in the order
// of the first item, so the order is part of the interface.
#pragma once
#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xolstub::stub {

// The whole document for `annex`: "" (or "types") lists the types; "processes", "procgroups",
// "threads", "files", "sockets", "shm", "semaphores", "msg", "modules", "cpus" list what /proc
// holds now. nullopt for any other annex (gdbserver answers those with an empty object, which
// GDB reports as "Wrong osdata type?"). Throws std::system_error when /proc itself cannot be
// listed. A table /proc does not have (no /proc/modules in a container) is an empty document,
// as with gdbserver.
std::optional<std::string> osdata_xml(std::string_view annex);

// ---- building blocks, exposed so tests can feed them made-up values ------------------------

struct OsdataColumn {
  std::string name;
  std::string value;
};
using OsdataItem = std::vector<OsdataColumn>;

// `<item><column name="N">V</column>...</item>`, names and values escaped.
std::string osdata_item_xml(const OsdataItem& item);

// The XML declaration, `<osdata type="TYPE">`, one item per line, `</osdata>`.
std::string osdata_document(std::string_view type, std::span<const OsdataItem> items);

// /proc/cpuinfo → one item per "processor" block, a column per "key : value" line in file
// order (keys and values trimmed). Lines before the first "processor" belong to no item.
std::vector<OsdataItem> cpuinfo_items(std::string_view cpuinfo);

// One line of /proc/net/{tcp,udp,tcp6,udp6} → local/remote address and port, state, user,
// family, protocol; nullopt for the header or a line that does not parse.
std::optional<OsdataItem> socket_item(std::string_view line, bool ipv6, bool tcp);

// One line of /proc/modules → name, size, num uses, dependencies, status, address (hex
// without 0x); nullopt for a line that does not parse.
std::optional<OsdataItem> module_item(std::string_view line);

// One line of /proc/sysvipc/{shm,sem,msg} (headers and short lines give nullopt). Users and
// groups are looked up by id, pids become command names, times become ctime text.
std::optional<OsdataItem> shm_item(std::string_view line);
std::optional<OsdataItem> sem_item(std::string_view line);
std::optional<OsdataItem> msg_item(std::string_view line);

// The name in /proc/PID/stat's parentheses; the pid in decimal when there is no such
// process (as gdbserver shows a creator that has exited).
std::string process_command(pid_t pid);

// /proc/PID/cmdline with its NULs turned into spaces; "[comm]" for a process without one
// (a kernel thread); "" when it cannot be read.
std::string process_command_line(pid_t pid);

} // namespace xolstub::stub
