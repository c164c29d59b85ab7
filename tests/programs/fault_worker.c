/* fault_worker THREADS CALLS GATES: the inferior a debugger is taken away from (its GDB killed,
 * the stub signalled, the program itself killed) while its threads pass breakpoints in hot().
 *
 * THREADS threads each call hot() CALLS times and keep a sum; the sums, printed at the end, are
 * the same with and without a debugger. The program waits at two gates, files in the directory
 * GATES, so that a test can attach, insert its breakpoints and kill things at known moments:
 *   "ready"  printed once every thread exists (its stack is mapped: /proc/PID/maps is settled)
 *   GATES/start  the threads begin calling hot() once it exists
 *   "half"   printed once half of all the calls are done (the threads are still at it)
 *   GATES/finish main joins the threads, prints the sums and exits once it exists (so a test
 *            can read the code and the mappings of a program still alive after the debugger left)
 * A gate missing for 120 s makes the program give up (exit 3), so that it never hangs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static long calls;
static long done_calls; /* atomically incremented by the workers */
static int started; /* set once by main, read by the workers */
static long sums[MAX_THREADS];

/* noipa: the calls stay real calls to one address, which the tests put a breakpoint on. */
__attribute__((noipa)) long hot(long id, long i)
{
    return (id + 1) * 1000003 + i * 7;                   /* @hot */
}

/* Called after the finish gate, never while a test is watching: a breakpoint that is inserted
 * but that no thread passes. */
__attribute__((noipa)) void report(long total)
{
    printf("total = %ld\n", total);
}

static void pause_briefly(void)
{
    struct timespec millisecond = {0, 1000000};
    nanosleep(&millisecond, NULL);
}

static void wait_for_gate(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (int i = 0; i < 120000; i++) {
        if (access(path, F_OK) == 0) return;
        pause_briefly();
    }
    fprintf(stderr, "fault_worker: no %s after 120 s\n", path);
    exit(3);
}

static void *worker(void *arg)
{
    long id = (long)arg, sum = 0;
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE)) pause_briefly();
    for (long i = 0; i < calls; i++) {
        sum += hot(id, i);
        __atomic_fetch_add(&done_calls, 1, __ATOMIC_RELAXED);
    }
    sums[id] = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fault_worker THREADS CALLS GATES\n");
        return 2;
    }
    long threads = atol(argv[1]);
    calls = atol(argv[2]);
    if (threads < 1 || threads > MAX_THREADS || calls < 2) {
        fprintf(stderr, "fault_worker: 1..%d threads, 2 or more calls\n", MAX_THREADS);
        return 2;
    }
    pthread_t ids[MAX_THREADS];
    for (long t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, (void *)t);
    printf("ready\n");
    fflush(stdout);
    wait_for_gate(argv[3], "start");
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&done_calls, __ATOMIC_RELAXED) < threads * calls / 2) pause_briefly();
    printf("half\n");
    fflush(stdout);
    /* Before the joins: a joined thread's stack may be unmapped, which a test comparing the
     * mappings before attach and after detach would see. */
    wait_for_gate(argv[3], "finish");
    long total = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        printf("thread %ld: sum = %ld\n", t, sums[t]);
        total += sums[t];
    }
    report(total);
    return 0;
}
