/* tls_vars: thread-local variables in every kind of module, different in every thread.
 *
 * Four workers ("tls-worker-0".."tls-worker-3") and the main thread each set
 *   tls_main  (this executable, static TLS)            = 100 + K   (main thread: 1)
 *   tls_lib   (libtls_module.so, linked: static TLS)   = 200 + K   (main thread: 2)
 *   errno     (libc.so.6's own TLS)                    = 10 + K    (main thread: 5)
 *   tls_dl    (libtls_dlopen.so, dlopen'ed: dynamic)   = 300 + K, only in even workers;
 *             the main thread and odd workers never touch it, so they have no block for it.
 * Then main calls all_set() (@all-set) while every worker waits at a barrier, so a debugger
 * stopped there sees every thread's values. Exits 0 when every thread kept its own values.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4

__thread int tls_main = -1;
static void (*set_tls_dl)(int);

#ifdef TLS_STATIC
/* tls_static.c: no libraries in a static program, so their variables live in it too. */
__thread int tls_lib = -1;
static __thread int tls_dl = -1;
void set_tls_lib(int value) { tls_lib = value; }
static void set_tls_dl_here(int value) { tls_dl = value; }
static int open_dl_library(const char *self)
{
    (void)self;
    set_tls_dl = set_tls_dl_here;
    return 0;
}
#else
extern __thread int tls_lib;
void set_tls_lib(int value);
#endif

static pthread_barrier_t set_barrier;
static pthread_barrier_t done_barrier;
static volatile int failures;

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
    set_tls_lib(200 + id);
    if (id % 2 == 0)
        set_tls_dl(300 + id);
    errno = 10 + id;
    pthread_barrier_wait(&set_barrier);
    pthread_barrier_wait(&done_barrier);
    if (tls_main != 100 + id || tls_lib != 200 + id || errno != 10 + id)
        failures++;
    return NULL;
}

#ifndef TLS_STATIC
static int open_dl_library(const char *self)
{
    char path[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t length = readlink(self, exe, sizeof exe - 1);
    if (length < 0)
        return -1;
    exe[length] = '\0';
    snprintf(path, sizeof path, "%s/libtls_dlopen.so", dirname(exe));
    void *handle = dlopen(path, RTLD_NOW);
    if (!handle) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    set_tls_dl = (void (*)(int))dlsym(handle, "set_tls_dl");
    return set_tls_dl ? 0 : -1;
}
#endif

int main(void)
{
    if (open_dl_library("/proc/self/exe") != 0)
        return 2;
    pthread_t threads[NTHREADS];
    pthread_barrier_init(&set_barrier, NULL, NTHREADS + 1);
    pthread_barrier_init(&done_barrier, NULL, NTHREADS + 1);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker_main, (void *)i);
    tls_main = 1;
    set_tls_lib(2);
    pthread_barrier_wait(&set_barrier);
    errno = 5;
    all_set();
    pthread_barrier_wait(&done_barrier);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    if (tls_main != 1 || tls_lib != 2)
        failures++;
    printf("failures = %d\n", failures);
    return failures == 0 ? 0 : 1;
}
