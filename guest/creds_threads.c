/*
 * creds_threads: credentials per thread, the set*id state machine, capabilities and kill permission.
 *
 * Runs as root (the tests run as root; otherwise it says so and exits 0).  Every state change happens in a
 * forked child, so each section starts from the same credentials.
 *
 *  - capget/capset: versions 1/2/3, the preferred version written back for an unknown one, the pid rules,
 *    the permitted/effective/inheritable/bounding/ambient rules; PR_CAPBSET_*, PR_CAP_AMBIENT, securebits;
 *  - the setuid family: EINVAL for (uid_t)-1, EPERM without CAP_SETUID, the capability effects of leaving
 *    and regaining uid 0 (effective cleared, restored from permitted, permitted cleared with the last root
 *    id), setfsuid and the filesystem capability subset, PR_SET_KEEPCAPS, SECBIT_NO_SETUID_FIXUP;
 *  - groups: getgroups/setgroups sizes, sorting, EINVAL/EPERM;
 *  - threads: credentials are per thread (a raw syscall changes one thread only; capget of another thread;
 *    capset only on the caller), and the libc's setgroups/setgid/setuid and setresgid/setresuid reach every
 *    thread of a 4-thread process (each thread reports with syscall(SYS_getresuid));
 *  - kill permission from another uid against that uid-1000 process (whose leader has exited): EPERM, its
 *    own uid or the same session's SIGCONT allowed, kill(pid, 0) existence checks.
 *
 * `creds_threads zombie-leader` runs only the case where Linux and emukernel differ on purpose (see
 * zombie_leader below); its transcript is not compared.
 *
 * Processes meet through a MAP_SHARED page and futexes.
 */
#include "guest.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define BIT(c) (1ULL << (c))
#define SECBIT_NO_SETUID_FIXUP_ (1 << 2)
#define SECBIT_KEEP_CAPS_ (1 << 4)
#define SECBIT_KEEP_CAPS_LOCKED_ (1 << 5)
#define FS_SET (BIT(CAP_CHOWN) | BIT(CAP_MKNOD) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | \
                BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_MAC_OVERRIDE) | BIT(CAP_LINUX_IMMUTABLE))

struct caps {
    uint64_t eff, prm, inh;
};

static long capget_v(uint32_t version, pid_t pid, struct caps *c)
{
    struct __user_cap_header_struct h = { version, pid };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    long r = syscall(SYS_capget, &h, d);
    if (r == 0 && c) {
        c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
        c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
        c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
    }
    return r;
}

static struct caps caps_of(pid_t pid)
{
    struct caps c = { 0, 0, 0 };
    if (capget_v(_LINUX_CAPABILITY_VERSION_3, pid, &c))
        printf("FAIL capget(%s): %s\n", pid ? "tid" : "0", errno_name(errno));
    return c;
}

static long capset3(pid_t pid, uint64_t eff, uint64_t prm, uint64_t inh)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
    struct __user_cap_data_struct d[2] = {
        { (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
        { (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
    };
    return syscall(SYS_capset, &h, d);
}

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* "uid 1000/1000/1000" from the raw syscalls (what this thread's credentials say). */
static const char *ids_str(void)
{
    static __thread char buf[96];
    unsigned r = 9, e = 9, s = 9, gr = 9, ge = 9, gs = 9;
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    snprintf(buf, sizeof buf, "uid %u/%u/%u gid %u/%u/%u", r, e, s, gr, ge, gs);
    return buf;
}

static struct caps root_caps; /* the credentials every section starts from */

/* Run fn in a forked child; print how it ended. */
static void in_child(const char *name, void (*fn)(void))
{
    printf("-- %s\n", name);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        exit(guest_exit());
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "%s: waited", name);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child %s", name, status_str(st));
}

/* ------------------------------------------------------------ capget / capset */

static void capabilities(void)
{
    struct caps c;
    /* versions */
    struct __user_cap_header_struct h = { 0x12345678, 0 };
    struct __user_cap_data_struct d[2];
    EXPECT_ERRNO(syscall(SYS_capget, &h, d), EINVAL, "capget with an unknown version");
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "the preferred version (v3) is written back");
    h.version = 1;
    CHECK(syscall(SYS_capget, &h, NULL) == 0, "capget(unknown version, NULL) probes: 0");
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "... and writes the version back");
    h.version = 1;
    EXPECT_ERRNO(syscall(SYS_capset, &h, d), EINVAL, "capset with an unknown version");
    CHECK(h.version == _LINUX_CAPABILITY_VERSION_3, "capset writes the version back too");
    h.version = _LINUX_CAPABILITY_VERSION_3;
    CHECK(syscall(SYS_capget, &h, NULL) == 0, "capget(v3, NULL): 0");
    memset(d, 0xAA, sizeof d);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    CHECK(syscall(SYS_capget, &h, d) == 0, "capget v1");
    CHECK(d[0].effective == (uint32_t)root_caps.eff && d[1].effective == 0xAAAAAAAAu,
          "v1 fills one 32-bit struct only");
    CHECK(capget_v(_LINUX_CAPABILITY_VERSION_2, 0, &c) == 0 && c.eff == root_caps.eff, "capget v2 = v3");
    CHECK(capget_v(_LINUX_CAPABILITY_VERSION_3, getpid(), &c) == 0 && c.eff == root_caps.eff,
          "capget of my own pid");
    EXPECT_ERRNO(capget_v(_LINUX_CAPABILITY_VERSION_3, -5, &c), EINVAL, "capget pid -5");
    CHECK(capget_v(_LINUX_CAPABILITY_VERSION_3, getppid(), &c) == 0 && c.eff == root_caps.eff,
          "capget of the parent");
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    EXPECT_ERRNO(capget_v(_LINUX_CAPABILITY_VERSION_3, gone, &c), ESRCH, "capget of a reaped pid");
    EXPECT_ERRNO(kill(gone, 0), ESRCH, "kill(reaped pid, 0)");

    /* capset: only on the calling thread */
    EXPECT_ERRNO(capset3(getppid(), root_caps.eff, root_caps.prm, root_caps.inh), EPERM,
                 "capset on another process");
    CHECK(capset3(getpid(), root_caps.eff, root_caps.prm, root_caps.inh) == 0, "capset on my own pid");
    /* effective within permitted, permitted may only shrink */
    uint64_t prm = root_caps.prm & ~BIT(CAP_SYS_ADMIN);
    EXPECT_ERRNO(capset3(0, root_caps.eff, prm, 0), EPERM, "capset: effective outside the new permitted");
    CHECK(capset3(0, prm, prm, 0) == 0, "capset: drop CAP_SYS_ADMIN from permitted");
    c = caps_of(0);
    CHECK(c.prm == prm && c.eff == prm, "CAP_SYS_ADMIN gone from permitted and effective");
    EXPECT_ERRNO(capset3(0, prm, root_caps.prm, 0), EPERM, "capset: CAP_SYS_ADMIN cannot come back");
    CHECK(capset3(0, BIT(CAP_KILL), prm, 0) == 0, "capset: effective = CAP_KILL only");
    c = caps_of(0);
    CHECK(c.eff == BIT(CAP_KILL) && c.prm == prm, "effective shrank, permitted kept");
    /* without CAP_SETPCAP, inheritable stays within inheritable | permitted */
    prm &= ~BIT(CAP_NET_RAW);
    CHECK(capset3(0, 0, prm, 0) == 0, "capset: drop CAP_NET_RAW");
    EXPECT_ERRNO(capset3(0, 0, prm, BIT(CAP_NET_RAW)), EPERM,
                 "capset: inheritable outside permitted without CAP_SETPCAP");
    CHECK(capset3(0, 0, prm, BIT(CAP_CHOWN)) == 0, "capset: inheritable within permitted");
    c = caps_of(0);
    CHECK(c.inh == BIT(CAP_CHOWN) && c.eff == 0, "inheritable = CAP_CHOWN, effective empty");
    /* with an empty effective set nothing privileged is allowed */
    EXPECT_ERRNO(setuid(4321), EPERM, "setuid(4321) with no effective capabilities");
    EXPECT_ERRNO(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), EPERM, "PR_CAPBSET_DROP without CAP_SETPCAP");
    CHECK(capset3(0, prm, prm, BIT(CAP_CHOWN)) == 0, "capset: effective back to permitted");
    CHECK(setuid(4321) == 0, "setuid(4321) with CAP_SETUID back");
    CHECK(getuid() == 4321 && geteuid() == 4321, "uid 4321 now");
}

static void bounding_ambient(void)
{
    CHECK(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) == 1, "PR_CAPBSET_READ CAP_SETUID: 1");
    EXPECT_ERRNO(prctl(PR_CAPBSET_READ, 63, 0, 0, 0), EINVAL, "PR_CAPBSET_READ 63");
    EXPECT_ERRNO(prctl(PR_CAPBSET_DROP, 63, 0, 0, 0), EINVAL, "PR_CAPBSET_DROP 63");
    CHECK(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) == 0, "PR_CAPBSET_DROP CAP_NET_RAW");
    CHECK(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) == 0, "CAP_NET_RAW no longer in the bounding set");
    struct caps c = caps_of(0);
    CHECK(c.prm == root_caps.prm, "dropping from the bounding set leaves permitted alone");
    /* inheritable: within inheritable | bounding even with CAP_SETPCAP */
    EXPECT_ERRNO(capset3(0, c.eff, c.prm, BIT(CAP_NET_RAW)), EPERM, "capset: inheritable outside bounding");
    CHECK(capset3(0, c.eff, c.prm, BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL)) == 0,
          "capset: inheritable CAP_NET_BIND_SERVICE|CAP_KILL");
    /* ambient */
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 0, "ambient CAP_KILL not set");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) == 0, "raise ambient CAP_KILL");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0,
          "raise ambient CAP_NET_BIND_SERVICE");
    EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0), EPERM,
                 "raise ambient CAP_CHOWN (not inheritable)");
    EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 63, 0, 0), EINVAL, "raise ambient 63");
    EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0), EINVAL, "ambient with arg4");
    EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0), EINVAL, "ambient op 9");
    EXPECT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL, "CLEAR_ALL with arg3");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 1, "ambient CAP_KILL set");
    /* capset masks ambient with permitted & inheritable */
    CHECK(capset3(0, c.eff, c.prm, BIT(CAP_NET_BIND_SERVICE)) == 0, "capset: CAP_KILL leaves inheritable");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 0, "... and ambient");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 1,
          "ambient CAP_NET_BIND_SERVICE kept");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_BIND_SERVICE, 0, 0) == 0, "lower it");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 0, "lowered");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0, "raise again");
    /* leaving uid 0 clears ambient even with keepcaps */
    CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "keepcaps on");
    CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid(1000, 1000, 1000)");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) == 0,
          "leaving root cleared the ambient set");
}

static void securebits(void)
{
    CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0, "securebits 0");
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0, "keepcaps 0");
    EXPECT_ERRNO(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL, "PR_SET_KEEPCAPS 2");
    EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0), EPERM, "PR_SET_SECUREBITS unknown bit");
    CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_, 0, 0, 0) == 0, "PR_SET_SECUREBITS KEEP_CAPS");
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1, "keepcaps 1");
    CHECK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0, "PR_SET_KEEPCAPS 0");
    CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0, "securebits 0 again");
    CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_ | SECBIT_KEEP_CAPS_LOCKED_, 0, 0, 0) == 0,
          "lock KEEP_CAPS on");
    EXPECT_ERRNO(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM, "PR_SET_KEEPCAPS on a locked bit");
    EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED_, 0, 0, 0), EPERM, "change a locked bit");
    EXPECT_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_, 0, 0, 0), EPERM, "unlock");
    CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_ | SECBIT_KEEP_CAPS_LOCKED_ | SECBIT_NO_SETUID_FIXUP_, 0,
                0, 0) == 0, "add NO_SETUID_FIXUP");
    CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid(1000, 1000, 1000) with NO_SETUID_FIXUP");
    struct caps c = caps_of(0);
    CHECK(c.eff == root_caps.eff && c.prm == root_caps.prm, "no capability fixup at all");
    CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_ | SECBIT_KEEP_CAPS_LOCKED_, 0, 0, 0) == 0,
          "an unlocked bit can be cleared (CAP_SETPCAP still effective)");
    CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS_ | SECBIT_KEEP_CAPS_LOCKED_, "securebits");
}

/* ------------------------------------------------------------ the setuid family */

static void uid_machine(void)
{
    struct caps c;
    EXPECT_ERRNO(setuid((uid_t)-1), EINVAL, "setuid(-1)");
    EXPECT_ERRNO(setgid((gid_t)-1), EINVAL, "setgid(-1)");
    CHECK(setresuid(-1, -1, -1) == 0, "setresuid(-1, -1, -1) is a no-op");
    CHECK(setreuid(-1, -1) == 0, "setreuid(-1, -1) is a no-op");

    /* fsuid */
    CHECK_EQ(setfsuid(1000), 0, "setfsuid(1000) returns the old fsuid 0");
    CHECK_EQ(setfsuid(-1), 1000, "setfsuid(-1) queries: 1000");
    c = caps_of(0);
    CHECK(c.eff == (root_caps.eff & ~FS_SET), "fsuid 1000: the filesystem capabilities left effective");
    CHECK(c.prm == root_caps.prm, "... permitted kept");
    CHECK_EQ(setfsuid(0), 1000, "setfsuid(0) returns 1000");
    c = caps_of(0);
    CHECK(c.eff == root_caps.eff, "fsuid 0: the filesystem capabilities back");

    /* euid 0 -> 1000 clears effective; permitted stays while suid is 0 */
    CHECK(setresuid(1000, 1000, 0) == 0, "setresuid(1000, 1000, 0)");
    printf("   %s\n", ids_str());
    CHECK_EQ(setfsuid(-1), 1000, "fsuid follows euid");
    c = caps_of(0);
    CHECK(c.eff == 0 && c.prm == root_caps.prm, "effective cleared, permitted kept (suid 0)");
    EXPECT_ERRNO(setuid(2000), EPERM, "setuid(2000) without CAP_SETUID");
    EXPECT_ERRNO(setresuid(2000, -1, -1), EPERM, "setresuid(2000, -1, -1)");
    EXPECT_ERRNO(setreuid(-1, 2000), EPERM, "setreuid(-1, 2000)");
    CHECK_EQ(setfsuid(2000), 1000, "setfsuid(2000) refused silently");
    CHECK_EQ(setfsuid(-1), 1000, "fsuid still 1000");

    /* euid back to 0 restores effective from permitted */
    CHECK(seteuid(0) == 0, "seteuid(0) (0 is the saved uid)");
    printf("   %s\n", ids_str());
    c = caps_of(0);
    CHECK(c.eff == c.prm && c.prm == root_caps.prm, "effective restored from permitted");

    /* setreuid: the saved uid follows a new euid that differs from the real uid */
    CHECK(setreuid(-1, 1000) == 0, "setreuid(-1, 1000): euid = ruid, saved stays");
    printf("   %s\n", ids_str());
    CHECK(setreuid(-1, 0) == 0, "setreuid(-1, 0)");
    printf("   %s\n", ids_str());
    CHECK(setreuid(2000, -1) == 0, "setreuid(2000, -1) with CAP_SETUID: saved = euid");
    printf("   %s\n", ids_str());
    c = caps_of(0);
    CHECK(c.eff == root_caps.eff, "still root effective");

    /* setuid as root sets all four, dropping the last root id drops permitted */
    CHECK(setuid(1000) == 0, "setuid(1000) as root");
    printf("   %s\n", ids_str());
    c = caps_of(0);
    CHECK(c.eff == 0 && c.prm == 0 && c.inh == 0, "all capabilities gone");
    EXPECT_ERRNO(setuid(0), EPERM, "setuid(0)");
    EXPECT_ERRNO(seteuid(0), EPERM, "seteuid(0)");
    EXPECT_ERRNO(setresuid(-1, -1, 0), EPERM, "setresuid(-1, -1, 0)");
    CHECK(setuid(1000) == 0, "setuid(1000) to my own uid");
    CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid to my own ids");
    CHECK_EQ(setfsuid(0), 1000, "setfsuid(0) refused");
    CHECK_EQ(setfsuid(-1), 1000, "fsuid 1000");
    EXPECT_ERRNO(setgid(5), EPERM, "setgid(5) without CAP_SETGID");
    gid_t g = 5;
    EXPECT_ERRNO(setgroups(1, &g), EPERM, "setgroups without CAP_SETGID");
    EXPECT_ERRNO(capset3(0, 0, BIT(CAP_KILL), 0), EPERM, "capset cannot add to an empty permitted set");
}

static void gid_machine(void)
{
    gid_t list[4] = { 5, 3, 5, 0 };
    gid_t out[8];
    EXPECT_ERRNO(syscall(SYS_setgroups, 65537, list), EINVAL, "setgroups(65537)");
    EXPECT_ERRNO(syscall(SYS_setgroups, -1, list), EINVAL, "setgroups(-1)");
    gid_t bad[1] = { (gid_t)-1 };
    EXPECT_ERRNO(syscall(SYS_setgroups, 1, bad), EINVAL, "setgroups({-1})");
    CHECK(syscall(SYS_setgroups, 3, list) == 0, "setgroups({5, 3, 5})");
    CHECK_EQ(getgroups(0, NULL), 3, "getgroups(0) counts 3");
    EXPECT_ERRNO(getgroups(2, out), EINVAL, "getgroups with room for 2");
    EXPECT_ERRNO(syscall(SYS_getgroups, -1, out), EINVAL, "getgroups(-1)");
    CHECK_EQ(getgroups(8, out), 3, "getgroups(8) returns 3");
    CHECK(out[0] == 3 && out[1] == 5 && out[2] == 5, "sorted, duplicates kept: %u %u %u", out[0], out[1], out[2]);
    CHECK(syscall(SYS_setgroups, 0, NULL) == 0, "setgroups(0, NULL)");
    CHECK_EQ(getgroups(0, NULL), 0, "no supplementary groups");

    CHECK(setresgid(10, 20, 30) == 0, "setresgid(10, 20, 30)");
    printf("   %s\n", ids_str());
    CHECK_EQ(setfsgid(-1), 20, "fsgid follows egid");
    CHECK(setregid(-1, 30) == 0, "setregid(-1, 30): saved becomes 30");
    printf("   %s\n", ids_str());
    CHECK(setregid(40, -1) == 0, "setregid(40, -1)");
    printf("   %s\n", ids_str());
    CHECK(setgid(50) == 0, "setgid(50) as root sets all");
    printf("   %s\n", ids_str());
    CHECK_EQ(setfsgid(60), 50, "setfsgid(60) returns 50");
    CHECK_EQ(setfsgid(-1), 60, "fsgid 60");
    CHECK(setresuid(1000, 1000, 1000) == 0, "drop to uid 1000");
    EXPECT_ERRNO(setgid(70), EPERM, "setgid(70) without CAP_SETGID");
    CHECK(setgid(50) == 0, "setgid(50) to the real gid");
    CHECK_EQ(setfsgid(-1), 50, "setgid set fsgid 50");
    EXPECT_ERRNO(setresgid(-1, 70, -1), EPERM, "setresgid(-1, 70, -1)");
    EXPECT_ERRNO(setregid(70, -1), EPERM, "setregid(70, -1)");
    CHECK_EQ(setfsgid(70), 50, "setfsgid(70) refused");
    CHECK_EQ(setfsgid(-1), 50, "fsgid still 50");
}

static void keepcaps(void)
{
    CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "PR_SET_KEEPCAPS 1");
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1, "PR_GET_KEEPCAPS");
    CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS_, "securebits = SECBIT_KEEP_CAPS");
    CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid(1000, 1000, 1000)");
    struct caps c = caps_of(0);
    CHECK(c.eff == 0, "effective cleared (euid left 0)");
    CHECK(c.prm == root_caps.prm, "permitted kept with keepcaps");
    CHECK(capset3(0, BIT(CAP_SETUID) | BIT(CAP_KILL), c.prm, 0) == 0, "capset: raise effective from permitted");
    c = caps_of(0);
    CHECK(c.eff == (BIT(CAP_SETUID) | BIT(CAP_KILL)), "effective CAP_SETUID|CAP_KILL");
    CHECK(setuid(2000) == 0, "setuid(2000) with CAP_SETUID in effective");
    printf("   %s\n", ids_str());
    c = caps_of(0);
    CHECK(c.eff == (BIT(CAP_SETUID) | BIT(CAP_KILL)), "non-root to non-root: effective untouched");
    CHECK(seteuid(0) == 0, "seteuid(0) with CAP_SETUID");
    c = caps_of(0);
    CHECK(geteuid() == 0 && c.eff == c.prm, "euid 0 restores effective from permitted");
    CHECK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0, "PR_SET_KEEPCAPS 0");
    CHECK(setresuid(2000, 2000, 2000) == 0, "setresuid(2000, 2000, 2000) without keepcaps");
    c = caps_of(0);
    CHECK(c.eff == 0 && c.prm == 0, "permitted and effective cleared");
}

/* ------------------------------------------------------------ dumpable */

static long owner_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_uid : -errno;
}

/* "ok" or the errno of opening a directory */
static const char *opens(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return errno_name(errno);
    close(fd);
    return "ok";
}

static void show_dumpable(const char *when)
{
    int sig = -1;
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    printf("   %s: dumpable %d, pdeath %d, /proc/self owned by %ld, its stat by %ld, its fd/ by %ld\n", when,
           prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), sig, owner_of("/proc/self"), owner_of("/proc/self/stat"),
           owner_of("/proc/self/fd"));
    printf("   %s: open /proc/self/fd %s, /proc/self/fdinfo %s\n", when, opens("/proc/self/fd"),
           opens("/proc/self/fdinfo"));
}

/* commit_creds: changing effective ids makes the mm non-dumpable (fs.suid_dumpable 0) and clears the
 * parent-death signal; PR_SET_DUMPABLE; /proc's owner follows (task_dump_owner); exec makes it dumpable
 * again when the effective ids equal the real ones */
static void dumpable(void)
{
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0, "PR_SET_PDEATHSIG SIGUSR1");
    show_dumpable("root");
    CHECK(setresuid(0, 0, 0) == 0, "setresuid(0, 0, 0): the same ids");
    show_dumpable("same ids");
    CHECK(setresgid(1000, 1000, 1000) == 0, "setresgid(1000, 1000, 1000)");
    show_dumpable("egid 1000");
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0, "PR_SET_PDEATHSIG SIGUSR1 again");
    CHECK(setresuid(1000, 1000, 0) == 0, "setresuid(1000, 1000, 0)");
    show_dumpable("euid 1000");
    EXPECT_ERRNO(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL, "PR_SET_DUMPABLE 2");
    CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0, "PR_SET_DUMPABLE 1");
    show_dumpable("PR_SET_DUMPABLE 1");
    CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, "PR_SET_DUMPABLE 0");
    show_dumpable("PR_SET_DUMPABLE 0");
    fflush(stdout);
    char *argv[] = {"creds_threads", "show-dumpable", NULL};
    execv("/proc/self/exe", argv);
    printf("FAIL execv: %s\n", errno_name(errno));
}

/* ------------------------------------------------------------ threads */

#define NTHREADS 4 /* the main thread and three more */

static pthread_barrier_t b_start, b_done;
static pid_t tids[NTHREADS];
static char reports[NTHREADS][160];
/* Shared with the parent (MAP_SHARED survives fork): the thread ids and a ready flag, a futex each. */
struct shared {
    int ready;
    int hold;
    pid_t tids[NTHREADS];
};
static struct shared *shm;

static void futex_wait_while(int *word, int value)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == value)
        syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}

static void report(int i)
{
    struct caps c = caps_of(0);
    gid_t g[4] = { 0 };
    long n = syscall(SYS_getgroups, 4, g);
    snprintf(reports[i], sizeof reports[i], "%s groups %ld:%u eff %s prm %s", ids_str(), n, n > 0 ? g[0] : 0,
             c.eff ? "set" : "0", c.prm ? "set" : "0");
}

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    tids[i] = gettid_();
    pthread_barrier_wait(&b_start); /* the main thread changes credentials while we wait here */
    report(i);
    pthread_barrier_wait(&b_done);
    futex_wait_while(&shm->hold, 0); /* keep the process alive until killed */
    return NULL;
}

/* A 4-thread process: per-thread credentials, then the libc's process-wide drop to uid 1000. */
static void threaded_process(int use_res)
{
    pthread_t th[NTHREADS];
    pthread_barrier_init(&b_start, NULL, NTHREADS);
    pthread_barrier_init(&b_done, NULL, NTHREADS);
    tids[0] = gettid_();
    for (int i = 1; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    while (!tids[1] || !tids[2] || !tids[3])
        sched_yield();

    if (!use_res) {
        /* per-thread credentials: a raw syscall changes the calling thread only */
        printf("per-thread:\n");
        CHECK(syscall(SYS_setresuid, 3000, 3000, 0) == 0, "raw setresuid(3000, 3000, 0) in the main thread");
        struct caps other = caps_of(tids[1]), mine = caps_of(0);
        CHECK(other.eff == root_caps.eff && mine.eff == 0, "capget(other tid) still root, mine cleared");
        CHECK(getuid() == 3000, "getuid 3000 in the main thread");
        EXPECT_ERRNO(capset3(tids[1], 0, 0, 0), EPERM, "capset on another thread");
        CHECK(syscall(SYS_setresuid, 0, 0, 0) == 0, "raw setresuid(0, 0, 0) back (0 is the saved uid)");
        mine = caps_of(0);
        CHECK(mine.eff == root_caps.eff, "effective restored");
    }

    gid_t g = 1000;
    CHECK(setgroups(1, &g) == 0, "setgroups({1000})");
    if (use_res) {
        CHECK(setresgid(1000, 1000, 1000) == 0, "setresgid(1000, 1000, 1000)");
        CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid(1000, 1000, 1000)");
    } else {
        CHECK(setgid(1000) == 0, "setgid(1000)");
        CHECK(setuid(1000) == 0, "setuid(1000)");
    }
    pthread_barrier_wait(&b_start);
    report(0);
    pthread_barrier_wait(&b_done);
    for (int i = 0; i < NTHREADS; i++)
        printf("   thread %d: %s\n", i, reports[i]);
    fflush(stdout);
    /* tell the parent the thread ids, then leave the group to the other threads (a zombie leader) */
    memcpy(shm->tids, tids, sizeof tids);
    __atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &shm->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
    pthread_exit(NULL);
}

static void kill_checks(pid_t target, const pid_t *ttids, uid_t uid, int same)
{
    pid_t pid = fork();
    if (pid == 0) {
        gid_t none = 0;
        setgroups(0, &none);
        setgid(uid);
        CHECK(setuid(uid) == 0, "checker: setuid(%u)", uid);
        struct caps c = caps_of(0);
        CHECK(c.eff == 0, "checker: no capabilities");
        if (same) {
            CHECK(kill(target, 0) == 0, "uid %u: kill(P, 0)", uid);
            CHECK(syscall(SYS_tgkill, target, ttids[2], 0) == 0, "uid %u: tgkill(P, thread 2, 0)", uid);
            CHECK(kill(target, SIGCONT) == 0, "uid %u: kill(P, SIGCONT)", uid);
        } else {
            EXPECT_ERRNO(kill(target, 0), EPERM, "kill(P, 0) from another uid");
            EXPECT_ERRNO(kill(target, SIGTERM), EPERM, "kill(P, SIGTERM) from another uid");
            EXPECT_ERRNO(syscall(SYS_tgkill, target, ttids[1], SIGTERM), EPERM,
                         "tgkill(P, thread 1, SIGTERM) from another uid");
            EXPECT_ERRNO(syscall(SYS_tkill, ttids[3], 0), EPERM, "tkill(thread 3, 0) from another uid");
            CHECK(kill(target, SIGCONT) == 0, "kill(P, SIGCONT) within the session is allowed");
            EXPECT_ERRNO(kill(getppid(), 0), EPERM, "kill(root parent, 0)");
        }
        CHECK(kill(getpid(), 0) == 0, "uid %u: kill(self, 0)", uid);
        exit(guest_exit());
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "checker uid %u: %s", uid, status_str(st));
}

static void threads_section(int use_res)
{
    printf("-- threads (%s)\n", use_res ? "setresgid/setresuid" : "setgid/setuid");
    memset(shm, 0, sizeof *shm);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        threaded_process(use_res);
    futex_wait_while(&shm->ready, 0);
    pid_t ttids[NTHREADS];
    memcpy(ttids, shm->tids, sizeof ttids);
    CHECK(ttids[0] == p && ttids[1] > 0 && ttids[2] > 0 && ttids[3] > 0, "P is ready, leader tid = pid");
    kill_checks(p, ttids, 2000, 0);
    kill_checks(p, ttids, 1000, 1);
    CHECK(kill(p, 0) == 0, "root: kill(P, 0)");
    CHECK(kill(p, SIGKILL) == 0, "root: kill(P, SIGKILL)");
    int st;
    CHECK(waitpid(p, &st, 0) == p, "P reaped");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "P %s", status_str(st));
    EXPECT_ERRNO(kill(p, 0), ESRCH, "kill(reaped P, 0)");
}

/*
 * zombie-leader (argv[1]): the leader exits as root, then the remaining thread drops to uid 1000 (the libc
 * broadcast reaches living threads only).  Prints what kill(P, 0) from uid 1000 returns.  Linux checks the
 * zombie leader's credentials (root: EPERM); emukernel checks a living thread's (uid 1000: allowed).
 */
static pthread_t main_thread;

static void *zl_worker(void *arg)
{
    (void)arg;
    pthread_join(main_thread, NULL); /* the leader has exited */
    gid_t g = 1000;
    CHECK(setgroups(1, &g) == 0 && setgid(1000) == 0 && setuid(1000) == 0, "living thread: drop to 1000");
    printf("   living thread: %s\n", ids_str());
    fflush(stdout);
    __atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &shm->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
    futex_wait_while(&shm->hold, 0);
    return NULL;
}

static int zombie_leader(void)
{
    printf("-- zombie leader\n");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        main_thread = pthread_self();
        pthread_t t;
        pthread_create(&t, NULL, zl_worker, NULL);
        pthread_exit(NULL);
    }
    futex_wait_while(&shm->ready, 0);
    pid_t c = fork();
    if (c == 0) {
        setgroups(0, NULL);
        setgid(1000);
        CHECK(setuid(1000) == 0, "checker: setuid(1000)");
        errno = 0;
        long r = kill(p, 0);
        printf("kill(P, 0) from uid 1000, P's leader a root zombie: %s\n", r == 0 ? "0" : errno_name(errno));
        exit(guest_exit());
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "checker %s", status_str(st));
    kill(p, SIGKILL);
    CHECK(waitpid(p, &st, 0) == p && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "P %s", status_str(st));
    return guest_exit();
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    if (argc > 1 && strcmp(argv[1], "show-dumpable") == 0) {
        show_dumpable("after exec");
        return guest_exit();
    }
    uid_t r = 9, e = 9, s = 9;
    getresuid(&r, &e, &s);
    if (r || e || s) {
        printf("not root: nothing to check\n");
        return 0;
    }
    root_caps = caps_of(0);
    CHECK(root_caps.eff & BIT(CAP_SETUID) && root_caps.eff & BIT(CAP_SETGID) && root_caps.eff & BIT(CAP_KILL)
              && root_caps.eff & BIT(CAP_SETPCAP),
          "root holds CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_SETPCAP");
    CHECK(root_caps.eff == root_caps.prm, "effective = permitted");
    printf("   %s\n", ids_str());
    shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shm != MAP_FAILED, "shared page");
    if (shm == MAP_FAILED)
        return guest_exit();
    if (argc > 1 && strcmp(argv[1], "zombie-leader") == 0)
        return zombie_leader();

    in_child("capget/capset", capabilities);
    in_child("bounding and ambient sets", bounding_ambient);
    in_child("securebits", securebits);
    in_child("uid state machine", uid_machine);
    in_child("gid state machine", gid_machine);
    in_child("keepcaps", keepcaps);
    in_child("dumpable", dumpable);
    threads_section(0);
    threads_section(1);
    return guest_exit();
}
