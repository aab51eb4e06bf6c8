/*
 * proc_status: what /proc/self tells a process about itself, checked against the syscalls.
 *
 * status: the field names in order, Tgid/Pid == getpid(), PPid == getppid(), Name, Umask, Uid/Gid,
 * Threads 1 -> 3 with two threads alive (and /proc/self/task lists them, /proc/thread-self/status in a
 * thread names that thread), SigBlk after sigprocmask, SigCgt after sigaction, SigIgn after SIG_IGN,
 * NoNewPrivs 0 -> 1 after prctl.  stat: 52 fields, pid, comm, ppid, threads.  cmdline and environ are
 * argv and envp.  exe, cwd, fd/N links; fdinfo/N pos, flags (with O_CLOEXEC), ino; maps has the stack and
 * the executable; ns/pid; cgroup has the unified line.
 *
 * Prints relations only (never pids, addresses or inode numbers).
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static char buf[1 << 16];

/* The whole of a /proc file (NUL-terminated; the length in *len if asked). */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    buf[0] = 0;
    if (fd < 0)
        return NULL;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* The text after "name:\t" on its line (copied into out). */
static int field(const char *text, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == '\t') {
            const char *v = p + nl + 2, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= outsz)
                n = outsz - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return 1;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

static long field_long(const char *text, const char *name)
{
    char v[256];
    return field(text, name, v, sizeof v) ? strtol(v, NULL, 10) : -12345;
}

static unsigned long long field_hex(const char *text, const char *name)
{
    char v[256];
    return field(text, name, v, sizeof v) ? strtoull(v, NULL, 16) : ~0ULL;
}

static long status_long(const char *name)
{
    return field_long(slurp("/proc/self/status", NULL), name);
}

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static int count_dir(const char *path)
{
    char cmd[64];
    int n = 0;
    snprintf(cmd, sizeof cmd, "%s", path);
    int fd = open(cmd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char d[4096];
    for (;;) {
        long r = syscall(SYS_getdents64, fd, d, sizeof d);
        if (r <= 0)
            break;
        for (long off = 0; off < r;) {
            unsigned short reclen = *(unsigned short *)(d + off + 16);
            const char *name = d + off + 19;
            if (strcmp(name, ".") && strcmp(name, ".."))
                n++;
            off += reclen;
        }
    }
    close(fd);
    return n;
}

/* ------------------------------------------------------------------ status */

static void test_status_fields(void)
{
    printf("-- status\n");
    char *s = slurp("/proc/self/status", NULL);
    CHECK(s != NULL, "/proc/self/status opens");
    /* the names of the fields, in order */
    printf("status keys:");
    for (char *p = s; p && *p;) {
        char *colon = strchr(p, ':');
        char *nl = strchr(p, '\n');
        if (!colon || (nl && colon > nl))
            break;
        printf(" %.*s", (int)(colon - p), p);
        p = nl ? nl + 1 : NULL;
    }
    printf("\n");
    CHECK_EQ(field_long(s, "Tgid"), getpid(), "Tgid == getpid()");
    CHECK_EQ(field_long(s, "Pid"), getpid(), "Pid == getpid()");
    CHECK_EQ(field_long(s, "PPid"), getppid(), "PPid == getppid()");
    CHECK_EQ(field_long(s, "TracerPid"), 0, "TracerPid 0");
    CHECK_EQ(field_long(s, "Ngid"), 0, "Ngid 0");
    CHECK_EQ(field_long(s, "Kthread"), 0, "Kthread 0");
    char v[256], want[256];
    field(s, "State", v, sizeof v);
    CHECK(strcmp(v, "R (running)") == 0, "State of the reader: R (running)");
    snprintf(want, sizeof want, "%d\t%d\t%d\t%d", getuid(), geteuid(), getuid(), geteuid());
    field(s, "Uid", v, sizeof v);
    CHECK(strcmp(v, want) == 0, "Uid has the four ids");
    snprintf(want, sizeof want, "%d\t%d\t%d\t%d", getgid(), getegid(), getgid(), getegid());
    field(s, "Gid", v, sizeof v);
    CHECK(strcmp(v, want) == 0, "Gid has the four ids");
    snprintf(want, sizeof want, "%d", getpid());
    field(s, "NSpid", v, sizeof v);
    CHECK(strcmp(v, want) == 0, "NSpid is one number, getpid()");
    field(s, "NSpgid", v, sizeof v);
    CHECK_EQ(strtol(v, NULL, 10), getpgid(0), "NSpgid == getpgid(0)");
    field(s, "NSsid", v, sizeof v);
    CHECK_EQ(strtol(v, NULL, 10), getsid(0), "NSsid == getsid(0)");
    field(s, "SigQ", v, sizeof v);
    CHECK(strchr(v, '/') != NULL, "SigQ is queued/limit");
    field(s, "CapBnd", v, sizeof v);
    CHECK(strlen(v) == 16, "CapBnd has 16 hex digits");
    CHECK(field_long(s, "FDSize") >= 64, "FDSize at least 64");
    field(s, "VmSize", v, sizeof v);
    CHECK(strlen(v) >= 11 && strcmp(v + strlen(v) - 3, " kB") == 0, "VmSize is a width-8 number in kB");

    umask(027);
    field(slurp("/proc/self/status", NULL), "Umask", v, sizeof v);
    CHECK(strcmp(v, "0027") == 0, "Umask after umask(027): 0027");
    umask(022);
}

static void on_usr2(int sig) { (void)sig; }

static void test_signals(void)
{
    printf("-- signal masks\n");
    unsigned long long usr1 = 1ULL << (SIGUSR1 - 1), usr2 = 1ULL << (SIGUSR2 - 1);
    unsigned long long pipe = 1ULL << (SIGPIPE - 1);
    char *s = slurp("/proc/self/status", NULL);
    CHECK((field_hex(s, "SigBlk") & usr1) == 0, "SigBlk: SIGUSR1 not blocked at first");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    s = slurp("/proc/self/status", NULL);
    CHECK(field_hex(s, "SigBlk") & usr1, "SigBlk: SIGUSR1 blocked after sigprocmask");
    raise(SIGUSR1);
    s = slurp("/proc/self/status", NULL);
    CHECK(field_hex(s, "SigPnd") & usr1, "SigPnd: a raised blocked SIGUSR1 is pending for the thread");
    CHECK((field_hex(s, "ShdPnd") & usr1) == 0, "ShdPnd: not in the shared queue");
    kill(getpid(), SIGUSR1);
    s = slurp("/proc/self/status", NULL);
    CHECK(field_hex(s, "ShdPnd") & usr1, "ShdPnd: kill() queues it for the process");
    signal(SIGUSR1, SIG_IGN); /* discards both */
    s = slurp("/proc/self/status", NULL);
    CHECK(((field_hex(s, "SigPnd") | field_hex(s, "ShdPnd")) & usr1) == 0, "SIG_IGN discards the pending SIGUSR1");
    CHECK(field_hex(s, "SigIgn") & usr1, "SigIgn: SIGUSR1 ignored");
    signal(SIGUSR1, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    s = slurp("/proc/self/status", NULL);
    CHECK(field_hex(s, "SigCgt") & usr2, "SigCgt: SIGUSR2 caught after sigaction");
    CHECK((field_hex(s, "SigCgt") & usr1) == 0, "SigCgt: SIGUSR1 not caught");
    CHECK(field_hex(s, "SigIgn") & pipe, "SigIgn: SIGPIPE ignored");
    CHECK((field_hex(s, "SigIgn") & usr2) == 0, "SigIgn: SIGUSR2 not ignored");
    signal(SIGPIPE, SIG_DFL);
}

/* ------------------------------------------------------------------ threads */

static pthread_barrier_t bar;
static pid_t thread_tids[2];
static int thread_ok[2];

static void *worker(void *arg)
{
    long i = (long)arg;
    thread_tids[i] = gettid_();
    pthread_barrier_wait(&bar);
    if (i == 0) {
        /* /proc/thread-self is this thread; /proc/self its process */
        char v[256];
        char *s = slurp("/proc/thread-self/status", NULL);
        thread_ok[0] = field_long(s, "Pid") == gettid_() && field_long(s, "Tgid") == getpid();
        field(s, "State", v, sizeof v);
        thread_ok[1] = strcmp(v, "R (running)") == 0;
    }
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

static void test_threads(void)
{
    printf("-- threads\n");
    CHECK_EQ(status_long("Threads"), 1, "Threads: 1");
    CHECK_EQ(count_dir("/proc/self/task"), 1, "/proc/self/task: one entry");
    pthread_t th[2];
    pthread_barrier_init(&bar, NULL, 3);
    for (long i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    CHECK(thread_ok[0], "in a thread, /proc/thread-self/status: Pid == gettid(), Tgid == getpid()");
    CHECK(thread_ok[1], "in a thread, its own State is R (running)");
    CHECK_EQ(status_long("Threads"), 3, "Threads: 3 with two threads alive");
    CHECK_EQ(count_dir("/proc/self/task"), 3, "/proc/self/task: three entries");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", thread_tids[1]);
    char *s = slurp(path, NULL);
    CHECK(field_long(s, "Pid") == thread_tids[1] && field_long(s, "Tgid") == getpid(),
          "/proc/self/task/TID/status names that thread in this process");
    snprintf(path, sizeof path, "/proc/%d/status", thread_tids[1]);
    s = slurp(path, NULL);
    CHECK(s && field_long(s, "Pid") == thread_tids[1], "/proc/TID of a thread resolves (hidden from readdir)");
    CHECK_EQ(field_long(s, "Threads"), 3, "... and counts the whole group");
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", thread_tids[0]);
    s = slurp(path, NULL);
    CHECK(s && strtol(s, NULL, 10) == thread_tids[0], "task/TID/stat starts with the tid");
    char *rp = s ? strrchr(s, ')') : NULL;
    int nf = 0;
    for (char *p = rp; p && *p; p++)
        if (*p == ' ')
            nf++;
    /* ") S ppid ..." : one space before each of the 50 fields after comm */
    CHECK_EQ(nf + 2, 52, "a thread's stat has 52 fields");
    long exit_signal = 0;
    if (rp) {
        char *p = rp + 2;
        for (int f = 3; f < 38 && p; f++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        if (p)
            exit_signal = strtol(p, NULL, 10);
    }
    CHECK_EQ(exit_signal, -1, "a thread's stat exit_signal is -1");
    pthread_barrier_wait(&bar);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    /* joined threads have cleared their tid; they may still be on their way out for a moment */
    long t = 0;
    for (int tries = 0; tries < 10000 && (t = status_long("Threads")) != 1; tries++)
        sched_yield();
    CHECK_EQ(t, 1, "Threads: 1 again after both joined");
}

/* ------------------------------------------------------------------ stat, cmdline, environ */

static void test_stat_cmdline(int argc, char **argv)
{
    printf("-- stat, cmdline, environ\n");
    char *s = slurp("/proc/self/stat", NULL);
    CHECK(s && strtol(s, NULL, 10) == getpid(), "stat: field 1 is getpid()");
    char *lp = strchr(s, '('), *rp = strrchr(s, ')');
    char comm[64] = "";
    if (lp && rp && rp - lp - 1 < (long)sizeof comm) {
        memcpy(comm, lp + 1, (size_t)(rp - lp - 1));
        comm[rp - lp - 1] = 0;
    }
    char name[256];
    field(slurp("/proc/self/status", NULL), "Name", name, sizeof name);
    CHECK(strcmp(comm, name) == 0, "stat comm == status Name");
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    CHECK(strncmp(name, base, 15) == 0 && strlen(name) == (strlen(base) < 15 ? strlen(base) : 15),
          "Name is the executable's name, at most 15 bytes");
    s = slurp("/proc/self/stat", NULL);
    rp = strrchr(s, ')');
    char state = 0;
    long ppid = 0, threads = 0, fields = 2;
    char *p = rp + 2;
    state = *p;
    for (char *q = rp + 1; *q; q++)
        if (*q == ' ')
            fields++;
    long vals[60] = {0};
    int i = 3;
    for (char *tok = strtok(p, " \n"); tok && i < 60; tok = strtok(NULL, " \n"), i++)
        vals[i] = strtol(tok, NULL, 10);
    ppid = vals[4];
    threads = vals[20];
    CHECK_EQ(fields, 52, "stat has 52 fields");
    CHECK(state == 'R', "stat state R");
    CHECK_EQ(ppid, getppid(), "stat ppid == getppid()");
    CHECK_EQ(vals[5], getpgid(0), "stat pgrp == getpgid(0)");
    CHECK_EQ(vals[6], getsid(0), "stat session == getsid(0)");
    CHECK_EQ(vals[8], -1, "stat tpgid -1 (no terminal)");
    CHECK_EQ(threads, 1, "stat num_threads 1");
    CHECK_EQ(vals[38], SIGCHLD, "stat exit_signal SIGCHLD");
    CHECK(vals[48] != 0 && vals[48] < vals[49], "stat arg_start < arg_end");

    size_t n = 0;
    char *c = slurp("/proc/self/cmdline", &n);
    size_t want = 0;
    int same = 1;
    for (int a = 0; a < argc; a++) {
        size_t l = strlen(argv[a]) + 1;
        if (want + l > n || memcmp(c + want, argv[a], l) != 0)
            same = 0;
        want += l;
    }
    CHECK(same && n == want, "cmdline is argv, each NUL-terminated (%d args)", argc);

    c = slurp("/proc/self/environ", &n);
    want = 0;
    same = 1;
    for (char **e = environ; *e; e++) {
        size_t l = strlen(*e) + 1;
        if (want + l > n || memcmp(c + want, *e, l) != 0)
            same = 0;
        want += l;
    }
    CHECK(same && n == want, "environ is the initial environment");
}

/* ------------------------------------------------------------------ links, fdinfo, maps, ns */

static void test_links(char **argv)
{
    printf("-- links\n");
    char exe[PATH_MAX], want[PATH_MAX], cwd[PATH_MAX], got[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    getcwd(cwd, sizeof cwd);
    const char *rel = argv[0];
    while (strncmp(rel, "./", 2) == 0)
        rel += 2;
    if (rel[0] == '/')
        snprintf(want, sizeof want, "%s", rel);
    else
        snprintf(want, sizeof want, "%.2000s/%.2000s", strcmp(cwd, "/") ? cwd : "", rel);
    CHECK(n > 0 && strcmp(exe, want) == 0, "readlink /proc/self/exe == argv[0] made absolute");
    struct stat a, b;
    CHECK(stat("/proc/self/exe", &a) == 0 && stat(want, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev,
          "stat through /proc/self/exe is the executable");
    n = readlink("/proc/self/cwd", got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    CHECK(strcmp(got, cwd) == 0, "readlink /proc/self/cwd == getcwd()");
    n = readlink("/proc/self/root", got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    CHECK(strcmp(got, "/") == 0, "readlink /proc/self/root == /");
    n = readlink("/proc/self", got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    CHECK(strtol(got, NULL, 10) == getpid(), "readlink /proc/self == getpid()");
    struct stat st;
    CHECK(lstat("/proc/self/exe", &st) == 0 && S_ISLNK(st.st_mode), "lstat /proc/self/exe: a symlink");
    CHECK(stat("/proc/self/fd", &st) == 0 && (st.st_mode & 07777) == 0500, "/proc/self/fd is dr-x------");
    CHECK(stat("/proc/self/status", &st) == 0 && (st.st_mode & 07777) == 0444 && st.st_uid == geteuid(),
          "/proc/self/status is r--r--r-- owned by the euid");

    n = readlink("/proc/self/ns/pid", got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    char kids[64];
    ssize_t m = readlink("/proc/self/ns/pid_for_children", kids, sizeof kids - 1);
    kids[m > 0 ? m : 0] = 0;
    CHECK(strncmp(got, "pid:[", 5) == 0 && got[n - 1] == ']', "ns/pid reads pid:[inode]");
    CHECK(strcmp(got, kids) == 0, "ns/pid_for_children is the same namespace");
    int nsfd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    CHECK(nsfd >= 0, "ns/pid opens");
    if (nsfd >= 0) {
        CHECK(fstat(nsfd, &st) == 0 && (unsigned long)st.st_ino == strtoul(got + 5, NULL, 10),
              "the opened namespace file's inode is the number in the link");
        close(nsfd);
    }

    char *cg = slurp("/proc/self/cgroup", NULL);
    int unified = 0;
    for (char *p = cg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, "0::/", 4) == 0)
            unified = 1;
    CHECK(unified, "/proc/self/cgroup has the unified line 0::/...");
}

static void test_fdinfo(void)
{
    printf("-- fd, fdinfo\n");
    char path[64], link[PATH_MAX];
    snprintf(path, sizeof path, "/tmp/proc_status.%d", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "a temporary file opens");
    write(fd, "hello", 5);
    char fl[64];
    snprintf(fl, sizeof fl, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(fl, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    CHECK(strcmp(link, path) == 0, "readlink /proc/self/fd/N is the file's path");
    struct stat st, fst;
    fstat(fd, &fst);
    CHECK(lstat(fl, &st) == 0 && (st.st_mode & 0777) == 0700, "fd/N of a read-write file is lrwx------");
    snprintf(fl, sizeof fl, "/proc/self/fdinfo/%d", fd);
    char *s = slurp(fl, NULL);
    char v[256];
    field(s, "pos", v, sizeof v);
    CHECK(strcmp(v, "5") == 0, "fdinfo pos: 5 after writing 5 bytes");
    field(s, "flags", v, sizeof v);
    printf("fdinfo flags with O_CLOEXEC: %s\n", v);
    CHECK(strtoul(v, NULL, 8) & O_CLOEXEC, "fdinfo flags include O_CLOEXEC");
    CHECK(v[0] == '0', "fdinfo flags are octal with a leading 0");
    CHECK_EQ(field_long(s, "ino"), (long)fst.st_ino, "fdinfo ino == fstat st_ino");
    CHECK(field_long(s, "mnt_id") > 0, "fdinfo mnt_id is a mount id");
    fcntl(fd, F_SETFD, 0);
    field(slurp(fl, NULL), "flags", v, sizeof v);
    printf("fdinfo flags without: %s\n", v);
    lseek(fd, 2, SEEK_SET);
    CHECK_EQ(field_long(slurp(fl, NULL), "pos"), 2, "fdinfo pos follows lseek");
    close(fd);
    unlink(path);
    EXPECT_ERRNO(open(fl, O_RDONLY), ENOENT, "a closed fd's fdinfo");
}

static void test_maps(void)
{
    printf("-- maps\n");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    int local = 0;
    unsigned long me = (unsigned long)&local, code = (unsigned long)&test_maps;
    int stack_ok = 0, exe_code = 0, padded = 1;
    char *s = slurp("/proc/self/maps", NULL);
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
            size_t len = strlen(line);
            if (len > 73 && line[72] != ' ')
                padded = 0;
            if (strstr(line, "[stack]") && lo <= me && me < hi)
                stack_ok = 1;
            if (lo <= code && code < hi && perms[2] == 'x' && len > 73 && strcmp(line + 73, exe) == 0)
                exe_code = 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    CHECK(stack_ok, "maps: a local variable lies in [stack]");
    CHECK(exe_code, "maps: this function lies in an executable mapping of the program's path");
    CHECK(padded, "maps: names start at column 73");
}

static void test_no_new_privs(void)
{
    printf("-- no_new_privs\n");
    CHECK_EQ(status_long("NoNewPrivs"), 0, "NoNewPrivs: 0");
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    CHECK_EQ(status_long("NoNewPrivs"), 1, "NoNewPrivs: 1 after prctl(PR_SET_NO_NEW_PRIVS)");
    CHECK_EQ(status_long("Seccomp"), 0, "Seccomp: 0");
}

static void test_readonly(void)
{
    printf("-- writes\n");
    int fd = open("/proc/self/status", O_WRONLY);
    if (geteuid() == 0) {
        CHECK(fd >= 0, "root opens status for writing");
        EXPECT_ERRNO(write(fd, "x", 1), EINVAL, "writing status");
        if (fd >= 0)
            close(fd);
    } else {
        int e = errno;
        CHECK(fd < 0 && e == EACCES, "status is not writable: EACCES");
    }
    /* procfs lookups fail with ENOENT themselves, before any mkdir or create could be tried */
    EXPECT_ERRNO(mkdir("/proc/emk_nope", 0755), ENOENT, "mkdir in /proc");
    EXPECT_ERRNO(open("/proc/emk_nope", O_WRONLY | O_CREAT, 0644), ENOENT, "create in /proc");
    EXPECT_ERRNO(rmdir("/proc/self/fd"), EPERM, "rmdir in /proc/self");
    EXPECT_ERRNO(unlink("/proc/self/status"), EPERM, "unlink in /proc/self");
    EXPECT_ERRNO(open("/proc/999999999/status", O_RDONLY), ENOENT, "/proc/<no such pid>");
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    test_status_fields();
    test_signals();
    test_threads();
    test_stat_cmdline(argc, argv);
    test_links(argv);
    test_fdinfo();
    test_maps();
    test_readonly();
    test_no_new_privs();
    return guest_exit();
}
