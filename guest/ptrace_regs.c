/*
 * ptrace_regs: the register and memory requests of ptrace on a stopped tracee.
 *
 * A PTRACE_TRACEME child loads known values into registers (general, x87, SSE,
 * MXCSR) in assembly and stops itself with kill(getpid(), SIGSTOP) made by a
 * raw `syscall`.  At that stop the parent reads the registers (GETREGS,
 * PEEKUSER, GETREGSET with short, exact and long iovecs, GETFPREGS,
 * NT_X86_XSTATE), changes them (SETREGS, POKEUSER, SETFPREGS, SETREGSET,
 * PTRACE_ARCH_PRCTL), reads and writes memory (PEEK/POKE of data, of a
 * read-only page and of code the child has already run) and probes the error
 * cases (bad user-area offsets, selectors, eflags bits, debug registers,
 * unmapped addresses, iovec sizes, unknown regsets).  After PTRACE_CONT the
 * child checks that the changes took effect: the values in its registers, the
 * path it resumed on (a new rip), rax, and the patched code.  A second stop
 * checks a syscall restart asked for through rax and orig_rax.
 *
 * Nothing printed depends on the CPU's xstate size, addresses or pids.
 */
#include "guest.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#define PAGE 4096
#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define NT_386_TLS 0x200
#define NT_386_IOPERM 0x201
#define NT_X86_XSTATE 0x202
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define REQ_GETREGS 12
#define REQ_SETREGS 13
#define REQ_GETFPREGS 14
#define REQ_SETFPREGS 15
#define REQ_GETFPXREGS 18
#define REQ_GET_THREAD_AREA 25
#define REQ_SET_THREAD_AREA 26
#define REQ_ARCH_PRCTL 30
#define REQ_GETREGSET 0x4204
#define REQ_SETREGSET 0x4205
#define ERESTARTNOINTR 513

/* what the child's registers held when it resumed (written by the assembly below) */
unsigned long out_rax, out_r12, out_r13, out_r14, out_r15, out_rbx, out_path;
unsigned char out_xmm0[16], out_xmm1[16], out_st0[10], out_st1[10];
unsigned int out_mxcsr;
unsigned char xmm_in[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                            0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                            0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
unsigned int mxcsr_in = 0x3f80, mxcsr_default = 0x1f80;

/*
 * stop_with_regs: load r12-r15, rbx, xmm0-1, ST0-1 (fld1, fldpi) and MXCSR,
 * kill(getpid(), SIGSTOP), then store what the registers hold into the out_*
 * variables.  The tracer may resume it at after_stop (out_path 1) or alt_path
 * (out_path 2).
 */
__asm__(".text\n"
        ".globl stop_with_regs\n.type stop_with_regs, @function\nstop_with_regs:\n"
        "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "  mov $39, %eax\n  syscall\n"
        "  mov %rax, %rdi\n  mov $19, %esi\n"
        "  movabs $0x1212121212121212, %r12\n  movabs $0x1313131313131313, %r13\n"
        "  movabs $0x1414141414141414, %r14\n  movabs $0x1515151515151515, %r15\n"
        "  movabs $0x0b0b0b0b0b0b0b0b, %rbx\n"
        "  movdqu xmm_in(%rip), %xmm0\n  movdqu xmm_in+16(%rip), %xmm1\n"
        "  fninit\n  fld1\n  fldpi\n  ldmxcsr mxcsr_in(%rip)\n"
        "  mov $62, %eax\n"
        ".globl stop_syscall\nstop_syscall:\n  syscall\n"
        ".globl after_stop\nafter_stop:\n  mov $1, %ecx\n  jmp 1f\n"
        ".globl alt_path\nalt_path:\n  mov $2, %ecx\n"
        "1:\n  mov %rax, out_rax(%rip)\n  mov %rcx, out_path(%rip)\n"
        "  mov %r12, out_r12(%rip)\n  mov %r13, out_r13(%rip)\n  mov %r14, out_r14(%rip)\n"
        "  mov %r15, out_r15(%rip)\n  mov %rbx, out_rbx(%rip)\n"
        "  movdqu %xmm0, out_xmm0(%rip)\n  movdqu %xmm1, out_xmm1(%rip)\n"
        "  fstpt out_st0(%rip)\n  fstpt out_st1(%rip)\n"
        "  stmxcsr out_mxcsr(%rip)\n  ldmxcsr mxcsr_default(%rip)\n"
        "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n"
        /* patch_me: "mov $1, %eax; ret", its immediate at patch_me + 1 */
        ".globl patch_me\n.type patch_me, @function\npatch_me:\n  movl $1, %eax\n  ret\n"
        "  nop\n  nop\n  nop\n  nop\n  nop\n  nop\n  nop\n  nop\n  nop\n  nop\n");
void stop_with_regs(void);
int patch_me(void);
extern char stop_syscall[], after_stop[], alt_path[];
static int (*volatile call_patch)(void) = patch_me;

unsigned long data_word = 0x1122334455667788UL;
static char *ro_page, *hole;

static const unsigned char PI80[10] = {0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40};
static const unsigned char ONE80[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};

/* the 512-byte FXSAVE image of GETFPREGS (the libcs name its fields differently) */
struct fxsave_img {
    uint16_t cwd, swd, ftw, fop;
    uint64_t rip, rdp;
    uint32_t mxcsr, mxcsr_mask;
    unsigned char st_space[128], xmm_space[256], padding[96];
};

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

/* PEEK* through the raw syscall: the word goes to *out, the result is 0 or -1 */
static long peek(long req, pid_t pid, unsigned long addr, unsigned long *out)
{
    return syscall(SYS_ptrace, req, pid, addr, out);
}

#define KERNEL_USER_SIZE 928
#define REG_OFF(f) offsetof(struct user_regs_struct, f)
#define DR_OFF(n) (offsetof(struct user, u_debugreg) + 8 * (n))

static void child(void)
{
    CHECK(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "child: PTRACE_TRACEME");
    CHECK(call_patch() == 1, "child: patch_me returns 1 before the stop");
    stop_with_regs();
    /* the tracer changed: rip (alt_path), rax, r12 (SETREGS), r13 (POKEUSER), r14 (SETREGSET),
     * xmm1, ST0 and MXCSR (SETFPREGS), data_word and the read-only page (POKEDATA), patch_me (POKETEXT) */
    CHECK(out_path == 2, "child: resumed where the tracer set rip");
    CHECK(out_rax == 0x4242, "child: rax as the tracer set it");
    CHECK(out_r12 == 0xabcdef0012345678UL, "child: r12 from SETREGS");
    CHECK(out_r13 == 0x1313131313131314UL, "child: r13 from POKEUSER");
    CHECK(out_r14 == 0x7777777777777777UL, "child: r14 from SETREGSET");
    CHECK(out_r15 == 0x1515151515151515UL && out_rbx == 0x0b0b0b0b0b0b0b0bUL, "child: r15 and rbx unchanged");
    CHECK(memcmp(out_xmm0, xmm_in, 16) == 0, "child: xmm0 unchanged");
    CHECK(out_xmm1[0] == 0xee && out_xmm1[15] == 0xee, "child: xmm1 from SETFPREGS");
    CHECK(memcmp(out_st0, ONE80, 10) == 0, "child: ST0 from SETFPREGS (1.0)");
    CHECK(memcmp(out_st1, ONE80, 10) == 0, "child: ST1 unchanged (1.0)");
    CHECK_EQ(out_mxcsr, 0x1f80, "child: MXCSR from SETFPREGS");
    CHECK(data_word == 0x0102030405060708UL, "child: data word from POKEDATA");
    CHECK(memcmp(ro_page, "poked!!!", 8) == 0, "child: the read-only page from POKEDATA");
    CHECK(call_patch() == 3, "child: patched code runs (patch_me returns 3)");
    /* second stop: the tracer asks for a restart of the stopping syscall as getpid */
    stop_with_regs();
    CHECK(out_path == 1, "child: resumed after the restarted syscall");
    CHECK(out_rax == (unsigned long)getpid(), "child: the syscall restarted as getpid (rax = pid)");
    guest_child_exit();
}

static void test_getregs(pid_t pid, struct user_regs_struct *r)
{
    printf("-- GETREGS / PEEKUSER\n");
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)r) == 0, "GETREGS");
    CHECK(r->r12 == 0x1212121212121212UL && r->r13 == 0x1313131313131313UL && r->r14 == 0x1414141414141414UL &&
          r->r15 == 0x1515151515151515UL && r->rbx == 0x0b0b0b0b0b0b0b0bUL, "GETREGS: r12-r15, rbx");
    CHECK(r->rip == (unsigned long)after_stop, "GETREGS: rip after the syscall");
    CHECK_EQ((long)r->rax, 0, "GETREGS: rax is kill's result");
    CHECK_EQ((long)r->orig_rax, SYS_kill, "GETREGS: orig_rax is kill's number");
    CHECK_EQ(r->rsi, 19, "GETREGS: rsi is SIGSTOP");
    CHECK_EQ(r->cs, 0x33, "GETREGS: cs");
    CHECK_EQ(r->ss, 0x2b, "GETREGS: ss");
    CHECK(r->ds == 0 && r->es == 0 && r->fs == 0 && r->gs == 0, "GETREGS: ds, es, fs, gs are 0");
    CHECK((r->eflags & 0x202) == 0x202, "GETREGS: eflags has IF and bit 1");
    CHECK((r->eflags & 0x100) == 0, "GETREGS: eflags has no TF");
    unsigned long fsb = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fsb);
    CHECK(r->fs_base == fsb, "GETREGS: fs_base is the TLS pointer the fork copied");
    unsigned long *words = (unsigned long *)r;
    int same = 1;
    for (unsigned i = 0; i < sizeof *r / 8; i++) {
        unsigned long w = 0xdead;
        if (peek(PTRACE_PEEKUSER, pid, 8 * i, &w) != 0 || w != words[i])
            same = 0;
    }
    CHECK(same, "PEEKUSER at every user_regs_struct offset agrees with GETREGS");
    CHECK_EQ(offsetof(struct user, u_debugreg), 848, "offsetof(struct user, u_debugreg)");
    CHECK_EQ(sizeof(struct user), 912, "sizeof(struct user)");
    unsigned long w;
    EXPECT_ERRNO(peek(PTRACE_PEEKUSER, pid, 3, &w), EIO, "PEEKUSER at an unaligned offset");
    /* the kernel's struct user has error_code and fault_address after u_debugreg: 928 bytes */
    EXPECT_ERRNO(peek(PTRACE_PEEKUSER, pid, KERNEL_USER_SIZE, &w), EIO, "PEEKUSER at the kernel's sizeof(struct user)");
    EXPECT_ERRNO(peek(PTRACE_PEEKUSER, pid, -8UL, &w), EIO, "PEEKUSER at -8");
    w = 1;
    CHECK(peek(PTRACE_PEEKUSER, pid, offsetof(struct user, u_tsize), &w) == 0 && w == 0, "PEEKUSER u_tsize is 0");
    w = 1;
    CHECK(peek(PTRACE_PEEKUSER, pid, KERNEL_USER_SIZE - 8, &w) == 0 && w == 0, "PEEKUSER at the last word is 0");
    int zero = 1;
    for (int n = 0; n < 8; n++) {
        w = 1;
        if (n != 6 && (peek(PTRACE_PEEKUSER, pid, DR_OFF(n), &w) != 0 || w != 0))
            zero = 0;
    }
    CHECK(zero, "PEEKUSER: debug registers 0-5 and 7 read 0");
    CHECK(peek(PTRACE_PEEKUSER, pid, DR_OFF(6), &w) == 0 && w == 0xffff0ff0UL, "PEEKUSER: DR6 reads its reserved bits set");
    EXPECT_ERRNO(peek(PTRACE_PEEKUSER, pid, 0, NULL), EFAULT, "PEEKUSER into NULL");
}

static void test_pokeuser(pid_t pid, struct user_regs_struct *r)
{
    unsigned long w;
    printf("-- POKEUSER\n");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(r13), 0x1313131313131314UL) == 0, "POKEUSER r13");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(r13), &w) == 0 && w == 0x1313131313131314UL, "PEEKUSER r13 reads it back");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, 5, 0), EIO, "POKEUSER at an unaligned offset");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, KERNEL_USER_SIZE, 0), EIO, "POKEUSER at the kernel's sizeof(struct user)");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, KERNEL_USER_SIZE - 8, 0), EIO, "POKEUSER fault_address");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, offsetof(struct user, u_tsize), 0), EIO, "POKEUSER u_tsize");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(cs), 0), EIO, "POKEUSER cs = 0");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(ss), 0), EIO, "POKEUSER ss = 0");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(cs), 0x32), EIO, "POKEUSER cs with RPL 2");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(ds), 0x29), EIO, "POKEUSER ds with RPL 1");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(fs), 0x10), EIO, "POKEUSER fs with RPL 0");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(cs), 0x33) == 0, "POKEUSER cs = 0x33");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(ds), 0x2b) == 0, "POKEUSER ds = 0x2b");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(ds), &w) == 0 && w == 0x2b, "PEEKUSER ds reads 0x2b");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(es), 0x1002b) == 0, "POKEUSER es = 0x1002b");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(es), &w) == 0 && w == 0x2b, "PEEKUSER es reads 0x2b (16 bits kept)");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(ds), 0) == 0 && pt(PTRACE_POKEUSER, pid, REG_OFF(es), 0) == 0,
          "POKEUSER ds, es back to 0");
    /* eflags: only the user-changeable bits move (CF PF AF ZF SF TF DF OF NT RF AC) */
    unsigned long old = r->eflags;
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(eflags), 0x200001UL | 0x1000 | 0x80000) == 0, "POKEUSER eflags = CF|IOPL|VIF|ID");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(eflags), &w) == 0, "PEEKUSER eflags");
    CHECK((w & 1) == 1, "eflags: CF set");
    CHECK((w & 0x280000UL) == (old & 0x280000UL) && (w & 0x3000) == (old & 0x3000), "eflags: IOPL, VIF, ID kept");
    CHECK((w & 0xc4) == 0, "eflags: PF, ZF cleared");
    CHECK((w & 0x202) == 0x202, "eflags: IF and bit 1 kept");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(eflags), old) == 0, "POKEUSER eflags back");
    /* fs_base, gs_base */
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(fs_base), 1UL << 47), EIO, "POKEUSER fs_base = 1 << 47");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, REG_OFF(gs_base), -1UL), EIO, "POKEUSER gs_base = -1");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(gs_base), 0x12345000) == 0, "POKEUSER gs_base");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(gs_base), &w) == 0 && w == 0x12345000, "PEEKUSER gs_base reads it back");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(gs_base), 0) == 0, "POKEUSER gs_base back to 0");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(fs_base), r->fs_base) == 0, "POKEUSER fs_base to its own value");
    /* orig_rax reads back what was written */
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(orig_rax), 1000) == 0, "POKEUSER orig_rax");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(orig_rax), &w) == 0 && w == 1000, "PEEKUSER orig_rax reads it back");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(orig_rax), r->orig_rax) == 0, "POKEUSER orig_rax back");
    /* debug registers */
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0) == 0, "POKEUSER DR7 = 0");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(0), 0) == 0, "POKEUSER DR0 = 0");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(6), 0x1234) == 0, "POKEUSER DR6 = 0x1234");
    CHECK(peek(PTRACE_PEEKUSER, pid, DR_OFF(6), &w) == 0 && w == 0x1234, "PEEKUSER DR6 reads it back");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(6), 0xffff0ff0UL) == 0, "POKEUSER DR6 back");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0x50000) == 0, "POKEUSER DR7 with lengths and types, nothing enabled");
    CHECK(peek(PTRACE_PEEKUSER, pid, DR_OFF(7), &w) == 0 && w == 0x50000, "PEEKUSER DR7 reads it back");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0x20002), EINVAL, "POKEUSER DR7 enabling an I/O breakpoint");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0) == 0, "POKEUSER DR7 back to 0");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, DR_OFF(4), 0), EIO, "POKEUSER DR4");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, DR_OFF(5), 0), EIO, "POKEUSER DR5");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(1), (unsigned long)&data_word) == 0, "POKEUSER DR1 = a user address");
    CHECK(peek(PTRACE_PEEKUSER, pid, DR_OFF(1), &w) == 0 && w == (unsigned long)&data_word, "PEEKUSER DR1 reads it back");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, DR_OFF(2), 0xffffffff81000000UL), EINVAL, "POKEUSER DR2 = a kernel address");
    EXPECT_ERRNO(pt(PTRACE_POKEUSER, pid, DR_OFF(3), 0x7ffffffff000UL), EINVAL, "POKEUSER DR3 = the end of user space");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(3), 0x7fffffffefffUL) == 0, "POKEUSER DR3 = the last user byte");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(3), 0) == 0, "POKEUSER DR3 back to 0");
    CHECK(pt(PTRACE_POKEUSER, pid, DR_OFF(1), 0) == 0, "POKEUSER DR1 back to 0");
}

static void test_setregs(pid_t pid, struct user_regs_struct *r0)
{
    struct user_regs_struct r = *r0, back;
    printf("-- SETREGS\n");
    r.r12 = 0xabcdef0012345678UL;
    r.r13 = 0x1313131313131314UL;
    r.eflags |= 0x200000;  /* ID: not changeable through ptrace */
    CHECK(pt(REQ_SETREGS, pid, 0, (unsigned long)&r) == 0, "SETREGS");
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&back) == 0, "GETREGS after SETREGS");
    CHECK(back.r12 == r.r12 && back.rip == r.rip && back.rsp == r.rsp, "SETREGS: r12 changed, rip and rsp kept");
    CHECK((back.eflags & 0x200000) == (r0->eflags & 0x200000), "SETREGS: eflags ID bit unchanged");
    struct user_regs_struct bad = r;
    bad.ss = 0;
    bad.r12 = 1;
    EXPECT_ERRNO(pt(REQ_SETREGS, pid, 0, (unsigned long)&bad), EIO, "SETREGS with ss = 0");
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&back) == 0 && back.r12 == 1,
          "SETREGS with ss = 0: the registers before ss were set");
    bad = r;
    bad.fs_base = 1UL << 47;
    EXPECT_ERRNO(pt(REQ_SETREGS, pid, 0, (unsigned long)&bad), EIO, "SETREGS with fs_base = 1 << 47");
    EXPECT_ERRNO(pt(REQ_SETREGS, pid, 0, (unsigned long)(hole + PAGE)), EFAULT, "SETREGS from an unmapped address");
    EXPECT_ERRNO(pt(REQ_GETREGS, pid, 0, (unsigned long)(hole + PAGE)), EFAULT, "GETREGS to an unmapped address");
    EXPECT_ERRNO(pt(REQ_GETREGS, pid, 0, (unsigned long)ro_page), EFAULT, "GETREGS to a read-only page");
    CHECK(pt(REQ_SETREGS, pid, 0, (unsigned long)&r) == 0, "SETREGS again (r12 back)");
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)r0) == 0, "GETREGS");
}

static void test_regset(pid_t pid, struct user_regs_struct *r)
{
    unsigned char buf[8192];
    struct iovec iov;
    printf("-- GETREGSET / SETREGSET\n");
    memset(buf, 0xcc, sizeof buf);
    iov = (struct iovec){buf, sizeof *r};
    CHECK(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov) == 0, "GETREGSET NT_PRSTATUS, exact size");
    CHECK(iov.iov_len == sizeof *r && memcmp(buf, r, sizeof *r) == 0, "... 216 bytes, as GETREGS");
    memset(buf, 0xcc, sizeof buf);
    iov = (struct iovec){buf, 4096};
    CHECK(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov) == 0, "GETREGSET NT_PRSTATUS, long iovec");
    CHECK_EQ(iov.iov_len, 216, "... iov_len becomes 216");
    CHECK(buf[216] == 0xcc, "... nothing written past it");
    memset(buf, 0xcc, sizeof buf);
    iov = (struct iovec){buf, 24};
    CHECK(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov) == 0, "GETREGSET NT_PRSTATUS, 24 bytes");
    CHECK(iov.iov_len == 24 && memcmp(buf, r, 24) == 0 && buf[24] == 0xcc, "... r15 r14 r13 only");
    iov = (struct iovec){buf, 0};
    CHECK(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov) == 0 && iov.iov_len == 0, "GETREGSET of 0 bytes");
    iov = (struct iovec){buf, 20};
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov), EINVAL, "GETREGSET, 20 bytes (not whole words)");
    iov = (struct iovec){buf, 64};
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, 0x999, (unsigned long)&iov), EINVAL, "GETREGSET of an unknown note type");
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_386_TLS, (unsigned long)&iov), EINVAL, "GETREGSET NT_386_TLS (not in the 64-bit view)");
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_386_IOPERM, (unsigned long)&iov), ENXIO, "GETREGSET NT_386_IOPERM (no I/O bitmap)");
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)(hole + PAGE)), EFAULT, "GETREGSET with an unmapped iovec");
    iov = (struct iovec){hole + PAGE, 216};
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov), EFAULT, "GETREGSET into an unmapped buffer");

    /* SETREGSET: r15 r14 only (a short iovec) */
    unsigned long two[2] = {r->r15, 0x7777777777777777UL};
    iov = (struct iovec){two, 16};
    CHECK(pt(REQ_SETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov) == 0, "SETREGSET NT_PRSTATUS, 16 bytes (r15, r14)");
    struct user_regs_struct back;
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&back) == 0 && back.r14 == 0x7777777777777777UL &&
          back.r13 == r->r13 && back.r15 == r->r15, "... r14 changed, the rest kept");
    r->r14 = back.r14;

    /* NT_PRFPREG is GETFPREGS's image */
    struct fxsave_img fp;
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&fp) == 0, "GETFPREGS");
    memset(buf, 0xcc, sizeof buf);
    iov = (struct iovec){buf, 4096};
    CHECK(pt(REQ_GETREGSET, pid, NT_PRFPREG, (unsigned long)&iov) == 0, "GETREGSET NT_PRFPREG");
    CHECK_EQ(iov.iov_len, 512, "... 512 bytes");
    CHECK(memcmp(buf, &fp, 512) == 0, "... the same bytes as GETFPREGS");

    /* NT_X86_XSTATE: the FXSAVE image, the software bytes, the xsave header */
    memset(buf, 0xcc, sizeof buf);
    iov = (struct iovec){buf, sizeof buf};
    CHECK(pt(REQ_GETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov) == 0, "GETREGSET NT_X86_XSTATE");
    size_t xsize = iov.iov_len;
    CHECK(xsize >= 576 && xsize < sizeof buf, "... at least 576 bytes (legacy area + header)");
    CHECK(memcmp(buf, &fp, 160 + 256) == 0, "... the legacy area holds GETFPREGS's registers");
    uint64_t sw[6], xstate_bv, xcomp_bv;
    memcpy(sw, buf + 464, sizeof sw);
    memcpy(&xstate_bv, buf + 512, 8);
    memcpy(&xcomp_bv, buf + 520, 8);
    CHECK((sw[0] & 3) == 3, "... sw_reserved word 0 (XCR0) has x87 and SSE");
    CHECK(!sw[1] && !sw[2] && !sw[3] && !sw[4] && !sw[5], "... the other sw_reserved words are 0");
    CHECK((xstate_bv & 3) == 3, "... header: x87 and SSE in use");
    CHECK(xcomp_bv == 0, "... header: standard format");
    iov = (struct iovec){buf, 512};
    CHECK(pt(REQ_GETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov) == 0 && iov.iov_len == 512,
          "GETREGSET NT_X86_XSTATE, 512 bytes");
    iov = (struct iovec){buf, 500};
    EXPECT_ERRNO(pt(REQ_GETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov), EINVAL, "GETREGSET NT_X86_XSTATE, 500 bytes");

    /* SETREGSET of the FPU: whole images only */
    static unsigned char xs[8192], xs2[8192];
    iov = (struct iovec){xs, sizeof xs};
    CHECK(pt(REQ_GETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov) == 0 && iov.iov_len == xsize, "GETREGSET NT_X86_XSTATE again");
    iov = (struct iovec){&fp, 256};
    EXPECT_ERRNO(pt(REQ_SETREGSET, pid, NT_PRFPREG, (unsigned long)&iov), EINVAL, "SETREGSET NT_PRFPREG, 256 bytes");
    iov = (struct iovec){&fp, 512};
    CHECK(pt(REQ_SETREGSET, pid, NT_PRFPREG, (unsigned long)&iov) == 0 && iov.iov_len == 512, "SETREGSET NT_PRFPREG, 512 bytes");
    iov = (struct iovec){xs, 512};
    EXPECT_ERRNO(pt(REQ_SETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov), EFAULT, "SETREGSET NT_X86_XSTATE, 512 bytes");
    memcpy(xs2, xs, xsize);
    xs2[520] = 1;
    iov = (struct iovec){xs2, xsize};
    EXPECT_ERRNO(pt(REQ_SETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov), EINVAL, "SETREGSET NT_X86_XSTATE, compacted");
    memcpy(xs2, xs, xsize);
    xs2[519] = 0x40;
    EXPECT_ERRNO(pt(REQ_SETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov), EINVAL, "SETREGSET NT_X86_XSTATE, an unknown component");
    memcpy(xs2, xs, xsize);
    memset(xs2 + 512, 0, 8);
    xs2[512] = 1;  /* x87 only: SSE goes to its init state */
    CHECK(pt(REQ_SETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov) == 0, "SETREGSET NT_X86_XSTATE, x87 only");
    struct fxsave_img fp2;
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&fp2) == 0, "GETFPREGS");
    static const unsigned char zero[256];
    CHECK(memcmp(fp2.xmm_space, zero, 256) == 0, "... the XMM registers are zero");
    CHECK(fp2.cwd == fp.cwd && fp2.swd == fp.swd && fp2.ftw == fp.ftw && memcmp(fp2.st_space, fp.st_space, 128) == 0,
          "... the x87 registers kept");
    CHECK_EQ(fp2.mxcsr, 0x1f80, "... MXCSR back to its default (it belongs to SSE)");
    iov = (struct iovec){xs, xsize};
    CHECK(pt(REQ_SETREGSET, pid, NT_X86_XSTATE, (unsigned long)&iov) == 0, "SETREGSET NT_X86_XSTATE, all of it back");
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&fp2) == 0 && memcmp(fp2.xmm_space, fp.xmm_space, 256) == 0 &&
          memcmp(fp2.st_space, fp.st_space, 128) == 0 && fp2.mxcsr == fp.mxcsr && fp2.swd == fp.swd && fp2.ftw == fp.ftw,
          "... GETFPREGS as before");
}

static void test_fpregs(pid_t pid)
{
    struct fxsave_img fp;
    printf("-- GETFPREGS / SETFPREGS\n");
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&fp) == 0, "GETFPREGS");
    CHECK_EQ(fp.cwd, 0x37f, "GETFPREGS: control word");
    CHECK_EQ((fp.swd >> 11) & 7, 6, "GETFPREGS: TOP is 6 (two values pushed)");
    CHECK_EQ(fp.ftw, 0xc0, "GETFPREGS: abridged tags: physical registers 6 and 7 valid");
    CHECK_EQ(fp.mxcsr, 0x3f80, "GETFPREGS: mxcsr");
    CHECK(fp.mxcsr_mask != 0, "GETFPREGS: mxcsr_mask is set");
    CHECK(memcmp(fp.st_space, PI80, 10) == 0, "GETFPREGS: ST0 is pi");
    CHECK(memcmp(fp.st_space + 16, ONE80, 10) == 0, "GETFPREGS: ST1 is 1.0");
    CHECK(memcmp(fp.xmm_space, xmm_in, 32) == 0, "GETFPREGS: xmm0 and xmm1");
    EXPECT_ERRNO(pt(REQ_GETFPREGS, pid, 0, (unsigned long)(hole + PAGE)), EFAULT, "GETFPREGS to an unmapped address");
    struct fxsave_img bad = fp;
    bad.mxcsr = 0x10000 | 0x1f80;
    EXPECT_ERRNO(pt(REQ_SETFPREGS, pid, 0, (unsigned long)&bad), EINVAL, "SETFPREGS with a reserved MXCSR bit");
    fp.mxcsr = 0x1f80;
    memcpy(fp.st_space, ONE80, 10);
    memset(fp.xmm_space + 16, 0xee, 16);
    CHECK(pt(REQ_SETFPREGS, pid, 0, (unsigned long)&fp) == 0, "SETFPREGS: mxcsr, ST0 = 1.0, xmm1");
    struct fxsave_img back;
    CHECK(pt(REQ_GETFPREGS, pid, 0, (unsigned long)&back) == 0 && back.mxcsr == 0x1f80 &&
          memcmp(back.st_space, ONE80, 10) == 0 && memcmp(back.xmm_space, fp.xmm_space, 256) == 0 &&
          back.ftw == 0xc0 && back.swd == fp.swd, "GETFPREGS reads them back");
    EXPECT_ERRNO(pt(REQ_GETFPXREGS, pid, 0, (unsigned long)&back), EIO, "GETFPXREGS (32-bit only)");
    unsigned char ud[16], want[16] = {12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0, 0, 0};
    memset(ud, 0xcc, sizeof ud);
    CHECK(pt(REQ_GET_THREAD_AREA, pid, 12, (unsigned long)ud) == 0 && memcmp(ud, want, 16) == 0,
          "GET_THREAD_AREA 12: an empty TLS descriptor");
    EXPECT_ERRNO(pt(REQ_GET_THREAD_AREA, pid, 11, (unsigned long)ud), EINVAL, "GET_THREAD_AREA 11");
    EXPECT_ERRNO(pt(REQ_GET_THREAD_AREA, pid, 15, (unsigned long)ud), EINVAL, "GET_THREAD_AREA 15");
    EXPECT_ERRNO(pt(REQ_GET_THREAD_AREA, pid, -1UL, (unsigned long)ud), EIO, "GET_THREAD_AREA -1");
    EXPECT_ERRNO(pt(REQ_GET_THREAD_AREA, pid, 13, 8), EFAULT, "GET_THREAD_AREA into address 8");
    /* SET_THREAD_AREA: 32-bit data segments only; the limit keeps 20 bits, lm is dropped */
    uint32_t desc[4] = {0, 0x12345, 0x123456, 0x1 | 0x10 | 0x40 | 0x80};
    CHECK(pt(REQ_SET_THREAD_AREA, pid, 13, (unsigned long)desc) == 0, "SET_THREAD_AREA 13");
    uint32_t got[4];
    CHECK(pt(REQ_GET_THREAD_AREA, pid, 13, (unsigned long)got) == 0 && got[0] == 13 && got[1] == 0x12345 &&
          got[2] == 0x23456 && got[3] == 0x51, "GET_THREAD_AREA 13 reads it back");
    uint32_t d16[4] = {0, 0x1000, 0x10, 0};
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, 13, (unsigned long)d16), EINVAL, "SET_THREAD_AREA a 16-bit segment");
    uint32_t dcode[4] = {0, 0x1000, 0x10, 0x1 | 0x4};
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, 13, (unsigned long)dcode), EINVAL, "SET_THREAD_AREA a code segment");
    uint32_t dabsent[4] = {0, 0x1000, 0x10, 0x1 | 0x20};
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, 13, (unsigned long)dabsent), EINVAL, "SET_THREAD_AREA a segment not present");
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, 15, (unsigned long)desc), EINVAL, "SET_THREAD_AREA 15");
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, -1UL, (unsigned long)desc), EIO, "SET_THREAD_AREA -1");
    EXPECT_ERRNO(pt(REQ_SET_THREAD_AREA, pid, 13, 8), EFAULT, "SET_THREAD_AREA from address 8");
    uint32_t dzero[4] = {0, 0, 0, 0};
    CHECK(pt(REQ_SET_THREAD_AREA, pid, 13, (unsigned long)dzero) == 0, "SET_THREAD_AREA 13: an all-zero descriptor");
    CHECK(pt(REQ_GET_THREAD_AREA, pid, 13, (unsigned long)ud) == 0 && memcmp(ud + 4, want + 4, 12) == 0,
          "GET_THREAD_AREA 13 is empty again");
}

static void test_memory(pid_t pid)
{
    unsigned long w = 0;
    printf("-- PEEK / POKE\n");
    CHECK(peek(PTRACE_PEEKDATA, pid, (unsigned long)&data_word, &w) == 0 && w == 0x1122334455667788UL, "PEEKDATA a data word");
    CHECK(peek(PTRACE_PEEKTEXT, pid, (unsigned long)&data_word, &w) == 0 && w == 0x1122334455667788UL, "PEEKTEXT reads data too");
    CHECK(peek(PTRACE_PEEKTEXT, pid, (unsigned long)patch_me, &w) == 0 && (w & 0xffffffffffUL) == 0x01b8UL,
          "PEEKTEXT: patch_me starts with mov $1, %%eax");
    CHECK(peek(PTRACE_PEEKDATA, pid, (unsigned long)ro_page, &w) == 0 && memcmp(&w, "readonly", 8) == 0, "PEEKDATA a read-only page");
    EXPECT_ERRNO(peek(PTRACE_PEEKDATA, pid, (unsigned long)(hole + PAGE), &w), EIO, "PEEKDATA an unmapped page");
    EXPECT_ERRNO(peek(PTRACE_PEEKDATA, pid, (unsigned long)(hole + PAGE - 4), &w), EIO, "PEEKDATA a word running into an unmapped page");
    EXPECT_ERRNO(peek(PTRACE_PEEKDATA, pid, 0, &w), EIO, "PEEKDATA address 0");
    EXPECT_ERRNO(peek(PTRACE_PEEKDATA, pid, -8UL, &w), EIO, "PEEKDATA a kernel address");
    EXPECT_ERRNO(peek(PTRACE_PEEKDATA, pid, (unsigned long)&data_word, (unsigned long *)(hole + PAGE)), EFAULT,
                 "PEEKDATA into an unmapped result");
    CHECK(pt(PTRACE_POKEDATA, pid, (unsigned long)&data_word, 0x0102030405060708UL) == 0, "POKEDATA a data word");
    CHECK(data_word == 0x1122334455667788UL, "POKEDATA changed the child's copy only");
    unsigned long word;
    memcpy(&word, "poked!!!", 8);
    CHECK(pt(PTRACE_POKEDATA, pid, (unsigned long)ro_page, word) == 0, "POKEDATA a read-only page");
    CHECK(peek(PTRACE_PEEKTEXT, pid, (unsigned long)patch_me, &w) == 0, "PEEKTEXT patch_me");
    w = (w & ~0xff00UL) | 0x0300UL;
    CHECK(pt(PTRACE_POKETEXT, pid, (unsigned long)patch_me, w) == 0, "POKETEXT: patch_me returns 3");
    EXPECT_ERRNO(pt(PTRACE_POKEDATA, pid, (unsigned long)(hole + PAGE), 0), EIO, "POKEDATA an unmapped page");
    unsigned long before = 0;
    CHECK(peek(PTRACE_PEEKDATA, pid, (unsigned long)(hole + PAGE - 8), &before) == 0, "PEEKDATA the last word before the hole");
    EXPECT_ERRNO(pt(PTRACE_POKEDATA, pid, (unsigned long)(hole + PAGE - 4), 0x4141414142424242UL), EIO,
                 "POKEDATA a word running into an unmapped page");
    CHECK(peek(PTRACE_PEEKDATA, pid, (unsigned long)(hole + PAGE - 8), &w) == 0 &&
          (w & 0xffffffffUL) == (before & 0xffffffffUL) && (w >> 32) == 0x42424242UL,
          "... its first four bytes were written");
}

static void test_arch_prctl(pid_t pid, struct user_regs_struct *r)
{
    unsigned long v = 0;
    printf("-- PTRACE_ARCH_PRCTL\n");
    CHECK(pt(REQ_ARCH_PRCTL, pid, (unsigned long)&v, ARCH_GET_FS) == 0 && v == r->fs_base, "ARCH_GET_FS: the tracee's fs_base, in our memory");
    CHECK(pt(REQ_ARCH_PRCTL, pid, 0x5000, ARCH_SET_GS) == 0, "ARCH_SET_GS");
    CHECK(pt(REQ_ARCH_PRCTL, pid, (unsigned long)&v, ARCH_GET_GS) == 0 && v == 0x5000, "ARCH_GET_GS reads it back");
    unsigned long w;
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(gs_base), &w) == 0 && w == 0x5000, "PEEKUSER gs_base agrees");
    CHECK(pt(REQ_ARCH_PRCTL, pid, 0, ARCH_SET_GS) == 0, "ARCH_SET_GS back to 0");
    CHECK(pt(REQ_ARCH_PRCTL, pid, 0x6000, ARCH_SET_FS) == 0, "ARCH_SET_FS");
    CHECK(peek(PTRACE_PEEKUSER, pid, REG_OFF(fs_base), &w) == 0 && w == 0x6000, "PEEKUSER fs_base agrees");
    CHECK(pt(REQ_ARCH_PRCTL, pid, r->fs_base, ARCH_SET_FS) == 0, "ARCH_SET_FS back");
    EXPECT_ERRNO(pt(REQ_ARCH_PRCTL, pid, 1UL << 47, ARCH_SET_FS), EPERM, "ARCH_SET_FS 1 << 47");
    EXPECT_ERRNO(pt(REQ_ARCH_PRCTL, pid, (unsigned long)(hole + PAGE), ARCH_GET_FS), EFAULT, "ARCH_GET_FS to an unmapped address");
    EXPECT_ERRNO(pt(REQ_ARCH_PRCTL, pid, (unsigned long)&v, 0x1999), EINVAL, "an unknown code");
    EXPECT_ERRNO(pt(REQ_ARCH_PRCTL, pid, (unsigned long)&v, ARCH_GET_CPUID), EINVAL, "ARCH_GET_CPUID (not through ptrace)");
}

int main(void)
{
    guest_line_buffered();
    ro_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(ro_page, "readonly page", 14);
    mprotect(ro_page, PAGE, PROT_READ);
    hole = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + PAGE, PAGE);
    memset(hole, 'h', PAGE);

    pid_t pid = guest_fork();
    if (pid == 0)
        child();
    int st;
    /* WUNTRACED changes nothing for a tracee: its stops are reported anyway */
    CHECK(waitpid(pid, &st, WUNTRACED) == pid, "waitpid: the tracee stops");
    printf("tracee: %s\n", status_str(st));

    struct user_regs_struct r;
    test_getregs(pid, &r);
    test_pokeuser(pid, &r);
    test_setregs(pid, &r);
    test_regset(pid, &r);
    test_fpregs(pid);
    test_memory(pid);
    test_arch_prctl(pid, &r);

    printf("-- resume on a new path\n");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(rip), (unsigned long)alt_path) == 0, "POKEUSER rip = alt_path");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(rax), 0x4242) == 0, "POKEUSER rax");
    long cont = pt(PTRACE_CONT, pid, 0, 0);  /* checked after the wait: the child prints meanwhile */
    CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "the tracee stops again");
    CHECK(cont == 0, "PTRACE_CONT");
    struct user_regs_struct r2;
    CHECK(pt(REQ_GETREGS, pid, 0, (unsigned long)&r2) == 0 && r2.rip == (unsigned long)after_stop, "second stop: rip after the syscall");
    printf("-- restart the stopping syscall as getpid\n");
    r2.rax = -ERESTARTNOINTR;
    r2.orig_rax = SYS_getpid;
    CHECK(pt(REQ_SETREGS, pid, 0, (unsigned long)&r2) == 0, "SETREGS rax = -ERESTARTNOINTR, orig_rax = getpid");
    cont = pt(PTRACE_CONT, pid, 0, 0);
    CHECK(waitpid(pid, &st, 0) == pid, "the tracee ends");
    CHECK(cont == 0, "PTRACE_CONT");
    printf("tracee: %s\n", status_str(st));
    return guest_exit();
}
