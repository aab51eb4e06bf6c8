/*
 * ptrace_wait: what wait reports to a tracer and to the real parent.
 *
 * A tracee that is not the tracer's child is reported to the tracer's wait
 * (waitpid(-1) included); waitid says CLD_TRAPPED for a ptrace stop and WNOWAIT
 * leaves the stop reportable.  When a tracee exits, only its tracer sees it
 * until the tracer reaps it (or exits); then the real parent gets the exit.
 * Threads traced by another process: which wait flags see them, and their
 * exits.  The zombie group leader: a traced process whose leader called
 * pthread_exit while another thread runs, then that thread exits -- what the
 * tracer sees and when, and what the real parent sees.
 *
 * Every step is ordered through pipes between the processes.  A process that
 * has to know that another one is a zombie either waits for it with WNOWAIT
 * or (for a thread-group leader, whose exit wait does not report while other
 * threads live) polls /proc/PID/stat for state 'Z', a bounded loop.
 *
 * Linux 6.18, observed natively (what the transcript encodes):
 *  - a tracer with no children of its own gets ECHILD from waitpid(-1) before
 *    it attaches, and its tracee from waitpid(-1) after; waitpid(-1, WNOHANG)
 *    is then 0 while the tracee runs.  A ptrace stop is reported to the
 *    tracer without WUNTRACED, and waitid(WEXITED) alone reports it as well.
 *  - waitid's si_code is CLD_TRAPPED for every ptrace stop (the group-stop of
 *    a seized tracee included) and si_status is the whole stop code: SIGSTOP
 *    for the attach stop, (PTRACE_EVENT_STOP << 8) | SIGTRAP for an interrupt.
 *  - a traced tracee's exit is first the tracer's: the real parent's
 *    waitpid(WNOHANG) says 0 (not ECHILD) until the tracer has reaped it or
 *    exited, then the real parent reaps it with the same status.  The tracer
 *    cannot PTRACE_DETACH a zombie (ESRCH), and after reaping it gets ECHILD.
 *    The real parent's SIGCHLD (CLD_EXITED) is sent when the tracer reaps, not
 *    when the tracee exits.
 *  - ptrace is per thread: another thread of the tracer's process gets ESRCH
 *    for requests (EPERM for a second attach), but its wait does see (and
 *    takes) the tracee's stops, unless it passes __WNOTHREAD (then ECHILD).
 *  - a thread traced by another process is seen by that tracer's wait without
 *    __WALL or __WCLONE (since Linux 4.7, a traced task counts as a child
 *    whatever its exit signal), and by waitpid(tid), and its exit is reported
 *    to the tracer with the thread's own exit code.
 *  - waitid(WCONTINUED) alone (or any flags) reports a ptrace stop to the
 *    tracer, and consumes it unless WNOWAIT is given.
 *  - the zombie leader: after the leader's pthread_exit the process stays
 *    unreported to everyone (tracer and real parent: WNOHANG says 0) while
 *    another thread lives.  When the last thread exits with SYS_exit(7), the
 *    process is reported as "exit 7": the last thread's code, not the
 *    leader's 0 (the exit code of a process whose threads all exit one by one
 *    is the last one's).  It is reported first to the leader's tracer; the
 *    real parent gets it once the tracer has reaped it.  If the last thread is traced too, the tracer
 *    first sees that thread's exit ("exit 7", by tid), and the leader's only
 *    once it has reaped the thread.  If only the thread is traced, the
 *    leader's exit goes straight to the real parent, but only after the
 *    tracer has reaped the thread.
 */
#include "guest.h"
#include "guest_ptrace.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>


/* waitpid(-1) expected to report the task expect. */
static int wait_any(pid_t expect, int flags, const char *what)
{
    int st = 0;
    pid_t got = waitpid(-1, &st, flags);
    if (got != expect) {
        guest_failures++;
        printf("FAIL %s: waitpid returned %s\n", what, got == 0 ? "0" : got > 0 ? "another task" : errno_name(errno));
        return -1;
    }
    printf("%s: %s\n", what, wstr(st));
    return st;
}

/* waitpid(pid, WNOHANG | flags) expected to find nothing yet (0). */
static void expect_nothing(pid_t pid, int flags, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, WNOHANG | flags);
    if (got == 0)
        printf("ok %s: nothing to report\n", what);
    else {
        guest_failures++;
        printf("FAIL %s: waitpid returned %s\n", what, got > 0 ? wstr(st) : errno_name(errno));
    }
}

static const char *cld_name(int code)
{
    static char buf[32];
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_TRAPPED: return "CLD_TRAPPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    }
    snprintf(buf, sizeof buf, "code %d", code);
    return buf;
}

static const char *stop_code(int status)
{
    static char buf[64];
    if ((status >> 8) != 0)
        snprintf(buf, sizeof buf, "(%d << 8) | %s", status >> 8, signal_name(status & 0xff));
    else
        snprintf(buf, sizeof buf, "%s", signal_name(status));
    return buf;
}

/* waitid, printed: who (as the name of the expected pid), si_code and si_status. */
static void waitid_report(idtype_t idt, pid_t id, int flags, pid_t expect, const char *what)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(idt, id, &si, flags) != 0) {
        printf("%s: waitid -> %s\n", what, errno_name(errno));
        return;
    }
    if (si.si_pid == 0) {
        printf("%s: waitid: nothing to report\n", what);
        return;
    }
    const char *status;
    if (si.si_code == CLD_EXITED)
        status = "";
    else
        status = si.si_code == CLD_TRAPPED ? stop_code(si.si_status) : signal_name(si.si_status);
    char st[80];
    if (si.si_code == CLD_EXITED)
        snprintf(st, sizeof st, "%d", si.si_status);
    else
        snprintf(st, sizeof st, "%s", status);
    printf("%s: waitid: si_pid %s, si_code %s, si_status %s\n", what, si.si_pid == expect ? "as expected" : "OTHER",
           cld_name(si.si_code), st);
}

static void put_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

static int get_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* A child blocked reading a pipe; the byte it reads is its exit code. */
static pid_t spawn_blocked(int *gofd)
{
    int go[2];
    pipe(go);
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(go[1]);
        unsigned char c = 0;
        int r = get_all(go[0], &c, 1);
        _exit(r == 0 ? c : 100);
    }
    close(go[0]);
    *gofd = go[1];
    return pid;
}

static void release(int gofd, unsigned char code)
{
    put_all(gofd, &code, 1);
    close(gofd);
}

/*
 * Two processes taking turns: a "baton" pipe pair.  pass(n) hands the turn to
 * the other side and waits for it to come back.
 */
struct baton {
    int rd, wr;
};

static void baton_pair(struct baton *a, struct baton *b)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    a->rd = p[0];
    b->wr = p[1];
    b->rd = q[0];
    a->wr = q[1];
}

static void baton_give(struct baton *b)
{
    put_all(b->wr, "t", 1);
}

static int baton_take(struct baton *b)
{
    char c;
    return get_all(b->rd, &c, 1);
}

static void baton_close(struct baton *b)
{
    close(b->rd);
    close(b->wr);
}

/* ------------------------------------------------------------------------------ non-child tracee */

/* SIGCHLD held blocked (and any pending one taken) so that its arrival can be looked at. */
static void sigchld_drain(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec zero = {0, 0};
    siginfo_t si;
    while (sigtimedwait(&set, &si, &zero) == SIGCHLD)
        ;
}

static void sigchld_block(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigchld_drain();
}

static void sigchld_unblock(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigchld_drain();
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Take a pending SIGCHLD (if any) and print what it says about from. */
static void show_sigchld(pid_t from, const char *what)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec zero = {0, 0};
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (sigtimedwait(&set, &si, &zero) != SIGCHLD) {
        printf("%s: none pending\n", what);
        return;
    }
    printf("%s: si_pid %s, si_code %s, si_status %d\n", what, si.si_pid == from ? "as expected" : "OTHER",
           cld_name(si.si_code), si.si_status);
}

static void test_nonchild(void)
{
    printf("-- a tracee that is not the tracer's child\n");
    sigchld_block();
    int go;
    pid_t pid = spawn_blocked(&go);
    struct baton mb, tb;
    baton_pair(&mb, &tb);
    pid_t tr = guest_fork();
    if (tr == 0) {
        baton_close(&mb);
        close(go);
        int st;
        EXPECT_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD, "tracer: waitpid(-1) before attaching");
        CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "tracer: PTRACE_ATTACH");
        waitid_report(P_ALL, 0, WEXITED | WNOWAIT, pid, "tracer: waitid(P_ALL, WEXITED|WNOWAIT)");
        waitid_report(P_PID, pid, WSTOPPED | WNOWAIT, pid, "tracer: waitid(P_PID, WSTOPPED|WNOWAIT) again");
        waitid_report(P_PID, pid, WCONTINUED | WNOHANG | WNOWAIT, pid, "tracer: waitid(P_PID, WCONTINUED|WNOHANG|WNOWAIT)");
        wait_any(pid, 0, "tracer: waitpid(-1, 0)");
        expect_nothing(-1, 0, "tracer: waitpid(-1) after the stop was taken");
        waitid_report(P_PID, pid, WSTOPPED | WNOHANG, pid, "tracer: waitid(P_PID, WSTOPPED|WNOHANG)");
        CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "tracer: PTRACE_CONT");
        baton_give(&tb); /* main releases the tracee, which exits 13 */
        baton_take(&tb);
        waitid_report(P_PID, pid, WEXITED | WNOWAIT, pid, "tracer: waitid(WEXITED|WNOWAIT)");
        EXPECT_ERRNO(pt(PTRACE_DETACH, pid, 0, 0), ESRCH, "tracer: PTRACE_DETACH of the zombie");
        baton_give(&tb); /* main: nothing to see yet */
        baton_take(&tb);
        wait_report(pid, 0, "tracer: waitpid(tracee)");
        EXPECT_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD, "tracer: waitpid(tracee) after reaping it");
        baton_give(&tb); /* main reaps the tracee while the tracer still lives */
        baton_take(&tb);
        guest_child_exit();
    }
    baton_close(&tb);
    baton_take(&mb);
    release(go, 13);
    baton_give(&mb);
    baton_take(&mb);
    expect_nothing(pid, 0, "parent: waitpid(tracee, WNOHANG) while the tracer has not reaped it");
    waitid_report(P_PID, pid, WEXITED | WNOHANG | WNOWAIT, pid, "parent: waitid(WEXITED|WNOHANG|WNOWAIT)");
    show_sigchld(pid, "parent: SIGCHLD before the tracer reaps");
    baton_give(&mb);
    baton_take(&mb);
    show_sigchld(pid, "parent: SIGCHLD after the tracer reaped");
    wait_report(pid, 0, "parent: waitpid(tracee)");
    baton_give(&mb);
    wait_report(tr, 0, "parent: the tracer");
    baton_close(&mb);
    sigchld_unblock();

    printf("-- the tracer exits, its tracee a zombie it has not reaped\n");
    pid = spawn_blocked(&go);
    baton_pair(&mb, &tb);
    tr = guest_fork();
    if (tr == 0) {
        baton_close(&mb);
        close(go);
        CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "tracer: PTRACE_SEIZE");
        baton_give(&tb); /* main releases the tracee, which exits 14 */
        baton_take(&tb);
        waitid_report(P_PID, pid, WEXITED | WNOWAIT, pid, "tracer: waitid(WEXITED|WNOWAIT)");
        baton_give(&tb);
        baton_take(&tb);
        guest_child_exit();
    }
    baton_close(&tb);
    baton_take(&mb);
    release(go, 14);
    baton_give(&mb);
    baton_take(&mb);
    expect_nothing(pid, 0, "parent: waitpid(tracee, WNOHANG) while the tracer lives");
    baton_give(&mb);
    wait_report(tr, 0, "parent: the tracer");
    wait_report(pid, 0, "parent: waitpid(tracee)");
    baton_close(&mb);
}

/* ------------------------------------------------------------------------------ another thread of the tracer */

static pid_t helper_target;

/* A second thread of the tracer's process: it may wait for the tracee, but not command it. */
static void *helper_thread(void *arg)
{
    (void)arg;
    int st;
    EXPECT_ERRNO(waitpid(helper_target, &st, __WNOTHREAD | WNOHANG), ECHILD,
                 "tracer's other thread: waitpid(tracee, __WNOTHREAD)");
    waitid_report(P_PID, helper_target, WSTOPPED | WNOWAIT, helper_target,
                  "tracer's other thread: waitid(tracee, WSTOPPED|WNOWAIT)");
    EXPECT_ERRNO(pt(PTRACE_CONT, helper_target, 0, 0), ESRCH, "tracer's other thread: PTRACE_CONT");
    EXPECT_ERRNO(pt(PTRACE_DETACH, helper_target, 0, 0), ESRCH, "tracer's other thread: PTRACE_DETACH");
    EXPECT_ERRNO(pt(PTRACE_ATTACH, helper_target, 0, 0), EPERM, "tracer's other thread: PTRACE_ATTACH");
    wait_report(helper_target, 0, "tracer's other thread: waitpid(tracee)");
    return NULL;
}

/*
 * A grandchild blocked reading a pipe (exit code: the byte read), its parent (our
 * child, *middle) waiting for it and exiting with its status.
 */
static pid_t spawn_grandchild(int *gofd, pid_t *middle)
{
    int go[2], idp[2];
    pipe(go);
    pipe(idp);
    pid_t mid = guest_fork();
    if (mid == 0) {
        close(go[1]);
        close(idp[0]);
        pid_t g = guest_fork();
        if (g == 0) {
            unsigned char c = 0;
            _exit(get_all(go[0], &c, 1) == 0 ? c : 100);
        }
        put_all(idp[1], &g, sizeof g);
        int st = 0;
        while (waitpid(g, &st, 0) < 0 && errno == EINTR)
            ;
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st));
    }
    close(go[0]);
    close(idp[1]);
    pid_t g = 0;
    get_all(idp[0], &g, sizeof g);
    close(idp[0]);
    *gofd = go[1];
    *middle = mid;
    return g;
}

static void test_tracer_threads(void)
{
    printf("-- another thread of the tracer's process (the tracee is a grandchild)\n");
    int go;
    pid_t middle;
    pid_t pid = spawn_grandchild(&go, &middle);
    helper_target = pid;
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    pthread_t th;
    pthread_create(&th, NULL, helper_thread, NULL);
    pthread_join(th, NULL);
    int st;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "the other thread took the stop");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "the tracing thread: PTRACE_CONT");
    release(go, 15);
    wait_report(pid, 0, "waitpid(tracee)");
    wait_report(middle, 0, "waitpid(the tracee's parent)");
}

/* ------------------------------------------------------------------------------ traced threads */

static int thread_tid_pipe[2];
static int thread_go[2];

/* Report our tid, wait for the word, exit with the byte read (SYS_exit: this thread only). */
static void *thread_body(void *arg)
{
    (void)arg;
    int tid = (int)syscall(SYS_gettid);
    put_all(thread_tid_pipe[1], &tid, sizeof tid);
    unsigned char c = 0;
    get_all(thread_go[0], &c, 1);
    syscall(SYS_exit, c);
    return NULL;
}

/*
 * Fork a process with two threads: the leader waits on lead_go (then, given
 * byte 'p', calls pthread_exit, else _exit(byte)); the other thread waits on
 * thread_go then SYS_exits with the byte.  Returns the pid; *tid gets the thread's tid.
 */
static pid_t spawn_two_threads(pid_t *tid, int *lead_go_fd, int *thread_go_fd)
{
    int lead_go[2];
    pipe(lead_go);
    pipe(thread_go);
    pipe(thread_tid_pipe);
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(lead_go[1]);
        close(thread_go[1]);
        close(thread_tid_pipe[0]);
        pthread_t th;
        pthread_create(&th, NULL, thread_body, NULL);
        unsigned char c = 0;
        get_all(lead_go[0], &c, 1);
        if (c == 'p')
            pthread_exit(NULL);
        _exit(c);
    }
    close(lead_go[0]);
    close(thread_go[0]);
    close(thread_tid_pipe[1]);
    *tid = 0;
    get_all(thread_tid_pipe[0], tid, sizeof *tid);
    close(thread_tid_pipe[0]);
    *lead_go_fd = lead_go[1];
    *thread_go_fd = thread_go[1];
    return pid;
}

static void test_threads(void)
{
    printf("-- a thread of another process, traced\n");
    pid_t tid;
    int lead_go, tgo;
    pid_t pid = spawn_two_threads(&tid, &lead_go, &tgo);
    CHECK(tid != pid && tid > 0, "the thread's tid is not the process's pid");
    CHECK(pt(PTRACE_SEIZE, tid, 0, 0) == 0, "PTRACE_SEIZE of the thread");
    expect_nothing(-1, 0, "waitpid(-1) while nothing is stopped");
    CHECK(pt(PTRACE_INTERRUPT, tid, 0, 0) == 0, "PTRACE_INTERRUPT of the thread");
    waitid_report(P_PID, tid, WSTOPPED | WNOWAIT, tid, "waitid(P_PID tid, WSTOPPED|WNOWAIT)");
    waitid_report(P_ALL, 0, WSTOPPED | WNOWAIT, tid, "waitid(P_ALL, WSTOPPED|WNOWAIT)");
    waitid_report(P_ALL, 0, WSTOPPED | WNOWAIT | __WCLONE, tid, "waitid(P_ALL, WSTOPPED|WNOWAIT|__WCLONE)");
    waitid_report(P_ALL, 0, WSTOPPED | WNOWAIT | __WALL, tid, "waitid(P_ALL, WSTOPPED|WNOWAIT|__WALL)");
    waitid_report(P_PID, pid, WSTOPPED | WNOWAIT | WNOHANG, tid, "waitid(P_PID pid, WSTOPPED|WNOWAIT|WNOHANG)");
    expect_nothing(pid, WUNTRACED, "waitpid(the process, WUNTRACED)");
    wait_any(tid, 0, "waitpid(-1, 0)");
    expect_nothing(-1, __WALL, "waitpid(-1, __WALL) after the stop was taken");
    CHECK(pt(PTRACE_CONT, tid, 0, 0) == 0, "PTRACE_CONT of the thread");
    CHECK(pt(PTRACE_INTERRUPT, tid, 0, 0) == 0, "PTRACE_INTERRUPT of the thread again");
    wait_report(tid, 0, "waitpid(tid, 0)");
    CHECK(pt(PTRACE_CONT, tid, 0, 0) == 0, "PTRACE_CONT of the thread");
    CHECK(pt(PTRACE_INTERRUPT, tid, 0, 0) == 0, "PTRACE_INTERRUPT of the thread again");
    wait_report(tid, __WCLONE, "waitpid(tid, __WCLONE)");
    CHECK(pt(PTRACE_CONT, tid, 0, 0) == 0, "PTRACE_CONT of the thread");
    release(tgo, 21); /* the thread exits alone with 21 */
    waitid_report(P_PID, tid, WEXITED | WNOWAIT, tid, "waitid(P_PID tid, WEXITED|WNOWAIT) for the thread's exit");
    expect_nothing(pid, 0, "waitpid(the process): the leader lives on");
    wait_any(tid, 0, "waitpid(-1, 0)");
    EXPECT_ERRNO(pt(PTRACE_CONT, tid, 0, 0), ESRCH, "PTRACE_CONT of the reaped thread");
    release(lead_go, 22);
    wait_report(pid, 0, "waitpid(the process)");
}

/* ------------------------------------------------------------------------------ the zombie leader */

/* Poll /proc/pid/stat until its state is 'Z' (bounded: about 10 s). */
static int wait_zombie(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 10000; i++) {
        char buf[512];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'Z')
                return 1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

enum traced { LEADER = 1, THREAD = 2 };

static void zombie_leader(int which)
{
    printf("-- zombie leader; traced: %s%s%s\n", which & LEADER ? "the leader" : "",
           which == (LEADER | THREAD) ? " and " : "", which & THREAD ? "the other thread" : "");
    pid_t tid;
    int lead_go, tgo;
    pid_t pid = spawn_two_threads(&tid, &lead_go, &tgo);
    struct baton mb, tb;
    baton_pair(&mb, &tb);
    pid_t tr = guest_fork();
    if (tr == 0) {
        baton_close(&mb);
        close(lead_go);
        close(tgo);
        int st;
        if (which & LEADER)
            CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "tracer: PTRACE_SEIZE of the leader");
        if (which & THREAD)
            CHECK(pt(PTRACE_SEIZE, tid, 0, 0) == 0, "tracer: PTRACE_SEIZE of the other thread");
        baton_give(&tb); /* main: the leader calls pthread_exit */
        baton_take(&tb);
        if (which & LEADER)
            expect_nothing(pid, __WALL, "tracer: waitpid(leader) after its pthread_exit");
        expect_nothing(-1, __WALL, "tracer: waitpid(-1)");
        baton_give(&tb); /* main: the other thread exits */
        baton_take(&tb);
        if (which & THREAD) {
            waitid_report(P_PID, tid, WEXITED | WNOWAIT | __WALL, tid, "tracer: waitid(thread, WEXITED|WNOWAIT)");
            if (which & LEADER)
                expect_nothing(pid, __WALL, "tracer: waitpid(leader) while the thread is an unreaped zombie");
            baton_give(&tb); /* main looks */
            baton_take(&tb);
            wait_report(tid, __WALL, "tracer: waitpid(thread)");
        }
        if (which & LEADER) {
            waitid_report(P_PID, pid, WEXITED | WNOWAIT | __WALL, pid, "tracer: waitid(leader, WEXITED|WNOWAIT)");
            baton_give(&tb); /* main looks */
            baton_take(&tb);
            wait_report(pid, __WALL, "tracer: waitpid(leader)");
        }
        EXPECT_ERRNO(waitpid(-1, &st, __WALL | WNOHANG), ECHILD, "tracer: waitpid(-1) at the end");
        baton_give(&tb); /* main reaps the process while the tracer still lives */
        baton_take(&tb);
        guest_child_exit();
    }
    baton_close(&tb);
    baton_take(&mb);
    release(lead_go, 'p');
    CHECK(wait_zombie(pid), "parent: the leader is a zombie (/proc/PID/stat)");
    expect_nothing(pid, 0, "parent: waitpid(process) while the other thread lives");
    baton_give(&mb);
    baton_take(&mb);
    release(tgo, 7);
    if (which & THREAD) {
        baton_give(&mb);
        baton_take(&mb);
        expect_nothing(pid, 0, "parent: waitpid(process) while the traced thread is unreaped");
    }
    if (which & LEADER) {
        baton_give(&mb);
        baton_take(&mb);
        expect_nothing(pid, 0, "parent: waitpid(process) while the tracer has not reaped the leader");
    }
    baton_give(&mb);
    baton_take(&mb);
    wait_report(pid, 0, "parent: waitpid(process)");
    baton_give(&mb);
    wait_report(tr, 0, "parent: the tracer");
    baton_close(&mb);
}

int main(void)
{
    guest_line_buffered();
    test_nonchild();
    test_tracer_threads();
    test_threads();
    zombie_leader(LEADER);
    zombie_leader(LEADER | THREAD);
    zombie_leader(THREAD);
    return guest_exit();
}
