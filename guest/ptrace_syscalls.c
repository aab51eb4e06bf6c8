/*
 * ptrace_syscalls: syscall-stops under PTRACE_SYSCALL and PTRACE_SYSEMU.
 *
 * A forked tracee (PTRACE_TRACEME) runs a list of phases.  Each phase starts
 * with the tracee stopping itself with a raw kill(self, SIGSTOP); the tracer
 * then resumes it with PTRACE_SYSCALL (or PTRACE_SYSEMU) and walks through the
 * stops of the one raw syscall that follows, reading and changing registers.
 * The tracer resumes with PTRACE_CONT after the phase, so the tracee's own
 * printing (its view of the result) makes no stops.  Both sides take turns:
 * one of them is always stopped or blocked in waitpid, so the transcript is
 * deterministic.
 *
 * Covers: entry and exit stops (SIGTRAP, SIGTRAP|0x80 with TRACESYSGOOD),
 * rax == -ENOSYS and orig_rax == nr at entry (GETREGS and PEEKUSER), the
 * siginfo of a syscall-stop, PTRACE_GET_SYSCALL_INFO (entry, exit, error
 * exit, a non-syscall stop, a syscall-stop without TRACESYSGOOD, its returned
 * size, short and zero-sized buffers), changing the call (orig_rax) and its
 * arguments at entry, skipping it (orig_rax = -1, with and without setting
 * rax), changing the result at exit, a blocking syscall interrupted by a
 * signal (-ERESTARTSYS / -ERESTARTNOHAND / -ERESTART_RESTARTBLOCK seen at the
 * exit stop; restart with SA_RESTART, EINTR without; the restart after the
 * tracer suppresses the signal, restart_syscall for nanosleep; rt_sigreturn's
 * stops), and PTRACE_SYSEMU (entry stop only; the call is not run).
 */
#include "guest.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <time.h>

#ifndef PTRACE_O_TRACESYSGOOD
#define PTRACE_O_TRACESYSGOOD 1
#endif
#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif
#define REQ_GET_SYSCALL_INFO 0x420e

#define ERESTARTSYS_ 512
#define ERESTARTNOINTR_ 513
#define ERESTARTNOHAND_ 514
#define ERESTART_RESTARTBLOCK_ 516
#define AUDIT_ARCH_X86_64_ 0xc000003eu

/* PTRACE_GET_SYSCALL_INFO's buffer (our own copy: not every libc has one). */
struct sc_info {
    uint8_t op;
    uint8_t reserved;
    uint16_t flags;
    uint32_t arch;
    uint64_t ip;
    uint64_t sp;
    union {
        struct {
            uint64_t nr;
            uint64_t args[6];
        } entry;
        struct {
            int64_t rval;
            uint8_t is_error;
        } exit;
    } u;
};

/* ------------------------------------------------------------ raw syscalls */

static inline long raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define raw0(nr) raw6((nr), 0, 0, 0, 0, 0, 0)
#define raw1(nr, a) raw6((nr), (long)(a), 0, 0, 0, 0, 0)
#define raw3(nr, a, b, c) raw6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

static long self_pid; /* the tracee's pid, fetched once with a raw getpid */

/* The tracee's phase boundary: stop with a raw kill (no libc syscalls around it). */
static void phase_stop(void)
{
    raw3(SYS_kill, self_pid, SIGSTOP, 0);
}

/* ------------------------------------------------------------ tracer helpers */

static pid_t tracee;

/* Give up: kill the tracee so nothing is left behind, and fail. */
static void bail(const char *what)
{
    printf("FAIL %s: giving up\n", what);
    kill(tracee, SIGKILL);
    waitpid(tracee, NULL, __WALL);
    guest_failures++;
    exit(guest_exit());
}

static const char *stop_str(int st)
{
    static char buf[96];
    if (WIFSTOPPED(st)) {
        int sig = WSTOPSIG(st), ev = st >> 16;
        if (sig == (SIGTRAP | 0x80))
            snprintf(buf, sizeof buf, "stopped by SIGTRAP|0x80 (%#x)", st);
        else if (ev)
            snprintf(buf, sizeof buf, "stopped by %s event %d (%#x)", signal_name(sig), ev, st);
        else
            snprintf(buf, sizeof buf, "stopped by %s (%#x)", signal_name(sig), st);
        return buf;
    }
    return status_str(st);
}

/* Wait for the tracee's next report; it must be exactly want.  header (if any) is
 * printed first, once the tracee has stopped (so after the tracee's own lines). */
static void expect_after(const char *header, int want, const char *what)
{
    int st = 0;
    pid_t got = waitpid(tracee, &st, __WALL);
    if (header)
        printf("%s\n", header);
    if (got != tracee || st != want) {
        printf("FAIL %s: want %#x, got %s\n", what, want, got == tracee ? stop_str(st) : errno_name(errno));
        bail(what);
    }
    printf("ok %s: %s\n", what, stop_str(st));
}

static void expect(int want, const char *what)
{
    expect_after(NULL, want, what);
}

static void resume(int req, int sig)
{
    if (ptrace(req, tracee, 0, (void *)(long)sig) != 0)
        bail("resume");
}

static struct user_regs_struct regs(void)
{
    struct user_regs_struct r;
    memset(&r, 0, sizeof r);
    if (ptrace(PTRACE_GETREGS, tracee, 0, &r) != 0)
        bail("GETREGS");
    return r;
}

static void set_regs(const struct user_regs_struct *r)
{
    if (ptrace(PTRACE_SETREGS, tracee, 0, (void *)r) != 0)
        bail("SETREGS");
}

static long peekuser(size_t off)
{
    errno = 0;
    long v = ptrace(PTRACE_PEEKUSER, tracee, (void *)off, 0);
    if (errno)
        bail("PEEKUSER");
    return v;
}

static void pokeuser(size_t off, long v)
{
    if (ptrace(PTRACE_POKEUSER, tracee, (void *)off, (void *)v) != 0)
        bail("POKEUSER");
}

#define OFF(field) offsetof(struct user, regs.field)

static long sysinfo_get(struct sc_info *si, size_t size)
{
    memset(si, 0xaa, sizeof *si);
    return ptrace(REQ_GET_SYSCALL_INFO, tracee, (void *)size, si);
}

static const char *op_name(int op)
{
    switch (op) {
    case 0: return "NONE";
    case 1: return "ENTRY";
    case 2: return "EXIT";
    case 3: return "SECCOMP";
    }
    return "?";
}

static const char *si_code_str(int code)
{
    static char buf[32];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_TKILL: return "SI_TKILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGTRAP | 0x80: return "SIGTRAP|0x80";
    }
    snprintf(buf, sizeof buf, "code%#x", code);
    return buf;
}

static void print_siginfo(const char *what)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (ptrace(PTRACE_GETSIGINFO, tracee, 0, &si) != 0) {
        printf("%s: GETSIGINFO -> %s\n", what, errno_name(errno));
        return;
    }
    printf("%s: siginfo signo %s code %s, si_pid %s, si_uid %s\n", what, signal_name(si.si_signo),
           si_code_str(si.si_code), si.si_pid == tracee ? "== tracee" : "!= tracee",
           si.si_uid == getuid() ? "== uid" : "!= uid");
}

/* The tracee stopped itself at a phase boundary: its SIGSTOP. */
static void phase_start(const char *name)
{
    char header[128];
    snprintf(header, sizeof header, "-- %s", name);
    expect_after(header, 0x137f, "phase stop (SIGSTOP)");
}

/* ------------------------------------------------------------ tracee side */

static volatile sig_atomic_t handled;
static void on_sig(int sig)
{
    handled = sig;
}

static int pipefd[2];

static void tracee_main(void)
{
    guest_failures = 0;
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) {
        printf("FAIL PTRACE_TRACEME: %s\n", errno_name(errno));
        guest_failures++;
        guest_child_exit();
    }
    self_pid = raw0(SYS_getpid);
    phase_stop(); /* the tracer's first look */
    long r;
    char buf[4];

    /* plain getpid, traced without options */
    phase_stop();
    r = raw0(SYS_getpid);
    CHECK(r == getpid(), "tracee: getpid returned its pid");

    /* getppid with six recognisable arguments (TRACESYSGOOD from here on) */
    phase_stop();
    r = raw6(SYS_getppid, 11, 22, 33, 44, 55, 66);
    CHECK(r == getppid(), "tracee: getppid returned its parent");

    /* a failing call */
    phase_stop();
    r = raw1(SYS_close, -1);
    CHECK(r == -EBADF, "tracee: close(-1) -> -EBADF");

    /* getpid turned into getppid at entry */
    phase_stop();
    r = raw0(SYS_getpid);
    CHECK(r == getppid(), "tracee: getpid changed to getppid returns the parent");

    /* write skipped by orig_rax = -1, rax untouched */
    phase_stop();
    r = raw3(SYS_write, pipefd[1], "S", 1);
    CHECK(r == -ENOSYS, "tracee: skipped write returns -ENOSYS");
    /* skipped again, the tracer sets rax at entry */
    phase_stop();
    r = raw3(SYS_write, pipefd[1], "S", 1);
    CHECK(r == 1234, "tracee: skipped write returns the rax the tracer set (1234)");
    int avail = -1;
    ioctl(pipefd[0], FIONREAD, &avail);
    CHECK(avail == 0, "tracee: the skipped writes wrote nothing");

    /* write's count changed from 1 to 2 at entry */
    phase_stop();
    r = raw3(SYS_write, pipefd[1], "AB", 1);
    CHECK(r == 2, "tracee: write with its count changed to 2 returns 2");
    memset(buf, 0, sizeof buf);
    CHECK(read(pipefd[0], buf, sizeof buf) == 2 && memcmp(buf, "AB", 2) == 0, "tracee: the pipe holds AB");

    /* getpid's result changed at exit */
    phase_stop();
    r = raw0(SYS_getpid);
    CHECK(r == 42, "tracee: getpid's result changed at exit to 42");

    /* read interrupted by SIGUSR1 (SA_RESTART handler): restarted */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    handled = 0;
    phase_stop();
    r = raw3(SYS_read, pipefd[0], buf, 1);
    CHECK(r == 1 && handled == SIGUSR1, "tracee: SA_RESTART read restarted after the handler, got 1 byte");

    /* read interrupted by SIGUSR2 (handler without SA_RESTART): EINTR */
    handled = 0;
    phase_stop();
    r = raw3(SYS_read, pipefd[0], buf, 1);
    CHECK(r == -EINTR && handled == SIGUSR2, "tracee: read without SA_RESTART -> -EINTR after the handler");

    /* read interrupted, the tracer suppresses the signal: restarted, no handler */
    handled = 0;
    phase_stop();
    r = raw3(SYS_read, pipefd[0], buf, 1);
    CHECK(r == 1 && handled == 0, "tracee: read restarted after the suppressed signal, no handler ran");

    /* pause interrupted: -ERESTARTNOHAND at the exit stop, EINTR after the handler */
    handled = 0;
    phase_stop();
    r = raw0(SYS_pause);
    CHECK(r == -EINTR && handled == SIGUSR1, "tracee: pause -> -EINTR after the handler");

    /* nanosleep interrupted, signal suppressed: restart_syscall */
    struct timespec ts = {0, 20 * 1000 * 1000};
    phase_stop();
    r = raw3(SYS_nanosleep, &ts, NULL, 0);
    CHECK(r == 0, "tracee: nanosleep restarted through restart_syscall returns 0");

    /* PTRACE_SYSEMU: neither call runs, the tracer provides the results */
    phase_stop();
    r = raw0(SYS_getpid);
    long r2 = raw0(SYS_getppid);
    CHECK(r == 777 && r2 == 778, "tracee: emulated getpid/getppid return 777/778");

    /* PTRACE_SYSEMU then PTRACE_SYSCALL at the entry stop */
    phase_stop();
    r = raw3(SYS_write, pipefd[1], "E", 1);
    avail = -1;
    ioctl(pipefd[0], FIONREAD, &avail);
    CHECK(avail == 0, "tracee: the emulated write wrote nothing");
    printf("tracee: emulated write returned %ld\n", r);

    guest_child_exit();
}

/* ------------------------------------------------------------ tracer side */

static void tracer_main(void)
{
    struct user_regs_struct r;
    struct sc_info si;
    long n;
    pid_t me = getpid();

    printf("-- initial\n");
    expect(0x137f, "tracee's first stop (SIGSTOP)");

    /* ---- plain getpid */
    resume(PTRACE_CONT, 0);
    phase_start("getpid without options");
    resume(PTRACE_SYSCALL, 0);
    expect(0x57f, "entry stop");
    r = regs();
    CHECK_EQ(r.orig_rax, SYS_getpid, "entry: orig_rax == SYS_getpid (GETREGS)");
    CHECK_EQ((long)r.rax, -ENOSYS, "entry: rax == -ENOSYS (GETREGS)");
    CHECK_EQ(peekuser(OFF(orig_rax)), SYS_getpid, "entry: orig_rax == SYS_getpid (PEEKUSER)");
    CHECK_EQ(peekuser(OFF(rax)), -ENOSYS, "entry: rax == -ENOSYS (PEEKUSER)");
    print_siginfo("entry");
    n = sysinfo_get(&si, sizeof si);
    printf("entry without TRACESYSGOOD: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    resume(PTRACE_SYSCALL, 0);
    expect(0x57f, "exit stop");
    r = regs();
    CHECK_EQ(r.rax, tracee, "exit: rax == the tracee's pid");
    CHECK_EQ(r.orig_rax, SYS_getpid, "exit: orig_rax still SYS_getpid");
    print_siginfo("exit");
    resume(PTRACE_CONT, 0);

    /* ---- TRACESYSGOOD and GET_SYSCALL_INFO */
    phase_start("getppid(11..66) with TRACESYSGOOD");
    n = sysinfo_get(&si, sizeof si);
    printf("at a signal-delivery-stop: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    CHECK_EQ(si.arch, AUDIT_ARCH_X86_64_, "signal-delivery-stop: arch AUDIT_ARCH_X86_64");
    r = regs();
    CHECK(si.ip == r.rip && si.sp == r.rsp, "signal-delivery-stop: ip/sp == rip/rsp");
    CHECK(ptrace(PTRACE_SETOPTIONS, tracee, 0, (void *)PTRACE_O_TRACESYSGOOD) == 0, "SETOPTIONS TRACESYSGOOD");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    print_siginfo("entry");
    r = regs();
    n = sysinfo_get(&si, sizeof si);
    printf("entry: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    CHECK_EQ(si.arch, AUDIT_ARCH_X86_64_, "entry: arch AUDIT_ARCH_X86_64");
    CHECK_EQ(si.u.entry.nr, SYS_getppid, "entry: nr == SYS_getppid");
    CHECK(si.u.entry.args[0] == 11 && si.u.entry.args[1] == 22 && si.u.entry.args[2] == 33 &&
              si.u.entry.args[3] == 44 && si.u.entry.args[4] == 55 && si.u.entry.args[5] == 66,
          "entry: args == 11 22 33 44 55 66");
    CHECK(si.ip == r.rip && si.sp == r.rsp, "entry: ip/sp == rip/rsp");
    CHECK(((unsigned char *)r.rip)[-2] == 0x0f && ((unsigned char *)r.rip)[-1] == 0x05,
          "entry: rip is just after a syscall instruction (same binary, same address)");
    CHECK(r.rdi == 11 && r.rsi == 22 && r.rdx == 33 && r.r10 == 44 && r.r8 == 55 && r.r9 == 66,
          "entry: rdi rsi rdx r10 r8 r9 == the arguments");
    printf("entry: flags %u reserved %u\n", si.flags, si.reserved);
    n = sysinfo_get(&si, 8);
    unsigned char *bytes = (unsigned char *)&si;
    CHECK(si.op == 1 && bytes[8] == 0xaa && bytes[sizeof si - 1] == 0xaa,
          "entry with an 8-byte buffer: op written, the rest untouched");
    printf("entry with an 8-byte buffer: returns %ld\n", n);
    n = sysinfo_get(&si, 0);
    CHECK(bytes[0] == 0xaa, "entry with a 0-byte buffer: nothing written");
    printf("entry with a 0-byte buffer: returns %ld\n", n);
    EXPECT_ERRNO(ptrace(REQ_GET_SYSCALL_INFO, tracee, (void *)sizeof si, (void *)8), EFAULT,
                 "GET_SYSCALL_INFO into a bad buffer");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    print_siginfo("exit");
    n = sysinfo_get(&si, sizeof si);
    printf("exit: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    CHECK(si.u.exit.rval == me && si.u.exit.is_error == 0, "exit: rval == tracer's pid, is_error 0");
    resume(PTRACE_CONT, 0);

    phase_start("close(-1)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    n = sysinfo_get(&si, sizeof si);
    printf("exit: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    CHECK(si.u.exit.rval == -EBADF && si.u.exit.is_error == 1, "exit: rval == -EBADF, is_error 1");
    resume(PTRACE_CONT, 0);

    /* ---- changing the call */
    phase_start("getpid changed to getppid");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    pokeuser(OFF(orig_rax), SYS_getppid);
    CHECK_EQ(peekuser(OFF(orig_rax)), SYS_getppid, "entry: orig_rax reads back SYS_getppid");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    r = regs();
    CHECK_EQ(r.orig_rax, SYS_getppid, "exit: orig_rax == SYS_getppid");
    CHECK_EQ(r.rax, me, "exit: rax == tracer's pid");
    n = sysinfo_get(&si, sizeof si);
    CHECK(si.op == 2 && si.u.exit.rval == me, "exit: GET_SYSCALL_INFO rval == tracer's pid");
    resume(PTRACE_CONT, 0);

    phase_start("write skipped (orig_rax = -1)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    pokeuser(OFF(orig_rax), -1);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop of the skipped call");
    r = regs();
    CHECK_EQ((long)r.orig_rax, -1, "exit: orig_rax == -1");
    CHECK_EQ((long)r.rax, -ENOSYS, "exit: rax == -ENOSYS");
    n = sysinfo_get(&si, sizeof si);
    printf("exit of the skipped call: GET_SYSCALL_INFO returns %ld, op %s, rval %lld, is_error %u\n", n,
           op_name(si.op), (long long)si.u.exit.rval, si.u.exit.is_error);
    resume(PTRACE_CONT, 0);

    phase_start("write skipped, rax set at entry");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    r = regs();
    r.orig_rax = (unsigned long)-1;
    r.rax = 1234;
    set_regs(&r);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop of the skipped call");
    r = regs();
    CHECK_EQ(r.rax, 1234, "exit: rax == 1234");
    resume(PTRACE_CONT, 0);

    phase_start("write's count changed at entry");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    r = regs();
    CHECK_EQ(r.rdx, 1, "entry: rdx == 1");
    r.rdx = 2;
    set_regs(&r);
    n = sysinfo_get(&si, sizeof si);
    CHECK_EQ(si.u.entry.args[2], 2, "entry: GET_SYSCALL_INFO shows the new count");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), 2, "exit: rax == 2");
    resume(PTRACE_CONT, 0);

    phase_start("getpid's result changed at exit");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), tracee, "exit: rax == the tracee's pid");
    pokeuser(OFF(rax), 42);
    resume(PTRACE_CONT, 0);

    /* ---- interrupted syscalls */
    phase_start("read interrupted by SIGUSR1 (SA_RESTART)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    kill(tracee, SIGUSR1); /* pending when read starts: read fails at once */
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    r = regs();
    CHECK_EQ((long)r.rax, -ERESTARTSYS_, "exit: rax == -ERESTARTSYS (-512)");
    CHECK_EQ(r.orig_rax, SYS_read, "exit: orig_rax == SYS_read");
    n = sysinfo_get(&si, sizeof si);
    CHECK(si.op == 2 && si.u.exit.rval == -ERESTARTSYS_ && si.u.exit.is_error == 1,
          "exit: GET_SYSCALL_INFO rval -512, is_error 1");
    unsigned long rip_exit = r.rip;
    resume(PTRACE_SYSCALL, 0);
    expect(0xa7f, "signal-delivery-stop");
    r = regs();
    CHECK_EQ((long)r.rax, -ERESTARTSYS_, "signal-delivery-stop: rax still -512");
    CHECK(r.rip == rip_exit, "signal-delivery-stop: rip unchanged");
    n = sysinfo_get(&si, sizeof si);
    printf("signal-delivery-stop: GET_SYSCALL_INFO returns %ld, op %s\n", n, op_name(si.op));
    resume(PTRACE_SYSCALL, SIGUSR1);
    expect(0x857f, "entry stop (rt_sigreturn, after the handler)");
    r = regs();
    CHECK_EQ(r.orig_rax, SYS_rt_sigreturn, "entry: orig_rax == SYS_rt_sigreturn");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (rt_sigreturn)");
    r = regs();
    CHECK_EQ((long)r.orig_rax, -1, "rt_sigreturn exit: orig_rax == -1");
    CHECK_EQ(r.rax, SYS_read, "rt_sigreturn exit: rax == SYS_read (set up for the restart)");
    CHECK(r.rip == rip_exit - 2, "rt_sigreturn exit: rip backed up onto the syscall instruction");
    n = sysinfo_get(&si, sizeof si);
    printf("rt_sigreturn exit: GET_SYSCALL_INFO returns %ld, op %s, rval %lld, is_error %u\n", n,
           op_name(si.op), (long long)si.u.exit.rval, si.u.exit.is_error);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop (read restarted)");
    r = regs();
    CHECK(r.orig_rax == SYS_read && r.rip == rip_exit, "restarted read: orig_rax SYS_read, rip after the syscall");
    CHECK(write(pipefd[1], "R", 1) == 1, "tracer writes a byte");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (restarted read)");
    CHECK_EQ(peekuser(OFF(rax)), 1, "exit: rax == 1");
    resume(PTRACE_CONT, 0);

    phase_start("read interrupted by SIGUSR2 (no SA_RESTART)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    kill(tracee, SIGUSR2);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), -ERESTARTSYS_, "exit: rax == -ERESTARTSYS (-512)");
    rip_exit = regs().rip;
    resume(PTRACE_SYSCALL, 0);
    expect(0xc7f, "signal-delivery-stop");
    resume(PTRACE_SYSCALL, SIGUSR2);
    expect(0x857f, "entry stop (rt_sigreturn)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (rt_sigreturn)");
    r = regs();
    CHECK_EQ((long)r.rax, -EINTR, "rt_sigreturn exit: rax == -EINTR");
    CHECK_EQ((long)r.orig_rax, -1, "rt_sigreturn exit: orig_rax == -1");
    CHECK(r.rip == rip_exit, "rt_sigreturn exit: rip after the syscall instruction");
    n = sysinfo_get(&si, sizeof si);
    CHECK(si.op == 2 && si.u.exit.rval == -EINTR && si.u.exit.is_error == 1,
          "rt_sigreturn exit: GET_SYSCALL_INFO rval -EINTR, is_error 1");
    resume(PTRACE_CONT, 0);

    phase_start("read interrupted, signal suppressed by the tracer");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    kill(tracee, SIGUSR1);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), -ERESTARTSYS_, "exit: rax == -ERESTARTSYS (-512)");
    rip_exit = regs().rip;
    resume(PTRACE_SYSCALL, 0);
    expect(0xa7f, "signal-delivery-stop");
    resume(PTRACE_SYSCALL, 0); /* the signal is dropped */
    expect(0x857f, "entry stop (read restarted)");
    r = regs();
    CHECK(r.orig_rax == SYS_read && r.rip == rip_exit, "restarted read: orig_rax SYS_read, rip after the syscall");
    CHECK(write(pipefd[1], "Q", 1) == 1, "tracer writes a byte");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (restarted read)");
    CHECK_EQ(peekuser(OFF(rax)), 1, "exit: rax == 1");
    resume(PTRACE_CONT, 0);

    phase_start("pause interrupted by SIGUSR1");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    kill(tracee, SIGUSR1);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), -ERESTARTNOHAND_, "exit: rax == -ERESTARTNOHAND (-514)");
    resume(PTRACE_SYSCALL, 0);
    expect(0xa7f, "signal-delivery-stop");
    resume(PTRACE_SYSCALL, SIGUSR1);
    expect(0x857f, "entry stop (rt_sigreturn)");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (rt_sigreturn)");
    CHECK_EQ(peekuser(OFF(rax)), -EINTR, "rt_sigreturn exit: rax == -EINTR");
    resume(PTRACE_CONT, 0);

    phase_start("nanosleep interrupted, signal suppressed");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop");
    kill(tracee, SIGUSR1);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop");
    CHECK_EQ(peekuser(OFF(rax)), -ERESTART_RESTARTBLOCK_, "exit: rax == -ERESTART_RESTARTBLOCK (-516)");
    rip_exit = regs().rip;
    resume(PTRACE_SYSCALL, 0);
    expect(0xa7f, "signal-delivery-stop");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "entry stop (restarted)");
    r = regs();
    CHECK_EQ(r.orig_rax, SYS_restart_syscall, "restarted: orig_rax == SYS_restart_syscall");
    CHECK(r.rip == rip_exit, "restarted: rip after the syscall instruction");
    n = sysinfo_get(&si, sizeof si);
    CHECK(si.op == 1 && si.u.entry.nr == SYS_restart_syscall, "restarted: GET_SYSCALL_INFO nr == restart_syscall");
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "exit stop (restart_syscall)");
    r = regs();
    CHECK(r.rax == 0 && r.orig_rax == SYS_restart_syscall, "exit: rax 0, orig_rax SYS_restart_syscall");
    resume(PTRACE_CONT, 0);

    /* ---- PTRACE_SYSEMU */
    phase_start("PTRACE_SYSEMU getpid, getppid");
    resume(PTRACE_SYSEMU, 0);
    expect(0x857f, "entry stop (getpid)");
    r = regs();
    CHECK(r.orig_rax == SYS_getpid && (long)r.rax == -ENOSYS, "entry: orig_rax SYS_getpid, rax -ENOSYS");
    n = sysinfo_get(&si, sizeof si);
    CHECK(si.op == 1 && si.u.entry.nr == SYS_getpid, "entry: GET_SYSCALL_INFO op ENTRY nr getpid");
    pokeuser(OFF(rax), 777);
    resume(PTRACE_SYSEMU, 0);
    expect(0x857f, "entry stop (getppid: no exit stop for getpid)");
    CHECK_EQ(peekuser(OFF(orig_rax)), SYS_getppid, "entry: orig_rax SYS_getppid");
    pokeuser(OFF(rax), 778);
    resume(PTRACE_CONT, 0);

    phase_start("PTRACE_SYSEMU, then PTRACE_SYSCALL at the entry stop");
    resume(PTRACE_SYSEMU, 0);
    expect(0x857f, "entry stop (write)");
    pokeuser(OFF(rax), 5);
    resume(PTRACE_SYSCALL, 0);
    expect(0x857f, "next stop");
    r = regs();
    printf("next stop: orig_rax %s, rax %ld\n", r.orig_rax == SYS_write ? "SYS_write" : "other", (long)r.rax);
    n = sysinfo_get(&si, sizeof si);
    printf("next stop: GET_SYSCALL_INFO op %s\n", op_name(si.op));
    resume(PTRACE_CONT, 0);

    int st;
    CHECK(waitpid(tracee, &st, __WALL) == tracee, "tracee reaped");
    printf("tracee: %s\n", status_str(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        guest_failures++;
}

int main(void)
{
    guest_line_buffered();
    if (pipe(pipefd) != 0)
        return 1;
    tracee = guest_fork();
    if (tracee == 0) {
        tracee_main();
        return 0;
    }
    alarm(60);
    tracer_main();
    return guest_exit();
}
