/*
 * ptrace_attach: becoming and ceasing to be a tracer, and who may.
 *
 * PTRACE_TRACEME (a second one fails with EPERM), PTRACE_ATTACH (the tracee is
 * sent SIGSTOP and the tracer's wait reports it), PTRACE_SEIZE (no stop; bad
 * options or a non-zero addr fail with EIO), PTRACE_INTERRUPT (a
 * PTRACE_EVENT_STOP), PTRACE_DETACH with a signal (the detached tracee gets
 * it), PTRACE_KILL.  The refusals: self, a thread of our own group, a tracee
 * attached twice, a zombie, a pid that does not exist, requests on a process
 * that is not traced or not stopped, a bad request number, an unprivileged uid
 * attaching to root or to a non-dumpable process.  A pid namespace's init
 * traced from inside.  What the tracer's exit does to its tracees (with and
 * without PTRACE_O_EXITKILL), and /proc's view (TracerPid, the 't' state).
 *
 * ptrace is called through syscall(SYS_ptrace) so that musl's and glibc's
 * wrappers (which differ for the PEEK requests) play no part.
 *
 * Linux 6.18, observed natively (what the transcript encodes):
 *  - the tracer's wait for a stop (not with WNOWAIT) takes the stop signal
 *    away: a tracer that waited for the attach stop and exits leaves a
 *    tracee that runs on, while one that only peeked with WNOWAIT leaves the
 *    SIGSTOP to be delivered (the untraced tracee group-stops, and its real
 *    parent sees "stopped by SIGSTOP" with WUNTRACED).
 *  - PTRACE_SETOPTIONS with an unknown bit is EINVAL; PTRACE_SEIZE with one is
 *    EIO.
 *  - a PTRACE_INTERRUPT of a tracee already in its interrupt trap adds no
 *    report, but is remembered: the tracee traps again right after PTRACE_CONT.
 *  - setuid(65534) from root makes the process non-dumpable
 *    (fs.suid_dumpable=0), and fork inherits that, so an unprivileged child
 *    must PR_SET_DUMPABLE 1 before even a same-uid tracer may attach.
 *  - the init of a pid namespace can be attached by a process inside it; the
 *    SIGSTOP of PTRACE_ATTACH stops it like any other tracee.
 */
#include "guest.h"
#include "guest_ptrace.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif


static char procbuf[8192];

static const char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    procbuf[0] = 0;
    if (fd < 0)
        return NULL;
    for (;;) {
        ssize_t r = read(fd, procbuf + n, sizeof procbuf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    procbuf[n] = 0;
    return procbuf;
}

/* The value of "Name:\t..." in /proc/pid/status, copied into out. */
static const char *status_field(pid_t pid, const char *name, char *out, size_t outsz)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    out[0] = 0;
    const char *s = slurp(path);
    if (!s)
        return out;
    size_t nl = strlen(name);
    for (const char *p = s; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == '\t' || *p == ' ')
                p++;
            size_t i = 0;
            while (p[i] && p[i] != '\n' && i + 1 < outsz) {
                out[i] = p[i];
                i++;
            }
            out[i] = 0;
            break;
        }
    }
    return out;
}

static long tracer_of(pid_t pid)
{
    char v[64];
    status_field(pid, "TracerPid", v, sizeof v);
    return v[0] ? strtol(v, NULL, 10) : -1;
}

/* The state letter of /proc/pid/stat (the field after the command). */
static char stat_state(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    const char *s = slurp(path);
    const char *p = s ? strrchr(s, ')') : NULL;
    return p && p[1] == ' ' ? p[2] : '?';
}

static void show_proc(pid_t pid, pid_t tracer, const char *what)
{
    char state[64];
    long t = tracer_of(pid);
    printf("%s: tracerpid is %s, State: %s, stat state %c\n", what,
           t == tracer ? "tracer" : t == 0 ? "0" : "something else",
           status_field(pid, "State", state, sizeof state), stat_state(pid));
}

/*
 * A child that blocks reading go[0]; the byte it reads is its exit code.  EINTR
 * (a handler ran) just retries.  Returns the child's pid; *gofd is the write end.
 */
static pid_t spawn_blocked(int *gofd)
{
    int go[2];
    if (pipe(go) < 0)
        return -1;
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(go[1]);
        unsigned char c = 0;
        ssize_t r;
        while ((r = read(go[0], &c, 1)) < 0 && errno == EINTR)
            ;
        _exit(r == 1 ? c : 100);
    }
    close(go[0]);
    *gofd = go[1];
    return pid;
}

static void release(int gofd, unsigned char code)
{
    (void)!write(gofd, &code, 1);
    close(gofd);
}

/* ------------------------------------------------------------------------------ TRACEME */

static void test_traceme(void)
{
    printf("-- PTRACE_TRACEME\n");
    pid_t pid = guest_fork();
    if (pid == 0) {
        CHECK(pt(PTRACE_TRACEME, 0, 0, 0) == 0, "child: PTRACE_TRACEME");
        EXPECT_ERRNO(pt(PTRACE_TRACEME, 0, 0, 0), EPERM, "child: a second PTRACE_TRACEME");
        CHECK(tracer_of(getpid()) == getppid(), "child: its TracerPid is its parent");
        raise(SIGSTOP);
        _exit(3); /* the exit code shows that it resumed (printing would race the parent) */
    }
    wait_report(pid, 0, "parent: wait");
    show_proc(pid, getpid(), "parent: stopped child");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "parent: PTRACE_CONT");
    wait_report(pid, 0, "parent: wait");
}

/* ------------------------------------------------------------------------------ ATTACH */

static void test_attach(void)
{
    printf("-- PTRACE_ATTACH\n");
    int go;
    pid_t pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    int st = wait_report(pid, 0, "wait after attach");
    CHECK(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0,
          "WIFSTOPPED, WSTOPSIG == SIGSTOP, no event");
    show_proc(pid, getpid(), "attached");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, pid, 0, 0), EPERM, "PTRACE_ATTACH twice");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 0, 0), EPERM, "PTRACE_SEIZE of an attached tracee");
    EXPECT_ERRNO(pt(PTRACE_INTERRUPT, pid, 0, 0), EIO, "PTRACE_INTERRUPT of an ATTACHed (not seized) tracee");
    EXPECT_ERRNO(pt(PTRACE_LISTEN, pid, 0, 0), EIO, "PTRACE_LISTEN of an ATTACHed (not seized) tracee");
    EXPECT_ERRNO(pt(0x7777, pid, 0, 0), EIO, "an unknown request on a stopped tracee");
    EXPECT_ERRNO(pt(-1, pid, 0, 0), EIO, "request -1 on a stopped tracee");
    pid_t other = guest_fork();
    if (other == 0) {
        EXPECT_ERRNO(pt(PTRACE_ATTACH, pid, 0, 0), EPERM, "another process: PTRACE_ATTACH to a traced process");
        EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 0, 0), EPERM, "another process: PTRACE_SEIZE of a traced process");
        EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "another process: PTRACE_CONT of someone else's tracee");
        EXPECT_ERRNO(pt(PTRACE_DETACH, pid, 0, 0), ESRCH, "another process: PTRACE_DETACH of someone else's tracee");
        guest_child_exit();
    }
    wait_report(other, 0, "the other process");
    int wst;
    CHECK(waitpid(pid, &wst, WNOHANG) == 0, "the stop is reported once");
    CHECK(pt(PTRACE_KILL, pid, 0, 0) == 0, "PTRACE_KILL");
    wait_report(pid, 0, "wait after PTRACE_KILL");
    close(go);

    /* PTRACE_CONT lets the tracee run on, still traced. */
    pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH another");
    wait_report(pid, 0, "wait after attach");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT with no signal");
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "PTRACE_CONT of a running tracee");
    EXPECT_ERRNO(pt(PTRACE_DETACH, pid, 0, 0), ESRCH, "PTRACE_DETACH of a running tracee");
    EXPECT_ERRNO(pt(0x7777, pid, 0, 0), ESRCH, "an unknown request on a running tracee");
    CHECK(tracer_of(pid) == getpid(), "a running tracee's TracerPid is still the tracer");
    release(go, 7);
    wait_report(pid, 0, "the running tracee exits, the tracer's wait");
}

/* ------------------------------------------------------------------------------ DETACH */

static int detach_report = -1;

static void on_usr1(int sig)
{
    char c = 'u';
    (void)sig;
    (void)!write(detach_report, &c, 1);
}

static void test_detach(void)
{
    printf("-- PTRACE_DETACH\n");
    /* Detach with no signal: the tracee resumes, untraced. */
    int go;
    pid_t pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    wait_report(pid, 0, "wait after attach");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "PTRACE_DETACH with no signal");
    CHECK(tracer_of(pid) == 0, "TracerPid is 0 after detach");
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "PTRACE_CONT after detach");
    int st;
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "the detached child is not stopped");
    release(go, 4);
    wait_report(pid, 0, "wait");

    /* Detach with SIGUSR1: the detached tracee's handler runs. */
    int rep[2];
    pipe(rep);
    int go2[2];
    pipe(go2);
    pid = guest_fork();
    if (pid == 0) {
        close(rep[0]);
        close(go2[1]);
        detach_report = rep[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
        char c = 'r';
        (void)!write(rep[1], &c, 1); /* ready */
        ssize_t r;
        while ((r = read(go2[0], &c, 1)) < 0 && errno == EINTR)
            ;
        _exit(r == 1 ? 5 : 100);
    }
    close(rep[1]);
    close(go2[0]);
    char c = 0;
    CHECK(read(rep[0], &c, 1) == 1 && c == 'r', "the child has its SIGUSR1 handler");
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    wait_report(pid, 0, "wait after attach");
    CHECK(pt(PTRACE_DETACH, pid, 0, SIGUSR1) == 0, "PTRACE_DETACH with SIGUSR1");
    CHECK(read(rep[0], &c, 1) == 1 && c == 'u', "the detached child ran its SIGUSR1 handler");
    release(go2[1], 5);
    wait_report(pid, 0, "wait");
    close(rep[0]);

    /* Detach with SIGTERM (default action): the detached tracee dies of it. */
    pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    wait_report(pid, 0, "wait after attach");
    CHECK(pt(PTRACE_DETACH, pid, 0, SIGTERM) == 0, "PTRACE_DETACH with SIGTERM");
    wait_report(pid, 0, "wait");
    close(go);

    /* A bad signal number is refused and the tracee stays attached and stopped. */
    pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    wait_report(pid, 0, "wait after attach");
    EXPECT_ERRNO(pt(PTRACE_DETACH, pid, 0, 65), EIO, "PTRACE_DETACH with signal 65");
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 65), EIO, "PTRACE_CONT with signal 65");
    CHECK(tracer_of(pid) == getpid(), "still traced");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "PTRACE_DETACH");
    release(go, 6);
    wait_report(pid, 0, "wait");
}

/* ------------------------------------------------------------------------------ SEIZE */

static void test_seize(void)
{
    printf("-- PTRACE_SEIZE, PTRACE_INTERRUPT\n");
    int go;
    pid_t pid = spawn_blocked(&go);
    EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 0, 1L << 30), EIO, "PTRACE_SEIZE with an unknown option");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 1, 0), EIO, "PTRACE_SEIZE with addr != 0");
    CHECK(tracer_of(pid) == 0, "the refused seizes left it untraced");
    CHECK(pt(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) == 0, "PTRACE_SEIZE with PTRACE_O_TRACESYSGOOD");
    int st;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "no stop after PTRACE_SEIZE");
    CHECK(tracer_of(pid) == getpid(), "a seized tracee's TracerPid is the tracer");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 0, 0), EPERM, "PTRACE_SEIZE twice");
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "PTRACE_CONT of a running seized tracee");
    struct user_regs_struct regs;
    EXPECT_ERRNO(pt(PTRACE_GETREGS, pid, 0, (long)&regs), ESRCH, "PTRACE_GETREGS of a running tracee");
    EXPECT_ERRNO(pt(PTRACE_SETOPTIONS, pid, 0, 0), ESRCH, "PTRACE_SETOPTIONS of a running tracee");
    EXPECT_ERRNO(pt(PTRACE_LISTEN, pid, 0, 0), ESRCH, "PTRACE_LISTEN of a running tracee");
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT");
    st = wait_report(pid, 0, "wait after PTRACE_INTERRUPT");
    CHECK(st != -1 && WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP && WSTOPSIG(st) == SIGTRAP,
          "status >> 16 == PTRACE_EVENT_STOP, WSTOPSIG == SIGTRAP");
    show_proc(pid, getpid(), "interrupted");
    EXPECT_ERRNO(pt(PTRACE_SETOPTIONS, pid, 0, 1L << 30), EINVAL, "PTRACE_SETOPTIONS with an unknown option");
    CHECK(pt(PTRACE_SETOPTIONS, pid, 0, 0) == 0, "PTRACE_SETOPTIONS 0 while stopped");
    EXPECT_ERRNO(pt(0x7777, pid, 0, 0), EIO, "an unknown request on a seized, stopped tracee");
    /* An INTERRUPT while already in the trap adds no report now, but is kept: the
     * tracee traps again as soon as it is continued. */
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT of a stopped tracee");
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "a second PTRACE_INTERRUPT adds no report yet");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT");
    wait_report(pid, 0, "wait after PTRACE_CONT (the kept interrupt)");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT");
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "no report while it runs");
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT again");
    wait_report(pid, 0, "wait after PTRACE_INTERRUPT");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "PTRACE_DETACH from the event stop");
    CHECK(tracer_of(pid) == 0, "untraced after detach");
    release(go, 8);
    wait_report(pid, 0, "wait");

    /* PTRACE_KILL of a running (seized) tracee. */
    pid = spawn_blocked(&go);
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    CHECK(pt(PTRACE_KILL, pid, 0, 0) == 0, "PTRACE_KILL of a running tracee");
    wait_report(pid, 0, "wait after PTRACE_KILL");
    close(go);
}

/* ------------------------------------------------------------------------------ refusals */

static int thread_tid;
static int thread_pipe[2], thread_go[2];

/* Tell main our tid, then live until main closes thread_go. */
static void *thread_body(void *arg)
{
    (void)arg;
    thread_tid = (int)syscall(SYS_gettid);
    char c = 't';
    (void)!write(thread_pipe[1], &c, 1);
    while (read(thread_go[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void test_refusals(void)
{
    printf("-- refusals\n");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, getpid(), 0, 0), EPERM, "PTRACE_ATTACH to self");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, getpid(), 0, 0), EPERM, "PTRACE_SEIZE of self");
    EXPECT_ERRNO(pt(PTRACE_CONT, getpid(), 0, 0), ESRCH, "PTRACE_CONT of self (not traced)");

    pipe(thread_pipe);
    pipe(thread_go);
    pthread_t th;
    pthread_create(&th, NULL, thread_body, NULL);
    char c;
    CHECK(read(thread_pipe[0], &c, 1) == 1, "a thread told its tid");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, thread_tid, 0, 0), EPERM, "PTRACE_ATTACH to a thread of our own group");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, thread_tid, 0, 0), EPERM, "PTRACE_SEIZE of a thread of our own group");
    close(thread_go[1]);
    pthread_join(th, NULL);
    close(thread_go[0]);
    close(thread_pipe[0]);
    close(thread_pipe[1]);

    EXPECT_ERRNO(pt(PTRACE_ATTACH, 0x3ffffff0, 0, 0), ESRCH, "PTRACE_ATTACH to a pid that does not exist");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, 0x3ffffff0, 0, 0), ESRCH, "PTRACE_SEIZE of a pid that does not exist");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, 0, 0, 0), ESRCH, "PTRACE_ATTACH to pid 0");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, -1, 0, 0), ESRCH, "PTRACE_ATTACH to pid -1");
    EXPECT_ERRNO(pt(PTRACE_CONT, 0x3ffffff0, 0, 0), ESRCH, "PTRACE_CONT of a pid that does not exist");
    EXPECT_ERRNO(pt(0x7777, 0x3ffffff0, 0, 0), ESRCH, "an unknown request on a pid that does not exist");

    /* A child that is not traced: every request on it is ESRCH. */
    int go;
    pid_t pid = spawn_blocked(&go);
    struct user_regs_struct regs;
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "PTRACE_CONT of an untraced child");
    EXPECT_ERRNO(pt(PTRACE_DETACH, pid, 0, 0), ESRCH, "PTRACE_DETACH of an untraced child");
    EXPECT_ERRNO(pt(PTRACE_KILL, pid, 0, 0), ESRCH, "PTRACE_KILL of an untraced child");
    EXPECT_ERRNO(pt(PTRACE_INTERRUPT, pid, 0, 0), ESRCH, "PTRACE_INTERRUPT of an untraced child");
    EXPECT_ERRNO(pt(PTRACE_GETREGS, pid, 0, (long)&regs), ESRCH, "PTRACE_GETREGS of an untraced child");
    EXPECT_ERRNO(pt(0x7777, pid, 0, 0), ESRCH, "an unknown request on an untraced child");
    release(go, 0);
    wait_report(pid, 0, "wait");

    /* A zombie cannot be attached. */
    pid = guest_fork();
    if (pid == 0)
        _exit(2);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT); /* now a zombie */
    EXPECT_ERRNO(pt(PTRACE_ATTACH, pid, 0, 0), EPERM, "PTRACE_ATTACH to a zombie");
    EXPECT_ERRNO(pt(PTRACE_SEIZE, pid, 0, 0), EPERM, "PTRACE_SEIZE of a zombie");
    wait_report(pid, 0, "wait");
}

/* ------------------------------------------------------------------------------ credentials */

/* A child (of the caller) that sets its dumpable flag, says so on a pipe, and blocks. */
static pid_t spawn_dumpable(int dumpable, int *gofd)
{
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
        char c = (char)prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        (void)!write(ready[1], &c, 1);
        ssize_t r;
        while ((r = read(go[0], &c, 1)) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c = -1;
    (void)!read(ready[0], &c, 1);
    close(ready[0]);
    CHECK(c == dumpable, "a child with dumpable %d", dumpable);
    *gofd = go[1];
    return pid;
}

static void test_credentials(void)
{
    printf("-- credentials\n");
    /* Root attaches to a non-dumpable child (CAP_SYS_PTRACE). */
    int go;
    pid_t pid = spawn_dumpable(0, &go);
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "root: PTRACE_ATTACH to a non-dumpable child");
    wait_report(pid, 0, "root: wait after attach");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "root: PTRACE_DETACH");
    release(go, 0);
    wait_report(pid, 0, "root: wait");

    pid_t root = getpid();
    pid = guest_fork();
    if (pid == 0) {
        CHECK(setuid(65534) == 0, "child: setuid(65534)");
        EXPECT_ERRNO(pt(PTRACE_ATTACH, root, 0, 0), EPERM, "uid 65534: PTRACE_ATTACH to a root process");
        EXPECT_ERRNO(pt(PTRACE_SEIZE, root, 0, 0), EPERM, "uid 65534: PTRACE_SEIZE of a root process");
        /* A same-uid, dumpable child may be traced. */
        int go2;
        pid_t t = spawn_dumpable(1, &go2);
        CHECK(pt(PTRACE_ATTACH, t, 0, 0) == 0, "uid 65534: PTRACE_ATTACH to a dumpable same-uid child");
        wait_report(t, 0, "uid 65534: wait after attach");
        CHECK(pt(PTRACE_DETACH, t, 0, 0) == 0, "uid 65534: PTRACE_DETACH");
        release(go2, 0);
        wait_report(t, 0, "uid 65534: wait");
        /* A non-dumpable one may not. */
        t = spawn_dumpable(0, &go2);
        EXPECT_ERRNO(pt(PTRACE_ATTACH, t, 0, 0), EPERM, "uid 65534: PTRACE_ATTACH to a non-dumpable child");
        EXPECT_ERRNO(pt(PTRACE_SEIZE, t, 0, 0), EPERM, "uid 65534: PTRACE_SEIZE of a non-dumpable child");
        release(go2, 0);
        wait_report(t, 0, "uid 65534: wait");
        guest_child_exit();
    }
    wait_report(pid, 0, "the uid 65534 child");
}

/* ------------------------------------------------------------------------------ pid namespace */

static void test_pidns_init(void)
{
    printf("-- the init of a pid namespace, from inside\n");
    pid_t pid = guest_fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWPID) != 0) {
            printf("unshare(CLONE_NEWPID) failed: %s\n", errno_name(errno));
            guest_child_exit();
        }
        pid_t init = guest_fork();
        if (init == 0) {
            printf("init: getpid() == %d\n", (int)getpid());
            pid_t j = guest_fork();
            if (j == 0) {
                /* the init's child traces the init */
                CHECK(pt(PTRACE_ATTACH, 1, 0, 0) == 0, "init's child: PTRACE_ATTACH to pid 1");
                wait_report(1, 0, "init's child: wait for pid 1");
                CHECK(pt(PTRACE_DETACH, 1, 0, 0) == 0, "init's child: PTRACE_DETACH pid 1");
                guest_child_exit();
            }
            wait_report(j, 0, "init: wait for its child");
            guest_child_exit();
        }
        wait_report(init, 0, "wait for the namespace's init");
        guest_child_exit();
    }
    wait_report(pid, 0, "wait for the unsharer");
}

/* ------------------------------------------------------------------------------ tracer exit */

enum tracer_mode {
    T_ATTACH_CONT,   /* attach, wait, PTRACE_CONT, exit */
    T_ATTACH_WAIT,   /* attach, wait, exit (the tracee is left in its stop) */
    T_ATTACH_NOWAIT, /* attach, see the stop with WNOWAIT only, exit */
    T_SEIZE,         /* seize, exit */
    T_SEIZE_EXITKILL /* seize with PTRACE_O_EXITKILL, exit */
};

/* Fork a tracer of pid that does what mode says, then exits. */
static pid_t spawn_tracer(pid_t pid, enum tracer_mode mode)
{
    pid_t r = guest_fork();
    if (r == 0) {
        if (mode == T_SEIZE || mode == T_SEIZE_EXITKILL) {
            CHECK(pt(PTRACE_SEIZE, pid, 0, mode == T_SEIZE ? 0 : PTRACE_O_EXITKILL) == 0, "tracer: PTRACE_SEIZE");
        } else {
            CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "tracer: PTRACE_ATTACH");
            if (mode == T_ATTACH_NOWAIT) {
                siginfo_t si;
                memset(&si, 0, sizeof si);
                CHECK(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT) == 0 && si.si_pid == pid &&
                          si.si_code == CLD_TRAPPED && si.si_status == SIGSTOP,
                      "tracer: waitid(WNOWAIT) sees the SIGSTOP trap");
            } else {
                wait_report(pid, 0, "tracer: wait after attach");
            }
            show_proc(pid, getpid(), "tracer: its tracee");
            if (mode == T_ATTACH_CONT)
                CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "tracer: PTRACE_CONT");
        }
        printf("tracer: exits\n");
        guest_child_exit();
    }
    return r;
}

static void test_tracer_exit(void)
{
    printf("-- the tracer exits\n");
    /* The tracer continued its tracee, then exited: the tracee runs on, untraced. */
    int go;
    pid_t pid = spawn_blocked(&go);
    pid_t tr = spawn_tracer(pid, T_ATTACH_CONT);
    wait_report(tr, 0, "parent: the tracer");
    CHECK(tracer_of(pid) == 0, "parent: TracerPid is 0 once the tracer is gone");
    int st;
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "parent: the child is not stopped");
    release(go, 9);
    wait_report(pid, 0, "parent: the child");

    /* The tracer reaped the attach stop, then exited with the tracee still in it: the
     * tracer's wait consumed the SIGSTOP, so the untraced tracee runs on. */
    pid = spawn_blocked(&go);
    tr = spawn_tracer(pid, T_ATTACH_WAIT);
    wait_report(tr, 0, "parent: the tracer");
    CHECK(tracer_of(pid) == 0, "parent: TracerPid is 0 once the tracer is gone");
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "parent: the child is not stopped");
    release(go, 10);
    wait_report(pid, 0, "parent: the child");

    /* The tracer only peeked at the stop (WNOWAIT) and exited: the SIGSTOP is still
     * the tracee's to take, and it group-stops, seen by its real parent. */
    pid = spawn_blocked(&go);
    tr = spawn_tracer(pid, T_ATTACH_NOWAIT);
    wait_report(tr, 0, "parent: the tracer");
    wait_report(pid, WUNTRACED, "parent: the child, WUNTRACED");
    CHECK(tracer_of(pid) == 0, "parent: TracerPid is 0 once the tracer is gone");
    {
        char state[64];
        printf("parent: the child's State: %s\n", status_field(pid, "State", state, sizeof state));
    }
    CHECK(kill(pid, SIGCONT) == 0, "parent: SIGCONT");
    wait_report(pid, WCONTINUED, "parent: the child, WCONTINUED");
    release(go, 11);
    wait_report(pid, 0, "parent: the child");

    /* PTRACE_O_EXITKILL: the tracer's exit kills the tracee. */
    pid = spawn_blocked(&go);
    tr = spawn_tracer(pid, T_SEIZE_EXITKILL);
    wait_report(tr, 0, "parent: the PTRACE_O_EXITKILL tracer");
    wait_report(pid, 0, "parent: the child");
    close(go);

    /* A seizing tracer without EXITKILL: the tracee never stopped and just runs on. */
    pid = spawn_blocked(&go);
    tr = spawn_tracer(pid, T_SEIZE);
    wait_report(tr, 0, "parent: the seizing tracer");
    CHECK(tracer_of(pid) == 0, "parent: TracerPid is 0 once the tracer is gone");
    release(go, 12);
    wait_report(pid, 0, "parent: the child");
}

int main(void)
{
    guest_line_buffered();
    test_traceme();
    test_attach();
    test_detach();
    test_seize();
    test_refusals();
    test_credentials();
    test_pidns_init();
    test_tracer_exit();
    return guest_exit();
}
