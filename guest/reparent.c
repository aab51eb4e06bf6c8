/*
 * reparent: orphans are reparented to the nearest child subreaper.
 *
 * S (this process) sets PR_SET_CHILD_SUBREAPER and forks C; C forks G and
 * exits.  S reaps C -- by then C's exit has reparented G -- and only then lets
 * G go on (a pipe), so G's getppid() must be S.  S then reaps G through
 * waitpid(-1): G became S's child.  No sleeps: every step is ordered by a pipe
 * or a wait.
 */
#include "guest.h"

#include <sys/prctl.h>
#include <unistd.h>

static int get_subreaper(void)
{
    int v = -1;
    if (prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&v, 0, 0, 0) != 0)
        return -2;
    return v;
}

int main(void)
{
    guest_line_buffered();

    CHECK(get_subreaper() == 0, "PR_GET_CHILD_SUBREAPER is 0 at start");
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "PR_SET_CHILD_SUBREAPER 1");
    CHECK(get_subreaper() == 1, "PR_GET_CHILD_SUBREAPER reads back 1");
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 7, 0, 0, 0) == 0 && get_subreaper() == 1,
          "any non-zero value sets it (reads back 1)");
    EXPECT_ERRNO(prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)8, 0, 0, 0), EFAULT,
                 "PR_GET_CHILD_SUBREAPER to a bad pointer");

    pid_t s_pid = getpid();
    int info[2] = {-1, -1}, go[2] = {-1, -1};
    pipe(info); /* C -> S: G's pid */
    pipe(go);   /* S -> G: C has been reaped */

    fflush(stdout);
    pid_t c_pid = fork();
    if (c_pid == 0) {
        /* C */
        guest_failures = 0; /* count only C's own checks */
        close(info[0]);
        close(go[1]);
        CHECK(get_subreaper() == 0, "C: the subreaper attribute is not inherited by fork");
        CHECK(getppid() == s_pid, "C: getppid() is S");
        pid_t my_pid = getpid();
        int gready[2] = {-1, -1};
        pipe(gready); /* G -> C: G has looked at its parent (C waits for it before exiting) */
        fflush(stdout);
        pid_t g_pid = fork();
        if (g_pid == 0) {
            /* G */
            char c;
            guest_failures = 0;
            close(info[1]);
            pid_t before = getppid();
            write(gready[1], "r", 1);
            ssize_t n = read(go[0], &c, 1);
            CHECK(before == my_pid, "G: getppid() was C before C exited");
            CHECK(n == 1, "G: S says C has been reaped");
            CHECK(getppid() == s_pid, "G: getppid() is the subreaper S after C exited");
            CHECK(getppid() != my_pid, "G: getppid() is no longer C");
            fflush(stdout);
            _exit(guest_failures ? 1 : 5);
        }
        char c;
        read(gready[0], &c, 1);
        write(info[1], &g_pid, sizeof g_pid);
        _exit(guest_failures ? 1 : 3);
    }
    close(info[1]);
    close(go[0]);

    pid_t g_pid = -1;
    CHECK(read(info[0], &g_pid, sizeof g_pid) == sizeof g_pid, "S: C reported G's pid");
    int st;
    CHECK(waitpid(c_pid, &st, 0) == c_pid, "S: reaped C");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "S: C %s", status_str(st));
    ssize_t wrote = write(go[1], "g", 1); /* G prints now: S prints only after reaping it */
    pid_t got = waitpid(-1, &st, 0);
    CHECK(wrote == 1, "S: told G to go on");
    CHECK(got == g_pid, "S: waitpid(-1) reaps the reparented grandchild");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "S: G %s", status_str(st));
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "S: no children left");

    /* Twice more, with a deeper tree: S -> C -> D -> E; C and D exit; E ends up with S. */
    int go2[2] = {-1, -1};
    pipe(go2);
    fflush(stdout);
    c_pid = fork();
    if (c_pid == 0) {
        close(go2[1]);
        pid_t d = fork();
        if (d == 0) {
            pid_t e = fork();
            if (e == 0) {
                char c;
                read(go2[0], &c, 1);
                printf("E: getppid() is S: %s\n", getppid() == s_pid ? "yes" : "no");
                fflush(stdout);
                _exit(7);
            }
            _exit(0);
        }
        int dst;
        waitpid(d, &dst, 0); /* D's exit reparented E to the nearest subreaper ancestor: S, not C */
        _exit(0);
    }
    close(go2[0]);
    CHECK(waitpid(c_pid, &st, 0) == c_pid, "S: reaped C of the deeper tree");
    write(go2[1], "g", 1);
    got = waitpid(-1, &st, 0);
    CHECK(got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7, "S: reaped the great-grandchild E (%s)",
          status_str(st));
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "S: no children left again");

    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) == 0 && get_subreaper() == 0,
          "PR_SET_CHILD_SUBREAPER 0 clears it");
    return guest_exit();
}
