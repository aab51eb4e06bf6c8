/*
 * devfd: the /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr symlinks, /dev/tty
 * without a controlling terminal, and what opening a /proc/self/fd/N magic link
 * gives for each kind of file: a new open file description of the same object
 * (a pipe end in either direction, a regular file with its own offset), ENXIO
 * for sockets and anonymous-inode files, EACCES before that for an unprivileged
 * opener, and readlink of an fd open on a /proc directory.
 *
 * Run natively and under emukernel; the transcripts must be identical.  Run it
 * with "input\n" on stdin: it is read back through /dev/stdin.  With the argument
 * "cwd" it only prints the directory it was started in.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef O_LARGEFILE_KERNEL
#define O_LARGEFILE_KERNEL 0100000 /* what the kernel adds on x86-64 (force_o_largefile) */
#endif

static char fdpath[64];

static const char *fdp(int fd)
{
    snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fd);
    return fdpath;
}

static const char *procfdp(int fd)
{
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    return fdpath;
}

static int reopen(int fd, int flags)
{
    return open(fdp(fd), flags);
}

static void check_link(const char *name, const char *want)
{
    char buf[256];
    struct stat st;
    ssize_t n = readlink(name, buf, sizeof buf - 1);
    if (n >= 0)
        buf[n] = 0;
    CHECK(n >= 0 && strcmp(buf, want) == 0, "readlink %s == %s", name, want);
    CHECK(lstat(name, &st) == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0777,
          "lstat %s: a symlink, mode 0777", name);
}

/* the text of readlink(link) equals that of readlink(other) */
static int same_link(const char *link, const char *other)
{
    char a[256], b[256];
    ssize_t n = readlink(link, a, sizeof a - 1), m = readlink(other, b, sizeof b - 1);
    if (n < 0 || m < 0)
        return 0;
    a[n] = b[m] = 0;
    return strcmp(a, b) == 0;
}

static int getfl(int fd)
{
    return fcntl(fd, F_GETFL);
}

static int read_is(int fd, const char *want)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    return n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0;
}

static int write_str(int fd, const char *s)
{
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

static void dev_links(void)
{
    check_link("/dev/fd", "/proc/self/fd");
    check_link("/dev/stdin", "/proc/self/fd/0");
    check_link("/dev/stdout", "/proc/self/fd/1");
    check_link("/dev/stderr", "/proc/self/fd/2");

    struct stat st;
    CHECK(lstat("/dev/tty", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
          minor(st.st_rdev) == 0, "/dev/tty is character device 5,0");
    EXPECT_ERRNO(open("/dev/tty", O_RDWR), ENXIO, "open /dev/tty without a controlling terminal");
    EXPECT_ERRNO(open("/dev/tty", O_WRONLY | O_CREAT | O_TRUNC, 0666), ENXIO, ": > /dev/tty");
    CHECK(lstat("/dev/tty", &st) == 0 && S_ISCHR(st.st_mode), "/dev/tty is still a device");
    EXPECT_ERRNO(open("/dev/fd/999", O_RDONLY), ENOENT, "open /dev/fd/999 (not open)");
    EXPECT_ERRNO(open("/dev/fd/0", O_RDONLY | O_NOFOLLOW), ELOOP, "open /dev/fd/0 O_NOFOLLOW");
}

static void stdio(void)
{
    /* the standard streams are pipes natively and host files under emukernel: only what both give */
    int fd = open("/dev/stdin", O_RDONLY);
    CHECK(fd >= 0 && read_is(fd, "input\n"), "read \"input\\n\" through /dev/stdin");
    CHECK(fd >= 0 && (getfl(fd) & ~O_LARGEFILE_KERNEL) == O_RDONLY, "/dev/stdin: F_GETFL O_RDONLY");
    close(fd);

    fflush(stdout);
    fd = open("/dev/stdout", O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open /dev/stdout O_WRONLY|O_APPEND");
    CHECK((getfl(fd) & ~O_LARGEFILE_KERNEL) == (O_WRONLY | O_APPEND), "/dev/stdout: F_GETFL O_WRONLY|O_APPEND");
    CHECK(write_str(fd, "ok this line went through /dev/stdout\n"), "write through /dev/stdout");
    close(fd);
    lseek(1, 0, SEEK_END); /* a new open file description: when stdout is a file, fd 1's offset did not move */

    fd = open("/dev/stderr", O_WRONLY | O_CREAT | O_APPEND, 0666);
    CHECK(fd >= 0, "echo > /dev/stderr opens the stream");
    close(fd);
    struct stat st;
    CHECK(lstat("/dev/stderr", &st) == 0 && S_ISLNK(st.st_mode), "/dev/stderr is still a symlink");
}

static void pipes(void)
{
    int p[2];
    struct stat a, b;
    CHECK(pipe(p) == 0, "pipe");
    int r2 = reopen(p[0], O_RDONLY), w2 = reopen(p[1], O_WRONLY);
    CHECK(r2 >= 0 && w2 >= 0, "reopen both ends through /dev/fd");
    CHECK(getfl(p[0]) == O_RDONLY && getfl(r2) == (O_RDONLY | O_LARGEFILE_KERNEL),
          "F_GETFL: pipe() end O_RDONLY, reopened end O_RDONLY|O_LARGEFILE");
    CHECK(getfl(w2) == (O_WRONLY | O_LARGEFILE_KERNEL), "reopened write end: O_WRONLY|O_LARGEFILE");
    CHECK(fstat(p[0], &a) == 0 && fstat(r2, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
          S_ISFIFO(b.st_mode), "reopened end: the same pipe inode");
    CHECK(stat(procfdp(p[0]), &b) == 0 && a.st_ino == b.st_ino && S_ISFIFO(b.st_mode),
          "stat /proc/self/fd/N of a pipe: the pipe inode");
    char l1[64];
    snprintf(l1, sizeof l1, "/proc/self/fd/%d", r2);
    CHECK(same_link(l1, procfdp(p[0])), "readlink of the reopened end names the same pipe");
    CHECK(write_str(w2, "abc") && read_is(p[0], "abc"), "reopened write end -> original read end");
    CHECK(write_str(p[1], "xyz") && read_is(r2, "xyz"), "original write end -> reopened read end");
    EXPECT_ERRNO(lseek(r2, 0, SEEK_SET), ESPIPE, "lseek on a reopened pipe end");

    int rw = reopen(p[0], O_RDWR);
    CHECK(rw >= 0 && getfl(rw) == (O_RDWR | O_LARGEFILE_KERNEL), "O_RDWR reopen of the read end");
    CHECK(write_str(rw, "q") && read_is(rw, "q"), "O_RDWR reopen reads what it wrote");
    int wr = reopen(p[0], O_WRONLY);
    CHECK(wr >= 0 && write_str(wr, "back") && read_is(p[0], "back"), "read end reopened for writing");

    int nb = reopen(p[0], O_RDONLY | O_NONBLOCK);
    CHECK(nb >= 0 && getfl(nb) == (O_RDONLY | O_NONBLOCK | O_LARGEFILE_KERNEL), "O_NONBLOCK reopen");
    EXPECT_ERRNO(read(nb, l1, 1), EAGAIN, "empty pipe, non-blocking reopened end");
    CHECK((getfl(p[0]) & O_NONBLOCK) == 0, "the original end stays blocking");
    EXPECT_ERRNO(reopen(p[0], O_RDONLY | O_DIRECT), EINVAL, "O_DIRECT reopen of a pipe");
    EXPECT_ERRNO(reopen(p[0], O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY reopen of a pipe");

    close(p[1]);
    close(w2);
    close(wr);
    EXPECT_ERRNO(read(nb, l1, 1), EAGAIN, "a writer is left (the O_RDWR end): still no EOF");
    close(rw);
    CHECK(read(nb, l1, 1) == 0, "last writer closed: EOF");
    close(nb);
    close(r2);

    /* the read end closed: reopen the write end as a reader */
    int q[2];
    CHECK(pipe(q) == 0, "second pipe");
    close(q[0]);
    int qw = reopen(q[1], O_WRONLY | O_NONBLOCK);
    CHECK(qw >= 0, "no reader: a non-blocking writer still opens (an anonymous pipe is not a FIFO)");
    EXPECT_ERRNO(write(qw, "x", 1), EPIPE, "and its write gets EPIPE");
    close(qw);
    int qr = reopen(q[1], O_RDONLY);
    CHECK(qr >= 0 && write_str(q[1], "again") && read_is(qr, "again"), "write end reopened as the reader");
    close(q[1]);
    CHECK(read(qr, l1, 1) == 0, "then EOF");
    close(qr);
    close(p[0]);

    /* bash's process substitution: the pipe at fd 63 opened as /dev/fd/63 */
    CHECK(pipe(p) == 0 && dup2(p[0], 63) == 63, "pipe read end at fd 63");
    close(p[0]);
    int s = open("/dev/fd/63", O_RDONLY);
    CHECK(s >= 0 && write_str(p[1], "subst") && read_is(s, "subst"), "<(cmd): read /dev/fd/63");
    close(s);
    close(63);
    close(p[1]);

    /* an O_PATH descriptor of the magic link */
    CHECK(pipe(p) == 0, "third pipe");
    int op = open(procfdp(p[0]), O_PATH);
    CHECK(op >= 0 && fstat(op, &b) == 0 && fstat(p[0], &a) == 0 && S_ISFIFO(b.st_mode) && a.st_ino == b.st_ino,
          "O_PATH open of /proc/self/fd/N of a pipe: fstat is the pipe");
    snprintf(l1, sizeof l1, "/proc/self/fd/%d", op);
    CHECK(same_link(l1, procfdp(p[0])), "readlink of that O_PATH fd names the pipe");
    int viaop = open(l1, O_WRONLY);
    CHECK(viaop >= 0 && write_str(viaop, "op") && read_is(p[0], "op"), "reopen through the O_PATH fd");
    close(viaop);
    CHECK(write_str(p[1], "left") && close(p[0]) == 0 && close(p[1]) == 0, "every end closed, data left in it");
    viaop = open(l1, O_RDWR | O_NONBLOCK);
    CHECK(viaop >= 0 && fstat(viaop, &b) == 0 && b.st_ino == a.st_ino, "the O_PATH fd still opens the inode");
    EXPECT_ERRNO(read(viaop, l1, sizeof l1), EAGAIN, "as a new, empty pipe");
    CHECK(write_str(viaop, "new") && read_is(viaop, "new"), "which works");
    close(viaop);
    close(op);
}

static void regular(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/file", dir);
    int a = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(a >= 0 && write_str(a, "hello world"), "create %s", "file");
    CHECK(lseek(a, 6, SEEK_SET) == 6, "lseek to 6");
    int b = reopen(a, O_RDONLY);
    char buf[64];
    CHECK(b >= 0 && read(b, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "reopen reads from offset 0");
    CHECK(lseek(a, 0, SEEK_CUR) == 6 && lseek(b, 0, SEEK_CUR) == 5, "offsets are independent");
    CHECK(getfl(b) == (O_RDONLY | O_LARGEFILE_KERNEL), "reopened file: F_GETFL O_RDONLY|O_LARGEFILE");
    char l1[64];
    snprintf(l1, sizeof l1, "/proc/self/fd/%d", b);
    char got[256];
    ssize_t n = readlink(l1, got, sizeof got - 1);
    if (n >= 0)
        got[n] = 0;
    CHECK(n >= 0 && strcmp(got, path) == 0, "readlink of the reopened fd is the file's path");
    EXPECT_ERRNO(write(b, "x", 1), EBADF, "write to the O_RDONLY reopen");

    int c = reopen(a, O_WRONLY | O_APPEND);
    CHECK(c >= 0 && getfl(c) == (O_WRONLY | O_APPEND | O_LARGEFILE_KERNEL), "O_APPEND reopen");
    CHECK(write_str(c, "!") && pread(a, buf, 64, 0) == 12 && memcmp(buf, "hello world!", 12) == 0,
          "O_APPEND reopen appends");
    EXPECT_ERRNO(reopen(a, O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY reopen of a file");
    EXPECT_ERRNO(reopen(a, O_RDWR | O_CREAT | O_EXCL), EEXIST, "O_CREAT|O_EXCL reopen");
    int d = reopen(a, O_WRONLY | O_TRUNC);
    struct stat st;
    CHECK(d >= 0 && fstat(a, &st) == 0 && st.st_size == 0, "O_TRUNC reopen truncates");
    close(d);
    close(c);
    close(b);

    /* the file is unlinked: the link says so, and opening it still reaches the file */
    CHECK(write_str(a, "kept") && unlink(path) == 0, "write and unlink");
    b = reopen(a, O_RDONLY);
    CHECK(b >= 0 && pread(b, buf, 64, 6) == 4 && memcmp(buf, "kept", 4) == 0, "reopen of an unlinked file");
    close(b);
    close(a);
}

static void anon_and_sockets(void)
{
    int e = eventfd(0, 0);
    EXPECT_ERRNO(reopen(e, O_RDWR), ENXIO, "reopen of an eventfd (anon inode)");
    EXPECT_ERRNO(reopen(e, O_RDONLY), ENXIO, "reopen of an eventfd O_RDONLY");
    struct stat st;
    CHECK(stat(procfdp(e), &st) == 0 && (st.st_mode & S_IFMT) == 0 && (st.st_mode & 0777) == 0600,
          "stat /proc/self/fd/N of an eventfd: the anon inode, mode 0600");

    int sv[2];
    int r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ok = 0;
    if (r == 0) {
        errno = 0;
        ok = reopen(sv[0], O_RDWR) == -1 && errno == ENXIO;
        close(sv[0]);
        close(sv[1]);
    } else {
        ok = errno == EAFNOSUPPORT;
    }
    CHECK(ok, "socket: reopen gives ENXIO (or no unix sockets at all)");

    int pfd = syscall(SYS_pidfd_open, getpid(), 0);
    int p2 = pfd >= 0 ? reopen(pfd, O_RDONLY) : -1;
    CHECK(p2 >= 0 && syscall(SYS_pidfd_send_signal, p2, 0, NULL, 0) == 0,
          "reopened pidfd is a pidfd (pidfs)");
    CHECK(getfl(p2) == (O_RDONLY | O_LARGEFILE_KERNEL), "reopened pidfd: F_GETFL O_RDONLY|O_LARGEFILE");
    close(p2);

    /* an unprivileged opener: the anon inode is root's 0600, a pipe is the opener's */
    pid_t c = fork();
    if (c == 0) {
        int p[2];
        if (setgid(65534) || setuid(65534))
            _exit(10);
        if (reopen(e, O_RDONLY) != -1 || errno != EACCES)
            _exit(11);
        if (reopen(pfd, O_RDONLY) != -1 || errno != EACCES)
            _exit(12);
        if (pipe(p) || reopen(p[0], O_RDWR) < 0)
            _exit(13);
        _exit(0);
    }
    int status = 0;
    waitpid(c, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "uid 65534: EACCES for an eventfd and a pidfd, a pipe of its own reopens (exit %d)",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(pfd);
    close(e);
}

static void proc_dirs(void)
{
    char want[64], got[256], l[64];
    struct stat st;
    int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    snprintf(want, sizeof want, "/proc/%d/fd", getpid());
    snprintf(l, sizeof l, "/proc/self/fd/%d", d);
    ssize_t n = readlink(l, got, sizeof got - 1);
    if (n >= 0)
        got[n] = 0;
    CHECK(d >= 0 && n >= 0 && strcmp(got, want) == 0, "readlink of an fd on /proc/self/fd is /proc/PID/fd");
    char rel[16];
    snprintf(rel, sizeof rel, "%d", d);
    n = readlinkat(d, rel, got, sizeof got - 1);
    if (n >= 0)
        got[n] = 0;
    CHECK(n >= 0 && strcmp(got, want) == 0, "readlinkat(that fd, its own number) too");
    CHECK(lstat(l, &st) == 0 && st.st_size == 64, "lstat of an fd link: size 64");
    int d2 = open(l, O_RDONLY | O_DIRECTORY);
    CHECK(d2 >= 0 && fstat(d2, &st) == 0 && S_ISDIR(st.st_mode), "and it reopens as a directory");
    close(d2);
    close(d);
    d = open("/proc", O_RDONLY | O_DIRECTORY);
    snprintf(l, sizeof l, "/proc/self/fd/%d", d);
    n = readlink(l, got, sizeof got - 1);
    if (n >= 0)
        got[n] = 0;
    CHECK(n >= 0 && strcmp(got, "/proc") == 0, "readlink of an fd on /proc is /proc");
    close(d);
    d = open("/proc/self/ns/pid", O_RDONLY);
    snprintf(l, sizeof l, "/proc/self/fd/%d", d);
    CHECK(d >= 0 && same_link(l, "/proc/self/ns/pid"), "readlink of an fd on /proc/self/ns/pid is pid:[N]");
    close(d);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "cwd") == 0) { /* where the program was started */
        char buf[4096];
        printf("cwd %s\n", getcwd(buf, sizeof buf) ? buf : errno_name(errno));
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    setsid(); /* no controlling terminal (natively the harness already made a new session) */
    char dir[] = "/tmp/devfd.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "scratch directory");
    dev_links();
    stdio();
    pipes();
    regular(dir);
    anon_and_sockets();
    proc_dirs();
    rmdir(dir);
    return guest_exit();
}
