// The hook through which the layer that owns breakpoints gets a thread past one: the inferior
// calls start() when it is about to resume a thread that sits on an int3 it has already hit,
// and settle() at the thread's next stop, before anyone looks at its registers.
#pragma once
#include "threads/thread.h"

namespace xolstub::threads {

struct StepOverStart {
  enum class Action {
    none,  // nothing to get past: resume as asked
    done,  // the instruction was emulated: the thread is already past it
    run,   // the PC is in a slot that returns by itself: resume as asked
    step,  // single-step it, then settle(); `exclusive`: no other thread may run meanwhile
  } action = Action::none;
  bool exclusive = false;
};

enum class Settled {
  not_ours,     // the thread was in no step-over (or had left the slot): nothing changed
  completed,    // the instruction ran; the thread is where the program would be after it
  rolled_back,  // it had not run; the thread is back on the breakpoint, to be stepped over again
};

class StepOverHandler {
public:
  virtual ~StepOverHandler() = default;
  virtual StepOverStart start(Thread& thread) = 0;
  // Would start() step this thread in place (every other thread must be stopped first)? Asked
  // before start() in non-stop, where the other threads may be running.
  virtual bool steps_in_place(Thread& thread) = 0;
  // `trapped`: this stop is a SIGTRAP (the single-step finishing); otherwise a signal, an
  // interrupt or another event caught the thread on its way.
  virtual Settled settle(Thread& thread, bool trapped) = 0;
};

} // namespace xolstub::threads
