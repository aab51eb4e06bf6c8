/*
 * seccomp_basic: the seccomp(2) and prctl(PR_SET_SECCOMP) interface.
 *
 *   seccomp_basic              run the cases
 *   seccomp_basic exec-child   (what a filtered child execs: reports its filters)
 *
 * Every case that installs something runs in a forked child, so a filter, the
 * strict mode or a kill ends only that child; the parent prints how it ended.
 *
 * Covers: argument errors of seccomp(2) and prctl (EINVAL for an unknown
 * operation or flag, EFAULT for a bad pointer, EACCES for an unprivileged uid
 * without no_new_privs), SECCOMP_GET_ACTION_AVAIL for every action and for
 * unknown ones, SECCOMP_GET_NOTIF_SIZES; strict mode (read, write, exit and
 * rt_sigreturn allowed, anything else, exit_group and PR_GET_SECCOMP included,
 * is SIGKILL); the filter checker's refusals; the 32768-instruction budget of a
 * chain of filters (ENOMEM); /proc/self/status Seccomp / Seccomp_filters /
 * NoNewPrivs; inheritance across fork and exec; and which of several stacked
 * filters' results wins.
 */
#include "guest.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char *self_path;
static pid_t real_ppid; /* getppid() of a child, read before it installs filters */

/* ------------------------------------------------------------ helpers */

static long sc(unsigned op, unsigned long flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

static long install(struct sock_filter *f, unsigned len, unsigned long flags)
{
    struct sock_fprog p = {.len = (unsigned short)len, .filter = f};
    return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter: syscall nr gets ret, everything else is allowed. */
static long install_on(int nr, unsigned ret)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, ret),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return install(f, 4, 0);
}

static long install_allow(void)
{
    struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    return install(f, 1, 0);
}

/*
 * A filter of len instructions that allows everything: a jump over len - 2
 * loads to the final RET ALLOW (so running it costs two instructions).
 */
static struct sock_filter big[4200];

static long install_big(unsigned len)
{
    big[0] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, len - 2);
    for (unsigned i = 1; i + 1 < len; i++)
        big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    big[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return install(big, len, 0);
}

/* Print the Seccomp / Seccomp_filters / NoNewPrivs lines of a /proc status file. */
static void show_status(const char *path, const char *label)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("FAIL open %s: %s\n", path, errno_name(errno));
        guest_failures++;
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = 0;
    static const char *keys[] = {"NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
    printf("%s:", label);
    for (size_t k = 0; k < 3; k++) {
        char *p = strstr(buf, keys[k]);
        if (!p) {
            printf(" %s(missing)", keys[k]);
            continue;
        }
        p += strlen(keys[k]);
        while (*p == '\t' || *p == ' ')
            p++;
        printf(" %s%.*s", keys[k], (int)strcspn(p, "\n"), p);
    }
    printf("\n");
}

/* Run fn in a forked child; print how it ended.  Returns the wait status. */
static int run(const char *name, void (*fn)(void))
{
    printf("-- %s\n", name);
    pid_t pid = guest_fork();
    if (pid == 0) {
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

/* getppid through the raw syscall: -1 and errno on failure */
static long ppid_call(void)
{
    return syscall(SYS_getppid);
}

/* print with write() alone */
static void say(const char *s)
{
    write(1, s, strlen(s));
}

static void enter_strict(int via_prctl);

/* ------------------------------------------------------------ argument errors */

static void test_arg_errors(void)
{
    printf("-- argument errors\n");
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    EXPECT_ERRNO(sc(4, 0, NULL), EINVAL, "seccomp(op 4)");
    EXPECT_ERRNO(sc(0xffffffff, 0, NULL), EINVAL, "seccomp(op 0xffffffff)");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL, "SET_MODE_STRICT with flags 1");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_STRICT, 0, &prog), EINVAL, "SET_MODE_STRICT with an args pointer");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 1UL << 6, &prog), EINVAL, "SET_MODE_FILTER with flag bit 6");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 1UL << 31, &prog), EINVAL, "SET_MODE_FILTER with flag bit 31");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 0, NULL), EFAULT, "SET_MODE_FILTER with a NULL program");
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 0, (void *)8), EFAULT, "SET_MODE_FILTER with a bad program pointer");
    struct sock_fprog nullf = {.len = 1, .filter = NULL};
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 0, &nullf), EINVAL, "SET_MODE_FILTER with a NULL instruction array");
    struct sock_fprog badf = {.len = 1, .filter = (struct sock_filter *)8};
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 0, &badf), EFAULT, "SET_MODE_FILTER with a bad instruction array");
    struct sock_fprog zero_null = {.len = 0, .filter = NULL};
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, 0, &zero_null), EINVAL, "len 0 with a NULL array (len checked first)");
    /* NEW_LISTENER together with TSYNC needs TSYNC_ESRCH */
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog),
                 EINVAL, "TSYNC|NEW_LISTENER");

    EXPECT_ERRNO(prctl(PR_SET_SECCOMP, 0, 0, 0, 0), EINVAL, "prctl(PR_SET_SECCOMP, DISABLED)");
    EXPECT_ERRNO(prctl(PR_SET_SECCOMP, 3, 0, 0, 0), EINVAL, "prctl(PR_SET_SECCOMP, 3)");
    EXPECT_ERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0), EFAULT, "prctl(PR_SET_SECCOMP, FILTER, NULL)");
    EXPECT_ERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 8, 0, 0), EFAULT, "prctl(PR_SET_SECCOMP, FILTER, bad)");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "PR_GET_SECCOMP without seccomp is 0");
    CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0, "PR_GET_NO_NEW_PRIVS is 0");
    EXPECT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS 2");
    EXPECT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS 0");
    EXPECT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL, "PR_SET_NO_NEW_PRIVS with arg3");
    EXPECT_ERRNO(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL, "PR_GET_NO_NEW_PRIVS with arg2");
    show_status("/proc/self/status", "parent status");
}

/* ------------------------------------------------------------ GET_ACTION_AVAIL, GET_NOTIF_SIZES */

static void test_queries(void)
{
    printf("-- GET_ACTION_AVAIL / GET_NOTIF_SIZES\n");
    static const struct {
        uint32_t action;
        const char *name;
    } acts[] = {
        {SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS"}, {SECCOMP_RET_KILL_THREAD, "KILL_THREAD"},
        {SECCOMP_RET_TRAP, "TRAP"},                 {SECCOMP_RET_ERRNO, "ERRNO"},
        {SECCOMP_RET_USER_NOTIF, "USER_NOTIF"},     {SECCOMP_RET_TRACE, "TRACE"},
        {SECCOMP_RET_LOG, "LOG"},                   {SECCOMP_RET_ALLOW, "ALLOW"},
        {0x00010000, "0x00010000"},                 {0x7ffe0000, "0x7ffe0000"},
        {SECCOMP_RET_ERRNO | 5, "ERRNO|5"},         {SECCOMP_RET_ALLOW | 1, "ALLOW|1"},
        {0xffff0000, "0xffff0000"},
    };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        uint32_t a = acts[i].action;
        errno = 0;
        long r = sc(SECCOMP_GET_ACTION_AVAIL, 0, &a);
        printf("GET_ACTION_AVAIL %s: %ld %s\n", acts[i].name, r, r < 0 ? errno_name(errno) : "");
    }
    uint32_t a = SECCOMP_RET_ALLOW;
    EXPECT_ERRNO(sc(SECCOMP_GET_ACTION_AVAIL, 1, &a), EINVAL, "GET_ACTION_AVAIL with flags 1");
    EXPECT_ERRNO(sc(SECCOMP_GET_ACTION_AVAIL, 0, NULL), EFAULT, "GET_ACTION_AVAIL with NULL");

    struct seccomp_notif_sizes sz;
    memset(&sz, 0xff, sizeof sz);
    CHECK(sc(SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0, "GET_NOTIF_SIZES");
    printf("notif sizes: seccomp_notif=%u seccomp_notif_resp=%u seccomp_data=%u\n", sz.seccomp_notif,
           sz.seccomp_notif_resp, sz.seccomp_data);
    EXPECT_ERRNO(sc(SECCOMP_GET_NOTIF_SIZES, 1, &sz), EINVAL, "GET_NOTIF_SIZES with flags 1");
    EXPECT_ERRNO(sc(SECCOMP_GET_NOTIF_SIZES, 0, NULL), EFAULT, "GET_NOTIF_SIZES with NULL");
    EXPECT_ERRNO(sc(SECCOMP_GET_NOTIF_SIZES, 0, (void *)8), EFAULT, "GET_NOTIF_SIZES with a bad pointer");
}

/* ------------------------------------------------------------ privileges */

static void child_unprivileged(void)
{
    CHECK(setuid(65534) == 0, "setuid(65534)");
    EXPECT_ERRNO(install_allow(), EACCES, "filter as uid 65534 without no_new_privs");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "still no seccomp");
    /* strict mode needs no privilege; checked in its own case */
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS 1");
    CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1, "PR_GET_NO_NEW_PRIVS is 1");
    CHECK_EQ(install_allow(), 0, "filter as uid 65534 with no_new_privs");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2, "PR_GET_SECCOMP is 2");
    show_status("/proc/self/status", "unprivileged");
}

static void child_root_no_nnp(void)
{
    CHECK_EQ(install_allow(), 0, "filter as root without no_new_privs");
    CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0, "no_new_privs stays 0");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2, "PR_GET_SECCOMP is 2");
    show_status("/proc/self/status", "root filter");
    CHECK_EQ(install_allow(), 0, "a second filter");
    show_status("/proc/self/status", "root two filters");
    /* the filter mode cannot become strict */
    EXPECT_ERRNO(sc(SECCOMP_SET_MODE_STRICT, 0, NULL), EINVAL, "SET_MODE_STRICT over a filter");
    EXPECT_ERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), EINVAL, "PR_SET_SECCOMP STRICT over a filter");
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    CHECK_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0), 0, "prctl(PR_SET_SECCOMP, FILTER) adds one");
    show_status("/proc/self/status", "root three filters");
}

static void child_unprivileged_strict(void)
{
    CHECK(setuid(65534) == 0, "setuid(65534)");
    enter_strict(0);
    static const char msg[] = "strict write ok\n";
    write(1, msg, sizeof msg - 1);
    syscall(SYS_exit, 0);
}

/* ------------------------------------------------------------ strict mode */

static int strict_pipe[2], strict_go[2];

/*
 * Enter the strict mode.  From then on only write() prints: musl's stdio writes
 * with writev, which the strict mode does not allow.
 */
static void enter_strict(int via_prctl)
{
    long r = via_prctl ? prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) : sc(SECCOMP_SET_MODE_STRICT, 0, NULL);
    if (r != 0) {
        printf("FAIL enter the strict mode: %s\n", errno_name(errno));
        guest_child_exit();
    }
    say(via_prctl ? "strict: prctl(PR_SET_SECCOMP, STRICT) returned 0\n" : "strict: seccomp(SET_MODE_STRICT) returned 0\n");
}

static void child_strict_write_exit(void)
{
    enter_strict(0);
    say("strict: write works\n");
    syscall(SYS_exit, 7);
}

static void child_strict_getpid(void)
{
    enter_strict(0);
    say("strict: calling getpid\n");
    syscall(SYS_getpid);
    say("FAIL strict: getpid returned\n");
    syscall(SYS_exit, 1);
}

static void child_strict_exit_group(void)
{
    enter_strict(1);
    say("strict: calling exit_group(3)\n");
    syscall(SYS_exit_group, 3);
}

/* prctl ignores its third argument for the strict mode (seccomp(2) refuses one) */
static void child_strict_prctl_pointer(void)
{
    static int junk;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, &junk, 0, 0) != 0) {
        printf("FAIL prctl(PR_SET_SECCOMP, STRICT, pointer): %s\n", errno_name(errno));
        guest_child_exit();
    }
    say("strict: prctl(PR_SET_SECCOMP, STRICT, pointer) returned 0\n");
    say("strict: in strict mode, write works\n");
    syscall(SYS_exit, 4);
}

static void child_strict_get_seccomp(void)
{
    enter_strict(0);
    say("strict: calling prctl(PR_GET_SECCOMP)\n");
    prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    say("FAIL strict: PR_GET_SECCOMP returned\n");
    syscall(SYS_exit, 1);
}

static void child_strict_again(void)
{
    enter_strict(0);
    say("strict: seccomp(SET_MODE_STRICT) again\n");
    sc(SECCOMP_SET_MODE_STRICT, 0, NULL);
    say("FAIL strict: the second seccomp returned\n");
    syscall(SYS_exit, 1);
}

static volatile sig_atomic_t strict_handled;

static void strict_handler(int sig)
{
    (void)sig;
    strict_handled = 1;
    write(1, "strict: handler runs\n", 21);
    write(strict_pipe[1], "h", 1);
}

/* read from a pipe, take a signal (its handler returns through rt_sigreturn), read again */
static void child_strict_read_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = strict_handler;
    sigaction(SIGUSR1, &sa, NULL);
    close(strict_pipe[0]);
    close(strict_go[1]);
    enter_strict(0);
    write(strict_pipe[1], "r", 1); /* ready: the parent reads our status, then signals */
    char c = 0;
    ssize_t n = read(strict_go[0], &c, 1);
    if (n == -1 && errno == EINTR && strict_handled)
        say("strict: read interrupted by the handler (EINTR), rt_sigreturn allowed\n");
    else
        say("FAIL strict: the first read did not return EINTR after the handler\n");
    n = read(strict_go[0], &c, 1);
    if (n == 1 && c == 'x')
        say("strict: read got the byte\n");
    else
        say("FAIL strict: second read\n");
    syscall(SYS_exit, 0);
}

/* the strict mode is the calling thread's: a forbidden call there ends that thread alone */
static void *strict_thread(void *arg)
{
    (void)arg;
    if (sc(SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
        say("FAIL strict thread: SET_MODE_STRICT\n");
    say("strict thread: calling getpid\n");
    syscall(SYS_getpid);
    say("FAIL strict thread: getpid returned\n");
    syscall(SYS_exit, 0);
    return NULL;
}

static int thread_count(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strstr(buf, "Threads:");
    return p ? atoi(p + 8) : -1;
}

static void child_strict_thread(void)
{
    pthread_t t;
    fflush(stdout);
    if (pthread_create(&t, NULL, strict_thread, NULL) != 0) {
        printf("FAIL pthread_create\n");
        return;
    }
    /* not pthread_join: musl's waits for the thread's own exit path, which a killed thread never runs */
    int n = 0;
    for (int i = 0; i < 100000; i++) {
        n = thread_count();
        if (n == 1)
            break;
        sched_yield();
    }
    CHECK_EQ(n, 1, "the strict thread is gone, the process lives on");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the main thread is not in strict mode");
}

/* The status of a child that seccomp killed, read while it is a zombie, then the wait status. */
static void zombie_status(const char *name, void (*fn)(void))
{
    printf("-- %s\n", name);
    pid_t pid = guest_fork();
    if (pid == 0) {
        fn();
        guest_child_exit();
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    show_status(path, "the zombie");
    int st;
    waitpid(pid, &st, 0);
    printf("%s: %s\n", name, status_str(st));
}

static void child_filter_kill(void)
{
    install_on(SYS_getppid, SECCOMP_RET_KILL_PROCESS);
    install_on(SYS_getppid, SECCOMP_RET_ALLOW);
    fflush(stdout);
    ppid_call();
}

static void test_strict(void)
{
    run("strict: write and exit", child_strict_write_exit);
    run("strict: getpid", child_strict_getpid);
    run("strict: exit_group", child_strict_exit_group);
    run("strict: PR_GET_SECCOMP", child_strict_get_seccomp);
    run("strict: prctl with a pointer", child_strict_prctl_pointer);
    run("strict: seccomp again", child_strict_again);
    run("strict: as uid 65534", child_unprivileged_strict);
    run("strict: in a thread", child_strict_thread);
    zombie_status("strict: killed, status as a zombie", child_strict_getpid);
    zombie_status("filter: killed, status as a zombie", child_filter_kill);

    printf("-- strict: read, signal, status\n");
    pipe(strict_pipe);
    pipe(strict_go);
    pid_t pid = guest_fork();
    if (pid == 0) {
        child_strict_read_signal();
        guest_child_exit();
    }
    close(strict_pipe[1]);
    close(strict_go[0]);
    char c;
    CHECK(read(strict_pipe[0], &c, 1) == 1, "the strict child is ready");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    show_status(path, "strict child");
    /* after 'r' the child's only blocking call is the read of strict_go: wait until it sleeps */
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int sleeping = 0, gone = 0;
    for (int i = 0; i < 100000 && !sleeping && !gone; i++) {
        char sbuf[512];
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, sbuf, sizeof sbuf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            break;
        sbuf[n] = 0;
        char *p = strrchr(sbuf, ')');
        sleeping = p && p[1] == ' ' && p[2] == 'S';
        gone = p && p[1] == ' ' && p[2] == 'Z';
        if (!sleeping && !gone)
            sched_yield();
    }
    CHECK(sleeping, "the strict child sleeps in read");
    /* the child blocks in read(); a signal interrupts it, then a byte lets it go on */
    kill(pid, SIGUSR1);
    /* the handler writes 'h' once it runs: the first read has returned by then, so the byte
       written next is for the second read */
    if (read(strict_pipe[0], &c, 1) != 1 || c != 'h') {
        printf("FAIL the strict child's handler did not run\n");
        guest_failures++;
    } /* nothing printed on success: the child is printing now */
    write(strict_go[1], "x", 1);
    int st;
    waitpid(pid, &st, 0);
    printf("strict: read, signal: %s\n", status_str(st));
    close(strict_pipe[0]);
    close(strict_go[1]);
}

/* ------------------------------------------------------------ the checker */

static void expect_refused(struct sock_filter *f, unsigned len, int want, const char *what)
{
    EXPECT_ERRNO(install(f, len, 0), want, what);
}

static void child_checker(void)
{
    struct sock_filter ret_allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    expect_refused(&ret_allow, 0, EINVAL, "empty program");
    static struct sock_filter many[4097];
    for (int i = 0; i < 4097; i++)
        many[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    expect_refused(many, 4097, EINVAL, "4097 instructions");
    {
        struct sock_filter f[] = {BPF_STMT(0xffff, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "opcode 0xffff");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
        expect_refused(f, 1, EINVAL, "no RET at the end");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_JMP | BPF_JA, 5), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "JA out of range");
    }
    {
        struct sock_filter f[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
                                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "JEQ false branch out of range");
    }
    {
        struct sock_filter f[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "JEQ true branch out of range");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "load at offset 1 (unaligned)");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
                                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "load at offset 64 (past seccomp_data)");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "halfword load");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "byte load");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "indirect load");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "division by constant 0");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "store to scratch slot 16");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        expect_refused(f, 2, EINVAL, "load of a scratch slot never stored");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_X, 0)};
        expect_refused(f, 1, EINVAL, "RET X");
    }
    /* programs the checker takes */
    {
        struct sock_filter f[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        CHECK_EQ(install(f, 2, 0), 0, "load at offset 60 (the last word)");
    }
    {
        struct sock_filter f[] = {BPF_STMT(BPF_ST, 15), BPF_STMT(BPF_LD | BPF_MEM, 15),
                                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        CHECK_EQ(install(f, 3, 0), 0, "store then load scratch slot 15");
    }
    CHECK_EQ(install(many, 4096, 0), 0, "4096 instructions");
    show_status("/proc/self/status", "after the checker");
}

/*
 * BPF_LEN and a division by a zero X at run time: the syscall the filter runs on
 * is getppid; A = len (64) ORed with ERRNO gives ERRNO(64); A / X with X == 0
 * ends the program with 0 (KILL_THREAD).
 */
static void child_runtime_len(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    CHECK_EQ(install(f, 6, 0), 0, "the BPF_LEN filter");
    errno = 0;
    long r = ppid_call();
    printf("getppid under ERRNO(len): %ld errno=%d\n", r, errno);
}

static void child_runtime_div0(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LDX | BPF_IMM, 0),
        BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 3),
    };
    CHECK_EQ(install(f, 6, 0), 0, "the A / X filter");
    fflush(stdout);
    errno = 0;
    long r = ppid_call();
    printf("FAIL getppid under A / 0 returned %ld errno=%d\n", r, errno);
}

/* ------------------------------------------------------------ the instruction budget */

/*
 * Linux counts a chain in the instructions of the programs it converted the
 * filters to: each classic program becomes 3 prologue instructions plus one per
 * instruction, two per RET (and more for some jumps).  A new filter is refused
 * with ENOMEM when its converted length plus, for every filter already there,
 * the converted length + 4 passes 32768.
 *
 * The JA-over-loads shape of install_big(len) converts to len + 4 instructions,
 * so each counts len + 8: seven of 4096 count 28728, leaving 4040 for an eighth
 * (len 4036).
 */
static void child_budget(void)
{
    real_ppid = getppid();
    int n = 0;
    for (; n < 7; n++)
        if (install_big(4096) != 0)
            break;
    CHECK_EQ(n, 7, "seven 4096-instruction filters");
    EXPECT_ERRNO(install_big(4096), ENOMEM, "an eighth 4096-instruction filter");
    EXPECT_ERRNO(install_big(4037), ENOMEM, "a 4037-instruction filter (converted: 4041, over by 1)");
    CHECK_EQ(install_big(4036), 0, "a 4036-instruction filter (converted: 4040, total 32768)");
    EXPECT_ERRNO(install_allow(), ENOMEM, "then even a 1-instruction filter");
    show_status("/proc/self/status", "after the budget");
    CHECK(ppid_call() == real_ppid, "the eight filters allow getppid");
}

/* A program of len RET ALLOW instructions converts to 2 * len + 3: 4096 of them count 8199. */
static long install_rets(unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return install(big, len, 0);
}

static void child_budget_rets(void)
{
    CHECK_EQ(install_rets(4096), 0, "first 4096-RET filter");
    CHECK_EQ(install_rets(4096), 0, "second 4096-RET filter");
    CHECK_EQ(install_rets(4096), 0, "third 4096-RET filter");
    EXPECT_ERRNO(install_rets(4096), ENOMEM, "a fourth 4096-RET filter");
    EXPECT_ERRNO(install_rets(4085), ENOMEM, "a 4085-RET filter (converted: 8173, over by 2)");
    CHECK_EQ(install_rets(4084), 0, "a 4084-RET filter (converted: 8171, total 32768)");
    show_status("/proc/self/status", "after the RET budget");
}

/* ------------------------------------------------------------ inheritance */

static void child_fork_inherit(void)
{
    CHECK_EQ(install_on(SYS_getppid, SECCOMP_RET_ERRNO | 7), 0, "filter: getppid -> ERRNO(7)");
    EXPECT_ERRNO(ppid_call(), 7, "getppid in the filtered process");
    pid_t pid = guest_fork();
    if (pid == 0) {
        show_status("/proc/self/status", "forked child");
        CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2, "the forked child is in filter mode");
        EXPECT_ERRNO(ppid_call(), 7, "getppid in the forked child");
        CHECK_EQ(install_on(SYS_getppid, SECCOMP_RET_ERRNO | 8), 0, "the forked child adds ERRNO(8)");
        EXPECT_ERRNO(ppid_call(), 8, "getppid in the forked child after its own filter");
        guest_child_exit();
    }
    int st;
    waitpid(pid, &st, 0);
    printf("forked child: %s\n", status_str(st));
    EXPECT_ERRNO(ppid_call(), 7, "the parent does not get the child's filter");
    show_status("/proc/self/status", "filtered parent");
}

static void child_exec_inherit(void)
{
    CHECK_EQ(install_on(SYS_getppid, SECCOMP_RET_ERRNO | 7), 0, "filter: getppid -> ERRNO(7)");
    CHECK_EQ(install_on(SYS_getppid, SECCOMP_RET_ERRNO | 9), 0, "filter: getppid -> ERRNO(9)");
    fflush(stdout);
    char *argv[] = {(char *)self_path, "exec-child", NULL};
    char *envp[] = {NULL};
    execve(self_path, argv, envp);
    printf("FAIL execve: %s\n", errno_name(errno));
}

static int exec_child_main(void)
{
    guest_line_buffered();
    printf("exec-child runs\n");
    show_status("/proc/self/status", "after exec");
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2, "PR_GET_SECCOMP after exec");
    EXPECT_ERRNO(ppid_call(), 9, "getppid after exec (newest filter's ERRNO)");
    return guest_exit();
}

/* ------------------------------------------------------------ which filter wins */

struct pair {
    uint32_t older, newer;
    const char *name;
};

static const struct pair pairs[] = {
    {SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 2, "older ERRNO(1), newer ERRNO(2)"},
    {SECCOMP_RET_ERRNO | 2, SECCOMP_RET_ERRNO | 1, "older ERRNO(2), newer ERRNO(1)"},
    {SECCOMP_RET_ERRNO | 3, SECCOMP_RET_ALLOW, "older ERRNO(3), newer ALLOW"},
    {SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 3, "older ALLOW, newer ERRNO(3)"},
    {SECCOMP_RET_ALLOW | 5, SECCOMP_RET_LOG, "older ALLOW|5, newer LOG"},
    {SECCOMP_RET_TRACE | 1, SECCOMP_RET_ERRNO | 4, "older TRACE, newer ERRNO(4)"},
    {SECCOMP_RET_ERRNO | 4, SECCOMP_RET_TRACE | 1, "older ERRNO(4), newer TRACE"},
    {SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE | 1, "older USER_NOTIF (no listener), newer TRACE"},
    {SECCOMP_RET_TRACE, SECCOMP_RET_LOG, "older TRACE (no tracer), newer LOG"},
    {SECCOMP_RET_ERRNO | 5, SECCOMP_RET_TRAP | 1, "older ERRNO(5), newer TRAP"},
    {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO | 6, "older KILL_PROCESS, newer ERRNO(6)"},
    {SECCOMP_RET_ERRNO | 6, SECCOMP_RET_KILL_THREAD, "older ERRNO(6), newer KILL_THREAD"},
    {SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS, "older KILL_THREAD, newer KILL_PROCESS"},
    {SECCOMP_RET_ERRNO | 7, 0x00010000, "older ERRNO(7), newer unknown 0x00010000"},
    {0x7ffe0000, SECCOMP_RET_ALLOW, "older unknown 0x7ffe0000, newer ALLOW"},
};

static const struct pair *cur_pair;

static void child_pair(void)
{
    real_ppid = getppid();
    CHECK_EQ(install_on(SYS_getppid, cur_pair->older), 0, "older filter");
    CHECK_EQ(install_on(SYS_getppid, cur_pair->newer), 0, "newer filter");
    fflush(stdout);
    errno = 0;
    long r = ppid_call();
    int e = errno;
    if (r == real_ppid)
        printf("getppid: allowed\n");
    else
        printf("getppid: %ld %s\n", r, r < 0 ? errno_name(e) : "");
}

static void test_precedence(void)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        cur_pair = &pairs[i];
        run(pairs[i].name, child_pair);
    }
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
        return exec_child_main();
    guest_line_buffered();
    printf("seccomp_basic\n");
    test_arg_errors();
    test_queries();
    run("unprivileged", child_unprivileged);
    run("root without no_new_privs", child_root_no_nnp);
    test_strict();
    run("checker", child_checker);
    run("run-time BPF_LEN", child_runtime_len);
    run("run-time division by zero X", child_runtime_div0);
    run("instruction budget", child_budget);
    run("instruction budget, RET filters", child_budget_rets);
    run("fork inheritance", child_fork_inherit);
    run("exec inheritance", child_exec_inherit);
    test_precedence();
    show_status("/proc/self/status", "parent at the end");
    return guest_exit();
}
