#include "stub/fileio_convert.h"

#include <fcntl.h>

#include <cerrno>

namespace xolstub::stub::fileio {
namespace {

// Wire bit -> host bit for permissions; the wire values are the traditional octal ones, but
// spelling the table out keeps us correct on any host.
struct BitPair {
  std::uint32_t wire;
  mode_t host;
};
constexpr BitPair permission_bits[] = {
    {0400, S_IRUSR}, {0200, S_IWUSR}, {0100, S_IXUSR}, {040, S_IRGRP}, {020, S_IWGRP},
    {010, S_IXGRP},  {04, S_IROTH},   {02, S_IWOTH},   {01, S_IXOTH},
};

void put_be(std::uint8_t* out, std::uint64_t value, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * (size - 1 - i)));
}

} // namespace

Errno from_host_errno(int host_errno) {
  switch (host_errno) {
  case EPERM: return eperm;
  case ENOENT: return enoent;
  case EINTR: return eintr;
  case EIO: return eio;
  case EBADF: return ebadf;
  case EACCES: return eacces;
  case EFAULT: return efault;
  case EBUSY: return ebusy;
  case EEXIST: return eexist;
  case ENODEV: return enodev;
  case ENOTDIR: return enotdir;
  case EISDIR: return eisdir;
  case EINVAL: return einval;
  case ENFILE: return enfile;
  case EMFILE: return emfile;
  case EFBIG: return efbig;
  case ENOSPC: return enospc;
  case ESPIPE: return espipe;
  case EROFS: return erofs;
  case ENOSYS: return enosys;
  case ENAMETOOLONG: return enametoolong;
  default: return unknown;
  }
}

std::optional<int> to_host_open_flags(std::uint64_t wire_flags) {
  constexpr std::uint64_t known = o_wronly | o_rdwr | o_append | o_creat | o_trunc | o_excl;
  if (wire_flags & ~known) return std::nullopt;
  int flags = 0;
  if ((wire_flags & (o_wronly | o_rdwr)) == (o_wronly | o_rdwr)) return std::nullopt;
  if (wire_flags & o_wronly) flags |= O_WRONLY;
  if (wire_flags & o_rdwr) flags |= O_RDWR;
  if (wire_flags & o_append) flags |= O_APPEND;
  if (wire_flags & o_creat) flags |= O_CREAT;
  if (wire_flags & o_trunc) flags |= O_TRUNC;
  if (wire_flags & o_excl) flags |= O_EXCL;
  return flags;
}

std::optional<mode_t> to_host_mode(std::uint64_t wire_mode) {
  constexpr std::uint64_t known = s_ifreg | s_ifdir | 0777;
  if (wire_mode & ~known) return std::nullopt;
  mode_t mode = 0;
  for (const BitPair& bit : permission_bits)
    if (wire_mode & bit.wire) mode |= bit.host;
  return mode;
}

std::uint32_t to_wire_mode(mode_t host_mode) {
  std::uint32_t wire = 0;
  if (S_ISREG(host_mode)) wire |= s_ifreg;
  if (S_ISDIR(host_mode)) wire |= s_ifdir;
  if (S_ISCHR(host_mode)) wire |= s_ifchr;
  for (const BitPair& bit : permission_bits)
    if (host_mode & bit.host) wire |= bit.wire;
  return wire;
}

std::array<std::uint8_t, stat_size> pack_stat(const struct stat& st) {
  std::array<std::uint8_t, stat_size> out{};
  std::uint8_t* p = out.data();
  // Field order and widths of the manual's struct stat: seven 32-bit fields, three 64-bit
  // ones, three 32-bit times.
  put_be(p + 0, st.st_dev, 4);
  put_be(p + 4, st.st_ino, 4);
  put_be(p + 8, to_wire_mode(st.st_mode), 4);
  put_be(p + 12, st.st_nlink, 4);
  put_be(p + 16, st.st_uid, 4);
  put_be(p + 20, st.st_gid, 4);
  put_be(p + 24, st.st_rdev, 4);
  put_be(p + 28, static_cast<std::uint64_t>(st.st_size), 8);
  put_be(p + 36, static_cast<std::uint64_t>(st.st_blksize), 8);
  put_be(p + 44, static_cast<std::uint64_t>(st.st_blocks), 8);
  put_be(p + 52, static_cast<std::uint64_t>(st.st_atime), 4);
  put_be(p + 56, static_cast<std::uint64_t>(st.st_mtime), 4);
  put_be(p + 60, static_cast<std::uint64_t>(st.st_ctime), 4);
  return out;
}

} // namespace xolstub::stub::fileio
