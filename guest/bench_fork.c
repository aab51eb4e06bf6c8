/* bench_fork: argv[1] times (default 1000) fork; the child _exits at once; the parent waitpids for it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 1000L;
    long bad = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(7);
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
            bad++;
    }
    printf(bad ? "FAIL fork/wait\n" : "done\n");
    return bad ? 1 : 0;
}
