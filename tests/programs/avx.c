/* avx: loads known values into vector registers, stops at a labelled point, then stores the
 * registers back to memory and prints them, so a test can both read the values in GDB and
 * check that values written by GDB reach the program.
 *
 * At `avx_loaded` (break *avx_loaded):
 *   ymm0.v8_int32  = {1, 2, 3, 4, 5, 6, 7, 8}
 *   ymm1.v4_int64  = {0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444}
 *   ymm15.v8_int32 = {-1, -2, -3, -4, -5, -6, -7, -8}
 * At `avx512_loaded` (only when the CPU has AVX-512F):
 *   zmm0.v16_int32  = {101, 102, ..., 116}
 *   zmm31.v16_int32 = {201, 202, ..., 216}
 *   k1 = 0xa5a5
 * Output: "ymm0 = ...", "ymm1 = ...", "ymm15 = ..." and either the zmm/k lines or
 * "avx512: not supported".
 */
#include <stdint.h>
#include <stdio.h>

int32_t ymm0_in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
int64_t ymm1_in[4] = {0x1111111111111111, 0x2222222222222222, 0x3333333333333333,
                      0x4444444444444444};
int32_t ymm15_in[8] = {-1, -2, -3, -4, -5, -6, -7, -8};
int32_t ymm0_out[8];
int64_t ymm1_out[4];
int32_t ymm15_out[8];

int32_t zmm0_in[16], zmm31_in[16], zmm0_out[16], zmm31_out[16];
uint16_t k1_in = 0xa5a5, k1_out;

__attribute__((noinline)) static void run_avx(void)
{
    __asm__ volatile(
        "vmovdqu %[in0], %%ymm0\n\t"
        "vmovdqu %[in1], %%ymm1\n\t"
        "vmovdqu %[in15], %%ymm15\n\t"
        ".globl avx_loaded\n"
        "avx_loaded:\n\t"
        "nop\n\t"
        "vmovdqu %%ymm0, %[out0]\n\t"
        "vmovdqu %%ymm1, %[out1]\n\t"
        "vmovdqu %%ymm15, %[out15]\n\t"
        "vzeroupper\n\t"
        : [out0] "=m"(ymm0_out), [out1] "=m"(ymm1_out), [out15] "=m"(ymm15_out)
        : [in0] "m"(ymm0_in), [in1] "m"(ymm1_in), [in15] "m"(ymm15_in)
        : "xmm0", "xmm1", "xmm15", "memory");
}

/* The assembler accepts AVX-512 whatever -march says; this only runs when the CPU has it. */
__attribute__((noinline)) static void run_avx512(void)
{
    __asm__ volatile(
        "vmovdqu32 %[in0], %%zmm0\n\t"
        "vmovdqu32 %[in31], %%zmm31\n\t"
        "kmovw %[kin], %%k1\n\t"
        ".globl avx512_loaded\n"
        "avx512_loaded:\n\t"
        "nop\n\t"
        "vmovdqu32 %%zmm0, %[out0]\n\t"
        "vmovdqu32 %%zmm31, %[out31]\n\t"
        "kmovw %%k1, %[kout]\n\t"
        "vzeroupper\n\t"
        : [out0] "=m"(zmm0_out), [out31] "=m"(zmm31_out), [kout] "=m"(k1_out)
        : [in0] "m"(zmm0_in), [in31] "m"(zmm31_in), [kin] "m"(k1_in)
        : "xmm0", "memory");
}

static void print_i32(const char *name, const int32_t *v, int n)
{
    printf("%s =", name);
    for (int i = 0; i < n; i++)
        printf(" %d", v[i]);
    printf("\n");
}

int main(void)
{
    run_avx();
    print_i32("ymm0", ymm0_out, 8);
    printf("ymm1 = %#llx %#llx %#llx %#llx\n", (unsigned long long)ymm1_out[0],
           (unsigned long long)ymm1_out[1], (unsigned long long)ymm1_out[2],
           (unsigned long long)ymm1_out[3]);
    print_i32("ymm15", ymm15_out, 8);

    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        for (int i = 0; i < 16; i++) {
            zmm0_in[i] = 101 + i;
            zmm31_in[i] = 201 + i;
        }
        run_avx512();
        print_i32("zmm0", zmm0_out, 16);
        print_i32("zmm31", zmm31_out, 16);
        printf("k1 = %#x\n", k1_out);
    } else {
        printf("avx512: not supported\n");
    }
    return 0;
}
