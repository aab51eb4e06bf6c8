/*
 * seccomp_tsync: SECCOMP_FILTER_FLAG_TSYNC, a filter for every thread at once.
 *
 * Each case forks a child whose main thread starts a worker thread; the two
 * take turns through pipes (the main thread sends a command, the worker does
 * it, prints and acknowledges), so the transcript has one order.  Which
 * filter is the newest one of a thread shows in getppid's errno: every filter
 * makes getppid fail with its own errno value.
 *
 * Covers: TSYNC with no other thread; TSYNC when every other thread's filter
 * chain is an ancestor of the caller's (success: the other thread gets the
 * caller's whole chain and, if the caller has it, no_new_privs); TSYNC when
 * another thread installed a filter of its own (even an identical program):
 * the return value is that thread's tid and nothing changes anywhere; with
 * TSYNC_ESRCH -1/ESRCH instead; TSYNC against a thread in strict mode;
 * TSYNC|NEW_LISTENER (EINVAL without TSYNC_ESRCH, a listener fd with it).
 */
#include "guest.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static long sc(unsigned op, unsigned long flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

/* A filter that makes getppid fail with errno e; everything else is allowed. */
static long install_errno(int e, unsigned long flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)e),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {.len = 4, .filter = f};
    return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* "Seccomp:2 Seccomp_filters:3 NoNewPrivs:1" of /proc/thread-self/status */
static void thread_status(char *out, size_t len)
{
    char buf[4096];
    int fd = open("/proc/thread-self/status", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        n = 0;
    buf[n] = 0;
    static const char *keys[] = {"NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
    size_t used = 0;
    out[0] = 0;
    for (size_t k = 0; k < 3; k++) {
        char *p = strstr(buf, keys[k]);
        const char *v = "?";
        int vlen = 1;
        if (p) {
            p += strlen(keys[k]);
            while (*p == '\t' || *p == ' ')
                p++;
            v = p;
            vlen = (int)strcspn(p, "\n");
        }
        used += (size_t)snprintf(out + used, len - used, "%s%s%.*s", k ? " " : "", keys[k], vlen, v);
    }
}

/* Print what this thread looks like: no_new_privs, the seccomp mode, its filters and getppid. */
static pid_t real_ppid;

static void show_self(const char *who)
{
    char st[160];
    thread_status(st, sizeof st);
    errno = 0;
    long r = syscall(SYS_getppid);
    int e = errno;
    printf("%s: PR_GET_NO_NEW_PRIVS=%d PR_GET_SECCOMP=%d, %s, getppid %s%s\n", who,
           prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_SECCOMP, 0, 0, 0, 0), st,
           r == real_ppid ? "allowed" : "fails with ", r == real_ppid ? "" : errno_name(e));
}

/* ------------------------------------------------------------ the worker */

static int cmd_pipe[2], ack_pipe[2];
static volatile pid_t worker_tid;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    for (;;) {
        char c;
        if (read(cmd_pipe[0], &c, 1) != 1)
            break;
        if (c == 'q') {
            show_self("worker");
        } else if (c == 'f') {
            long r = install_errno(EIO, 0);
            printf("worker: installs its own filter (getppid -> EIO): %ld\n", r);
        } else if (c == 'g') {
            long r = install_errno(ENXIO, 0);
            printf("worker: installs a filter identical to the main thread's (getppid -> ENXIO): %ld\n", r);
        } else if (c == 'n') {
            long r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            printf("worker: PR_SET_NO_NEW_PRIVS: %ld\n", r);
        } else if (c == 'x') {
            break;
        }
        fflush(stdout);
        write(ack_pipe[1], "a", 1);
    }
    return NULL;
}

static pthread_t worker_thread;

static void start_worker(void)
{
    pipe(cmd_pipe);
    pipe(ack_pipe);
    worker_tid = 0;
    if (pthread_create(&worker_thread, NULL, worker, NULL) != 0) {
        printf("FAIL pthread_create\n");
        guest_child_exit();
    }
    /* the first command's acknowledgement also means worker_tid is set */
}

static void tell(char c)
{
    char a;
    fflush(stdout);
    write(cmd_pipe[1], &c, 1);
    if (read(ack_pipe[0], &a, 1) != 1) {
        printf("FAIL no acknowledgement from the worker\n");
        guest_child_exit();
    }
}

static void stop_worker(void)
{
    char c = 'x';
    write(cmd_pipe[1], &c, 1);
    pthread_join(worker_thread, NULL);
}

/* ------------------------------------------------------------ cases */

static int run(const char *name, void (*fn)(void))
{
    printf("-- %s\n", name);
    pid_t pid = guest_fork();
    if (pid == 0) {
        real_ppid = getppid();
        fn();
        guest_child_exit();
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) {
        printf("FAIL waitpid %s: %s\n", name, errno_name(errno));
        guest_failures++;
        return -1;
    }
    printf("%s: %s\n", name, status_str(st));
    return st;
}

/* Print a TSYNC result: 0, -1 with the errno, or which thread's tid. */
static void show_tsync(const char *what, long r, int e)
{
    if (r == 0)
        printf("%s: 0\n", what);
    else if (r < 0)
        printf("%s: -1 %s\n", what, errno_name(e));
    else
        printf("%s: %s\n", what, r == worker_tid ? "the worker's tid" : "some other positive value");
}

static long tsync(int e, unsigned long flags, int *err)
{
    errno = 0;
    long r = install_errno(e, SECCOMP_FILTER_FLAG_TSYNC | flags);
    *err = errno;
    return r;
}

static void child_alone(void)
{
    int e;
    long r = tsync(EPERM, 0, &e);
    show_tsync("TSYNC with no other thread", r, e);
    show_self("main");
}

static void child_ancestor_empty(void)
{
    start_worker();
    tell('q');
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "main: PR_SET_NO_NEW_PRIVS");
    show_self("main");
    tell('q'); /* no_new_privs is the thread's own */
    int e;
    long r = tsync(EPERM, 0, &e);
    show_tsync("main: TSYNC (the worker has no filter)", r, e);
    show_self("main");
    tell('q');
    stop_worker();
}

static void child_ancestor_chain(void)
{
    CHECK(install_errno(ENOENT, 0) == 0, "main: filter ENOENT before the worker starts");
    start_worker();
    CHECK(install_errno(ESRCH, 0) == 0, "main: filter ESRCH, its own");
    tell('q');
    show_self("main");
    int e;
    long r = tsync(EINTR, 0, &e);
    show_tsync("main: TSYNC (the worker's chain is an ancestor of main's)", r, e);
    show_self("main");
    tell('q'); /* main's whole chain, no no_new_privs (main has none) */
    tell('n');
    r = tsync(E2BIG, 0, &e);
    show_tsync("main: TSYNC again (the worker has main's chain and no_new_privs)", r, e);
    tell('q');
    stop_worker();
}

static void child_descendant(void)
{
    start_worker();
    CHECK(install_errno(EIO, 0) == 0, "main: filter EIO");
    CHECK(install_errno(ENOENT, 0) == 0, "main: filter ENOENT");
    int e;
    long r = tsync(ESRCH, 0, &e);
    show_tsync("main: TSYNC (the worker has none)", r, e);
    tell('q');
    stop_worker();
}

static void child_conflict(void)
{
    CHECK(install_errno(ENOENT, 0) == 0, "main: filter ENOENT before the worker starts");
    start_worker();
    tell('f');
    tell('q');
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "main: PR_SET_NO_NEW_PRIVS");
    int e;
    long r = tsync(EINTR, 0, &e);
    show_tsync("main: TSYNC (the worker has a filter of its own)", r, e);
    show_self("main"); /* unchanged: still ENOENT, one filter */
    tell('q');         /* unchanged: EIO, two filters, no no_new_privs */
    r = tsync(EINTR, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &e);
    show_tsync("main: TSYNC|TSYNC_ESRCH", r, e);
    show_self("main");
    tell('q');
    /* without TSYNC the filter goes on the caller alone */
    CHECK(install_errno(E2BIG, 0) == 0, "main: a filter without TSYNC");
    show_self("main");
    tell('q');
    stop_worker();
}

static void child_identical(void)
{
    start_worker();
    CHECK(install_errno(ENXIO, 0) == 0, "main: filter ENXIO");
    tell('g');
    int e;
    long r = tsync(EPERM, 0, &e);
    show_tsync("main: TSYNC (the worker installed the same program itself)", r, e);
    show_self("main");
    tell('q');
    stop_worker();
}

static void child_listener(void)
{
    start_worker();
    int e;
    long r = tsync(EPERM, SECCOMP_FILTER_FLAG_NEW_LISTENER, &e);
    show_tsync("main: TSYNC|NEW_LISTENER", r, e);
    show_self("main");
    int before = dup(0);
    close(before);
    r = tsync(EPERM, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &e);
    CHECK(r == before, "main: TSYNC|NEW_LISTENER|TSYNC_ESRCH returns the lowest free fd");
    char path[64], link[128] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%ld", r);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("main: the listener is \"%s\", FD_CLOEXEC=%d\n", link, fcntl((int)r, F_GETFD) & FD_CLOEXEC);
    show_self("main");
    tell('q');
    /* a second listener in the same chain */
    long r2 = tsync(EIO, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &e);
    show_tsync("main: a second NEW_LISTENER", r2, e);
    tell('f');
    before = dup(0);
    close(before);
    r2 = tsync(EIO, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &e);
    show_tsync("main: TSYNC|TSYNC_ESRCH against the worker's own filter", r2, e);
    close((int)r);
    before = dup(0);
    close(before);
    /* the listener of a failed TSYNC is not left behind */
    r2 = install_errno(EIO, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER |
                                SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
    e = errno;
    show_tsync("main: TSYNC|NEW_LISTENER|TSYNC_ESRCH against it", r2, e);
    int after = dup(0);
    close(after);
    CHECK(after == before, "main: no fd was left open by the failed call");
    stop_worker();
}

/* ------------------------------------------------------------ a thread in strict mode */

static int strict_go[2], strict_ready[2];

static void *strict_worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
        write(1, "FAIL worker: strict mode\n", 25);
    write(strict_ready[1], "r", 1);
    char c;
    read(strict_go[0], &c, 1);
    write(1, "worker: still in strict mode, ends with exit\n", 45);
    syscall(SYS_exit, 0);
    return NULL;
}

static void child_strict_thread(void)
{
    pipe(strict_go);
    pipe(strict_ready);
    pthread_t t;
    if (pthread_create(&t, NULL, strict_worker, NULL) != 0) {
        printf("FAIL pthread_create\n");
        return;
    }
    char c;
    read(strict_ready[0], &c, 1);
    int e;
    long r = tsync(EPERM, 0, &e);
    show_tsync("main: TSYNC (the worker is in strict mode)", r, e);
    show_self("main");
    fflush(stdout);
    write(strict_go[1], "g", 1);
    /* not pthread_join: the worker leaves with a raw exit; wait for the thread count instead */
    for (int i = 0; i < 1000000; i++) {
        char buf[2048];
        int fd = open("/proc/self/status", O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            break;
        buf[n] = 0;
        char *p = strstr(buf, "Threads:");
        if (p && atoi(p + 8) == 1)
            break;
        sched_yield();
    }
    r = tsync(EPERM, 0, &e);
    show_tsync("main: TSYNC after the worker is gone", r, e);
    show_self("main");
}

int main(void)
{
    guest_line_buffered();
    printf("seccomp_tsync\n");
    run("TSYNC alone", child_alone);
    run("TSYNC, the worker has no filter", child_ancestor_empty);
    run("TSYNC, the worker's chain is an ancestor", child_ancestor_chain);
    run("TSYNC over main's own filters", child_descendant);
    run("TSYNC, the worker has its own filter", child_conflict);
    run("TSYNC, the worker installed an identical program", child_identical);
    run("TSYNC and NEW_LISTENER", child_listener);
    run("TSYNC, the worker is in strict mode", child_strict_thread);
    return guest_exit();
}
