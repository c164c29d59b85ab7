/* exit_in_slot: threads that end with a bare exit system call, at the global label
 * exit_syscall, so that a breakpoint there makes the stub step the `syscall` out of line and the
 * thread end inside the XOL slot. LEAVERS threads compute a sum and exit that way; STAYERS
 * threads wait until every leaver is about to exit, then compute theirs and return normally; main
 * joins them all (the kernel clears a thread's tid however it exits) and prints every sum, the
 * same with and without a debugger.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

#define LEAVERS 4
#define STAYERS 4
#define CALLS 2000

static long sums[LEAVERS + STAYERS];
static int leaving; /* leavers past their work, about to exit */

__attribute__((noipa)) long work(long id, long i)
{
    return (id + 1) * 7919 + i * i;
}

static long compute(long id)
{
    long sum = 0;
    for (long i = 0; i < CALLS; i++) sum += work(id, i);
    return sum;
}

/* noipa: one copy of the asm, so one exit_syscall label. */
__attribute__((noipa)) static void *leaver(void *arg)
{
    long id = (long)arg;
    sums[id] = compute(id);
    __atomic_fetch_add(&leaving, 1, __ATOMIC_RELEASE);
    /* exit(0) of this thread only, without glibc: nothing runs after the syscall, so the thread
     * is gone while the stub still counts it as stepping over the breakpoint. */
    __asm__ volatile(".globl exit_syscall\n"
                     "exit_syscall: syscall\n"
                     :
                     : "a"((long)SYS_exit), "D"(0L)
                     : "rcx", "r11", "memory");
    __builtin_unreachable();
}

static void *stayer(void *arg)
{
    long id = (long)arg;
    struct timespec pause = {0, 1000000};
    while (__atomic_load_n(&leaving, __ATOMIC_ACQUIRE) < LEAVERS) nanosleep(&pause, NULL);
    /* A little later still, so that the leavers are in (or past) their exit call. */
    nanosleep(&pause, NULL);
    sums[id] = compute(id);
    return NULL;
}

/* Called once, after every join: where the tests stop to look. */
__attribute__((noipa)) static void report(void)
{
    for (long i = 0; i < LEAVERS + STAYERS; i++)
        printf("%s %ld: sum = %ld\n", i < LEAVERS ? "leaver" : "stayer", i, sums[i]);
}

int main(void)
{
    pthread_t threads[LEAVERS + STAYERS];
    for (long i = 0; i < LEAVERS + STAYERS; i++)
        pthread_create(&threads[i], NULL, i < LEAVERS ? leaver : stayer, (void *)i);
    for (long i = 0; i < LEAVERS + STAYERS; i++) pthread_join(threads[i], NULL);
    report();
    return 0;
}
