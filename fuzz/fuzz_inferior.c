/* fuzz_inferior: what dispatch_fuzzer's inputs debug. Two threads call a small function in a
 * loop, with a global and a thread-local to read, then everything exits: a fuzz input that
 * resumes it reaches thread creation, breakpoints, watchpoints and exit within milliseconds. */
#include <pthread.h>
#include <stdio.h>

volatile long counter;
__thread long per_thread;

__attribute__((noinline)) long hot(long value)
{
    per_thread += value;
    counter += value;
    return per_thread;
}

static void *worker(void *arg)
{
    long last = 0;
    for (long i = 0; i < 1000; ++i) last = hot(i + (long)arg);
    return (void *)last;
}

int main(void)
{
    pthread_t threads[2];
    for (long i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, worker, (void *)i);
    for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
    printf("counter = %ld\n", counter);
    return 0;
}
