/* memory: fills a 64 MiB heap buffer with a known pattern and calls ready(), where the benchmark
 * stops it with a breakpoint and dumps the buffer through the server. The pattern repeats every
 * PERIOD bytes, a prime, so that a chunk read at the wrong offset shows, and its bytes are
 * pseudo-random, so that the packets' run-length encoding does not shrink the transfer. The
 * benchmark computes the same pattern (bench/case_memory.py keeps the two in step). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZE (64u << 20)
#define PERIOD 4093u

unsigned char *buffer;

__attribute__((noinline)) void ready(void) { __asm__ volatile("" ::: "memory"); }

int main(void) {
  unsigned char block[PERIOD];
  uint32_t state = 12345;
  for (unsigned i = 0; i < PERIOD; i++) {
    state = state * 1664525u + 1013904223u;
    block[i] = state >> 24;
  }
  buffer = malloc(SIZE);
  if (!buffer) return perror("malloc"), 1;
  for (unsigned i = 0; i < SIZE; i++) buffer[i] = block[i % PERIOD];
  ready();
  return buffer[SIZE - 1] == 0x5a;
}
