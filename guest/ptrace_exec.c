/*
 * ptrace_exec: execve in a multithreaded tracee whose threads are all traced.
 *
 *   ptrace_exec            run the cases
 *   ptrace_exec execd      (the program the tracee execs: exits 0 at once)
 *
 * The tracee (the leader L, traced with PTRACE_TRACEME and
 * PTRACE_O_TRACECLONE|TRACEEXEC) creates a thread U and then a thread T; both
 * are auto-attached.  T (or L, in the last case) execs while U sits in a
 * ptrace stop or runs, and the leader runs or sits in a ptrace stop.  The
 * tracer collects every report with waitpid(-1, __WALL), resuming every stop
 * except the exec event, and prints them per thread (L's reports, U's), so the
 * transcript does not depend on how Linux interleaves two threads' reports.
 *
 * What Linux 6.18 does (checked natively; the cases pin it):
 *
 * - The other threads die without being resumed by the tracer (a ptrace stop
 *   is no shelter).  With TRACEEXIT each stops first at PTRACE_EVENT_EXIT with
 *   GETEVENTMSG 0, the old leader included.
 * - A killed non-leader thread is reported as "exit 0" (status 0), not as
 *   killed by SIGKILL.  The old leader reports no exit at all: exec releases
 *   it silently and the execing thread takes over its pid.
 * - The exec does not complete until the tracer has reaped every killed
 *   traced thread: they stay zombies for the tracer, and exec waits for them
 *   to be released.  A tracer that waits only for the pid (waitpid(pid)) for
 *   the exec event therefore deadlocks with the execing thread; this guest
 *   shows the waiting state (the zombie there, nothing for the pid yet) and
 *   then reaps, never the deadlock itself.  Likewise a killed thread held in
 *   its PTRACE_EVENT_EXIT stop holds up the exec until the tracer resumes it.
 * - PTRACE_EVENT_EXEC is then reported under the pid (the old leader's tid),
 *   after every report of the killed threads, with GETEVENTMSG == the execing
 *   thread's former tid.  That tid is gone: waitpid(tid) -> ECHILD,
 *   ptrace(tid) -> ESRCH.
 */
#include "guest.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#define O_CLONE (1 << 3)
#define O_EXEC (1 << 4)
#define O_EXIT (1 << 6)
#define EV(e) ((((e) << 8 | SIGTRAP) << 8) | 0x7f)
#define ST_SIGSTOP 0x137f

static const char *self_path;
static int go[2];           /* tracer -> execing thread: exec now */
static pid_t known[4];

/* ------------------------------------------------------------ tracer helpers */

static void bail(const char *what)
{
    printf("FAIL %s: giving up\n", what);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] > 0)
            kill(known[i], SIGKILL);
    while (waitpid(-1, NULL, __WALL) > 0)
        ;
    guest_failures++;
    exit(guest_exit());
}

static const char *st_str(int st)
{
    static char buf[96];
    if (WIFSTOPPED(st) && (st >> 16))
        snprintf(buf, sizeof buf, "%#x (%s, event %d)", st, signal_name(WSTOPSIG(st)), st >> 16);
    else
        snprintf(buf, sizeof buf, "%#x (%s)", st, status_str(st));
    return buf;
}

static void expect(pid_t pid, int want, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, __WALL);
    if (got != pid || st != want) {
        printf("FAIL %s: want %#x, got %s\n", what, want, got == pid ? st_str(st) : errno_name(errno));
        bail(what);
    }
    printf("ok %s: %s\n", what, st_str(st));
}

static void resume(pid_t pid)
{
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) {
        printf("FAIL PTRACE_CONT: %s\n", errno_name(errno));
        bail("resume");
    }
}

static unsigned long eventmsg(pid_t pid)
{
    unsigned long msg = 0xdeadbeef;
    if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) != 0)
        bail("GETEVENTMSG");
    return msg;
}

/* ------------------------------------------------------------ the tracee */

static void exec_self(void)
{
    char *argv[] = {(char *)self_path, "execd", NULL};
    char *envp[] = {NULL};
    execve(self_path, argv, envp);
    _exit(97);
}

static void wait_go(void)
{
    char ch;
    while (read(go[0], &ch, 1) < 0 && errno == EINTR)
        ;
}

static void *other_body(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *exec_body(void *arg)
{
    (void)arg;
    wait_go();
    exec_self();
    return NULL;
}

/* The tracee: U, then (unless the leader execs) T; the leader then waits forever or execs. */
static void tracee_main(int leader_execs)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, NULL);
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
        _exit(99);
    kill(getpid(), SIGSTOP);
    pthread_t u, t;
    if (pthread_create(&u, NULL, other_body, NULL) != 0)
        _exit(98);
    if (leader_execs) {
        wait_go();
        exec_self();
    }
    if (pthread_create(&t, NULL, exec_body, NULL) != 0)
        _exit(98);
    for (;;)
        pause();
}

/* ------------------------------------------------------------ the cases */

struct report {
    pid_t who;
    int st;
    unsigned long msg;
};

enum {
    LEADER_STOPPED = 1, /* the leader sits in its PTRACE_EVENT_CLONE stop during the exec */
    OTHER_RUNS = 2,     /* U is resumed (blocked in pause) rather than left in its first stop */
    LEADER_EXECS = 4,   /* the leader execs (no T) */
};

static void run_case(const char *title, int opts, int flags)
{
    printf("-- %s\n", title);
    int have_exit = !!(opts & O_EXIT);
    if (pipe(go) != 0)
        bail("pipe");
    pid_t L = guest_fork();
    if (L == 0)
        tracee_main(flags & LEADER_EXECS);
    known[0] = L;
    expect(L, ST_SIGSTOP, "leader: first stop");
    if (ptrace(PTRACE_SETOPTIONS, L, 0, (void *)(long)opts) != 0)
        bail("SETOPTIONS");
    resume(L);
    expect(L, EV(3), "leader: PTRACE_EVENT_CLONE (U)");
    pid_t U = (pid_t)eventmsg(L);
    known[1] = U;
    expect(U, ST_SIGSTOP, "U: first stop");
    if (flags & OTHER_RUNS)
        resume(U);
    pid_t T = L;
    if (!(flags & LEADER_EXECS)) {
        resume(L);
        expect(L, EV(3), "leader: PTRACE_EVENT_CLONE (T)");
        T = (pid_t)eventmsg(L);
        known[2] = T;
        expect(T, ST_SIGSTOP, "T: first stop");
        if (!(flags & LEADER_STOPPED))
            resume(L);
        resume(T);
    } else {
        resume(L);
    }
    if (flags & LEADER_EXECS)
        printf("the leader execs; U %s\n", flags & OTHER_RUNS ? "running" : "stopped");
    else
        printf("T execs; the leader %s; U %s\n", flags & LEADER_STOPPED ? "stopped" : "running",
               flags & OTHER_RUNS ? "running" : "stopped");
    CHECK(write(go[1], "x", 1) == 1, "tell the execing thread to exec");

    if (!have_exit) {
        /* U becomes a zombie that only the tracer can reap, and the exec waits for that. */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        CHECK(waitid(P_PID, U, &si, WEXITED | WNOWAIT | __WALL) == 0, "waitid(U, WNOWAIT): U is dead");
        CHECK(si.si_code == CLD_EXITED && si.si_status == 0, "U: CLD_EXITED, status 0");
        int st;
        CHECK(waitpid(L, &st, WNOHANG | __WALL) == 0, "nothing for the pid yet: the exec waits for U to be reaped");
    }

    /* Collect until the exec event. */
    struct report rep[16];
    int n = 0, exec_at = -1;
    while (n < 16) {
        int st = 0;
        pid_t w = waitpid(-1, &st, __WALL);
        if (w < 0) {
            printf("FAIL waitpid: %s\n", errno_name(errno));
            bail("collect");
        }
        rep[n].who = w;
        rep[n].st = st;
        rep[n].msg = 0;
        if (WIFSTOPPED(st) && (st >> 16))
            rep[n].msg = eventmsg(w);
        n++;
        if (w == L && st == EV(4)) {
            exec_at = n - 1;
            break;
        }
        if (WIFSTOPPED(st) && ptrace(PTRACE_CONT, w, 0, 0) != 0)
            printf("FAIL PTRACE_CONT after %s: %s\n", st_str(st), errno_name(errno));
    }
    if (exec_at < 0)
        bail("no exec event");
    const struct {
        const char *name;
        pid_t pid;
    } threads[] = {{T == L ? "pid" : "pid (old leader)", L}, {"U", U}, {"T's tid", T}};
    for (size_t k = 0; k < 3; k++) {
        if (k == 2 && T == L)
            continue;
        printf("%s reports:", threads[k].name);
        int any = 0;
        for (int i = 0; i < n; i++) {
            if (rep[i].who != threads[k].pid)
                continue;
            printf(" %s", st_str(rep[i].st));
            if (WIFSTOPPED(rep[i].st) && (rep[i].st >> 16)) {
                unsigned long m = rep[i].msg;
                if (m == (unsigned long)T && T != L)
                    printf(" msg == T's tid");
                else if (m == (unsigned long)L)
                    printf(" msg == pid");
                else
                    printf(" msg %lu", m);
            }
            printf(";");
            any = 1;
        }
        printf("%s\n", any ? "" : " none");
    }
    CHECK(exec_at == n - 1, "the exec event comes after every report of the killed threads");
    CHECK(eventmsg(L) == (unsigned long)T, "PTRACE_EVENT_EXEC: GETEVENTMSG == the execing thread's former tid");
    if (T != L) {
        int st;
        EXPECT_ERRNO(waitpid(T, &st, WNOHANG | __WALL), ECHILD, "waitpid(T's former tid)");
        unsigned long m;
        EXPECT_ERRNO(ptrace(PTRACE_GETEVENTMSG, T, 0, &m), ESRCH, "ptrace(T's former tid)");
    }
    int st;
    EXPECT_ERRNO(waitpid(U, &st, WNOHANG | __WALL), ECHILD, "waitpid(U) after the exec");
    resume(L);
    if (have_exit) {
        expect(L, EV(6), "pid: PTRACE_EVENT_EXIT of the new program");
        CHECK_EQ(eventmsg(L), 0, "GETEVENTMSG == 0");
        resume(L);
    }
    expect(L, 0, "pid: the new program exits 0");
    EXPECT_ERRNO(waitpid(-1, &st, WNOHANG | __WALL), ECHILD, "nothing left");
    close(go[0]);
    close(go[1]);
    memset(known, 0, sizeof known);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "execd") == 0)
        return 0;
    self_path = argv[0];
    guest_line_buffered();
    alarm(60);
    run_case("exec from a non-leader thread, U stopped, the leader running", O_CLONE | O_EXEC, 0);
    run_case("exec from a non-leader thread, U stopped, the leader stopped", O_CLONE | O_EXEC, LEADER_STOPPED);
    run_case("exec from a non-leader thread, U running, the leader stopped, TRACEEXIT", O_CLONE | O_EXEC | O_EXIT,
             LEADER_STOPPED | OTHER_RUNS);
    run_case("exec from a non-leader thread, U stopped, the leader running, TRACEEXIT", O_CLONE | O_EXEC | O_EXIT, 0);
    run_case("exec from the leader, U stopped", O_CLONE | O_EXEC, LEADER_EXECS);
    run_case("exec from the leader, U running, TRACEEXIT", O_CLONE | O_EXEC | O_EXIT, LEADER_EXECS | OTHER_RUNS);
    return guest_exit();
}
