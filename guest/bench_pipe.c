/* bench_pipe: argv[1] round trips (default 10000) of a 1-byte message between two processes over two pipes
 * (parent writes, child reads and writes it back).  Natively both are pinned to one CPU.
 * If pipe() fails with ENOSYS (an emulator without pipes) it prints "n/a (ENOSYS)" and exits 0. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 10000L;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    int ping[2], pong[2];
    if (pipe(ping) != 0 || pipe(pong) != 0) {
        if (errno == ENOSYS) {
            printf("n/a (ENOSYS)\n");
            return 0;
        }
        printf("FAIL pipe: %d\n", errno);
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL fork\n");
        return 1;
    }
    char c = 'x';
    if (pid == 0) {
        close(ping[1]);
        close(pong[0]);
        for (long i = 0; i < n; i++) {
            if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
    long bad = 0;
    for (long i = 0; i < n; i++) {
        c = (char)i;
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1 || c != (char)i)
            bad++;
    }
    int st;
    waitpid(pid, &st, 0);
    int ok = !bad && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf(ok ? "done\n" : "FAIL pipe ping-pong\n");
    return ok ? 0 : 1;
}
