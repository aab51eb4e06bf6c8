/* PR_SET_PDEATHSIG: a child is signalled when the thread that created it exits. */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

static int report[2];

static void on_usr1(int sig)
{
    (void)sig;
    char c = 'S';
    write(report[1], &c, 1);
    _exit(0);
}

int main(void)
{
    guest_line_buffered();
    pipe(report);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t middle = fork();
    if (middle == 0) {
        int ready[2];
        pipe(ready);
        pid_t leaf = fork();
        if (leaf == 0) {
            signal(SIGUSR1, on_usr1);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int got = 0;
            prctl(PR_GET_PDEATHSIG, &got);
            write(ready[1], got == SIGUSR1 ? "y" : "n", 1);
            for (;;)
                pause();
        }
        char c;
        read(ready[0], &c, 1);
        write(report[1], &c, 1);
        _exit(0); /* our death signals the leaf */
    }
    char c;
    CHECK(read(report[0], &c, 1) == 1 && c == 'y', "PR_GET_PDEATHSIG reads back SIGUSR1");
    CHECK(read(report[0], &c, 1) == 1 && c == 'S', "the leaf got SIGUSR1 when its parent exited");
    int st;
    CHECK(waitpid(middle, &st, 0) == middle && WIFEXITED(st), "the middle process exited");
    pid_t w = wait(&st);
    CHECK(w > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the subreaper reaped the leaf: %s", status_str(st));
    return guest_exit();
}
