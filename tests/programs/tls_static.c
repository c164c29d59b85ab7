/* tls_static: tls_vars without libraries, linked statically: there is no link_map list, so GDB
 * asks for the executable's TLS with link_map 0, and glibc's libthread_db descriptors are only
 * in the executable's symbol table. Two workers ("tls-worker-0", "tls-worker-1") set
 * tls_main = 100 + K and errno = 10 + K, the main thread 1 and 5; then main calls all_set()
 * (@all-set) while the workers wait at a barrier.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 2

__thread int tls_main = -1;
static pthread_barrier_t set_barrier;
static pthread_barrier_t done_barrier;

__attribute__((noinline)) void all_set(void)
{
    __asm__ volatile("" ::: "memory");                  /* @all-set */
}

static void *worker_main(void *arg)
{
    int id = (int)(long)arg;
    char name[16];
    snprintf(name, sizeof name, "tls-worker-%d", id);
    pthread_setname_np(pthread_self(), name);
    tls_main = 100 + id;
    errno = 10 + id;
    pthread_barrier_wait(&set_barrier);
    pthread_barrier_wait(&done_barrier);
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    pthread_barrier_init(&set_barrier, NULL, NTHREADS + 1);
    pthread_barrier_init(&done_barrier, NULL, NTHREADS + 1);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker_main, (void *)i);
    tls_main = 1;
    pthread_barrier_wait(&set_barrier);
    errno = 5;
    all_set();
    pthread_barrier_wait(&done_barrier);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    return 0;
}
