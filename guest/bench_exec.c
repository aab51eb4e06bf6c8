/* bench_exec MODE N: N times start the static program bench_true (found next to argv[0]) and wait for it.
 *   fork   fork, the child execv()s bench_true, the parent waitpids
 *   spawn  posix_spawn + waitpid */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_exec fork|spawn N\n");
        return 2;
    }
    int spawn = strcmp(argv[1], "spawn") == 0;
    long n = strtol(argv[2], NULL, 0);
    char path[4096];
    const char *slash = strrchr(argv[0], '/');
    size_t dir = slash ? (size_t)(slash - argv[0]) + 1 : 0;
    if (dir + sizeof "bench_true" > sizeof path)
        return 2;
    memcpy(path, argv[0], dir);
    strcpy(path + dir, "bench_true");
    char *args[] = {path, NULL};
    long bad = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid;
        if (spawn) {
            int err = posix_spawn(&pid, path, NULL, NULL, args, environ);
            if (err == ENOSYS) { /* musl's posix_spawn needs pipe2 */
                printf("n/a (ENOSYS)\n");
                return 0;
            }
            if (err) {
                printf("FAIL posix_spawn %s: %d\n", path, err);
                return 1;
            }
        } else {
            pid = fork();
            if (pid == 0) {
                execv(path, args);
                _exit(127);
            }
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    printf(bad ? "FAIL %ld of %ld\n" : "done\n", bad, n);
    return bad ? 1 : 0;
}
