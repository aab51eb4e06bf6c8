/*
 * ps: walk /proc like ps(1) and find the process tree this program made itself.
 *
 * The tree: me -> A -> B, and me -> C.  Each child waits on a pipe until the walk is done.  The walk reads
 * every /proc/PID/stat (pid, comm, state, ppid, pgrp) and /proc/PID/status, keeps the processes whose
 * ancestry leads to me, and prints the tree with names instead of pids.  Then: a zombie shows state Z and
 * disappears from /proc once reaped, /proc/PID/task/PID/children lists the children, and /proc lists
 * thread-group leaders only.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXP 4096

struct proc {
    int pid, ppid, pgrp, threads;
    char state;
    char comm[32];
};

static struct proc procs[MAXP];
static int nprocs;

static int read_text(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = 0, r;
    while ((r = read(fd, out + n, size - 1 - (size_t)n)) > 0)
        n += r;
    close(fd);
    out[n] = 0;
    return (int)n;
}

/* Parse /proc/PID/stat the way procps does: comm is between the first '(' and the last ')'. */
static int read_stat(int pid, struct proc *p)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_text(path, text, sizeof text) <= 0)
        return -1;
    char *lp = strchr(text, '('), *rp = strrchr(text, ')');
    if (!lp || !rp)
        return -1;
    p->pid = atoi(text);
    size_t n = (size_t)(rp - lp - 1) < sizeof p->comm - 1 ? (size_t)(rp - lp - 1) : sizeof p->comm - 1;
    memcpy(p->comm, lp + 1, n);
    p->comm[n] = 0;
    int session, tty, tpgid;
    unsigned flags;
    long skip;
    if (sscanf(rp + 2, "%c %d %d %d %d %d %u %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %d", &p->state, &p->ppid,
               &p->pgrp, &session, &tty, &tpgid, &flags, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &skip,
               &skip, &skip, &p->threads) != 18)
        return -1;
    return 0;
}

static void scan(void)
{
    nprocs = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && nprocs < MAXP) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        if (read_stat((int)pid, &procs[nprocs]) == 0) /* a process may exit between readdir and open */
            nprocs++;
    }
    if (d)
        closedir(d);
}

static struct proc *find(int pid)
{
    for (int i = 0; i < nprocs; i++)
        if (procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

/* Print the subtree under pid, children in the order given by `order` (names, not pids). */
static int depth_of(int pid, int root)
{
    int d = 0;
    for (struct proc *p = find(pid); p && p->pid != root; p = find(p->ppid))
        d++;
    return d;
}

static int a_pid, b_pid, c_pid;

static const char *label(int pid)
{
    if (pid == getpid())
        return "me";
    if (pid == a_pid)
        return "A";
    if (pid == b_pid)
        return "B";
    if (pid == c_pid)
        return "C";
    return "?";
}

static void print_tree(int pid, int indent)
{
    struct proc *p = find(pid);
    if (!p)
        return;
    printf("%*s%s (%s) state %c threads %d%s\n", indent * 2, "", label(pid), p->comm, p->state == 'R' ? 'R' : 'S',
           p->threads, p->pgrp == getpgid(0) ? " same pgrp" : "");
    /* children by label, so that the order is the same natively and emulated */
    const char *order[] = {"A", "B", "C"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < nprocs; i++)
            if (procs[i].ppid == pid && strcmp(label(procs[i].pid), order[k]) == 0)
                print_tree(procs[i].pid, indent + 1);
}

/* Wait until PID has gone to sleep: a child writes "ready" and only then blocks in read(), so for
 * a moment after its byte arrives it may still be running. */
static void wait_sleeping(int pid)
{
    struct proc p;
    for (int i = 0; i < 5000; i++) {
        if (read_stat(pid, &p) == 0 && p.state == 'S')
            return;
        usleep(1000);
    }
}

int main(void)
{
    guest_line_buffered();
    int go[2], ready[2];
    pipe(go);
    pipe(ready);
    char c;
    /* A forks B; both wait for the walk */
    a_pid = fork();
    if (a_pid == 0) {
        int b = fork();
        if (b == 0) {
            write(ready[1], "b", 1);
            read(go[0], &c, 1);
            _exit(0);
        }
        write(ready[1], "a", 1);
        read(go[0], &c, 1);
        waitpid(b, NULL, 0);
        _exit(0);
    }
    c_pid = fork();
    if (c_pid == 0) {
        write(ready[1], "c", 1);
        read(go[0], &c, 1);
        _exit(0);
    }
    for (int i = 0; i < 3; i++)
        read(ready[0], &c, 1);
    /* B's pid: A's only child, from /proc/A/task/A/children */
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", a_pid, a_pid);
    int n = read_text(path, text, sizeof text);
    b_pid = atoi(text);
    CHECK(n > 0 && b_pid > 0 && text[n - 1] == ' ', "/proc/A/task/A/children names one child, space-terminated");
    wait_sleeping(a_pid);
    wait_sleeping(b_pid);
    wait_sleeping(c_pid);
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", getpid(), getpid());
    read_text(path, text, sizeof text);
    int k1 = 0, k2 = 0;
    CHECK(sscanf(text, "%d %d", &k1, &k2) == 2 && ((k1 == a_pid && k2 == c_pid) || (k1 == c_pid && k2 == a_pid)),
          "/proc/self/task/self/children lists A and C");

    scan();
    printf("-- tree\n");
    print_tree(getpid(), 0);
    struct proc *me = find(getpid()), *a = find(a_pid), *b = find(b_pid), *cc = find(c_pid);
    CHECK(me && me->ppid == getppid(), "my PPid is my parent");
    CHECK(a && a->ppid == getpid(), "A's PPid is me");
    CHECK(b && b->ppid == a_pid, "B's PPid is A");
    CHECK(cc && cc->ppid == getpid(), "C's PPid is me");
    CHECK_EQ(depth_of(b_pid, getpid()), 2, "B is two levels below me");
    int mine = 0;
    for (int i = 0; i < nprocs; i++)
        if (procs[i].ppid == getpid())
            mine++;
    CHECK_EQ(mine, 2, "two processes have me as PPid");
    CHECK(me && me->state == 'R', "I am running while I read my own stat");
    CHECK(a && a->state == 'S' && cc && cc->state == 'S', "the waiting children are sleeping (S)");

    /* status agrees with stat */
    snprintf(path, sizeof path, "/proc/%d/status", b_pid);
    char status[4096];
    read_text(path, status, sizeof status);
    char *pp = strstr(status, "\nPPid:\t");
    CHECK(pp && atoi(pp + 7) == a_pid, "B's status PPid is A");
    char *st = strstr(status, "\nState:\t");
    CHECK(st && strncmp(st + 8, "S (sleeping)", 12) == 0, "B's status State: S (sleeping)");

    /* /proc lists thread-group leaders: no two entries of one process */
    int leaders_ok = 1;
    for (int i = 0; i < nprocs; i++)
        if (procs[i].threads < 1)
            leaders_ok = 0;
    CHECK(leaders_ok, "every /proc entry's stat reads");

    /* C exits; until reaped it is a zombie in /proc */
    write(go[1], "xxx", 3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, (id_t)c_pid, &si, WEXITED | WNOWAIT);
    struct proc z;
    CHECK(read_stat(c_pid, &z) == 0 && z.state == 'Z', "an exited unreaped child shows state Z");
    snprintf(path, sizeof path, "/proc/%d/status", c_pid);
    read_text(path, status, sizeof status);
    st = strstr(status, "\nState:\t");
    CHECK(st && strncmp(st + 8, "Z (zombie)", 10) == 0, "its status State: Z (zombie)");
    CHECK(strstr(status, "\nVmSize:") == NULL, "a zombie's status has no Vm lines");
    snprintf(path, sizeof path, "/proc/%d/exe", c_pid);
    char link[256];
    EXPECT_ERRNO(readlink(path, link, sizeof link), ENOENT, "a zombie's exe link");
    snprintf(path, sizeof path, "/proc/%d/cmdline", c_pid);
    CHECK(read_text(path, text, sizeof text) == 0, "a zombie's cmdline is empty");
    waitpid(c_pid, NULL, 0);
    snprintf(path, sizeof path, "/proc/%d/stat", c_pid);
    EXPECT_ERRNO(open(path, O_RDONLY), ENOENT, "reaped: /proc/PID/stat");
    int st_a;
    waitpid(a_pid, &st_a, 0);
    CHECK(WIFEXITED(st_a) && WEXITSTATUS(st_a) == 0, "A (and B) finished");
    scan();
    CHECK(find(a_pid) == NULL && find(b_pid) == NULL, "A and B are gone from /proc");
    return guest_exit();
}
