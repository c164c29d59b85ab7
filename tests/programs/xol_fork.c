/* fork and vfork children of a program with breakpoints. The parent calls hot() (a breakpoint
 * in the tests) before and after each child; the children call it too. A child must never meet
 * one of the stub's int3s untraced (it would die of SIGTRAP), and a fork child must not keep the
 * stub's XOL areas (anonymous executable mappings). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long counter;

__attribute__((noinline)) long hot(long x) {
  counter++;
  return x * 2 + 1;
}

/* Anonymous executable mappings other than the kernel's named ones ([vdso], [vsyscall]). */
static int anonymous_exec_mappings(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) return -1;
  char line[512];
  int count = 0;
  while (fgets(line, sizeof line, maps)) {
    char perms[8] = "";
    unsigned long inode = 1;
    char path[256] = "";
    if (sscanf(line, "%*x-%*x %7s %*x %*s %lu %255s", perms, &inode, path) < 2) continue;
    if (perms[2] == 'x' && inode == 0 && path[0] != '[') count++;
  }
  fclose(maps);
  return count;
}

static const char* describe(int status, char* buffer, size_t size) {
  if (WIFEXITED(status))
    snprintf(buffer, size, "exited %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buffer, size, "killed by %s", strsignal(WTERMSIG(status)));
  else
    snprintf(buffer, size, "status %#x", status);
  return buffer;
}

int main(void) {
  long sum = 0;
  char text[64];
  for (int i = 0; i < 10; i++) sum += hot(i);

  pid_t child = fork();
  if (child == 0) {
    long mine = 0;
    for (int i = 0; i < 10; i++) mine += hot(i);
    _exit(anonymous_exec_mappings() == 0 && mine == 100 ? 0 : 3);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("fork child: %s\n", describe(status, text, sizeof text));

  for (int i = 0; i < 10; i++) sum += hot(i);

  child = vfork();
  if (child == 0) {
    /* Shares the parent's memory, breakpoints included, until it execs. */
    hot(1);
    hot(2);
    execl("/bin/true", "true", (char*)NULL);
    _exit(4);
  }
  waitpid(child, &status, 0);
  printf("vfork child: %s\n", describe(status, text, sizeof text));

  for (int i = 0; i < 10; i++) sum += hot(i);
  printf("parent: sum = %ld\n", sum);
  return 0;
}
