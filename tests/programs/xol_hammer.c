/* XOL under load: 8 threads call hot() and the RIP-relative loads below many times each, so
 * breakpoints on them are passed by several threads at once. The output is a checksum of
 * everything the instructions computed; it must be the same with and without a debugger. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 8
#define CALLS 100

static volatile long counter;
static uint64_t data[8] __attribute__((aligned(64))) = {
    0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull, 0x4444444444444444ull,
    0x5555555555555555ull, 0x6666666666666666ull, 0x7777777777777777ull, 0x8888888888888888ull};

__attribute__((noinline)) long hot(long x) {
  __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  return x * 3 + 1;
}

/* The encodings GDB 13.1's displaced stepping gets wrong: VEX and EVEX RIP-relative loads,
 * and lea of a RIP-relative address. Each label is a breakpoint address for the tests. */
__attribute__((noinline)) uint64_t rip_relative_loads(void) {
  uint64_t vex, evex, sse, address;
  __asm__ volatile(
      ".globl xol_vex_load\n"
      "xol_vex_load: vmovdqu data(%%rip), %%ymm1\n"
      "vmovq %%xmm1, %0\n"
      ".globl xol_sse_load\n"
      "xol_sse_load: movdqu data+16(%%rip), %%xmm4\n"
      "movq %%xmm4, %1\n"
      ".globl xol_lea\n"
      "xol_lea: lea data(%%rip), %2\n"
      "vzeroupper\n"
      : "=r"(vex), "=r"(sse), "=r"(address)
      :
      : "xmm1", "xmm4", "memory");
  /* Only where the CPU has AVX-512 (the tests leave this breakpoint out elsewhere). */
  evex = 0;
  if (__builtin_cpu_supports("avx512f"))
    __asm__ volatile(
        ".globl xol_evex_load\n"
        "xol_evex_load: vmovdqu64 data(%%rip), %%zmm2\n"
        "vextracti64x2 $1, %%zmm2, %%xmm3\n"
        "vmovq %%xmm3, %0\n"
        "vzeroupper\n"
        : "=r"(evex)
        :
        : "xmm2", "xmm3", "memory");
  return vex ^ (evex << 1) ^ (sse << 2) ^ (address == (uint64_t)data ? 0x99 : 0x55);
}

static void* worker(void* arg) {
  long id = (long)arg, sum = 0;
  uint64_t loads = 0;
  for (long i = 0; i < CALLS; i++) {
    sum += hot(id * 1000 + i); /* @loop */
    loads += rip_relative_loads();
  }
  return (void*)(uintptr_t)(sum ^ (long)loads);
}

int main(void) {
  pthread_t threads[NTHREADS];
  for (long i = 0; i < NTHREADS; i++) pthread_create(&threads[i], NULL, worker, (void*)i);
  unsigned long checksum = 0;
  for (long i = 0; i < NTHREADS; i++) {
    void* result;
    pthread_join(threads[i], &result);
    checksum = checksum * 31 + (uintptr_t)result;
  }
  printf("calls = %ld checksum = %lx\n", counter, checksum); /* @report */
  return 0;
}
