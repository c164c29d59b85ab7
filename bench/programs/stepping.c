/* stepping: the benchmark steps in spin() with `stepi`, then `next`s over the one-line loop in
 * main, which GDB range-steps (vCont;r) where the server supports it. argv[1]: iterations of
 * that loop (default 100000). */
#include <stdlib.h>

static volatile long sum;

__attribute__((noinline)) void spin(long n) {
  for (long i = 0; i < n; i++) sum += i;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  spin(n * 10);
  for (long i = 0; i < n; i++) sum += i; /* next over this */
  return sum == 0;
}
