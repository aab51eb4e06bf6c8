/*
 * nspid: the NStgid/NSpid/NSpgid/NSsid lines of /proc/PID/status (and Pid, Tgid, PPid, /proc/PID/stat,
 * /proc/self, /proc/thread-self) for processes and a thread two pid namespaces deep, read from inside
 * (/proc/self/status, /proc/thread-self/status) and from the starting namespace (/proc/PID/status, found
 * by walking /proc/PID/task/PID/children), plus clone3 set_tid choosing a non-init number at two levels.
 *
 * Needs root and the initial pid namespace (/proc is mounted from it on the host, so /proc numbers every
 * process as level 0 does, whoever reads).  The tree, with the numbers of each level:
 *
 *     M (level 0)
 *     `- A   1 in L1 (clone CLONE_NEWPID), setsid()
 *        |- B   2 in L1
 *        `- C   3 in L1, 1 in L2 (clone CLONE_NEWPID)
 *           |- D   4 in L1, 2 in L2;  its thread T: 5 in L1, 3 in L2
 *           `- E   4343 in L1, 4242 in L2 (clone3 set_tid {4242, 4343})
 *
 * Level-0 numbers are printed by name (M, A, ... or "unknown"), inner numbers as they are.
 *
 * Other modes (argv[1]):
 *   pid_max     a new namespace has its own pid_max, PID_MAX_LIMIT (Linux 6.14+), whatever the parent's is:
 *               /proc/sys/kernel/pid_max, ns_last_pid and set_tid above the starting namespace's pid_max;
 *   first-fork  a namespace whose first fork failed after its pid was allocated (a bad CLONE_PIDFD pointer)
 *               takes no process any more: the next fork fails with ENOMEM.
 */
#include "guest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct cargs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

enum { P_M, P_A, P_B, P_C, P_D, P_T, P_E, NP };
static const char *names[NP] = {"M", "A", "B", "C", "D", "T", "E"};

/* what a process saw of itself from inside, in the shared page */
struct rec {
    int pid, tid, ppid, fails;
    char status[2048];
    char stat[256];
    char self_link[64];
    char notes[1024]; /* its own checks, printed by M in a fixed order */
};

static struct rec *shm;      /* NP records */
static int root_nr[NP];      /* level-0 numbers, found by M's walk */
static int ready[2], hold[2];

/* silent checks of the processes in the namespaces: written to their record, printed by M */
static void note(int who, int ok, const char *what, long got)
{
    struct rec *r = &shm[who];
    size_t len = strlen(r->notes);
    if (ok)
        snprintf(r->notes + len, sizeof r->notes - len, "ok %s: %s\n", names[who], what);
    else {
        r->fails++;
        snprintf(r->notes + len, sizeof r->notes - len, "FAIL %s: %s: got %ld errno %s\n", names[who], what, got,
                 errno_name(errno));
    }
}

static void note_errno(int who, long rc, int want, const char *what)
{
    int e = errno;
    char buf[160];
    snprintf(buf, sizeof buf, "%s -> %s", what, errno_name(want));
    errno = e;
    note(who, rc == -1 && e == want, buf, rc);
}

static pid_t raw_clone(unsigned long flags)
{
    fflush(stdout);
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
}

static void expect_ok(pid_t pid, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    CHECK(got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (%s)", what,
          got == pid ? status_str(st) : errno_name(errno));
}

/* a child in the namespaces reaps pid silently: 0 when it exited 0 */
static int reap_quiet(pid_t pid)
{
    int st = 0;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int read_text(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(out, size, "(open: %s)", errno_name(errno));
        return -1;
    }
    ssize_t n = 0, r;
    while ((r = read(fd, out + n, size - 1 - (size_t)n)) > 0)
        n += r;
    close(fd);
    out[n] = 0;
    return (int)n;
}

/* the value of "Name:" in a status text, "" when absent */
static const char *field(const char *text, const char *name, char *out, size_t size)
{
    size_t len = strlen(name);
    out[0] = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, len) == 0 && p[len] == ':') {
            p += len + 1;
            while (*p == '\t' || *p == ' ')
                p++;
            size_t k = strcspn(p, "\n");
            if (k >= size)
                k = size - 1;
            memcpy(out, p, k);
            out[k] = 0;
            break;
        }
    }
    return out;
}

/* a level-0 number by name */
static const char *sym(long nr)
{
    static char buf[8][32];
    static int slot;
    char *b = buf[slot++ % 8];
    if (nr == 0)
        return "0";
    for (int i = 0; i < NP; i++)
        if (root_nr[i] == nr) {
            snprintf(b, 32, "%s", names[i]);
            return b;
        }
    return "unknown";
}

/* "NSpid: a b c" with a (the number /proc's namespace gives) by name and the inner numbers as they are */
static void print_ns_line(const char *who, const char *status, const char *name)
{
    char v[256], out[256] = "";
    field(status, name, v, sizeof v);
    char *save = NULL;
    int first = 1;
    for (char *tok = strtok_r(v, "\t ", &save); tok; tok = strtok_r(NULL, "\t ", &save)) {
        strcat(out, first ? "" : " ");
        strcat(out, first ? sym(strtol(tok, NULL, 10)) : tok);
        first = 0;
    }
    printf("%s %s: %s\n", who, name, out);
}

/* "Pid: X": a number of /proc's namespace */
static void print_root_line(const char *who, const char *status, const char *name)
{
    char v[64];
    field(status, name, v, sizeof v);
    printf("%s %s: %s\n", who, name, v[0] ? sym(strtol(v, NULL, 10)) : "(none)");
}

static void print_view(const char *who, const char *status, const char *stat, const char *link)
{
    static const char *ns_lines[] = {"NStgid", "NSpid", "NSpgid", "NSsid"};
    print_root_line(who, status, "Tgid");
    print_root_line(who, status, "Pid");
    print_root_line(who, status, "PPid");
    for (int i = 0; i < 4; i++)
        print_ns_line(who, status, ns_lines[i]);
    /* stat: pid (comm) state ppid pgrp session */
    int pid = atoi(stat), ppid = 0, pgrp = 0, sid = 0;
    char state = '?';
    const char *rp = strrchr(stat, ')');
    if (rp)
        sscanf(rp + 2, "%c %d %d %d", &state, &ppid, &pgrp, &sid);
    printf("%s stat: pid %s ppid %s pgrp %s session %s\n", who, sym(pid), sym(ppid), sym(pgrp), sym(sid));
    if (link) {
        /* "N" or "N/task/M" */
        char buf[64];
        snprintf(buf, sizeof buf, "%s", link);
        char *slash = strstr(buf, "/task/");
        if (buf[0] == '(')
            printf("%s link: %s\n", who, buf);
        else if (slash) {
            *slash = 0;
            printf("%s link: %s/task/%s\n", who, sym(strtol(buf, NULL, 10)), sym(strtol(slash + 6, NULL, 10)));
        } else
            printf("%s link: %s\n", who, sym(strtol(buf, NULL, 10)));
    }
}

/* ------------------------------------------------------------------------------------ inside */

static void record(int who, int thread)
{
    struct rec *r = &shm[who];
    r->pid = getpid();
    r->tid = (int)syscall(SYS_gettid);
    r->ppid = getppid();
    read_text(thread ? "/proc/thread-self/status" : "/proc/self/status", r->status, sizeof r->status);
    read_text(thread ? "/proc/thread-self/stat" : "/proc/self/stat", r->stat, sizeof r->stat);
    ssize_t n = readlink(thread ? "/proc/thread-self" : "/proc/self", r->self_link, sizeof r->self_link - 1);
    if (n < 0)
        snprintf(r->self_link, sizeof r->self_link, "(readlink: %s)", errno_name(errno));
    else
        r->self_link[n] = 0;
}

static void report_ready(void)
{
    if (write(ready[1], "r", 1) != 1)
        shm[P_M].fails++;
}

static void wait_release(void)
{
    char x;
    while (read(hold[0], &x, 1) > 0)
        ;
}

static int t_go[2];

static void *t_main(void *arg)
{
    (void)arg;
    record(P_T, 1);
    report_ready();
    if (write(t_go[1], "t", 1) != 1)
        shm[P_T].fails++;
    wait_release();
    return NULL;
}

static pid_t clone3_set_tid(const pid_t *tids, uint64_t n, uint64_t ptr_override)
{
    struct cargs a;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    a.set_tid = ptr_override ? ptr_override : (uintptr_t)tids;
    a.set_tid_size = n;
    fflush(stdout);
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

static void body_d(void)
{
    pthread_t t;
    char x;
    if (pipe(t_go))
        shm[P_D].fails++;
    note(P_D, pthread_create(&t, NULL, t_main, NULL) == 0, "pthread_create", 0);
    note(P_D, read(t_go[0], &x, 1) == 1, "its thread T has looked", 0);
    record(P_D, 0);
    report_ready();
    wait_release();
    pthread_join(t, NULL);
    _exit(shm[P_D].fails || shm[P_T].fails ? 1 : 0);
}

static void body_c(void)
{
    record(P_C, 0);
    int dr[2];
    if (pipe(dr))
        shm[P_C].fails++;
    pid_t d = fork();
    if (d == 0) {
        close(dr[0]);
        close(dr[1]);
        body_d();
    }
    close(dr[1]);
    note(P_C, d == 2, "fork returns 2 (D)", d);
    /* wait until D's thread exists, so that the next numbers below are known */
    for (int i = 0; i < 2000 && !shm[P_D].pid; i++)
        usleep(1000);
    note(P_C, shm[P_D].pid == 2, "D has looked", shm[P_D].pid);

    pid_t two[] = {4242, 4343};
    note_errno(P_C, clone3_set_tid(two, 2, 8), EFAULT, "clone3 set_tid pointing at an unmapped page");
    pid_t e = clone3_set_tid(two, 2, 0);
    if (e == 0) {
        record(P_E, 0);
        report_ready();
        wait_release();
        _exit(0);
    }
    note(P_C, e == 4242, "clone3 set_tid {4242, 4343} returns 4242", e);
    note_errno(P_C, clone3_set_tid(two, 2, 0), EEXIST, "set_tid {4242, 4343} again");
    pid_t l1_taken[] = {4244, 4343};
    note_errno(P_C, clone3_set_tid(l1_taken, 2, 0), EEXIST, "set_tid {4244, 4343}: 4343 is taken in L1");
    pid_t l1_init[] = {4244, 1};
    note_errno(P_C, clone3_set_tid(l1_init, 2, 0), EEXIST, "set_tid {4244, 1}: 1 is A in L1");
    pid_t four[] = {4244, 4344, 4345, 4346};
    note_errno(P_C, clone3_set_tid(four, 4, 0), EINVAL, "set_tid_size 4 two levels down");
    pid_t zero[] = {4244, 0};
    note_errno(P_C, clone3_set_tid(zero, 2, 0), EINVAL, "set_tid {4244, 0}");
    pid_t k = fork();
    if (k == 0)
        _exit(0);
    /* L2: C 1, D 2, T 3; E was chosen and moved no cursor */
    note(P_C, k == 4, "the next fork is 4: set_tid moved no cursor", k);
    note(P_C, reap_quiet(k) == 0, "reaped it", 0);
    report_ready();
    wait_release();
    int bad = reap_quiet(d) | reap_quiet(e);
    note(P_C, !bad, "D and E exited 0", bad);
    _exit(shm[P_C].fails || bad ? 1 : 0);
}

static void body_a(void)
{
    note(P_A, setsid() == 1, "setsid() makes session 1", 0);
    record(P_A, 0);
    pid_t b = fork();
    if (b == 0) {
        record(P_B, 0);
        report_ready();
        wait_release();
        _exit(0);
    }
    pid_t c = raw_clone(CLONE_NEWPID);
    if (c == 0)
        body_c();
    note(P_A, b == 2, "B is 2", b);
    note(P_A, c == 3, "C is 3", c);
    report_ready();
    wait_release();
    int bad = reap_quiet(b) | reap_quiet(c);
    _exit(shm[P_A].fails || bad ? 1 : 0);
}

/* --------------------------------------------------------------------------------------- outside */

static int children_of(int pid, int *out, int max)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    if (read_text(path, text, sizeof text) < 0)
        return 0;
    int n = 0;
    for (char *p = text; *p && n < max;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (int)v;
        p = end;
        while (*p == ' ' || *p == '\n')
            p++;
    }
    return n;
}

static int other_thread(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    int found = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            int t = atoi(buf + off + 19);
            if (t > 0 && t != pid)
                found = t;
            off += reclen;
        }
    }
    close(fd);
    return found;
}

static void walk(int a)
{
    root_nr[P_M] = getpid();
    root_nr[P_A] = a;
    int kids[8];
    int n = children_of(a, kids, 8);
    CHECK_EQ(n, 2, "A has two children");
    root_nr[P_B] = n > 0 ? kids[0] : -1;
    root_nr[P_C] = n > 1 ? kids[1] : -1;
    n = children_of(root_nr[P_C], kids, 8);
    CHECK_EQ(n, 2, "C has two children");
    root_nr[P_D] = n > 0 ? kids[0] : -1;
    root_nr[P_E] = n > 1 ? kids[1] : -1;
    root_nr[P_T] = other_thread(root_nr[P_D]);
    CHECK(root_nr[P_T] > 0, "D has a second thread");
}

static int last_number(const char *status, const char *name)
{
    char v[256];
    field(status, name, v, sizeof v);
    const char *p = strrchr(v, '\t');
    return atoi(p ? p + 1 : v);
}

static int count_numbers(const char *status, const char *name)
{
    char v[256];
    field(status, name, v, sizeof v);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(v, "\t ", &save); tok; tok = strtok_r(NULL, "\t ", &save))
        n++;
    return n;
}

static void part_tree(void)
{
    printf("-- the tree\n");
    if (pipe(ready) || pipe(hold))
        printf("FAIL pipe\n");
    pid_t a = raw_clone(CLONE_NEWPID);
    if (a == 0) {
        close(hold[1]);
        close(ready[0]);
        body_a();
    }
    close(ready[1]);
    close(hold[0]);
    char x;
    int got = 0;
    while (got < 6 && read(ready[0], &x, 1) == 1)
        got++;
    CHECK_EQ(got, 6, "A, B, C, D, its thread T and E have looked at themselves");
    walk(a);
    static const int levels[NP] = {0, 1, 1, 2, 2, 2, 2};
    static const int order[] = {P_A, P_B, P_C, P_D, P_T, P_E};

    printf("-- what they did\n");
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
        printf("%s", shm[order[i]].notes);
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++) {
        struct rec *r = &shm[order[i]];
        printf("%s: getpid %d gettid %d getppid %d\n", names[order[i]], r->pid, r->tid, r->ppid);
    }

    printf("-- from the starting namespace: /proc/PID/status, /proc/PID/stat\n");
    char status[2048], stat[256], path[64];
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++) {
        int w = order[i];
        if (w == P_T)
            snprintf(path, sizeof path, "/proc/%d/task/%d/", root_nr[P_D], root_nr[P_T]);
        else
            snprintf(path, sizeof path, "/proc/%d/", root_nr[w]);
        char p2[96];
        snprintf(p2, sizeof p2, "%sstatus", path);
        read_text(p2, status, sizeof status);
        snprintf(p2, sizeof p2, "%sstat", path);
        read_text(p2, stat, sizeof stat);
        print_view(names[w], status, stat, NULL);
        CHECK_EQ(count_numbers(status, "NSpid"), levels[w] + 1, "one NSpid number per level");
        CHECK_EQ(last_number(status, "NSpid"), shm[w].tid, "the last NSpid number is its own gettid()");
        CHECK_EQ(last_number(status, "NStgid"), shm[w].pid, "the last NStgid number is its own getpid()");
    }

    printf("-- from inside: /proc/self/status, /proc/self/stat, /proc/self (thread-self for T)\n");
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++) {
        int w = order[i];
        struct rec *r = &shm[w];
        print_view(names[w], r->status, r->stat, r->self_link);
    }

    close(hold[1]);
    close(ready[0]);
    expect_ok(a, "A and every process below it");
}

/* ---------------------------------------------------------------------------------------- pid_max */

static long read_long(const char *path)
{
    char text[32];
    if (read_text(path, text, sizeof text) < 0)
        return -1;
    return strtol(text, NULL, 10);
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = (int)write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* clone3 with set_tid {nr}: the child exits at once; errno is the caller's to read */
static long clone3_one(pid_t nr)
{
    pid_t t[] = {nr};
    struct cargs a;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    a.set_tid = (uintptr_t)t;
    a.set_tid_size = 1;
    fflush(stdout);
    long k = syscall(SYS_clone3, &a, sizeof a);
    if (k == 0)
        _exit(0);
    return k;
}

static void pid_max_inside(const char *how)
{
    printf("%s: pid_max %ld\n", how, read_long("/proc/sys/kernel/pid_max"));
    CHECK(write_text("/proc/sys/kernel/ns_last_pid", "40000") > 0, "%s: ns_last_pid = 40000", how);
    pid_t k = guest_fork();
    if (k == 0)
        _exit(0);
    printf("%s: the next fork gets %d\n", how, (int)k);
    waitpid(k, NULL, 0);
    EXPECT_ERRNO(write_text("/proc/sys/kernel/ns_last_pid", "4194305"), EINVAL, "ns_last_pid past PID_MAX_LIMIT");
    long r = clone3_one(4194303);
    printf("%s: clone3 set_tid {4194303}: %ld\n", how, r < 0 ? -(long)errno : r);
    if (r > 0)
        waitpid((pid_t)r, NULL, 0);
    EXPECT_ERRNO(clone3_one(4194304), EINVAL, "clone3 set_tid {PID_MAX_LIMIT}");
}

static void part_pid_max(void)
{
    printf("-- a new namespace's pid_max\n");
    pid_t init = raw_clone(CLONE_NEWPID);
    if (init == 0) {
        guest_failures = 0;
        pid_max_inside("clone(CLONE_NEWPID)");
        guest_child_exit();
    }
    expect_ok(init, "clone(CLONE_NEWPID) part");
    pid_t p = guest_fork();
    if (p == 0) {
        CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID)");
        pid_t c = guest_fork();
        if (c == 0) {
            pid_max_inside("unshare(CLONE_NEWPID)");
            guest_child_exit();
        }
        expect_ok(c, "its init");
        guest_child_exit();
    }
    expect_ok(p, "unshare(CLONE_NEWPID) part");
}

/* ------------------------------------------------------------------------------------- first fork */

static long clone_bad_pidfd(void)
{
    fflush(stdout);
    long r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0L, (int *)8, 0L, 0L);
    if (r == 0)
        _exit(0);
    return r;
}

static void part_first_fork(void)
{
    printf("-- a namespace whose first fork failed\n");
    pid_t p = guest_fork();
    if (p == 0) {
        CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID)");
        EXPECT_ERRNO(clone_bad_pidfd(), EFAULT, "clone(CLONE_PIDFD) storing the pidfd at an unmapped address");
        EXPECT_ERRNO(guest_fork(), ENOMEM, "the next fork into that namespace");
        guest_child_exit();
    }
    expect_ok(p, "first-fork part");
    p = guest_fork();
    if (p == 0) {
        /* for comparison: a failure before the pid is allocated leaves the namespace usable */
        CHECK_EQ(unshare(CLONE_NEWPID), 0, "unshare(CLONE_NEWPID)");
        EXPECT_ERRNO(syscall(SYS_clone, CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, 0L, 0L, 0L, 0L), EINVAL,
                     "clone(CLONE_PIDFD | CLONE_DETACHED)");
        pid_t c = guest_fork();
        if (c == 0) {
            CHECK_EQ(getpid(), 1, "the next fork is the namespace's init");
            guest_child_exit();
        }
        expect_ok(c, "that init");
        guest_child_exit();
    }
    expect_ok(p, "early-failure part");
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    if (geteuid() != 0) {
        printf("not root: nothing to check\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "pid_max") == 0) {
        part_pid_max();
        return guest_exit();
    }
    if (argc > 1 && strcmp(argv[1], "first-fork") == 0) {
        part_first_fork();
        return guest_exit();
    }
    shm = mmap(NULL, NP * sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED) {
        printf("FAIL mmap\n");
        return 1;
    }
    memset(shm, 0, NP * sizeof *shm);
    part_tree();
    int fails = 0;
    for (int i = 0; i < NP; i++)
        fails += shm[i].fails;
    CHECK_EQ(fails, 0, "no check failed in the namespaces");
    return guest_exit();
}
