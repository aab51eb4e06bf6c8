/*
 * seccomp_notify: SECCOMP_RET_USER_NOTIF and the listener fd.
 *
 * Each case forks a target.  The target installs a filter that sends getppid
 * to user space (SECCOMP_FILTER_FLAG_NEW_LISTENER), tells the parent the
 * listener's fd number through a pipe, and waits; the parent, the supervisor,
 * takes its own copy with pidfd_getfd, and only then lets the target go on
 * (the target closes its copy, so the parent holds the only one).  The target
 * prints nothing: it reports each syscall's result through a pipe and the
 * supervisor prints everything, so the transcript has one order.
 *
 * Covers: poll() on the listener (nothing pending, a notification waiting, one
 * received and not answered, no task left using the filter); NOTIF_RECV (id,
 * pid, data.nr, data.arch, args; a non-zeroed buffer is EINVAL); NOTIF_ID_VALID;
 * NOTIF_SEND with a value, a negative error, a positive "error", bad flags,
 * CONTINUE and its constraints, an unknown id; ids of later notifications;
 * NOTIF_ADDFD (the target gets a new fd for the right file; SETFD, O_CLOEXEC,
 * ADDFD_FLAG_SEND; the errors); the target killed while it waits (SEND and
 * ID_VALID then ENOENT, poll POLLHUP once it is reaped); a signal interrupting
 * the waiting target with and without SA_RESTART, and under
 * WAIT_KILLABLE_RECV; the listener closed while the target waits (ENOSYS).
 */
#include "guest.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static long sc(unsigned op, unsigned long flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

/* getppid -> USER_NOTIF, everything else allowed; returns the listener fd */
static long install_notify(unsigned long flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {.len = 4, .filter = f};
    return sc(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | flags, &p);
}

/* ------------------------------------------------------------ target side */

static int rep_pipe[2]; /* target -> supervisor: results */
static int go_pipe[2];  /* supervisor -> target: go on */
static int sig_pipe[2]; /* target's signal handler -> supervisor */

struct result {
    long r;
    int e;
};

static void report(long r)
{
    struct result res = {r, r == -1 ? errno : 0};
    write(rep_pipe[1], &res, sizeof res);
}

static long notified_call(void)
{
    errno = 0;
    return syscall(SYS_getppid, 11L, 22L, 33L, 44L, 55L, -66L);
}

/* wait for the supervisor's go (one byte) */
static void await_go(void)
{
    char c;
    while (read(go_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------ supervisor side */

static pid_t target;
static int listener = -1;
static pid_t my_pid;

static struct result take_result(void)
{
    struct result res = {0, 0};
    if (read(rep_pipe[0], &res, sizeof res) != (ssize_t)sizeof res)
        printf("FAIL no result from the target\n");
    return res;
}

static void show_result(const char *what)
{
    struct result res = take_result();
    if (res.r == -1)
        printf("%s: target's call returns -1 %s\n", what, errno_name(res.e));
    else if (res.r == my_pid)
        printf("%s: target's call returns the real ppid\n", what);
    else
        printf("%s: target's call returns %ld\n", what, res.r);
}

static const char *events(int ev)
{
    static char buf[96];
    buf[0] = 0;
    if (ev == 0)
        return "none";
    if (ev & POLLIN)
        strcat(buf, "POLLIN|");
    if (ev & POLLRDNORM)
        strcat(buf, "POLLRDNORM|");
    if (ev & POLLOUT)
        strcat(buf, "POLLOUT|");
    if (ev & POLLWRNORM)
        strcat(buf, "POLLWRNORM|");
    if (ev & POLLHUP)
        strcat(buf, "POLLHUP|");
    if (ev & POLLERR)
        strcat(buf, "POLLERR|");
    if (ev & ~(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLERR))
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%#x|",
                 ev & ~(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLERR));
    buf[strlen(buf) - 1] = 0;
    return buf;
}

static void show_poll(const char *what, int timeout)
{
    struct pollfd p = {.fd = listener, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM};
    int n = poll(&p, 1, timeout);
    printf("poll %s: %d, revents %s\n", what, n, n < 0 ? errno_name(errno) : events(p.revents));
}

static int recv_notif(struct seccomp_notif *n)
{
    memset(n, 0, sizeof *n);
    int r = ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n);
    if (r != 0) {
        printf("FAIL NOTIF_RECV: %s\n", errno_name(errno));
        guest_failures++;
    }
    return r;
}

static long send_resp(uint64_t id, int64_t val, int32_t error, uint32_t flags)
{
    struct seccomp_notif_resp resp = {.id = id, .val = val, .error = error, .flags = flags};
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void show_notif(const struct seccomp_notif *n)
{
    printf("notification: id %s, pid %s, flags %u, nr %d%s, arch %#x, args %lld %lld %lld %lld %lld %lld\n",
           n->id ? "non-zero" : "0", n->pid == (uint32_t)target ? "== target" : "!= target", n->flags, n->data.nr,
           n->data.nr == SYS_getppid ? " (getppid)" : "", n->data.arch, (long long)n->data.args[0],
           (long long)n->data.args[1], (long long)n->data.args[2], (long long)n->data.args[3],
           (long long)n->data.args[4], (long long)n->data.args[5]);
}

/* ------------------------------------------------------------ the case runner */

static void kill_target(void)
{
    if (target > 0) {
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
        target = 0;
    }
}

static void run(const char *name, unsigned long flags, void (*tfn)(void), void (*sfn)(void))
{
    printf("-- %s\n", name);
    pipe(rep_pipe);
    pipe(go_pipe);
    pipe(sig_pipe);
    int fdnum[2];
    pipe(fdnum);
    pid_t pid = guest_fork();
    if (pid == 0) {
        long l = install_notify(flags);
        int n = (int)l;
        write(fdnum[1], &n, sizeof n);
        if (l < 0)
            _exit(99);
        await_go();
        close(n);
        tfn();
        _exit(0);
    }
    target = pid;
    int n = -1;
    if (read(fdnum[0], &n, sizeof n) != (ssize_t)sizeof n || n < 0) {
        printf("FAIL the target has no listener\n");
        guest_failures++;
        kill_target();
    } else {
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        listener = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
        close(pidfd);
        if (listener < 0) {
            printf("FAIL pidfd_getfd: %s\n", errno_name(errno));
            guest_failures++;
            kill_target();
        } else {
            sfn();
            if (listener >= 0)
                close(listener);
            listener = -1;
            if (target > 0) {
                int st;
                waitpid(target, &st, 0);
                printf("%s: target %s\n", name, status_str(st));
                target = 0;
            }
        }
    }
    close(fdnum[0]);
    close(fdnum[1]);
    close(rep_pipe[0]);
    close(rep_pipe[1]);
    close(go_pipe[0]);
    close(go_pipe[1]);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
}

static void go(void)
{
    fflush(stdout);
    write(go_pipe[1], "g", 1);
}

/* ------------------------------------------------------------ basic RECV / SEND */

static void t_calls(void)
{
    for (int i = 0; i < 8; i++)
        report(notified_call());
}

static void s_basic(void)
{
    struct seccomp_notif n;
    printf("the listener: FD_CLOEXEC=%d (pidfd_getfd's copy)\n", fcntl(listener, F_GETFD) & FD_CLOEXEC);
    show_poll("before the target runs", 0);
    memset(&n, 0, sizeof n);
    n.pid = 1;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n), EINVAL, "NOTIF_RECV into a non-zeroed buffer");
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, NULL), EFAULT, "NOTIF_RECV into NULL");
    EXPECT_ERRNO(ioctl(listener, _IO('!', 9), 0), EINVAL, "an unknown ioctl");
    uint64_t bogus = 12345;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &bogus), ENOENT, "NOTIF_ID_VALID of an unknown id");
    EXPECT_ERRNO(send_resp(12345, 0, 0, 0), ENOENT, "NOTIF_SEND to an unknown id");
    go();

    /* 1: a value */
    show_poll("with a notification waiting", -1);
    if (recv_notif(&n) != 0)
    {
        kill_target();
        return;
    }
    show_notif(&n);
    uint64_t id1 = n.id;
    show_poll("after NOTIF_RECV", 0);
    CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id1) == 0, "NOTIF_ID_VALID of the received id");
    CHECK(send_resp(id1, 4242, 0, 0) == 0, "NOTIF_SEND val 4242");
    show_result("val 4242");
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id1), ENOENT, "NOTIF_ID_VALID after the answer");
    EXPECT_ERRNO(send_resp(id1, 1, 0, 0), ENOENT, "NOTIF_SEND to the answered id");

    /* 2: an error */
    recv_notif(&n);
    printf("the second id %s the first + 1\n", n.id == id1 + 1 ? "==" : "!=");
    CHECK(send_resp(n.id, 4242, -EPERM, 0) == 0, "NOTIF_SEND error -EPERM (and val 4242)");
    show_result("error -EPERM");

    /* 3: a positive error */
    recv_notif(&n);
    CHECK(send_resp(n.id, 9, 5, 0) == 0, "NOTIF_SEND error 5 (and val 9)");
    show_result("error 5");

    /* 4: a large negative value */
    recv_notif(&n);
    CHECK(send_resp(n.id, -4096, 0, 0) == 0, "NOTIF_SEND val -4096");
    show_result("val -4096");

    /* 5: bad responses, then CONTINUE */
    recv_notif(&n);
    EXPECT_ERRNO(send_resp(n.id, 0, 0, 2), EINVAL, "NOTIF_SEND flags 2");
    EXPECT_ERRNO(send_resp(n.id, 1, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE), EINVAL, "CONTINUE with val 1");
    EXPECT_ERRNO(send_resp(n.id, 0, -1, SECCOMP_USER_NOTIF_FLAG_CONTINUE), EINVAL, "CONTINUE with error -1");
    EXPECT_ERRNO(send_resp(n.id + 1, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE), ENOENT, "CONTINUE to the next id");
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, NULL), EFAULT, "NOTIF_SEND from NULL");
    CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) == 0, "the id is still valid after the refusals");
    CHECK(send_resp(n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE) == 0, "NOTIF_SEND CONTINUE");
    show_result("CONTINUE");

    /* 6: error 0 and val 0 */
    recv_notif(&n);
    CHECK(send_resp(n.id, 0, 0, 0) == 0, "NOTIF_SEND val 0");
    show_result("val 0");

    /* 7, 8: a response sent before RECV is not possible (the id is unknown); a value larger than int */
    recv_notif(&n);
    CHECK(send_resp(n.id, 0x123456789L, 0, 0) == 0, "NOTIF_SEND val 0x123456789");
    show_result("val 0x123456789");
    recv_notif(&n);
    CHECK(send_resp(n.id, 0, -4095, 0) == 0, "NOTIF_SEND error -4095");
    show_result("error -4095");
}

/* ------------------------------------------------------------ ADDFD */

static void t_addfd(void)
{
    for (int i = 0; i < 4; i++) {
        int low = dup(0);
        close(low);
        long r = notified_call();
        report(r);
        report(low);
        if (r >= 0) {
            report(fcntl((int)r, F_GETFD));
            report(write((int)r, "from the target", 15));
        } else {
            report(-2);
            report(-2);
        }
    }
}

static void show_addfd_result(const char *what, long fd_in_target)
{
    struct result r = take_result(), low = take_result(), fl = take_result(), w = take_result();
    printf("%s: target's call returns %s", what,
           r.r == fd_in_target ? "the fd ADDFD returned" : r.r == -1 ? errno_name(r.e) : "something else");
    printf(", %s its lowest free fd, FD_CLOEXEC=%ld, write: %ld\n", r.r == low.r ? "==" : "!=", fl.r & FD_CLOEXEC,
           w.r);
}

static void s_addfd(void)
{
    struct seccomp_notif n;
    int p[2];
    pipe(p); /* after the fork: the target does not have it */
    go();
    char buf[32];

    recv_notif(&n);
    struct seccomp_notif_addfd a = {.id = n.id, .flags = 0, .srcfd = (uint32_t)p[1], .newfd = 0, .newfd_flags = 0};
    struct seccomp_notif_addfd bad = a;
    bad.flags = 4;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), EINVAL, "ADDFD flags 4");
    bad = a;
    bad.newfd_flags = O_APPEND;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), EINVAL, "ADDFD newfd_flags O_APPEND");
    bad = a;
    bad.newfd = 40;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), EINVAL, "ADDFD newfd without SETFD");
    bad = a;
    bad.srcfd = 999;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), EBADF, "ADDFD srcfd 999");
    bad = a;
    bad.id = n.id + 1;
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), ENOENT, "ADDFD to the next id");
    long fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
    CHECK(fd >= 0, "ADDFD the pipe's write end");
    CHECK(send_resp(n.id, fd, 0, 0) == 0, "NOTIF_SEND val = that fd");
    show_addfd_result("ADDFD", fd);
    ssize_t got = read(p[0], buf, sizeof buf);
    printf("the pipe carries \"%.*s\"\n", (int)(got > 0 ? got : 0), buf);

    recv_notif(&n);
    a.id = n.id;
    a.flags = SECCOMP_ADDFD_FLAG_SETFD;
    a.newfd = 42;
    a.newfd_flags = O_CLOEXEC;
    fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
    printf("ADDFD SETFD 42 O_CLOEXEC returns %ld\n", fd);
    CHECK(send_resp(n.id, fd, 0, 0) == 0, "NOTIF_SEND val = 42");
    show_addfd_result("ADDFD SETFD 42", 42);
    got = read(p[0], buf, sizeof buf);
    printf("the pipe carries \"%.*s\"\n", (int)(got > 0 ? got : 0), buf);

    recv_notif(&n);
    a.id = n.id;
    a.flags = SECCOMP_ADDFD_FLAG_SEND;
    a.newfd = 0;
    a.newfd_flags = 0;
    fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
    CHECK(fd >= 0, "ADDFD with ADDFD_FLAG_SEND");
    EXPECT_ERRNO(send_resp(n.id, 0, 0, 0), ENOENT, "NOTIF_SEND after ADDFD_FLAG_SEND");
    show_addfd_result("ADDFD_FLAG_SEND", fd);
    got = read(p[0], buf, sizeof buf);
    printf("the pipe carries \"%.*s\"\n", (int)(got > 0 ? got : 0), buf);

    /* SETFD over an fd the target has open (its stdin): replaced */
    recv_notif(&n);
    a.id = n.id;
    a.flags = SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND;
    a.newfd = 0;
    fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
    printf("ADDFD SETFD 0 | SEND returns %ld\n", fd);
    show_addfd_result("ADDFD over fd 0", 0);
    got = read(p[0], buf, sizeof buf);
    printf("the pipe carries \"%.*s\"\n", (int)(got > 0 ? got : 0), buf);
    close(p[0]);
    close(p[1]);
}

/* ------------------------------------------------------------ the target dies */

static void t_one_call(void)
{
    report(notified_call());
}

static void s_target_dies(void)
{
    struct seccomp_notif n;
    go();
    recv_notif(&n);
    uint64_t id = n.id;
    kill(target, SIGKILL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, (id_t)target, &si, WEXITED | WNOWAIT);
    printf("the target is a zombie, killed by %s\n", signal_name(si.si_status));
    EXPECT_ERRNO(send_resp(id, 1, 0, 0), ENOENT, "NOTIF_SEND to the dead target's id");
    EXPECT_ERRNO(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id), ENOENT, "NOTIF_ID_VALID of it");
    int st;
    waitpid(target, &st, 0);
    printf("target reaped: %s\n", status_str(st));
    target = 0;
    show_poll("with no task using the filter", 0);
}

/* The target dies before the supervisor received the notification. */
static void s_target_dies_unreceived(void)
{
    go();
    show_poll("a notification waiting", -1);
    kill(target, SIGKILL);
    int st;
    waitpid(target, &st, 0);
    printf("target reaped: %s\n", status_str(st));
    target = 0;
    show_poll("after the target died", 0);
}

/* ------------------------------------------------------------ signals */

static void on_usr1(int sig)
{
    (void)sig;
    write(sig_pipe[1], "h", 1);
}

static void t_signal(int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    report(notified_call());
}

static void t_signal_norestart(void)
{
    t_signal(0);
}

static void t_signal_restart(void)
{
    t_signal(1);
}

static void s_signal(int restart)
{
    struct seccomp_notif n;
    go();
    recv_notif(&n);
    uint64_t id = n.id;
    kill(target, SIGUSR1);
    char c;
    CHECK(read(sig_pipe[0], &c, 1) == 1, "the target's handler ran");
    EXPECT_ERRNO(send_resp(id, 1, 0, 0), ENOENT, "NOTIF_SEND to the interrupted notification");
    if (restart) {
        show_poll("after the handler", -1);
        recv_notif(&n);
        printf("the restarted call's id %s the first + 1, nr %d\n", n.id == id + 1 ? "==" : "!=", n.data.nr);
        CHECK(send_resp(n.id, 77, 0, 0) == 0, "NOTIF_SEND val 77");
    }
    show_result(restart ? "SA_RESTART" : "no SA_RESTART");
}

static void s_signal_norestart(void)
{
    s_signal(0);
}

static void s_signal_restart(void)
{
    s_signal(1);
}

/* WAIT_KILLABLE_RECV: once received, the target waits killably; the signal waits for the answer */
static void s_signal_killable(void)
{
    struct seccomp_notif n;
    go();
    recv_notif(&n);
    kill(target, SIGUSR1);
    /* the signal stays pending (shown in /proc/PID/status) until the answer */
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)target);
    int fd = open(path, O_RDONLY);
    ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[len > 0 ? len : 0] = 0;
    char *p = strstr(buf, "ShdPnd:");
    printf("the target's ShdPnd: %.*s\n", p ? (int)strcspn(p + 8, "\n") : 0, p ? p + 8 : "");
    CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) == 0, "the notification is still valid");
    CHECK(send_resp(n.id, 88, 0, 0) == 0, "NOTIF_SEND val 88");
    char c;
    CHECK(read(sig_pipe[0], &c, 1) == 1, "the target's handler ran after the answer");
    show_result("WAIT_KILLABLE_RECV");
}

/* ------------------------------------------------------------ the listener closed */

static void t_two_calls(void)
{
    report(notified_call());
    report(notified_call());
}

static void s_close_listener(void)
{
    struct seccomp_notif n;
    go();
    recv_notif(&n);
    close(listener);
    listener = -1;
    show_result("listener closed while the target waits");
    show_result("a later call");
}

static void s_close_listener_unreceived(void)
{
    go();
    show_poll("a notification waiting", -1);
    close(listener);
    listener = -1;
    show_result("listener closed before NOTIF_RECV");
    show_result("a later call");
}

int main(void)
{
    guest_line_buffered();
    my_pid = getpid();
    printf("seccomp_notify\n");
    run("RECV and SEND", 0, t_calls, s_basic);
    run("ADDFD", 0, t_addfd, s_addfd);
    run("the target dies", 0, t_one_call, s_target_dies);
    run("the target dies before RECV", 0, t_one_call, s_target_dies_unreceived);
    run("a signal, no SA_RESTART", 0, t_signal_norestart, s_signal_norestart);
    run("a signal, SA_RESTART", 0, t_signal_restart, s_signal_restart);
    run("a signal, WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, t_signal_norestart, s_signal_killable);
    run("the listener closed", 0, t_two_calls, s_close_listener);
    run("the listener closed before RECV", 0, t_two_calls, s_close_listener_unreceived);
    return guest_exit();
}
