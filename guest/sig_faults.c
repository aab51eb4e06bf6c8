/*
 * sig_faults: hardware faults turned into signals.
 *
 * SIGSEGV (a NULL write, a write to a PROT_READ page), SIGFPE (integer divide
 * by zero and INT_MIN / -1), SIGILL (ud2), SIGBUS (past the end of a file
 * mapping), SIGTRAP (int3): each caught, its siginfo and interrupted RIP
 * checked, and recovered with siglongjmp -- or by editing the ucontext (skip
 * the instruction, set a register) and returning.  A fault while its signal
 * is blocked or ignored, or inside its own handler, kills the process; a
 * kill() of a blocked SIGSEGV merely stays pending.
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Faulting instructions at known addresses. */
__asm__(".text\n"
        ".globl f_store\n"
        "f_store:\n"
        ".globl f_store_insn\n"
        "f_store_insn:\n"
        "    movl $1, (%rdi)\n"
        ".globl f_store_end\n"
        "f_store_end:\n"
        "    ret\n"
        ".globl f_load\n"
        "f_load:\n"
        ".globl f_load_insn\n"
        "f_load_insn:\n"
        "    movzbl (%rdi), %eax\n"
        "    ret\n"
        ".globl f_div\n"
        "f_div:\n"
        "    movl %edi, %eax\n"
        "    cltd\n"
        ".globl f_div_insn\n"
        "f_div_insn:\n"
        "    idivl %esi\n"
        "    ret\n"
        ".globl f_ud2\n"
        "f_ud2:\n"
        "    movl $7, %eax\n"
        ".globl f_ud2_insn\n"
        "f_ud2_insn:\n"
        "    ud2\n"
        ".globl f_ud2_end\n"
        "f_ud2_end:\n"
        "    ret\n"
        ".globl f_int3\n"
        "f_int3:\n"
        "    movl $5, %eax\n"
        ".globl f_int3_insn\n"
        "f_int3_insn:\n"
        "    int3\n"
        ".globl f_int3_end\n"
        "f_int3_end:\n"
        "    addl $1, %eax\n"
        "    ret\n");
void f_store(void *p);
int f_load(const void *p);
int f_div(int a, int b);
int f_ud2(void);
int f_int3(void);
extern char f_store_insn[], f_store_end[], f_load_insn[], f_div_insn[], f_ud2_insn[], f_ud2_end[];
extern char f_int3_insn[], f_int3_end[];

static sigjmp_buf jb;
static volatile int jump; /* 1: siglongjmp out of the handler; 0: return */
static volatile int caught_sig, caught_code, caught_errno;
static void *volatile caught_addr;
static volatile uint64_t caught_rip;
/* when returning: the RIP to resume at and a value for RAX */
static volatile uint64_t resume_rip, resume_rax;

static void h_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    caught_sig = sig;
    caught_code = si->si_code;
    caught_errno = si->si_errno;
    caught_addr = si->si_addr;
    caught_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    if (jump)
        siglongjmp(jb, 1);
    if (resume_rip) {
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
        uc->uc_mcontext.gregs[REG_RAX] = (greg_t)resume_rax;
    }
}

static void install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static const char *code_str(int sig, int code)
{
    static char buf[24];
    if (code == SI_KERNEL)
        return "SI_KERNEL";
    if (code == SI_USER)
        return "SI_USER";
    switch (sig) {
    case SIGSEGV:
        if (code == SEGV_MAPERR) return "SEGV_MAPERR";
        if (code == SEGV_ACCERR) return "SEGV_ACCERR";
        break;
    case SIGFPE:
        if (code == FPE_INTDIV) return "FPE_INTDIV";
        if (code == FPE_INTOVF) return "FPE_INTOVF";
        break;
    case SIGILL:
        if (code == ILL_ILLOPN) return "ILL_ILLOPN";
        if (code == ILL_ILLOPC) return "ILL_ILLOPC";
        break;
    case SIGBUS:
        if (code == BUS_ADRERR) return "BUS_ADRERR";
        if (code == BUS_ADRALN) return "BUS_ADRALN";
        if (code == BUS_OBJERR) return "BUS_OBJERR";
        break;
    case SIGTRAP:
        if (code == TRAP_BRKPT) return "TRAP_BRKPT";
        if (code == TRAP_TRACE) return "TRAP_TRACE";
        break;
    }
    snprintf(buf, sizeof buf, "code%d", code);
    return buf;
}

static void reset(void)
{
    caught_sig = caught_code = caught_errno = 0;
    caught_addr = (void *)-1;
    caught_rip = 0;
    resume_rip = resume_rax = 0;
}

static void show(const char *what, const void *want_addr, const void *want_rip)
{
    printf("%s: %s %s errno=%d si_addr %s rip %s\n", what, caught_sig ? signal_name(caught_sig) : "no signal",
           code_str(caught_sig, caught_code), caught_errno,
           caught_addr == want_addr ? "== expected" : caught_addr == NULL ? "== NULL (unexpected)" : "!= expected",
           caught_rip == (uint64_t)want_rip ? "== expected" : "!= expected");
}

#define TRY(stmt)                         \
    do {                                  \
        jump = 1;                         \
        if (sigsetjmp(jb, 1) == 0) {      \
            stmt;                         \
            printf("FAIL no signal\n");  \
            guest_failures++;             \
        }                                 \
        jump = 0;                         \
    } while (0)

static void test_segv(void)
{
    printf("-- SIGSEGV\n");
    install(SIGSEGV);
    reset();
    TRY(f_store(NULL));
    show("write to NULL", NULL, f_store_insn);

    reset();
    TRY(f_load((char *)NULL + 4096 * 3 + 5));
    show("read from page 3", (char *)NULL + 4096 * 3 + 5, f_load_insn);

    long pg = sysconf(_SC_PAGESIZE);
    char *ro = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    reset();
    TRY(f_store(ro + 12));
    show("write to a PROT_READ page", ro + 12, f_store_insn);
    char *none = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    reset();
    TRY(f_load(none + 1));
    show("read from a PROT_NONE page", none + 1, f_load_insn);

    /* recover by skipping the instruction: the handler moves RIP past the store */
    reset();
    resume_rip = (uint64_t)f_store_end;
    f_store(ro + 16);
    printf("write skipped by the handler: %s, resumed after it\n", signal_name(caught_sig));
    munmap(ro, (size_t)pg);
    munmap(none, (size_t)pg);
    signal(SIGSEGV, SIG_DFL);
}

static void test_fpe(void)
{
    printf("-- SIGFPE\n");
    install(SIGFPE);
    reset();
    volatile int zero = 0;
    TRY(f_div(10, zero));
    show("10 / 0", f_div_insn, f_div_insn);
    signal(SIGFPE, SIG_DFL);
}

static void test_ill_trap(void)
{
    printf("-- SIGILL and SIGTRAP\n");
    install(SIGILL);
    reset();
    TRY(f_ud2());
    show("ud2", f_ud2_insn, f_ud2_insn);
    /* skip the ud2 and make the function return 42 */
    reset();
    resume_rip = (uint64_t)f_ud2_end;
    resume_rax = 42;
    int r = f_ud2();
    printf("ud2 skipped by the handler: %s, function returned %d\n", signal_name(caught_sig), r);
    signal(SIGILL, SIG_DFL);

    install(SIGTRAP);
    reset();
    TRY(f_int3());
    printf("int3: %s %s rip %s si_addr==0: %d\n", signal_name(caught_sig), code_str(caught_sig, caught_code),
           caught_rip == (uint64_t)f_int3_end ? "== after the int3" : caught_rip == (uint64_t)f_int3_insn
                                                                     ? "== the int3" : "elsewhere",
           caught_addr == NULL);
    reset();
    r = f_int3(); /* the handler returns: execution continues after the int3 */
    printf("int3 with a returning handler: %s, function returned %d\n", signal_name(caught_sig), r);
    signal(SIGTRAP, SIG_DFL);
}

static void test_bus(void)
{
    printf("-- SIGBUS\n");
    char path[] = "/tmp/sig_faults.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        printf("FAIL mkstemp: %s\n", errno_name(errno));
        guest_failures++;
        return;
    }
    unlink(path);
    write(fd, "0123456789", 10); /* a 10-byte file */
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap 2 pages of a 10-byte file");
    install(SIGBUS);
    reset();
    printf("the first page: byte 3 '%c', byte 100 (past EOF, same page) %d\n", m[3], m[100]);
    TRY(f_load(m + pg + 7));
    show("read from the second page", m + pg + 7, f_load_insn);
    reset();
    TRY(f_store(m + pg + 64));
    show("write to the second page", m + pg + 64, f_store_insn);
    /* the file grows: the page becomes accessible */
    ftruncate(fd, 2 * pg);
    reset();
    jump = 1;
    if (sigsetjmp(jb, 1) == 0)
        printf("after ftruncate the second page reads %d\n", f_load(m + pg + 7));
    jump = 0;
    printf("  signal: %s\n", caught_sig ? signal_name(caught_sig) : "none");
    /* a private mapping behaves the same */
    ftruncate(fd, 10);
    char *p = mmap(NULL, 2 * (size_t)pg, PROT_READ, MAP_PRIVATE, fd, 0);
    reset();
    TRY(f_load(p + pg));
    show("MAP_PRIVATE, read from the second page", p + pg, f_load_insn);
    munmap(p, 2 * (size_t)pg);
    munmap(m, 2 * (size_t)pg);
    close(fd);
    signal(SIGBUS, SIG_DFL);
}

/* ------------------------------------------------------------ fatal cases, each in a child */

static void child_fault_blocked(void)
{
    install(SIGSEGV);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    f_store(NULL);
}

static void child_fault_ignored(void)
{
    signal(SIGSEGV, SIG_IGN);
    f_store(NULL);
}

static void h_faults_again(int sig)
{
    (void)sig;
    f_store(NULL); /* SIGSEGV is blocked in its own handler */
}

static void child_fault_in_handler(void)
{
    signal(SIGSEGV, h_faults_again);
    f_store(NULL);
}

static void child_fpe_blocked(void)
{
    install(SIGFPE);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGFPE);
    sigprocmask(SIG_BLOCK, &s, NULL);
    volatile int zero = 0;
    f_div(1, zero);
}

static void child_default(void)
{
    f_ud2();
}

static void child_kill_blocked(void)
{
    sigset_t s, p;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGSEGV);
    sigpending(&p);
    printf("  child: kill(self, SIGSEGV) while blocked: still alive, pending=%d\n", sigismember(&p, SIGSEGV));
    fflush(stdout);
    _exit(3);
}

static void run_child(const char *what, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        printf("FAIL %s: survived\n", what);
        fflush(stdout);
        _exit(100);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("%s: child %s\n", what, status_str(st));
}

static void test_fatal(void)
{
    printf("-- faults that kill\n");
    run_child("fault with SIGSEGV blocked", child_fault_blocked);
    run_child("fault with SIGSEGV ignored", child_fault_ignored);
    run_child("fault inside the SIGSEGV handler", child_fault_in_handler);
    run_child("divide by zero with SIGFPE blocked", child_fpe_blocked);
    run_child("ud2 without a handler", child_default);
    run_child("kill(self, SIGSEGV) while blocked", child_kill_blocked);
}

/* ------------------------------------------------------------ edge cases (last) */

static void test_edges(void)
{
    printf("-- edge cases\n");
    install(SIGSEGV);
    install(SIGFPE);
    /* a kernel address */
    reset();
    TRY(f_load((void *)0xffff800000001000ULL));
    printf("read from a kernel address: %s %s\n", signal_name(caught_sig), code_str(caught_sig, caught_code));
    /* a non-canonical address: the CPU raises #GP, which has no address */
    reset();
    TRY(f_load((void *)0x0000900000000000ULL));
    printf("read from a non-canonical address: %s %s si_addr==0: %d\n", signal_name(caught_sig),
           code_str(caught_sig, caught_code), caught_addr == NULL);
    /* the quotient overflows: #DE like a division by zero */
    reset();
    TRY(f_div(INT_MIN, -1));
    show("INT_MIN / -1", f_div_insn, f_div_insn);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
}

int main(void)
{
    guest_line_buffered();
    test_segv();
    test_fpe();
    test_ill_trap();
    test_fatal();
    test_bus();
    test_edges();
    return guest_exit();
}
