// GDB's host I/O: vFile packets that let GDB open, read and write files on the stub's machine
// (to fetch the executable and its libraries when GDB runs elsewhere, for `remote get/put/
// delete`). One HostIo per client session: the descriptors it hands out belong to that client
// and are closed with it; `vFile:setfs` picks whose view of the filesystem names refer to.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

namespace xolstub::stub {

class HostIo {
public:
  // Replies (vFile:pread data) stay within this many characters before framing, escapes
  // included; it should leave room below the packet size announced in qSupported.
  static constexpr std::size_t default_max_reply_size = 0x3f00;

  explicit HostIo(std::size_t max_reply_size = default_max_reply_size);
  ~HostIo();
  HostIo(const HostIo&) = delete;
  HostIo& operator=(const HostIo&) = delete;

  // `packet` is the whole payload ("vFile:open:..."), binary data still escaped. Returns the
  // reply payload: "F<result>[;<data>]" or "F-1,<fileio errno>"; empty for a vFile packet
  // we do not know, which tells GDB it is unsupported.
  std::string handle(std::string_view packet);

  pid_t filesystem_pid() const { return fs_pid_; }
  std::size_t open_count() const { return fds_.size(); }

private:
  std::string setfs(std::string_view args);
  std::string open(std::string_view args);
  std::string close(std::string_view args);
  std::string pread(std::string_view args);
  std::string pwrite(std::string_view args);
  std::string fstat(std::string_view args);
  std::string unlink(std::string_view args);
  std::string readlink(std::string_view args);
  // The fd of a request, if it is one this session opened.
  bool owns(int fd) const { return fds_.count(fd) != 0; }

  std::size_t max_reply_size_;
  pid_t fs_pid_ = 0;  // 0: names are as the stub sees them
  std::set<int> fds_;
};

} // namespace xolstub::stub
