/* shared_work: four threads each call alpha() and beta() ROUNDS times (argv[1], default 50)
 * and gamma() every fifth round, then exit; main prints the totals. For several clients on one
 * process: each client breaks on its own function and counts exactly ROUNDS * 4 hits (gamma:
 * (ROUNDS + 4) / 5 * 4), whatever the other client does. `hold_main` non-zero keeps main
 * waiting before it joins the workers (for clients that join mid-run).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NTHREADS 4

static int rounds = 50;
volatile int totals[3];
volatile int hold_main;

__attribute__((noinline)) void alpha(int id)
{
    __atomic_add_fetch(&totals[0], 1, __ATOMIC_SEQ_CST);  /* @alpha */
    (void)id;
}

__attribute__((noinline)) void beta(int id)
{
    __atomic_add_fetch(&totals[1], 1, __ATOMIC_SEQ_CST);  /* @beta */
    (void)id;
}

__attribute__((noinline)) void gamma_(int id)
{
    __atomic_add_fetch(&totals[2], 1, __ATOMIC_SEQ_CST);  /* @gamma */
    (void)id;
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", id);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0; i < rounds; i++) {
        alpha(id);
        beta(id);
        if (i % 5 == 0)
            gamma_(id);
        usleep(500);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[NTHREADS];
    if (argc > 1)
        rounds = atoi(argv[1]);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)i);
    while (hold_main)
        usleep(1000);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    printf("alpha=%d beta=%d gamma=%d\n", totals[0], totals[1], totals[2]);
    return 0;
}
