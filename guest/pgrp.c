/*
 * pgrp: process groups and sessions.
 *
 * getpgid/setpgid/getpgrp/getsid/setsid and their errnos, waitpid(0) and
 * waitpid(-pgid), kill(-pgid).  How the guest itself was started (session
 * leader natively under the test harness, maybe not under the emulator) is
 * never printed: the checks that depend on being a leader run in children
 * whose position is known.
 */
#include "guest.h"

#include <unistd.h>

#define NO_SUCH_PID 0x3ffffff0

/* Run fn in a child and return its exit code (the child prints its own lines). */
static int in_child(int (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        guest_failures = 0; /* count only the child's own checks */
        int r = fn();
        fflush(stdout);
        _exit(r);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child_setsid(void)
{
    pid_t me = getpid();
    pid_t old_sid = getsid(0);
    CHECK(getpgrp() != me, "child: not a group leader after fork");
    pid_t sid = setsid();
    CHECK(sid == me, "child: setsid() returns its pid");
    CHECK(getsid(0) == me && getpgrp() == me, "child: now session and group leader");
    CHECK(getsid(0) != old_sid, "child: in a new session");
    EXPECT_ERRNO(setsid(), EPERM, "child: setsid() again (already a group leader)");
    EXPECT_ERRNO(setpgid(0, 0), EPERM, "child: setpgid as session leader");
    return guest_failures;
}

static int child_leader_setsid(void)
{
    pid_t me = getpid();
    CHECK(setpgid(0, 0) == 0, "child: setpgid(0, 0)");
    CHECK(getpgrp() == me, "child: its own group now");
    CHECK(setpgid(0, me) == 0, "child: setpgid(0, own pid) again is fine");
    EXPECT_ERRNO(setsid(), EPERM, "child: setsid() as group leader");
    return guest_failures;
}

int main(void)
{
    guest_line_buffered();
    pid_t me = getpid();
    pid_t pg = getpgrp();

    printf("-- queries\n");
    CHECK(getpgid(0) == pg, "getpgid(0) == getpgrp()");
    CHECK(getpgid(me) == pg, "getpgid(getpid()) == getpgrp()");
    CHECK(getsid(0) == getsid(me), "getsid(0) == getsid(getpid())");
    CHECK(getsid(0) > 0 && pg > 0, "positive pgid and sid");
    EXPECT_ERRNO(getpgid(NO_SUCH_PID), ESRCH, "getpgid of a pid nobody has");
    EXPECT_ERRNO(getsid(NO_SUCH_PID), ESRCH, "getsid of a pid nobody has");
    EXPECT_ERRNO(getpgid(-1), ESRCH, "getpgid(-1)");
    CHECK(getpgid(getppid()) > 0, "getpgid of the parent works");

    printf("-- setsid\n");
    CHECK(in_child(child_setsid) == 0, "setsid in a forked child");
    CHECK(in_child(child_leader_setsid) == 0, "setsid in a child that made itself a group leader");

    printf("-- setpgid errors\n");
    EXPECT_ERRNO(setpgid(NO_SUCH_PID, 0), ESRCH, "setpgid of a pid nobody has");
    EXPECT_ERRNO(setpgid(getppid(), 0), ESRCH, "setpgid of the parent (not a child)");
    EXPECT_ERRNO(setpgid(0, -1), EINVAL, "setpgid(0, -1)");
    EXPECT_ERRNO(setpgid(-5, 0), EINVAL, "setpgid(-5, 0)");

    printf("-- child in a new group\n");
    int go[2] = {-1, -1}, ready[2] = {-1, -1};
    pipe(go);
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(go[1]);
        close(ready[0]);
        int r = setpgid(0, 0); /* the parent does it too: whoever is first wins, same result */
        char ok = (r == 0 && getpgrp() == getpid()) ? 'y' : 'n';
        write(ready[1], &ok, 1);
        char ch;
        read(go[0], &ch, 1);
        _exit(9);
    }
    close(go[0]);
    close(ready[1]);
    CHECK(setpgid(c, c) == 0, "parent: setpgid(child, child)");
    char ok = 0;
    read(ready[0], &ok, 1);
    CHECK(ok == 'y', "child: setpgid(0, 0) made it a group leader");
    CHECK(getpgid(c) == c, "getpgid(child) == child");
    CHECK(getpgrp() == pg, "our own group is unchanged");
    CHECK(getsid(c) == getsid(0), "the child stays in our session");
    int st;
    EXPECT_ERRNO(waitpid(0, &st, WNOHANG), ECHILD, "waitpid(0): no child in our group");
    CHECK(waitpid(-c, &st, WNOHANG) == 0, "waitpid(-childgroup, WNOHANG) while it runs: 0");
    EXPECT_ERRNO(setpgid(c, NO_SUCH_PID), EPERM, "setpgid(child, group nobody has)");
    CHECK(setpgid(c, pg) == 0 && getpgid(c) == pg, "setpgid(child, our group) moves it back");
    CHECK(setpgid(c, c) == 0 && getpgid(c) == c, "and into its own group again");
    write(go[1], "x", 1);
    CHECK(waitpid(-c, &st, 0) == c && WEXITSTATUS(st) == 9, "waitpid(-childgroup) reaps it: %s", status_str(st));
    close(go[1]);
    close(ready[0]);

    printf("-- other sessions\n");
    pipe(go);
    pipe(ready);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        close(go[1]);
        close(ready[0]);
        char r = setsid() == getpid() ? 'y' : 'n';
        write(ready[1], &r, 1);
        char ch;
        read(go[0], &ch, 1);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    read(ready[0], &ok, 1);
    CHECK(ok == 'y', "child: setsid()");
    CHECK(getsid(c) == c, "getsid(child in another session) is its pid");
    CHECK(getpgid(c) == c, "getpgid(child in another session) is its pid");
    EXPECT_ERRNO(setpgid(c, c), EPERM, "setpgid of a child in another session");
    EXPECT_ERRNO(setpgid(0, c), EPERM, "joining a group of another session");
    write(go[1], "x", 1);
    waitpid(c, &st, 0);
    close(go[1]);
    close(ready[0]);

    printf("-- kill(-pgid)\n");
    /* Two children in one new group, a third outside it; kill the group. */
    int hold[2] = {-1, -1};
    pipe(hold);
    pid_t kids[3];
    fflush(stdout);
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            char ch;
            close(hold[1]);
            read(hold[0], &ch, 1);
            _exit(40 + i);
        }
    }
    close(hold[0]);
    CHECK(setpgid(kids[0], kids[0]) == 0, "first child leads a new group");
    CHECK(setpgid(kids[1], kids[0]) == 0, "second child joins it");
    CHECK(kill(-kids[0], SIGTERM) == 0, "kill(-group, SIGTERM)");
    int s0, s1;
    waitpid(kids[0], &s0, 0);
    waitpid(kids[1], &s1, 0);
    CHECK(WIFSIGNALED(s0) && WTERMSIG(s0) == SIGTERM, "group member 1: %s", status_str(s0));
    CHECK(WIFSIGNALED(s1) && WTERMSIG(s1) == SIGTERM, "group member 2: %s", status_str(s1));
    CHECK(waitpid(kids[2], &st, WNOHANG) == 0, "the child outside the group still runs");
    EXPECT_ERRNO(kill(-kids[0], 0), ESRCH, "the group is empty now");
    close(hold[1]);
    CHECK(waitpid(kids[2], &st, 0) == kids[2] && WEXITSTATUS(st) == 42, "it exits normally: %s", status_str(st));
    EXPECT_ERRNO(kill(-NO_SUCH_PID, 0), ESRCH, "kill of a group nobody has");
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "no children left");
    return guest_exit();
}
