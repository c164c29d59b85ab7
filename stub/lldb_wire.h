// How LLDB's host and process packets name the target.
#pragma once
#include <string_view>

namespace xolstub::stub {

// The host's and every debuggee's triple: the stub serves x86-64 Linux only.
inline constexpr std::string_view host_triple = "x86_64-pc-linux-gnu";

} // namespace xolstub::stub
