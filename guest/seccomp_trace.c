/*
 * seccomp_trace: SECCOMP_RET_TRACE and a ptrace tracer.
 *
 * Each case forks a tracee (PTRACE_TRACEME, then SIGSTOP) that installs one
 * filter and makes one call, reporting its result through a pipe; the tracer
 * drives it, prints the stops, and prints the result after the tracee exits.
 * The filter, on getppid: TRACE with data 0x123; on getpgrp: TRACE with data
 * 0x456; on getuid: ERRNO(EACCES); on getsid: KILL_PROCESS; the rest allowed.
 *
 * Covers: the PTRACE_EVENT_SECCOMP stop (status >> 16 == 7, GETEVENTMSG = the
 * filter's data, PTRACE_GET_SYSCALL_INFO op SECCOMP with nr/args/ret_data, the
 * registers at the stop); the tracer changing orig_rax at that stop (the
 * filters run again on the new syscall: ERRNO, allowed, TRACE again without a
 * second stop, KILL_PROCESS) or skipping the syscall (-1, with and without a
 * return value in rax); TRACE without PTRACE_O_TRACESECCOMP (ENOSYS); the order
 * of the syscall-entry stop, the seccomp stop and the syscall-exit stop under
 * PTRACE_SYSCALL, PTRACE_CONT from the seccomp stop, and a change of the
 * syscall at the entry stop that the filter then sees; two TRACE filters (the
 * newest one's data) and TRACE against an ERRNO filter.
 */
#include "guest.h"
#include "guest_ptrace.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define REQ_TRACEME 0
#define REQ_CONT 7
#define REQ_KILL 8
#define REQ_GETREGS 12
#define REQ_SETREGS 13
#define REQ_SYSCALL 24
#define REQ_SETOPTIONS 0x4200
#define REQ_GETEVENTMSG 0x4201
#define REQ_GET_SYSCALL_INFO 0x420e
#define OPT_TRACESYSGOOD 0x01
#define OPT_TRACESECCOMP 0x80
#define OPT_EXITKILL 0x100000
#define EVENT_SECCOMP 7

/* struct ptrace_syscall_info, spelled out (the libc and kernel headers clash) */
struct sc_info {
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t stack_pointer;
    union {
        struct {
            uint64_t nr;
            uint64_t args[6];
        } entry;
        struct {
            int64_t rval;
            uint8_t is_error;
        } exit;
        struct {
            uint64_t nr;
            uint64_t args[6];
            uint32_t ret_data;
        } seccomp;
    };
};

/* ------------------------------------------------------------ the tracee */

static int rep[2];

static void install_filter(int extra)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x123),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x456),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {.len = sizeof f / sizeof f[0], .filter = f};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) != 0)
        _exit(90);
    if (extra) {
        /* a second filter: getppid -> TRACE 0x789 (extra == 1) or ERRNO(ENXIO) (extra == 2) */
        struct sock_filter g[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, extra == 1 ? SECCOMP_RET_TRACE | 0x789 : SECCOMP_RET_ERRNO | ENXIO),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog q = {.len = 4, .filter = g};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &q) != 0)
            _exit(91);
    }
}

struct result {
    long r;
    int e;
};

static pid_t spawn(int call_nr, int extra)
{
    pipe(rep);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(rep[0]);
        if (pt(REQ_TRACEME, 0, 0, 0) != 0)
            _exit(92);
        raise(SIGSTOP);
        install_filter(extra);
        errno = 0;
        long r = syscall(call_nr, 1L, 2L, 3L, 4L, 5L, 6L);
        struct result res = {r, r == -1 ? errno : 0};
        write(rep[1], &res, sizeof res);
        _exit(0);
    }
    close(rep[1]);
    return pid;
}

/* ------------------------------------------------------------ the tracer */

static pid_t tracee;

static const char *nr_name(long nr)
{
    static char buf[32];
    switch (nr) {
    case SYS_getppid: return "getppid";
    case SYS_getpgrp: return "getpgrp";
    case SYS_getuid: return "getuid";
    case SYS_getgid: return "getgid";
    case SYS_getsid: return "getsid";
    case -1: return "-1";
    }
    snprintf(buf, sizeof buf, "nr %ld", nr);
    return buf;
}

/* a value as a relation to the tracer: its pid, its process group, or the number */
static const char *val_str(long v)
{
    static char buf[40];
    if (v == getpid())
        return "the tracer's pid";
    if (v == getpgrp())
        return "the process group";
    snprintf(buf, sizeof buf, "%ld", v);
    return buf;
}

static void show_info(void)
{
    struct sc_info si;
    memset(&si, 0xaa, sizeof si);
    long n = pt(REQ_GET_SYSCALL_INFO, tracee, sizeof si, (long)&si);
    if (si.op == 3) {
        printf("  GET_SYSCALL_INFO: %ld bytes, op SECCOMP, arch %#x, nr %s, args %llu %llu %llu %llu %llu %llu, "
               "ret_data %#x\n",
               n, si.arch, nr_name((long)si.seccomp.nr), (unsigned long long)si.seccomp.args[0],
               (unsigned long long)si.seccomp.args[1], (unsigned long long)si.seccomp.args[2],
               (unsigned long long)si.seccomp.args[3], (unsigned long long)si.seccomp.args[4],
               (unsigned long long)si.seccomp.args[5], si.seccomp.ret_data);
    } else if (si.op == 1) {
        printf("  GET_SYSCALL_INFO: %ld bytes, op ENTRY, nr %s\n", n, nr_name((long)si.entry.nr));
    } else if (si.op == 2) {
        printf("  GET_SYSCALL_INFO: %ld bytes, op EXIT, rval %s is_error %u\n", n, val_str((long)si.exit.rval),
               si.exit.is_error);
    } else {
        printf("  GET_SYSCALL_INFO: %ld bytes, op %u\n", n, si.op);
    }
}

static void show_regs(struct user_regs_struct *r)
{
    pt(REQ_GETREGS, tracee, 0, (long)r);
    printf("  orig_rax %s, rax %s\n", nr_name((long)r->orig_rax), val_str((long)r->rax));
}

static int ended = -1; /* the tracee's final status, once a loop saw it */

static void finish(const char *what)
{
    int st = ended;
    if (st == -1)
        waitpid(tracee, &st, 0);
    ended = -1;
    printf("%s: tracee %s\n", what, wstr(st));
    struct result res = {0, 0};
    ssize_t n = read(rep[0], &res, sizeof res);
    if (n != (ssize_t)sizeof res)
        printf("%s: no result (the call did not return)\n", what);
    else if (res.r == -1)
        printf("%s: the call returns -1 %s\n", what, errno_name(res.e));
    else
        printf("%s: the call returns %s\n", what, val_str(res.r));
    close(rep[0]);
    tracee = 0;
}

/* the tracee's first stop (its SIGSTOP), then options */
static int first_stop(long options)
{
    int st = wait_report(tracee, 0, "first stop");
    if (st < 0 || !WIFSTOPPED(st))
        return -1;
    if (pt(REQ_SETOPTIONS, tracee, 0, options | OPT_EXITKILL) != 0) {
        printf("FAIL PTRACE_SETOPTIONS: %s\n", errno_name(errno));
        return -1;
    }
    return 0;
}

enum change { RESUME, TO_GETUID, TO_GETGID, TO_GETPGRP, TO_GETSID, SKIP, SKIP_RAX, TO_SAME };

static const char *change_name(enum change c)
{
    switch (c) {
    case RESUME: return "resume unchanged";
    case TO_GETUID: return "orig_rax = getuid (ERRNO(EACCES) in the filter)";
    case TO_GETGID: return "orig_rax = getgid (allowed)";
    case TO_GETPGRP: return "orig_rax = getpgrp (TRACE 0x456 in the filter)";
    case TO_GETSID: return "orig_rax = getsid (KILL_PROCESS in the filter)";
    case SKIP: return "orig_rax = -1 (skip), rax left";
    case SKIP_RAX: return "orig_rax = -1 (skip), rax = 777";
    case TO_SAME: return "orig_rax = getppid again (rewritten unchanged), rax = 5";
    }
    return "?";
}

/* One seccomp stop with PTRACE_CONT: the stop, the change, then the end. */
static void case_event(const char *what, int call_nr, enum change c, int extra)
{
    printf("-- %s\n", what);
    tracee = spawn(call_nr, extra);
    if (first_stop(OPT_TRACESECCOMP) != 0) {
        kill(tracee, SIGKILL);
        finish(what);
        return;
    }
    pt(REQ_CONT, tracee, 0, 0);
    for (int stops = 0; stops < 4; stops++) {
        int st = 0;
        if (waitpid(tracee, &st, 0) != tracee)
            break;
        if (!WIFSTOPPED(st)) {
            ended = st;
            break;
        }
        printf("stop: %s\n", wstr(st));
        if ((st >> 16) == EVENT_SECCOMP) {
            unsigned long msg = 0;
            pt(REQ_GETEVENTMSG, tracee, 0, (long)&msg);
            printf("  GETEVENTMSG %#lx\n", msg);
            show_info();
            struct user_regs_struct r;
            show_regs(&r);
            if (stops == 0) {
                printf("  tracer: %s\n", change_name(c));
                switch (c) {
                case RESUME: break;
                case TO_GETUID: r.orig_rax = SYS_getuid; break;
                case TO_GETGID: r.orig_rax = SYS_getgid; break;
                case TO_GETPGRP: r.orig_rax = SYS_getpgrp; break;
                case TO_GETSID: r.orig_rax = SYS_getsid; break;
                case SKIP: r.orig_rax = (unsigned long long)-1; break;
                case SKIP_RAX:
                    r.orig_rax = (unsigned long long)-1;
                    r.rax = 777;
                    break;
                case TO_SAME: r.rax = 5; break;
                }
                if (c != RESUME)
                    pt(REQ_SETREGS, tracee, 0, (long)&r);
            }
        }
        pt(REQ_CONT, tracee, 0, 0);
    }
    finish(what);
}

/* PTRACE_SYSCALL all along: print the stops of the call (entry, seccomp, exit), skip the others. */
static void case_syscall_order(const char *what, int call_nr, int cont_at_seccomp, int entry_to_getppid)
{
    printf("-- %s\n", what);
    tracee = spawn(call_nr, 0);
    if (first_stop(OPT_TRACESECCOMP | OPT_TRACESYSGOOD) != 0) {
        kill(tracee, SIGKILL);
        finish(what);
        return;
    }
    int in_call = 0, resume = REQ_SYSCALL;
    pt(REQ_SYSCALL, tracee, 0, 0);
    for (int stops = 0; stops < 200; stops++) {
        int st = 0;
        if (waitpid(tracee, &st, 0) != tracee)
            break;
        if (!WIFSTOPPED(st)) {
            ended = st;
            break;
        }
        struct sc_info si;
        memset(&si, 0, sizeof si);
        pt(REQ_GET_SYSCALL_INFO, tracee, sizeof si, (long)&si);
        struct user_regs_struct r;
        pt(REQ_GETREGS, tracee, 0, (long)&r);
        int ours = (long)r.orig_rax == call_nr || (long)r.orig_rax == SYS_getppid || in_call;
        if (ours) {
            printf("stop: %s\n", wstr(st));
            show_info();
            printf("  orig_rax %s, rax %s\n", nr_name((long)r.orig_rax), val_str((long)r.rax));
        }
        if (si.op == 1 && ours) {
            in_call = 1;
            if (entry_to_getppid) {
                r.orig_rax = SYS_getppid;
                pt(REQ_SETREGS, tracee, 0, (long)&r);
                printf("  tracer: orig_rax = getppid at the entry stop\n");
            }
        } else if (si.op == 2 && in_call) {
            in_call = 0;
        } else if (si.op == 3 && cont_at_seccomp) {
            printf("  tracer: PTRACE_CONT from the seccomp stop\n");
            resume = REQ_CONT;
        }
        pt(resume, tracee, 0, 0);
        if (resume == REQ_CONT)
            break;
    }
    finish(what);
}

static void case_no_option(void)
{
    const char *what = "TRACE without PTRACE_O_TRACESECCOMP";
    printf("-- %s\n", what);
    tracee = spawn(SYS_getppid, 0);
    if (first_stop(0) == 0)
        pt(REQ_CONT, tracee, 0, 0);
    finish(what);
}

int main(void)
{
    guest_line_buffered();
    /* lead our own process group (natively the harness's new session already makes us one), so that
     * getpgrp's result reads as "the tracer's pid" under any launcher */
    (void)setpgid(0, 0);
    printf("seccomp_trace\n");
    case_event("getppid, resumed unchanged", SYS_getppid, RESUME, 0);
    case_event("getppid, changed to getuid", SYS_getppid, TO_GETUID, 0);
    case_event("getppid, changed to getgid", SYS_getppid, TO_GETGID, 0);
    case_event("getppid, changed to getpgrp", SYS_getppid, TO_GETPGRP, 0);
    case_event("getppid, changed to getsid", SYS_getppid, TO_GETSID, 0);
    case_event("getppid, skipped", SYS_getppid, SKIP, 0);
    case_event("getppid, skipped with rax 777", SYS_getppid, SKIP_RAX, 0);
    case_event("getppid, rewritten unchanged with rax 5", SYS_getppid, TO_SAME, 0);
    case_event("getpgrp (data 0x456)", SYS_getpgrp, RESUME, 0);
    case_event("two TRACE filters", SYS_getppid, RESUME, 1);
    case_event("TRACE and an ERRNO filter", SYS_getppid, RESUME, 2);
    case_no_option();
    case_syscall_order("PTRACE_SYSCALL: entry, seccomp, exit", SYS_getppid, 0, 0);
    case_syscall_order("PTRACE_SYSCALL, PTRACE_CONT at the seccomp stop", SYS_getppid, 1, 0);
    case_syscall_order("PTRACE_SYSCALL, getgid changed to getppid at the entry stop", SYS_getgid, 0, 1);
    return guest_exit();
}
