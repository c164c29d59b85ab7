// The process the instructions run in, traced by a real threads::Inferior with a real
// xol::StepOverEngine as its step-over handler, wired the way stub/debuggee.cc wires them (the
// breakpoint layer is reduced to "is there an int3 of ours at the site").
//
// A run puts the instruction at layout::site and single-steps it from the start state:
//   in place     — the original bytes at the site, no breakpoint: PTRACE_SINGLESTEP, nothing
//                  of xol/ involved;
//   out of line  — an int3 at the site, which the thread really hits (it runs into it from a
//                  nop just before), so the Inferior records the hit the way it does for the stub;
//                  then the start state, and a client-style single-step (ResumeRequest with
//                  step=true): the engine emulates, runs the slot, steps with a fix-up, or steps
//                  in place, and the Inferior reports where the instruction left the thread.
#pragma once
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "tests/differential/layout.h"
#include "tests/differential/outcome.h"
#include "tests/differential/start_state.h"
#include "threads/inferior.h"
#include "xol/step_over_engine.h"

namespace xolstub::differential {

// The sandbox itself failed (not the instruction): it is replaced and the run counts as a
// mismatch, with this message.
class SandboxError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Sandbox {
public:
  explicit Sandbox(std::uint64_t seed);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // `instruction` is at most 15 bytes; `runs_getpid` gives rax getpid's number (for `syscall`).
  Outcome run_in_place(std::span<const std::uint8_t> instruction, const StartVariant& variant, bool runs_getpid);
  Outcome run_out_of_line(std::span<const std::uint8_t> instruction, const StartVariant& variant, bool runs_getpid);
  // The next instruction differs: the engine must plan the site again (and takes a new slot).
  void forget_instruction() { engine_->forget_site(layout::site); }

  bool alive() const { return inferior_ && !inferior_->gone(); }
  const xol::StepOverEngine& engine() const { return *engine_; }
  const StartState& start_state() const { return start_; }
  // The longest a resumed thread took to stop, in seconds (a measure of the machine's load).
  double slowest_stop() const { return slowest_stop_; }

private:
  // A region the instruction may write, with the bytes it must hold at the start of a run.
  struct Watched {
    const char* name;
    std::uint64_t address;
    std::vector<std::uint8_t> expected;
    bool dirty = true;
  };

  threads::Thread& thread();
  void load_code(std::span<const std::uint8_t> instruction, bool with_int3);
  void restore_watched();
  void set_registers(const user_regs_struct& gprs);
  threads::StopReport resume_and_wait(bool step, const char* phase);
  Outcome step_and_observe();

  pid_t pid_ = 0;
  std::unique_ptr<threads::Inferior> inferior_;
  std::unique_ptr<xol::StepOverEngine> engine_;
  // The program's bytes at the site (the instruction, then int3 padding): what the engine's
  // CodeReader returns, as BreakpointSites returns the originals under its int3s.
  std::array<std::uint8_t, layout::code_bytes> code_{};
  bool site_armed_ = false;
  StartState start_;
  double slowest_stop_ = 0;
  std::vector<Watched> watched_;  // scratch, guard page, the stack page above it
};

} // namespace xolstub::differential
