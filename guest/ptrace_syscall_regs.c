/*
 * ptrace_syscall_regs: a tracer's register changes at syscall stops take effect.
 *
 * The PTRACE_TRACEME child makes three marker syscalls (kill of a pid that does
 * not exist); the parent runs it with PTRACE_SYSCALL and, at each marker's
 * entry and exit stops, reads and changes registers:
 *   1. entry: orig_rax becomes getpid; exit: rax is the child's pid, then 4242;
 *   2. entry: orig_rax becomes -1 (the syscall is skipped); exit: rax is still
 *      -ENOSYS, then 77;
 *   3. entry: the arguments change (rdi = the child's own pid, rsi = 0): the
 *      kill succeeds.
 * The child prints what each syscall returned once it is running untraced.
 */
#include "guest.h"

#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#define NOPID 0x3ffffff0
#define REG_OFF(f) offsetof(struct user_regs_struct, f)

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

static void child(void)
{
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
        _exit(9);
    kill(getpid(), SIGSTOP);
    long r1 = syscall(SYS_kill, NOPID, 0);
    long r2 = syscall(SYS_kill, NOPID, 0);
    int e2 = errno;
    long r3 = syscall(SYS_kill, NOPID, 0);
    CHECK(r1 == 4242, "child: marker 1 returned what the tracer set at its exit");
    CHECK(r2 == 77 && e2 == 0, "child: marker 2 (skipped) returned what the tracer set");
    CHECK(r3 == 0, "child: marker 3 ran with the tracer's arguments");
    guest_child_exit();
}

/* PTRACE_SYSCALL once: the next syscall stop */
static int next_stop(pid_t pid)
{
    int st;
    if (pt(PTRACE_SYSCALL, pid, 0, 0) != 0 || waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80);
}

/* syscall stops (entries and their exits, in pairs) until the entry of kill(NOPID, ...) */
static int to_marker(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        struct user_regs_struct r;
        if (!next_stop(pid) || pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r) != 0)
            return 0;
        if (r.orig_rax == SYS_kill && r.rdi == NOPID)
            return 1;
        if (!next_stop(pid))  /* its exit */
            return 0;
    }
    return 0;
}

int main(void)
{
    guest_line_buffered();
    pid_t pid = guest_fork();
    if (pid == 0)
        child();
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "the tracee stops");
    CHECK(pt(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD) == 0, "PTRACE_SETOPTIONS TRACESYSGOOD");
    struct user_regs_struct r;

    printf("-- marker 1: another syscall, another result\n");
    CHECK(to_marker(pid), "entry stop of marker 1");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(orig_rax), SYS_getpid) == 0, "POKEUSER orig_rax = getpid");
    CHECK(next_stop(pid), "exit stop of marker 1");
    CHECK(pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r) == 0 && (long)r.rax == pid, "exit: rax is the child's pid");
    CHECK_EQ((long)r.orig_rax, SYS_getpid, "exit: orig_rax is getpid");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(rax), 4242) == 0, "POKEUSER rax = 4242");

    printf("-- marker 2: skipped\n");
    CHECK(to_marker(pid), "entry stop of marker 2");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(orig_rax), -1UL) == 0, "POKEUSER orig_rax = -1");
    CHECK(next_stop(pid), "exit stop of marker 2");
    CHECK(pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r) == 0 && (long)r.rax == -ENOSYS, "exit: rax is -ENOSYS");
    CHECK_EQ((long)r.orig_rax, -1, "exit: orig_rax is -1");
    CHECK(pt(PTRACE_POKEUSER, pid, REG_OFF(rax), 77) == 0, "POKEUSER rax = 77");

    printf("-- marker 3: other arguments\n");
    CHECK(to_marker(pid), "entry stop of marker 3");
    CHECK(pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r) == 0, "GETREGS");
    r.rdi = pid;
    r.rsi = 0;
    CHECK(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r) == 0, "SETREGS rdi = the child, rsi = 0");
    CHECK(next_stop(pid), "exit stop of marker 3");
    CHECK(pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r) == 0 && r.rax == 0, "exit: rax is 0");

    long cont = pt(PTRACE_CONT, pid, 0, 0);  /* checked after the wait: the child prints meanwhile */
    CHECK(waitpid(pid, &st, 0) == pid, "the tracee ends");
    CHECK(cont == 0, "PTRACE_CONT");
    printf("tracee: %s\n", status_str(st));
    return guest_exit();
}
