/*
 * sig_groups: signals to many processes, SIGCHLD accounting and SIGPIPE.
 *
 * kill(-pgid) reaches every member of a process group and nobody else;
 * kill(0) the caller's own group, caller included; kill(-1) every process
 * the caller may signal except itself and init -- run ONLY inside a new pid
 * namespace (unshare(CLONE_NEWPID)), where -1 cannot reach anything outside:
 * natively, as root, kill(-1) would signal the whole host.  A SIGCHLD handler
 * with SA_RESTART and a waitpid loop counts every exit (SIGCHLD coalesces) and
 * does not break a read; SIGPIPE kills a writer to a pipe without readers,
 * or, caught or ignored, leaves it EPIPE.
 */
#include "guest.h"

#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif

static int report[2]; /* children write one line each */

static void relay(int n)
{
    /* read n newline-terminated reports and print them sorted (their order is the scheduler's) */
    char lines[16][96];
    int got = 0;
    char c;
    size_t len = 0;
    char cur[96];
    while (got < n && read(report[0], &c, 1) == 1) {
        if (len < sizeof cur - 1)
            cur[len++] = c;
        if (c == '\n') {
            cur[len] = 0;
            strcpy(lines[got++], cur);
            len = 0;
        }
    }
    for (int i = 0; i < got; i++)
        for (int j = i + 1; j < got; j++)
            if (strcmp(lines[j], lines[i]) < 0) {
                char t[96];
                strcpy(t, lines[i]);
                strcpy(lines[i], lines[j]);
                strcpy(lines[j], t);
            }
    for (int i = 0; i < got; i++)
        fputs(lines[i], stdout);
}

static void say(const char *fmt, int a, int b)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, fmt, a, b);
    write(report[1], buf, (size_t)n);
}

static volatile int my_index;
static void h_report_exit(int sig)
{
    say("  member %d got the signal\n", my_index, 0);
    (void)sig;
    _exit(10 + my_index);
}

/* ------------------------------------------------------------ kill(-pgid), kill(0) */

static void test_pgrp(void)
{
    printf("-- kill(-pgid) and kill(0)\n");
    int ready[2];
    pipe(ready);
    pid_t kids[3], pgid = 0;
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            my_index = i;
            signal(SIGUSR1, h_report_exit);
            setpgid(0, i == 0 ? 0 : pgid);
            write(ready[1], "r", 1);
            for (;;)
                pause();
        }
        if (i == 0)
            pgid = pid;
        setpgid(pid, pgid); /* from both sides: no race */
        kids[i] = pid;
    }
    /* a process outside the group, same parent */
    fflush(stdout);
    pid_t outsider = fork();
    if (outsider == 0) {
        my_index = 9;
        signal(SIGUSR1, h_report_exit);
        write(ready[1], "r", 1);
        for (;;)
            pause();
    }
    char c;
    for (int i = 0; i < 4; i++)
        read(ready[0], &c, 1);
    printf("getpgid(member 2) == member 0's pid: %d\n", getpgid(kids[2]) == pgid);
    CHECK(kill(-pgid, SIGUSR1) == 0, "kill(-pgid, SIGUSR1)");
    relay(3);
    for (int i = 0; i < 3; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        printf("member %d: %s\n", i, status_str(st));
    }
    int st;
    printf("outsider still running: %d\n", waitpid(outsider, &st, WNOHANG) == 0);
    kill(outsider, SIGKILL);
    waitpid(outsider, &st, 0);
    EXPECT_ERRNO(kill(-pgid, SIGUSR1), ESRCH, "kill(-pgid) of an empty group");
    EXPECT_ERRNO(killpg(pgid, 0), ESRCH, "killpg(empty group, 0)");

    /* kill(0): a child leads a new group with two children of its own and signals the group */
    fflush(stdout);
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        my_index = 0;
        pid_t gk[2];
        for (int i = 0; i < 2; i++) {
            gk[i] = fork();
            if (gk[i] == 0) {
                my_index = i + 1;
                signal(SIGUSR2, h_report_exit);
                write(ready[1], "r", 1);
                for (;;)
                    pause();
            }
        }
        read(ready[0], &c, 1);
        read(ready[0], &c, 1);
        sigset_t b;
        sigemptyset(&b);
        sigaddset(&b, SIGUSR2);
        sigprocmask(SIG_BLOCK, &b, NULL); /* the leader blocks it: it stays pending there */
        kill(0, SIGUSR2);
        sigset_t p;
        sigpending(&p);
        say("  leader: its own SIGUSR2 pending after kill(0): %d\n", sigismember(&p, SIGUSR2), 0);
        int s1, s2;
        waitpid(gk[0], &s1, 0);
        waitpid(gk[1], &s2, 0);
        say("  leader: its children exited %d and %d\n", WEXITSTATUS(s1), WEXITSTATUS(s2));
        _exit(0);
    }
    relay(4);
    waitpid(leader, &st, 0);
    printf("leader: %s\n", status_str(st));
    close(ready[0]);
    close(ready[1]);
}

/* ------------------------------------------------------------ kill(-1) in a new pid namespace */

static volatile int init_usr1;
static void h_init_usr1(int s)
{
    (void)s;
    init_usr1++;
}

/* Runs as pid 1 of a fresh pid namespace (checked by the caller). */
static void ns_init(void)
{
    signal(SIGUSR1, h_init_usr1);
    int ready[2];
    pipe(ready);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            my_index = i;
            signal(SIGUSR1, h_report_exit);
            write(ready[1], "r", 1);
            for (;;)
                pause();
        }
    }
    char c;
    for (int i = 0; i < 3; i++)
        read(ready[0], &c, 1);
    /* the sender: a fourth child, pid 5, parent 1 */
    pid_t sender = fork();
    if (sender == 0) {
        if (getppid() != 1 || getpid() != 5) /* never kill(-1) outside the namespace */
            _exit(99);
        int rc = kill(-1, SIGUSR1); /* SIGUSR1 is SIG_DFL here: were it reached, it would die */
        say("  sender (pid %d): kill(-1, SIGUSR1) = %d\n", getpid(), rc);
        _exit(0);
    }
    int st;
    waitpid(sender, &st, 0);
    relay(4);
    for (int i = 0; i < 3; i++) {
        waitpid(kids[i], &st, 0);
        printf("  ns child %d (pid %d): %s\n", i, kids[i], status_str(st));
    }
    waitpid(sender, &st, 0);
    printf("  init: handler runs %d (init is never reached by kill(-1))\n", init_usr1);

    /* alone in the namespace: nobody to signal */
    errno = 0;
    int rc = kill(-1, SIGUSR1);
    printf("  init alone: kill(-1, SIGUSR1) = %d %s; handler runs %d\n", rc, errno_name(errno), init_usr1);
    fflush(stdout);
}

static void test_kill_all(void)
{
    printf("-- kill(-1) inside a new pid namespace\n");
    fflush(stdout);
    pid_t outer = fork();
    if (outer == 0) {
        if (unshare(CLONE_NEWPID) != 0) {
            printf("  unshare(CLONE_NEWPID): %s -- kill(-1) skipped\n", errno_name(errno));
            fflush(stdout);
            _exit(1);
        }
        pid_t init = fork();
        if (init == 0) {
            if (getpid() != 1) /* never kill(-1) outside the namespace */
                _exit(98);
            ns_init();
            _exit(0);
        }
        int st;
        waitpid(init, &st, 0);
        printf("  init: %s\n", status_str(st));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(outer, &st, 0);
    printf("outer child: %s\n", status_str(st));
}

/* ------------------------------------------------------------ SIGCHLD accounting */

static volatile int reaped, chld_runs;
static int reaped_codes;

static void h_chld(int s)
{
    (void)s;
    int e = errno, st;
    pid_t p;
    chld_runs++;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped++;
        if (WIFEXITED(st))
            reaped_codes += WEXITSTATUS(st);
    }
    errno = e;
}

static void test_sigchld_count(void)
{
    printf("-- counting exits in a SIGCHLD handler\n");
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_chld;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old);
    int eof[2];
    pipe(eof);
    const int n = 6;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        if (fork() == 0) {
            close(eof[0]);
            _exit(i + 1); /* closing eof[1] is the last thing every child does */
        }
    }
    close(eof[1]);
    char c;
    long r = read(eof[0], &c, 1); /* EOF once every child is gone; SIGCHLDs restart it */
    printf("read until every child closed the pipe: %ld (%s)\n", r, r == 0 ? "EOF, never EINTR" : errno_name(errno));
    sigset_t chld, prev;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &prev);
    while (reaped < n)
        sigsuspend(&prev);
    sigprocmask(SIG_SETMASK, &prev, NULL);
    printf("reaped %d children, exit codes sum %d (want %d), handler ran at least once and at most %d times: %d\n",
           reaped, reaped_codes, n * (n + 1) / 2, n, chld_runs >= 1 && chld_runs <= n);
    errno = 0;
    int w = waitpid(-1, NULL, WNOHANG);
    printf("waitpid afterwards: %d %s\n", w, errno_name(errno));
    close(eof[0]);
    sigaction(SIGCHLD, &old, NULL);
}

/* ------------------------------------------------------------ SIGPIPE */

static volatile int pipe_runs, pipe_code, pipe_self;
static void h_pipe(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    pipe_runs++;
    pipe_code = si->si_code;
    pipe_self = si->si_pid == getpid();
}

static void test_sigpipe(void)
{
    printf("-- SIGPIPE\n");
    for (int mode = 0; mode < 4; mode++) {
        int p[2];
        pipe(p);
        close(p[0]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            const char *what = "default";
            if (mode == 1) {
                struct sigaction sa;
                memset(&sa, 0, sizeof sa);
                sa.sa_sigaction = h_pipe;
                sa.sa_flags = SA_SIGINFO;
                sigaction(SIGPIPE, &sa, NULL);
                what = "handler";
            } else if (mode == 2) {
                signal(SIGPIPE, SIG_IGN);
                what = "SIG_IGN";
            } else if (mode == 3) {
                sigset_t b;
                sigemptyset(&b);
                sigaddset(&b, SIGPIPE);
                sigprocmask(SIG_BLOCK, &b, NULL);
                what = "blocked";
            }
            errno = 0;
            long r = write(p[1], "x", 1);
            int e = errno;
            sigset_t pend;
            sigpending(&pend);
            printf("  %s: write -> %ld %s; handler runs %d (SI_USER %d, from itself %d); pending %d\n", what, r,
                   errno_name(e), pipe_runs, pipe_code == SI_USER, pipe_self, sigismember(&pend, SIGPIPE));
            fflush(stdout);
            _exit(0);
        }
        close(p[1]);
        int st;
        waitpid(pid, &st, 0);
        printf("  child: %s\n", status_str(st));
    }
}

int main(void)
{
    guest_line_buffered();
    pipe(report);
    test_pgrp();
    test_sigchld_count();
    test_sigpipe();
    test_kill_all();
    return guest_exit();
}
