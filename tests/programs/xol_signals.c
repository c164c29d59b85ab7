/* Signals meet XOL step-overs. Four threads pass a breakpoint on hot() while SIGPROF fires every
 * 500 us of the process's CPU time (CPU time, not wall-clock: a wall-clock timer outpaces GDB's
 * round trips while it steps a thread over the breakpoint in place, every step meets a new
 * signal, and the program barely moves; with gdbserver too): every interrupted PC the handler sees must belong to a loaded object (never an
 * anonymous XOL slot). Then a division by zero at a breakpoint (xol_div, run out of line)
 * raises SIGFPE: the handler must see the original instruction's address in si_addr and in the
 * saved RIP, never a slot address. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define NTHREADS 4
#define CALLS 200
#define MAX_ALARMS 4096

static volatile long counter;
static uintptr_t alarm_pcs[MAX_ALARMS];
static volatile int alarms;

__attribute__((noinline)) long hot(long x) {
  __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  for (volatile int spin = 0; spin < 2000; spin++) {
  }
  return x + 1;
}

static void on_alarm(int signal, siginfo_t* info, void* context) {
  (void)signal, (void)info;
  int slot = __atomic_fetch_add(&alarms, 1, __ATOMIC_RELAXED);
  if (slot < MAX_ALARMS) alarm_pcs[slot] = ((ucontext_t*)context)->uc_mcontext.gregs[REG_RIP];
}

static void* worker(void* arg) {
  long sum = (long)arg;
  for (int i = 0; i < CALLS; i++) sum += hot(i);
  return (void*)sum;
}

extern char xol_div[];
static sigjmp_buf after_fpe;
static uintptr_t fpe_addr, fpe_rip;

static void on_fpe(int signal, siginfo_t* info, void* context) {
  (void)signal;
  fpe_addr = (uintptr_t)info->si_addr;
  fpe_rip = ((ucontext_t*)context)->uc_mcontext.gregs[REG_RIP];
  siglongjmp(after_fpe, 1);
}

__attribute__((noinline)) static long divide(long numerator, long denominator) {
  long quotient;
  __asm__ volatile(
      "mov %1, %%rax\n"
      "cqo\n"
      ".globl xol_div\n"
      "xol_div: idivq %2\n"
      "mov %%rax, %0\n"
      : "=r"(quotient)
      : "r"(numerator), "r"(denominator)
      : "rax", "rdx");
  return quotient;
}

int main(int argc, char** argv) {
  (void)argv;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_alarm;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGPROF, &action, NULL);
  struct itimerval every = {{0, 500}, {0, 500}};
  setitimer(ITIMER_PROF, &every, NULL);

  pthread_t threads[NTHREADS];
  for (long i = 0; i < NTHREADS; i++) pthread_create(&threads[i], NULL, worker, (void*)i);
  long total = 0;
  for (int i = 0; i < NTHREADS; i++) {
    void* result;
    pthread_join(threads[i], &result);
    total += (long)result;
  }
  /* Undebugged, the threads may finish before the first alarm: spin (CPU time makes it come)
   * until one has, so the output is the same with and without a debugger. */
  while (__atomic_load_n(&alarms, __ATOMIC_RELAXED) == 0) continue;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_PROF, &off, NULL);

  int seen = alarms < MAX_ALARMS ? alarms : MAX_ALARMS, outside = 0;
  for (int i = 0; i < seen; i++) {
    Dl_info where;
    if (!dladdr((void*)alarm_pcs[i], &where)) {
      if (outside++ < 5) printf("alarm at %#lx: not in any loaded object\n", (unsigned long)alarm_pcs[i]);
    }
  }
  printf("calls = %ld total = %ld alarms outside loaded objects = %d\n", counter, total, outside);
  printf("alarms seen: %s\n", seen > 0 ? "some" : "none");

  action.sa_sigaction = on_fpe;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &action, NULL);
  if (sigsetjmp(after_fpe, 1) == 0) {
    printf("quotient = %ld\n", divide(42, argc - 1)); /* argc is 1: divides by zero */
  } else {
    printf("SIGFPE si_addr %s, rip %s\n", fpe_addr == (uintptr_t)xol_div ? "at xol_div" : "elsewhere",
           fpe_rip == (uintptr_t)xol_div ? "at xol_div" : "elsewhere");
  }
  return 0;
}
