/*
 * guest_ptrace.h - what the ptrace guests share: the raw ptrace call (no glibc/musl wrapper differences)
 * and a wait that prints what it reported, ptrace event stops included.  Include after guest.h.
 */
#ifndef EMUKERNEL_GUEST_PTRACE_H
#define EMUKERNEL_GUEST_PTRACE_H

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline long pt(long req, pid_t pid, long addr, long data)
{
    return syscall(SYS_ptrace, req, (long)pid, addr, data);
}

/* A wait status in words, ptrace event stops included. */
static inline const char *wstr(int st)
{
    static char buf[96];
    if (WIFSTOPPED(st) && (st >> 16) != 0)
        snprintf(buf, sizeof buf, "event-stop %d with %s", st >> 16, signal_name(WSTOPSIG(st)));
    else
        snprintf(buf, sizeof buf, "%s", status_str(st));
    return buf;
}

/* waitpid(pid) and print what it reported (labelled by what). */
static inline int wait_report(pid_t pid, int flags, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, flags);
    if (got != pid) {
        guest_failures++;
        printf("FAIL %s: waitpid returned %s\n", what, got == 0 ? "0" : errno_name(errno));
        return -1;
    }
    printf("%s: %s\n", what, wstr(st));
    return st;
}

#endif
