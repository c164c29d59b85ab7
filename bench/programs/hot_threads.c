/* hot_threads: THREADS threads (argv[1]) call hot(i) as fast as they can, and one bystander
 * thread counts and never calls it, for SECONDS seconds (argv[2]). Prints "hot N" (calls of
 * hot() per second, all threads) and "bystander N" (its counts per second), then exits. The
 * benchmark puts a breakpoint whose condition is never true on hot(). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int done;
static volatile unsigned long calls;

__attribute__((noinline)) long hot(long i) {
  __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
  return i;
}

static void *hitter(void *arg) {
  (void)arg;
  for (long i = 0; !done; i++) hot(i);
  return NULL;
}

static void *bystander(void *arg) {
  volatile unsigned long *count = arg;
  while (!done) (*count)++;
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int nthreads = argc > 1 ? atoi(argv[1]) : 1;
  double seconds = argc > 2 ? atof(argv[2]) : 3.0;
  if (nthreads < 1 || nthreads > 64) return 2;
  volatile unsigned long count = 0;
  pthread_t threads[65];
  pthread_create(&threads[0], NULL, bystander, (void *)&count);
  for (int i = 1; i <= nthreads; i++) pthread_create(&threads[i], NULL, hitter, NULL);
  double start = now();
  unsigned long first_calls = calls, first_count = count;
  usleep((useconds_t)(seconds * 1e6));
  double elapsed = now() - start;
  unsigned long last_calls = calls, last_count = count;
  done = 1;
  for (int i = 0; i <= nthreads; i++) pthread_join(threads[i], NULL);
  printf("hot %.0f\nbystander %.0f\n", (last_calls - first_calls) / elapsed, (last_count - first_count) / elapsed);
  return 0;
}
