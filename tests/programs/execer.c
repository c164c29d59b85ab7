/* execer PROGRAM [thread]: calls before_exec() and then runs PROGRAM (with no arguments) in
 * place of itself with execv, from the main thread or, with "thread", from a second thread
 * while the main one waits in pthread_join. For exec events: the debugger must follow into the
 * new program with fresh breakpoints, libraries and registers.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *program;

__attribute__((noinline)) void before_exec(void)
{
    fflush(stdout);                                     /* @before-exec */
}

static void *run_program(void *arg)
{
    (void)arg;
    before_exec();
    char *argv[] = {program, NULL};
    execv(program, argv);
    perror("execv");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: execer PROGRAM [thread]\n");
        return 2;
    }
    program = argv[1];
    printf("execer: running %s\n", program);
    if (argc > 2 && strcmp(argv[2], "thread") == 0) {
        pthread_t thread;
        pthread_create(&thread, NULL, run_program, NULL);
        pthread_join(thread, NULL);
        return 1;
    }
    run_program(NULL);
    return 1;
}
