/* sample: a friendly first program to debug (see the README).
 *
 *   gcc -g -O0 sample.c -o sample
 *   xolstub --once 127.0.0.1:2345 ./sample &
 *   gdb ./sample -ex 'target remote 127.0.0.1:2345' -ex 'break fibonacci' -ex continue
 *
 * Prints the first ten Fibonacci numbers and their sum ("count = 10, sum = 143").
 */
#include <stdio.h>

struct stats {
    int count;
    long sum;
};

long fibonacci(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long next = a + b;                              /* @fib-loop */
        a = b;
        b = next;
    }
    return a;                                           /* @fib-return */
}

void record(struct stats *s, long value)
{
    s->count++;
    s->sum += value;                                    /* @record */
}

int main(void)
{
    struct stats s = {0, 0};
    for (int n = 1; n <= 10; n++) {
        long f = fibonacci(n);                          /* @call-fib */
        record(&s, f);
        printf("fibonacci(%d) = %ld\n", n, f);
    }
    printf("count = %d, sum = %ld\n", s.count, s.sum);  /* @report */
    return 0;
}
