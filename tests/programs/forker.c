/* forker [vfork]: calls hot() three times, then fork()s (or vfork()s); the child calls hot() five
 * times with x >= 100 and exits with status 7 (a vfork child exec's /bin/true instead, which
 * exits 0). The parent calls after_fork(), waits for it, prints how it ended, calls hot() twice more and prints
 * "parent done". For fork events: a detached child, or a detached parent, must never meet one of
 * the stub's int3s (it would die of SIGTRAP), and breakpoints in the one followed keep working.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long counter;

__attribute__((noinline)) long hot(long x) {
  counter++;
  return x * 2 + 1;
}

/* The parent's first line after the fork, before it waits for the child. */
__attribute__((noinline)) void after_fork(void) { fflush(stdout); }

static void report(int status) {
  if (WIFEXITED(status))
    printf("child exited %d\n", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    printf("child killed by %s\n", strsignal(WTERMSIG(status)));
  fflush(stdout);
}

int main(int argc, char** argv) {
  int use_vfork = argc > 1 && strcmp(argv[1], "vfork") == 0;
  for (int i = 0; i < 3; i++) hot(i);
  fflush(stdout);
  pid_t child = use_vfork ? vfork() : fork();
  if (child == 0) {
    if (use_vfork) {
      execl("/bin/true", "true", (char*)NULL);
      _exit(127);
    }
    for (int i = 0; i < 5; i++) hot(100 + i);
    _exit(7);
  }
  after_fork();
  int status = 0;
  waitpid(child, &status, 0);
  report(status);
  for (int i = 0; i < 2; i++) hot(10 + i);
  printf("parent done, counter = %ld\n", counter);
  return 0;
}
