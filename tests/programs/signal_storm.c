/* signal_storm: SIGALRM at 10 kHz (ITIMER_REAL, 100 us) while THREADS threads call hot() CALLS
 * times each. The handler only counts, so what the program prints (each thread's sum) is the
 * same with and without a debugger however many signals land wherever; the count goes to stderr.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define THREADS 8
#define CALLS 2000

static volatile sig_atomic_t alarms;
static long sums[THREADS];

static void on_alarm(int signo)
{
    (void)signo;
    alarms++;
}

__attribute__((noipa)) long hot(long id, long i)
{
    return (id + 1) * 1000003 + i * 7;                    /* @hot */
}

static void *worker(void *arg)
{
    long id = (long)arg, sum = 0;
    for (long i = 0; i < CALLS; i++) sum += hot(id, i);
    sums[id] = sum;
    return NULL;
}

int main(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    struct itimerval every_100us = {{0, 100}, {0, 100}};
    setitimer(ITIMER_REAL, &every_100us, NULL);

    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    for (long i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);

    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    long total = 0;
    for (long i = 0; i < THREADS; i++) {
        printf("thread %ld: sum = %ld\n", i, sums[i]);
        total += sums[i];
    }
    printf("total = %ld\n", total);                       /* @report */
    fprintf(stderr, "signal_storm: %d alarms\n", (int)alarms);
    return 0;
}
