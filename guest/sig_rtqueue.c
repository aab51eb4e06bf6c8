/*
 * sig_rtqueue: real-time signal queues.
 *
 * 100 real-time signals queued with sigqueue (values 0..99) while blocked are
 * delivered in order with their values once unblocked; several real-time
 * signals are delivered lowest number first, each in FIFO order; standard
 * signals coalesce (the first siginfo wins); RLIMIT_SIGPENDING caps the queue:
 * sigqueue then fails with EAGAIN, while kill() still marks the signal
 * pending (its siginfo lost); rt_sigqueueinfo may not forge kernel codes for
 * another process.
 */
#include "guest.h"

#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXREC 256

static struct rec {
    int sig, code, value, self;
} recs[MAXREC];
static volatile int nrec;

static void h_record(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (nrec < MAXREC) {
        recs[nrec].sig = sig;
        recs[nrec].code = si->si_code;
        recs[nrec].value = si->si_value.sival_int;
        recs[nrec].self = si->si_pid == getpid() ? 1 : si->si_pid == 0 ? 0 : -1;
    }
    nrec++;
}

static void install(int sig, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_record;
    sa.sa_flags = SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static const char *code_name(int code)
{
    static char buf[16];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    }
    snprintf(buf, sizeof buf, "%d", code);
    return buf;
}

static const char *sig_str(int sig)
{
    static char buf[16];
    if (sig >= SIGRTMIN) {
        snprintf(buf, sizeof buf, "RTMIN+%d", sig - SIGRTMIN);
        return buf;
    }
    return signal_name(sig);
}

static void block(int sig, sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, old);
}

static int queue(int sig, int value)
{
    union sigval v;
    v.sival_int = value;
    return sigqueue(getpid(), sig, v);
}

static void test_hundred(void)
{
    printf("-- 100 queued real-time signals\n");
    int r = SIGRTMIN + 1;
    install(r, NULL);
    sigset_t old;
    block(r, &old);
    int fails = 0;
    for (int i = 0; i < 100; i++)
        fails += queue(r, i) != 0;
    CHECK_EQ(fails, 0, "100 sigqueue calls succeeded");
    sigset_t p;
    sigpending(&p);
    CHECK(sigismember(&p, r), "RTMIN+1 pending");
    nrec = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(nrec, 100, "100 deliveries");
    int in_order = 1, codes = 1;
    for (int i = 0; i < 100 && i < nrec; i++) {
        in_order &= recs[i].value == i && recs[i].sig == r;
        codes &= recs[i].code == SI_QUEUE && recs[i].self == 1;
    }
    CHECK(in_order, "values delivered in order 0..99");
    CHECK(codes, "every one SI_QUEUE from this process");
    sigpending(&p);
    CHECK(!sigismember(&p, r), "nothing pending afterwards");
    signal(r, SIG_DFL);
}

static void test_mixed(void)
{
    printf("-- several real-time signals and standard ones\n");
    int a = SIGRTMIN + 2, b = SIGRTMIN + 4, c = SIGRTMIN + 20;
    sigset_t all, old;
    sigemptyset(&all);
    sigaddset(&all, a);
    sigaddset(&all, b);
    sigaddset(&all, c);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGUSR2);
    install(a, &all);
    install(b, &all);
    install(c, &all);
    install(SIGUSR1, &all);
    install(SIGUSR2, &all);
    sigprocmask(SIG_BLOCK, &all, &old);
    queue(c, 1);
    queue(b, 2);
    queue(a, 3);
    queue(b, 4);
    queue(SIGUSR2, 5);
    queue(SIGUSR2, 6); /* coalesced with 5 */
    queue(a, 7);
    kill(getpid(), SIGUSR1);
    queue(SIGUSR1, 8); /* coalesced with the kill */
    kill(getpid(), c);  /* a real-time kill queues too */
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), a);
    nrec = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("delivered %d:", nrec);
    for (int i = 0; i < nrec && i < MAXREC; i++)
        printf(" %s/%s/%d", sig_str(recs[i].sig), code_name(recs[i].code),
               recs[i].code == SI_QUEUE ? recs[i].value : -1);
    printf("\n");
    signal(a, SIG_DFL);
    signal(b, SIG_DFL);
    signal(c, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* The limit is checked against a count kept per user, system-wide: natively other
 * processes of root may hold queued signals (a POSIX timer preallocates one).  So
 * this part runs in a child that has switched to a user id nobody else uses. */
#define LIMIT_UID 61237

static void limit_body(void)
{
    struct rlimit old_rl, rl;
    getrlimit(RLIMIT_SIGPENDING, &old_rl);
    rl.rlim_cur = 10;
    rl.rlim_max = old_rl.rlim_max;
    CHECK(setrlimit(RLIMIT_SIGPENDING, &rl) == 0, "RLIMIT_SIGPENDING set to 10");

    int r = SIGRTMIN + 5, r2 = SIGRTMIN + 6, r3 = SIGRTMIN + 7;
    sigset_t all, old;
    sigemptyset(&all);
    sigaddset(&all, r);
    sigaddset(&all, r2);
    sigaddset(&all, r3);
    sigaddset(&all, SIGUSR1);
    install(r, &all);
    install(r2, &all);
    install(r3, &all);
    install(SIGUSR1, &all);
    sigprocmask(SIG_BLOCK, &all, &old);

    int ok = 0, rc = 0, e = 0;
    for (int i = 0; i < 40; i++) {
        errno = 0;
        rc = queue(r, i);
        e = errno;
        if (rc != 0)
            break;
        ok++;
    }
    printf("sigqueue accepted %d, then rc=%d %s\n", ok, rc, errno_name(e));
    /* five more: raise the limit by 5 */
    rl.rlim_cur = 15;
    setrlimit(RLIMIT_SIGPENDING, &rl);
    int more = 0;
    for (int i = 0; i < 40; i++) {
        errno = 0;
        rc = queue(r, 100 + i);
        e = errno;
        if (rc != 0)
            break;
        more++;
    }
    printf("limit raised by 5: %d more accepted, then rc=%d %s\n", more, rc, errno_name(e));
    EXPECT_ERRNO(syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), r2), EAGAIN,
                 "tgkill of a real-time signal over the limit");
    errno = 0;
    rc = kill(getpid(), r2);
    printf("kill of a real-time signal over the limit: rc=%d %s\n", rc, errno_name(errno));
    errno = 0;
    rc = kill(getpid(), r3);
    printf("second kill of another one: rc=%d %s\n", rc, errno_name(errno));
    errno = 0;
    rc = kill(getpid(), r3);
    printf("the same one again: rc=%d %s\n", rc, errno_name(errno));
    errno = 0;
    rc = queue(SIGUSR1, 99);
    printf("sigqueue of a standard signal over the limit: rc=%d %s\n", rc, errno_name(errno));
    sigset_t p;
    sigpending(&p);
    printf("pending: r=%d r2=%d r3=%d SIGUSR1=%d\n", sigismember(&p, r), sigismember(&p, r2),
           sigismember(&p, r3), sigismember(&p, SIGUSR1));

    nrec = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* the first and the last five: the values of RTMIN+5 run 0..ok-1 then 100..104 */
    int in_order = 1, nr = 0;
    for (int i = 0; i < nrec && i < MAXREC; i++) {
        if (recs[i].sig != r)
            continue;
        int want = nr < ok ? nr : 100 + nr - ok;
        in_order &= recs[i].value == want && recs[i].code == SI_QUEUE && recs[i].self == 1;
        nr++;
    }
    printf("delivered: RTMIN+5 %s times in order=%d;", nr == ok + more ? "ok+more" : "a wrong number of", in_order);
    for (int i = 0; i < nrec && i < MAXREC; i++)
        if (recs[i].sig != r)
            printf(" %s/%s/%s/%d", sig_str(recs[i].sig), code_name(recs[i].code),
                   recs[i].self == 1 ? "self" : recs[i].self == 0 ? "pid0" : "other",
                   recs[i].code == SI_QUEUE ? recs[i].value : -1);
    printf("\n");

    /* the queue drained: sigqueue works again */
    block(r, &old);
    CHECK(queue(r, 1) == 0, "sigqueue after draining");
    nrec = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(nrec, 1, "delivered");
    setrlimit(RLIMIT_SIGPENDING, &old_rl);
    signal(r, SIG_DFL);
    signal(r2, SIG_DFL);
    signal(r3, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_limit(void)
{
    printf("-- RLIMIT_SIGPENDING (as user %d)\n", LIMIT_UID);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(LIMIT_UID, LIMIT_UID, LIMIT_UID) != 0 || setresuid(LIMIT_UID, LIMIT_UID, LIMIT_UID) != 0) {
            printf("FAIL cannot become user %d: %s\n", LIMIT_UID, errno_name(errno));
            fflush(stdout);
            _exit(1);
        }
        limit_body();
        fflush(stdout);
        _exit(guest_failures ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s\n", status_str(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        guest_failures++;

}

static void test_forge(void)
{
    printf("-- rt_sigqueueinfo checks\n");
    int r = SIGRTMIN + 3;
    int p2c[2];
    pipe(p2c);
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, r);
    sigprocmask(SIG_BLOCK, &s, &old); /* the child starts with it blocked */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char ch;
        read(p2c[0], &ch, 1);
        siginfo_t si;
        struct timespec zero = {0, 0};
        while (sigtimedwait(&s, &si, &zero) == r)
            printf("child got RTMIN+3 code=%s value=%d from parent=%d\n", code_name(si.si_code),
                   si.si_value.sival_int, si.si_pid == getppid());
        _exit(0);
    }
    close(p2c[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = r;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 1;
    si.si_code = SI_USER;
    EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, (long)pid, r, &si), EPERM, "rt_sigqueueinfo(child, SI_USER)");
    si.si_code = SI_KERNEL;
    EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, (long)pid, r, &si), EPERM, "rt_sigqueueinfo(child, SI_KERNEL)");
    si.si_code = SI_TKILL;
    EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, (long)pid, r, &si), EPERM, "rt_sigqueueinfo(child, SI_TKILL)");
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 2;
    CHECK(syscall(SYS_rt_sigqueueinfo, (long)pid, r, &si) == 0, "rt_sigqueueinfo(child, SI_QUEUE)");
    si.si_code = -60;
    si.si_value.sival_int = 3;
    CHECK(syscall(SYS_rt_sigqueueinfo, (long)pid, r, &si) == 0, "rt_sigqueueinfo(child, code -60)");
    EXPECT_ERRNO(sigqueue(pid, 65, (union sigval){.sival_int = 0}), EINVAL, "sigqueue(signal 65)");
    EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, (long)pid, r, (void *)8), EFAULT, "rt_sigqueueinfo(bad info)");
    write(p2c[1], "x", 1);
    close(p2c[1]);
    siginfo_t z;
    waitid(P_PID, (id_t)pid, &z, WEXITED | WNOWAIT);
    CHECK(sigqueue(pid, r, (union sigval){.sival_int = 0}) == 0, "sigqueue(zombie child) succeeds");
    CHECK(kill(pid, SIGKILL) == 0, "kill(zombie child, SIGKILL) succeeds");
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s\n", status_str(st));
    EXPECT_ERRNO(sigqueue(pid, r, (union sigval){.sival_int = 0}), ESRCH, "sigqueue(reaped child)");
    /* the signal number is checked against a target that exists (check_kill_permission), the siginfo is
     * copied in before any other check */
    EXPECT_ERRNO(kill(pid, 65), ESRCH, "kill(reaped child, 65)");
    EXPECT_ERRNO(kill(getpid(), 65), EINVAL, "kill(self, 65)");
    EXPECT_ERRNO(kill(0, 65), EINVAL, "kill(0, 65)");
    EXPECT_ERRNO(kill(-pid, 65), ESRCH, "kill(-reaped child, 65)");
    EXPECT_ERRNO(syscall(SYS_tkill, (long)pid, 65), ESRCH, "tkill(reaped child, 65)");
    EXPECT_ERRNO(syscall(SYS_tkill, (long)syscall(SYS_gettid), 65), EINVAL, "tkill(self, 65)");
    EXPECT_ERRNO(syscall(SYS_tkill, 0L, 65), EINVAL, "tkill(0, 65)");
    EXPECT_ERRNO(syscall(SYS_tgkill, (long)getpid(), (long)pid, 65), ESRCH, "tgkill(me, reaped child, 65)");
    EXPECT_ERRNO(sigqueue(pid, 65, (union sigval){.sival_int = 0}), ESRCH, "sigqueue(reaped child, 65)");
    EXPECT_ERRNO(syscall(SYS_rt_sigqueueinfo, (long)pid, 65, (void *)8), EFAULT,
                 "rt_sigqueueinfo(reaped child, 65, bad info)");
    EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, 0L, 0L, r, (void *)8), EFAULT,
                 "rt_tgsigqueueinfo(0, 0, bad info)");
    si.si_code = SI_QUEUE;
    EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, 0L, 0L, r, &si), EINVAL, "rt_tgsigqueueinfo(0, 0)");
    EXPECT_ERRNO(syscall(SYS_rt_tgsigqueueinfo, (long)getpid(), (long)pid, 65, &si), ESRCH,
                 "rt_tgsigqueueinfo(me, reaped child, 65)");
    CHECK(sigqueue(getpid(), 0, (union sigval){.sival_int = 0}) == 0, "sigqueue(self, 0) probes");
}

int main(void)
{
    guest_line_buffered();
    test_hundred();
    test_mixed();
    test_limit();
    test_forge();
    return guest_exit();
}
