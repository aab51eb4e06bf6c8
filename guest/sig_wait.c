/*
 * sig_wait: waiting for signals synchronously.
 *
 * sigsuspend (the temporary mask, EINTR, the mask restored), sigtimedwait
 * (timeout 0 -> EAGAIN, a pending signal -> at once with its siginfo, a short
 * timeout, a bad timeout, lowest signal first), sigwaitinfo blocking until a
 * child's sigqueue, and signalfd: struct signalfd_siginfo, poll readiness,
 * several signals in one read, SFD_NONBLOCK (EAGAIN), SFD_CLOEXEC, changing
 * the mask, SIGCHLD through a signalfd, and that a signalfd reads the queue of
 * the process that reads it (after fork, the child's).
 *
 * Every signal waited for is blocked before it can be sent, so nothing
 * depends on timing.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *sig_str(int sig)
{
    static char bufs[4][16];
    static int next;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        char *b = bufs[next++ % 4];
        snprintf(b, 16, "RTMIN+%d", sig - SIGRTMIN);
        return b;
    }
    return signal_name(sig);
}

static const char *code_str(int code)
{
    static char buf[16];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    }
    snprintf(buf, sizeof buf, "%d", code);
    return buf;
}

static volatile int usr1_runs, usr2_runs;
static void h_usr1(int s)
{
    (void)s;
    usr1_runs++;
}
static void h_usr2(int s)
{
    (void)s;
    usr2_runs++;
}

static void block2(int a, int b, sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void short_pause(void)
{
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ sigsuspend */

static void *send_usr2_later(void *arg)
{
    (void)arg;
    short_pause();
    kill(getpid(), SIGUSR2);
    return NULL;
}

static void test_sigsuspend(void)
{
    printf("-- sigsuspend\n");
    signal(SIGUSR1, h_usr1);
    signal(SIGUSR2, h_usr2);
    sigset_t old, now, tmp;
    block2(SIGUSR1, SIGUSR2, &old);
    kill(getpid(), SIGUSR1);
    usr1_runs = usr2_runs = 0;
    sigemptyset(&tmp);
    int rc = sigsuspend(&tmp);
    int e = errno;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("pending SIGUSR1, sigsuspend({}): rc=%d %s usr1 runs=%d; SIGUSR1 blocked again=%d\n", rc,
           errno_name(e), usr1_runs, sigismember(&now, SIGUSR1));

    /* SIGUSR1 pending, but the temporary mask keeps it blocked: only SIGUSR2 (sent later) ends the wait */
    kill(getpid(), SIGUSR1);
    usr1_runs = usr2_runs = 0;
    pthread_t t;
    pthread_create(&t, NULL, send_usr2_later, NULL);
    sigemptyset(&tmp);
    sigaddset(&tmp, SIGUSR1);
    rc = sigsuspend(&tmp);
    e = errno;
    pthread_join(t, NULL);
    sigset_t p;
    sigpending(&p);
    printf("sigsuspend({SIGUSR1}) with SIGUSR1 pending: rc=%d %s usr1 runs=%d usr2 runs=%d; SIGUSR1 still pending=%d\n",
           rc, errno_name(e), usr1_runs, usr2_runs, sigismember(&p, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL); /* delivers SIGUSR1 */
    printf("unblocked: usr1 runs=%d\n", usr1_runs);
    EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, &tmp, 16), EINVAL, "rt_sigsuspend(sigsetsize=16)");
    EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, (void *)8, 8), EFAULT, "rt_sigsuspend(bad mask)");
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------ sigtimedwait, sigwaitinfo */

static void test_sigtimedwait(void)
{
    printf("-- sigtimedwait and sigwaitinfo\n");
    sigset_t set, old;
    int r1 = SIGRTMIN + 1, r3 = SIGRTMIN + 3;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, r1);
    sigaddset(&set, r3);
    sigprocmask(SIG_BLOCK, &set, &old);
    siginfo_t si;
    struct timespec zero = {0, 0};
    EXPECT_ERRNO(sigtimedwait(&set, &si, &zero), EAGAIN, "sigtimedwait, timeout 0, nothing pending");
    struct timespec ten_ms = {0, 10000000};
    EXPECT_ERRNO(sigtimedwait(&set, &si, &ten_ms), EAGAIN, "sigtimedwait, timeout 10 ms, nothing pending");
    struct timespec bad = {0, 1000000000};
    EXPECT_ERRNO(sigtimedwait(&set, &si, &bad), EINVAL, "sigtimedwait, tv_nsec = 1e9");
    struct timespec neg = {-1, 0};
    EXPECT_ERRNO(sigtimedwait(&set, &si, &neg), EINVAL, "sigtimedwait, tv_sec = -1");

    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 11});
    memset(&si, 0, sizeof si);
    int sig = sigtimedwait(&set, &si, &zero);
    printf("SIGUSR1 pending, timeout 0: returned %s, si_signo=%s code=%s value=%d pid==self %d\n", sig_str(sig),
           sig_str(si.si_signo), code_str(si.si_code), si.si_value.sival_int, si.si_pid == getpid());

    /* lowest first: standard before real-time, and FIFO within one real-time signal */
    sigqueue(getpid(), r3, (union sigval){.sival_int = 1});
    sigqueue(getpid(), r1, (union sigval){.sival_int = 2});
    kill(getpid(), SIGUSR2);
    sigqueue(getpid(), r1, (union sigval){.sival_int = 3});
    printf("order:");
    while ((sig = sigtimedwait(&set, &si, &zero)) > 0)
        printf(" %s/%d", sig_str(sig), si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
    printf(" then %s\n", errno_name(errno));

    /* sigwaitinfo with a NULL info, and sigwait */
    kill(getpid(), SIGUSR2);
    sig = sigwaitinfo(&set, NULL);
    printf("sigwaitinfo(NULL info): %s\n", sig_str(sig));
    kill(getpid(), SIGUSR1);
    int got = 0;
    int rc = sigwait(&set, &got);
    printf("sigwait: rc=%d sig=%s\n", rc, sig_str(got));

    /* a thread-directed signal is taken too (the raw call: glibc's wrapper turns SI_TKILL into SI_USER) */
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), SIGUSR2);
    memset(&si, 0, sizeof si);
    sig = (int)syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 8);
    printf("tgkill'd SIGUSR2: %s code=%s\n", sig_str(sig), code_str(si.si_code));

    /* a signal not in the set is not taken */
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    kill(getpid(), SIGUSR2);
    EXPECT_ERRNO(sigtimedwait(&only1, &si, &zero), EAGAIN, "sigtimedwait({SIGUSR1}) with SIGUSR2 pending");
    sig = sigtimedwait(&set, &si, &zero);
    printf("then with the full set: %s\n", sig_str(sig));

    /* blocking: a child sends the signal */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        short_pause();
        sigqueue(getppid(), r3, (union sigval){.sival_int = 99});
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    sig = sigwaitinfo(&set, &si);
    printf("sigwaitinfo until the child's sigqueue: %s value=%d pid==child %d\n", sig_str(sig),
           si.si_value.sival_int, si.si_pid == pid);
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ------------------------------------------------------------ signalfd */

static int poll_in(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    return n == 1 && (p.revents & POLLIN);
}

static void show_ssi(const char *what, const struct signalfd_siginfo *s)
{
    printf("%s: ssi_signo=%s ssi_code=%s ssi_pid==self %d ssi_uid==uid %d ssi_int=%d\n", what,
           sig_str((int)s->ssi_signo), code_str(s->ssi_code), s->ssi_pid == (uint32_t)getpid(),
           s->ssi_uid == getuid(), s->ssi_int);
}

static void test_signalfd(void)
{
    printf("-- signalfd\n");
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);

    sigset_t m1;
    sigemptyset(&m1);
    sigaddset(&m1, SIGUSR1);
    sigaddset(&m1, SIGKILL); /* silently ignored */
    int fd = signalfd(-1, &m1, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0, "signalfd(SFD_NONBLOCK|SFD_CLOEXEC)");
    printf("FD_CLOEXEC=%d O_NONBLOCK=%d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC),
           !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
    struct signalfd_siginfo ssi[4];
    printf("nothing pending: poll POLLIN=%d\n", poll_in(fd));
    EXPECT_ERRNO(read(fd, ssi, sizeof ssi[0]), EAGAIN, "read, nothing pending");
    kill(getpid(), SIGUSR2);
    printf("SIGUSR2 (not in its mask) pending: poll POLLIN=%d\n", poll_in(fd));
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 5});
    printf("SIGUSR1 pending: poll POLLIN=%d\n", poll_in(fd));
    EXPECT_ERRNO(read(fd, ssi, sizeof ssi[0] - 1), EINVAL, "read with a buffer of 127 bytes");
    memset(ssi, 0, sizeof ssi);
    long n = read(fd, ssi, sizeof ssi);
    printf("read: %ld bytes\n", n);
    show_ssi("  SIGUSR1", &ssi[0]);
    sigset_t p;
    sigpending(&p);
    printf("after the read: SIGUSR1 pending=%d SIGUSR2 pending=%d\n", sigismember(&p, SIGUSR1),
           sigismember(&p, SIGUSR2));

    /* change the mask: now SIGUSR2 too; two signals in one read */
    sigaddset(&m1, SIGUSR2);
    int fd2 = signalfd(fd, &m1, 0);
    printf("signalfd(fd, new mask) returns the same fd: %d\n", fd2 == fd);
    kill(getpid(), SIGUSR1);
    memset(ssi, 0, sizeof ssi);
    n = read(fd, ssi, sizeof ssi);
    printf("read: %ld bytes = %ld signals:", n, n / (long)sizeof ssi[0]);
    for (long i = 0; i < n / (long)sizeof ssi[0]; i++)
        printf(" %s/%s", sig_str((int)ssi[i].ssi_signo), code_str(ssi[i].ssi_code));
    printf("\n");

    /* a blocking signalfd and SIGCHLD */
    sigset_t mc;
    sigemptyset(&mc);
    sigaddset(&mc, SIGCHLD);
    int cfd = signalfd(-1, &mc, 0);
    printf("blocking signalfd: FD_CLOEXEC=%d O_NONBLOCK=%d\n", !!(fcntl(cfd, F_GETFD) & FD_CLOEXEC),
           !!(fcntl(cfd, F_GETFL) & O_NONBLOCK));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        short_pause();
        _exit(9);
    }
    memset(ssi, 0, sizeof ssi);
    n = read(cfd, ssi, sizeof ssi[0]);
    printf("SIGCHLD: %ld bytes ssi_signo=%s ssi_code=%s ssi_status=%d ssi_pid==child %d\n", n,
           sig_str((int)ssi[0].ssi_signo), code_str(ssi[0].ssi_code), ssi[0].ssi_status,
           ssi[0].ssi_pid == (uint32_t)pid);
    waitpid(pid, NULL, 0);

    /* after fork: the child's signalfd reads the child's own (empty) queue */
    kill(getpid(), SIGUSR1);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct signalfd_siginfo c;
        errno = 0;
        long r = read(fd, &c, sizeof c);
        printf("  child: read the inherited signalfd with the parent's SIGUSR1 pending: %ld %s\n", r,
               errno_name(errno));
        kill(getpid(), SIGUSR2);
        r = read(fd, &c, sizeof c);
        printf("  child: after its own SIGUSR2: %ld bytes %s\n", r, sig_str((int)c.ssi_signo));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    memset(ssi, 0, sizeof ssi);
    n = read(fd, ssi, sizeof ssi);
    printf("parent: %ld bytes %s\n", n, sig_str((int)ssi[0].ssi_signo));
    /* drain the child's SIGCHLD */
    read(cfd, ssi, sizeof ssi[0]);

    /* errors */
    EXPECT_ERRNO(signalfd(-1, &m1, 0x40), EINVAL, "signalfd(flags 0x40)");
    int pfd[2];
    pipe(pfd);
    EXPECT_ERRNO(signalfd(pfd[0], &m1, 0), EINVAL, "signalfd(a pipe fd)");
    EXPECT_ERRNO(syscall(SYS_signalfd4, -1, &m1, 16, 0), EINVAL, "signalfd4(sizemask=16)");
    EXPECT_ERRNO(signalfd(12345, &m1, 0), EBADF, "signalfd(12345)");
    close(pfd[0]);
    close(pfd[1]);
    close(fd);
    close(cfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    guest_line_buffered();
    test_sigsuspend();
    test_sigtimedwait();
    test_signalfd();
    return guest_exit();
}
