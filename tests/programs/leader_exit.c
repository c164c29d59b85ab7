/* leader_exit: the main thread starts a worker and calls pthread_exit; the worker, once the
 * leader is gone, calls after_leader() and exits 0 ("worker done"). The leader stays a zombie
 * until then: a debugger must not wait for it to stop, nor show it as a thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_t leader;

__attribute__((noinline)) void after_leader(void)
{
    printf("worker done\n");                            /* @after-leader */
    fflush(stdout);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_join(leader, NULL);
    after_leader();
    return NULL;
}

int main(void)
{
    pthread_t thread;
    leader = pthread_self();
    pthread_create(&thread, NULL, worker, NULL);
    pthread_exit(NULL);
}
