/*
 * seccomp_actions: what each filter action does to the syscall it matches.
 *
 * The syscall filtered is getppid (harmless, never called by libc behind our
 * back), made through act_syscall below, which returns the raw rax (so -EPERM
 * prints as -1, not as -1 with errno) and whose syscall instruction is at a
 * known address.  Every case runs in a forked child; the parent prints how it
 * ended.
 *
 * Covers: ALLOW; ERRNO with data 0, small, 4095 and above (capped); TRAP (the
 * SIGSYS siginfo: si_code SYS_SECCOMP, si_errno = the data, si_syscall, si_arch,
 * si_call_addr; the ucontext's rax and rip; what the syscall returns after the
 * handler, and a handler that sets rax; TRAP with SIGSYS blocked, ignored, and
 * from inside the SIGSYS handler); KILL_THREAD in a non-main thread, in the main
 * thread of a two-thread process and in a single-threaded process; KILL_PROCESS
 * from the main thread and from another thread; LOG; TRACE and USER_NOTIF
 * without a tracer or listener (ENOSYS); actions Linux does not define;
 * argument filters (write allowed to fd 1 only, a 64-bit argument); and the
 * seccomp_data a filter sees (nr, arch, instruction_pointer, args), read
 * through TRAP's data.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/* act_syscall(nr, a0..a5): the raw syscall, returning rax as the kernel left it. */
__asm__(".text\n"
        ".globl act_syscall\n"
        "act_syscall:\n"
        "    movq %rdi, %rax\n"
        "    movq %rsi, %rdi\n"
        "    movq %rdx, %rsi\n"
        "    movq %rcx, %rdx\n"
        "    movq %r8, %r10\n"
        "    movq %r9, %r8\n"
        "    movq 8(%rsp), %r9\n"
        "    syscall\n"
        ".globl act_syscall_after\n"
        "act_syscall_after:\n"
        "    ret\n");
long act_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern char act_syscall_after[];

static pid_t real_ppid;

static long sc(unsigned op, unsigned long flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

static long install(struct sock_filter *f, unsigned len)
{
    struct sock_fprog p = {.len = (unsigned short)len, .filter = f};
    return sc(SECCOMP_SET_MODE_FILTER, 0, &p);
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
    long r = install(f, 4);
    if (r != 0) {
        guest_failures++;
        printf("FAIL install filter %#x on %d: %s\n", ret, nr, errno_name(errno));
    }
    return r;
}

static long ppid6(void)
{
    return act_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
}

/* Print what getppid returned: "parent's pid" or the raw value. */
static void show_ppid(const char *what, long r)
{
    if (r == real_ppid)
        printf("%s: getppid returns the parent's pid\n", what);
    else
        printf("%s: getppid returns %ld\n", what, r);
}

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
    printf("%s: %s%s\n", name, status_str(st), WIFSIGNALED(st) && WCOREDUMP(st) ? " (core dumped)" : "");
    return st;
}

/*
 * The kill actions dump core when they can.  Normally the child sets RLIMIT_CORE
 * to 0 (no dump, no core flag in the status); with core_dir set it raises the
 * soft limit to the hard one and works in that scratch directory, so the dump
 * happens there and the status has the core flag.
 */
static const char *core_dir;

static void no_core(void)
{
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = core_dir ? rl.rlim_max : 0;
    if (core_dir && (chdir(core_dir) != 0 || rl.rlim_cur == 0)) {
        printf("FAIL cannot dump core in %s\n", core_dir);
        guest_child_exit();
    }
    setrlimit(RLIMIT_CORE, &rl);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------ ALLOW, ERRNO, LOG, TRACE, USER_NOTIF */

static void child_allow(void)
{
    install_on(SYS_getppid, SECCOMP_RET_ALLOW);
    show_ppid("ALLOW", ppid6());
    install_on(SYS_getppid, SECCOMP_RET_ALLOW | 0x1234);
    show_ppid("ALLOW with data 0x1234", ppid6());
}

static void child_errno(void)
{
    /* among equal actions the newest filter's data wins, so each new filter decides */
    static const unsigned data[] = {1, 13, 0, 4095, 4096, 4097, 0x8000, 0xffff, 2};
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) {
        install_on(SYS_getppid, SECCOMP_RET_ERRNO | data[i]);
        printf("ERRNO(%u): getppid returns %ld\n", data[i], ppid6());
    }
    errno = 0;
    long r = syscall(SYS_getppid);
    printf("ERRNO(2) through libc syscall(): %ld %s\n", r, errno_name(errno));
}

static void child_log(void)
{
    install_on(SYS_getppid, SECCOMP_RET_LOG);
    show_ppid("LOG", ppid6());
}

static void child_trace_no_tracer(void)
{
    install_on(SYS_getppid, SECCOMP_RET_TRACE | 5);
    show_ppid("TRACE without a tracer", ppid6());
}

static void child_notif_no_listener(void)
{
    install_on(SYS_getppid, SECCOMP_RET_USER_NOTIF);
    show_ppid("USER_NOTIF without a listener", ppid6());
}

/* ------------------------------------------------------------ TRAP */

static volatile sig_atomic_t trap_count;
static siginfo_t trap_info;
static long trap_rax, trap_regs[6];
static uintptr_t trap_rip;
static long trap_set_rax; /* if non-zero, the handler puts it in rax */
static int trap_nested;   /* if set, the handler makes the trapped syscall again */

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    trap_count++;
    trap_info = *si;
    trap_rax = uc->uc_mcontext.gregs[REG_RAX];
    trap_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    trap_regs[0] = uc->uc_mcontext.gregs[REG_RDI];
    trap_regs[1] = uc->uc_mcontext.gregs[REG_RSI];
    trap_regs[2] = uc->uc_mcontext.gregs[REG_RDX];
    trap_regs[3] = uc->uc_mcontext.gregs[REG_R10];
    trap_regs[4] = uc->uc_mcontext.gregs[REG_R8];
    trap_regs[5] = uc->uc_mcontext.gregs[REG_R9];
    if (trap_set_rax)
        uc->uc_mcontext.gregs[REG_RAX] = trap_set_rax;
    if (trap_nested) {
        trap_nested = 0;
        write(1, "in the handler: getppid again\n", 30);
        ppid6();
        write(1, "in the handler: the nested getppid returned\n", 44);
    }
}

static void install_trap_handler(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = trap_handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSYS, &sa, NULL);
}

static void child_trap(void)
{
    install_trap_handler(0);
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 0x1234);
    static const long args[6] = {0x1111111122222222L, -1L, 3, 0x7fffffffffffffffL, 0, 0x5555};
    long r = act_syscall(SYS_getppid, args[0], args[1], args[2], args[3], args[4], args[5]);
    printf("TRAP: handler ran %d time(s)\n", (int)trap_count);
    printf("TRAP: si_signo=%s si_code=%d si_errno=%#x si_syscall=%d si_arch=%#x\n", signal_name(trap_info.si_signo),
           trap_info.si_code, trap_info.si_errno, trap_info.si_syscall, trap_info.si_arch);
    CHECK(trap_info.si_code == SYS_SECCOMP, "si_code is SYS_SECCOMP");
    CHECK(trap_info.si_arch == AUDIT_ARCH_X86_64, "si_arch is AUDIT_ARCH_X86_64");
    CHECK(trap_info.si_call_addr == (void *)act_syscall_after, "si_call_addr is the address after the syscall");
    CHECK(trap_rip == (uintptr_t)act_syscall_after, "the ucontext's rip is the address after the syscall");
    printf("TRAP: the ucontext's rax = %ld\n", trap_rax);
    for (int i = 0; i < 6; i++)
        CHECK(trap_regs[i] == args[i], "argument register %d intact in the ucontext", i);
    printf("TRAP: getppid returns %ld after the handler\n", r);

    trap_set_rax = 4321;
    r = ppid6();
    printf("TRAP: with the handler setting rax = 4321, getppid returns %ld (handler ran %d times)\n", r,
           (int)trap_count);
    trap_set_rax = 0;

    /* a later ERRNO filter is more permissive than TRAP: TRAP still wins */
    install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1);
    r = ppid6();
    printf("TRAP then ERRNO(1): getppid returns %ld, handler ran %d times, si_errno=%#x\n", r, (int)trap_count,
           trap_info.si_errno);
    /* a newer TRAP's data wins over the older TRAP's */
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 0x42);
    r = ppid6();
    printf("a second TRAP (data 0x42): handler ran %d times, si_errno=%#x\n", (int)trap_count, trap_info.si_errno);
}

static void child_trap_blocked(void)
{
    no_core();
    install_trap_handler(0);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSYS);
    sigprocmask(SIG_BLOCK, &s, NULL);
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 1);
    fflush(stdout);
    long r = ppid6();
    printf("FAIL TRAP with SIGSYS blocked returned %ld (handler ran %d times)\n", r, (int)trap_count);
}

static void child_trap_ignored(void)
{
    no_core();
    signal(SIGSYS, SIG_IGN);
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 1);
    fflush(stdout);
    long r = ppid6();
    printf("FAIL TRAP with SIGSYS ignored returned %ld\n", r);
}

static void child_trap_default(void)
{
    no_core();
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 1);
    fflush(stdout);
    long r = ppid6();
    printf("FAIL TRAP with SIGSYS at SIG_DFL returned %ld\n", r);
}

static void child_trap_nested(void)
{
    no_core();
    install_trap_handler(0);
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 1);
    trap_nested = 1;
    fflush(stdout);
    long r = ppid6();
    printf("FAIL TRAP from the SIGSYS handler: returned %ld\n", r);
}

static void child_trap_nodefer(void)
{
    install_trap_handler(SA_NODEFER);
    install_on(SYS_getppid, SECCOMP_RET_TRAP | 1);
    trap_nested = 1;
    long r = ppid6();
    printf("TRAP from an SA_NODEFER SIGSYS handler: handler ran %d times, getppid returns %ld\n", (int)trap_count, r);
}

/* ------------------------------------------------------------ KILL_THREAD, KILL_PROCESS */

static void child_kill_thread_single(void)
{
    no_core();
    install_on(SYS_getppid, SECCOMP_RET_KILL_THREAD);
    fflush(stdout);
    ppid6();
    printf("FAIL KILL_THREAD returned\n");
}

static void child_kill_process(void)
{
    no_core();
    install_on(SYS_getppid, SECCOMP_RET_KILL_PROCESS);
    fflush(stdout);
    ppid6();
    printf("FAIL KILL_PROCESS returned\n");
}

static void child_kill_unknown(void)
{
    no_core();
    install_on(SYS_getppid, 0x00010000);
    fflush(stdout);
    ppid6();
    printf("FAIL the unknown action 0x00010000 returned\n");
}

static void child_kill_unknown_high(void)
{
    no_core();
    install_on(SYS_getppid, 0x7ffe0000);
    fflush(stdout);
    ppid6();
    printf("FAIL the unknown action 0x7ffe0000 returned\n");
}

static unsigned thread_action;
static volatile int thread_reached;

static void *thread_filtered(void *arg)
{
    (void)arg;
    /* the filter is the thread's own: the main thread never gets it */
    install_on(SYS_getppid, thread_action);
    thread_reached = 1;
    ppid6();
    thread_reached = 2;
    return (void *)1;
}

static int count_threads(void)
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

static void child_kill_thread_other(void)
{
    no_core();
    thread_action = SECCOMP_RET_KILL_THREAD;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, thread_filtered, NULL) == 0, "pthread_create");
    /* not pthread_join: musl's waits for the thread's own exit path, which a killed thread never runs */
    int threads = 0;
    for (int i = 0; i < 1000000; i++) {
        threads = count_threads();
        if (threads == 1)
            break;
        sched_yield();
    }
    CHECK_EQ(threads, 1, "the killed thread is gone: one thread left");
    printf("KILL_THREAD in another thread: the thread got to step %d\n", thread_reached);
    CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "the main thread has no filter");
    show_ppid("the main thread", ppid6());
}

static void child_kill_process_other(void)
{
    no_core();
    thread_action = SECCOMP_RET_KILL_PROCESS;
    pthread_t t;
    fflush(stdout);
    /* nothing printed on success: the thread may kill the process before pthread_create returns */
    if (pthread_create(&t, NULL, thread_filtered, NULL) != 0)
        printf("FAIL pthread_create\n");
    for (int i = 0; i < 1000000; i++)
        sched_yield();
    printf("FAIL KILL_PROCESS in another thread: the main thread lives on\n");
}

/* the main thread is killed; the other thread waits until it is a zombie, then ends with exit(2) */
static pid_t main_tid;

static void *thread_outlives_main(void *arg)
{
    (void)arg;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
    int zombie = 0;
    for (int i = 0; i < 1000000 && !zombie; i++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            zombie = p && p[1] == ' ' && p[2] == 'Z';
        }
        if (!zombie)
            sched_yield();
    }
    printf("the other thread: the main thread is %s\n", zombie ? "a zombie" : "NOT a zombie");
    fflush(stdout);
    printf("the other thread: %d thread(s) in /proc/self/status\n", count_threads());
    fflush(stdout);
    syscall(SYS_exit, 2);
    return NULL;
}

static void child_kill_thread_main(void)
{
    no_core();
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t t;
    install_on(SYS_getppid, SECCOMP_RET_KILL_THREAD);
    CHECK(pthread_create(&t, NULL, thread_outlives_main, NULL) == 0, "pthread_create");
    fflush(stdout);
    ppid6();
    printf("FAIL KILL_THREAD in the main thread returned\n");
}

/* ------------------------------------------------------------ argument filters */

static void child_write_fd1_only(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    int p[2];
    pipe(p);
    CHECK(install(f, 6) == 0, "filter: write only to fd 1");
    fflush(stdout);
    printf("write to fd 1 works\n");
    fflush(stdout);
    errno = 0;
    ssize_t n = write(p[1], "x", 1);
    int e = errno;
    printf("write to the pipe: %zd %s\n", n, errno_name(e));
    errno = 0;
    n = write(2, "x", 1);
    e = errno;
    printf("write to fd 2: %zd %s\n", n, errno_name(e));
    /* the filter reads the low word of args[0] only: fd 1 with bits above 32 set passes it, and the
       kernel, taking an int, writes to fd 1 */
    n = act_syscall(SYS_write, 0x100000001L, (long)"high word ignored\n", 18, 0, 0, 0);
    printf("write to fd 0x100000001: %zd\n", n);
}

static void child_arg64(void)
{
    /* getppid with args[1] == 0x100000000 exactly -> ERRNO(11); anything else allowed */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 11),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    CHECK(install(f, 8) == 0, "filter: getppid with args[1] == 1 << 32");
    show_ppid("args[1] = 1 << 32", act_syscall(SYS_getppid, 0, 0x100000000L, 0, 0, 0, 0));
    show_ppid("args[1] = 0", act_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0));
    show_ppid("args[1] = 1", act_syscall(SYS_getppid, 0, 1, 0, 0, 0, 0));
    show_ppid("args[1] = (1 << 32) + 1", act_syscall(SYS_getppid, 0, 0x100000001L, 0, 0, 0, 0));
}

/* ------------------------------------------------------------ seccomp_data through TRAP's data */

/*
 * On getppid the filter returns TRAP with 16 bits of seccomp_data as its data:
 * args[5] selects them (word w = sel / 2 of the 16 words, the high half when
 * sel is odd).  Other syscalls are allowed.
 */
static struct sock_filter probe[400];

static unsigned build_probe(void)
{
    unsigned n = 0;
    probe[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    probe[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0);
    probe[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    for (unsigned sel = 0; sel < 32; sel++) {
        unsigned body = (sel & 1) ? 5 : 4;
        probe[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5]));
        probe[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sel, 0, body);
        probe[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4 * (sel / 2));
        if (sel & 1)
            probe[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
        probe[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff);
        probe[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_TRAP);
        probe[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
    }
    probe[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 99);
    return n;
}

static const long probe_args[5] = {0x0123456789abcdefL, -2L, 0x7e, 0x1000000000000000L, 0x00000000fedcba98L};

static uint32_t probe_word(unsigned w)
{
    uint32_t v = 0;
    for (unsigned half = 0; half < 2; half++) {
        trap_info.si_errno = -1;
        act_syscall(SYS_getppid, probe_args[0], probe_args[1], probe_args[2], probe_args[3], probe_args[4],
                    (long)(2 * w + half));
        v |= (uint32_t)(trap_info.si_errno & 0xffff) << (16 * half);
    }
    return v;
}

static void child_probe(void)
{
    install_trap_handler(0);
    unsigned n = build_probe();
    CHECK(install(probe, n) == 0, "the probe filter (%u instructions)", n);
    uint32_t w[16];
    for (unsigned i = 0; i < 16; i++)
        w[i] = probe_word(i);
    printf("seccomp_data.nr = %u, arch = %#x\n", w[0], w[1]);
    uint64_t ip = (uint64_t)w[2] | (uint64_t)w[3] << 32;
    CHECK(ip == (uint64_t)(uintptr_t)act_syscall_after, "instruction_pointer is the address after the syscall");
    for (int a = 0; a < 5; a++) {
        uint64_t v = (uint64_t)w[4 + 2 * a] | (uint64_t)w[5 + 2 * a] << 32;
        CHECK(v == (uint64_t)probe_args[a], "args[%d] = %#llx", a, (unsigned long long)v);
    }
    uint64_t v5 = (uint64_t)w[14] | (uint64_t)w[15] << 32;
    printf("args[5] (the selector of the last call) = %llu\n", (unsigned long long)v5);
    printf("the probe trapped %d times\n", (int)trap_count);
}

int main(void)
{
    guest_line_buffered();
    printf("seccomp_actions\n");
    run("ALLOW", child_allow);
    run("ERRNO", child_errno);
    run("LOG", child_log);
    run("TRACE without a tracer", child_trace_no_tracer);
    run("USER_NOTIF without a listener", child_notif_no_listener);
    run("TRAP", child_trap);
    run("TRAP with SIGSYS blocked", child_trap_blocked);
    run("TRAP with SIGSYS ignored", child_trap_ignored);
    run("TRAP with SIGSYS at SIG_DFL", child_trap_default);
    run("TRAP inside the SIGSYS handler", child_trap_nested);
    run("TRAP inside an SA_NODEFER SIGSYS handler", child_trap_nodefer);
    run("KILL_THREAD, single thread", child_kill_thread_single);
    run("KILL_THREAD in another thread", child_kill_thread_other);
    run("KILL_THREAD in the main thread of two", child_kill_thread_main);
    run("KILL_PROCESS", child_kill_process);
    run("KILL_PROCESS in another thread", child_kill_process_other);
    run("unknown action 0x00010000", child_kill_unknown);
    run("unknown action 0x7ffe0000", child_kill_unknown_high);

    char dir[] = "/tmp/seccomp_actions_core.XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: %s\n", errno_name(errno));
        guest_failures++;
    } else {
        core_dir = dir;
        run("KILL_PROCESS, RLIMIT_CORE raised", child_kill_process);
        run("KILL_THREAD, single thread, RLIMIT_CORE raised", child_kill_thread_single);
        run("KILL_THREAD in another thread, RLIMIT_CORE raised", child_kill_thread_other);
        run("KILL_THREAD in the main thread of two, RLIMIT_CORE raised", child_kill_thread_main);
        run("TRAP with SIGSYS at SIG_DFL, RLIMIT_CORE raised", child_trap_default);
        run("TRAP with SIGSYS blocked, RLIMIT_CORE raised", child_trap_blocked);
        core_dir = NULL;
        remove_dir(dir);
    }
    run("write to fd 1 only", child_write_fd1_only);
    run("a 64-bit argument", child_arg64);
    run("seccomp_data", child_probe);
    return guest_exit();
}
