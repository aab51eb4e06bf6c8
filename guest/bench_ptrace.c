/* bench_ptrace: argv[1] (default 10000) getpid calls made by a child traced with PTRACE_SYSCALL.  Each call
 * stops the child twice (syscall entry and exit); each time the parent waits for the stop with waitpid and
 * resumes it with PTRACE_SYSCALL: one operation is that round trip, two stops and two resumes.  The child
 * issues its calls with inline `syscall` instructions (no libc code between them, so the parent sees
 * exactly 2N + 1 stops: the getpid pairs and the exit_group entry).  Natively both are pinned to one CPU.
 * If PTRACE_TRACEME fails with ENOSYS (an emulator without ptrace) it prints "n/a (ENOSYS)" and exits 0. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline long raw_syscall2(long nr, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

enum { CHILD_NO_PTRACE = 42, CHILD_PTRACE_FAILED = 43 };

static void child(long n)
{
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        _exit(errno == ENOSYS ? CHILD_NO_PTRACE : CHILD_PTRACE_FAILED);
    /* stop here until the parent has set the options and resumes us with PTRACE_SYSCALL */
    raw_syscall2(SYS_kill, raw_syscall2(SYS_getpid, 0, 0), SIGSTOP);
    for (long i = 0; i < n; i++)
        raw_syscall2(SYS_getpid, 0, 0);
    raw_syscall2(SYS_exit_group, 0, 0);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 10000L;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL fork\n");
        return 1;
    }
    if (pid == 0)
        child(n);
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        printf("FAIL waitpid\n");
        return 1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_NO_PTRACE) {
        printf("n/a (ENOSYS)\n");
        return 0;
    }
    if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
        printf("FAIL first stop: %#x\n", st);
        return 1;
    }
    /* TRACESYSGOOD: syscall stops report SIGTRAP|0x80; EXITKILL: the child dies if we do */
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0) {
        printf("FAIL PTRACE_SETOPTIONS: %d\n", errno);
        kill(pid, SIGKILL);
        return 1;
    }
    long stops = 0, other = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) != 0) {
            printf("FAIL PTRACE_SYSCALL: %d\n", errno);
            kill(pid, SIGKILL);
            return 1;
        }
        if (waitpid(pid, &st, 0) != pid) {
            printf("FAIL waitpid\n");
            return 1;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st))
            break;
        if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80))
            stops++;
        else
            other++;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || stops != 2 * n + 1 || other != 0) {
        printf("FAIL %ld syscall stops (want %ld), %ld other stops, end %#x\n", stops, 2 * n + 1, other, st);
        return 1;
    }
    printf("done\n");
    return 0;
}
