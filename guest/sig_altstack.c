/*
 * sig_altstack: sigaltstack(2).
 *
 * Argument checks (ENOMEM below MINSIGSTKSZ, EINVAL for bad flags, SS_DISABLE,
 * SS_ONSTACK accepted as a flag, SS_AUTODISARM), what a handler on the
 * alternate stack sees (sigaltstack reports SS_ONSTACK, changing it fails with
 * EPERM, uc_stack holds the registered stack), nested handlers stay on the
 * alternate stack, SS_AUTODISARM disarms it during the handler and sigreturn
 * restores it, fork keeps it and a new thread starts without one; and a stack
 * overflow -- of the main thread (a child with a small RLIMIT_STACK) and of a
 * thread (its guard page) -- caught on the alternate stack and recovered with
 * siglongjmp.
 */
#include "guest.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define KMINSIGSTKSZ 2048 /* the kernel's MINSIGSTKSZ (the libc's may be larger) */

static char altstack[65536] __attribute__((aligned(64)));

/* The raw syscall: musl's wrapper checks the flags and size itself (and reads *ss first). */
static int sas(const stack_t *ss, stack_t *old)
{
    return (int)syscall(SYS_sigaltstack, ss, old);
}

static int in_alt(uintptr_t p, const char *base, size_t size)
{
    return p >= (uintptr_t)base && p < (uintptr_t)base + size;
}

static const char *flags_str(int f)
{
    static char bufs[4][64];
    static int next;
    char *buf = bufs[next++ % 4]; /* several in one printf */
    buf[0] = 0;
    if (f & SS_ONSTACK)
        strcat(buf, "SS_ONSTACK|");
    if (f & SS_DISABLE)
        strcat(buf, "SS_DISABLE|");
    if ((unsigned)f & SS_AUTODISARM)
        strcat(buf, "SS_AUTODISARM|");
    if (f & ~(SS_ONSTACK | SS_DISABLE | (int)SS_AUTODISARM))
        snprintf(buf + strlen(buf), 64 - strlen(buf), "%#x|", f & ~(SS_ONSTACK | SS_DISABLE | (int)SS_AUTODISARM));
    if (!buf[0])
        return "0";
    buf[strlen(buf) - 1] = 0;
    return buf;
}

/* Print the thread's sigaltstack relative to the stack (base, size) it should be. */
static void show_stack(const char *what, const char *base, size_t size)
{
    stack_t cur;
    memset(&cur, 0x5a, sizeof cur);
    int rc = sas(NULL, &cur);
    printf("%s: rc=%d flags=%s sp%s size%s\n", what, rc, flags_str(cur.ss_flags),
           cur.ss_sp == base ? "==stack" : cur.ss_sp == NULL ? "==NULL" : "=other",
           cur.ss_size == size ? "==its size" : cur.ss_size == 0 ? "=0" : "=other");
}

static void show_current(const char *what)
{
    show_stack(what, altstack, sizeof altstack);
}

/* ------------------------------------------------------------ argument checks */

static void test_args(void)
{
    printf("-- sigaltstack arguments\n");
    show_current("initially");
    stack_t ss = {.ss_sp = altstack, .ss_flags = 0, .ss_size = KMINSIGSTKSZ - 1};
    EXPECT_ERRNO(sas(&ss, NULL), ENOMEM, "size MINSIGSTKSZ-1");
    ss.ss_size = KMINSIGSTKSZ;
    CHECK(sas(&ss, NULL) == 0, "size MINSIGSTKSZ");
    ss.ss_size = sizeof altstack;
    ss.ss_flags = 0x10;
    EXPECT_ERRNO(sas(&ss, NULL), EINVAL, "flags 0x10");
    ss.ss_flags = SS_ONSTACK | SS_DISABLE;
    EXPECT_ERRNO(sas(&ss, NULL), EINVAL, "flags SS_ONSTACK|SS_DISABLE");
    /* sys_sigaltstack copies the old stack out only when the change succeeded */
    stack_t unwritten = {.ss_sp = (void *)0x1234, .ss_flags = 0x5678, .ss_size = 0x9abc};
    EXPECT_ERRNO(sas(&ss, &unwritten), EINVAL, "flags SS_ONSTACK|SS_DISABLE, with an old stack to fill");
    CHECK(unwritten.ss_sp == (void *)0x1234 && unwritten.ss_flags == 0x5678 && unwritten.ss_size == 0x9abc,
          "a failed change leaves the old stack_t unwritten");
    ss.ss_flags = SS_ONSTACK;
    CHECK(sas(&ss, NULL) == 0, "flags SS_ONSTACK accepted");
    show_current("after SS_ONSTACK");
    ss.ss_flags = (int)SS_AUTODISARM;
    CHECK(sas(&ss, NULL) == 0, "flags SS_AUTODISARM");
    show_current("after SS_AUTODISARM");
    ss.ss_flags = SS_DISABLE;
    ss.ss_size = 1; /* size and sp are ignored with SS_DISABLE */
    CHECK(sas(&ss, NULL) == 0, "SS_DISABLE with size 1");
    show_current("after SS_DISABLE");
    stack_t old;
    ss.ss_flags = 0;
    ss.ss_size = sizeof altstack;
    sas(&ss, NULL);
    ss.ss_flags = SS_DISABLE;
    sas(&ss, &old);
    printf("SS_DISABLE returns the old stack: flags=%s sp%s\n", flags_str(old.ss_flags),
           old.ss_sp == altstack ? "==altstack" : "!=altstack");
    EXPECT_ERRNO(sas((stack_t *)8, NULL), EFAULT, "bad pointer");
}

/* ------------------------------------------------------------ handlers on the alternate stack */

static volatile uintptr_t first_local, nested_local; /* addresses of handler locals */
static volatile int nested_on_alt, inner_eperm, inner_disable_eperm, uc_flags, uc_sp_ok, inner_flags;

static void h_nested(int sig)
{
    (void)sig;
    char here;
    nested_local = (uintptr_t)&here;
    nested_on_alt = in_alt((uintptr_t)&here, altstack, sizeof altstack);
}

static void h_onstack(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    char here;
    first_local = (uintptr_t)&here;
    uc_flags = uc->uc_stack.ss_flags;
    uc_sp_ok = uc->uc_stack.ss_sp == altstack && uc->uc_stack.ss_size == sizeof altstack;
    stack_t cur;
    sas(NULL, &cur);
    inner_flags = cur.ss_flags;
    static char other[8192];
    stack_t ns = {.ss_sp = other, .ss_flags = 0, .ss_size = sizeof other};
    inner_eperm = sas(&ns, NULL) == -1 && errno == EPERM;
    ns.ss_flags = SS_DISABLE;
    inner_disable_eperm = sas(&ns, NULL) == -1 && errno == EPERM;
    raise(SIGUSR2); /* nested, SA_ONSTACK too */
}

static void test_onstack(void)
{
    printf("-- a handler on the alternate stack\n");
    stack_t ss = {.ss_sp = altstack, .ss_flags = 0, .ss_size = sizeof altstack};
    sas(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_onstack;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_nested;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("handler on the alternate stack: %d\n", in_alt(first_local, altstack, sizeof altstack));
    printf("inside: sigaltstack flags=%s; uc_stack.ss_flags=%s, ss_sp/ss_size the registered stack: %d\n",
           flags_str(inner_flags), flags_str(uc_flags), uc_sp_ok);
    printf("inside: changing it -> EPERM: %d, disabling it -> EPERM: %d\n", inner_eperm, inner_disable_eperm);
    printf("nested handler on the alternate stack: %d, below the first: %d\n", nested_on_alt,
           nested_local < first_local);
    show_current("after the handlers");

    /* a handler without SA_ONSTACK stays on the normal stack */
    ss.ss_flags = 0;
    sas(&ss, NULL);
    sa.sa_handler = h_nested;
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    nested_on_alt = -1;
    kill(getpid(), SIGUSR2);
    printf("handler without SA_ONSTACK on the alternate stack: %d\n", nested_on_alt);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

static void *thread_query(void *arg)
{
    (void)arg;
    show_current("in a new thread");
    return NULL;
}

static void test_inherit(void)
{
    printf("-- fork and threads\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        show_current("in a forked child");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pthread_t t;
    pthread_create(&t, NULL, thread_query, NULL);
    pthread_join(t, NULL);
}

/* ------------------------------------------------------------ stack overflow */

static sigjmp_buf overflow_jmp;
static volatile uintptr_t seg_local;
static volatile int seg_code;
static volatile void *seg_addr;
static volatile unsigned long depth;

static void h_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char here;
    seg_local = (uintptr_t)&here;
    seg_code = si->si_code;
    seg_addr = si->si_addr;
    siglongjmp(overflow_jmp, 1);
}

static volatile unsigned long depth_limit = ~0UL; /* never reached: the stack ends first */

__attribute__((noinline)) static unsigned long recurse(unsigned long n)
{
    volatile char pad[256];
    if (n == depth_limit)
        return 0;
    pad[0] = (char)n;
    pad[255] = (char)n;
    depth = n;
    return recurse(n + 1) + pad[0] + pad[255];
}

static void catch_overflow(const char *what, char *alt, size_t altsize, char *stack_lo, char *stack_hi)
{
    stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = altsize};
    sas(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    seg_local = 0;
    if (sigsetjmp(overflow_jmp, 1) == 0) {
        recurse(0);
        printf("FAIL %s: the recursion returned\n", what);
        return;
    }
    printf("%s: caught SIGSEGV (%s) after deep recursion (> 100 frames: %d); handler on the alternate stack: %d; "
           "fault address in the guard region below the stack: %d\n",
           what, seg_code == SEGV_MAPERR ? "SEGV_MAPERR" : seg_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
           depth > 100, in_alt(seg_local, alt, altsize),
           stack_lo ? (char *)seg_addr < stack_lo + 4096 && (char *)seg_addr >= stack_lo - 4096 * 300
                    : (char *)seg_addr < stack_hi);
    if (!stack_lo) /* the main thread: the stack may grow to RLIMIT_STACK (256 KiB), not further */
        printf("%s: the fault is 128..320 KiB below the first frame: %d\n", what,
               stack_hi - (char *)seg_addr > 128 * 1024 && stack_hi - (char *)seg_addr < 320 * 1024);
    /* the alternate stack is usable again after siglongjmp: a second overflow is caught too */
    seg_local = 0;
    if (sigsetjmp(overflow_jmp, 1) == 0)
        recurse(0);
    printf("%s: second overflow caught on the alternate stack: %d\n", what, in_alt(seg_local, alt, altsize));
    show_stack("  sigaltstack after recovering", alt, altsize);
}

static char thread_alt[32768];

static void *overflow_thread(void *arg)
{
    char **bounds = arg;
    catch_overflow("thread", thread_alt, sizeof thread_alt, bounds[0], bounds[1]);
    return NULL;
}

static void test_overflow(void)
{
    printf("-- stack overflow\n");
    /* a thread with a 128 KiB stack we allocate (guard page below it) */
    size_t size = 128 * 1024;
    char *mem = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(mem, 4096, PROT_NONE);
    char *bounds[2] = {mem + 4096, mem + 4096 + size};
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, mem + 4096, size);
    pthread_t t;
    pthread_create(&t, &a, overflow_thread, bounds);
    pthread_join(t, NULL);
    munmap(mem, size + 4096);

    /* the main thread of a child whose RLIMIT_STACK is 256 KiB */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_STACK, &rl);
        rl.rlim_cur = 256 * 1024;
        setrlimit(RLIMIT_STACK, &rl);
        char here;
        catch_overflow("main thread, RLIMIT_STACK 256 KiB", altstack, sizeof altstack, NULL, &here);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s\n", status_str(st));

    /* without an alternate stack the overflow kills: the handler cannot run */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_STACK, &rl);
        rl.rlim_cur = 256 * 1024;
        setrlimit(RLIMIT_STACK, &rl);
        stack_t ss = {.ss_flags = SS_DISABLE};
        sas(&ss, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = h_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(overflow_jmp, 1) == 0)
            recurse(0);
        printf("FAIL the handler ran without a stack\n");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("overflow without an alternate stack: child %s\n", status_str(st));
}

static int rearm_rc = -2, rearm_flags;

/* on the (disarmed) alternate stack: arm the same stack again, SS_AUTODISARM, and ask for its flags */
static void h_rearm(int sig)
{
    (void)sig;
    stack_t again = {.ss_sp = altstack, .ss_flags = (int)SS_AUTODISARM, .ss_size = sizeof altstack}, cur;
    rearm_rc = sas(&again, NULL);
    sas(NULL, &cur);
    rearm_flags = cur.ss_flags;
}

/* SS_AUTODISARM: disarmed while the handler runs, restored by sigreturn (last: the riskiest part) */
static void test_autodisarm(void)
{
    printf("-- SS_AUTODISARM\n");
    stack_t ss = {.ss_sp = altstack, .ss_flags = 0, .ss_size = sizeof altstack};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_onstack;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_nested;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    ss.ss_flags = (int)SS_AUTODISARM;
    sas(&ss, NULL);
    first_local = nested_local = 0;
    kill(getpid(), SIGUSR1);
    printf("SS_AUTODISARM: handler on the alternate stack: %d; inside: sigaltstack flags=%s, uc_stack.ss_flags=%s, "
           "changing it -> EPERM: %d; nested handler on the alternate stack: %d\n",
           in_alt(first_local, altstack, sizeof altstack), flags_str(inner_flags), flags_str(uc_flags),
           inner_eperm, nested_on_alt);
    show_current("after the SS_AUTODISARM handler");
    /* on_sig_stack is never true for an SS_AUTODISARM stack: re-arming it from a handler running on it
     * is allowed, and its flags do not say SS_ONSTACK */
    signal(SIGUSR1, SIG_DFL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_rearm;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("re-armed from a handler on it: rc=%d flags=%s\n", rearm_rc, flags_str(rearm_flags));
    show_current("after the re-arming handler");

    ss.ss_flags = SS_DISABLE;
    sas(&ss, NULL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

int main(void)
{
    guest_line_buffered();
    test_args();
    test_onstack();
    test_inherit();
    test_overflow();
    test_autodisarm();
    return guest_exit();
}
