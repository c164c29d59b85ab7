/* counters: four worker threads ("counter-0".."counter-3") count in counters[id] until the
 * debugger sets `finish`; worker 0 calls checkpoint() every 1000 counts, a breakpoint only it
 * hits. Setting `spawn` makes main start a short-lived thread that runs spawned_task() and
 * exits; `spawned` counts them. Setting `exit_now` makes main exit(3) at once, whatever the
 * workers are doing. For non-stop tests: a stopped thread's counter stands still while the
 * others' advance. Exits 0 with "finished" once `finish` is set.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NTHREADS 4

volatile unsigned long counters[NTHREADS];
volatile int finish;
volatile int spawn;
volatile int spawned;
volatile int exit_now;
volatile unsigned long checkpoints;

__attribute__((noinline)) void checkpoint(void)
{
    checkpoints++;                                      /* @checkpoint */
}

__attribute__((noinline)) void count(int id)
{
    counters[id]++;                                     /* @count */
    if (id == 0 && counters[id] % 1000 == 0)
        checkpoint();
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    char name[16];
    snprintf(name, sizeof name, "counter-%d", id);
    pthread_setname_np(pthread_self(), name);
    while (!finish) {
        count(id);
        usleep(100);
    }
    return NULL;
}

__attribute__((noinline)) void spawned_task(void)
{
    spawned++;                                          /* @spawned-task */
}

static void *short_lived(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "short-lived");
    spawned_task();
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)i);
    while (!finish) {
        if (exit_now) {
            printf("exit now\n");
            fflush(stdout);
            exit(3);
        }
        if (spawn) {
            pthread_t extra;
            spawn = 0;
            pthread_create(&extra, NULL, short_lived, NULL);
            pthread_join(extra, NULL);
        }
        usleep(1000);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    printf("finished\n");                               /* @finished */
    return 0;
}
