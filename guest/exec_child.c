/*
 * exec_child: the program exec_parent executes.  What it checks is chosen by
 * the environment variable EXEC_MODE (the environment survives #! rewrites,
 * argv does not):
 *
 *   args (default)  print argc, argv[] and the environment; exit with
 *                   $EXEC_EXIT (default 0)
 *   sys             print argv[1..]; exit with atoi(argv[argc-1])
 *   fds             EXEC_FDS="label:fd:open|closed,..." -- check each fd
 *   signals         dispositions, mask, pending set and altstack after exec
 *   thread          exec'ed from a non-leader thread: EXPECT_PID / EXPECT_PPID
 *   block           read one byte from fd $EXEC_FD, then exit 0
 *   pgrp            print whether it leads its own process group
 *   spawn           posix_spawn file actions: fd 1 and fd 5 are set up, the
 *                   fds in EXEC_FDS are checked
 *
 * It prints "child: ..." lines (relations, never raw pids) and exits non-zero
 * when a check failed.
 */
#include "guest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v ? v : dflt;
}

static int mode_args(int argc, char **argv)
{
    printf("child: argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("child: argv[%d]=\"%s\"\n", i, argv[i]);
    CHECK(argv[argc] == NULL, "child: argv[argc] is NULL");
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("child: envc=%d\n", n);
    for (int i = 0; i < n; i++)
        printf("child: env[%d]=\"%s\"\n", i, environ[i]);
    fflush(stdout);
    return atoi(env_or("EXEC_EXIT", "0"));
}

static int mode_sys(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("child(sys): argv[%d]=\"%s\"\n", i, argv[i]);
    fflush(stdout);
    return argc > 1 ? atoi(argv[argc - 1]) : 0;
}

/* EXEC_FDS="label:fd:open|closed,..." */
static void check_fds(void)
{
    char spec[512];
    snprintf(spec, sizeof spec, "%s", env_or("EXEC_FDS", ""));
    for (char *item = strtok(spec, ","); item; item = strtok(NULL, ",")) {
        char label[64], want[16];
        int fd;
        if (sscanf(item, "%63[^:]:%d:%15s", label, &fd, want) != 3) {
            printf("FAIL child: bad EXEC_FDS item \"%s\"\n", item);
            guest_failures++;
            continue;
        }
        int fl = fcntl(fd, F_GETFD);
        const char *is = fl >= 0 ? "open" : "closed";
        CHECK(strcmp(is, want) == 0, "child: fd %s is %s (want %s)", label, is, want);
        if (fl >= 0)
            CHECK(!(fl & FD_CLOEXEC), "child: fd %s has no FD_CLOEXEC after exec", label);
    }
}

static int mode_signals(void)
{
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "child: a caught signal (SIGUSR1) is reset to SIG_DFL");
    sigaction(SIGUSR2, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN, "child: an ignored signal (SIGUSR2) stays SIG_IGN");
    sigaction(SIGPIPE, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN, "child: SIGPIPE stays SIG_IGN");
    sigaction(SIGHUP, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "child: an untouched signal (SIGHUP) is SIG_DFL");
    sigset_t mask, pend;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    CHECK(sigismember(&mask, SIGINT), "child: SIGINT is still blocked");
    CHECK(sigismember(&mask, SIGTERM), "child: SIGTERM is still blocked");
    CHECK(!sigismember(&mask, SIGUSR1), "child: SIGUSR1 is not blocked");
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGTERM), "child: the pending SIGTERM survived exec");
    CHECK(!sigismember(&pend, SIGINT), "child: nothing else is pending");
    stack_t ss;
    CHECK(sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE), "child: no alternate signal stack after exec");
    return guest_failures;
}

static void *thread_fn(void *arg)
{
    return (void *)((intptr_t)arg + 1);
}

static int mode_thread(void)
{
    pid_t pid = getpid();
    CHECK(pid == (pid_t)syscall(SYS_gettid), "child: getpid() == gettid() after exec from a non-leader thread");
    CHECK(pid == atoi(env_or("EXPECT_PID", "-1")), "child: the pid is the exec'ing process's pid");
    CHECK(getppid() == atoi(env_or("EXPECT_PPID", "-1")), "child: the parent is unchanged");
    pthread_t t;
    void *ret = NULL;
    CHECK(pthread_create(&t, NULL, thread_fn, (void *)41) == 0 && pthread_join(t, &ret) == 0 &&
              ret == (void *)42,
          "child: threads work in the new image");
    return guest_failures;
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    const char *mode = env_or("EXEC_MODE", "args");
    if (strcmp(mode, "args") == 0)
        return mode_args(argc, argv);
    if (strcmp(mode, "sys") == 0)
        return mode_sys(argc, argv);
    if (strcmp(mode, "fds") == 0) {
        check_fds();
        return guest_failures;
    }
    if (strcmp(mode, "signals") == 0)
        return mode_signals();
    if (strcmp(mode, "thread") == 0)
        return mode_thread();
    if (strcmp(mode, "block") == 0) {
        char c;
        ssize_t n = read(atoi(env_or("EXEC_FD", "-1")), &c, 1);
        return n == 1 ? 0 : 1;
    }
    if (strcmp(mode, "pgrp") == 0) {
        printf("child: leads its own process group: %s\n", getpgrp() == getpid() ? "yes" : "no");
        return 0;
    }
    if (strcmp(mode, "spawn") == 0) {
        const char out[] = "to stdout, a pipe\n";
        const char five[] = "to fd 5, a file\n";
        CHECK(write(1, out, sizeof out - 1) == (ssize_t)sizeof out - 1, "child: wrote to fd 1");
        CHECK(write(5, five, sizeof five - 1) == (ssize_t)sizeof five - 1, "child: wrote to fd 5");
        check_fds();
        return guest_failures;
    }
    printf("FAIL child: unknown EXEC_MODE \"%s\"\n", mode);
    return 125;
}
