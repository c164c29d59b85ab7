// One connected client: its byte stream, the ack/no-ack state, what it negotiated, the threads
// it selected, and whether it waits for a stop reply. Packets go to the Dispatcher; replies come
// back through reply().
#pragma once
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rsp/framing.h"
#include "stub/host_io.h"
#include "stub/thread_id.h"
#include "stub/transport.h"
#include "threads/stop_report.h"

namespace xolstub::stub {

class Server;
class Debuggee;

// What the client told us in qSupported.
struct ClientFeatures {
  bool multiprocess = false;
  bool swbreak = false;
  bool hwbreak = false;
  bool vcont_supported = false;
  bool no_resumed = false;
  bool exec_events = false;
  bool fork_events = false;
  bool vfork_events = false;
  // LLDB (docs/lldb.md). It sends QThreadSuffixSupported or QListThreadsInStopReply before
  // anything else GDB never sends; from then on the stub speaks its dialect: stop replies with
  // `reason:` and `hexname:`, every thread's stop at once, `X09` after `k`, no `main-lm` (LLDB 14
  // takes it for r_debug's address), the register description with LLDB's attributes.
  bool lldb = false;
  bool thread_suffix = false;          // QThreadSuffixSupported: `;thread:TID;` ends register packets
  bool threads_in_stop_reply = false;  // QListThreadsInStopReply: `threads:` and `thread-pcs:` in T
  bool error_strings = false;          // QEnableErrorStrings: `E NN;HEX(why)`
};

class Session {
public:
  static constexpr std::size_t packet_size = 0x4000;

  Session(Server& server, std::unique_ptr<ByteStream> stream, int id);
  ~Session();
  void start();

  void reply(std::string_view payload);
  void reply_ok() { reply("OK"); }
  // `E NN` plus a --debug line saying why, so a user can find out what went wrong.
  void reply_error(int code, std::string_view why);
  // The target stopped while this client waited for it.
  void on_stop(const threads::StopReport& stop);
  // Sends a stop reply. All-stop: the thread it names becomes the general thread, as GDB
  // assumes (remote.c record_currthread): its next `g` without an `Hg` is for that thread.
  // Non-stop GDB assumes no such thing, so the general thread stays what it chose.
  void reply_stop(const threads::StopReport& stop);
  // Non-stop: a stop goes out as a `%Stop` notification when none is waiting for the client's
  // vStopped; later ones queue up behind it. Thread events go only to a client that asked.
  void notify_stop(const threads::StopReport& stop);
  // vStopped: the oldest queued stop has reached the client; answers the next one, or OK.
  void acknowledge_stop();
  // `?` in non-stop: the queue starts again with these stops; the first is the reply.
  void restart_stop_queue(const std::vector<threads::StopReport>& stops);
  // Threads whose stop is queued for this client: it does not know yet that they stopped.
  std::set<pid_t> unacknowledged_threads() const;
  // Closes once the last reply is out (after `monitor exit`, D or k with --once).
  void finish();
  // A client the stub cannot serve: every packet it sends is answered `E.WHY` (GDB shows it as
  // "Remote failure reply" and gives up), until it goes away.
  void refuse(std::string why) { refusal_ = std::move(why); }
  bool refused() const { return !refusal_.empty(); }

  Server& server() { return server_; }
  Debuggee* debuggee();
  int id() const { return id_; }
  HostIo& host_io() { return host_io_; }

  ClientFeatures client;
  bool no_ack = false;
  // Debugs the current process. False for a --multi client that arrived while another debugs
  // it, until it attaches to it (vAttach) and joins.
  bool joined = true;
  bool extended = false;                // sent `!` (target extended-remote)
  bool non_stop = false;                // QNonStop:1
  bool thread_events = false;           // QThreadEvents:1
  std::set<int> pass_signals;           // QPassSignals (host signal numbers)
  // QCatchSyscalls: nullopt, off; an empty set, every system call.
  std::optional<std::set<long>> catch_syscalls;
  bool waiting_for_stop = false;
  ThreadId general_thread;              // Hg: registers and memory
  ThreadId continue_thread{-1, -1};     // Hc: the old c/s packets
  std::vector<std::string> thread_list; // the rest of a qfThreadInfo answer, for qsThreadInfo
  std::vector<std::string> process_list; // the rest of a qfProcessInfo answer (last first), for qsProcessInfo
  // qXfer objects are read in pieces; every piece after the first comes from the snapshot the
  // first one took, keyed by "object:annex", so the pieces fit together.
  std::map<std::string, std::string> xfer_snapshots;

  // The thread a `;thread:TID;` suffix named, while its packet is handled (QThreadSuffixSupported).
  std::optional<pid_t> packet_thread;
  // LLDB: each thread's stop as last reported (the reporting thread's and the pending ones
  // told with it), for jThreadsInfo and qThreadStopInfo.
  std::map<pid_t, threads::StopReport> thread_stops;

  // Signal numbers on the wire: GDB's own numbering (SIGUSR1 is 30), LLDB's is the target's.
  int to_wire_signal(int host_signal) const;
  int from_wire_signal(int wire_signal) const;  // 0 when it has no Linux counterpart

  // The thread a `;thread:` suffix names, else the one `general_thread` stands for; 0 when the
  // process has none.
  pid_t selected_thread();

private:
  void read_more();
  void on_bytes(std::string_view bytes);
  void handle(const rsp::InputEvent& event);
  void send_raw(std::string bytes);
  std::string_view take_thread_suffix(std::string_view packet);
  std::string tag() const;
  void reply_next_queued_stop();

  Server& server_;
  std::unique_ptr<ByteStream> stream_;
  int id_;
  rsp::Decoder decoder_{packet_size};
  std::string last_sent_;  // resent on a NAK
  struct QueuedStop {
    pid_t tid;
    std::string reply;
  };
  std::deque<QueuedStop> stop_queue_;  // the front one has been notified
  HostIo host_io_;
  bool finished_ = false;
  std::string refusal_;
};

} // namespace xolstub::stub
