/* Syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH): the argument checks, then a blocked
 * syscall dispatched to the SIGSYS handler (si_code SYS_USER_DISPATCH, si_syscall, si_call_addr just
 * after the syscall instruction, rax back to the syscall's number, the call not run), an allowed one run,
 * the region that is always allowed (its test is on the address after the syscall instruction), and no
 * inheritance across fork or exec. */
#include "guest.h"

#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#define DISPATCH_OFF 0
#define DISPATCH_ON 1
#define SEL_ALLOW 0
#define SEL_BLOCK 1
#define SYS_USER_DISPATCH_CODE 2

static volatile char selector = SEL_ALLOW;
static volatile int got, got_code, got_nr;
static volatile long got_rax;
static volatile uintptr_t got_addr, got_rip;
extern char after_getppid[];

static void on_sigsys(int sig, siginfo_t *si, void *uc_void)
{
    ucontext_t *uc = uc_void;
    selector = SEL_ALLOW; /* rt_sigreturn must not be dispatched itself */
    got = sig;
    got_code = si->si_code;
    got_nr = si->si_syscall;
    got_addr = (uintptr_t)si->si_call_addr;
    got_rax = uc->uc_mcontext.gregs[REG_RAX];
    got_rip = uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RAX] = 4242; /* the emulated result */
}

__attribute__((noinline)) static long raw_getppid(void)
{
    long ret;
    __asm__ volatile("syscall\n after_getppid:" : "=a"(ret) : "0"(SYS_getppid) : "rcx", "r11", "memory");
    return ret;
}

static long sud(long mode, long off, long len, void *sel)
{
    return syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, mode, off, len, sel);
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* after exec: dispatch is off, a syscall just runs */
        printf("%s getppid after exec: %s\n", getppid() > 0 ? "ok" : "FAIL", "runs");
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    EXPECT_ERRNO(sud(DISPATCH_OFF, 1, 0, 0), EINVAL, "OFF with an offset");
    EXPECT_ERRNO(sud(DISPATCH_OFF, 0, 0, (void *)&selector), EINVAL, "OFF with a selector");
    EXPECT_ERRNO(sud(7, 0, 0, 0), EINVAL, "an unknown mode");
    EXPECT_ERRNO(sud(DISPATCH_ON, 0, 0, (void *)0xffffffffffff0000UL), EFAULT, "a kernel selector");
    CHECK(sud(DISPATCH_OFF, 0, 0, 0) == 0, "OFF");

    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);

    CHECK(sud(DISPATCH_ON, 0, 0, (void *)&selector) == 0, "ON with a selector, no allowed region");
    long r = raw_getppid();
    CHECK(got == 0 && r == getppid(), "selector ALLOW: the syscall runs");
    selector = SEL_BLOCK;
    r = raw_getppid();
    CHECK(got == SIGSYS, "selector BLOCK: SIGSYS");
    CHECK(got_code == SYS_USER_DISPATCH_CODE, "si_code SYS_USER_DISPATCH");
    CHECK(got_nr == SYS_getppid, "si_syscall is getppid");
    CHECK(got_addr == (uintptr_t)after_getppid && got_rip == (uintptr_t)after_getppid,
          "si_call_addr and the frame's rip: just after the syscall instruction");
    CHECK(got_rax == SYS_getppid, "the frame's rax is the syscall's number again");
    CHECK(r == 4242, "the handler's result is the syscall's");

    /* the allowed region: syscalls from inside it run whatever the selector says */
    got = 0;
    selector = SEL_ALLOW;
    CHECK(sud(DISPATCH_ON, (long)after_getppid - 2, 4, (void *)&selector) == 0,
          "ON with the getppid instruction as the allowed region");
    selector = SEL_BLOCK;
    r = raw_getppid();
    selector = SEL_ALLOW;
    CHECK(got == 0 && r == getppid(), "a syscall from the allowed region runs");

    /* fork inherits it; exec disarms it */
    pid_t pid = fork();
    if (pid == 0) {
        selector = SEL_BLOCK;
        long rr = raw_getppid();
        selector = SEL_ALLOW;
        printf("%s child: dispatch is not inherited across fork\n", (got == 0 && rr == getppid()) ? "ok" : "FAIL");
        execl("/proc/self/exe", argv[0], "x", (char *)NULL);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exit 0");
    CHECK(sud(DISPATCH_OFF, 0, 0, 0) == 0, "OFF again");
    selector = SEL_BLOCK;
    CHECK(raw_getppid() == getppid(), "off: the selector is not read");
    return guest_exit();
}
