/* calls: calls f() N times (argv[1], default 1000), where the benchmark puts a breakpoint that
 * GDB reports at every call. */
#include <stdlib.h>

static volatile long total;

__attribute__((noinline)) void f(long i) { total += i; }

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++) f(i);
  return 0;
}
