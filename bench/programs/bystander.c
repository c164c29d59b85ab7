/* bystander: HITTERS threads (argv[2], default 1) each call hot() every 100 microseconds, where
 * the benchmark puts a breakpoint; another ("bystander") counts as fast as it can and never hits
 * one. After SECONDS seconds (argv[1], default 3) it prints "bystander N" (counts per second)
 * and "hits N" (calls of hot()), and exits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int done;
static volatile unsigned long hits;

__attribute__((noinline)) void hot(void) { __atomic_fetch_add(&hits, 1, __ATOMIC_RELAXED); }

static void *hitter(void *arg) {
  (void)arg;
  while (!done) {
    hot();
    usleep(100);
  }
  return NULL;
}

static void *bystander(void *arg) {
  volatile unsigned long *count = arg;
  while (!done) (*count)++;
  return NULL;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  int hitters = argc > 2 ? atoi(argv[2]) : 1;
  if (hitters < 1 || hitters > 64) return 2;
  volatile unsigned long count = 0;
  pthread_t threads[65];
  pthread_create(&threads[0], NULL, bystander, (void *)&count);
  for (int i = 1; i <= hitters; i++) pthread_create(&threads[i], NULL, hitter, NULL);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned long first = count;
  usleep((useconds_t)(seconds * 1e6));
  clock_gettime(CLOCK_MONOTONIC, &now);
  unsigned long last = count;
  done = 1;
  for (int i = 0; i <= hitters; i++) pthread_join(threads[i], NULL);
  double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
  printf("bystander %.0f\nhits %lu\n", (last - first) / elapsed, hits);
  return 0;
}
