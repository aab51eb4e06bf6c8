/*
 * pidns: pid namespaces made with clone(CLONE_NEWPID), unshare(CLONE_NEWPID) and setns().
 *
 * Needs root (CAP_SYS_ADMIN).  Numbers inside a fresh namespace are deterministic (1, 2, 3...), so they
 * are printed; numbers in the starting namespace never are.  Every part runs in a forked child of main,
 * so main's own namespace never changes.  Children made with the raw clone syscall only use fork, wait,
 * printf and _exit (no libc thread state).
 */
#include "guest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#ifndef CLONE_NEWUTS
#define CLONE_NEWUTS 0x04000000
#endif

/* fork-like clone with extra flags; with CLONE_PIDFD the pidfd lands in *pidfd */
static pid_t raw_clone(unsigned long flags, int *pidfd)
{
    fflush(stdout);
    pid_t r = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0L, pidfd, 0L, 0L);
    if (r == 0)
        guest_failures = 0;  /* a child counts its own failures */
    return r;
}

/* reap pid and expect its own checks to have passed */
static void expect_ok(pid_t pid, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    if (got != pid) {
        guest_failures++;
        printf("FAIL %s: waitpid: %s\n", what, errno_name(errno));
        return;
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (%s)", what, status_str(st));
}

static void expect_status(pid_t pid, const char *want, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    const char *s = got == pid ? status_str(st) : errno_name(errno);
    CHECK(got == pid && strcmp(s, want) == 0, "%s: %s", what, s);
}

/* ----------------------------------------------------------------------------------------- basics */

static volatile sig_atomic_t got_term, got_usr1;
static void on_term(int sig) { (void)sig; got_term++; }
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static int pending(int sig)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

/* A child that sends sig to pid 1 of its namespace; kill() must return 0 even when init ignores it. */
static void child_kills_init(int sig, const char *what)
{
    pid_t k = guest_fork();
    if (k == 0) {
        CHECK_EQ(kill(1, sig), 0, what);
        guest_child_exit();
    }
    expect_ok(k, "signalling child done");
}

static pid_t outer_parent; /* the init's parent, numbered outside */

static void init_body(void)
{
    CHECK_EQ(getpid(), 1, "init: getpid() is 1");
    if (outer_parent != 1) /* no other pid exists in here yet */
        EXPECT_ERRNO(kill(outer_parent, 0), ESRCH, "init: kill(the parent's outside number, 0)");
    else
        printf("ok init: kill(the parent's outside number, 0) -> ESRCH\n");
    CHECK_EQ(getppid(), 0, "init: getppid() is 0 (the parent is outside)");
    CHECK_EQ(getpgrp(), 0, "init: getpgrp() is 0 (the group is outside)");
    CHECK_EQ(getsid(0), 0, "init: getsid(0) is 0 (the session is outside)");
    CHECK_EQ(setsid(), 1, "init: setsid() makes session 1");
    CHECK_EQ(getpgrp(), 1, "init: now in process group 1");

    pid_t k = guest_fork();
    if (k == 0) {
        CHECK_EQ(getpid(), 2, "first child: getpid() is 2");
        CHECK_EQ(getppid(), 1, "first child: getppid() is 1");
        CHECK_EQ(getpgrp(), 1, "first child: in group 1");
        CHECK_EQ(kill(1, 0), 0, "first child: kill(1, 0) finds init");
        guest_child_exit();
    }
    pid_t k_seen = k; /* checked after the child is done, so the transcript order does not race */
    expect_ok(k, "init: first child checks");
    CHECK_EQ(k_seen, 2, "init: fork returns 2");

    /* an orphan is reparented to the namespace's init, not to anything outside */
    int go[2];
    if (pipe(go))
        printf("FAIL pipe\n");
    pid_t a = guest_fork();
    if (a == 0) {
        pid_t b = guest_fork();
        if (b == 0) {
            char x;
            close(go[1]);
            CHECK_EQ(read(go[0], &x, 1), 1, "grandchild: released after its parent died");
            CHECK_EQ(getppid(), 1, "orphan: getppid() is 1 (the namespace's init)");
            guest_child_exit();
        }
        CHECK_EQ(b, 4, "child 3: its child is 4");
        guest_child_exit();
    }
    close(go[0]);
    expect_ok(a, "init: child 3 exited"); /* before the check: child 3 prints "its child is 4" meanwhile */
    CHECK_EQ(a, 3, "init: second fork returns 3");
    if (write(go[1], "x", 1) != 1)
        printf("FAIL write\n");
    close(go[1]);
    int st;
    CHECK_EQ(waitpid(-1, &st, 0), 4, "init: reaps the orphan 4");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "orphan's checks (%s)", status_str(st));
    CHECK_EQ(waitpid(-1, &st, WNOHANG), -1, "init: no children left");

    /* signals from inside: the init ignores those it has no handler for, even SIGKILL */
    child_kills_init(SIGKILL, "kill(1, SIGKILL) from inside returns 0");
    printf("ok init survived SIGKILL from inside\n");
    child_kills_init(SIGTERM, "kill(1, SIGTERM) from inside returns 0");
    printf("ok init survived SIGTERM (no handler) from inside\n");
    CHECK(!pending(SIGTERM), "SIGTERM was dropped, not queued");
    child_kills_init(SIGUSR1, "kill(1, SIGUSR1) from inside returns 0");
    printf("ok init survived SIGUSR1 (no handler) from inside\n");

    /* a blocked signal is queued even though init has no handler; unblocked with a handler it runs */
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGTERM);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    child_kills_init(SIGTERM, "kill(1, SIGTERM) while blocked returns 0");
    child_kills_init(SIGUSR2, "kill(1, SIGUSR2) while blocked returns 0");
    CHECK(pending(SIGTERM), "a blocked SIGTERM is pending for init");
    CHECK(pending(SIGUSR2), "a blocked SIGUSR2 is pending for init");
    signal(SIGTERM, on_term);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    CHECK_EQ(got_term, 1, "unblocked, the SIGTERM ran the handler installed meanwhile");
    CHECK(!pending(SIGUSR2), "unblocked with no handler, SIGUSR2 is discarded");
    printf("ok init survived its SIGUSR2\n");

    /* with a handler, a signal from inside is delivered */
    signal(SIGUSR1, on_usr1);
    child_kills_init(SIGUSR1, "kill(1, SIGUSR1) with a handler returns 0");
    CHECK_EQ(got_usr1, 1, "the SIGUSR1 handler ran in init");
    signal(SIGTERM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);

    /* kill(-1) from inside reaches every process but init and the sender */
    int r[2];
    if (pipe(r))
        printf("FAIL pipe\n");
    pid_t v = guest_fork();
    if (v == 0) {
        close(r[0]);
        if (write(r[1], "r", 1) != 1)
            printf("FAIL write\n");
        for (;;)
            pause();
    }
    close(r[1]);
    char x;
    CHECK_EQ(read(r[0], &x, 1), 1, "init: victim ready");
    close(r[0]);
    pid_t s = guest_fork();
    if (s == 0) {
        CHECK_EQ(kill(-1, SIGTERM), 0, "kill(-1, SIGTERM) from inside returns 0");
        guest_child_exit();
    }
    expect_ok(s, "kill(-1) sender done");
    expect_status(v, "killed by SIGTERM", "kill(-1) killed the other member");
    printf("ok init survived kill(-1)\n");
}

static void part_clone_newpid(void)
{
    printf("-- clone(CLONE_NEWPID)\n");
    pid_t me = getpid();
    outer_parent = me;
    int go[2];
    if (pipe(go))
        printf("FAIL pipe\n");
    pid_t c = raw_clone(CLONE_NEWPID, NULL);
    if (c == 0) {
        char x;
        close(go[1]);
        if (read(go[0], &x, 1) != 1)
            printf("FAIL read\n");
        close(go[0]);
        init_body();
        guest_child_exit();
    }
    close(go[0]);
    CHECK(c > 1 && c != me, "parent: the init has another number outside");
    CHECK_EQ(kill(c, 0), 0, "parent: kill(init, 0) with the outside number");
    if (write(go[1], "x", 1) != 1)
        printf("FAIL write\n");
    close(go[1]);
    expect_ok(c, "parent: the init's checks");
}

/* ---------------------------------------------------------------------------------- unshare + fork */

static void part_unshare(void)
{
    printf("-- unshare(CLONE_NEWPID)\n");
    pid_t p = guest_fork();
    if (p == 0) {
        pid_t me = getpid();
        CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID)");
        CHECK_EQ(getpid(), me, "the caller keeps its pid");
        EXPECT_ERRNO(unshare(CLONE_NEWPID), EINVAL, "a second unshare(CLONE_NEWPID)");
        EXPECT_ERRNO(raw_clone(CLONE_NEWPID, NULL), EINVAL, "clone(CLONE_NEWPID) after unshare");
        CHECK_EQ(unshare(0), 0, "unshare(0)");
        pid_t c = guest_fork();
        if (c == 0) {
            CHECK_EQ(getpid(), 1, "first child after unshare: getpid() is 1");
            CHECK_EQ(getppid(), 0, "first child after unshare: getppid() is 0");
            pid_t g = guest_fork();
            if (g == 0) {
                CHECK_EQ(getpid(), 2, "its child is 2");
                CHECK_EQ(getppid(), 1, "its child's parent is 1");
                guest_child_exit();
            }
            expect_ok(g, "init's child");
            guest_child_exit();
        }
        expect_ok(c, "the new namespace's init");
        CHECK(c > 1 && c != me, "fork returns the outside number");
        EXPECT_ERRNO(unshare(CLONE_NEWPID), EINVAL, "unshare(CLONE_NEWPID) again after the fork");
        /* its init has exited: the namespace is dead and takes no new process */
        EXPECT_ERRNO(guest_fork(), ENOMEM, "fork after the namespace's init exited");
        guest_child_exit();
    }
    expect_ok(p, "unshare part");
}

/* ------------------------------------------------------------------- unshare of the other resources */

static void *thread_idle(void *arg)
{
    int fd = *(int *)arg;
    char x;
    if (read(fd, &x, 1) < 0)
        printf("FAIL read\n");
    return NULL;
}

static void part_unshare_other(void)
{
    printf("-- unshare(CLONE_FILES / CLONE_FS / CLONE_VM ...)\n");
    pid_t p = guest_fork();
    if (p != 0) {
        expect_ok(p, "unshare of other resources");
        return;
    }
    EXPECT_ERRNO(unshare(0x1), EINVAL, "unshare(an exit-signal bit)");
    EXPECT_ERRNO(unshare(CLONE_PIDFD), EINVAL, "unshare(CLONE_PIDFD)");
    CHECK_EQ(unshare(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_FILES | CLONE_FS | CLONE_SYSVSEM), 0,
             "unshare of everything already private, single-threaded");

    /* a child sharing our fd table: its close is ours until it unshares */
    int a[2], done[2];
    if (pipe(a) || pipe(done))
        printf("FAIL pipe\n");
    pid_t c = raw_clone(CLONE_FILES, NULL);
    if (c == 0) {
        close(a[0]);  /* shared table: closes the parent's fd too */
        CHECK_EQ(unshare(CLONE_FILES), 0, "child: unshare(CLONE_FILES)");
        close(a[1]);  /* private table now: the parent keeps its a[1] */
        int d = dup(done[1]);
        CHECK(d >= 0, "child: dup after unsharing");
        guest_child_exit();
    }
    expect_ok(c, "CLONE_FILES child");
    CHECK(fcntl(a[0], F_GETFD) == -1 && errno == EBADF, "the shared close closed our a[0]");
    CHECK(fcntl(a[1], F_GETFD) == 0, "the close after unshare left our a[1] open");
    int probe = dup(0);
    CHECK(probe == a[0], "the child's dup did not land in our table (next free fd is a[0]'s)");
    close(probe);
    close(a[1]);
    close(done[0]);
    close(done[1]);

    /* a child sharing our cwd: its chdir is ours until it unshares */
    char cwd[256];
    CHECK_EQ(chdir("/"), 0, "chdir(/)");
    c = raw_clone(CLONE_FS, NULL);
    if (c == 0) {
        CHECK_EQ(unshare(CLONE_FS), 0, "child: unshare(CLONE_FS)");
        CHECK_EQ(chdir("/dev"), 0, "child: chdir(/dev)");
        guest_child_exit();
    }
    expect_ok(c, "CLONE_FS child");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "the unshared child's chdir left our cwd alone");
    c = raw_clone(CLONE_FS, NULL);
    if (c == 0) {
        CHECK_EQ(chdir("/dev"), 0, "sharing child: chdir(/dev)");
        guest_child_exit();
    }
    expect_ok(c, "CLONE_FS child 2");
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/dev") == 0, "a sharing child's chdir moved us");

    /* a vfork child shares our mm: it cannot unshare it */
    fflush(stdout);
    pid_t v = vfork();
    if (v == 0) {
        long r = syscall(SYS_unshare, CLONE_VM);
        _exit(r == -1 && errno == EINVAL ? 0 : 1);
    }
    expect_ok(v, "vfork child: unshare(CLONE_VM) -> EINVAL");

    /* with a second thread, CLONE_THREAD / CLONE_SIGHAND / CLONE_VM cannot be unshared */
    int t[2];
    if (pipe(t))
        printf("FAIL pipe\n");
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, thread_idle, &t[0]), 0, "pthread_create");
    EXPECT_ERRNO(unshare(CLONE_THREAD), EINVAL, "unshare(CLONE_THREAD), two threads");
    EXPECT_ERRNO(unshare(CLONE_SIGHAND), EINVAL, "unshare(CLONE_SIGHAND), two threads");
    EXPECT_ERRNO(unshare(CLONE_VM), EINVAL, "unshare(CLONE_VM), two threads");
    CHECK_EQ(unshare(CLONE_FILES | CLONE_FS), 0, "unshare(CLONE_FILES | CLONE_FS), two threads");
    CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID), two threads");
    pthread_t th2;
    int rc = pthread_create(&th2, NULL, thread_idle, &t[0]);  /* clone's EINVAL: musl says EAGAIN */
    CHECK(rc == EINVAL || rc == EAGAIN, "pthread_create after unshare(CLONE_NEWPID) fails");
    if (rc == 0)
        pthread_join(th2, NULL);
    if (write(t[1], "x", 1) != 1)
        printf("FAIL write\n");
    pthread_join(th, NULL);
    guest_child_exit();
}

/* ------------------------------------------------------------------------------- namespace death */

static void part_death(void)
{
    printf("-- the init's death kills the namespace\n");
    int ready[2], hold[2], go[2];
    if (pipe(ready) || pipe(hold) || pipe(go))
        printf("FAIL pipe\n");
    int pidfd = -1;
    pid_t init = raw_clone(CLONE_NEWPID | CLONE_PIDFD, &pidfd);
    if (init == 0) {
        close(ready[0]);
        close(hold[0]);
        close(go[1]);
        /* members: one child, one grandchild, one in a nested namespace; all hold hold[1] */
        for (int i = 0; i < 3; i++) {
            pid_t m = i == 2 ? raw_clone(CLONE_NEWPID, NULL) : guest_fork();
            if (m == 0) {
                if (i == 1 && guest_fork() == 0) {
                    if (write(ready[1], "g", 1) != 1)
                        printf("FAIL write\n");
                    for (;;)
                        pause();
                }
                if (write(ready[1], "m", 1) != 1)
                    printf("FAIL write\n");
                for (;;)
                    pause();
            }
        }
        close(hold[1]);
        close(ready[1]);
        char x;
        CHECK_EQ(read(go[0], &x, 1), 1, "init: told to exit");
        fflush(stdout);
        _exit(7);
    }
    close(ready[1]);
    close(hold[1]);
    close(go[0]);
    CHECK(pidfd >= 0, "parent: CLONE_PIDFD gave a pidfd for the init");
    char buf[8];
    int n = 0;
    while (n < 4) {
        ssize_t got = read(ready[0], buf, 1);
        if (got != 1)
            break;
        n++;
    }
    CHECK_EQ(n, 4, "parent: four members ready");

    /* a member whose parent is outside: setns into the namespace, then fork */
    pid_t out = guest_fork();
    if (out == 0) {
        CHECK_EQ(setns(pidfd, CLONE_NEWPID), 0, "setns(pidfd of the init, CLONE_NEWPID)");
        int chk[2];
        if (pipe(chk))
            printf("FAIL pipe\n");
        pid_t c = guest_fork();
        if (c == 0) {
            CHECK_EQ(getppid(), 0, "setns child: its parent is outside (getppid() 0)");
            CHECK(getpid() > 1, "setns child: a number in the namespace");
            CHECK_EQ(kill(1, 0), 0, "setns child: sees the namespace's init as 1");
            if (write(chk[1], "c", 1) != 1)
                printf("FAIL write\n");
            for (;;)
                pause();
        }
        char y;
        if (read(chk[0], &y, 1) != 1)
            printf("FAIL read\n");
        CHECK(c > 1, "setns parent: fork returns its own view of the child");
        EXPECT_ERRNO(unshare(CLONE_NEWPID), EINVAL, "unshare(CLONE_NEWPID) after setns to another namespace");
        /* tell the init to exit, then watch */
        if (write(go[1], "x", 1) != 1)
            printf("FAIL write\n");
        siginfo_t si;
        memset(&si, 0, sizeof si);
        CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, "setns child died");
        CHECK(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "setns child: killed by SIGKILL");
        expect_status(c, "killed by SIGKILL", "setns child reaped");
        EXPECT_ERRNO(guest_fork(), ENOMEM, "fork into the dead namespace");
        guest_child_exit();
    }
    close(go[1]);
    /* every member held hold[1]: EOF once all of them are gone */
    ssize_t e = read(hold[0], buf, 1);
    expect_ok(out, "setns part");
    CHECK_EQ(e, 0, "parent: every member died (EOF on their pipe)");
    expect_status(init, "exit 7", "parent: the init's own exit status");
    close(hold[0]);
    close(ready[0]);
    close(pidfd);
}

/* ----------------------------------------------------------- an init that exits from another thread */

static void *exit_group_3(void *arg)
{
    (void)arg;
    fflush(stdout);
    exit(3);
}

static void *orphan_maker(void *arg)
{
    /* a thread of the init forks 2, which forks 3 and exits: 3's new parent is the init's group */
    int *go = arg;
    pid_t a = guest_fork();
    if (a == 0) {
        pid_t b = guest_fork();
        if (b == 0) {
            char x;
            close(go[1]);
            if (read(go[0], &x, 1) != 1)
                printf("FAIL read\n");
            CHECK_EQ(getppid(), 1, "orphan of a thread's child: getppid() is 1");
            guest_child_exit();
        }
        guest_child_exit();
    }
    expect_ok(a, "thread's child");
    return NULL;
}

static void part_threaded_init(void)
{
    printf("-- an init with threads\n");
    pid_t p = guest_fork();
    if (p != 0) {
        expect_ok(p, "threaded init part");
        return;
    }
    int hold[2];
    if (pipe(hold))
        printf("FAIL pipe\n");
    CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID)");
    pid_t init = guest_fork();
    if (init == 0) {
        pid_t m = guest_fork();
        if (m == 0) {
            close(hold[0]);
            for (;;)
                pause();
        }
        close(hold[1]);
        int go[2];
        if (pipe(go))
            printf("FAIL pipe\n");
        pthread_t t;
        pthread_create(&t, NULL, orphan_maker, go);
        pthread_join(t, NULL);
        if (write(go[1], "x", 1) != 1)
            printf("FAIL write\n");
        int st;
        CHECK_EQ(waitpid(-1, &st, 0) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, 1, "init reaped the orphan");
        /* exit_group from a thread that is not the leader: the namespace dies all the same */
        pthread_create(&t, NULL, exit_group_3, NULL);
        for (;;)
            pause();
    }
    close(hold[1]);
    char x;
    CHECK_EQ(read(hold[0], &x, 1), 0, "the member died with the init (EOF)");
    int st;
    CHECK(waitpid(init, &st, 0) == init && WIFEXITED(st) && WEXITSTATUS(st) == 3, "the init: %s",
          status_str(st));
    guest_child_exit();
}

/* --------------------------------------------------------------------- init waits for its zombies */

static void zombie_wait(void)
{
    int go[2], ready[2];
    if (pipe(go) || pipe(ready))
        printf("FAIL pipe\n");
    int pidfd = -1;
    pid_t init = raw_clone(CLONE_NEWPID | CLONE_PIDFD, &pidfd);
    if (init == 0) {
        char x;
        close(go[1]);
        if (read(go[0], &x, 1) != 1)
            printf("FAIL read\n");
        fflush(stdout);
        _exit(5);
    }
    close(go[0]);
    CHECK_EQ(setns(pidfd, CLONE_NEWPID), 0, "setns into the child's namespace");
    pid_t c = guest_fork();
    if (c == 0) {
        close(ready[0]);
        CHECK_EQ(getpid(), 2, "setns child: pid 2 in the namespace");
        if (write(ready[1], "r", 1) != 1)
            printf("FAIL write\n");
        for (;;)
            pause();
    }
    close(ready[1]);
    char x;
    CHECK_EQ(read(ready[0], &x, 1), 1, "setns child ready");
    if (write(go[1], "x", 1) != 1)
        printf("FAIL write\n");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0, "setns child killed");
    int st;
    CHECK_EQ(waitpid(init, &st, WNOHANG), 0, "the init is not waitable while its member is a zombie");
    expect_status(c, "killed by SIGKILL", "the member reaped");
    expect_status(init, "exit 5", "then the init is reaped");
    close(pidfd);
    close(go[1]);
    close(ready[0]);
}

static void part_zombie_wait(void)
{
    printf("-- the init is not reaped before the namespace's zombies\n");
    pid_t p = guest_fork();
    if (p == 0) {
        zombie_wait();
        guest_child_exit();
    }
    expect_ok(p, "zombie part");
}

/* ------------------------------------------------------------------------------------ signals from outside */

static void part_outside_signals(void)
{
    printf("-- signals to the init from outside\n");
    int ready[2];
    if (pipe(ready))
        printf("FAIL pipe\n");
    pid_t init = raw_clone(CLONE_NEWPID, NULL);
    if (init == 0) {
        close(ready[0]);
        if (write(ready[1], "r", 1) != 1)
            printf("FAIL write\n");
        for (;;)
            pause();
    }
    close(ready[1]);
    char x;
    CHECK_EQ(read(ready[0], &x, 1), 1, "init ready");
    close(ready[0]);
    CHECK_EQ(kill(init, SIGTERM), 0, "kill(init, SIGTERM) from outside");
    CHECK_EQ(kill(init, SIGUSR1), 0, "kill(init, SIGUSR1) from outside");
    CHECK_EQ(kill(init, SIGKILL), 0, "kill(init, SIGKILL) from outside");
    expect_status(init, "killed by SIGKILL", "only SIGKILL from outside kills the init");
}

/* ------------------------------------------------------------------------------------------- nesting */

static void nest(int depth, int want)
{
    /* runs as init of level depth (relative): 1 inside, 0 as parent */
    CHECK_EQ(getpid(), 1, depth == 1 ? "level 1: getpid() 1" : depth == 2 ? "level 2: getpid() 1" : "level 3: getpid() 1");
    CHECK_EQ(getppid(), 0, "nested init: getppid() 0");
    if (depth == want) {
        pid_t k = guest_fork();
        if (k == 0) {
            CHECK_EQ(getpid(), 2, "innermost child: getpid() 2");
            CHECK_EQ(getppid(), 1, "innermost child: getppid() 1");
            guest_child_exit();
        }
        expect_ok(k, "innermost child");
        return;
    }
    pid_t other = guest_fork();  /* pid 2 at this level, so the next init is 3 here */
    if (other == 0) {
        pause();
        _exit(0);
    }
    pid_t c = raw_clone(CLONE_NEWPID, NULL);
    if (c == 0) {
        nest(depth + 1, want);
        guest_child_exit();
    }
    expect_ok(c, "nested init");
    printf("level %d saw its nested init as %d\n", depth, (int)c);
    kill(other, SIGKILL);
    expect_status(other, "killed by SIGKILL", "helper");
}

static void part_nesting(void)
{
    printf("-- three nested namespaces\n");
    pid_t c = raw_clone(CLONE_NEWPID, NULL);
    if (c == 0) {
        nest(1, 3);
        guest_child_exit();
    }
    expect_ok(c, "three levels");
}

/* Nest until clone(CLONE_NEWPID) fails; exit status: the number of levels made below this one. */
static int deepen(void)
{
    pid_t c = raw_clone(CLONE_NEWPID, NULL);
    if (c < 0) {
        printf("clone(CLONE_NEWPID) fails: %s\n", errno_name(errno));
        EXPECT_ERRNO(unshare(CLONE_NEWPID), ENOSPC, "unshare(CLONE_NEWPID) at the deepest level");
        return 0;
    }
    if (c == 0) {
        int n = deepen();
        fflush(stdout);
        _exit(n);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
        return 200;
    return WEXITSTATUS(st) + 1;
}

static void part_limit(void)
{
    printf("-- the nesting limit\n");
    pid_t p = guest_fork();
    if (p == 0) {
        int n = deepen();
        fflush(stdout);
        _exit(n);
    }
    int st;
    waitpid(p, &st, 0);
    printf("namespaces nested below the starting one: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ------------------------------------------------------------------------------------------- setns */

static void part_setns(void)
{
    printf("-- setns\n");
    pid_t p = guest_fork();
    if (p == 0) {
        EXPECT_ERRNO(setns(99, CLONE_NEWPID), EBADF, "setns(closed fd)");
        EXPECT_ERRNO(setns(1, CLONE_NEWPID), EINVAL, "setns(not a namespace)");
        int hold[2];
        if (pipe(hold))
            printf("FAIL pipe\n");
        int sib_fd = -1;
        pid_t sib = raw_clone(CLONE_PIDFD, &sib_fd);  /* a process in our own namespace */
        if (sib == 0) {
            char x;
            close(hold[1]);
            if (read(hold[0], &x, 1) < 0)
                printf("FAIL read\n");
            _exit(0);
        }
        EXPECT_ERRNO(setns(sib_fd, 0), EINVAL, "setns(pidfd, 0)");
        EXPECT_ERRNO(setns(sib_fd, 0x1234), EINVAL, "setns(pidfd, not a namespace flag)");
        CHECK_EQ(setns(sib_fd, CLONE_NEWPID), 0, "setns(pidfd in our namespace, CLONE_NEWPID)");
        CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID) still works after that");
        CHECK_EQ(setns(sib_fd, CLONE_NEWPID), 0, "setns back to our own namespace");
        pid_t k = guest_fork();
        if (k == 0) {
            CHECK(getpid() != 1, "a child after setns to our own namespace is no init");
            guest_child_exit();
        }
        expect_ok(k, "child in our own namespace");

        int init_fd = -1, idone[2];
        if (pipe(idone))
            printf("FAIL pipe\n");
        pid_t init = raw_clone(CLONE_NEWPID | CLONE_PIDFD, &init_fd);
        if (init == 0) {
            char x;
            close(hold[1]);
            EXPECT_ERRNO(setns(sib_fd, CLONE_NEWPID), EINVAL, "init: setns to the parent namespace");
            fflush(stdout);
            if (write(idone[1], "d", 1) != 1)
                printf("FAIL write\n");
            if (read(hold[0], &x, 1) < 0)
                printf("FAIL read\n");
            _exit(0);
        }
        char z;
        if (read(idone[0], &z, 1) != 1)
            printf("FAIL read\n");
        CHECK_EQ(setns(init_fd, CLONE_NEWPID), 0, "setns(pidfd of a child namespace's init)");
        CHECK_EQ(setns(init_fd, CLONE_NEWPID), 0, "setns twice");
        k = guest_fork();
        if (k == 0) {
            CHECK_EQ(getpid(), 2, "a child after setns: pid 2 there");
            CHECK_EQ(getppid(), 0, "a child after setns: getppid() 0");
            CHECK_EQ(kill(1, 0), 0, "a child after setns: kill(1, 0)");
            guest_child_exit();
        }
        expect_ok(k, "child in the child namespace");
        EXPECT_ERRNO(raw_clone(CLONE_NEWPID, NULL), EINVAL, "clone(CLONE_NEWPID) after setns elsewhere");
        /* dropping CAP_SYS_ADMIN */
        k = guest_fork();
        if (k == 0) {
            CHECK_EQ(setuid(1000), 0, "setuid(1000)");
            EXPECT_ERRNO(setns(init_fd, CLONE_NEWPID), EPERM, "setns without CAP_SYS_ADMIN");
            EXPECT_ERRNO(unshare(CLONE_NEWPID), EPERM, "unshare(CLONE_NEWPID) without CAP_SYS_ADMIN");
            EXPECT_ERRNO(raw_clone(CLONE_NEWPID, NULL), EPERM, "clone(CLONE_NEWPID) without CAP_SYS_ADMIN");
            guest_child_exit();
        }
        expect_ok(k, "unprivileged child");
        close(hold[1]);
        expect_ok(init, "the child namespace's init");
        expect_ok(sib, "the sibling");
        EXPECT_ERRNO(setns(sib_fd, CLONE_NEWPID), ESRCH, "setns(pidfd of a reaped process)");
        guest_child_exit();
    }
    expect_ok(p, "setns part");
}

/* ------------------------------------------------------------------- setns with /proc/PID/ns/pid */

static void part_setns_proc(void)
{
    printf("-- setns with /proc/PID/ns/pid\n");
    pid_t p = guest_fork();
    if (p != 0) {
        expect_ok(p, "setns /proc part");
        return;
    }
    int hold[2];
    if (pipe(hold))
        printf("FAIL pipe\n");
    pid_t init = raw_clone(CLONE_NEWPID, NULL);
    if (init == 0) {
        char x;
        close(hold[1]);
        if (read(hold[0], &x, 1) < 0)
            printf("FAIL read\n");
        _exit(0);
    }
    close(hold[0]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(nsfd >= 0, "open /proc/PID/ns/pid of a child namespace's init");
    int selffd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    CHECK(selffd >= 0, "open /proc/self/ns/pid");
    EXPECT_ERRNO(setns(nsfd, CLONE_NEWUTS), EINVAL, "setns(pid namespace file, CLONE_NEWUTS)");
    CHECK_EQ(setns(nsfd, 0), 0, "setns(/proc/PID/ns/pid, 0)");
    EXPECT_ERRNO(unshare(CLONE_NEWPID), EINVAL, "unshare(CLONE_NEWPID) after that");
    pid_t k = guest_fork();
    if (k == 0) {
        CHECK_EQ(getpid(), 2, "a child after setns through /proc: pid 2 there");
        guest_child_exit();
    }
    expect_ok(k, "child in the child namespace");
    CHECK_EQ(setns(selffd, CLONE_NEWPID), 0, "setns(/proc/self/ns/pid, CLONE_NEWPID)");
    CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID) after setns back to our own");
    close(hold[1]);
    expect_ok(init, "the child namespace's init");
    close(nsfd);
    close(selffd);
    guest_child_exit();
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    if (argc > 1 && strcmp(argv[1], "proc") == 0) {
        part_setns_proc();
        return guest_exit();
    }
    part_clone_newpid();
    part_unshare();
    part_unshare_other();
    part_death();
    part_zombie_wait();
    part_threaded_init();
    part_outside_signals();
    part_nesting();
    part_limit();
    part_setns();
    return guest_exit();
}
