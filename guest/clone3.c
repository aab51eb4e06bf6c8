/*
 * clone3: the raw syscall with every struct size the kernel knows, its
 * argument checks, and CLONE_PARENT_SETTID / CLONE_CHILD_SETTID / CLONE_PIDFD.
 *
 * Children made with raw clone3 (no CLONE_VM) are fork-like: they only ever
 * call _exit (raw syscall) so no libc state matters in them.
 */
#include "guest.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif

/* struct clone_args as of Linux 5.7 (88 bytes, CLONE_ARGS_SIZE_VER2). */
struct cargs {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

/* A buffer larger than a page, so sizes past the struct (and past PAGE_SIZE) can be passed. */
static union {
    struct cargs a;
    unsigned char raw[8192];
} buf __attribute__((aligned(4096)));

static long clone3_raw(size_t size)
{
    return syscall(SYS_clone3, &buf, size);
}

static void reset(void)
{
    memset(&buf, 0, sizeof buf);
    buf.a.exit_signal = SIGCHLD;
}

/* clone3 with the current buf; in the child _exit(code) at once; returns the pid or -1 (errno). */
static long spawn(size_t size, int code)
{
    fflush(stdout);
    long pid = clone3_raw(size);
    if (pid == 0)
        syscall(SYS_exit, code);
    return pid;
}

static void reap(long pid, int code, const char *what)
{
    int st;
    pid_t got = waitpid((pid_t)pid, &st, 0);
    CHECK(got == pid && WIFEXITED(st) && WEXITSTATUS(st) == code, "%s: child reaped, %s", what,
          got == pid ? status_str(st) : errno_name(errno));
}

static void test_sizes(void)
{
    printf("-- sizes\n");
    static const size_t good[] = {64, 80, 88};
    for (size_t i = 0; i < 3; i++) {
        reset();
        long pid = spawn(good[i], 10 + (int)i);
        CHECK(pid > 0, "clone3 size %zu creates a child", good[i]);
        if (pid > 0) {
            char what[64];
            snprintf(what, sizeof what, "size %zu", good[i]);
            reap(pid, 10 + (int)i, what);
        }
    }
    reset();
    EXPECT_ERRNO(spawn(56, 1), EINVAL, "clone3 size 56 (< CLONE_ARGS_SIZE_VER0)");
    EXPECT_ERRNO(spawn(0, 1), EINVAL, "clone3 size 0");
    reset();
    long pid = spawn(96, 13);
    CHECK(pid > 0, "clone3 size 96 with a zero tail creates a child");
    if (pid > 0)
        reap(pid, 13, "size 96");
    reset();
    buf.raw[90] = 1;
    EXPECT_ERRNO(spawn(96, 1), E2BIG, "clone3 size 96 with a non-zero tail");
    reset();
    buf.raw[4095] = 1;
    EXPECT_ERRNO(spawn(4096, 1), E2BIG, "clone3 size 4096 with a non-zero last byte");
    reset();
    pid = spawn(4096, 14);
    CHECK(pid > 0, "clone3 size 4096 (PAGE_SIZE) with a zero tail creates a child");
    if (pid > 0)
        reap(pid, 14, "size 4096");
    reset();
    EXPECT_ERRNO(spawn(4097, 1), E2BIG, "clone3 size 4097 (> PAGE_SIZE)");
    EXPECT_ERRNO(syscall(SYS_clone3, (void *)8, 88), EFAULT, "clone3 with a bad pointer");
}

static void test_checks(void)
{
    printf("-- argument checks\n");
    static char stack[16384] __attribute__((aligned(16)));

    reset();
    buf.a.flags = CLONE_THREAD;
    buf.a.exit_signal = 0;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "CLONE_THREAD without CLONE_SIGHAND");
    reset();
    buf.a.flags = CLONE_SIGHAND;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "CLONE_SIGHAND without CLONE_VM");
    reset();
    buf.a.stack = (uint64_t)(uintptr_t)stack;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "stack without stack_size");
    reset();
    buf.a.stack_size = sizeof stack;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "stack_size without stack");
    reset();
    buf.a.exit_signal = 0x100 | SIGCHLD;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "exit_signal with bits outside CSIGNAL");
    reset();
    buf.a.exit_signal = 65;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "exit_signal 65 (not a valid signal)");
    reset();
    buf.a.flags = 1ULL << 40;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "an unknown flag bit");
    reset();
    buf.a.flags = CSIGNAL & SIGUSR1;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "signal bits in flags (use exit_signal)");
    reset();
    buf.a.set_tid_size = 1;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "set_tid_size without set_tid");
    reset();
    pid_t want = 1;
    buf.a.set_tid = (uint64_t)(uintptr_t)&want;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "set_tid without set_tid_size");
    reset();
    buf.a.set_tid = (uint64_t)(uintptr_t)&want;
    buf.a.set_tid_size = 33;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "set_tid_size above MAX_PID_NS_LEVEL");
    reset();
    buf.a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND;
    buf.a.exit_signal = 0;
    buf.a.stack = (uint64_t)(uintptr_t)stack;
    buf.a.stack_size = sizeof stack;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "CLONE_CLEAR_SIGHAND with CLONE_SIGHAND");
    reset();
    buf.a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    buf.a.stack = (uint64_t)(uintptr_t)stack;
    buf.a.stack_size = sizeof stack;
    EXPECT_ERRNO(spawn(88, 1), EINVAL, "CLONE_THREAD with a non-zero exit_signal");
}

static void test_exit_signal_zero(void)
{
    printf("-- exit_signal 0\n");
    int go[2] = {-1, -1};
    pipe(go);
    reset();
    buf.a.exit_signal = 0;
    fflush(stdout);
    long pid = clone3_raw(88);
    if (pid == 0) {
        char c;
        syscall(SYS_read, go[0], &c, 1);
        syscall(SYS_exit, 21);
    }
    CHECK(pid > 0, "clone3 with exit_signal 0 creates a child");
    int st;
    errno = 0;
    long r = waitpid((pid_t)pid, &st, WNOHANG);
    printf("waitpid(child, WNOHANG) without __WCLONE: %ld/%s\n", r, errno_name(r < 0 ? errno : 0));
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    printf("waitpid(-1, WNOHANG) without __WCLONE: %ld/%s\n", r, errno_name(r < 0 ? errno : 0));
    errno = 0;
    r = waitpid((pid_t)pid, &st, WNOHANG | __WCLONE);
    printf("waitpid(child, WNOHANG|__WCLONE) while it runs: %ld/%s\n", r, errno_name(r < 0 ? errno : 0));
    write(go[1], "x", 1);
    errno = 0;
    r = waitpid((pid_t)pid, &st, 0);
    printf("waitpid(child, 0) after it was released: %ld/%s\n", r == pid ? 1L : r,
           errno_name(r < 0 ? errno : 0));
    r = waitpid((pid_t)pid, &st, __WCLONE);
    CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 21, "waitpid(__WCLONE) reaps it: %s",
          r == pid ? status_str(st) : errno_name(errno));
    close(go[0]);
    close(go[1]);

    /* Another exit_signal-0 child, reaped through __WALL; and a normal child that __WCLONE skips. */
    reset();
    buf.a.exit_signal = 0;
    long c1 = spawn(88, 22);
    reset();
    long c2 = spawn(88, 23);
    CHECK(c1 > 0 && c2 > 0, "two more children");
    errno = 0;
    r = waitpid((pid_t)c2, &st, __WCLONE);
    printf("waitpid(SIGCHLD child, __WCLONE): %ld/%s\n", r == c2 ? 1L : r, errno_name(r < 0 ? errno : 0));
    r = waitpid((pid_t)c1, &st, __WALL);
    CHECK(r == c1 && WEXITSTATUS(st) == 22, "waitpid(__WALL) reaps the exit_signal-0 child");
    r = waitpid((pid_t)c2, &st, __WALL);
    CHECK(r == c2 && WEXITSTATUS(st) == 23, "waitpid(__WALL) reaps the SIGCHLD child");

    /* exit_signal SIGUSR1: also a "clone" child for wait's purposes. */
    reset();
    buf.a.exit_signal = SIGUSR1;
    signal(SIGUSR1, SIG_IGN);
    long c3 = spawn(88, 24);
    errno = 0;
    r = waitpid((pid_t)c3, &st, 0);
    printf("exit_signal SIGUSR1, waitpid without __WCLONE: %ld/%s\n", r == c3 ? 1L : r,
           errno_name(r < 0 ? errno : 0));
    r = waitpid((pid_t)c3, &st, __WCLONE);
    CHECK(r == c3 && WEXITSTATUS(st) == 24, "exit_signal SIGUSR1: __WCLONE reaps it");
    signal(SIGUSR1, SIG_DFL);
}

static void test_tids(void)
{
    printf("-- tids and pidfd\n");
    pid_t ptid = 0;
    reset();
    buf.a.flags = CLONE_PARENT_SETTID;
    buf.a.parent_tid = (uint64_t)(uintptr_t)&ptid;
    long pid = spawn(88, 30);
    CHECK(pid > 0 && ptid == pid, "CLONE_PARENT_SETTID writes the child's tid");
    reap(pid, 30, "CLONE_PARENT_SETTID");

    /* CLONE_CHILD_SETTID writes in the child's memory: make it a shared page. */
    pid_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED, "mmap a shared page");
    if (shared != MAP_FAILED) {
        shared[0] = 0;
        reset();
        buf.a.flags = CLONE_CHILD_SETTID;
        buf.a.child_tid = (uint64_t)(uintptr_t)shared;
        pid = spawn(88, 31);
        reap(pid, 31, "CLONE_CHILD_SETTID");
        CHECK(shared[0] == pid, "CLONE_CHILD_SETTID wrote the child's tid in the child's memory");
        munmap(shared, 4096);
    }

    int pidfd = -1;
    reset();
    buf.a.flags = CLONE_PIDFD;
    buf.a.pidfd = (uint64_t)(uintptr_t)&pidfd;
    pid = spawn(88, 32);
    CHECK(pid > 0 && pidfd >= 0, "CLONE_PIDFD returns a pidfd");
    if (pidfd >= 0) {
        int fl = fcntl(pidfd, F_GETFD);
        CHECK(fl >= 0 && (fl & FD_CLOEXEC), "the pidfd has FD_CLOEXEC set");
        CHECK(pidfd > 2, "the pidfd is a new descriptor");
        close(pidfd);
    }
    reap(pid, 32, "CLONE_PIDFD");

    /* Both at once: the tid and the pidfd go to different places. */
    pidfd = -1;
    ptid = 0;
    reset();
    buf.a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    buf.a.pidfd = (uint64_t)(uintptr_t)&pidfd;
    buf.a.parent_tid = (uint64_t)(uintptr_t)&ptid;
    pid = spawn(88, 33);
    CHECK(pid > 0 && ptid == pid && pidfd >= 0, "CLONE_PIDFD | CLONE_PARENT_SETTID");
    if (pidfd >= 0)
        close(pidfd);
    reap(pid, 33, "CLONE_PIDFD|CLONE_PARENT_SETTID");

    /* CLONE_PIDFD with a bad pointer fails without leaving a child. */
    reset();
    buf.a.flags = CLONE_PIDFD;
    buf.a.pidfd = 8;
    errno = 0;
    pid = spawn(88, 34);
    printf("CLONE_PIDFD to a bad pointer: %s\n", pid > 0 ? "created" : errno_name(errno));
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    int st;
    EXPECT_ERRNO(waitpid(-1, &st, __WALL), ECHILD, "no children left");
}

int main(void)
{
    guest_line_buffered();
    test_sizes();
    test_checks();
    test_exit_signal_zero();
    test_tids();
    return guest_exit();
}
