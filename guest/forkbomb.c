/*
 * forkbomb: fork until fork fails, then clean up and survive.
 *
 * NEVER run natively: root is exempt from RLIMIT_NPROC, so on the host this
 * would fill the pid space.  Under emukernel the task limit (512) stops it.
 * Each child blocks in pause() until it is killed; the parent prints the
 * errno name of the failing fork, kills and reaps every child, and prints
 * "survived".
 */
#include "guest.h"

#include <unistd.h>

#define MAX_CHILDREN 4096

static pid_t kids[MAX_CHILDREN];

int main(void)
{
    guest_line_buffered();
    int n = 0, err = 0;
    while (n < MAX_CHILDREN) {
        pid_t pid = fork();
        if (pid == 0) {
            for (;;)
                pause();
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        kids[n++] = pid;
    }
    printf("fork failed with %s after %s\n", errno_name(err), n >= 100 ? "at least 100 children" : "too few children");
    int killed = 0, reaped = 0, by_sigkill = 0;
    for (int i = 0; i < n; i++)
        killed += kill(kids[i], SIGKILL) == 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) == kids[i]) {
            reaped++;
            by_sigkill += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        }
    }
    CHECK(killed == n, "killed every child");
    CHECK(reaped == n, "reaped every child");
    CHECK(by_sigkill == n, "each one killed by SIGKILL");
    int st;
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "no children left");
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork works again afterwards");
    printf("survived\n");
    return guest_exit();
}
