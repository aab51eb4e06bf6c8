/*
 * pidfd_race: a pidfd keeps naming the process it was opened for, even after a SIGCHLD handler reaped that
 * process behind the holder's back, and even once its number belongs to a new process.
 *
 * Needs root (the reuse part writes /proc/sys/kernel/ns_last_pid, which needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE, and does it inside a new pid namespace so the host's numbering is never touched).
 * Numbers of the starting namespace are never printed, only relations; numbers inside the new namespace are.
 *
 *  - a SIGCHLD handler reaps the child while we hold a pidfd to it: pidfd_send_signal ESRCH, waitid(P_PIDFD)
 *    ECHILD, poll POLLIN|POLLHUP, pidfd_getfd ESRCH, /proc/self/fdinfo "Pid: -1";
 *  - the handler racing a blocked poll and a blocked waitid(P_PIDFD) (whichever interleaving the scheduler
 *    picks, exactly one reaper gets the child and the transcript says only what holds for all of them);
 *  - ppoll that unblocks SIGCHLD only while it waits: a ready pidfd wins, the handler does not run;
 *  - a thread pidfd (PIDFD_THREAD) of a thread that exited;
 *  - pidfd_getfd copies a child's pipe end: one open file, shared by both processes;
 *  - pid reuse: ns_last_pid makes a new child take the reaped child's number; the old pidfds neither signal,
 *    wait for, nor poll as that new child (flags 0, PIDFD_SIGNAL_THREAD/_THREAD_GROUP/_PROCESS_GROUP).
 *
 * `pidfd_race reuse-here` runs only the reuse part, in the starting namespace (it rewrites that
 * namespace's ns_last_pid: meant for emukernel, whose starting namespace is its own); its transcript is
 * the same as the reuse part of a full run.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#define PIDFD_THREAD O_EXCL
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_THREAD_GROUP 2
#define PIDFD_SIGNAL_PROCESS_GROUP 4

static long pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static long pidfd_send(int fd, int sig, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, NULL, flags); }
static long pidfd_getfd(int fd, int target, unsigned flags) { return syscall(SYS_pidfd_getfd, fd, target, flags); }

static const char *ev(unsigned r)
{
    static char buf[64];
    buf[0] = 0;
    static const struct { unsigned bit; const char *name; } names[] = {
        {POLLIN, "IN"}, {POLLPRI, "PRI"}, {POLLOUT, "OUT"}, {POLLERR, "ERR"}, {POLLHUP, "HUP"},
        {POLLNVAL, "NVAL"}, {POLLRDNORM, "RDNORM"},
    };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (r & names[i].bit) {
            strcat(buf, names[i].name);
            strcat(buf, "|");
        }
    size_t n = strlen(buf);
    if (n)
        buf[n - 1] = 0;
    else
        strcpy(buf, "0");
    return buf;
}

/* "poll WHAT: N REVENTS" after poll with the given timeout (ms) */
static void show_poll_wait(const char *what, int fd, short events, int timeout)
{
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, timeout);
    printf("poll %s: %d %s\n", what, n, n < 0 ? errno_name(errno) : ev((unsigned short)p.revents));
}

/* "poll WHAT: N REVENTS" with a zero timeout */
static void show_poll(const char *what, int fd, short events)
{
    show_poll_wait(what, fd, events, 0);
}

static void expect_ok(pid_t pid, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    CHECK(got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (%s)", what,
          got == pid ? status_str(st) : errno_name(errno));
}

/* A line of /proc/self/fdinfo/FD: the value after "NAME:\t", "" when absent. */
static const char *fdinfo(int fd, const char *name)
{
    static char val[128];
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    val[0] = 0;
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        snprintf(val, sizeof val, "open: %s", errno_name(errno));
        return val;
    }
    ssize_t n = read(f, text, sizeof text - 1);
    close(f);
    text[n > 0 ? n : 0] = 0;
    size_t len = strlen(name);
    for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, len) == 0 && p[len] == ':') {
            p += len + 1;
            while (*p == '\t' || *p == ' ')
                p++;
            size_t k = strcspn(p, "\n");
            if (k >= sizeof val)
                k = sizeof val - 1;
            memcpy(val, p, k);
            val[k] = 0;
            break;
        }
    }
    return val;
}

/* ------------------------------------------------------------------------------------ the reaper */

static volatile sig_atomic_t nreaped, reaped_pid, reaped_status, handler_runs;

static void on_chld(int sig)
{
    (void)sig;
    int saved = errno, st;
    pid_t r;
    handler_runs++;
    while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped_pid = r;
        reaped_status = st;
        nreaped++;
    }
    errno = saved;
}

static sigset_t chld_set, unblocked;

static void install_reaper(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&chld_set);
    sigaddset(&chld_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld_set, &unblocked);
    sigdelset(&unblocked, SIGCHLD);
    nreaped = reaped_pid = reaped_status = handler_runs = 0;
}

/* let the handler run until it has reaped `want` children in all */
static void let_reaper_run(int want)
{
    while (nreaped < want)
        sigsuspend(&unblocked);
}

/* a child that waits for a byte (or EOF) on fd, then exits with code */
static pid_t waiting_child(int *go, int code)
{
    if (pipe(go))
        printf("FAIL pipe\n");
    pid_t c = guest_fork();
    if (c == 0) {
        char x;
        close(go[1]);
        if (read(go[0], &x, 1) < 0)
            printf("FAIL read\n");
        _exit(code);
    }
    close(go[0]);
    return c;
}

static void part_reaper(void)
{
    printf("-- a SIGCHLD handler reaps the child while we hold a pidfd\n");
    install_reaper();
    int go[2];
    pid_t c = waiting_child(go, 3);
    int pfd = (int)pidfd_open(c, 0);
    CHECK(pfd >= 0, "pidfd_open(child)");
    char want[32];
    snprintf(want, sizeof want, "%d", (int)c);
    CHECK(strcmp(fdinfo(pfd, "Pid"), want) == 0, "fdinfo Pid: is the child's number");
    CHECK(strcmp(fdinfo(pfd, "NSpid"), want) == 0, "fdinfo NSpid: is the child's number alone");
    struct stat before, after;
    CHECK(fstat(pfd, &before) == 0, "fstat(pidfd)");
    CHECK_EQ(pidfd_send(pfd, 0, 0), 0, "pidfd_send_signal(0) while it runs");
    show_poll("while it runs", pfd, POLLIN);

    if (write(go[1], "x", 1) != 1)
        printf("FAIL write\n");
    close(go[1]);
    let_reaper_run(1);
    CHECK(reaped_pid == c, "the handler reaped the child");
    printf("the handler saw: %s\n", status_str(reaped_status));

    show_poll("POLLIN after the handler reaped it", pfd, POLLIN);
    show_poll("no events asked", pfd, 0);
    show_poll("POLLOUT", pfd, POLLOUT);
    EXPECT_ERRNO(pidfd_send(pfd, SIGTERM, 0), ESRCH, "pidfd_send_signal(SIGTERM)");
    EXPECT_ERRNO(pidfd_send(pfd, 0, 0), ESRCH, "pidfd_send_signal(0)");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EXPECT_ERRNO(waitid(P_PIDFD, pfd, &si, WEXITED), ECHILD, "waitid(P_PIDFD, WEXITED)");
    EXPECT_ERRNO(waitid(P_PIDFD, pfd, &si, WEXITED | WNOHANG), ECHILD, "waitid(P_PIDFD, WEXITED|WNOHANG)");
    EXPECT_ERRNO(pidfd_getfd(pfd, 0, 0), ESRCH, "pidfd_getfd");
    printf("fdinfo Pid: %s\n", fdinfo(pfd, "Pid"));
    printf("fdinfo NSpid: %s\n", fdinfo(pfd, "NSpid"));
    CHECK(fstat(pfd, &after) == 0 && after.st_ino == before.st_ino, "fstat: the same inode as before");
    CHECK(fcntl(pfd, F_GETFD) == FD_CLOEXEC, "the pidfd stays open (FD_CLOEXEC)");
    close(pfd);
    CHECK_EQ(handler_runs, 1, "the handler ran once");
    sigprocmask(SIG_UNBLOCK, &chld_set, NULL);
    signal(SIGCHLD, SIG_DFL);
}

/* ----------------------------------------------------------------------------- races, any order */

static void part_poll_race(void)
{
    printf("-- the handler races a blocked poll\n");
    install_reaper();
    sigprocmask(SIG_UNBLOCK, &chld_set, NULL); /* the handler may run at any time now */
    int go[2];
    pid_t c = waiting_child(go, 4);
    int pfd = (int)pidfd_open(c, 0);
    CHECK(pfd >= 0, "pidfd_open(child)");
    close(go[1]); /* EOF: the child exits while we (probably) sleep in poll */
    struct pollfd p = {pfd, POLLIN, 0};
    int n;
    do
        n = poll(&p, 1, -1);
    while (n < 0 && errno == EINTR);
    /* either poll saw the zombie (POLLIN) and the handler ran on the way out, or the handler ran first
     * and poll saw the reaped pid (POLLIN|POLLHUP): POLLIN and a reaped child hold in every order */
    CHECK(n == 1 && (p.revents & POLLIN), "poll returns 1 with POLLIN");
    CHECK(nreaped == 1 && reaped_pid == c, "by then the handler has reaped the child");
    printf("the handler saw: %s\n", status_str(reaped_status));
    show_poll("afterwards", pfd, POLLIN);
    siginfo_t si;
    EXPECT_ERRNO(waitid(P_PIDFD, pfd, &si, WEXITED), ECHILD, "waitid(P_PIDFD) afterwards");
    close(pfd);
    signal(SIGCHLD, SIG_DFL);
}

static void part_waitid_race(void)
{
    printf("-- the handler races a blocked waitid(P_PIDFD)\n");
    install_reaper();
    sigprocmask(SIG_UNBLOCK, &chld_set, NULL);
    int go[2];
    pid_t c = waiting_child(go, 5);
    int pfd = (int)pidfd_open(c, 0);
    CHECK(pfd >= 0, "pidfd_open(child)");
    close(go[1]);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r, e;
    do {
        r = waitid(P_PIDFD, pfd, &si, WEXITED);
        e = errno;
    } while (r < 0 && e == EINTR);
    int by_waitid = r == 0, by_handler = nreaped == 1;
    CHECK(by_waitid != by_handler, "exactly one of waitid and the handler reaped the child");
    if (by_waitid)
        CHECK(si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 5, "waitid: the child, exit 5");
    else
        CHECK(e == ECHILD && reaped_pid == c && WIFEXITED(reaped_status) && WEXITSTATUS(reaped_status) == 5,
              "waitid: the child, exit 5");
    show_poll("afterwards", pfd, POLLIN);
    EXPECT_ERRNO(waitid(P_PIDFD, pfd, &si, WEXITED), ECHILD, "waitid(P_PIDFD) again");
    CHECK_EQ(waitpid(-1, NULL, WNOHANG), -1, "no child left");
    close(pfd);
    signal(SIGCHLD, SIG_DFL);
}

static void part_ppoll(void)
{
    printf("-- ppoll unblocks SIGCHLD only while it waits\n");
    install_reaper();
    int go[2];
    pid_t c = waiting_child(go, 6);
    int pfd = (int)pidfd_open(c, 0);
    close(go[1]);
    struct pollfd p = {pfd, POLLIN, 0};
    int n = ppoll(&p, 1, NULL, &unblocked);
    /* the child's exit makes the pidfd readable before SIGCHLD is sent, and a ready fd wins over a
     * pending signal; with a positive count ppoll restores the blocking mask before any handler runs */
    printf("ppoll: %d %s\n", n, n < 0 ? errno_name(errno) : ev((unsigned short)p.revents));
    CHECK_EQ(handler_runs, 0, "the handler did not run");
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGCHLD), "SIGCHLD is pending");
    show_poll("the zombie", pfd, POLLIN);
    let_reaper_run(1);
    CHECK(reaped_pid == c, "sigsuspend ran the handler, which reaped the child");
    show_poll("reaped", pfd, POLLIN);
    close(pfd);
    sigprocmask(SIG_UNBLOCK, &chld_set, NULL);
    signal(SIGCHLD, SIG_DFL);
}

/* ----------------------------------------------------------------------------------- thread pidfd */

struct waiter_arg {
    pid_t tid;
    int hold, ready;
};

/* a thread that reports its tid, then waits for a byte */
static void *waiter(void *p)
{
    struct waiter_arg *a = p;
    char x;
    a->tid = (pid_t)syscall(SYS_gettid);
    if (write(a->ready, "r", 1) != 1)
        printf("FAIL write\n");
    if (read(a->hold, &x, 1) != 1)
        printf("FAIL read\n");
    return NULL;
}

static void part_thread(void)
{
    printf("-- a thread pidfd outlives its thread\n");
    int hold[2], ready[2];
    if (pipe(hold) || pipe(ready))
        printf("FAIL pipe\n");
    struct waiter_arg a = {0, hold[0], ready[1]};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waiter, &a), 0, "pthread_create");
    char x;
    if (read(ready[0], &x, 1) != 1)
        printf("FAIL read\n");
    EXPECT_ERRNO(pidfd_open(a.tid, 0), ENOENT, "pidfd_open(a thread's tid) without PIDFD_THREAD");
    int tfd = (int)pidfd_open(a.tid, PIDFD_THREAD);
    CHECK(tfd >= 0, "pidfd_open(tid, PIDFD_THREAD)");
    int pfd = (int)pidfd_open(getpid(), 0);
    show_poll("thread pidfd, thread running", tfd, POLLIN);
    if (write(hold[1], "x", 1) != 1)
        printf("FAIL write\n");
    pthread_join(t, NULL);
    /* pthread_join returns once the kernel cleared the tid (mm_release, early in do_exit); the
     * pidfd turns readable in exit_notify (IN) and hangs up once release_task detached the pid
     * (IN|HUP), a moment later on another CPU: wait for the released state, then show it */
    for (int i = 0; i < 1000; i++) {
        struct pollfd w = {tfd, POLLIN, 0};
        if (poll(&w, 1, 10000) == 1 && (w.revents & POLLHUP))
            break;
        usleep(1000);
    }
    show_poll("thread pidfd, thread gone", tfd, POLLIN);
    printf("thread pidfd fdinfo Pid: %s\n", fdinfo(tfd, "Pid"));
    EXPECT_ERRNO(pidfd_send(tfd, 0, 0), ESRCH, "pidfd_send_signal(thread pidfd, 0)");
    show_poll("our own process pidfd", pfd, POLLIN);
    CHECK_EQ(pidfd_send(pfd, 0, 0), 0, "pidfd_send_signal(our process pidfd, 0)");
    close(tfd);
    close(pfd);
    close(hold[0]);
    close(hold[1]);
    close(ready[0]);
    close(ready[1]);
}

/* ------------------------------------------------------------------------------------- pidfd_getfd */

static void part_getfd(void)
{
    printf("-- pidfd_getfd copies a child's pipe end\n");
    int info[2], copied[2], back[2];
    if (pipe(info) || pipe(copied) || pipe(back))
        printf("FAIL pipe\n");
    pid_t c = guest_fork();
    if (c == 0) {
        int p[2];
        char x;
        close(info[0]);
        close(copied[1]);
        close(back[0]);
        if (pipe(p))
            printf("FAIL pipe\n");
        struct stat st;
        fstat(p[1], &st);
        int msg[2] = {p[1], (int)st.st_ino};
        if (write(info[1], msg, sizeof msg) != sizeof msg)
            printf("FAIL write\n");
        CHECK_EQ(read(copied[0], &x, 1), 1, "child: the parent has its copy");
        close(p[1]); /* only the parent's copy keeps the write end open now */
        char buf[16] = {0};
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        CHECK(n == 5 && strcmp(buf, "hello") == 0, "child: read what the parent wrote through the copy");
        CHECK_EQ(read(p[0], buf, sizeof buf), 0, "child: EOF once the parent closed the copy");
        CHECK(fcntl(p[0], F_GETFL) >= 0, "child: its read end is still open");
        if (write(back[1], "d", 1) != 1)
            printf("FAIL write\n");
        CHECK_EQ(read(copied[0], &x, 1), 0, "child: released");
        guest_child_exit();
    }
    close(info[1]);
    close(copied[0]);
    close(back[1]);
    int pfd = (int)pidfd_open(c, 0);
    int msg[2];
    CHECK(read(info[0], msg, sizeof msg) == sizeof msg, "parent: got the child's fd number");
    int copy = (int)pidfd_getfd(pfd, msg[0], 0);
    CHECK(copy >= 0, "pidfd_getfd(the child's write end)");
    EXPECT_ERRNO(pidfd_getfd(pfd, 999, 0), EBADF, "pidfd_getfd(an fd the child does not have)");
    pid_t u = guest_fork();
    if (u == 0) {
        CHECK_EQ(setuid(1000), 0, "setuid(1000)");
        EXPECT_ERRNO(pidfd_getfd(pfd, msg[0], 0), EPERM, "pidfd_getfd from another uid");
        guest_child_exit();
    }
    expect_ok(u, "unprivileged getfd child");
    struct stat st;
    CHECK(fstat(copy, &st) == 0 && (int)st.st_ino == msg[1] && S_ISFIFO(st.st_mode), "the copy is the same pipe");
    CHECK(fcntl(copy, F_GETFD) == FD_CLOEXEC, "the copy is close-on-exec");
    CHECK((fcntl(copy, F_GETFL) & O_ACCMODE) == O_WRONLY, "the copy is the write end");
    if (write(copied[1], "c", 1) != 1)
        printf("FAIL write\n");
    ssize_t w = write(copy, "hello", 5);
    close(copy);
    char x;
    CHECK_EQ(read(back[0], &x, 1), 1, "the child read it");
    CHECK_EQ(w, 5, "parent: wrote through the copy");
    close(copied[1]);
    expect_ok(c, "the child's checks");
    EXPECT_ERRNO(pidfd_getfd(pfd, 0, 0), ESRCH, "pidfd_getfd after it was reaped");
    close(pfd);
    close(info[0]);
    close(back[0]);
}

/* ---------------------------------------------------------------------------------------- reuse */

static int write_last_pid(long v)
{
    char text[32];
    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    snprintf(text, sizeof text, "%ld", v);
    int r = (int)write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static long read_last_pid(void)
{
    char text[32] = {0};
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    return n > 0 ? strtol(text, NULL, 10) : -1;
}

static int count_fields(const char *s)
{
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == '\t' || *p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != '\t' && *p != ' ')
            p++;
    }
    return n;
}

static const char *last_field(const char *s)
{
    const char *p = strrchr(s, '\t');
    return p ? p + 1 : s;
}

/* depth: how many pid-namespace levels are below /proc's (0 where /proc was mounted) */
static void reuse(int depth)
{
    printf("-- pid reuse through ns_last_pid\n");
    install_reaper();
    int go[2];
    if (pipe(go))
        printf("FAIL pipe\n");
    int cfd = -1;
    fflush(stdout);
    pid_t x = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0L, &cfd, 0L, 0L);
    if (x == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) < 0)
            printf("FAIL read\n");
        _exit(7);
    }
    close(go[0]);
    int ofd = (int)pidfd_open(x, 0);
    CHECK(cfd >= 0 && ofd >= 0, "X has a CLONE_PIDFD pidfd and a pidfd_open one");
    CHECK_EQ(read_last_pid(), x, "ns_last_pid reads X");
    struct stat old_st;
    fstat(ofd, &old_st);
    close(go[1]);
    let_reaper_run(1);
    CHECK(reaped_pid == x, "the handler reaped X");
    printf("X: %s\n", status_str(reaped_status));

    CHECK(write_last_pid(x - 1) > 0, "write ns_last_pid = X - 1");
    CHECK_EQ(read_last_pid(), x - 1, "ns_last_pid reads X - 1");
    int ready[2];
    if (pipe(ready) || pipe(go))
        printf("FAIL pipe\n");
    pid_t y = guest_fork();
    if (y == 0) {
        char c;
        setpgid(0, 0); /* Y leads a process group numbered like X */
        close(go[1]);
        close(ready[0]);
        if (write(ready[1], "r", 1) != 1)
            printf("FAIL write\n");
        if (read(go[0], &c, 1) < 0)
            printf("FAIL read\n");
        _exit(8);
    }
    close(go[0]);
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1, "Y is ready");
    CHECK(y == x, "Y got X's number");
    CHECK_EQ(getpgid(y), y, "Y leads its own process group");

    int fds[2] = {ofd, cfd};
    const char *names[2] = {"pidfd_open", "CLONE_PIDFD"};
    for (int i = 0; i < 2; i++) {
        char what[128];
        int fd = fds[i];
        snprintf(what, sizeof what, "%s pidfd of X: pidfd_send_signal(SIGKILL)", names[i]);
        EXPECT_ERRNO(pidfd_send(fd, SIGKILL, 0), ESRCH, what);
        snprintf(what, sizeof what, "%s pidfd of X: SIGKILL, PIDFD_SIGNAL_THREAD", names[i]);
        EXPECT_ERRNO(pidfd_send(fd, SIGKILL, PIDFD_SIGNAL_THREAD), ESRCH, what);
        snprintf(what, sizeof what, "%s pidfd of X: SIGKILL, PIDFD_SIGNAL_THREAD_GROUP", names[i]);
        EXPECT_ERRNO(pidfd_send(fd, SIGKILL, PIDFD_SIGNAL_THREAD_GROUP), ESRCH, what);
        snprintf(what, sizeof what, "%s pidfd of X: SIGKILL, PIDFD_SIGNAL_PROCESS_GROUP", names[i]);
        EXPECT_ERRNO(pidfd_send(fd, SIGKILL, PIDFD_SIGNAL_PROCESS_GROUP), ESRCH, what);
        siginfo_t si;
        snprintf(what, sizeof what, "%s pidfd of X: waitid(P_PIDFD, WEXITED|WNOHANG)", names[i]);
        EXPECT_ERRNO(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG), ECHILD, what);
        snprintf(what, sizeof what, "%s pidfd of X: waitid(P_PIDFD, WEXITED)", names[i]);
        EXPECT_ERRNO(waitid(P_PIDFD, fd, &si, WEXITED), ECHILD, what);
        snprintf(what, sizeof what, "%s pidfd of X", names[i]);
        show_poll(what, fd, POLLIN);
        printf("%s pidfd of X: fdinfo Pid: %s, NSpid: %s\n", names[i], fdinfo(fd, "Pid"), fdinfo(fd, "NSpid"));
        snprintf(what, sizeof what, "%s pidfd of X: pidfd_getfd", names[i]);
        EXPECT_ERRNO(pidfd_getfd(fd, 0, 0), ESRCH, what);
        snprintf(what, sizeof what, "%s pidfd of X: setns(CLONE_NEWPID)", names[i]);
        EXPECT_ERRNO(setns(fd, CLONE_NEWPID), ESRCH, what);
    }
    CHECK_EQ(kill(y, 0), 0, "Y was not signalled: kill(Y, 0)");
    CHECK_EQ(waitpid(y, NULL, WNOHANG), 0, "Y still runs");

    int nfd = (int)pidfd_open(y, 0);
    CHECK(nfd >= 0, "pidfd_open(Y)");
    struct stat new_st;
    fstat(nfd, &new_st);
    CHECK(new_st.st_ino != old_st.st_ino, "Y's pidfd has another inode than X's");
    show_poll("Y's pidfd", nfd, POLLIN);
    const char *pid_line = fdinfo(nfd, "Pid");
    char first[32];
    snprintf(first, sizeof first, "%s", pid_line);
    const char *nspid = fdinfo(nfd, "NSpid");
    char want[32];
    snprintf(want, sizeof want, "%d", (int)y);
    CHECK(strcmp(last_field(nspid), want) == 0, "Y's fdinfo NSpid ends with Y's number");
    CHECK_EQ(count_fields(nspid), depth + 1, "Y's fdinfo NSpid has a number per level below /proc's namespace");
    CHECK(strncmp(nspid, first, strlen(first)) == 0, "Y's fdinfo Pid is NSpid's first number");

    /* Y exits while SIGCHLD is blocked: a zombie with X's number, still not X's to wait for */
    CHECK_EQ(pidfd_send(nfd, SIGTERM, 0), 0, "pidfd_send_signal(Y's pidfd, SIGTERM)");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PIDFD, nfd, &si, WEXITED | WNOWAIT), 0, "waitid(Y's pidfd, WNOWAIT): Y is a zombie");
    EXPECT_ERRNO(waitid(P_PIDFD, ofd, &si, WEXITED | WNOHANG), ECHILD, "X's pidfd does not reap the zombie Y");
    show_poll("X's pidfd while Y is a zombie", ofd, POLLIN);
    show_poll("Y's pidfd, Y a zombie", nfd, POLLIN);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PIDFD, nfd, &si, WEXITED), 0, "waitid(Y's pidfd) reaps Y");
    CHECK(si.si_pid == y && si.si_code == CLD_KILLED && si.si_status == SIGTERM, "Y was killed by SIGTERM");
    show_poll("Y's pidfd, reaped", nfd, POLLIN);
    close(go[1]);
    close(ready[0]);
    let_reaper_run(1);
    CHECK_EQ(nreaped, 1, "the pending SIGCHLD found nothing more to reap");

    /* ns_last_pid's own rules */
    EXPECT_ERRNO(write_last_pid(-1), EINVAL, "write ns_last_pid = -1");
    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
    EXPECT_ERRNO(write(fd, "abc", 3), EINVAL, "write ns_last_pid = abc");
    close(fd);
    CHECK(write_last_pid(0) > 0, "write ns_last_pid = 0");
    pid_t k = guest_fork();
    if (k == 0)
        _exit(0);
    CHECK(k > 0 && k <= y, "after 0 the next fork takes the lowest free number");
    waitpid(k, NULL, 0);
    k = guest_fork();
    if (k == 0) {
        CHECK_EQ(setuid(1000), 0, "setuid(1000)");
        EXPECT_ERRNO(write_last_pid(1), EPERM, "write ns_last_pid from uid 1000 (the file is 0666)");
        guest_child_exit();
    }
    expect_ok(k, "unprivileged child");
    close(ofd);
    close(cfd);
    close(nfd);
    sigprocmask(SIG_UNBLOCK, &chld_set, NULL);
    signal(SIGCHLD, SIG_DFL);
}

static void part_reuse_in_new_ns(void)
{
    fflush(stdout);
    pid_t init = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0L, 0L, 0L, 0L);
    if (init == 0) {
        guest_failures = 0;
        reuse(1);
        guest_child_exit();
    }
    expect_ok(init, "the namespace's init");
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    if (geteuid() != 0) {
        printf("not root: nothing to check\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "reuse-here") == 0) {
        reuse(0);
        return guest_exit();
    }
    part_reaper();
    part_poll_race();
    part_waitid_race();
    part_ppoll();
    part_thread();
    part_getfd();
    part_reuse_in_new_ns();
    return guest_exit();
}
