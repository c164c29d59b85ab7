/* sleeper: a long-running inferior to attach to.
 *
 * Usage: sleeper [MAX_TICKS [INTERVAL_MS]]   (defaults: 600 ticks of 50 ms, i.e. 30 s)
 * Prints "sleeper pid N", then calls tick(n) and prints "tick n" every INTERVAL_MS. Ends with
 * "sleeper done after N ticks" (exit 0) once `limit` ticks ran -- a debugger can change
 * `limit` -- or with "sleeper stopped by signal S after N ticks" (exit 2) on SIGTERM, SIGINT
 * or SIGUSR1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile int counter;                  /* the last tick number */
volatile int limit = 600;              /* how many ticks to run */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

__attribute__((noinline)) void tick(int n)
{
    counter = n;                       /* @tick */
}

int main(int argc, char **argv)
{
    if (argc > 1)
        limit = atoi(argv[1]);
    int interval_ms = argc > 2 ? atoi(argv[2]) : 50;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_signal);
    printf("sleeper pid %d\n", (int)getpid());
    fflush(stdout);
    int n;
    for (n = 1; n <= limit && !stop_signal; n++) {
        tick(n);                       /* @call-tick */
        printf("tick %d\n", n);
        fflush(stdout);
        usleep(interval_ms * 1000);
    }
    if (stop_signal) {
        printf("sleeper stopped by signal %d after %d ticks\n", (int)stop_signal, counter);
        return 2;
    }
    printf("sleeper done after %d ticks\n", counter);
    return 0;
}
