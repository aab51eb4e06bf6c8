/*
 * ptrace_thread_regs: the registers of a tracee whose sibling thread runs while it is stopped.
 *
 * The PTRACE_TRACEME child starts a helper thread, then loads known values into
 * r12-r15, rbx and xmm0-1 and stops itself with tgkill(getpid(), gettid(), SIGSTOP): directed at the
 * traced thread, so the untraced helper can never be the one to take it and start a group stop that
 * would hold the helper too (a native hang kill(getpid(), SIGSTOP) allowed, rarely).  While
 * it sits in that stop the parent wakes the helper (a pipe), which runs and then
 * blocks again: the stopped thread is no longer the last one to have run in its
 * address space (under emukernel its registers are then in a saved context, not
 * in the CPU).  The parent reads and changes the stopped thread's registers and
 * FPU state; after PTRACE_CONT the thread checks the changes.
 */
#include "guest.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#define REQ_GETREGS 12
#define REQ_SETREGS 13
#define REQ_GETFPREGS 14
#define REQ_SETFPREGS 15

unsigned long out_r12, out_r13, out_r14, out_r15, out_rbx, out_path;
unsigned char out_xmm0[16], out_xmm1[16];
unsigned char xmm_in[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                            0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                            0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

/* stop_with_regs: as in ptrace_regs (general registers and xmm0-1 only); resumes at after_stop (path 1)
 * or alt_path (path 2) */
__asm__(".text\n"
        ".globl stop_with_regs\n.type stop_with_regs, @function\nstop_with_regs:\n"
        "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "  mov $186, %eax\n  syscall\n  mov %rax, %rsi\n"
        "  mov $39, %eax\n  syscall\n"
        "  mov %rax, %rdi\n  mov $19, %edx\n"
        "  movabs $0x1212121212121212, %r12\n  movabs $0x1313131313131313, %r13\n"
        "  movabs $0x1414141414141414, %r14\n  movabs $0x1515151515151515, %r15\n"
        "  movabs $0x0b0b0b0b0b0b0b0b, %rbx\n"
        "  movdqu xmm_in(%rip), %xmm0\n  movdqu xmm_in+16(%rip), %xmm1\n"
        "  mov $234, %eax\n  syscall\n"
        ".globl after_stop\nafter_stop:\n  mov $1, %ecx\n  jmp 1f\n"
        ".globl alt_path\nalt_path:\n  mov $2, %ecx\n"
        "1:\n  mov %rcx, out_path(%rip)\n"
        "  mov %r12, out_r12(%rip)\n  mov %r13, out_r13(%rip)\n  mov %r14, out_r14(%rip)\n"
        "  mov %r15, out_r15(%rip)\n  mov %rbx, out_rbx(%rip)\n"
        "  movdqu %xmm0, out_xmm0(%rip)\n  movdqu %xmm1, out_xmm1(%rip)\n"
        "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n");
void stop_with_regs(void);
extern char after_stop[], alt_path[];

struct fxsave_img {
    uint16_t cwd, swd, ftw, fop;
    uint64_t rip, rdp;
    uint32_t mxcsr, mxcsr_mask;
    unsigned char st_space[128], xmm_space[256], padding[96];
};

static int wake[2], woke[2], done[2];
static volatile int helper_ran;

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

static void *helper(void *arg)
{
    char c;
    (void)arg;
    while (read(wake[0], &c, 1) < 0 && errno == EINTR)
        ;
    helper_ran = 1;
    c = 'w';
    if (write(woke[1], &c, 1) != 1)
        return NULL;
    while (read(done[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void child(void)
{
    pthread_t th;
    CHECK(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "child: PTRACE_TRACEME");
    CHECK(pthread_create(&th, NULL, helper, NULL) == 0, "child: helper thread started");
    stop_with_regs();
    CHECK(helper_ran, "child: the helper ran while we were stopped");
    CHECK(out_path == 2, "child: resumed where the tracer set rip");
    CHECK(out_r12 == 0xabcdef0012345678UL, "child: r12 from SETREGS");
    CHECK(out_r13 == 0x1313131313131313UL && out_r14 == 0x1414141414141414UL && out_r15 == 0x1515151515151515UL &&
          out_rbx == 0x0b0b0b0b0b0b0b0bUL, "child: the other registers unchanged");
    CHECK(memcmp(out_xmm0, xmm_in, 16) == 0, "child: xmm0 unchanged");
    CHECK(out_xmm1[0] == 0xee && out_xmm1[15] == 0xee, "child: xmm1 from SETFPREGS");
    char c = 'd';
    CHECK(write(done[1], &c, 1) == 1 && pthread_join(th, NULL) == 0, "child: helper joined");
    guest_child_exit();
}

int main(void)
{
    guest_line_buffered();
    if (pipe(wake) || pipe(woke) || pipe(done))
        return 1;
    pid_t pid = guest_fork();
    if (pid == 0)
        child();
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "the tracee stops");
    char c = 'g';
    CHECK(write(wake[1], &c, 1) == 1, "wake the helper");
    CHECK(read(woke[0], &c, 1) == 1, "the helper ran (and now waits)");

    struct user_regs_struct r;
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&r) == 0, "GETREGS");
    CHECK(r.r12 == 0x1212121212121212UL && r.r13 == 0x1313131313131313UL && r.rbx == 0x0b0b0b0b0b0b0b0bUL,
          "GETREGS: r12, r13, rbx");
    CHECK(r.rip == (unsigned long)after_stop, "GETREGS: rip after the syscall");
    CHECK_EQ((long)r.orig_rax, SYS_tgkill, "GETREGS: orig_rax is tgkill's number");
    CHECK_EQ((long)r.rax, 0, "GETREGS: rax is tgkill's result");
    struct fxsave_img fp;
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&fp) == 0, "GETFPREGS");
    CHECK(memcmp(fp.xmm_space, xmm_in, 32) == 0, "GETFPREGS: xmm0 and xmm1");
    r.r12 = 0xabcdef0012345678UL;
    r.rip = (unsigned long)alt_path;
    CHECK(pt(REQ_SETREGS, pid, 0, (unsigned long)&r) == 0, "SETREGS: r12, rip");
    memset(fp.xmm_space + 16, 0xee, 16);
    CHECK(pt(REQ_SETFPREGS, pid, 0, (unsigned long)&fp) == 0, "SETFPREGS: xmm1");
    struct user_regs_struct back;
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&back) == 0 && back.r12 == r.r12 && back.rip == r.rip,
          "GETREGS reads them back");
    long cont = pt(PTRACE_CONT, pid, 0, 0);  /* checked after the wait: the child prints meanwhile */
    CHECK(waitpid(pid, &st, 0) == pid, "the tracee ends");
    CHECK(cont == 0, "PTRACE_CONT");
    printf("tracee: %s\n", status_str(st));
    return guest_exit();
}
