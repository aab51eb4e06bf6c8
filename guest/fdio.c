/*
 * fdio: poll, ppoll, select, pselect6, epoll, eventfd, signalfd and pidfds.
 *
 * Prints what each call returned (counts, revents, errno names) rather than
 * asserting it, so that a native run defines the expected transcript.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#define PIDFD_THREAD O_EXCL
#define PIDFD_NONBLOCK O_NONBLOCK

static const char *ev(unsigned r)
{
    static char buf[96];
    buf[0] = 0;
    static const struct { unsigned bit; const char *name; } names[] = {
        {POLLIN, "IN"}, {POLLPRI, "PRI"}, {POLLOUT, "OUT"}, {POLLERR, "ERR"}, {POLLHUP, "HUP"},
        {POLLNVAL, "NVAL"}, {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"}, {POLLRDHUP, "RDHUP"},
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

static void ret(const char *what, long r)
{
    if (r < 0)
        printf("%s = -1 %s\n", what, errno_name(errno));
    else
        printf("%s = %ld\n", what, r);
}

static void show_poll(const char *what, int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, 0);
    printf("poll %s: %d %s\n", what, n, ev((unsigned short)p.revents));
}

static void test_poll_select(void)
{
    printf("-- poll and select\n");
    int p[2];
    pipe(p);
    show_poll("pipe read end, RDNORM asked", p[0], POLLIN | POLLRDNORM);
    show_poll("pipe write end, everything", p[1], POLLIN | POLLOUT | POLLWRNORM | POLLPRI);
    write(p[1], "x", 1);
    show_poll("pipe with data", p[0], POLLIN | POLLRDNORM | POLLPRI);
    int dn = open("/dev/null", O_RDWR);
    show_poll("/dev/null", dn, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
    int tf = open("/tmp/fdio.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600);
    show_poll("a regular file", tf, POLLIN | POLLOUT);
    int op = open("/tmp", O_PATH);
    show_poll("an O_PATH fd", op, POLLIN);

    /* select */
    fd_set r, w, x;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&x);
    FD_SET(p[0], &r);
    FD_SET(p[1], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &x);
    struct timeval tv = {0, 0};
    int n = select(p[1] + 1, &r, &w, &x, &tv);
    printf("select: %d r0=%d r1=%d w1=%d x0=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &r), FD_ISSET(p[1], &w),
           FD_ISSET(p[0], &x));
    FD_ZERO(&r);
    FD_SET(40, &r);
    errno = 0;
    ret("select on a closed fd", select(41, &r, NULL, NULL, &tv));
    FD_ZERO(&r);
    FD_SET(op, &r);
    ret("select on an O_PATH fd", select(op + 1, &r, NULL, NULL, &tv));
    ret("select with n < 0", select(-1, NULL, NULL, NULL, &tv));
    struct timeval bad = {0, -1};
    ret("select with a negative tv_usec", select(1, NULL, NULL, NULL, &bad));
    struct timeval big = {0, 1500000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = select(p[0] + 1, &r, NULL, NULL, &big);
    printf("select with tv_usec 1500000: %d, left %lds+%ldus\n", n, (long)big.tv_sec, (long)(big.tv_usec > 0));
    /* a timeout */
    char c;
    read(p[0], &c, 1);
    struct timeval t10 = {0, 10000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = select(p[0] + 1, &r, NULL, NULL, &t10);
    printf("select timed out: %d, r0=%d, left %ld.%06ld\n", n, FD_ISSET(p[0], &r), (long)t10.tv_sec,
           (long)t10.tv_usec);
    struct pollfd pf = {p[0], POLLIN, 0};
    ret("poll timed out", poll(&pf, 1, 10));
    struct timespec ts = {0, 5000000};
    ret("ppoll timed out", ppoll(&pf, 1, &ts, NULL));
    printf("ppoll left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    struct timespec badts = {0, 1000000000};
    ret("ppoll with tv_nsec 1e9", ppoll(&pf, 1, &badts, NULL));
    ret("poll of a bad pointer", poll((struct pollfd *)8, 1, 0));
    close(dn);
    close(tf);
    close(op);
    close(p[0]);
    close(p[1]);
    unlink("/tmp/fdio.tmp");
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int s)
{
    (void)s;
    got_usr1++;
}

static void test_ppoll_sigmask(void)
{
    printf("-- ppoll / pselect with a signal mask\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, old, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    printf("pending before ppoll: %d, handled %d\n", 1, (int)got_usr1);
    int p[2];
    pipe(p);
    struct pollfd pf = {p[0], POLLIN, 0};
    struct timespec ts = {5, 0};
    ret("ppoll unblocking a pending signal", ppoll(&pf, 1, &ts, &empty));
    printf("handled %d\n", (int)got_usr1);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
    raise(SIGUSR1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts.tv_sec = 5;
    ret("pselect unblocking a pending signal", pselect(p[0] + 1, &r, NULL, NULL, &ts, &empty));
    printf("handled %d\n", (int)got_usr1);
    raise(SIGUSR1);
    write(p[1], "y", 1);
    ret("ppoll with data and a pending signal", ppoll(&pf, 1, &ts, &empty));
    printf("handled %d\n", (int)got_usr1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("handled after unblocking %d\n", (int)got_usr1);
    close(p[0]);
    close(p[1]);
}

static void show_events(const char *what, int n, struct epoll_event *e)
{
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" [%llu %s]", (unsigned long long)e[i].data.u64, ev(e[i].events));
    printf("\n");
}

static void test_epoll(void)
{
    printf("-- epoll\n");
    struct epoll_event e[8], one;
    ret("epoll_create(0)", epoll_create(0));
    ret("epoll_create1(1)", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("FD_CLOEXEC %d, F_GETFL %#o\n", fcntl(ep, F_GETFD), fcntl(ep, F_GETFL));
    int a[2], b[2], c[2];
    pipe(a);
    pipe(b);
    pipe(c);
    one.events = EPOLLIN;
    one.data.u64 = 1;
    ret("add a", epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &one));
    ret("add a again", epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &one));
    one.events = EPOLLIN | EPOLLET;
    one.data.u64 = 2;
    ret("add b (ET)", epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &one));
    one.events = EPOLLIN | EPOLLONESHOT;
    one.data.u64 = 3;
    ret("add c (ONESHOT)", epoll_ctl(ep, EPOLL_CTL_ADD, c[0], &one));
    one.events = EPOLLOUT;
    one.data.u64 = 4;
    ret("add a's write end", epoll_ctl(ep, EPOLL_CTL_ADD, a[1], &one));
    ret("mod a missing fd", epoll_ctl(ep, EPOLL_CTL_MOD, b[1], &one));
    ret("del a missing fd", epoll_ctl(ep, EPOLL_CTL_DEL, c[1], NULL));
    ret("add epoll to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &one));
    ret("bad op", epoll_ctl(ep, 7, a[0], &one));
    ret("not an epoll fd", epoll_ctl(a[0], EPOLL_CTL_ADD, b[0], &one));
    int tf = open("/tmp/fdio.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600);
    ret("a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, tf, &one));
    int dn = open("/dev/null", O_RDWR);
    ret("/dev/null", epoll_ctl(ep, EPOLL_CTL_ADD, dn, &one));
    ret("closed fd", epoll_ctl(ep, EPOLL_CTL_ADD, 60, &one));
    ret("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, b[1], (struct epoll_event *)8));
    one.events = EPOLLIN | EPOLLEXCLUSIVE;
    ret("EPOLLEXCLUSIVE with MOD", epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &one));
    ret("epoll_wait maxevents 0", epoll_wait(ep, e, 0, 0));
    ret("epoll_wait on a pipe", epoll_wait(a[0], e, 1, 0));
    ret("epoll_wait bad pointer", epoll_wait(ep, (struct epoll_event *)8, 1, 0));
    show_events("only a's write end", epoll_wait(ep, e, 8, 0), e);
    write(a[1], "1", 1);
    write(b[1], "2", 1);
    write(c[1], "3", 1);
    show_events("all ready", epoll_wait(ep, e, 8, 0), e);
    show_events("again (LT only)", epoll_wait(ep, e, 8, 0), e);
    show_events("maxevents 1", epoll_wait(ep, e, 1, 0), e);
    show_events("maxevents 1 again", epoll_wait(ep, e, 1, 0), e);
    write(b[1], "2", 1);
    show_events("b re-armed by a write", epoll_wait(ep, e, 8, 0), e);
    one.events = EPOLLIN | EPOLLONESHOT;
    one.data.u64 = 33;
    ret("mod c", epoll_ctl(ep, EPOLL_CTL_MOD, c[0], &one));
    show_events("c re-armed by MOD", epoll_wait(ep, e, 8, 0), e);
    close(b[1]);
    show_events("b's writer closed", epoll_wait(ep, e, 8, 0), e);
    ret("del a", epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL));
    int d = dup(c[0]);
    close(c[0]);
    show_events("c closed but dup'ed", epoll_wait(ep, e, 8, 0), e);
    close(d);
    show_events("c's last fd closed", epoll_wait(ep, e, 8, 0), e);
    /* nesting */
    int outer = epoll_create1(0);
    one.events = EPOLLIN;
    one.data.u64 = 99;
    ret("add ep to outer", epoll_ctl(outer, EPOLL_CTL_ADD, ep, &one));
    ret("add outer to ep (loop)", epoll_ctl(ep, EPOLL_CTL_ADD, outer, &one));
    show_events("outer", epoll_wait(outer, e, 8, 0), e);
    show_poll("the epoll fd", ep, POLLIN | POLLOUT);
    struct stat st;
    fstat(ep, &st);
    printf("epoll fstat mode %#o\n", st.st_mode);
    /* a blocking wait woken by a child */
    int fresh = epoll_create1(0);
    int q[2];
    pipe(q);
    one.events = EPOLLIN;
    one.data.u64 = 5;
    epoll_ctl(fresh, EPOLL_CTL_ADD, q[0], &one);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        write(q[1], "!", 1);
        _exit(0);
    }
    show_events("blocking wait", epoll_wait(fresh, e, 8, -1), e);
    waitpid(pid, NULL, 0);
    char buf[4];
    read(q[0], buf, 1);
    show_events("timed out", epoll_wait(fresh, e, 8, 10), e);
    struct timespec t0 = {0, 1000000};
    show_events("epoll_pwait2", (int)syscall(SYS_epoll_pwait2, fresh, e, 8, &t0, NULL, 8), e);
    close(fresh);
    close(q[0]);
    close(q[1]);
    close(outer);
    close(ep);
    close(tf);
    close(dn);
    unlink("/tmp/fdio.tmp");
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(c[i]);
    }
    close(b[0]);
}

static void test_eventfd(void)
{
    printf("-- eventfd\n");
    ret("eventfd2 bad flags", eventfd(0, 0x40));
    int fd = eventfd(2, EFD_NONBLOCK | EFD_SEMAPHORE);
    printf("F_GETFL %#o\n", fcntl(fd, F_GETFL));
    uint64_t v = 0;
    ret("read 4 bytes", read(fd, &v, 4));
    for (int i = 0; i < 3; i++) {
        v = 0;
        long r = read(fd, &v, 8);
        printf("read %ld value %llu %s\n", r, (unsigned long long)v, r < 0 ? errno_name(errno) : "");
    }
    show_poll("empty", fd, POLLIN | POLLOUT);
    v = 0xfffffffffffffffeULL;
    ret("write max-1", write(fd, &v, 8));
    show_poll("full", fd, POLLIN | POLLOUT);
    v = 1;
    ret("write 1 more", write(fd, &v, 8));
    v = ~0ULL;
    ret("write ~0", write(fd, &v, 8));
    close(fd);
    fd = eventfd(7, 0);
    v = 0;
    printf("read 16 -> %ld value %llu\n", (long)read(fd, &v, 16), (unsigned long long)v);
    struct stat st;
    fstat(fd, &st);
    printf("eventfd fstat mode %#o nlink %ld\n", st.st_mode, (long)st.st_nlink);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t one = 5;
        write(fd, &one, 8);
        _exit(0);
    }
    v = 0;
    printf("blocking read -> %ld value %llu\n", (long)read(fd, &v, 8), (unsigned long long)v);
    waitpid(pid, NULL, 0);
    close(fd);
}

static void test_signalfd(void)
{
    printf("-- signalfd\n");
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGCHLD);
    sigprocmask(SIG_BLOCK, &m, NULL);
    ret("bad flags", signalfd(-1, &m, 1));
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("FD_CLOEXEC %d F_GETFL %#o\n", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
    struct signalfd_siginfo si;
    ret("read empty", read(fd, &si, sizeof si));
    ret("read short", read(fd, &si, 8));
    show_poll("nothing pending", fd, POLLIN);
    kill(getpid(), SIGUSR2);
    show_poll("SIGUSR2 pending", fd, POLLIN);
    memset(&si, 0, sizeof si);
    long r = read(fd, &si, sizeof si);
    printf("read %ld signo %s code %d pid-is-self %d\n", r, signal_name((int)si.ssi_signo), si.ssi_code,
           si.ssi_pid == (uint32_t)getpid());
    union sigval sv = {.sival_int = 42};
    sigqueue(getpid(), SIGUSR2, sv);
    memset(&si, 0, sizeof si);
    r = read(fd, &si, sizeof si);
    printf("sigqueue: read %ld code %d int %d\n", r, si.ssi_code, si.ssi_int);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(9);
    int blocking = signalfd(-1, &m, 0);
    memset(&si, 0, sizeof si);
    r = read(blocking, &si, sizeof si);
    printf("SIGCHLD: read %ld signo %s code %d status %d pid-is-child %d\n", r, signal_name((int)si.ssi_signo),
           si.ssi_code, si.ssi_status, si.ssi_pid == (uint32_t)pid);
    waitpid(pid, NULL, 0);
    sigemptyset(&m);
    ret("signalfd on an eventfd", signalfd(eventfd(0, 0), &m, 0));
    sigaddset(&m, SIGUSR1);
    ret("update the mask", signalfd(fd, &m, 0) == fd);
    close(fd);
    close(blocking);
}

static void test_pidfd(void)
{
    printf("-- pidfd\n");
    ret("pidfd_open(0)", syscall(SYS_pidfd_open, 0, 0));
    ret("pidfd_open bad flags", syscall(SYS_pidfd_open, getpid(), 1));
    ret("pidfd_open no such pid", syscall(SYS_pidfd_open, 99999, 0));
    int go[2];
    pipe(go);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        read(go[0], &c, 1);
        _exit(4);
    }
    close(go[0]);
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    printf("pidfd: FD_CLOEXEC %d F_GETFL %#o\n", fcntl(pfd, F_GETFD), fcntl(pfd, F_GETFL));
    struct stat st;
    fstat(pfd, &st);
    printf("pidfd fstat mode %#o\n", st.st_mode);
    show_poll("running child", pfd, POLLIN);
    ret("send signal 0", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    ret("send with bad flags", syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 8));
    ret("send with two flags", syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 3));
    ret("send on a pipe", syscall(SYS_pidfd_send_signal, go[1], SIGUSR1, NULL, 0));
    ret("send an invalid signal", syscall(SYS_pidfd_send_signal, pfd, 65, NULL, 0));
    int got = (int)syscall(SYS_pidfd_getfd, pfd, 1, 0);
    printf("pidfd_getfd: %s, FD_CLOEXEC %d\n", got >= 0 ? "ok" : errno_name(errno), fcntl(got, F_GETFD));
    close(got);
    ret("pidfd_getfd bad fd", syscall(SYS_pidfd_getfd, pfd, 77, 0));
    ret("pidfd_getfd flags", syscall(SYS_pidfd_getfd, pfd, 1, 1));
    write(go[1], "x", 1);
    struct pollfd p = {pfd, POLLIN, 0};
    ret("blocking poll until it exits", poll(&p, 1, -1));
    printf("revents %s\n", ev((unsigned short)p.revents));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ret("waitid(P_PIDFD)", waitid(P_PIDFD, pfd, &si, WEXITED));
    printf("status %d pid-is-child %d\n", si.si_status, si.si_pid == pid);
    show_poll("reaped", pfd, POLLIN);
    ret("send after reaping", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
    ret("waitid after reaping", waitid(P_PIDFD, pfd, &si, WEXITED));
    close(pfd);
    close(go[1]);
    /* PIDFD_NONBLOCK and waitid */
    pipe(go);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        read(go[0], &c, 1);
        _exit(5);
    }
    close(go[0]);
    pfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_NONBLOCK);
    ret("waitid on a PIDFD_NONBLOCK pidfd of a running child", waitid(P_PIDFD, pfd, &si, WEXITED));
    ret("the same with WNOHANG", waitid(P_PIDFD, pfd, &si, WEXITED | WNOHANG));
    ret("pidfd_send_signal SIGKILL", syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0));
    int wst;
    waitpid(pid, &wst, 0);
    printf("child %s\n", status_str(wst));
    ret("waitid P_PIDFD on a non-pidfd", waitid(P_PIDFD, go[1], &si, WEXITED));
    close(pfd);
    close(go[1]);
}

int main(void)
{
    guest_line_buffered();
    test_poll_select();
    test_ppoll_sigmask();
    test_epoll();
    test_eventfd();
    test_signalfd();
    test_pidfd();
    return guest_exit();
}
