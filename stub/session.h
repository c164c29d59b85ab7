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
  // qXfer objects are read in pieces; every piece after the first comes from the snapshot the
  // first one took, keyed by "object:annex", so the pieces fit together.
  std::map<std::string, std::string> xfer_snapshots;

  // The thread `general_thread` stands for; 0 when the process has none.
  pid_t selected_thread();

private:
  void read_more();
  void on_bytes(std::string_view bytes);
  void handle(const rsp::InputEvent& event);
  void send_raw(std::string bytes);
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
