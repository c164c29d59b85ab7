/* threads: four named worker threads ("worker-0".."worker-3") that each run worker_task(id)
 * once, while all five threads are alive.
 *
 * A start barrier makes every worker name itself before any of them calls worker_task, and an
 * end barrier keeps every worker alive until all have returned from it: whenever a thread
 * stops in worker_task, `info threads` shows all five threads with their names.
 * Prints "sum = 64" and exits 0 when every worker ran.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4

static pthread_barrier_t start_barrier;
static pthread_barrier_t end_barrier;
volatile int results[NTHREADS];

__attribute__((noinline)) int worker_task(int id)
{
    int value = id * 10 + 1;                            /* @worker-task */
    results[id] = value;
    return value;
}

static void *worker_main(void *arg)
{
    int id = (int)(long)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", id);
    pthread_setname_np(pthread_self(), name);
    pthread_barrier_wait(&start_barrier);
    worker_task(id);                                    /* @call-worker-task */
    pthread_barrier_wait(&end_barrier);
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    pthread_barrier_init(&start_barrier, NULL, NTHREADS);
    pthread_barrier_init(&end_barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker_main, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);                 /* @join */
    int sum = 0;
    for (int i = 0; i < NTHREADS; i++)
        sum += results[i];
    printf("sum = %d\n", sum);
    return sum == 64 ? 0 : 1;
}
