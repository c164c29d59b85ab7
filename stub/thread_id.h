// Thread ids on the wire: `p<pid>.<tid>` with multiprocess extensions, a bare `<tid>` without;
// -1 means "all", 0 means "any".
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace xolstub::stub {

struct ThreadId {
  static constexpr pid_t all = -1;
  static constexpr pid_t any = 0;
  pid_t pid = any;  // `any` when the client sent a bare tid
  pid_t tid = any;

  bool matches(pid_t process, pid_t thread) const {
    return (pid == all || pid == any || pid == process) && (tid == all || tid == any || tid == thread);
  }
};

std::optional<ThreadId> parse_thread_id(std::string_view text);
std::string format_thread_id(pid_t pid, pid_t tid, bool multiprocess);

} // namespace xolstub::stub
