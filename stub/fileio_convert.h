// GDB's File-I/O conventions (the "Protocol-specific Representation of Datatypes" of the RSP
// manual): errno values, open flags and mode bits that are fixed numbers on the wire whatever
// the host uses, and the big-endian `struct stat` of vFile:fstat. Host I/O needs them to turn
// GDB's requests into host calls and host results back into replies.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>

namespace xolstub::stub::fileio {

// The wire errno values GDB knows; anything else travels as `unknown`.
enum Errno : int {
  eperm = 1, enoent = 2, eintr = 4, eio = 5, ebadf = 9, eacces = 13, efault = 14, ebusy = 16,
  eexist = 17, enodev = 19, enotdir = 20, eisdir = 21, einval = 22, enfile = 23, emfile = 24,
  efbig = 27, enospc = 28, espipe = 29, erofs = 30, enosys = 88, enametoolong = 91,
  unknown = 9999,
};

// Wire open flags and mode bits.
inline constexpr std::uint32_t o_rdonly = 0x0, o_wronly = 0x1, o_rdwr = 0x2, o_append = 0x8,
                               o_creat = 0x200, o_trunc = 0x400, o_excl = 0x800;
inline constexpr std::uint32_t s_ifreg = 0100000, s_ifdir = 040000, s_ifchr = 020000;

Errno from_host_errno(int host_errno);

// Host open(2) flags for GDB's; nullopt when GDB sent a bit the protocol does not define
// (the request is then invalid rather than silently different).
std::optional<int> to_host_open_flags(std::uint64_t wire_flags);
// Host permission bits for GDB's mode; nullopt for undefined bits. File-type bits GDB may
// include (S_IFREG) are accepted and dropped: open(2) only wants permissions.
std::optional<mode_t> to_host_mode(std::uint64_t wire_mode);

// vFile:fstat's answer: 64 bytes, big-endian. dev, ino, nlink, uid, gid, rdev and the times
// are 32-bit on the wire and are truncated as gdbserver truncates them.
inline constexpr std::size_t stat_size = 64;
std::array<std::uint8_t, stat_size> pack_stat(const struct stat& st);
// The wire mode of a host mode: file type (regular, directory, char device) and permissions.
std::uint32_t to_wire_mode(mode_t host_mode);

} // namespace xolstub::stub::fileio
