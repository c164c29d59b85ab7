/* faulter: stores to address 0x1234 and so takes a SIGSEGV whose si_addr is 0x1234; its
 * SA_SIGINFO handler prints the si_addr it was given ("handler: si_addr=0x..."), and exits 0.
 * For $_siginfo: a debugger that changes si_addr before passing the signal changes what the
 * handler prints.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void handler(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    (void)context;
    printf("handler: si_addr=%p\n", info->si_addr);
    fflush(stdout);
    _exit(0);
}

int main(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &action, NULL);
    *(volatile int *)0x1234 = 1;                        /* @fault */
    return 1;
}
