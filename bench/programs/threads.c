/* threads: starts N threads (argv[1], default 1000) with small stacks that all block reading a
 * pipe nobody writes, prints "ready N", then answers every line on stdin with "alive" (so that
 * the benchmark can tell it still runs after a debugger detached) until stdin ends. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int blocker[2];

static void *wait_forever(void *unused) {
  char byte;
  (void)unused;
  while (read(blocker[0], &byte, 1) != 0) {
  }
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  pthread_attr_t attr;
  pthread_t thread;
  if (pipe(blocker) != 0) return perror("pipe"), 1;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);  // 1,000 threads in 64 MiB
  for (int i = 0; i < n; i++) {
    int error = pthread_create(&thread, &attr, wait_forever, NULL);
    if (error) return fprintf(stderr, "pthread_create %d: error %d\n", i, error), 1;
  }
  printf("ready %d\n", n);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    printf("alive\n");
    fflush(stdout);
  }
  return 0;
}
