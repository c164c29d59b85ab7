/* exec_hammer PROGRAM: THREADS threads call hot() without end while the main thread, once each
 * of them has made CALLS calls, replaces the program with PROGRAM (execv, no arguments). With a
 * breakpoint in hot() the exec comes while threads are being stepped over it (out of line, or
 * by GDB's stepi): the debugger must follow into PROGRAM, which runs to its end.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define CALLS 200

static long made[THREADS]; /* calls each thread has made */

__attribute__((noipa)) long hot(long x)
{
    return x * 3 + 1;                                     /* @hot */
}

static void *hammer(void *arg)
{
    long id = (long)arg, sum = 0;
    for (;;) {
        sum += hot(sum);
        __atomic_fetch_add(&made[id], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static int everyone_made(long calls)
{
    for (int i = 0; i < THREADS; i++)
        if (__atomic_load_n(&made[i], __ATOMIC_RELAXED) < calls) return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: exec_hammer PROGRAM\n");
        return 2;
    }
    pthread_t thread;
    for (long i = 0; i < THREADS; i++) pthread_create(&thread, NULL, hammer, (void *)i);
    struct timespec pause = {0, 1000000};
    while (!everyone_made(CALLS)) nanosleep(&pause, NULL);
    printf("exec_hammer: running %s\n", argv[1]);
    fflush(stdout);
    char *args[] = {argv[1], NULL};
    execv(argv[1], args);                                 /* @exec */
    perror("execv");
    return 1;
}
