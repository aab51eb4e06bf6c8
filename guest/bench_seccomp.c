/* bench_seccomp: argv[2] (default 100000) getpid calls under a seccomp filter chosen by argv[1]:
 *   none      no filter (the baseline of the same loop)
 *   allow10   a 10-rule allow-list with an arch check, as a sandbox writes one: getpid is allowed whatever
 *             the arguments, so Linux's action cache (and emukernel's) skips running the filter
 *   run100    a 100-instruction filter that looks at an argument, so it must run for every getpid
 * then prints "done".  `check4096 N` instead offers the kernel N times a 4096-instruction program that the
 * checker refuses only at its end (no final RET): the check time of a program of the maximum size.  If seccomp is missing (ENOSYS) it prints "n/a (ENOSYS)" and exits 0. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG0_OFF offsetof(struct seccomp_data, args[0])

static int install(struct sock_filter *f, unsigned short len)
{
    struct sock_fprog prog = {len, f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "none";
    long n = argc > 2 ? strtol(argv[2], NULL, 0) : 100000L;
    static struct sock_filter f[128];
    int len = 0;
    if (!strcmp(mode, "allow10")) {
        static const int allowed[10] = {SYS_getpid, SYS_read, SYS_write, SYS_exit, SYS_exit_group, SYS_brk,
                                        SYS_mmap, SYS_munmap, SYS_writev, SYS_ioctl};
        f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF);
        f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
        f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
        f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
        for (int i = 0; i < 10; i++) {
            f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i], 0, 1);
            f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        }
        f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    } else if (!strcmp(mode, "run100")) {
        /* 98 instructions of arithmetic on the first argument, then allow */
        f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_OFF);
        while (len < 99)
            f[len++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1);
        f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    } else if (!strcmp(mode, "check4096")) {
        static struct sock_filter big[4096];
        for (int i = 0; i < 4095; i++)
            big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
        big[4095] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
        struct sock_fprog prog = {4096, big};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            return 1;
        for (long i = 0; i < n; i++) {
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != -1 || errno != EINVAL) {
                if (errno == ENOSYS) {
                    printf("n/a (ENOSYS)\n");
                    return 0;
                }
                printf("FAIL: the checker took a program without a final RET\n");
                return 1;
            }
        }
        printf("done\n");
        return 0;
    } else if (strcmp(mode, "none")) {
        printf("FAIL unknown mode %s\n", mode);
        return 1;
    }
    if (len && install(f, (unsigned short)len) != 0) {
        if (errno == ENOSYS) {
            printf("n/a (ENOSYS)\n");
            return 0;
        }
        printf("FAIL seccomp: %d\n", errno);
        return 1;
    }
    long first = syscall(SYS_getpid);
    int same = 1;
    for (long i = 0; i < n; i++)
        if (syscall(SYS_getpid) != first)
            same = 0;
    printf(same ? "done\n" : "FAIL getpid changed\n");
    return same ? 0 : 1;
}
