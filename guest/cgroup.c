/*
 * cgroup: the cgroup v2 interface from inside — make a group, move into it, read /proc/self/cgroup,
 * limit it with pids.max, clone3(CLONE_INTO_CGROUP), clean up.
 *
 * The unified hierarchy is found in /proc/self/mounts (type cgroup2), so the same program runs where it is
 * /sys/fs/cgroup and on hybrid hosts where it is /sys/fs/cgroup/unified.  The group's name is unique
 * (it has the pid in it) and is never printed.  Where the pids controller cannot be enabled on the unified
 * hierarchy (a hybrid host binds it to v1), the program says so in one line and skips that part; the test
 * then checks that part of the emulated run against what Linux documents.
 */
#include "guest.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone_args_v2 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};

static char mnt[256], grp[512], base_cg[512];

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

static const char *in(const char *dir, const char *file)
{
    static char path[4][768];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, file);
    return path[k];
}

/* write(2) of text to a file; -1 with errno on failure */
static int put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return r < 0 ? -1 : 0;
}

static const char *get(const char *path)
{
    static char text[4][4096];
    static int k;
    k = (k + 1) % 4;
    if (read_text(path, text[k], sizeof text[k]) < 0)
        snprintf(text[k], sizeof text[k], "<%s>", errno_name(errno));
    return text[k];
}

/* The path after "0::" in /proc/<pid>/cgroup */
static const char *my_cgroup(const char *which)
{
    static char out[512];
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%s/cgroup", which);
    out[0] = 0;
    if (read_text(path, text, sizeof text) < 0)
        return out;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(p, "0::", 3) == 0)
            snprintf(out, sizeof out, "%s", p + 3);
        p = nl ? nl + 1 : NULL;
    }
    return out;
}

static int find_cgroup2(void)
{
    char text[16384];
    if (read_text("/proc/self/mounts", text, sizeof text) < 0)
        return 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char dev[256], where[256], type[64];
        if (sscanf(line, "%255s %255s %63s", dev, where, type) == 3 && strcmp(type, "cgroup2") == 0) {
            snprintf(mnt, sizeof mnt, "%s", where);
            return 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

static int lists_pid(const char *text, pid_t pid)
{
    int n = 0, found = 0;
    for (const char *p = text; *p;) {
        if (atoi(p) == pid)
            found = 1;
        n++;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return found ? n : 0;
}

static void test_basics(void)
{
    printf("-- a new group\n");
    struct stat st;
    CHECK(mkdir(grp, 0755) == 0, "mkdir a group under the root");
    CHECK(stat(grp, &st) == 0 && S_ISDIR(st.st_mode), "it is a directory");
    const char *files[] = {"cgroup.procs", "cgroup.threads", "cgroup.events", "cgroup.controllers",
                           "cgroup.subtree_control", "cgroup.type", "cgroup.stat", "cgroup.max.depth"};
    int all = 1;
    for (unsigned i = 0; i < sizeof files / sizeof *files; i++)
        if (access(in(grp, files[i]), F_OK) != 0) {
            printf("missing %s\n", files[i]);
            all = 0;
        }
    CHECK(all, "it has the core interface files");
    CHECK(strcmp(get(in(grp, "cgroup.events")), "populated 0\nfrozen 0\n") == 0, "cgroup.events: populated 0");
    CHECK(strcmp(get(in(grp, "cgroup.type")), "domain\n") == 0, "cgroup.type: domain");
    CHECK(strcmp(get(in(grp, "cgroup.procs")), "") == 0, "cgroup.procs: empty");
    CHECK(strcmp(get(in(grp, "cgroup.subtree_control")), "") == 0, "cgroup.subtree_control: empty");
    CHECK(access(in(mnt, "cgroup.events"), F_OK) != 0, "the root has no cgroup.events");
    EXPECT_ERRNO(mkdir(grp, 0755), EEXIST, "mkdir again");
    EXPECT_ERRNO(open(in(grp, "newfile"), O_WRONLY | O_CREAT, 0644), EACCES, "creating a file in a group");
    EXPECT_ERRNO(unlink(in(grp, "cgroup.procs")), EPERM, "unlinking an interface file");

    printf("-- moving in\n");
    char me[32];
    snprintf(me, sizeof me, "%d\n", getpid());
    CHECK(put(in(grp, "cgroup.procs"), me) == 0, "write my pid to its cgroup.procs");
    char want[600];
    snprintf(want, sizeof want, "%s", strrchr(grp, '/')); /* the group is right below the root */
    CHECK(strcmp(my_cgroup("self"), want) == 0, "/proc/self/cgroup names the new group");
    CHECK_EQ(lists_pid(get(in(grp, "cgroup.procs")), getpid()), 1, "its cgroup.procs lists me alone");
    CHECK_EQ(lists_pid(get(in(grp, "cgroup.threads")), (pid_t)syscall(SYS_gettid)), 1,
             "its cgroup.threads lists my thread");
    CHECK(strcmp(get(in(grp, "cgroup.events")), "populated 1\nfrozen 0\n") == 0, "cgroup.events: populated 1");
    CHECK(lists_pid(get(in(mnt, "cgroup.procs")), getpid()) == 0, "the root's cgroup.procs no longer lists me");
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c = strcmp(my_cgroup("self"), want) == 0 ? 'y' : 'n';
        write(p[1], &c, 1);
        _exit(0);
    }
    char c = 0;
    read(p[0], &c, 1);
    waitpid(child, NULL, 0);
    CHECK(c == 'y', "a forked child starts in my group");
    CHECK_EQ(lists_pid(get(in(grp, "cgroup.procs")), getpid()), 1, "the reaped child left cgroup.procs");
    close(p[0]);
    close(p[1]);

    printf("-- errors\n");
    EXPECT_ERRNO(put(in(grp, "cgroup.procs"), "abc"), EINVAL, "writing garbage to cgroup.procs");
    EXPECT_ERRNO(put(in(grp, "cgroup.procs"), "-1"), EINVAL, "writing -1 to cgroup.procs");
    EXPECT_ERRNO(put(in(grp, "cgroup.procs"), "999999999"), ESRCH, "writing an unknown pid");
    EXPECT_ERRNO(put(in(mnt, "cgroup.subtree_control"), "+nosuchctl"), EINVAL, "enabling an unknown controller");
    EXPECT_ERRNO(put(in(mnt, "cgroup.subtree_control"), "pids"), EINVAL, "a controller without + or -");
    EXPECT_ERRNO(rmdir(grp), EBUSY, "rmdir of the group I am in");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", grp);
    CHECK(mkdir(sub, 0755) == 0, "mkdir a nested group");
    CHECK(strstr(get(in(grp, "cgroup.stat")), "nr_descendants 1\n") != NULL, "cgroup.stat: nr_descendants 1");
    CHECK(put(in(sub, "cgroup.procs"), "0") == 0, "writing 0 moves the writer");
    snprintf(want + strlen(want), sizeof want - strlen(want), "/sub");
    CHECK(strcmp(my_cgroup("self"), want) == 0, "/proc/self/cgroup names the nested group");
    CHECK(strcmp(get(in(grp, "cgroup.events")), "populated 1\nfrozen 0\n") == 0,
          "the parent is populated through its child");
    CHECK(strcmp(get(in(grp, "cgroup.procs")), "") == 0, "the parent's cgroup.procs is empty");
    CHECK(put(in(grp, "cgroup.procs"), "0") == 0, "back to the parent");
    CHECK(strcmp(get(in(sub, "cgroup.events")), "populated 0\nfrozen 0\n") == 0, "the nested group is empty");
    EXPECT_ERRNO(rmdir(grp), EBUSY, "rmdir of a group with a child");
    CHECK(rmdir(sub) == 0, "rmdir of the empty nested group");
}

static int clone_into(int dirfd)
{
    struct clone_args_v2 args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)dirfd;
    return (int)syscall(SYS_clone3, &args, sizeof args);
}

static void test_clone_into_cgroup(void)
{
    printf("-- clone3 CLONE_INTO_CGROUP\n");
    /* I go back to where I started; the child is born in the group */
    char me[32];
    snprintf(me, sizeof me, "%d", getpid());
    char basedir[800];
    snprintf(basedir, sizeof basedir, "%s%s", mnt, strcmp(base_cg, "/") ? base_cg : "");
    CHECK(put(in(basedir, "cgroup.procs"), me) == 0, "move back to my first cgroup");
    int dfd = open(grp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int p[2];
    pipe(p);
    int pid = clone_into(dfd);
    if (pid == 0) {
        char c = strcmp(my_cgroup("self"), strrchr(grp, '/')) == 0 ? 'y' : 'n';
        write(p[1], &c, 1);
        _exit(0);
    }
    CHECK(pid > 0, "clone3 with CLONE_INTO_CGROUP");
    char c = 0;
    if (pid > 0) {
        read(p[0], &c, 1);
        waitpid(pid, NULL, 0);
    }
    CHECK(c == 'y', "the child starts in the group, not in mine");
    CHECK(strcmp(my_cgroup("self"), base_cg) == 0, "I stay where I was");
    int regular = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    EXPECT_ERRNO(clone_into(regular), EBADF, "CLONE_INTO_CGROUP with a non-cgroup fd");
    close(regular);
    int pathfd = open(grp, O_PATH | O_DIRECTORY | O_CLOEXEC);
    pid = clone_into(pathfd);
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0, "an O_PATH fd of the group works too");
    if (pid > 0)
        waitpid(pid, NULL, 0);
    close(pathfd);
    close(dfd);
    close(p[0]);
    close(p[1]);
    CHECK(put(in(grp, "cgroup.procs"), me) == 0, "into the group again");
}

static void test_pids(void)
{
    printf("-- pids controller\n");
    const char *ctl = get(in(mnt, "cgroup.controllers"));
    int enabled_here = 0;
    if (strstr(get(in(mnt, "cgroup.subtree_control")), "pids") == NULL) {
        if (put(in(mnt, "cgroup.subtree_control"), "+pids") != 0) {
            printf("pids controller: not available on this host's unified hierarchy (%s)\n",
                   strstr(ctl, "pids") ? "cannot enable" : errno_name(errno));
            return;
        }
        enabled_here = 1;
    }
    printf("pids controller: enabled\n");
    CHECK(strstr(get(in(grp, "cgroup.controllers")), "pids") != NULL, "the group's cgroup.controllers has pids");
    CHECK(strcmp(get(in(grp, "pids.max")), "max\n") == 0, "pids.max: max");
    CHECK(strcmp(get(in(grp, "pids.current")), "1\n") == 0, "pids.current: 1 (me)");
    CHECK(access(in(mnt, "pids.max"), F_OK) != 0, "the root has no pids.max");
    EXPECT_ERRNO(put(in(grp, "pids.max"), "lots"), EINVAL, "pids.max garbage");
    EXPECT_ERRNO(put(in(grp, "pids.max"), "-1"), EINVAL, "pids.max -1");
    CHECK(put(in(grp, "pids.max"), "2") == 0, "set pids.max to 2");
    CHECK(strcmp(get(in(grp, "pids.max")), "2\n") == 0, "pids.max reads 2");
    int go[2];
    pipe(go);
    pid_t a = fork();
    if (a == 0) {
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    CHECK(a > 0, "the first fork succeeds (2 of 2)");
    CHECK(strcmp(get(in(grp, "pids.current")), "2\n") == 0, "pids.current: 2");
    errno = 0;
    pid_t b = fork();
    if (b == 0)
        _exit(0);
    int fork_errno = errno;
    CHECK(b < 0 && fork_errno == EAGAIN, "the next fork fails with EAGAIN");
    CHECK(strcmp(get(in(grp, "pids.events")), "max 1\n") == 0, "pids.events: max 1");
    write(go[1], "x", 1);
    waitpid(a, NULL, 0);
    CHECK(strcmp(get(in(grp, "pids.current")), "1\n") == 0, "pids.current: 1 once the child is reaped");
    b = fork();
    if (b == 0)
        _exit(0);
    CHECK(b > 0, "fork works again");
    waitpid(b, NULL, 0);
    CHECK(put(in(grp, "pids.max"), "max") == 0, "pids.max back to max");
    close(go[0]);
    close(go[1]);
    if (enabled_here) {
        /* leave the root as it was: disable again once nothing below uses it */
        CHECK(put(in(mnt, "cgroup.subtree_control"), "-pids") == 0, "disable pids again");
    }
}

int main(void)
{
    guest_line_buffered();
    if (!find_cgroup2()) {
        printf("no cgroup2 hierarchy mounted\n");
        return guest_exit();
    }
    printf("cgroup2 mounted: yes\n");
    snprintf(base_cg, sizeof base_cg, "%s", my_cgroup("self"));
    CHECK(base_cg[0] == '/', "/proc/self/cgroup has a 0:: line");
    snprintf(grp, sizeof grp, "%s/emk_cgroup_test.%d", mnt, getpid());
    test_basics();
    test_clone_into_cgroup();
    test_pids();
    printf("-- clean up\n");
    char me[32], basedir[800];
    snprintf(me, sizeof me, "%d", getpid());
    snprintf(basedir, sizeof basedir, "%s%s", mnt, strcmp(base_cg, "/") ? base_cg : "");
    CHECK(put(in(basedir, "cgroup.procs"), me) == 0, "move back to my first cgroup");
    CHECK(strcmp(my_cgroup("self"), base_cg) == 0, "/proc/self/cgroup is what it was");
    CHECK(strcmp(get(in(grp, "cgroup.events")), "populated 0\nfrozen 0\n") == 0, "the group is empty");
    CHECK(rmdir(grp) == 0, "rmdir the empty group");
    EXPECT_ERRNO(access(grp, F_OK), ENOENT, "access of the removed group");
    return guest_exit();
}
