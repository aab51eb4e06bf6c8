/* Blocking syscalls whose result pointer is bad, or whose condition vanished, when they complete after
 * sleeping: Linux returns EFAULT (or ECHILD) from the woken call, and the program goes on.
 *
 * Each case blocks first (a child that exits later, a signal that arrives later), so the error is found by
 * the code that finishes the call after the wake-up, not by the first attempt. */
#include "guest.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)8) /* never mapped */

static pid_t late_child(int code)
{
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        _exit(code);
    }
    return c;
}

/* waitpid in a second thread: 1 when it reaped the child, 0 for ECHILD, -1 otherwise */
static void *other_waiter(void *arg)
{
    int st;
    pid_t c = *(pid_t *)arg;
    if (waitpid(c, &st, 0) == c)
        return (void *)1L;
    return (void *)(long)(errno == ECHILD ? 0 : -1);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void kill_me_later(int sig)
{
    pid_t me = getpid();
    if (fork() == 0) {
        usleep(20000);
        kill(me, sig);
        _exit(0);
    }
}

int main(void)
{
    guest_line_buffered();
    int st;

    pid_t c = late_child(3);
    EXPECT_ERRNO(wait4(c, BAD, 0, NULL), EFAULT, "wait4 that blocked, bad status pointer");
    EXPECT_ERRNO(waitpid(c, &st, 0), ECHILD, "the child was reaped all the same");

    c = late_child(4);
    EXPECT_ERRNO(wait4(c, &st, 0, BAD), EFAULT, "wait4 that blocked, bad rusage pointer");
    EXPECT_ERRNO(waitpid(c, &st, 0), ECHILD, "reaped");

    c = late_child(5);
    EXPECT_ERRNO(waitid(P_PID, c, BAD, WEXITED), EFAULT, "waitid that blocked, bad siginfo pointer");
    EXPECT_ERRNO(waitpid(c, &st, 0), ECHILD, "reaped");

    c = late_child(6);
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    CHECK(pfd >= 0, "pidfd_open");
    EXPECT_ERRNO(waitid(P_PIDFD, pfd, BAD, WEXITED), EFAULT, "waitid(P_PIDFD) that blocked, bad siginfo");
    close(pfd);
    EXPECT_ERRNO(waitpid(c, &st, 0), ECHILD, "reaped");

    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill_me_later(SIGUSR2);
    EXPECT_ERRNO(sigwaitinfo(&set, BAD), EFAULT, "sigwaitinfo that blocked, bad siginfo pointer");
    while (waitpid(-1, &st, 0) > 0)
        ;

    kill_me_later(SIGUSR1);
    struct timespec ts = {5, 0};
    EXPECT_ERRNO(nanosleep(&ts, BAD), EFAULT, "nanosleep interrupted by a handler, bad rem pointer");
    while (waitpid(-1, &st, 0) > 0)
        ;
    kill_me_later(SIGUSR1);
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, BAD);
    CHECK_EQ(r, EFAULT, "clock_nanosleep interrupted by a handler, bad rem pointer");
    while (waitpid(-1, &st, 0) > 0)
        ;

    /* two threads wait for the same child: one reaps it, the other wakes to find no child left */
    c = late_child(7);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_waiter, &c) == 0, "pthread_create");
    long mine = waitpid(c, &st, 0) == c ? 1 : (errno == ECHILD ? 0 : -1);
    void *theirs = NULL;
    pthread_join(t, &theirs);
    CHECK(mine + (long)theirs == 1 && mine >= 0 && (long)theirs >= 0,
          "two threads wait for one child: one reaps it, the other gets ECHILD");
    return guest_exit();
}
