/*
 * guest.h - shared helpers for emukernel guest programs.
 *
 * Guests print a transcript that must be byte-identical when run natively and
 * under the emulator, so they print relations ("ok ..." / "FAIL ..."), never raw
 * pids, addresses or times.  errno values are printed by NAME, not by strerror()
 * text, because musl and glibc word their messages differently.
 *
 * Every guest is built with -D_GNU_SOURCE (see toolchain/build.py).
 */
#ifndef EMUKERNEL_GUEST_H
#define EMUKERNEL_GUEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number of failed checks so far; guest_exit() turns it into the exit status. */
static int guest_failures __attribute__((unused));

static inline const char *errno_name(int e)
{
    switch (e) {
    case 0: return "0";
#define E_(n) case n: return #n;
    E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG)
    E_(ENOEXEC) E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES)
    E_(EFAULT) E_(ENOTBLK) E_(EBUSY) E_(EEXIST) E_(EXDEV) E_(ENODEV)
    E_(ENOTDIR) E_(EISDIR) E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY)
    E_(ETXTBSY) E_(EFBIG) E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK)
    E_(EPIPE) E_(EDOM) E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOLCK)
    E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP) E_(ENOMSG) E_(EIDRM) E_(ENOSTR)
    E_(ENODATA) E_(ETIME) E_(ENOSR) E_(EOVERFLOW) E_(EILSEQ) E_(ENOTSOCK)
    E_(EDESTADDRREQ) E_(EMSGSIZE) E_(EPROTOTYPE) E_(ENOPROTOOPT)
    E_(EPROTONOSUPPORT) E_(EOPNOTSUPP) E_(EAFNOSUPPORT) E_(EADDRINUSE)
    E_(EADDRNOTAVAIL) E_(ENETDOWN) E_(ENETUNREACH) E_(ECONNABORTED)
    E_(ECONNRESET) E_(ENOBUFS) E_(EISCONN) E_(ENOTCONN) E_(ETIMEDOUT)
    E_(ECONNREFUSED) E_(EHOSTUNREACH) E_(EALREADY) E_(EINPROGRESS)
    E_(ESTALE) E_(ECANCELED) E_(EOWNERDEAD) E_(ENOTRECOVERABLE)
#undef E_
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno%d", e);
        return buf;
    }
    }
}

/* Print "ok <what>" when cond holds, else "FAIL <what>: <errno name>". */
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        errno = 0;                                                           \
        int check_ok_ = !!(cond);                                            \
        int check_errno_ = errno;                                            \
        if (check_ok_) {                                                     \
            printf("ok ");                                                   \
            printf(__VA_ARGS__);                                             \
            printf("\n");                                                    \
        } else {                                                             \
            guest_failures++;                                                \
            printf("FAIL ");                                                 \
            printf(__VA_ARGS__);                                             \
            printf(": %s (line %d)\n", errno_name(check_errno_), __LINE__); \
        }                                                                    \
    } while (0)

/*
 * Evaluate expr (which must return -1 and set errno on failure) and expect it to
 * fail with errno == want.  Prints "ok <what> -> ENAME" or a FAIL line naming
 * what actually happened.
 */
#define EXPECT_ERRNO(expr, want, what)                                       \
    do {                                                                     \
        errno = 0;                                                           \
        long expect_rc_ = (long)(expr);                                      \
        int expect_errno_ = errno;                                           \
        if (expect_rc_ == -1 && expect_errno_ == (want)) {                   \
            printf("ok %s -> %s\n", (what), errno_name(want));               \
        } else {                                                             \
            guest_failures++;                                                \
            printf("FAIL %s: want -1/%s, got %ld/%s (line %d)\n", (what),   \
                   errno_name(want), expect_rc_, errno_name(expect_errno_),  \
                   __LINE__);                                                \
        }                                                                    \
    } while (0)

/* Compare two integers; prints both on failure. */
#define CHECK_EQ(got, want, what)                                            \
    do {                                                                     \
        long long eq_got_ = (long long)(got), eq_want_ = (long long)(want);  \
        if (eq_got_ == eq_want_) {                                           \
            printf("ok %s\n", (what));                                       \
        } else {                                                             \
            guest_failures++;                                                \
            printf("FAIL %s: got %lld, want %lld (line %d)\n", (what),       \
                   eq_got_, eq_want_, __LINE__);                             \
        }                                                                    \
    } while (0)

/* Flush stdout and exit 0 when every check passed, 1 otherwise. */
static inline int guest_exit(void)
{
    if (guest_failures)
        printf("%d check(s) failed\n", guest_failures);
    fflush(stdout);
    return guest_failures ? 1 : 0;
}

/* A fixed 64-bit LCG (Knuth MMIX constants): deterministic pseudo-random data. */
static inline unsigned long long lcg_next(unsigned long long *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state;
}

/* ------------------------------------------------------------ process helpers */

#include <signal.h>
#include <sys/wait.h>

#include <unistd.h>

/* fork with stdout flushed first; the child counts its own failures from zero */
static inline pid_t guest_fork(void)
{
    fflush(stdout);
    pid_t r = fork();
    if (r == 0)
        guest_failures = 0;
    return r;
}

/* end a forked child: status 0 when its own checks passed */
static inline void guest_child_exit(void)
{
    fflush(stdout);
    _exit(guest_failures ? 1 : 0);
}

/* The name of a signal ("SIGKILL"), independent of the libc's strsignal() wording. */
static inline const char *signal_name(int sig)
{
    switch (sig) {
#define S_(n) case n: return #n;
    S_(SIGHUP) S_(SIGINT) S_(SIGQUIT) S_(SIGILL) S_(SIGTRAP) S_(SIGABRT)
    S_(SIGBUS) S_(SIGFPE) S_(SIGKILL) S_(SIGUSR1) S_(SIGSEGV) S_(SIGUSR2)
    S_(SIGPIPE) S_(SIGALRM) S_(SIGTERM) S_(SIGSTKFLT) S_(SIGCHLD) S_(SIGCONT)
    S_(SIGSTOP) S_(SIGTSTP) S_(SIGTTIN) S_(SIGTTOU) S_(SIGURG) S_(SIGXCPU)
    S_(SIGXFSZ) S_(SIGVTALRM) S_(SIGPROF) S_(SIGWINCH) S_(SIGIO) S_(SIGPWR)
    S_(SIGSYS)
#undef S_
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "signal%d", sig);
        return buf;
    }
    }
}

/*
 * A wait status in words: "exit 3", "killed by SIGKILL", "stopped by SIGSTOP",
 * "continued".  The core-dump flag is not shown (it depends on the host's
 * RLIMIT_CORE and core_pattern, not on the guest).  Returns a static buffer.
 */
static inline const char *status_str(int st)
{
    static char buf[64];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by %s", signal_name(WTERMSIG(st)));
    else if (WIFSTOPPED(st))
        snprintf(buf, sizeof buf, "stopped by %s", signal_name(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        snprintf(buf, sizeof buf, "continued");
    else
        snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}

/*
 * Make stdout line buffered.  Guests that fork call this first: every line is
 * written when printed, so no child inherits unflushed output and lines from
 * processes that take turns appear in the order they were printed.
 */
static inline void guest_line_buffered(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#endif /* EMUKERNEL_GUEST_H */
