/*
 * set_tid: clone3 choosing the new task's pid at one or more pid-namespace levels (checkpoint/restore).
 *
 * Needs root, and assumes it starts in the initial pid namespace (level 0), where it never chooses a
 * number (only pid 1, which is always taken).  Everything else happens inside a fresh namespace whose
 * numbers are deterministic, so they are printed.
 */
#include "guest.h"

#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif

#define CAP_SYS_ADMIN 21
#define CAP_CHECKPOINT_RESTORE 40
#define PID_MAX_LIMIT 4194304 /* no pid_max can reach it */

struct cargs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

/* clone3 (fork-like) with set_tid = tids[0..n-1]; the child runs fn, then exits with its failures */
static pid_t spawn(uint64_t flags, const pid_t *tids, uint64_t n, void (*fn)(void))
{
    struct cargs a;
    memset(&a, 0, sizeof a);
    a.flags = flags;
    a.exit_signal = SIGCHLD;
    a.set_tid = (uintptr_t)tids;
    a.set_tid_size = n;
    fflush(stdout);
    pid_t r = (pid_t)syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) {
        guest_failures = 0;
        if (fn)
            fn();
        fflush(stdout);
        _exit(guest_failures ? 1 : 0);
    }
    return r;
}

static void reap_ok(pid_t pid, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    CHECK(got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (%s)", what,
          got == pid ? status_str(st) : errno_name(errno));
}

/* set_tid must fail with want; no child may appear */
static void expect_fail(uint64_t flags, const pid_t *tids, uint64_t n, int want, const char *what)
{
    EXPECT_ERRNO(spawn(flags, tids, n, NULL), want, what);
}

static int hold[2];  /* children that must stay alive read from hold[0] until it is closed */
static int ready[2]; /* ... after writing a byte here once their checks are printed */

static void stay(void)
{
    char x;
    fflush(stdout);
    if (write(ready[1], "r", 1) != 1)
        printf("FAIL write\n");
    close(hold[1]);
    if (read(hold[0], &x, 1) < 0)
        printf("FAIL read\n");
}

static void is_4242(void)
{
    CHECK_EQ(getpid(), 4242, "child: getpid() is 4242");
    CHECK_EQ(getppid(), 1, "child: getppid() is 1");
    stay();
}

static void is_init(void)
{
    CHECK_EQ(getpid(), 1, "nested init: getpid() is 1");
    CHECK_EQ(getppid(), 0, "nested init: getppid() is 0");
    pid_t k = fork();
    if (k == 0)
        _exit(getpid() == 2 && getppid() == 1 ? 0 : 1);
    reap_ok(k, "nested init's first child is 2");
    stay();
}

static void nothing(void) {}

static void wait_ready(void)
{
    char x;
    if (read(ready[0], &x, 1) != 1)
        printf("FAIL read\n");
}

struct caps_hdr { uint32_t version; int pid; };
struct caps_data { uint32_t effective, permitted, inheritable; };

static int drop_caps(int cap1, int cap2)
{
    struct caps_hdr h = {0x20080522, 0};
    struct caps_data d[2];
    if (syscall(SYS_capget, &h, d))
        return -1;
    for (int i = 0; i < 2; i++) {
        int cap = i ? cap2 : cap1;
        if (cap < 0)
            continue;
        d[cap / 32].effective &= ~(1u << (cap % 32));
        d[cap / 32].permitted &= ~(1u << (cap % 32));
    }
    return (int)syscall(SYS_capset, &h, d);
}

static void without_sys_admin(void)
{
    CHECK_EQ(drop_caps(CAP_SYS_ADMIN, -1), 0, "drop CAP_SYS_ADMIN");
    pid_t t[] = {4300};
    pid_t c = spawn(0, t, 1, nothing);
    CHECK_EQ(c, 4300, "CAP_CHECKPOINT_RESTORE alone may choose a pid");
    if (c > 0)
        reap_ok(c, "its child");
    CHECK_EQ(drop_caps(CAP_CHECKPOINT_RESTORE, -1), 0, "drop CAP_CHECKPOINT_RESTORE too");
    pid_t t2[] = {4301};
    expect_fail(0, t2, 1, EPERM, "set_tid {4301} without either capability");
    pid_t t3[] = {4242};
    expect_fail(0, t3, 1, EPERM, "set_tid {4242} (taken) without either capability");
    pid_t t4[] = {0};
    expect_fail(0, t4, 1, EINVAL, "set_tid {0} without either capability");
    pid_t t5[] = {4301, 4302, 4303};
    expect_fail(0, t5, 3, EINVAL, "set_tid_size 3 at level 1 without either capability");
    pid_t t6[] = {4301, 1};
    expect_fail(0, t6, 2, EPERM, "set_tid {4301, 1} without either capability");
    CHECK_EQ(fork() == 0 ? (_exit(0), 0) : 1, 1, "fork still works");
    while (wait(NULL) > 0)
        ;
}

static void init_body(void)
{
    CHECK_EQ(getpid(), 1, "init made with set_tid {1}: getpid() is 1");
    if (pipe(hold) || pipe(ready))
        printf("FAIL pipe\n");

    pid_t t4242[] = {4242};
    pid_t c = spawn(0, t4242, 1, is_4242);
    wait_ready();
    CHECK_EQ(c, 4242, "set_tid {4242}: clone3 returns 4242");
    pid_t k = fork();
    if (k == 0)
        _exit(0);
    CHECK_EQ(k, 2, "the next fork still gets 2 (set_tid leaves the cursor alone)");
    reap_ok(k, "child 2");

    expect_fail(0, t4242, 1, EEXIST, "set_tid {4242} while 4242 lives");
    pid_t t1[] = {1};
    expect_fail(0, t1, 1, EEXIST, "set_tid {1} (the init's)");
    pid_t t0[] = {0};
    expect_fail(0, t0, 1, EINVAL, "set_tid {0}");
    pid_t tneg[] = {-5};
    expect_fail(0, tneg, 1, EINVAL, "set_tid {-5}");
    pid_t tmax[] = {PID_MAX_LIMIT};
    expect_fail(0, tmax, 1, EINVAL, "set_tid {PID_MAX_LIMIT}");
    pid_t t3[] = {5000, 5001, 5002};
    expect_fail(0, t3, 3, EINVAL, "set_tid_size 3 at level 1");
    pid_t big[40] = {5000};
    expect_fail(0, big, 33, EINVAL, "set_tid_size 33");
    expect_fail(0, NULL, 1, EINVAL, "set_tid NULL with set_tid_size 1");
    expect_fail(0, t4242, 0, EINVAL, "set_tid with set_tid_size 0");
    pid_t t5000_1[] = {5000, 1};
    expect_fail(0, t5000_1, 2, EEXIST, "set_tid {5000, 1}: 1 is taken at level 0");
    pid_t t5000[] = {5000};
    c = spawn(0, t5000, 1, nothing);
    CHECK_EQ(c, 5000, "5000 was given back after that failure");
    if (c > 0)
        reap_ok(c, "child 5000");

    /* two levels: a new namespace whose init is 1 there and 4243 here */
    pid_t t1_4243[] = {1, 4243};
    c = spawn(CLONE_NEWPID, t1_4243, 2, is_init);
    wait_ready();
    CHECK_EQ(c, 4243, "CLONE_NEWPID set_tid {1, 4243}: 4243 here");
    pid_t t4244[] = {4244};
    expect_fail(CLONE_NEWPID, t4244, 1, EINVAL, "CLONE_NEWPID set_tid {4244}: no init there yet");
    pid_t t2_4244[] = {2, 4244};
    expect_fail(CLONE_NEWPID, t2_4244, 2, EINVAL, "CLONE_NEWPID set_tid {2, 4244}");
    expect_fail(CLONE_NEWPID, t1_4243, 2, EEXIST, "CLONE_NEWPID set_tid {1, 4243} while 4243 lives");
    pid_t t1_4245_1[] = {1, 4245, 1};
    expect_fail(CLONE_NEWPID, t1_4245_1, 3, EEXIST, "CLONE_NEWPID set_tid {1, 4245, 1}: 1 taken at level 0");
    pid_t t4[] = {1, 4245, 1, 1};
    expect_fail(CLONE_NEWPID, t4, 4, EINVAL, "CLONE_NEWPID set_tid_size 4 at level 1");
    pid_t t1only[] = {1};
    c = spawn(CLONE_NEWPID, t1only, 1, nothing);
    /* 2 went to a fork, 3 to the nested init's child (it has a number at every level) */
    CHECK_EQ(c, 4, "CLONE_NEWPID set_tid {1}: the next cyclic number here, 4");
    if (c > 0)
        reap_ok(c, "that init");

    /* the capability */
    k = fork();
    if (k == 0) {
        guest_failures = 0;
        without_sys_admin();
        fflush(stdout);
        _exit(guest_failures ? 1 : 0);
    }
    reap_ok(k, "unprivileged child");

    close(hold[1]);
    close(hold[0]);
    reap_ok(4242, "reaped 4242");
    reap_ok(4243, "reaped 4243");
    CHECK_EQ(wait(NULL), -1, "no children left");
    k = fork();
    if (k == 0)
        _exit(0);
    printf("the next fork gets %d\n", (int)k);
    reap_ok(k, "last child");
}

int main(void)
{
    guest_line_buffered();
    pid_t t2[] = {2};
    expect_fail(CLONE_NEWPID, t2, 1, EINVAL, "level 0: CLONE_NEWPID set_tid {2}");
    pid_t t3[] = {1, 1, 1};
    expect_fail(CLONE_NEWPID, t3, 3, EINVAL, "level 0: CLONE_NEWPID set_tid_size 3");
    pid_t t11[] = {1, 1};
    expect_fail(CLONE_NEWPID, t11, 2, EEXIST, "level 0: CLONE_NEWPID set_tid {1, 1}: 1 is taken");
    pid_t t1[] = {1};
    expect_fail(0, t1, 1, EEXIST, "level 0: set_tid {1}");
    pid_t c = spawn(CLONE_NEWPID, t1, 1, init_body);
    reap_ok(c, "the init's checks");
    CHECK(c > 1, "CLONE_NEWPID set_tid {1}");
    return guest_exit();
}
