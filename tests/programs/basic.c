/* basic: the single-threaded inferior of the integration tests.
 *
 * Usage: basic [EXIT_CODE [crash]]
 * Exits with EXIT_CODE (default 0); with "crash" as second argument it dereferences NULL.
 *
 * Tests find line numbers through the "@name" markers in comments (harness.source_line),
 * so lines can move without breaking them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int counter;                          /* incremented by bump(), once per loop iteration */
char greeting[32] = "hello, xolstub";
unsigned char pattern[8192];          /* pattern[i] == (i * 7 + 3) & 0xff, for large reads */

__attribute__((noinline)) int add(int a, int b)
{
    int sum = a + b;                  /* @add-body */
    return sum;                       /* @add-return */
}

__attribute__((noinline)) void bump(void)
{
    counter++;                        /* @bump */
}

static void fill_pattern(void)
{
    for (int i = 0; i < (int)sizeof pattern; i++)
        pattern[i] = (unsigned char)(i * 7 + 3);
}

int main(int argc, char **argv)
{
    int exit_code = argc > 1 ? atoi(argv[1]) : 0;       /* @main-start */
    if (argc > 2 && strcmp(argv[2], "crash") == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;                                   /* @crash */
    }
    fill_pattern();
    int total = 0;
    for (int i = 0; i < 5; i++) {
        bump();                                         /* @loop-call */
        total += i;                                     /* @loop-after */
    }
    int result = add(2, 3);                             /* @call-add */
    printf("result = %d\n", result);                    /* @after-add */
    result = add(result, 10);                           /* @call-add-2 */
    printf("result2 = %d\n", result);
    printf("counter = %d total = %d greeting = %s pattern[100] = %d\n",
           counter, total, greeting, pattern[100]);     /* @report */
    return exit_code;
}
