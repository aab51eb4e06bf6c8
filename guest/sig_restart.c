/*
 * sig_restart: SA_RESTART, EINTR and restart_syscall.
 *
 * read on a pipe, wait4 and futex wait are restarted after a handler with
 * SA_RESTART and fail with EINTR without it; a futex wait with a timeout and
 * nanosleep (ERESTART_RESTARTBLOCK) fail with EINTR after any handler,
 * nanosleep reporting a plausible remaining time; pause and sigsuspend always
 * fail with EINTR; a SIGSTOP/SIGCONT of a process blocked in nanosleep or pause
 * is invisible to it (restart_syscall).
 *
 * Ordering without timing: the blocking call is made through rs_call, a raw
 * syscall stub with labelled instructions.  The handler looks at the
 * interrupted RIP/RAX in its ucontext: at the syscall instruction it was
 * restarted, just after it with -EINTR it was interrupted; only then does it
 * write an acknowledgement byte.  The sender repeats its signal (after a short
 * pause) until acknowledged, so a signal that arrives before the call blocks
 * changes nothing in the transcript.
 */
#include "guest.h"

#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* long rs_call(long nr, long a1, long a2, long a3, long a4, long a5): the raw result (-errno) */
__asm__(".text\n"
        ".globl rs_call\n"
        "rs_call:\n"
        "    movq %rdi, %rax\n"
        "    movq %rsi, %rdi\n"
        "    movq %rdx, %rsi\n"
        "    movq %rcx, %rdx\n"
        "    movq %r8, %r10\n"
        "    movq %r9, %r8\n"
        ".globl rs_insn\n"
        "rs_insn:\n"
        "    syscall\n"
        ".globl rs_after\n"
        "rs_after:\n"
        "    ret\n");
long rs_call(long nr, long a1, long a2, long a3, long a4, long a5);
extern char rs_insn[], rs_after[];

static int ack_pipe[2];
static volatile int restarted, interrupted, outside;

static void h_classify(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    int64_t rax = (int64_t)uc->uc_mcontext.gregs[REG_RAX];
    int in_call = 0;
    if (rip == (uint64_t)rs_insn) {
        restarted++;
        in_call = 1;
    } else if (rip == (uint64_t)rs_after && rax == -EINTR) {
        interrupted++;
        in_call = 1;
    } else {
        outside++;
    }
    if (in_call) {
        int e = errno;
        write(ack_pipe[1], "a", 1);
        errno = e;
    }
}

static void install(int sig, int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_classify;
    sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void reset(void)
{
    restarted = interrupted = outside = 0;
}

static void short_pause(void)
{
    struct timespec ts = {0, 1000000}; /* 1 ms */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Send sig to (tgid, tid) until the handler acknowledges that it interrupted the blocking call
 * (natively the first or second signal does; the cap only keeps a broken kernel from looping). */
static void send_until_acked(pid_t tgid, pid_t tid, int sig)
{
    for (int i = 0; i < 100; i++) {
        short_pause();
        syscall(SYS_tgkill, (long)tgid, (long)tid, sig);
        struct pollfd p = {.fd = ack_pipe[0], .events = POLLIN};
        if (poll(&p, 1, 20) == 1) {
            char c;
            read(ack_pipe[0], &c, 1);
            return;
        }
    }
    printf("FAIL sender: 100 signals, none interrupted the blocking call\n");
}

static const char *rc_str(long rc)
{
    static char buf[32];
    if (rc < 0 && rc > -4096)
        return errno_name((int)-rc);
    snprintf(buf, sizeof buf, "%ld", rc);
    return buf;
}

static void report_as(const char *what, const char *result)
{
    printf("%s: %s; handler saw the call %s\n", what, result,
           restarted && !interrupted ? "restarted" : interrupted && !restarted ? "interrupted (EINTR)"
                                                                             : "neither/both?");
}

static void report(const char *what, long rc)
{
    report_as(what, rc_str(rc));
}

/* ------------------------------------------------------------ read on a pipe */

static void test_read(int restart)
{
    int data[2];
    pipe(data);
    install(SIGUSR1, restart);
    reset();
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        send_until_acked(parent, parent, SIGUSR1);
        write(data[1], "x", 1); /* only after the handler ran */
        _exit(0);
    }
    char buf[8] = {0};
    long rc = rs_call(SYS_read, data[0], (long)buf, sizeof buf, 0, 0);
    report(restart ? "read, SA_RESTART" : "read, no SA_RESTART", rc);
    if (rc == 1)
        printf("  read returned '%c'\n", buf[0]);
    else {
        rc = read(data[0], buf, sizeof buf);
        printf("  the data arrives at the next read: %ld '%c'\n", rc, buf[0]);
    }
    waitpid(pid, NULL, 0);
    close(data[0]);
    close(data[1]);
}

/* ------------------------------------------------------------ wait4 */

static void test_wait4(int restart)
{
    install(SIGUSR1, restart);
    reset();
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        send_until_acked(parent, parent, SIGUSR1);
        _exit(3);
    }
    int st = 0;
    long rc = rs_call(SYS_wait4, pid, (long)&st, 0, 0, 0);
    report_as(restart ? "wait4, SA_RESTART" : "wait4, no SA_RESTART", rc == pid ? "the child's pid" : rc_str(rc));
    if (rc == pid)
        printf("  status: %s\n", status_str(st));
    else {
        waitpid(pid, &st, 0);
        printf("  the next waitpid: %s\n", status_str(st));
    }
}

/* ------------------------------------------------------------ futex wait */

static uint32_t fword;
static pid_t main_tid;

static void *futex_sender(void *arg)
{
    (void)arg;
    send_until_acked(getpid(), main_tid, SIGUSR1);
    __atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

static void test_futex(int restart, int timeout)
{
    install(SIGUSR1, restart);
    reset();
    fword = 0;
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t th;
    pthread_create(&th, NULL, futex_sender, NULL);
    struct timespec ts = {100, 0};
    long rc = rs_call(SYS_futex, (long)&fword, FUTEX_WAIT_PRIVATE, 0, timeout ? (long)&ts : 0, 0);
    char what[64];
    snprintf(what, sizeof what, "futex wait%s, %s", timeout ? " with a timeout" : "",
             restart ? "SA_RESTART" : "no SA_RESTART");
    /* after a restart the word may or may not have changed yet: 0 or EAGAIN are the same outcome */
    if (rc == 0 || rc == -EAGAIN)
        printf("%s: woken or EAGAIN; handler saw the call %s\n", what,
               restarted && !interrupted ? "restarted" : "interrupted?");
    else
        report(what, rc);
    pthread_join(th, NULL);
    printf("  word=%u\n", fword);
}

/* ------------------------------------------------------------ nanosleep, pause, sigsuspend */

static void *nap_sender(void *arg)
{
    (void)arg;
    send_until_acked(getpid(), main_tid, SIGUSR1);
    return NULL;
}

static void test_nanosleep(int restart)
{
    install(SIGUSR1, restart);
    reset();
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t th;
    pthread_create(&th, NULL, nap_sender, NULL);
    struct timespec req = {1000, 0}, rem = {-1, -1};
    long rc = rs_call(SYS_nanosleep, (long)&req, (long)&rem, 0, 0, 0);
    report(restart ? "nanosleep, SA_RESTART" : "nanosleep, no SA_RESTART", rc);
    printf("  rem > 0: %d, rem < requested: %d\n", rem.tv_sec > 0 || rem.tv_nsec > 0,
           rem.tv_sec < req.tv_sec || (rem.tv_sec == req.tv_sec && rem.tv_nsec < req.tv_nsec));
    pthread_join(th, NULL);

    /* clock_nanosleep returns the error number; an absolute sleep does not write rem */
    reset();
    pthread_create(&th, NULL, nap_sender, NULL);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 1000;
    rem.tv_sec = 77;
    rem.tv_nsec = 77;
    rc = rs_call(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&until, (long)&rem, 0);
    report(restart ? "clock_nanosleep ABSTIME, SA_RESTART" : "clock_nanosleep ABSTIME, no SA_RESTART", rc);
    printf("  rem untouched: %d\n", rem.tv_sec == 77 && rem.tv_nsec == 77);
    pthread_join(th, NULL);
}

static void test_pause_sigsuspend(void)
{
    install(SIGUSR1, 1);
    reset();
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t th;
    pthread_create(&th, NULL, nap_sender, NULL);
    long rc = rs_call(SYS_pause, 0, 0, 0, 0, 0);
    report("pause, SA_RESTART", rc);
    pthread_join(th, NULL);

    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old);
    reset();
    pthread_create(&th, NULL, nap_sender, NULL);
    uint64_t none = 0;
    rc = rs_call(SYS_rt_sigsuspend, (long)&none, 8, 0, 0, 0);
    report("sigsuspend, SA_RESTART", rc);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("  SIGUSR1 blocked again after sigsuspend: %d\n", sigismember(&now, SIGUSR1));
    pthread_join(th, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ------------------------------------------------------------ SIGSTOP/SIGCONT: restart_syscall */

static volatile int term_count;

static void h_term(int sig)
{
    (void)sig;
    term_count++;
}

static long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void stop_and_continue(pid_t pid)
{
    int st;
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    printf("  parent: child %s\n", status_str(st));
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    printf("  parent: child %s\n", status_str(st));
}

static void test_stop_cont(void)
{
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec req = {0, 40000000}, rem = {77, 77}; /* 40 ms */
        write(ready[1], "r", 1);
        long long t0 = mono_ns();
        long rc = rs_call(SYS_nanosleep, (long)&req, (long)&rem, 0, 0, 0);
        long long dt = mono_ns() - t0;
        printf("  child: nanosleep across SIGSTOP/SIGCONT: %s, slept at least 40 ms: %d, rem untouched: %d\n",
               rc_str(rc), dt >= 40000000, rem.tv_sec == 77);
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    struct timespec five = {0, 5000000}; /* let the child get into nanosleep */
    nanosleep(&five, NULL);
    printf("nanosleep in a stopped and continued child:\n");
    stop_and_continue(pid);
    int st;
    waitpid(pid, &st, 0);
    printf("  parent: child %s\n", status_str(st));

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        signal(SIGTERM, h_term);
        write(ready[1], "r", 1);
        long rc = rs_call(SYS_pause, 0, 0, 0, 0, 0);
        printf("  child: pause: %s after %d SIGTERM handler run(s)\n", rc_str(rc), term_count);
        _exit(0);
    }
    read(ready[0], &c, 1);
    nanosleep(&five, NULL);
    printf("pause in a stopped and continued child:\n");
    stop_and_continue(pid);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    printf("  parent: child %s\n", status_str(st));
    close(ready[0]);
    close(ready[1]);
}

int main(void)
{
    guest_line_buffered();
    pipe(ack_pipe);
    printf("-- read\n");
    test_read(1);
    test_read(0);
    printf("-- wait4\n");
    test_wait4(1);
    test_wait4(0);
    printf("-- futex\n");
    test_futex(1, 0);
    test_futex(0, 0);
    test_futex(1, 1);
    printf("-- nanosleep\n");
    test_nanosleep(1);
    test_nanosleep(0);
    printf("-- pause and sigsuspend\n");
    test_pause_sigsuspend();
    printf("-- SIGSTOP/SIGCONT\n");
    test_stop_cont();
    return guest_exit();
}
