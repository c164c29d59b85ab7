/* ss_reload: four threads each call reload_ss() 50 times. Its `mov %ax, %ss` (label
 * xol_mov_ss) delays the trap of a single-step over it by one instruction (the interrupt
 * shadow), so whoever steps it out of line must cope with the next instruction too; the XOL
 * engine refuses to move it and steps it in place. Prints "calls = 200". */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define CALLS 50

static volatile long calls;

__attribute__((noinline)) void reload_ss(void)
{
    __asm__ volatile("mov %%ss, %%ax\n"
                     ".globl xol_mov_ss\n"
                     "xol_mov_ss: mov %%ax, %%ss\n"
                     "nop\n"
                     ::: "ax");
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < CALLS; i++)
        reload_ss();
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    printf("calls = %ld\n", calls);                      /* @report */
    return 0;
}
