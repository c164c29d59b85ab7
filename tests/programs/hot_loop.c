/* hot_loop: THREADS threads (argv[1], default 1) each call hot(i) for i = 0 .. CALLS-1 (argv[2],
 * default 100000). For target-side breakpoint conditions (`break hot if i == 99999`) and
 * agent-style dprintf. Prints "calls = N" (every call, all threads) and exits 0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long calls_per_thread = 100000;
static volatile long calls;

__attribute__((noinline)) long hot(long i)
{
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);    /* @hot */
    return i * 2;
}

static void *worker(void *arg)
{
    (void)arg;
    long sum = 0;
    for (long i = 0; i < calls_per_thread; i++)
        sum += hot(i);
    return (void *)sum;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 1;
    if (argc > 2)
        calls_per_thread = atol(argv[2]);
    pthread_t threads[64];
    if (nthreads < 1 || nthreads > 64)
        return 2;
    for (int i = 0; i < nthreads; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    printf("calls = %ld\n", calls);
    return 0;
}
