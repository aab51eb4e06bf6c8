/*
 * ptrace_step: single-stepping.
 *
 * A forked tracee (PTRACE_TRACEME) runs instruction sequences written in
 * top-level asm with a label on every instruction; each sequence starts by
 * stopping itself with a raw kill(self, SIGSTOP).  The tracer resumes it with
 * PTRACE_SINGLESTEP and compares rip after every step with the labels'
 * addresses (the tracee is a fork of the tracer: same addresses).  Printed as
 * label names, never addresses.
 *
 * Covers: one instruction per step (a jump, a `syscall`, pushf/popf, each
 * iteration of a rep-prefixed string instruction), the step stop's wait
 * status (0x57f) and siginfo (si_code TRAP_TRACE and si_addr == rip; after
 * stepping over `syscall` si_code is TRAP_BRKPT), the trap flag hidden from
 * the tracer's view of eflags while the tracer owns it, PTRACE_SYSEMU_SINGLESTEP,
 * and the trap flag set by the program itself (pushf/popf, no tracer): each
 * SIGTRAP its handler sees, with si_code and the interrupted rip, until the
 * program clears the flag again.
 *
 * A stepped pushf stores the flags with TF set (the CPU's TF is on); a stepped
 * popf that reloads them leaves TF set, and Linux then treats it as the
 * tracee's own (TF shows in GETREGS, PTRACE_CONT does not clear it, the next
 * instruction traps with TRAP_TRACE).  The guest shows that and clears TF.
 */
#include "guest.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <ucontext.h>

#ifndef PTRACE_SYSEMU_SINGLESTEP
#define PTRACE_SYSEMU_SINGLESTEP 32
#endif
#ifndef TRAP_BRKPT
#define TRAP_BRKPT 1
#endif
#ifndef TRAP_TRACE
#define TRAP_TRACE 2
#endif
#define TF 0x100UL

/*
 * step_seq(pid): stops with SIGSTOP, then runs the labelled instructions and
 * returns getpid's result.  step_rep(pid, dst, src): stops, then copies 3 bytes
 * with rep movsb.  step_emu(pid): stops, then makes a getpid syscall (under
 * PTRACE_SYSEMU_SINGLESTEP: emulated by the tracer) and returns its rax.
 * tf_seq(): sets TF itself, runs two nops, clears TF.
 */
__asm__(".text\n"
        ".globl step_seq\n"
        "step_seq:\n"
        "    push %rbx\n"
        "    mov $62, %eax\n" /* kill(pid, SIGSTOP) */
        "    mov $19, %esi\n"
        "    syscall\n"
        ".globl sl0\n sl0: nop\n"
        ".globl sl1\n sl1: mov $1, %ecx\n"
        ".globl sl2\n sl2: add %ecx, %ecx\n"
        ".globl sl3\n sl3: jmp sl5\n"
        ".globl sl4\n sl4: ud2\n"
        ".globl sl5\n sl5: mov $39, %eax\n" /* getpid */
        ".globl sl6\n sl6: syscall\n"
        ".globl sl7\n sl7: mov %rax, %rbx\n"
        ".globl sl8\n sl8: xchg %rbx, %rdx\n"
        ".globl sl9\n sl9: xchg %rbx, %rdx\n"
        ".globl sl10\n sl10: lea 1(%rbx), %rax\n"
        ".globl sl11\n sl11: dec %rax\n"
        ".globl sl12\n sl12: pop %rbx\n"
        ".globl sl13\n sl13: ret\n"
        ".globl step_flags\n"
        "step_flags:\n"
        "    mov $62, %eax\n"
        "    mov $19, %esi\n"
        "    syscall\n"
        ".globl fl0\n fl0: pushf\n"
        ".globl fl1\n fl1: popf\n"
        ".globl fl2\n fl2: nop\n"
        ".globl fl3\n fl3: nop\n"
        ".globl fl4\n fl4: ret\n"
        ".globl step_rep\n"
        "step_rep:\n"
        "    mov %rsi, %r9\n"
        "    mov %rdx, %r8\n"
        "    mov $62, %eax\n"
        "    mov $19, %esi\n"
        "    syscall\n"
        ".globl rl0\n rl0: mov %r8, %rsi\n"
        ".globl rl1\n rl1: mov %r9, %rdi\n"
        ".globl rl2\n rl2: mov $3, %ecx\n"
        ".globl rl3\n rl3: rep movsb\n"
        ".globl rl4\n rl4: ret\n"
        ".globl step_emu\n"
        "step_emu:\n"
        "    mov $62, %eax\n"
        "    mov $19, %esi\n"
        "    syscall\n"
        ".globl el0\n el0: nop\n"
        ".globl el1\n el1: mov $39, %eax\n"
        ".globl el2\n el2: syscall\n"
        ".globl el3\n el3: nop\n"
        ".globl el4\n el4: nop\n"
        ".globl el5\n el5: ret\n"
        ".globl tf_seq\n"
        "tf_seq:\n"
        "    pushf\n"
        "    orl $0x100, (%rsp)\n"
        ".globl tl0\n tl0: popf\n"
        ".globl tl1\n tl1: nop\n"
        ".globl tl2\n tl2: nop\n"
        ".globl tl3\n tl3: pushf\n"
        ".globl tl4\n tl4: andl $0xfffffeff, (%rsp)\n"
        ".globl tl5\n tl5: popf\n"
        ".globl tl6\n tl6: nop\n"
        ".globl tl7\n tl7: ret\n");

long step_seq(long pid);
void step_flags(long pid);
void step_rep(long pid, char *dst, const char *src);
long step_emu(long pid);
void tf_seq(void);
extern char sl0[], sl1[], sl2[], sl3[], sl4[], sl5[], sl6[], sl7[], sl8[], sl9[], sl10[], sl11[], sl12[], sl13[];
extern char fl0[], fl1[], fl2[], fl3[], fl4[];
extern char rl0[], rl1[], rl2[], rl3[], rl4[];
extern char el0[], el1[], el2[], el3[], el4[], el5[];
extern char tl0[], tl1[], tl2[], tl3[], tl4[], tl5[], tl6[], tl7[];

struct label {
    const char *name;
    const char *addr;
};

static const struct label labels[] = {
    {"sl0", sl0},   {"sl1", sl1},   {"sl2", sl2}, {"sl3", sl3}, {"sl4", sl4}, {"sl5", sl5},
    {"sl6", sl6},   {"sl7", sl7},   {"sl8", sl8}, {"sl9", sl9}, {"sl10", sl10}, {"sl11", sl11},
    {"sl12", sl12}, {"sl13", sl13}, {"fl0", fl0}, {"fl1", fl1}, {"fl2", fl2}, {"fl3", fl3},
    {"fl4", fl4},   {"rl0", rl0}, {"rl1", rl1}, {"rl2", rl2}, {"rl3", rl3}, {"rl4", rl4},
    {"el0", el0},   {"el1", el1},   {"el2", el2}, {"el3", el3}, {"el4", el4}, {"el5", el5},
    {"tl0", tl0},   {"tl1", tl1},   {"tl2", tl2}, {"tl3", tl3}, {"tl4", tl4}, {"tl5", tl5},
    {"tl6", tl6},   {"tl7", tl7},
};

static const char *label_of(uint64_t addr)
{
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if ((uint64_t)(uintptr_t)labels[i].addr == addr)
            return labels[i].name;
    return "(elsewhere)";
}

static const char *trap_code(int code)
{
    static char buf[32];
    switch (code) {
    case TRAP_BRKPT: return "TRAP_BRKPT";
    case TRAP_TRACE: return "TRAP_TRACE";
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SIGTRAP: return "SIGTRAP";
    case SIGTRAP | 0x80: return "SIGTRAP|0x80";
    }
    snprintf(buf, sizeof buf, "code%d", code);
    return buf;
}

/* ------------------------------------------------------------ tracer helpers */

static pid_t tracee;

static void bail(const char *what)
{
    printf("FAIL %s: giving up\n", what);
    kill(tracee, SIGKILL);
    waitpid(tracee, NULL, __WALL);
    guest_failures++;
    exit(guest_exit());
}

static void expect(int want, const char *what)
{
    int st = 0;
    pid_t got = waitpid(tracee, &st, __WALL);
    if (got != tracee || st != want) {
        printf("FAIL %s: want %#x, got %#x (%s)\n", what, want, st, got == tracee ? status_str(st) : "no report");
        bail(what);
    }
}

static void resume(int req, int sig)
{
    if (ptrace(req, tracee, 0, (void *)(long)sig) != 0)
        bail("resume");
}

static struct user_regs_struct regs(void)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tracee, 0, &r) != 0)
        bail("GETREGS");
    return r;
}

/* One PTRACE_SINGLESTEP: print where it stopped, the siginfo and whether TF shows. */
static struct user_regs_struct step(int req, const char *want_label)
{
    resume(req, 0);
    int st = 0;
    if (waitpid(tracee, &st, __WALL) != tracee || !WIFSTOPPED(st))
        bail("step wait");
    struct user_regs_struct r = regs();
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, tracee, 0, &si);
    const char *at = label_of(r.rip);
    int ok = strcmp(at, want_label) == 0;
    if (!ok)
        guest_failures++;
    char extra[64];
    if (si.si_code == SIGTRAP || si.si_code == (SIGTRAP | 0x80)) /* a syscall-stop: si_pid/si_uid */
        snprintf(extra, sizeof extra, "si_pid %s", si.si_pid == tracee ? "== tracee" : "!= tracee");
    else
        snprintf(extra, sizeof extra, "si_addr %s",
                 (uint64_t)(uintptr_t)si.si_addr == r.rip ? "== rip" : si.si_addr ? "!= rip" : "NULL");
    printf("%s step -> %s (want %s): status %#x, si_code %s, %s, TF %s\n", ok ? "ok" : "FAIL", at, want_label,
           st, trap_code(si.si_code), extra, r.eflags & TF ? "visible" : "hidden");
    return r;
}

/* ------------------------------------------------------------ the tracee */

static char rep_dst[4];
static const char rep_src[4] = "xyz";

static void tracee_main(void)
{
    guest_failures = 0;
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) {
        printf("FAIL PTRACE_TRACEME: %s\n", errno_name(errno));
        guest_failures++;
        guest_child_exit();
    }
    long pid = getpid();
    long r = step_seq(pid);
    CHECK(r == pid, "tracee: the stepped sequence returned getpid's result");
    step_flags(pid);
    step_rep(pid, rep_dst, rep_src);
    CHECK(memcmp(rep_dst, "xyz", 3) == 0, "tracee: the stepped rep movsb copied 3 bytes");
    r = step_emu(pid);
    CHECK(r == 4242, "tracee: the emulated getpid returned the tracer's 4242");
    guest_child_exit();
}

static void tracer_main(void)
{
    struct user_regs_struct r;

    printf("-- PTRACE_SINGLESTEP\n");
    expect(0x137f, "SIGSTOP");
    r = regs();
    CHECK(strcmp(label_of(r.rip), "sl0") == 0, "signal-delivery-stop at sl0 (after the kill syscall)");
    step(PTRACE_SINGLESTEP, "sl1");
    step(PTRACE_SINGLESTEP, "sl2");
    step(PTRACE_SINGLESTEP, "sl3");
    r = step(PTRACE_SINGLESTEP, "sl5");
    CHECK_EQ(r.rcx, 2, "rcx == 2 after mov/add");
    step(PTRACE_SINGLESTEP, "sl6");
    printf("stepping over syscall:\n");
    r = step(PTRACE_SINGLESTEP, "sl7");
    CHECK(r.rax == (unsigned long)tracee && r.orig_rax == SYS_getpid, "after the syscall: rax == pid, orig_rax == getpid");
    step(PTRACE_SINGLESTEP, "sl8");
    step(PTRACE_SINGLESTEP, "sl9");
    step(PTRACE_SINGLESTEP, "sl10");
    step(PTRACE_SINGLESTEP, "sl11");
    r = step(PTRACE_SINGLESTEP, "sl12");
    CHECK_EQ(r.rax, tracee, "rax == pid after lea/dec");
    step(PTRACE_SINGLESTEP, "sl13");
    resume(PTRACE_CONT, 0);

    expect(0x137f, "SIGSTOP");
    printf("-- PTRACE_SINGLESTEP over pushf; popf\n");
    r = step(PTRACE_SINGLESTEP, "fl1");
    errno = 0;
    long pushed = ptrace(PTRACE_PEEKDATA, tracee, (void *)r.rsp, 0);
    CHECK(errno == 0, "PEEKDATA the word pushf stored");
    printf("the flags a stepped pushf stored: TF %s\n", pushed & TF ? "set" : "clear");
    r = step(PTRACE_SINGLESTEP, "fl2");
    /* The popf reloaded the stored TF: Linux now counts TF as the tracee's own
     * (it does not mark a TF that a stepped popf/iret sets as its own), so it
     * survives PTRACE_CONT and traps after the next instruction. */
    resume(PTRACE_CONT, 0);
    int st = 0;
    if (waitpid(tracee, &st, __WALL) != tracee)
        bail("wait after pushf/popf");
    r = regs();
    siginfo_t si;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GETSIGINFO, tracee, 0, &si);
    printf("after PTRACE_CONT: %s (%#x) at %s, si_code %s, TF %s\n", status_str(st), st, label_of(r.rip),
           trap_code(si.si_code), r.eflags & TF ? "visible" : "hidden");
    if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP) {
        r.eflags &= ~TF;
        if (ptrace(PTRACE_SETREGS, tracee, 0, &r) != 0)
            bail("SETREGS");
        resume(PTRACE_CONT, 0);
        expect(0x137f, "SIGSTOP");
    } else if (!(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP)) {
        bail("after pushf/popf");
    }
    printf("-- PTRACE_SINGLESTEP over rep movsb (rcx = 3)\n");
    step(PTRACE_SINGLESTEP, "rl1");
    step(PTRACE_SINGLESTEP, "rl2");
    step(PTRACE_SINGLESTEP, "rl3");
    for (int i = 0; i < 4; i++) {
        r = step(PTRACE_SINGLESTEP, i < 2 ? "rl3" : "rl4");
        printf("  rcx == %lu\n", (unsigned long)r.rcx);
        if (r.rip == (uint64_t)(uintptr_t)rl4)
            break;
    }
    resume(PTRACE_CONT, 0);

    expect(0x137f, "SIGSTOP");
    printf("-- PTRACE_SYSEMU_SINGLESTEP\n");
    step(PTRACE_SYSEMU_SINGLESTEP, "el1");
    step(PTRACE_SYSEMU_SINGLESTEP, "el2");
    printf("at the syscall instruction:\n");
    r = step(PTRACE_SYSEMU_SINGLESTEP, "el3");
    CHECK(r.orig_rax == SYS_getpid && (long)r.rax == -ENOSYS, "emulated syscall: orig_rax getpid, rax -ENOSYS");
    r.rax = 4242;
    if (ptrace(PTRACE_SETREGS, tracee, 0, &r) != 0)
        bail("SETREGS");
    step(PTRACE_SYSEMU_SINGLESTEP, "el4");
    step(PTRACE_SYSEMU_SINGLESTEP, "el5");
    resume(PTRACE_CONT, 0);

    st = 0;
    CHECK(waitpid(tracee, &st, __WALL) == tracee, "tracee reaped");
    printf("tracee: %s\n", status_str(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        guest_failures++;
}

/* ------------------------------------------------------------ TF without a tracer */

#define MAX_TRAPS 16
static volatile int ntraps;
static uint64_t trap_rip[MAX_TRAPS], trap_addr[MAX_TRAPS], trap_efl[MAX_TRAPS];
static int trap_code_seen[MAX_TRAPS];

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    int i = ntraps;
    (void)sig;
    if (i < MAX_TRAPS) {
        trap_rip[i] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        trap_addr[i] = (uint64_t)(uintptr_t)si->si_addr;
        trap_efl[i] = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
        trap_code_seen[i] = si->si_code;
    }
    ntraps = i + 1;
    if (i + 1 >= MAX_TRAPS) /* a runaway: stop stepping */
        uc->uc_mcontext.gregs[REG_EFL] &= ~TF;
}

static void self_tf(void)
{
    printf("-- TF set by the program itself (no tracer)\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGTRAP, &sa, NULL) == 0, "sigaction SIGTRAP");
    tf_seq();
    int n = ntraps;
    printf("%d SIGTRAPs\n", n);
    for (int i = 0; i < n && i < MAX_TRAPS; i++)
        printf("  trap %d: rip %s, si_code %s, si_addr %s, TF in the saved flags %s\n", i, label_of(trap_rip[i]),
               trap_code(trap_code_seen[i]), trap_addr[i] == trap_rip[i] ? "== rip" : trap_addr[i] ? "!= rip" : "NULL",
               trap_efl[i] & TF ? "set" : "clear");
    unsigned long flags;
    __asm__ volatile("pushf\n pop %0" : "=r"(flags));
    CHECK(!(flags & TF), "TF clear afterwards");
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    sigaction(SIGTRAP, &sa, NULL);
}

int main(void)
{
    guest_line_buffered();
    self_tf();
    tracee = guest_fork();
    if (tracee == 0) {
        tracee_main();
        return 0;
    }
    alarm(60);
    tracer_main();
    return guest_exit();
}
