/*
 * fork_wait: the fork/wait matrix.
 *
 * Children exit with assorted codes or are killed; the parent reaps them with
 * waitpid/wait4/waitid and prints what the status words mean.  Every point
 * where the order of events matters is fixed by a pipe (a child blocks reading
 * it until the parent writes), never by sleeping.
 */
#include "guest.h"

#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

/* A child that blocks until the parent writes to (or closes) go[1], then _exits with code. */
static pid_t child_waiting(int go[2], int code)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(code);
    }
    close(go[0]);
    return pid;
}

static void test_no_children(void)
{
    int st;
    siginfo_t si;
    printf("-- no children\n");
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "waitpid(-1) with no children");
    EXPECT_ERRNO(wait(&st), ECHILD, "wait() with no children");
    EXPECT_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1, WNOHANG) with no children");
    EXPECT_ERRNO(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid(P_ALL) with no children");
    EXPECT_ERRNO(wait4(-1, &st, 0, NULL), ECHILD, "wait4(-1) with no children");
    EXPECT_ERRNO(waitpid(getppid(), &st, 0), ECHILD, "waitpid(parent) is not a child");
    EXPECT_ERRNO(waitpid(getpid(), &st, 0), ECHILD, "waitpid(self) is not a child");
    EXPECT_ERRNO(waitpid(0x3ffffff0, &st, 0), ECHILD, "waitpid(unused pid)");
    EXPECT_ERRNO(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid without WEXITED/WSTOPPED/WCONTINUED");
    EXPECT_ERRNO(waitpid(-1, &st, 0x10), EINVAL, "waitpid with an unknown option bit");
    EXPECT_ERRNO(wait4(-1, &st, WEXITED, NULL), EINVAL, "wait4 with WEXITED (a waitid-only flag)");
    EXPECT_ERRNO(waitid(7, 0, &si, WEXITED), EINVAL, "waitid with a bad idtype");
}

static void test_exit_codes(void)
{
    static const int codes[] = {0, 1, 2, 42, 127, 128, 255, 256, 257, -1};
    printf("-- exit codes\n");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(codes[i]);
        int st = -1;
        pid_t got = waitpid(pid, &st, 0);
        CHECK(got == pid, "_exit(%d): waitpid returns the child", codes[i]);
        printf("_exit(%d): %s, WIFEXITED=%d WIFSIGNALED=%d raw=%#x\n", codes[i], status_str(st),
               WIFEXITED(st), WIFSIGNALED(st), st);
    }
    /* exit() from main's return path, through stdio and atexit. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        exit(9);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9, "exit(9) via libc exit");
    /* wait() and wait4() reap any child. */
    pid = fork();
    if (pid == 0)
        _exit(3);
    CHECK(wait(&st) == pid && WEXITSTATUS(st) == 3, "wait() reaps the child");
    pid = fork();
    if (pid == 0)
        _exit(4);
    struct rusage ru;
    CHECK(wait4(pid, &st, 0, &ru) == pid && WEXITSTATUS(st) == 4, "wait4() with rusage reaps the child");
    pid = fork();
    if (pid == 0)
        _exit(5);
    CHECK(waitpid(pid, NULL, 0) == pid, "waitpid with a NULL status pointer");
}

static void test_killed(void)
{
    static const int sigs[] = {SIGKILL, SIGTERM, SIGINT, SIGUSR1, SIGHUP};
    printf("-- killed\n");
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        int go[2] = {-1, -1};
        pipe(go);
        pid_t pid = child_waiting(go, 0); /* blocked in read() until killed */
        CHECK(kill(pid, sigs[i]) == 0, "kill(child, %s)", signal_name(sigs[i]));
        int st;
        pid_t got = waitpid(pid, &st, 0);
        close(go[1]);
        CHECK(got == pid, "waitpid returns the %s child", signal_name(sigs[i]));
        printf("%s: %s, WIFEXITED=%d WIFSIGNALED=%d WTERMSIG=%s\n", signal_name(sigs[i]), status_str(st),
               WIFEXITED(st), WIFSIGNALED(st), WIFSIGNALED(st) ? signal_name(WTERMSIG(st)) : "-");
    }
    /* A child that kills itself. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(99);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
          "raise(SIGTERM) in the child: killed by SIGTERM");
    /* A signal the child ignores does not kill it: the child reports through
     * `ready` that it ignores SIGUSR2, then waits on `go`. */
    int ready[2] = {-1, -1}, go[2] = {-1, -1};
    pipe(ready);
    pipe(go);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char c;
        signal(SIGUSR2, SIG_IGN);
        close(go[1]);
        write(ready[1], "r", 1);
        ssize_t n = read(go[0], &c, 1);
        _exit(n == 1 ? 17 : 18);
    }
    close(go[0]);
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "the child ignores SIGUSR2");
    CHECK(kill(pid, SIGUSR2) == 0, "kill(child, SIGUSR2)");
    write(go[1], "x", 1);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 17,
          "an ignored SIGUSR2 does not kill or interrupt it: %s", status_str(st));
    close(go[1]);
    close(ready[0]);
}

static void test_wnohang(void)
{
    printf("-- WNOHANG\n");
    int go[2] = {-1, -1};
    pipe(go);
    pid_t pid = child_waiting(go, 6);
    int st = 12345;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG before the child exited returns 0");
    CHECK(st == 12345, "WNOHANG returning 0 leaves the status untouched");
    CHECK(waitpid(-1, &st, WNOHANG) == 0, "WNOHANG on any child returns 0 too");
    siginfo_t si;
    memset(&si, 0x5a, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOHANG) == 0, "waitid WNOHANG before exit returns 0");
    CHECK(si.si_pid == 0, "waitid WNOHANG before exit zeroes si_pid");
    CHECK(si.si_signo == 0, "waitid WNOHANG before exit zeroes si_signo");
    write(go[1], "x", 1);
    close(go[1]);
    /* Wait (without reaping) until it is a zombie, then WNOHANG must reap it. */
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid, "waitid WNOWAIT sees the exit");
    CHECK(waitpid(pid, &st, WNOHANG) == pid, "WNOHANG after the child exited returns its pid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 6, "and its status: %s", status_str(st));
    EXPECT_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD, "WNOHANG once it is reaped");
}

static void test_waitid(void)
{
    printf("-- waitid\n");
    siginfo_t si;
    int st;

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "waitid(P_PID, WEXITED|WNOWAIT)");
    CHECK(si.si_pid == pid, "si_pid is the child");
    CHECK(si.si_uid == getuid(), "si_uid is our uid");
    printf("si_signo=%s si_code=%s si_status=%d\n", signal_name(si.si_signo),
           si.si_code == CLD_EXITED ? "CLD_EXITED" : si.si_code == CLD_KILLED ? "CLD_KILLED" : "other",
           si.si_status);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid && si.si_status == 42,
          "a second WNOWAIT sees the same child again");
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 42,
          "a normal waitpid then reaps it: %s", status_str(st));
    EXPECT_ERRNO(waitid(P_PID, pid, &si, WEXITED), ECHILD, "waitid once it is reaped");

    int go[2] = {-1, -1};
    pipe(go);
    pid = child_waiting(go, 0);
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED) == 0, "waitid reaps a killed child");
    close(go[1]);
    CHECK(si.si_pid == pid, "si_pid is the killed child");
    printf("si_signo=%s si_code=%s si_status=%s\n", signal_name(si.si_signo),
           si.si_code == CLD_EXITED ? "CLD_EXITED" : si.si_code == CLD_KILLED ? "CLD_KILLED" : "other",
           signal_name(si.si_status));
    EXPECT_ERRNO(waitpid(pid, &st, 0), ECHILD, "waitid without WNOWAIT reaped it");

    /* P_PGID: the child is in our process group. */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(11);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PGID, getpgrp(), &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 11,
          "waitid(P_PGID, our group) reaps the child");
    /* waitid(P_PID, pid) of a non-child */
    EXPECT_ERRNO(waitid(P_PID, getppid(), &si, WEXITED), ECHILD, "waitid(P_PID, parent)");
}

static void test_order(void)
{
    printf("-- several children\n");
    /* Three children released in reverse order; waitpid(-1) returns them in exit order. */
    int go[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pipe(go[i]);
        pids[i] = child_waiting(go[i], 20 + i);
    }
    for (int i = 2; i >= 0; i--) {
        close(go[i][1]);
        int st;
        pid_t got = waitpid(-1, &st, 0);
        CHECK(got == pids[i] && WEXITSTATUS(st) == 20 + i, "child %d released and reaped (exit %d)", i,
              WEXITSTATUS(st));
    }
    int st;
    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "all children reaped");
}

static void test_stopped(void)
{
    printf("-- stop and continue\n");
    int go[2] = {-1, -1};
    pipe(go);
    pid_t pid = child_waiting(go, 8);
    int st;
    CHECK(kill(pid, SIGSTOP) == 0, "kill(child, SIGSTOP)");
    CHECK(waitpid(pid, &st, WUNTRACED) == pid, "waitpid(WUNTRACED) reports the stop");
    printf("stopped: %s, WIFSTOPPED=%d WSTOPSIG=%s\n", status_str(st), WIFSTOPPED(st),
           WIFSTOPPED(st) ? signal_name(WSTOPSIG(st)) : "-");
    CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "the stop is reported only once");
    CHECK(kill(pid, SIGCONT) == 0, "kill(child, SIGCONT)");
    CHECK(waitpid(pid, &st, WCONTINUED) == pid, "waitpid(WCONTINUED) reports the continue");
    printf("continued: %s, WIFCONTINUED=%d\n", status_str(st), WIFCONTINUED(st));
    close(go[1]);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 8, "then it exits: %s",
          status_str(st));
}

int main(void)
{
    guest_line_buffered();
    test_no_children();
    test_exit_codes();
    test_killed();
    test_wnohang();
    test_waitid();
    test_order();
    test_stopped();
    return guest_exit();
}
