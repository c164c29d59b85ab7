/* A store at a breakpoint to watched memory: the watchpoint fires while the stub runs the store
 * out of line (in a slot), and must be reported at the program's own next instruction. The
 * label marks the store for `break *store_site`. */
#include <stdio.h>

volatile long watched;

int main(void) {
  for (long i = 1; i <= 3; i++)
    __asm__ volatile(".globl store_site\n"
                     "store_site: movq %0, watched(%%rip)\n"
                     :
                     : "r"(i * 10)
                     : "memory");
  printf("watched = %ld\n", watched);
  return 0;
}
