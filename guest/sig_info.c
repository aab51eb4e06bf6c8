/*
 * sig_info: what a signal handler sees -- the siginfo fields and the ucontext.
 *
 * Handlers with and without SA_SIGINFO; siginfo for kill (SI_USER), tkill and
 * tgkill (SI_TKILL), sigqueue (SI_QUEUE with an int and a pointer value),
 * SIGCHLD (CLD_EXITED, CLD_KILLED, CLD_DUMPED with si_status), faults (si_addr
 * of SIGSEGV SEGV_MAPERR/SEGV_ACCERR, SIGFPE FPE_INTDIV at the faulting
 * instruction) and timers (SI_TIMER, si_value, si_overrun).  The ucontext:
 * gregs[REG_RIP] of a fault, uc_sigmask (the mask before the handler) and
 * uc_stack (the sigaltstack state).
 *
 * Everything is printed as a relation (si_pid == child, si_addr == the page
 * that was written), never as a raw pid or address.
 */
#include "guest.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Faulting instructions at known addresses (top-level asm: no duplicate labels). */
__asm__(".text\n"
        ".globl si_store\n"
        "si_store:\n"
        ".globl si_store_insn\n"
        "si_store_insn:\n"
        "    movl $1, (%rdi)\n"
        "    ret\n"
        ".globl si_divide\n"
        "si_divide:\n"
        "    movl $1, %eax\n"
        "    xorl %edx, %edx\n"
        ".globl si_divide_insn\n"
        "si_divide_insn:\n"
        "    divl %edi\n"
        "    ret\n");
void si_store(void *p);
int si_divide(unsigned d);
extern char si_store_insn[], si_divide_insn[];

static const char *code_name(int sig, int code)
{
    static char buf[32];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    case SI_MESGQ: return "SI_MESGQ";
    case SI_ASYNCIO: return "SI_ASYNCIO";
    case SI_SIGIO: return "SI_SIGIO";
    case SI_TKILL: return "SI_TKILL";
    }
    if (sig == SIGCHLD) {
        switch (code) {
        case CLD_EXITED: return "CLD_EXITED";
        case CLD_KILLED: return "CLD_KILLED";
        case CLD_DUMPED: return "CLD_DUMPED";
        case CLD_TRAPPED: return "CLD_TRAPPED";
        case CLD_STOPPED: return "CLD_STOPPED";
        case CLD_CONTINUED: return "CLD_CONTINUED";
        }
    } else if (sig == SIGSEGV) {
        switch (code) {
        case SEGV_MAPERR: return "SEGV_MAPERR";
        case SEGV_ACCERR: return "SEGV_ACCERR";
        }
    } else if (sig == SIGFPE) {
        switch (code) {
        case FPE_INTDIV: return "FPE_INTDIV";
        case FPE_INTOVF: return "FPE_INTOVF";
        }
    }
    snprintf(buf, sizeof buf, "code%d", code);
    return buf;
}

/* ------------------------------------------------------------ the recording handler */

static siginfo_t got_info;
static volatile sig_atomic_t got_count;
static volatile int got_sig_plain;
static uint64_t got_rip, got_ucmask, got_mask_inside, got_trapno, got_err, got_cr2;
static stack_t got_ucstack;
static volatile uintptr_t got_local; /* the address of a local in the handler: which stack it ran on */
static sigjmp_buf fault_jmp;
static volatile int longjmp_on_fault;

static uint64_t mask_word(const sigset_t *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

static uint64_t current_mask(void)
{
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return mask_word(&s);
}

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    char here;
    got_local = (uintptr_t)&here;
    got_info = *si;
    got_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    got_trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    got_err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
    got_cr2 = (uint64_t)uc->uc_mcontext.gregs[REG_CR2];
    got_ucmask = mask_word(&uc->uc_sigmask);
    got_ucstack = uc->uc_stack;
    got_mask_inside = current_mask();
    got_count++;
    (void)sig;
    if (longjmp_on_fault) {
        longjmp_on_fault = 0;
        siglongjmp(fault_jmp, 1);
    }
}

static void plain_handler(int sig)
{
    got_sig_plain = sig;
    got_count++;
}

static void install(int sig, int siginfo, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (siginfo) {
        sa.sa_sigaction = info_handler;
        sa.sa_flags = SA_SIGINFO | flags;
    } else {
        sa.sa_handler = plain_handler;
        sa.sa_flags = flags;
    }
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("FAIL sigaction %s: %s\n", signal_name(sig), errno_name(errno));
}

static void reset_got(void)
{
    memset(&got_info, 0, sizeof got_info);
    got_count = 0;
    got_sig_plain = 0;
}

/* Print the common siginfo fields of a signal sent by this process. */
static void show_sender(const char *what, int want_sig)
{
    printf("%s: count=%d signo=%s code=%s errno=%d pid%s uid%s\n", what, (int)got_count,
           signal_name(got_info.si_signo), code_name(got_info.si_signo, got_info.si_code),
           got_info.si_errno, got_info.si_pid == getpid() ? "==self" : "!=self",
           got_info.si_uid == getuid() ? "==uid" : "!=uid");
    CHECK(got_info.si_signo == want_sig, "%s: si_signo", what);
}

/* ------------------------------------------------------------ senders */

static void test_senders(void)
{
    printf("-- senders\n");
    install(SIGUSR1, 1, 0);

    reset_got();
    kill(getpid(), SIGUSR1);
    show_sender("kill", SIGUSR1);

    reset_got();
    syscall(SYS_tkill, (long)syscall(SYS_gettid), SIGUSR1);
    show_sender("tkill", SIGUSR1);

    reset_got();
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), SIGUSR1);
    show_sender("tgkill", SIGUSR1);

    reset_got();
    union sigval v;
    v.sival_int = 42;
    sigqueue(getpid(), SIGUSR1, v);
    show_sender("sigqueue int", SIGUSR1);
    printf("sigqueue int: si_value.sival_int=%d si_int=%d\n", got_info.si_value.sival_int, got_info.si_int);

    static int target;
    reset_got();
    v.sival_ptr = &target;
    sigqueue(getpid(), SIGUSR1, v);
    show_sender("sigqueue ptr", SIGUSR1);
    printf("sigqueue ptr: si_value.sival_ptr %s si_ptr %s\n",
           got_info.si_value.sival_ptr == (void *)&target ? "==&target" : "!=&target",
           got_info.si_ptr == (void *)&target ? "==&target" : "!=&target");

    /* a real-time signal through sigqueue carries the value the same way */
    install(SIGRTMIN + 3, 1, 0);
    reset_got();
    v.sival_int = -7;
    sigqueue(getpid(), SIGRTMIN + 3, v);
    printf("sigqueue SIGRTMIN+3: count=%d signo==SIGRTMIN+3:%d code=%s value=%d\n", (int)got_count,
           got_info.si_signo == SIGRTMIN + 3, code_name(got_info.si_signo, got_info.si_code),
           got_info.si_value.sival_int);

    /* rt_sigqueueinfo may not forge SI_USER/SI_KERNEL codes for another process, but may for itself */
    siginfo_t forged;
    memset(&forged, 0, sizeof forged);
    forged.si_signo = SIGUSR1;
    forged.si_code = -10; /* some negative code */
    forged.si_pid = 12345;
    forged.si_uid = 777;
    forged.si_value.sival_int = 99;
    reset_got();
    long rc = syscall(SYS_rt_sigqueueinfo, (long)getpid(), SIGUSR1, &forged);
    printf("rt_sigqueueinfo(self, code -10): rc=%ld count=%d code=%d pid=%d uid=%d value=%d\n", rc,
           (int)got_count, got_info.si_code, got_info.si_pid, (int)got_info.si_uid,
           got_info.si_value.sival_int);

    /* a handler without SA_SIGINFO gets the signal number */
    install(SIGUSR2, 0, 0);
    reset_got();
    kill(getpid(), SIGUSR2);
    printf("plain handler: count=%d sig=%s\n", (int)got_count, signal_name(got_sig_plain));
    reset_got();
    raise(SIGUSR2);
    printf("plain handler via raise: count=%d sig=%s\n", (int)got_count, signal_name(got_sig_plain));
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------ SIGCHLD */

/* Wait until the child is a zombie without reaping it: then its SIGCHLD is pending. */
static void await_zombie(pid_t pid)
{
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR)
        ;
}

static void take_sigchld(const char *what, pid_t pid)
{
    sigset_t none;
    sigemptyset(&none);
    reset_got();
    await_zombie(pid);
    int rc = sigsuspend(&none); /* SIGCHLD is pending: the handler runs at once */
    int e = errno;
    int st = -1;
    waitpid(pid, &st, 0);
    printf("%s: sigsuspend=%d %s count=%d signo=%s code=%s pid%s uid%s; wait: %s%s\n", what,
           rc, errno_name(e), (int)got_count, signal_name(got_info.si_signo),
           code_name(SIGCHLD, got_info.si_code), got_info.si_pid == pid ? "==child" : "!=child", got_info.si_uid == getuid() ? "==uid" : "!=uid",
           status_str(st), WIFSIGNALED(st) && WCOREDUMP(st) ? " (core)" : "");
    if (got_info.si_code == CLD_EXITED)
        printf("%s: si_status=%d\n", what, got_info.si_status);
    else
        printf("%s: si_status=%s\n", what, signal_name(got_info.si_status));
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", path, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static void test_sigchld(void)
{
    printf("-- SIGCHLD\n");
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    install(SIGCHLD, 1, 0);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    take_sigchld("exit(7)", pid);

    int p2c[2];
    pipe(p2c);
    pid = fork();
    if (pid == 0) {
        char c;
        read(p2c[0], &c, 1); /* blocks until killed */
        _exit(0);
    }
    kill(pid, SIGKILL);
    take_sigchld("SIGKILL", pid);
    close(p2c[0]);
    close(p2c[1]);

    /* SIGQUIT's default action dumps core; with RLIMIT_CORE 0 nothing is dumped: CLD_KILLED */
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        signal(SIGQUIT, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        raise(SIGQUIT);
        _exit(1);
    }
    take_sigchld("SIGQUIT, RLIMIT_CORE 0", pid);

    /* with RLIMIT_CORE raised the dump happens (in a scratch directory): CLD_DUMPED */
    char dir[] = "/tmp/sig_info_core.XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: %s\n", errno_name(errno));
        guest_failures++;
    } else {
        pid = fork();
        if (pid == 0) {
            /* raise the soft limit to the hard one (the harness keeps the host's hard limit) */
            struct rlimit rl;
            getrlimit(RLIMIT_CORE, &rl);
            rl.rlim_cur = rl.rlim_max;
            if (chdir(dir) != 0 || setrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur == 0)
                _exit(99);
            signal(SIGQUIT, SIG_DFL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            raise(SIGQUIT);
            _exit(1);
        }
        take_sigchld("SIGQUIT, RLIMIT_CORE raised", pid);
        remove_dir(dir);
    }

    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ------------------------------------------------------------ faults */

static void test_faults(void)
{
    printf("-- faults\n");
    install(SIGSEGV, 1, 0);
    install(SIGFPE, 1, 0);
    long pg = sysconf(_SC_PAGESIZE);

    /* SEGV_MAPERR: a page that was unmapped */
    char *gone = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, (size_t)pg);
    reset_got();
    longjmp_on_fault = 1;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        si_store(gone + 8);
        printf("FAIL no fault writing an unmapped page\n");
        guest_failures++;
    }
    printf("unmapped write: count=%d signo=%s code=%s errno=%d si_addr%s rip%s trapno=%llu err=%#llx cr2%s\n",
           (int)got_count, signal_name(got_info.si_signo), code_name(SIGSEGV, got_info.si_code),
           got_info.si_errno, got_info.si_addr == gone + 8 ? "==addr" : "!=addr",
           got_rip == (uint64_t)si_store_insn ? "==insn" : "!=insn", (unsigned long long)got_trapno,
           (unsigned long long)got_err, got_cr2 == (uint64_t)(gone + 8) ? "==addr" : "!=addr");

    /* SEGV_ACCERR: a read-only page */
    char *ro = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read-only page reads %d\n", *(volatile char *)(ro + 100)); /* present now: err has PF_PROT */
    reset_got();
    longjmp_on_fault = 1;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        si_store(ro + 100);
        printf("FAIL no fault writing a read-only page\n");
        guest_failures++;
    }
    printf("read-only write: count=%d signo=%s code=%s si_addr%s rip%s trapno=%llu err=%#llx cr2%s\n",
           (int)got_count, signal_name(got_info.si_signo), code_name(SIGSEGV, got_info.si_code),
           got_info.si_addr == ro + 100 ? "==addr" : "!=addr",
           got_rip == (uint64_t)si_store_insn ? "==insn" : "!=insn", (unsigned long long)got_trapno,
           (unsigned long long)got_err, got_cr2 == (uint64_t)(ro + 100) ? "==addr" : "!=addr");
    munmap(ro, (size_t)pg);

    /* the mask inside a fault handler, and restored by siglongjmp(.., 1) */
    CHECK(got_mask_inside & (1ULL << (SIGSEGV - 1)), "SIGSEGV blocked inside its handler");
    CHECK(!(current_mask() & (1ULL << (SIGSEGV - 1))), "SIGSEGV unblocked after siglongjmp");

    /* FPE_INTDIV: si_addr is the divide instruction */
    reset_got();
    longjmp_on_fault = 1;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        si_divide(0);
        printf("FAIL no fault dividing by zero\n");
        guest_failures++;
    }
    printf("divide by zero: count=%d signo=%s code=%s si_addr%s rip%s trapno=%llu err=%#llx\n",
           (int)got_count, signal_name(got_info.si_signo), code_name(SIGFPE, got_info.si_code),
           got_info.si_addr == (void *)si_divide_insn ? "==insn" : "!=insn",
           got_rip == (uint64_t)si_divide_insn ? "==insn" : "!=insn", (unsigned long long)got_trapno,
           (unsigned long long)got_err);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
}

/* ------------------------------------------------------------ timers */

static void test_timers(void)
{
    printf("-- timers\n");
    int sig = SIGRTMIN + 1;
    install(sig, 1, 0);
    sigset_t set, old, none;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &set, &old);

    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = sig;
    sev.sigev_value.sival_int = 77;
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "timer_create");

    /* one shot, 1 ms */
    struct itimerspec its = {{0, 0}, {0, 1000000}};
    timer_settime(t, 0, &its, NULL);
    reset_got();
    while (!got_count)
        sigsuspend(&none);
    printf("one-shot: count=%d signo==SIGRTMIN+1:%d code=%s value=%d overrun=%d timerid%s\n", (int)got_count,
           got_info.si_signo == sig, code_name(sig, got_info.si_code), got_info.si_value.sival_int,
           got_info.si_overrun, got_info.si_timerid == (int)(intptr_t)t ? "==timer" : "!=timer");

    /*
     * periodic, blocked across three expirations: one signal, overrun 2.  The timer
     * is armed at an absolute time and the guest sleeps to the middle of the third
     * interval; a host too slow to unblock within that interval is detected with the
     * clock and the trial repeated (never shown), so the transcript is fixed.
     */
    const long long period = 25000000; /* 25 ms */
    int trials = 0, done = 0;
    while (!done && trials++ < 50) {
        siginfo_t drop;
        struct timespec zero = {0, 0};
        while (sigtimedwait(&set, &drop, &zero) > 0)
            ;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long first = now.tv_sec * 1000000000LL + now.tv_nsec + period;
        struct itimerspec per = {{0, period}, {(time_t)(first / 1000000000), (long)(first % 1000000000)}};
        timer_settime(t, TIMER_ABSTIME, &per, NULL);
        long long mid = first + 2 * period + period / 2;
        struct timespec until = {(time_t)(mid / 1000000000), (long)(mid % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
            ;
        reset_got();
        sigprocmask(SIG_SETMASK, &none, NULL); /* delivered here */
        sigprocmask(SIG_BLOCK, &set, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        struct itimerspec off = {{0, 0}, {0, 0}};
        timer_settime(t, 0, &off, NULL);
        done = now.tv_sec * 1000000000LL + now.tv_nsec < first + 3 * period; /* else: too slow, again */
    }
    printf("periodic, 3 expirations while blocked: count=%d code=%s value=%d overrun=%d\n", (int)got_count,
           code_name(sig, got_info.si_code), got_info.si_value.sival_int, got_info.si_overrun);
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &off, NULL);
    timer_delete(t);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(sig, SIG_DFL);
}

/* ------------------------------------------------------------ ucontext */

static void test_ucontext(void)
{
    printf("-- ucontext\n");
    /* uc_sigmask is the mask before the handler; inside, sa_mask and the signal are added */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t m, old;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGRTMIN + 5);
    sigprocmask(SIG_BLOCK, &m, &old);
    uint64_t before = current_mask();
    reset_got();
    kill(getpid(), SIGUSR1);
    uint64_t bit = 1;
    CHECK_EQ(got_count, 1, "handler ran");
    CHECK(got_ucmask == before, "uc_sigmask == the mask before the handler");
    CHECK(got_mask_inside == (before | bit << (SIGUSR1 - 1) | bit << (SIGINT - 1)),
          "mask inside == before | SIGUSR1 | sa_mask(SIGINT)");
    CHECK(current_mask() == before, "mask restored after the handler");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* uc_stack without a sigaltstack */
    printf("no altstack: uc_stack.ss_flags=%#x ss_sp%s ss_size=%zu\n", got_ucstack.ss_flags,
           got_ucstack.ss_sp ? "!=NULL" : "==NULL", got_ucstack.ss_size);

    /* with one, but a handler without SA_ONSTACK */
    static char altstack[65536] __attribute__((aligned(16)));
    stack_t ss = {.ss_sp = altstack, .ss_flags = 0, .ss_size = sizeof altstack};
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    reset_got();
    kill(getpid(), SIGUSR1);
    int on_alt = got_local >= (uintptr_t)altstack && got_local < (uintptr_t)altstack + sizeof altstack;
    printf("altstack, no SA_ONSTACK: ss_flags=%#x ss_sp%s ss_size%s handler on altstack=%d\n",
           got_ucstack.ss_flags, got_ucstack.ss_sp == altstack ? "==altstack" : "!=altstack",
           got_ucstack.ss_size == sizeof altstack ? "==size" : "!=size", on_alt);

    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    reset_got();
    kill(getpid(), SIGUSR1);
    on_alt = got_local >= (uintptr_t)altstack && got_local < (uintptr_t)altstack + sizeof altstack;
    printf("altstack, SA_ONSTACK: ss_flags=%#x ss_sp%s ss_size%s handler on altstack=%d\n",
           got_ucstack.ss_flags, got_ucstack.ss_sp == altstack ? "==altstack" : "!=altstack",
           got_ucstack.ss_size == sizeof altstack ? "==size" : "!=size", on_alt);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("after the handler: sigaltstack ss_flags=%#x\n", cur.ss_flags);

    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    reset_got();
    kill(getpid(), SIGUSR1);
    printf("altstack disabled: uc_stack.ss_flags=%#x\n", got_ucstack.ss_flags);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    guest_line_buffered();
    test_senders();
    test_sigchld();
    test_faults();
    test_timers();
    test_ucontext();
    return guest_exit();
}
