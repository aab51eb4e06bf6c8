/*
 * sig_mask: signal masks across handlers and sigreturn.
 *
 * sa_mask is blocked during the handler, the signal itself is blocked unless
 * SA_NODEFER, SA_RESETHAND resets the action to SIG_DFL, the mask is restored
 * from uc_sigmask by sigreturn (a handler may edit it), SIGKILL and SIGSTOP
 * can be neither blocked nor caught, rt_sigaction/rt_sigprocmask argument
 * checks, the order pending signals are delivered in when they are unblocked,
 * and sigpending (including the discarding of pending ignored signals).
 */
#include "guest.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static char events[512];
static volatile int nevents;

static void note(const char *s)
{
    size_t n = strlen(events);
    if (n + strlen(s) + 2 < sizeof events) {
        if (n)
            events[n++] = ' ';
        strcpy(events + n, s);
    }
    nevents++;
}

static void clear_events(void)
{
    events[0] = 0;
    nevents = 0;
}

/* The thread's mask straight from the kernel (8 bytes, nothing filtered by the libc). */
static uint64_t kmask(void)
{
    uint64_t w = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &w, 8);
    return w;
}

static void ksetmask(uint64_t w)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &w, NULL, 8);
}

#define BIT(s) (1ULL << ((s) - 1))

static void set_action(int sig, void (*fn)(int), int flags, uint64_t sa_mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s <= 64; s++)
        if (sa_mask & BIT(s))
            sigaddset(&sa.sa_mask, s);
    if (sigaction(sig, &sa, NULL) != 0) {
        printf("FAIL sigaction(%s): %s\n", signal_name(sig), errno_name(errno));
        guest_failures++;
    }
}

/* Print the signals in a mask word by name ("SIGUSR1|SIGTERM", or "none"). */
static const char *mask_str(uint64_t w)
{
    static char buf[512];
    buf[0] = 0;
    for (int s = 1; s <= 64; s++) {
        if (!(w & BIT(s)))
            continue;
        char one[24];
        if (s >= 32)
            snprintf(one, sizeof one, "%d", s);
        else
            snprintf(one, sizeof one, "%s", signal_name(s));
        if (buf[0])
            strcat(buf, "|");
        strcat(buf, one);
    }
    return buf[0] ? buf : "none";
}

/* ------------------------------------------------------------ sa_mask and the signal itself */

static uint64_t inside_mask;
static volatile int depth, reenter;

static void h_usr2(int sig)
{
    (void)sig;
    note("usr2");
}

static void h_usr1_sends_usr2(int sig)
{
    (void)sig;
    inside_mask = kmask();
    note("usr1-begin");
    kill(getpid(), SIGUSR2);
    note("usr1-end");
}

static void h_usr1_reenters(int sig)
{
    (void)sig;
    char b[32];
    int d = ++depth;
    snprintf(b, sizeof b, "begin%d", d);
    note(b);
    if (d == 1) {
        inside_mask = kmask();
        kill(getpid(), SIGUSR1);
    }
    snprintf(b, sizeof b, "end%d", d);
    note(b);
}

static void test_sa_mask(void)
{
    printf("-- sa_mask and SA_NODEFER\n");
    uint64_t before = kmask();
    set_action(SIGUSR2, h_usr2, 0, 0);
    set_action(SIGUSR1, h_usr1_sends_usr2, 0, BIT(SIGUSR2));
    clear_events();
    kill(getpid(), SIGUSR1);
    printf("sa_mask={SIGUSR2}: events: %s\n", events);
    printf("mask inside: %s\n", mask_str(inside_mask & ~before));
    CHECK(kmask() == before, "mask restored after the handler");

    set_action(SIGUSR1, h_usr1_sends_usr2, 0, 0);
    clear_events();
    kill(getpid(), SIGUSR1);
    printf("sa_mask={}: events: %s\n", events);

    set_action(SIGUSR1, h_usr1_reenters, 0, 0);
    clear_events();
    depth = 0;
    kill(getpid(), SIGUSR1);
    printf("without SA_NODEFER: events: %s; mask inside: %s\n", events, mask_str(inside_mask & ~before));

    set_action(SIGUSR1, h_usr1_reenters, SA_NODEFER, 0);
    clear_events();
    depth = 0;
    kill(getpid(), SIGUSR1);
    printf("SA_NODEFER: events: %s; mask inside: %s\n", events, mask_str(inside_mask & ~before));

    /* SA_NODEFER with the signal in sa_mask: sa_mask still applies */
    set_action(SIGUSR1, h_usr1_reenters, SA_NODEFER, BIT(SIGUSR1));
    clear_events();
    depth = 0;
    kill(getpid(), SIGUSR1);
    printf("SA_NODEFER, sa_mask={SIGUSR1}: events: %s; mask inside: %s\n", events,
           mask_str(inside_mask & ~before));
    CHECK(kmask() == before, "mask restored after nested handlers");
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------ SA_RESETHAND */

static void h_count(int sig)
{
    (void)sig;
    inside_mask = kmask();
    note("handled");
}

static void test_resethand(void)
{
    printf("-- SA_RESETHAND\n");
    uint64_t before = kmask();
    set_action(SIGUSR1, h_count, SA_RESETHAND | SA_RESTART, 0);
    clear_events();
    kill(getpid(), SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    printf("after one delivery: events: %s; handler is %s; SA_RESETHAND still set=%d SA_RESTART still set=%d; "
           "mask inside: %s\n",
           events, now.sa_handler == SIG_DFL ? "SIG_DFL" : "still the handler",
           !!(now.sa_flags & SA_RESETHAND), !!(now.sa_flags & SA_RESTART), mask_str(inside_mask & ~before));

    /* the second one takes the default action */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        set_action(SIGUSR1, h_count, SA_RESETHAND, 0);
        clear_events();
        kill(getpid(), SIGUSR1);
        printf("child: first SIGUSR1 handled (%s)\n", events);
        fflush(stdout);
        kill(getpid(), SIGUSR1);
        printf("child: FAIL survived the second SIGUSR1\n");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s\n", status_str(st));

    /* SA_RESETHAND only resets a handler: SIG_IGN stays */
    set_action(SIGUSR2, SIG_IGN, SA_RESETHAND, 0);
    kill(getpid(), SIGUSR2);
    sigaction(SIGUSR2, NULL, &now);
    printf("SIG_IGN with SA_RESETHAND after a signal: %s\n", now.sa_handler == SIG_IGN ? "SIG_IGN" : "changed");
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------ sigreturn restores uc_sigmask */

static void h_edit_uc(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigaddset(&uc->uc_sigmask, SIGTERM); /* becomes the mask after sigreturn */
    sigset_t t;
    sigemptyset(&t);
    sigaddset(&t, SIGHUP);
    sigprocmask(SIG_BLOCK, &t, NULL); /* forgotten at sigreturn */
    note("edited");
}

static void test_sigreturn_mask(void)
{
    printf("-- sigreturn restores uc_sigmask\n");
    uint64_t before = kmask();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_edit_uc;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    clear_events();
    kill(getpid(), SIGUSR1);
    printf("events: %s; mask after - mask before: %s\n", events, mask_str(kmask() & ~before));
    ksetmask(before);

    /* SIGKILL/SIGSTOP put into uc_sigmask are dropped by sigreturn */
    signal(SIGUSR1, SIG_DFL);
}

static void h_edit_uc_kill(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    sigaddset(&uc->uc_sigmask, SIGKILL);
    sigaddset(&uc->uc_sigmask, SIGSTOP);
    sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void test_sigreturn_unblockable(void)
{
    uint64_t before = kmask();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_edit_uc_kill;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("uc_sigmask += SIGKILL|SIGSTOP|SIGUSR2: mask after - before: %s\n", mask_str(kmask() & ~before));
    ksetmask(before);
    signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------ what cannot be blocked or caught */

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void test_unblockable(void)
{
    printf("-- SIGKILL and SIGSTOP\n");
    uint64_t before = kmask();
    uint64_t all = ~0ULL;
    long rc = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
    printf("rt_sigprocmask(SETMASK, ~0): rc=%ld mask now=%#llx\n", rc, (unsigned long long)kmask());
    ksetmask(before);

    sigset_t full, back;
    sigfillset(&full);
    sigprocmask(SIG_SETMASK, &full, NULL);
    sigprocmask(SIG_SETMASK, NULL, &back);
    printf("sigprocmask(sigfillset): SIGKILL member=%d SIGSTOP member=%d SIGUSR1 member=%d SIGRTMAX member=%d\n",
           sigismember(&back, SIGKILL), sigismember(&back, SIGSTOP), sigismember(&back, SIGUSR1),
           sigismember(&back, SIGRTMAX));
    ksetmask(before);

    uint64_t m = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGUSR1);
    rc = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 8);
    printf("rt_sigprocmask(BLOCK, KILL|STOP|USR1): rc=%ld added=%s\n", rc, mask_str(kmask() & ~before));
    ksetmask(before);

    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 3, &m, NULL, 8), EINVAL, "rt_sigprocmask(how=3)");
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, -1, &m, NULL, 8), EINVAL, "rt_sigprocmask(how=-1)");
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 16), EINVAL, "rt_sigprocmask(sigsetsize=16)");
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 4), EINVAL, "rt_sigprocmask(sigsetsize=4)");
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8), EFAULT, "rt_sigprocmask(bad set)");
    rc = syscall(SYS_rt_sigprocmask, 12345, NULL, NULL, 8);
    printf("rt_sigprocmask(how=12345, NULL set): rc=%ld\n", rc);
    CHECK(kmask() == before, "mask unchanged by the failed calls");

    struct k_sigaction ka, old;
    memset(&ka, 0, sizeof ka);
    ka.handler = (void *)h_count;
    int sigs[] = {SIGKILL, SIGSTOP, 0, 65, -1, 64};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        errno = 0;
        rc = syscall(SYS_rt_sigaction, sigs[i], &ka, NULL, 8);
        int e = errno;
        printf("rt_sigaction(%d, handler): %s\n", sigs[i], rc == 0 ? "0" : errno_name(e));
    }
    ka.handler = SIG_IGN;
    errno = 0;
    rc = syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8);
    printf("rt_sigaction(SIGKILL, SIG_IGN): %s\n", rc == 0 ? "0" : errno_name(errno));
    ka.handler = SIG_DFL;
    errno = 0;
    rc = syscall(SYS_rt_sigaction, SIGSTOP, &ka, NULL, 8);
    printf("rt_sigaction(SIGSTOP, SIG_DFL): %s\n", rc == 0 ? "0" : errno_name(errno));
    memset(&old, 0x55, sizeof old);
    rc = syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8);
    printf("rt_sigaction(SIGKILL, NULL, &old): rc=%ld old handler is SIG_DFL=%d flags=%#lx mask=%#llx\n", rc,
           old.handler == SIG_DFL, old.flags, (unsigned long long)old.mask);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 16), EINVAL, "rt_sigaction(sigsetsize=16)");
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8), EFAULT, "rt_sigaction(bad act)");
    EXPECT_ERRNO(sigaction(SIGKILL, &(struct sigaction){.sa_handler = h_count}, NULL), EINVAL,
                 "libc sigaction(SIGKILL)");

    /* the kernel stores sa_mask without SIGKILL/SIGSTOP */
    ka.handler = (void *)h_count;
    ka.flags = 0x04000000; /* SA_RESTORER, so the kernel keeps a (dummy) restorer */
    ka.restorer = (void *)h_count;
    ka.mask = ~0ULL;
    syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8);
    memset(&old, 0, sizeof old);
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
    printf("rt_sigaction(SIGUSR1, mask ~0) reads back mask=%#llx restorer%s\n", (unsigned long long)old.mask,
           old.restorer == (void *)h_count ? "==set" : "!=set");
    signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------ delivery order */

static void h_log_name(int sig)
{
    char b[24];
    if (sig >= 32)
        snprintf(b, sizeof b, "RT%d", sig - SIGRTMIN);
    else
        snprintf(b, sizeof b, "%s", signal_name(sig) + 3);
    note(b);
}

static void test_order(void)
{
    printf("-- delivery order of pending signals\n");
    int sigs[] = {SIGTERM, SIGUSR2, SIGALRM, SIGHUP, SIGUSR1, SIGINT, SIGRTMIN + 2, SIGRTMIN, SIGWINCH};
    int n = sizeof sigs / sizeof sigs[0];
    uint64_t all = 0;
    for (int i = 0; i < n; i++)
        all |= BIT(sigs[i]);
    uint64_t before = kmask();

    /* handlers that block every other signal: they run one after the other, lowest first */
    for (int i = 0; i < n; i++)
        set_action(sigs[i], h_log_name, 0, all);
    ksetmask(before | all);
    for (int i = 0; i < n; i++)
        kill(getpid(), sigs[i]);
    clear_events();
    ksetmask(before);
    printf("sa_mask=all of them: %s\n", events);

    /* handlers that block nothing: each frame is pushed on the previous one before any handler
     * runs, so the handler of the last signal taken (the highest) runs first */
    for (int i = 0; i < n; i++)
        set_action(sigs[i], h_log_name, 0, 0);
    ksetmask(before | all);
    for (int i = 0; i < n; i++)
        kill(getpid(), sigs[i]);
    clear_events();
    ksetmask(before);
    printf("sa_mask=none: %s\n", events);

    /* a synchronous signal (SIGSEGV, even from kill) is taken before lower-numbered ones */
    uint64_t two = BIT(SIGHUP) | BIT(SIGSEGV) | BIT(SIGINT);
    set_action(SIGHUP, h_log_name, 0, two);
    set_action(SIGINT, h_log_name, 0, two);
    set_action(SIGSEGV, h_log_name, 0, two);
    ksetmask(before | two);
    kill(getpid(), SIGINT);
    kill(getpid(), SIGSEGV);
    kill(getpid(), SIGHUP);
    clear_events();
    ksetmask(before);
    printf("SIGINT, SIGSEGV, SIGHUP pending: %s\n", events);

    for (int i = 0; i < n; i++)
        signal(sigs[i], SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
}

/* ------------------------------------------------------------ sigpending */

static uint64_t pending_word(void)
{
    uint64_t w = 0;
    syscall(SYS_rt_sigpending, &w, 8);
    return w;
}

static void test_sigpending(void)
{
    printf("-- sigpending\n");
    uint64_t before = kmask();
    set_action(SIGUSR1, h_count, 0, 0);
    ksetmask(before | BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGCHLD) | BIT(SIGWINCH));
    printf("nothing sent: pending=%s\n", mask_str(pending_word()));
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    sigset_t ps;
    sigpending(&ps);
    printf("SIGUSR1 sent twice: pending=%s libc sigismember=%d\n", mask_str(pending_word()),
           sigismember(&ps, SIGUSR1));

    /* a blocked signal whose action is SIG_IGN is still queued ... */
    signal(SIGUSR2, SIG_IGN);
    kill(getpid(), SIGUSR2);
    printf("blocked and SIG_IGN: pending=%s\n", mask_str(pending_word()));
    /* ... and so is a blocked default-ignore signal */
    kill(getpid(), SIGWINCH);
    printf("blocked SIGWINCH (default ignore): pending=%s\n", mask_str(pending_word()));
    /* setting SIG_IGN (or SIG_DFL of an ignore-by-default signal) discards the pending one */
    signal(SIGUSR1, SIG_IGN);
    printf("SIGUSR1 set to SIG_IGN: pending=%s\n", mask_str(pending_word()));
    signal(SIGWINCH, SIG_DFL);
    printf("SIGWINCH set to SIG_DFL: pending=%s\n", mask_str(pending_word()));
    kill(getpid(), SIGCHLD);
    printf("blocked SIGCHLD: pending=%s\n", mask_str(pending_word()));
    signal(SIGCHLD, SIG_IGN);
    printf("SIGCHLD pending then SIG_IGN: pending=%s\n", mask_str(pending_word()));

    /* unblocking delivers nothing (SIGUSR2 is ignored) and leaves nothing pending */
    signal(SIGUSR1, h_count);
    clear_events();
    ksetmask(before);
    printf("unblocked: events='%s' pending=%s\n", events, mask_str(pending_word()));

    EXPECT_ERRNO(syscall(SYS_rt_sigpending, (void *)8, 8), EFAULT, "rt_sigpending(bad pointer)");
    EXPECT_ERRNO(syscall(SYS_rt_sigpending, &(uint64_t){0}, 16), EINVAL, "rt_sigpending(sigsetsize=16)");
    uint32_t small = 0;
    long rc = syscall(SYS_rt_sigpending, &small, 4);
    printf("rt_sigpending(sigsetsize=4): rc=%ld\n", rc);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
    guest_line_buffered();
    test_sa_mask();
    test_resethand();
    test_sigreturn_mask();
    test_sigreturn_unblockable();
    test_unblockable();
    test_order();
    test_sigpending();
    return guest_exit();
}
