/*
 * process_vm: another process's memory without ptrace: process_vm_readv,
 * process_vm_writev and /proc/PID/mem.
 *
 * The parent forks a child that shares its layout (so the parent knows the
 * child's addresses), changes its copy of the data, and waits on a pipe; the
 * parent reads and writes the child's memory and the child checks what it
 * sees.  Every step is ordered by pipes.  The checks cover scatter/gather,
 * partial transfers (a range running into an unmapped page, a bad iovec after
 * a good one), the argument errors (flags, counts, lengths, iovec arrays),
 * ESRCH and EPERM, and /proc/PID/mem: reads, writes (which ignore page
 * protections: a read-only page and the code of a function the child has
 * already run), EIO at unmapped addresses, lseek, a dead child and the
 * permission check on open.
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096

static char buf[256];  /* the child changes its copy after the fork */
static char sink[256];
static char *ro_page;  /* a PROT_READ page */
static char *hole;     /* two pages: the first mapped, the second not */

/* patch_me: "mov $1, %eax; ret" with its immediate at patch_me + 1 */
__asm__(".text\n.globl patch_me\n.type patch_me, @function\npatch_me:\n"
        "  movl $1, %eax\n  ret\n  nop\n  nop\n");
int patch_me(void);
static int (*volatile call_patch)(void) = patch_me;

static long vm_readv(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
                     unsigned long rn, unsigned long flags)
{
    return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, flags);
}

static long vm_writev(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
                      unsigned long rn, unsigned long flags)
{
    return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, flags);
}

static void wait_byte(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
}

static void send_byte(int fd)
{
    char c = 'x';
    if (write(fd, &c, 1) != 1)
        printf("FAIL write to pipe\n");
}

/* The child: fills its buffer, says so, then checks what the parent wrote each time it is told to. */
static void child_main(int ready, int go)
{
    for (int i = 0; i < 256; i++)
        buf[i] = (char)(i ^ 0x5a);
    CHECK(call_patch() == 1, "child: patch_me returns 1 before the patch");
    send_byte(ready);
    /* 1: the parent wrote "WRITTEN!" at buf + 16 with process_vm_writev */
    wait_byte(go);
    CHECK(memcmp(buf + 16, "WRITTEN!", 8) == 0, "child: process_vm_writev's bytes arrived");
    CHECK(buf[15] == (char)(15 ^ 0x5a) && buf[24] == (char)(24 ^ 0x5a), "child: the bytes around are unchanged");
    send_byte(ready);
    /* 2: the parent wrote through /proc/PID/mem: buf, the read-only page, patch_me's immediate */
    wait_byte(go);
    CHECK(memcmp(buf + 100, "procmem", 7) == 0, "child: /proc/PID/mem write arrived");
    CHECK(memcmp(ro_page + 8, "forced", 6) == 0, "child: the read-only page was written");
    CHECK(call_patch() == 2, "child: the patched code runs (patch_me returns 2)");
    send_byte(ready);
    wait_byte(go);
    guest_child_exit();
}

static void test_readv(pid_t pid)
{
    char a[10], b[30], c[100];
    struct iovec l[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    struct iovec r[2] = {{buf, 20}, {buf + 100, 50}};
    char want[256];
    for (int i = 0; i < 256; i++)
        want[i] = (char)(i ^ 0x5a);

    printf("-- process_vm_readv\n");
    CHECK(memcmp(buf, want, 16) != 0, "our own buffer is not the child's");
    long n = vm_readv(pid, l, 3, r, 2, 0);
    CHECK_EQ(n, 70, "readv: 2 remote ranges into 3 local buffers: 70 bytes");
    CHECK(memcmp(a, want, 10) == 0 && memcmp(b, want + 10, 10) == 0, "readv: the first range fills a and b");
    CHECK(memcmp(b + 10, want + 100, 20) == 0 && memcmp(c, want + 120, 30) == 0,
          "readv: the second range continues in b and c");
    CHECK_EQ(vm_readv(pid, l, 1, r, 2, 0), 10, "readv: a short local side limits the transfer");
    CHECK_EQ(vm_readv(pid, l, 0, r, 2, 0), 0, "readv: no local iovecs: 0");
    CHECK_EQ(vm_readv(pid, l, 3, r, 0, 0), 0, "readv: no remote iovecs: 0");
    struct iovec rz[2] = {{buf, 0}, {buf + 3, 4}};
    CHECK_EQ(vm_readv(pid, l, 3, rz, 2, 0), 4, "readv: a zero-length remote iovec is skipped");
    CHECK(memcmp(a, want + 3, 4) == 0, "readv: ... and the next one read");

    /* partial transfers */
    struct iovec rh[1] = {{hole + PAGE - 8, 16}};
    CHECK_EQ(vm_readv(pid, l, 3, rh, 1, 0), 8, "readv: a range running into an unmapped page stops there");
    struct iovec rbad[2] = {{buf, 12}, {hole + PAGE, 8}};
    CHECK_EQ(vm_readv(pid, l, 3, rbad, 2, 0), 12, "readv: an unmapped second range: the first one's bytes");
    struct iovec rbad0[2] = {{hole + PAGE, 8}, {buf, 12}};
    EXPECT_ERRNO(vm_readv(pid, l, 3, rbad0, 2, 0), EFAULT, "readv: an unmapped first range");
    struct iovec rnull[1] = {{NULL, 8}};
    EXPECT_ERRNO(vm_readv(pid, l, 3, rnull, 1, 0), EFAULT, "readv: remote NULL");
    struct iovec lbad[2] = {{a, 4}, {hole + PAGE, 8}};
    struct iovec r1[1] = {{buf, 12}};
    CHECK_EQ(vm_readv(pid, lbad, 2, r1, 1, 0), 4, "readv: an unmapped second local buffer: the first one's bytes");
    struct iovec lbad0[1] = {{hole + PAGE, 8}};
    EXPECT_ERRNO(vm_readv(pid, lbad0, 1, r1, 1, 0), EFAULT, "readv: an unmapped first local buffer");
    struct iovec lro[1] = {{ro_page, 8}};
    EXPECT_ERRNO(vm_readv(pid, lro, 1, r1, 1, 0), EFAULT, "readv: into our own read-only page");
    CHECK_EQ(vm_readv(pid, l, 3, (struct iovec *)&(struct iovec){ro_page, 8}, 1, 0), 8,
             "readv: from the child's read-only page");

    /* argument errors */
    EXPECT_ERRNO(vm_readv(pid, l, 3, r, 2, 1), EINVAL, "readv: flags 1");
    EXPECT_ERRNO(vm_readv(pid, l, IOV_MAX + 1, r, 2, 0), EINVAL, "readv: liovcnt > IOV_MAX");
    EXPECT_ERRNO(vm_readv(pid, l, 3, r, IOV_MAX + 1, 0), EINVAL, "readv: riovcnt > IOV_MAX");
    EXPECT_ERRNO(vm_readv(pid, (struct iovec *)(hole + PAGE), 1, r, 2, 0), EFAULT, "readv: local iovec array unmapped");
    EXPECT_ERRNO(vm_readv(pid, l, 3, (struct iovec *)(hole + PAGE), 1, 0), EFAULT, "readv: remote iovec array unmapped");
    struct iovec lhuge[2] = {{a, SSIZE_MAX}, {b, 2}};
    EXPECT_ERRNO(vm_readv(pid, lhuge, 2, r, 2, 0), EFAULT, "readv: a local buffer running past user space");
    struct iovec rhuge[2] = {{buf, SSIZE_MAX}, {buf, 2}};
    CHECK_EQ(vm_readv(pid, l, 3, rhuge, 2, 0), 140, "readv: a huge remote length: what the local side holds");
    struct iovec lneg[1] = {{a, (size_t)-1}};
    EXPECT_ERRNO(vm_readv(pid, lneg, 1, r, 2, 0), EINVAL, "readv: a local length of -1");
    struct iovec rneg[1] = {{buf, (size_t)-1}};
    EXPECT_ERRNO(vm_readv(pid, l, 3, rneg, 1, 0), EINVAL, "readv: a remote length of -1");
    struct iovec rkern[1] = {{(void *)0xffff800000000000UL, 8}};
    EXPECT_ERRNO(vm_readv(pid, l, 3, rkern, 1, 0), EFAULT, "readv: a kernel address");
    EXPECT_ERRNO(vm_readv(0x3ffffff0, l, 3, r, 2, 0), ESRCH, "readv: no such pid");
    EXPECT_ERRNO(vm_readv(-1, l, 3, r, 2, 0), ESRCH, "readv: pid -1");
    EXPECT_ERRNO(vm_readv(0, l, 3, r, 2, 0), ESRCH, "readv: pid 0");

    /* our own process */
    struct iovec rself[1] = {{sink, 5}};
    memcpy(sink, "self!", 5);
    CHECK_EQ(vm_readv(getpid(), l, 1, rself, 1, 0), 5, "readv: from ourselves");
    CHECK(memcmp(a, "self!", 5) == 0, "readv: ... the bytes");
}

static void test_writev(pid_t pid)
{
    printf("-- process_vm_writev\n");
    struct iovec l[2] = {{"WRIT", 4}, {"TEN!", 4}};
    struct iovec r[1] = {{buf + 16, 8}};
    CHECK_EQ(vm_writev(pid, l, 2, r, 1, 0), 8, "writev: 8 bytes from two local buffers");
    struct iovec rro[1] = {{ro_page, 4}};
    EXPECT_ERRNO(vm_writev(pid, l, 2, rro, 1, 0), EFAULT, "writev: to a read-only page (no FOLL_FORCE)");
    struct iovec rtext[1] = {{(void *)patch_me, 1}};
    EXPECT_ERRNO(vm_writev(pid, l, 1, rtext, 1, 0), EFAULT, "writev: to code");
    struct iovec rh[1] = {{hole + PAGE - 4, 8}};
    char keep[4];
    struct iovec lk[1] = {{keep, 4}};
    struct iovec rk[1] = {{hole + PAGE - 4, 4}};
    CHECK_EQ(vm_readv(pid, lk, 1, rk, 1, 0), 4, "writev: (save the bytes before the hole)");
    CHECK_EQ(vm_writev(pid, l, 2, rh, 1, 0), 4, "writev: a range running into an unmapped page stops there");
    CHECK_EQ(vm_writev(pid, lk, 1, rk, 1, 0), 4, "writev: (restore them)");
    EXPECT_ERRNO(vm_writev(pid, l, 2, r, 1, 2), EINVAL, "writev: flags 2");
    EXPECT_ERRNO(vm_writev(0x3ffffff0, l, 2, r, 1, 0), ESRCH, "writev: no such pid");
}

static int open_mem(pid_t pid, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    return open(path, flags);
}

static void test_procmem(pid_t pid)
{
    char want[256];
    for (int i = 0; i < 256; i++)
        want[i] = (char)(i ^ 0x5a);
    printf("-- /proc/PID/mem\n");
    int fd = open_mem(pid, O_RDWR);
    CHECK(fd >= 0, "open /proc/PID/mem O_RDWR");
    char got[64];
    CHECK_EQ(pread(fd, got, 32, (off_t)(uintptr_t)buf), 32, "pread 32 bytes of the child's buffer");
    CHECK(memcmp(got, want, 16) == 0 && memcmp(got + 16, "WRITTEN!", 8) == 0, "pread: the child's bytes");
    CHECK_EQ(lseek(fd, (off_t)(uintptr_t)(buf + 40), SEEK_SET), (long long)(uintptr_t)(buf + 40), "lseek SEEK_SET to an address");
    CHECK_EQ(read(fd, got, 8), 8, "read at the position");
    CHECK(memcmp(got, want + 40, 8) == 0, "read: the bytes at buf + 40");
    CHECK_EQ(lseek(fd, 8, SEEK_CUR), (long long)(uintptr_t)(buf + 56), "lseek SEEK_CUR");
    EXPECT_ERRNO(lseek(fd, 0, SEEK_END), EINVAL, "lseek SEEK_END");
    CHECK_EQ(pread(fd, got, 16, (off_t)(uintptr_t)(hole + PAGE - 8)), 8, "pread running into an unmapped page: short");
    EXPECT_ERRNO(pread(fd, got, 16, (off_t)(uintptr_t)(hole + PAGE)), EIO, "pread at an unmapped page");
    EXPECT_ERRNO(pread(fd, got, 16, 0), EIO, "pread at address 0");
    CHECK_EQ(pread(fd, got, 0, (off_t)(uintptr_t)(hole + PAGE)), 0, "pread of 0 bytes at an unmapped page");
    CHECK_EQ(pwrite(fd, "procmem", 7, (off_t)(uintptr_t)(buf + 100)), 7, "pwrite into the child's buffer");
    CHECK_EQ(pwrite(fd, "forced", 6, (off_t)(uintptr_t)(ro_page + 8)), 6, "pwrite into a read-only page");
    char two = 2;
    CHECK_EQ(pwrite(fd, &two, 1, (off_t)(uintptr_t)((char *)patch_me + 1)), 1, "pwrite into the child's code");
    EXPECT_ERRNO(pwrite(fd, "x", 1, (off_t)(uintptr_t)(hole + PAGE)), EIO, "pwrite at an unmapped page");
    CHECK_EQ(pwrite(fd, "abcdefgh", 8, (off_t)(uintptr_t)(hole + PAGE - 4)), 4, "pwrite running into an unmapped page: short");
    CHECK_EQ(pread(fd, got, 1, (off_t)(uintptr_t)((char *)patch_me + 1)), 1, "pread the patched byte");
    CHECK(got[0] == 2, "pread: the patched byte is 2");
    close(fd);
    fd = open_mem(pid, O_RDONLY);
    EXPECT_ERRNO(pwrite(fd, "x", 1, (off_t)(uintptr_t)buf), EBADF, "pwrite on an O_RDONLY mem fd");
    close(fd);
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

    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return 1;
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        child_main(ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    wait_byte(ready[0]);
    test_readv(pid);
    test_writev(pid);
    send_byte(go[1]);
    wait_byte(ready[0]);
    test_procmem(pid);
    send_byte(go[1]);
    wait_byte(ready[0]);

    /* a mem fd opened while the child lived reads nothing once it is a zombie */
    int fd = open_mem(pid, O_RDONLY);
    send_byte(go[1]);
    int st;
    siginfo_t si;
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "the child exits (not reaped)");
    char got[8];
    CHECK_EQ(pread(fd, got, 8, (off_t)(uintptr_t)buf), 0, "a zombie's mem reads 0 bytes");
    EXPECT_ERRNO(vm_readv(pid, &(struct iovec){got, 8}, 1, &(struct iovec){buf, 8}, 1, 0), ESRCH,
                 "readv from a zombie");
    close(fd);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child passed its checks");

    /* /proc/self/mem writes our own read-only page */
    printf("-- /proc/self/mem\n");
    fd = open("/proc/self/mem", O_RDWR);
    CHECK_EQ(pwrite(fd, "SELF", 4, (off_t)(uintptr_t)ro_page), 4, "pwrite into our own read-only page");
    CHECK(memcmp(ro_page, "SELFonly page", 13) == 0, "... and the page holds it");
    close(fd);

    /* permissions: an unprivileged process may not touch a root process's memory */
    printf("-- permissions\n");
    pid_t spy = guest_fork();
    if (spy == 0) {
        CHECK(setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0, "spy: drop to nobody");
        char got2[8];
        EXPECT_ERRNO(vm_readv(getppid(), &(struct iovec){got2, 8}, 1, &(struct iovec){buf, 8}, 1, 0), EPERM,
                     "spy: readv from a root process");
        EXPECT_ERRNO(vm_writev(getppid(), &(struct iovec){got2, 8}, 1, &(struct iovec){sink, 8}, 1, 0), EPERM,
                     "spy: writev to a root process");
        EXPECT_ERRNO(open_mem(getppid(), O_RDONLY), EACCES, "spy: open a root process's mem");
        CHECK_EQ(vm_readv(getpid(), &(struct iovec){got2, 4}, 1, &(struct iovec){sink, 4}, 1, 0), 4,
                 "spy: readv from itself");
        EXPECT_ERRNO(open("/proc/self/mem", O_RDONLY), EACCES,
                     "spy: open its own mem (root's file: setuid made it undumpable)");
        guest_child_exit();
    }
    CHECK(waitpid(spy, &st, 0) == spy && WIFEXITED(st) && WEXITSTATUS(st) == 0, "spy passed its checks");
    return guest_exit();
}
