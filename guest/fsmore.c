/*
 * fsmore: named FIFOs and mknod, the utimes family, statfs, openat2, fallocate,
 * sendfile / copy_file_range / splice / tee, flock and fcntl record locks,
 * getdents, readahead/fadvise, chroot, memfd_create with seals, MAP_SHARED
 * file mappings and msync.
 *
 * Run natively and under emukernel; the transcripts must be identical.  Files
 * live in a scratch directory under /tmp, tmpfs-specific checks (fallocate,
 * seals of regular files) under /dev/shm (a tmpfs natively, our devtmpfs under
 * emukernel).  Checks that need root print the same line for a non-root run.
 * With the argument "nodev" no device nodes are made (emukernel never makes
 * them in a host directory), so the run also fits a host root (--root).
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_memfd_create
#define SYS_memfd_create 319
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

struct how {
    uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20

static char dir[128];  /* scratch directory under /tmp */
static char shm[128];  /* scratch directory under /dev/shm */
static int is_root;
static int no_devices; /* argv[1] == "nodev": the scratch directory may be a host directory */

static char *in(const char *base, const char *name)
{
    static char bufs[8][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, PATH_MAX, "%s/%s", base, name);
    return b;
}
#define P(name) in(dir, name)
#define S(name) in(shm, name)

static int make_file(const char *path, const char *data, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, mode);
    if (fd >= 0 && data)
        write(fd, data, strlen(data));
    return fd;
}

static long openat2_(int dfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
    struct how h = {flags, mode, resolve};
    return syscall(SYS_openat2, dfd, path, &h, sizeof h);
}

static void reap(pid_t pid, const char *what)
{
    int st;
    waitpid(pid, &st, 0);
    printf("%s: %s\n", what, status_str(st));
}

/* ------------------------------------------------------------------ FIFOs and mknod */
static void on_alarm(int sig) { (void)sig; }

static void test_fifos(void)
{
    struct stat st;
    CHECK(mkfifo(P("fifo"), 0666) == 0, "mkfifo");
    CHECK(stat(P("fifo"), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_size == 0,
          "the FIFO is a FIFO, mode 0644 after the umask");
    EXPECT_ERRNO(mkfifo(P("fifo"), 0666), EEXIST, "mkfifo over an existing name");
    EXPECT_ERRNO(open(P("fifo"), O_WRONLY | O_NONBLOCK), ENXIO, "O_WRONLY|O_NONBLOCK open without a reader");
    EXPECT_ERRNO(open(P("fifo"), O_RDONLY | O_DIRECT | O_NONBLOCK), EINVAL, "O_DIRECT open of a FIFO");

    int r = open(P("fifo"), O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0, "O_RDONLY|O_NONBLOCK open without a writer succeeds");
    char buf[64];
    CHECK_EQ(read(r, buf, sizeof buf), 0, "a read with no writer ever is end of file");
    struct pollfd pfd = {r, POLLIN, 0};
    poll(&pfd, 1, 0);
    printf("poll before any writer: revents=%#x\n", pfd.revents);
    int w = open(P("fifo"), O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0, "O_WRONLY|O_NONBLOCK open with a reader succeeds");
    CHECK_EQ(write(w, "hello", 5), 5, "write into the FIFO");
    CHECK(fstat(w, &st) == 0 && S_ISFIFO(st.st_mode), "fstat of an open FIFO says FIFO");
    EXPECT_ERRNO(lseek(w, 0, SEEK_SET), ESPIPE, "lseek on a FIFO");
    memset(buf, 0, sizeof buf);
    CHECK(read(r, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "the reader gets the bytes");
    EXPECT_ERRNO(read(r, buf, sizeof buf), EAGAIN, "an empty FIFO with a writer: EAGAIN");
    close(w);
    pfd.revents = 0;
    poll(&pfd, 1, 0);
    printf("poll after the writer left: revents=%#x\n", pfd.revents);
    CHECK_EQ(read(r, buf, sizeof buf), 0, "end of file once the writer is gone");
    close(r);

    /* data left in a FIFO is dropped when the last opener closes */
    int rw = open(P("fifo"), O_RDWR);
    CHECK(rw >= 0, "O_RDWR open never blocks");
    write(rw, "stale", 5);
    close(rw);
    rw = open(P("fifo"), O_RDWR | O_NONBLOCK);
    EXPECT_ERRNO(read(rw, buf, sizeof buf), EAGAIN, "the data went away with the last opener");
    close(rw);

    /* blocking opens meet */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(P("fifo"), O_WRONLY);
        if (fd < 0)
            _exit(2);
        write(fd, "from child", 10);
        _exit(0);
    }
    r = open(P("fifo"), O_RDONLY);
    CHECK(r >= 0, "a blocking read open meets a blocking write open");
    memset(buf, 0, sizeof buf);
    int n = 0, got;
    while ((got = read(r, buf + n, sizeof buf - 1 - n)) > 0)
        n += got;
    printf("read through the FIFO: \"%s\"\n", buf);
    close(r);
    reap(pid, "the writer");

    pid = fork();
    if (pid == 0) {
        int fd = open(P("fifo"), O_RDONLY);
        if (fd < 0)
            _exit(2);
        char b[16] = {0};
        int k = read(fd, b, sizeof b - 1);
        _exit(k == 6 && memcmp(b, "to kid", 6) == 0 ? 0 : 3);
    }
    w = open(P("fifo"), O_WRONLY);
    CHECK(w >= 0, "a blocking write open meets a blocking read open");
    write(w, "to kid", 6);
    close(w);
    reap(pid, "the reader");

    /* a signal ends a blocking open: EINTR without SA_RESTART */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    EXPECT_ERRNO(open(P("fifo"), O_RDONLY), EINTR, "a blocking FIFO open interrupted by a signal");
    signal(SIGALRM, SIG_DFL);

    /* a reader killed while its open waits is no reader */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        open(P("fifo"), O_RDONLY);
        _exit(9);
    }
    usleep(100000);
    kill(pid, SIGKILL);
    reap(pid, "the blocked opener");
    EXPECT_ERRNO(open(P("fifo"), O_WRONLY | O_NONBLOCK), ENXIO, "no reader after the opener was killed");
    unlink(P("fifo"));
}

static void test_mknod(void)
{
    struct stat st;
    CHECK(mknod(P("reg"), S_IFREG | 0600, 0) == 0 && stat(P("reg"), &st) == 0 && S_ISREG(st.st_mode) &&
              (st.st_mode & 0777) == 0600,
          "mknod S_IFREG makes a regular file");
    CHECK(mknod(P("plain"), 0640, 0) == 0 && stat(P("plain"), &st) == 0 && S_ISREG(st.st_mode),
          "mknod with no type makes a regular file");
    CHECK(mknod(P("fifo2"), S_IFIFO | 0600, 0) == 0 && stat(P("fifo2"), &st) == 0 && S_ISFIFO(st.st_mode),
          "mknod S_IFIFO makes a FIFO");
    EXPECT_ERRNO(mknod(P("d"), S_IFDIR | 0755, 0), EPERM, "mknod S_IFDIR");
    EXPECT_ERRNO(mknod(P("bad"), 0170000 | 0600, 0), EINVAL, "mknod with an invalid type");
    EXPECT_ERRNO(mknod(P("reg"), S_IFIFO | 0600, 0), EEXIST, "mknod over an existing name");
    EXPECT_ERRNO(mknod(P("nodir/x"), S_IFIFO | 0600, 0), ENOENT, "mknod in a missing directory");
    EXPECT_ERRNO(mknod((char *)1, S_IFDIR, 0), EPERM, "the type is checked before the name");
    if (is_root && !no_devices) {
        CHECK(mknod(P("null"), S_IFCHR | 0666, makedev(1, 3)) == 0, "root: mknod of a character device");
        CHECK(stat(P("null"), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
              "the device node has its number");
        int fd = open(P("null"), O_WRONLY);
        CHECK(fd >= 0 && write(fd, "x", 1) == 1, "the node opens as /dev/null");
        close(fd);
        CHECK(mknod(P("nodev"), S_IFCHR | 0666, makedev(240, 7)) == 0, "root: mknod of an unknown device");
        EXPECT_ERRNO(open(P("nodev"), O_RDONLY), ENXIO, "opening a device nobody drives");
        CHECK(mknod(P("blk"), S_IFBLK | 0600, makedev(240, 8)) == 0, "root: mknod of a block device");
        EXPECT_ERRNO(open(P("blk"), O_RDONLY), ENXIO, "opening a block device nobody drives");
        CHECK(mknod(P("sock"), S_IFSOCK | 0600, 0) == 0 && stat(P("sock"), &st) == 0 && S_ISSOCK(st.st_mode),
              "mknod S_IFSOCK makes a socket node");
        EXPECT_ERRNO(open(P("sock"), O_RDONLY), ENXIO, "opening a socket node");
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setgid(65534);
            setuid(65534);
            EXPECT_ERRNO(mknod("/tmp/emk_fsmore_never", S_IFCHR | 0600, makedev(1, 3)), EPERM,
                         "without CAP_MKNOD: mknod of a device");
            _exit(guest_failures);
        }
        reap(pid, "the unprivileged child");
        unlink(P("null"));
        unlink(P("nodev"));
        unlink(P("blk"));
        unlink(P("sock"));
    }
    unlink(P("reg"));
    unlink(P("plain"));
    unlink(P("fifo2"));
}

/* ------------------------------------------------------------------ utimes */
static void show_times(const char *what, const char *path, int follow)
{
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        printf("%s: stat failed: %s\n", what, errno_name(errno));
        return;
    }
    printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", what, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void test_utimes(void)
{
    int fd = make_file(P("t"), "abc", 0644);
    struct timespec ts[2] = {{1000, 500}, {2000, 600}};
    CHECK(utimensat(AT_FDCWD, P("t"), ts, 0) == 0, "utimensat with two times");
    show_times("after utimensat", P("t"), 1);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 7}};
    CHECK(utimensat(AT_FDCWD, P("t"), omit, 0) == 0, "utimensat with UTIME_OMIT for atime");
    show_times("after UTIME_OMIT", P("t"), 1);
    struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    CHECK(utimensat(AT_FDCWD, P("missing"), both_omit, 0) == 0, "both UTIME_OMIT: the name is not even looked at");
    struct timespec bad[2] = {{1, 1000000000}, {1, 0}};
    EXPECT_ERRNO(utimensat(AT_FDCWD, P("t"), bad, 0), EINVAL, "tv_nsec of one second");
    struct timespec neg[2] = {{1, -1}, {1, 0}};
    EXPECT_ERRNO(utimensat(AT_FDCWD, P("t"), neg, 0), EINVAL, "negative tv_nsec");
    EXPECT_ERRNO(utimensat(AT_FDCWD, P("t"), ts, 0x4), EINVAL, "unknown flags");
    EXPECT_ERRNO(utimensat(AT_FDCWD, P("missing"), ts, 0), ENOENT, "a missing file");
    struct timespec f[2] = {{4000, 1}, {5000, 2}};
    CHECK(futimens(fd, f) == 0, "futimens");
    show_times("after futimens", P("t"), 1);
    EXPECT_ERRNO(syscall(SYS_utimensat, fd, NULL, f, AT_SYMLINK_NOFOLLOW), EINVAL, "flags with a NULL name");
    EXPECT_ERRNO(syscall(SYS_utimensat, 999, NULL, f, 0), EBADF, "a NULL name and a closed fd");
    struct timespec e[2] = {{6000, 3}, {7000, 4}};
    CHECK(utimensat(fd, "", e, AT_EMPTY_PATH) == 0, "AT_EMPTY_PATH on the fd");
    show_times("after AT_EMPTY_PATH", P("t"), 1);
    struct timeval tv[2] = {{100, 5}, {200, 999999}};
    CHECK(utimes(P("t"), tv) == 0, "utimes in microseconds");
    show_times("after utimes", P("t"), 1);
    struct timeval tvbad[2] = {{100, 1000000}, {200, 0}};
    EXPECT_ERRNO(utimes(P("t"), tvbad), EINVAL, "utimes with tv_usec of one second");
    struct timeval tvnow[2] = {{100, UTIME_NOW}, {200, 0}};
    EXPECT_ERRNO(syscall(SYS_utimes, P("t"), tvnow), EINVAL, "utimes does not know UTIME_NOW");
    struct utimbuf ub = {300, 400};
    CHECK(utime(P("t"), &ub) == 0, "utime");
    show_times("after utime", P("t"), 1);
    CHECK(utime(P("t"), NULL) == 0, "utime(NULL) sets both to now");
    struct stat st;
    stat(P("t"), &st);
    CHECK(st.st_mtim.tv_sec > 1000000000 && st.st_atim.tv_sec == st.st_mtim.tv_sec, "the times are now");
    struct timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, P("t"), ts, 0);
    CHECK(utimensat(AT_FDCWD, P("t"), now_omit, 0) == 0 && stat(P("t"), &st) == 0 &&
              st.st_atim.tv_sec > 1000000000 && st.st_mtim.tv_sec == 2000,
          "UTIME_NOW for one, UTIME_OMIT for the other");

    /* a symlink's own times */
    symlink("t", P("tl"));
    struct timespec lt[2] = {{11, 0}, {22, 0}};
    CHECK(utimensat(AT_FDCWD, P("tl"), lt, AT_SYMLINK_NOFOLLOW) == 0, "AT_SYMLINK_NOFOLLOW on a symlink");
    show_times("the symlink", P("tl"), 0);
    stat(P("tl"), &st);
    printf("its target keeps mtime %lld\n", (long long)st.st_mtim.tv_sec);
    CHECK(futimesat(AT_FDCWD, P("t"), tv) == 0, "futimesat");
    show_times("after futimesat", P("t"), 1);
    unlink(P("tl"));

    if (is_root) {
        int fd2 = make_file(P("open"), "", 0666);
        fchmod(fd2, 0666);
        close(fd2);
        fchmod(fd, 0644);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setgid(65534);
            setuid(65534);
            CHECK(utimensat(AT_FDCWD, P("open"), NULL, 0) == 0, "not the owner, may write: times to now");
            struct timespec nn[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
            CHECK(utimensat(AT_FDCWD, P("open"), nn, 0) == 0, "not the owner, may write: both UTIME_NOW");
            EXPECT_ERRNO(utimensat(AT_FDCWD, P("open"), ts, 0), EPERM, "not the owner: explicit times");
            EXPECT_ERRNO(utimensat(AT_FDCWD, P("open"), now_omit, 0), EPERM, "not the owner: UTIME_NOW + UTIME_OMIT");
            EXPECT_ERRNO(utimensat(AT_FDCWD, P("t"), NULL, 0), EACCES, "not the owner, may not write: now");
            _exit(guest_failures);
        }
        reap(pid, "the other user");
        unlink(P("open"));
    }
    close(fd);
    unlink(P("t"));
}

/* ------------------------------------------------------------------ statfs */
static void test_statfs(void)
{
    struct statfs sf;
    CHECK(statfs("/dev/shm", &sf) == 0, "statfs /dev/shm");
    printf("/dev/shm: f_type %#lx f_bsize %ld f_namelen %ld f_frsize %ld rdonly %d\n", (unsigned long)sf.f_type,
           (long)sf.f_bsize, (long)sf.f_namelen, (long)sf.f_frsize, !!(sf.f_flags & ST_RDONLY));
    CHECK(sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks && sf.f_bavail == sf.f_bfree, "tmpfs block counts");
    int fd = make_file(S("sf"), "x", 0600);
    struct statfs sf2;
    CHECK(fstatfs(fd, &sf2) == 0 && sf2.f_type == sf.f_type, "fstatfs of a file there");
    close(fd);
    unlink(S("sf"));
    CHECK(statfs("/proc", &sf) == 0, "statfs /proc");
    printf("/proc: f_type %#lx f_bsize %ld f_namelen %ld\n", (unsigned long)sf.f_type, (long)sf.f_bsize,
           (long)sf.f_namelen);
    int p[2];
    pipe(p);
    CHECK(fstatfs(p[0], &sf) == 0, "fstatfs of a pipe");
    printf("pipe: f_type %#lx\n", (unsigned long)sf.f_type);
    close(p[0]);
    close(p[1]);
    int op = open("/dev/shm", O_PATH);
    CHECK(fstatfs(op, &sf) == 0 && sf.f_type == 0x01021994, "fstatfs of an O_PATH descriptor");
    close(op);
    EXPECT_ERRNO(statfs(P("missing"), &sf), ENOENT, "statfs of a missing path");
    EXPECT_ERRNO(syscall(SYS_statfs, "/dev/shm", (struct statfs *)8), EFAULT, "statfs into a bad buffer");
    EXPECT_ERRNO(fstatfs(999, &sf), EBADF, "fstatfs of a closed fd");
}

/* ------------------------------------------------------------------ openat2 */
static void test_openat2(void)
{
    mkdir(P("o2"), 0755);
    mkdir(P("o2/sub"), 0755);
    close(make_file(P("o2/file"), "in the scope", 0644));
    symlink("file", P("o2/rel"));
    symlink("/file", P("o2/abs"));
    symlink("../o2/file", P("o2/up"));
    int d = open(P("o2"), O_RDONLY | O_DIRECTORY);
    long fd;
    struct how h = {O_RDONLY, 0, 0};
    EXPECT_ERRNO(syscall(SYS_openat2, d, "file", &h, 23), EINVAL, "a struct smaller than version 0");
    EXPECT_ERRNO(syscall(SYS_openat2, d, "file", &h, 4097), E2BIG, "a struct bigger than a page");
    struct {
        struct how h;
        uint64_t extra;
    } big = {{O_RDONLY, 0, 0}, 1};
    EXPECT_ERRNO(syscall(SYS_openat2, d, "file", &big, sizeof big), E2BIG, "unknown trailing fields set");
    big.extra = 0;
    fd = syscall(SYS_openat2, d, "file", &big, sizeof big);
    CHECK(fd >= 0, "zero trailing fields are fine");
    close(fd);
    EXPECT_ERRNO(openat2_(d, "file", O_RDONLY | (1ULL << 40), 0, 0), EINVAL, "unknown open flags");
    EXPECT_ERRNO(openat2_(d, "file", O_RDONLY, 0, 0x40), EINVAL, "unknown resolve flags");
    EXPECT_ERRNO(openat2_(d, "file", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL,
                 "RESOLVE_BENEATH with RESOLVE_IN_ROOT");
    EXPECT_ERRNO(openat2_(d, "file", O_RDONLY, 0644, 0), EINVAL, "a mode without O_CREAT");
    EXPECT_ERRNO(openat2_(d, "new", O_RDWR | O_CREAT, 010644, 0), EINVAL, "a mode with a type");
    EXPECT_ERRNO(openat2_(d, "file", O_PATH | O_RDWR, 0, 0), EINVAL, "O_PATH with an access mode");
    EXPECT_ERRNO(openat2_(d, "new", O_RDWR | O_CREAT, 0644, RESOLVE_CACHED), EAGAIN, "RESOLVE_CACHED with O_CREAT");
    fd = openat2_(d, "file", O_RDONLY | O_CLOEXEC, 0, 0);
    CHECK(fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC through openat2");
    printf("F_GETFL: %#o\n", fcntl(fd, F_GETFL));
    close(fd);
    fd = openat2_(d, "created", O_RDWR | O_CREAT | O_EXCL, 0600, 0);
    CHECK(fd >= 0, "O_CREAT through openat2");
    close(fd);

    EXPECT_ERRNO(openat2_(d, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP, "RESOLVE_NO_SYMLINKS: a final symlink");
    fd = openat2_(d, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
    CHECK(fd >= 0, "RESOLVE_NO_SYMLINKS: O_PATH|O_NOFOLLOW of the symlink itself");
    close(fd);
    symlink("sub", P("o2/sublink"));
    EXPECT_ERRNO(openat2_(d, "sublink/../file", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP,
                 "RESOLVE_NO_SYMLINKS: a symlink on the way");

    EXPECT_ERRNO(openat2_(d, "../o2/file", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "RESOLVE_BENEATH: .. out of the scope");
    EXPECT_ERRNO(openat2_(d, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "RESOLVE_BENEATH: an absolute name");
    EXPECT_ERRNO(openat2_(d, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "RESOLVE_BENEATH: an absolute symlink");
    EXPECT_ERRNO(openat2_(d, "up", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "RESOLVE_BENEATH: a symlink going up");
    fd = openat2_(d, "sub/../file", O_RDONLY, 0, RESOLVE_BENEATH);
    CHECK(fd >= 0, "RESOLVE_BENEATH: .. that stays inside");
    close(fd);
    fd = openat2_(d, "rel", O_RDONLY, 0, RESOLVE_BENEATH);
    CHECK(fd >= 0, "RESOLVE_BENEATH: a relative symlink inside");
    close(fd);

    char buf[32] = {0};
    fd = openat2_(d, "/file", O_RDONLY, 0, RESOLVE_IN_ROOT);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) == 12, "RESOLVE_IN_ROOT: / is the directory");
    close(fd);
    fd = openat2_(d, "../../../file", O_RDONLY, 0, RESOLVE_IN_ROOT);
    CHECK(fd >= 0, "RESOLVE_IN_ROOT: .. stops at the directory");
    close(fd);
    fd = openat2_(d, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT);
    CHECK(fd >= 0, "RESOLVE_IN_ROOT: an absolute symlink resolves inside");
    close(fd);

    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", d);
    fd = openat2_(AT_FDCWD, self, O_RDONLY | O_DIRECTORY, 0, 0);
    CHECK(fd >= 0, "a magic link without RESOLVE_NO_MAGICLINKS");
    close(fd);
    EXPECT_ERRNO(openat2_(AT_FDCWD, self, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP, "RESOLVE_NO_MAGICLINKS");
    int root = open("/", O_RDONLY | O_DIRECTORY);
    EXPECT_ERRNO(openat2_(root, "proc/self", O_PATH, 0, RESOLVE_NO_XDEV), EXDEV, "RESOLVE_NO_XDEV: into /proc");
    fd = openat2_(root, "proc", O_PATH, 0, RESOLVE_NO_XDEV);
    printf("RESOLVE_NO_XDEV on the mount point itself: %s\n", fd >= 0 ? "ok" : errno_name(errno));
    if (fd >= 0)
        close(fd);
    close(root);
    close(d);
    const char *junk[] = {"o2/file", "o2/rel", "o2/abs", "o2/up", "o2/created", "o2/sublink"};
    for (unsigned i = 0; i < sizeof junk / sizeof junk[0]; i++)
        unlink(P(junk[i]));
    rmdir(P("o2/sub"));
    rmdir(P("o2"));
}

/* ------------------------------------------------------------------ fallocate etc. */
static void test_fallocate(void)
{
    int fd = make_file(S("fa"), "", 0644);
    struct stat st;
    CHECK(fallocate(fd, 0, 0, 8192) == 0 && fstat(fd, &st) == 0, "fallocate mode 0");
    printf("size %lld blocks %lld\n", (long long)st.st_size, (long long)st.st_blocks);
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192) == 0 && fstat(fd, &st) == 0, "FALLOC_FL_KEEP_SIZE");
    printf("size %lld blocks %lld\n", (long long)st.st_size, (long long)st.st_blocks);
    pwrite(fd, "abcdefgh", 8, 100);
    EXPECT_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP, "PUNCH_HOLE without KEEP_SIZE");
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 102, 4) == 0, "PUNCH_HOLE|KEEP_SIZE");
    char b[9] = {0};
    pread(fd, b, 8, 100);
    printf("after the punch: %c%c[%d%d%d%d]%c%c\n", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    EXPECT_ERRNO(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10), EOPNOTSUPP, "ZERO_RANGE on tmpfs");
    EXPECT_ERRNO(fallocate(fd, 0x100, 0, 10), EOPNOTSUPP, "an unknown mode bit");
    EXPECT_ERRNO(fallocate(fd, 0, 0, 0), EINVAL, "a zero length");
    EXPECT_ERRNO(fallocate(fd, 0, -1, 10), EINVAL, "a negative offset");
    EXPECT_ERRNO(fallocate(fd, 0, 0x7fffffffffffff00LL, 0x1000), EFBIG, "past the largest file");
    int ro = open(S("fa"), O_RDONLY);
    EXPECT_ERRNO(fallocate(ro, 0, 0, 10), EBADF, "a read-only fd");
    close(ro);
    int p[2];
    pipe(p);
    EXPECT_ERRNO(fallocate(p[1], 0, 0, 10), ESPIPE, "a pipe");
    int null = open("/dev/null", O_WRONLY);
    EXPECT_ERRNO(fallocate(null, 0, 0, 10), ENODEV, "a character device");
    EXPECT_ERRNO(syscall(SYS_fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE, "fadvise64 on a pipe");
    CHECK(syscall(SYS_fadvise64, fd, 0, 100, POSIX_FADV_WILLNEED) == 0, "fadvise64 WILLNEED");
    EXPECT_ERRNO(syscall(SYS_fadvise64, fd, 0, 100, 99), EINVAL, "fadvise64 with an unknown advice");
    CHECK(syscall(SYS_fadvise64, fd, 0, -1, 0) == 0, "tmpfs takes fadvise64 with a negative length");
    CHECK(readahead(fd, 0, 4096) == 0, "readahead of a regular file");
    EXPECT_ERRNO(readahead(p[0], 0, 4096), EINVAL, "readahead of a pipe");
    EXPECT_ERRNO(readahead(null, 0, 4096), EBADF, "readahead of a write-only fd");
    close(null);
    close(p[0]);
    close(p[1]);
    sync();
    CHECK(syncfs(fd) == 0, "syncfs");
    EXPECT_ERRNO(syncfs(999), EBADF, "syncfs of a closed fd");
    close(fd);
    unlink(S("fa"));
}

/* ------------------------------------------------------------------ sendfile & co */
static void test_copying(void)
{
    int src = make_file(P("src"), "0123456789abcdefghij", 0644);
    int dst = make_file(P("dst"), "", 0644);
    char buf[64];
    lseek(src, 5, SEEK_SET);
    CHECK_EQ(sendfile(dst, src, NULL, 6), 6, "sendfile from the file position");
    CHECK_EQ(lseek(src, 0, SEEK_CUR), 11, "the input position moved");
    off_t off = 15;
    CHECK_EQ(sendfile(dst, src, &off, 100), 5, "sendfile at an offset stops at end of file");
    CHECK_EQ(off, 20, "the offset moved, not the position");
    CHECK_EQ(lseek(src, 0, SEEK_CUR), 11, "the position stayed");
    memset(buf, 0, sizeof buf);
    pread(dst, buf, sizeof buf - 1, 0);
    printf("sendfile copied \"%s\"\n", buf);
    int p[2];
    pipe(p);
    off = 0;
    CHECK_EQ(sendfile(p[1], src, &off, 4), 4, "sendfile into a pipe");
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf);
    printf("through the pipe: \"%s\"\n", buf);
    write(p[1], "xy", 2);
    EXPECT_ERRNO(sendfile(dst, p[0], NULL, 2), EINVAL, "sendfile from a pipe");
    read(p[0], buf, 2);
    int app = open(P("dst"), O_WRONLY | O_APPEND);
    EXPECT_ERRNO(sendfile(app, src, NULL, 2), EINVAL, "sendfile to an O_APPEND file");
    EXPECT_ERRNO(sendfile(dst, app, NULL, 2), EBADF, "sendfile from a write-only fd");
    off = -1;
    EXPECT_ERRNO(sendfile(dst, src, &off, 2), EINVAL, "sendfile at a negative offset");
    close(app);

    /* copy_file_range */
    int c = make_file(P("cfr"), "", 0644);
    off_t oi = 2, oo = 0;
    CHECK_EQ(copy_file_range(src, &oi, c, &oo, 5, 0), 5, "copy_file_range with offsets");
    CHECK(oi == 7 && oo == 5, "both offsets moved");
    lseek(src, 10, SEEK_SET);
    CHECK_EQ(copy_file_range(src, NULL, c, NULL, 3, 0), 3, "copy_file_range at the positions");
    memset(buf, 0, sizeof buf);
    pread(c, buf, sizeof buf - 1, 0);
    printf("copy_file_range made \"%s\"\n", buf);
    oi = 100;
    CHECK_EQ(copy_file_range(src, &oi, c, NULL, 3, 0), 0, "copy_file_range past the end");
    EXPECT_ERRNO(copy_file_range(src, NULL, c, NULL, 3, 1), EINVAL, "copy_file_range flags");
    oi = 0;
    oo = 2;
    EXPECT_ERRNO(copy_file_range(c, &oi, c, &oo, 4, 0), EINVAL, "overlapping ranges of one file");
    EXPECT_ERRNO(copy_file_range(p[0], NULL, c, NULL, 3, 0), EINVAL, "copy_file_range from a pipe");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    EXPECT_ERRNO(copy_file_range(dfd, NULL, c, NULL, 3, 0), EISDIR, "copy_file_range from a directory");
    close(dfd);
    int rdonly = open(P("cfr"), O_RDONLY);
    EXPECT_ERRNO(copy_file_range(src, NULL, rdonly, NULL, 3, 0), EBADF, "copy_file_range to a read-only fd");
    close(rdonly);
    int m = memfd_create("cfr", 0);
    write(m, "memfd", 5);
    int shmf = make_file(S("cfr"), "", 0600);
    oi = 0;
    EXPECT_ERRNO(copy_file_range(m, &oi, shmf, NULL, 5, 0), EXDEV, "copy_file_range across tmpfs instances");
    close(shmf);
    unlink(S("cfr"));
    close(m);

    /* splice and tee */
    int q[2];
    pipe(q);
    off_t so = 3;
    CHECK_EQ(splice(src, &so, p[1], NULL, 4, 0), 4, "splice from a file into a pipe");
    CHECK_EQ(so, 7, "the file offset moved");
    CHECK_EQ(tee(p[0], q[1], 100, 0), 4, "tee duplicates the pipe's bytes");
    CHECK_EQ(splice(p[0], NULL, q[1], NULL, 2, 0), 2, "splice from pipe to pipe");
    so = 0;
    int out = make_file(P("spliced"), "", 0644);
    CHECK_EQ(splice(q[0], NULL, out, &so, 100, 0), 6, "splice from a pipe into a file");
    memset(buf, 0, sizeof buf);
    pread(out, buf, sizeof buf - 1, 0);
    printf("spliced: \"%s\"\n", buf);
    CHECK_EQ(splice(p[0], NULL, out, NULL, 100, 0), 2, "splice the rest at the file position");
    EXPECT_ERRNO(splice(p[0], NULL, out, NULL, 100, SPLICE_F_NONBLOCK), EAGAIN, "splice from an empty pipe, nonblocking");
    EXPECT_ERRNO(splice(src, NULL, out, NULL, 4, 0), EINVAL, "splice with no pipe");
    so = 0;
    EXPECT_ERRNO(splice(p[0], &so, out, NULL, 4, 0), ESPIPE, "an offset for the pipe side");
    EXPECT_ERRNO(tee(src, q[1], 4, 0), EINVAL, "tee from a file");
    EXPECT_ERRNO(splice(src, NULL, q[1], NULL, 4, 0xff), EINVAL, "unknown splice flags");
    CHECK_EQ(splice(src, NULL, q[1], NULL, 0, 0), 0, "a zero-length splice");
    close(p[1]);
    CHECK_EQ(splice(p[0], NULL, out, NULL, 100, 0), 0, "splice at end of file of the pipe");
    close(p[0]);
    close(q[0]);
    close(q[1]);
    close(out);
    close(c);
    close(src);
    close(dst);
    unlink(P("src"));
    unlink(P("dst"));
    unlink(P("cfr"));
    unlink(P("spliced"));
}

/* ------------------------------------------------------------------ locks */
static void test_flock(void)
{
    int a = make_file(P("lk"), "0123456789", 0644);
    int b = open(P("lk"), O_RDWR);
    CHECK(flock(a, LOCK_EX) == 0, "flock LOCK_EX");
    CHECK(flock(a, LOCK_EX) == 0, "again on the same description");
    EXPECT_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, "another description conflicts");
    EXPECT_ERRNO(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK, "a shared lock conflicts with an exclusive one");
    int a2 = dup(a);
    CHECK(flock(a2, LOCK_SH) == 0, "a dup shares the lock and converts it");
    CHECK(flock(b, LOCK_SH | LOCK_NB) == 0, "two shared locks");
    EXPECT_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK, "no upgrade while another shares");
    CHECK(flock(a, LOCK_UN) == 0, "LOCK_UN");
    CHECK(flock(b, LOCK_EX | LOCK_NB) == 0, "now b may have it");
    EXPECT_ERRNO(flock(a, 3), EINVAL, "an invalid operation");
    EXPECT_ERRNO(flock(999, LOCK_EX), EBADF, "a closed fd");
    close(b);
    CHECK(flock(a, LOCK_EX | LOCK_NB) == 0, "closing b's last fd released its lock");
    int pipefd[2];
    pipe(pipefd);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* the child inherits a's description: the lock is shared with the parent */
        CHECK(flock(a, LOCK_EX | LOCK_NB) == 0, "child: the inherited description holds the lock");
        int c = open(P("lk"), O_RDWR);
        EXPECT_ERRNO(flock(c, LOCK_EX | LOCK_NB), EWOULDBLOCK, "child: its own description conflicts");
        write(pipefd[1], "w", 1);
        CHECK(flock(c, LOCK_EX) == 0, "child: the blocking flock got the lock");
        printf("child: locked after the parent let go\n");
        fflush(stdout);
        _exit(guest_failures);
    }
    char ch;
    read(pipefd[0], &ch, 1);
    usleep(50000);
    printf("parent: unlocking\n");
    fflush(stdout);
    flock(a, LOCK_UN);
    reap(pid, "the flock child");
    close(pipefd[0]);
    close(pipefd[1]);
    close(a);
    close(a2);
    unlink(P("lk"));
}

static void show_lock(const char *what, int fd, short type, off_t start, off_t len, int cmd)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0};
    if (fcntl(fd, cmd, &fl) != 0) {
        printf("%s: %s\n", what, errno_name(errno));
        return;
    }
    const char *t = fl.l_type == F_RDLCK ? "F_RDLCK" : fl.l_type == F_WRLCK ? "F_WRLCK" : "F_UNLCK";
    const char *who = fl.l_pid == -1 ? "-1" : fl.l_pid == getppid() ? "parent" : fl.l_pid == getpid() ? "self"
                                                                                                     : "other";
    if (fl.l_type == F_UNLCK)
        printf("%s: F_UNLCK\n", what);
    else
        printf("%s: %s whence %d start %lld len %lld pid %s\n", what, t, fl.l_whence, (long long)fl.l_start,
               (long long)fl.l_len, who);
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void test_posix_locks(void)
{
    int fd = make_file(P("rl"), "0123456789", 0644);
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
    EXPECT_ERRNO(fcntl(fd, F_GETLK, &fl), EINVAL, "F_GETLK with F_UNLCK");
    fl.l_type = F_RDLCK;
    fl.l_whence = 7;
    EXPECT_ERRNO(fcntl(fd, F_GETLK, &fl), EINVAL, "a bad l_whence");
    EXPECT_ERRNO(setlk(fd, F_SETLK, 9, 0, 1), EINVAL, "a bad l_type");
    fl.l_whence = SEEK_SET;
    fl.l_start = -5;
    EXPECT_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL, "a negative start");
    EXPECT_ERRNO(fcntl(fd, F_GETLK, (void *)8), EFAULT, "a bad struct pointer");
    int ro = open(P("rl"), O_RDONLY);
    EXPECT_ERRNO(setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF, "a write lock through a read-only fd");
    CHECK(setlk(ro, F_SETLK, F_UNLCK, 0, 1) == 0, "unlocking needs no access");
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 100) == 0, "write lock [0,100)");
    CHECK(setlk(fd, F_SETLK, F_UNLCK, 40, 20) == 0, "unlock [40,60): the lock splits");
    CHECK(setlk(fd, F_SETLK, F_RDLCK, 90, 0) == 0, "read lock from 90 to the end");
    show_lock("own locks never conflict", fd, F_WRLCK, 0, 0, F_GETLK);

    int go[2], back[2];
    pipe(go);
    pipe(back);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int c = open(P("rl"), O_RDWR);
        show_lock("child: F_GETLK at 10", c, F_WRLCK, 10, 1, F_GETLK);
        show_lock("child: F_GETLK in the hole", c, F_WRLCK, 45, 5, F_GETLK);
        show_lock("child: F_GETLK read at 95", c, F_RDLCK, 95, 1, F_GETLK);
        show_lock("child: F_GETLK write at 95", c, F_WRLCK, 95, 1, F_GETLK);
        show_lock("child: F_GETLK from 50 on", c, F_WRLCK, 50, 0, F_GETLK);
        CHECK(setlk(c, F_SETLK, F_WRLCK, 40, 20) == 0, "child: locks the hole");
        EXPECT_ERRNO(setlk(c, F_SETLK, F_WRLCK, 30, 20), EAGAIN, "child: a conflicting F_SETLK");
        CHECK(setlk(c, F_SETLK, F_RDLCK, 95, 10) == 0, "child: shares the read lock");
        write(back[1], "1", 1);
        char x;
        read(go[0], &x, 1);
        /* the parent will release [0,40) by closing another fd of the file */
        CHECK(setlk(c, F_SETLKW, F_WRLCK, 0, 10) == 0, "child: F_SETLKW got the lock");
        printf("child: F_SETLKW returned\n");
        fflush(stdout);
        write(back[1], "2", 1);
        read(go[0], &x, 1);
        /* deadlock: the child holds [0,10) and waits for [60,70) held by the parent */
        CHECK(setlk(c, F_SETLKW, F_WRLCK, 60, 10) == 0, "child: got [60,70) once the parent gave up");
        _exit(guest_failures);
    }
    char x;
    read(back[0], &x, 1);
    show_lock("parent: the child's lock", fd, F_WRLCK, 40, 1, F_GETLK);
    int other = open(P("rl"), O_RDONLY);
    write(go[1], "g", 1);
    usleep(50000);
    printf("parent: closing another fd of the file\n");
    fflush(stdout);
    close(other); /* any close drops the process's locks on the file */
    read(back[0], &x, 1);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 60, 10) == 0, "parent: locks [60,70)");
    write(go[1], "g", 1);
    usleep(50000);
    EXPECT_ERRNO(setlk(fd, F_SETLKW, F_WRLCK, 0, 10), EDEADLK, "parent: waiting would deadlock");
    setlk(fd, F_SETLK, F_UNLCK, 60, 10);
    reap(pid, "the lock child");
    close(ro);

    /* OFD locks: owned by the open file description */
    int o1 = open(P("rl"), O_RDWR), o2 = open(P("rl"), O_RDWR);
    CHECK(setlk(o1, F_OFD_SETLK, F_WRLCK, 0, 10) == 0, "OFD lock through one description");
    EXPECT_ERRNO(setlk(o2, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN, "OFD locks of two descriptions conflict");
    show_lock("F_OFD_GETLK", o2, F_RDLCK, 0, 0, F_OFD_GETLK);
    show_lock("F_GETLK sees the OFD lock", fd, F_RDLCK, 0, 0, F_GETLK);
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1};
    EXPECT_ERRNO(fcntl(o2, F_OFD_SETLK, &bad), EINVAL, "F_OFD_SETLK with l_pid set");
    close(fd); /* a POSIX close does not drop OFD locks */
    EXPECT_ERRNO(setlk(o2, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN, "the OFD lock survives a close of another fd");
    close(o1);
    CHECK(setlk(o2, F_OFD_SETLK, F_WRLCK, 5, 1) == 0, "gone with its description");
    close(o2);
    unlink(P("rl"));
}

/* ------------------------------------------------------------------ getdents */
struct old_dirent {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
    char d_name[];
};

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_getdents(void)
{
    mkdir(P("gd"), 0755);
    close(make_file(P("gd/file"), "", 0644));
    mkdir(P("gd/sub"), 0755);
    symlink("x", P("gd/link"));
    mkfifo(P("gd/fifo"), 0644);
    int d = open(P("gd"), O_RDONLY | O_DIRECTORY);
    char buf[1024];
    long n = syscall(SYS_getdents, d, buf, sizeof buf);
    CHECK(n > 0, "getdents");
    char *names[16];
    char lines[16][64];
    int count = 0;
    for (long off = 0; off < n && count < 16;) {
        struct old_dirent *e = (struct old_dirent *)(buf + off);
        unsigned char type = buf[off + e->d_reclen - 1];
        snprintf(lines[count], sizeof lines[count], "%s type %u reclen %u", e->d_name, type, e->d_reclen);
        names[count] = lines[count];
        count++;
        off += e->d_reclen;
    }
    qsort(names, count, sizeof names[0], cmpstr);
    for (int i = 0; i < count; i++)
        printf("getdents: %s\n", names[i]);
    CHECK_EQ(syscall(SYS_getdents, d, buf, sizeof buf), 0, "the end of the directory");
    lseek(d, 0, SEEK_SET);
    EXPECT_ERRNO(syscall(SYS_getdents, d, buf, 10), EINVAL, "a buffer too small for one entry");
    int f = open(P("gd/file"), O_RDONLY);
    EXPECT_ERRNO(syscall(SYS_getdents, f, buf, sizeof buf), ENOTDIR, "getdents of a file");
    close(f);
    close(d);
    unlink(P("gd/file"));
    unlink(P("gd/link"));
    unlink(P("gd/fifo"));
    rmdir(P("gd/sub"));
    rmdir(P("gd"));
}

/* ------------------------------------------------------------------ chroot */
static void test_chroot(void)
{
    mkdir(P("jail"), 0755);
    mkdir(P("jail/sub"), 0755);
    close(make_file(P("jail/sub/f"), "jailed", 0644));
    close(make_file(P("jail/marker"), "", 0644));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        EXPECT_ERRNO(chroot(P("jail/sub/f")), ENOTDIR, "chroot to a file");
        EXPECT_ERRNO(chroot(P("nothere")), ENOENT, "chroot to a missing directory");
        if (!is_root) {
            EXPECT_ERRNO(chroot(P("jail")), EPERM, "chroot without CAP_SYS_CHROOT");
            _exit(guest_failures);
        }
        chdir(dir);
        CHECK(chroot(P("jail")) == 0, "chroot");
        char cwd[PATH_MAX];
        long r = syscall(SYS_getcwd, cwd, sizeof cwd);
        CHECK(r > 0 && strncmp(cwd, "(unreachable)/", 14) == 0, "the old cwd is unreachable from the new root");
        errno = 0;
        printf("getcwd() outside the root: %s\n", getcwd(cwd, sizeof cwd) ? "a name" : errno_name(errno));
        CHECK(chdir("/") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0, "chdir / is the new root");
        CHECK(access("/marker", F_OK) == 0, "the jail's file at /marker");
        CHECK(access("/../../marker", F_OK) == 0, ".. stops at the new root");
        int fd = open("/sub/f", O_RDONLY);
        char b[16] = {0};
        CHECK(fd >= 0 && read(fd, b, sizeof b) == 6, "files open inside the jail");
        CHECK(chdir("sub") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/sub") == 0, "getcwd inside the jail");
        EXPECT_ERRNO(access("/tmp", F_OK), ENOENT, "the old /tmp is out of sight");
        _exit(guest_failures);
    }
    reap(pid, "the chroot child");
    unlink(P("jail/sub/f"));
    unlink(P("jail/marker"));
    rmdir(P("jail/sub"));
    rmdir(P("jail"));
}

/* ------------------------------------------------------------------ memfd, seals, MAP_SHARED */
static void test_memfd(void)
{
    int m = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(m >= 0, "memfd_create");
    CHECK(fcntl(m, F_GETFD) == FD_CLOEXEC, "MFD_CLOEXEC");
    printf("F_GETFL: %#o\n", fcntl(m, F_GETFL));
    struct stat st;
    fstat(m, &st);
    printf("memfd: regular %d mode %o nlink %ld size %lld\n", S_ISREG(st.st_mode), st.st_mode & 07777,
           (long)st.st_nlink, (long long)st.st_size);
    char link[64], target[128] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", m);
    readlink(link, target, sizeof target - 1);
    printf("its name: %s\n", target);
    CHECK_EQ(fcntl(m, F_GET_SEALS), 0, "sealing allowed: no seals yet");
    CHECK_EQ(write(m, "0123456789", 10), 10, "write");
    CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "F_SEAL_SHRINK");
    EXPECT_ERRNO(ftruncate(m, 5), EPERM, "shrinking a shrink-sealed memfd");
    CHECK(ftruncate(m, 20) == 0, "growing is still allowed");
    CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_GROW) == 0, "F_SEAL_GROW");
    EXPECT_ERRNO(ftruncate(m, 30), EPERM, "growing a grow-sealed memfd");
    EXPECT_ERRNO(pwrite(m, "x", 1, 20), EPERM, "a write at the end");
    CHECK_EQ(pwrite(m, "ab", 2, 18), 2, "a write inside the size");
    EXPECT_ERRNO(fallocate(m, 0, 0, 4096), EPERM, "fallocate past the end");
    EXPECT_ERRNO(fcntl(m, F_ADD_SEALS, 0x100), EINVAL, "an unknown seal");
    CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) == 0, "F_SEAL_WRITE | F_SEAL_SEAL");
    printf("seals: %#x\n", fcntl(m, F_GET_SEALS));
    EXPECT_ERRNO(pwrite(m, "x", 1, 0), EPERM, "writing a write-sealed memfd");
    EXPECT_ERRNO((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0), EPERM,
                 "a writable shared mapping of a write-sealed memfd");
    void *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m, 0);
    CHECK(ro != MAP_FAILED && memcmp(ro, "0123456789", 10) == 0, "a read-only shared mapping is fine");
    munmap(ro, 4096);
    EXPECT_ERRNO(fcntl(m, F_ADD_SEALS, F_SEAL_EXEC), EPERM, "F_SEAL_SEAL stops more seals");
    close(m);

    m = memfd_create("plain", 0);
    CHECK_EQ(fcntl(m, F_GET_SEALS), F_SEAL_SEAL, "without MFD_ALLOW_SEALING: sealed against seals");
    EXPECT_ERRNO(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "adding a seal then");
    close(m);
    m = memfd_create("noexec", MFD_NOEXEC_SEAL);
    fstat(m, &st);
    printf("MFD_NOEXEC_SEAL: mode %o seals %#x\n", st.st_mode & 07777, fcntl(m, F_GET_SEALS));
    EXPECT_ERRNO(fchmod(m, 0755), EPERM, "chmod +x of an exec-sealed memfd");
    close(m);
    EXPECT_ERRNO(memfd_create("x", 0x100), EINVAL, "unknown memfd flags");
    EXPECT_ERRNO(memfd_create("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL, "MFD_EXEC with MFD_NOEXEC_SEAL");
    char name[300];
    memset(name, 'n', sizeof name);
    name[250] = 0;
    EXPECT_ERRNO(memfd_create(name, 0), EINVAL, "a 250-byte name");
    name[249] = 0;
    m = memfd_create(name, 0);
    CHECK(m >= 0, "a 249-byte name");
    close(m);
    EXPECT_ERRNO(memfd_create((char *)8, 0), EFAULT, "a bad name pointer");
    int s = make_file(S("seals"), "", 0600);
    CHECK_EQ(fcntl(s, F_GET_SEALS), F_SEAL_SEAL, "a tmpfs file has seals too");
    close(s);
    unlink(S("seals"));
    int p[2];
    pipe(p);
    EXPECT_ERRNO(fcntl(p[0], F_GET_SEALS), EINVAL, "F_GET_SEALS on a pipe");
    close(p[0]);
    close(p[1]);
}

static void test_shared_mappings(const char *what, int fd)
{
    printf("-- MAP_SHARED of %s\n", what);
    ftruncate(fd, 8192);
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED, "map it shared");
    memcpy(a + 100, "stored", 6);
    char buf[16] = {0};
    pread(fd, buf, 6, 100);
    printf("pread after a store: \"%s\"\n", buf);
    pwrite(fd, "written", 7, 4096 + 10);
    printf("the mapping after pwrite: \"%.7s\"\n", a + 4096 + 10);
    char *b = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
    CHECK(b != MAP_FAILED && memcmp(b + 10, "written", 7) == 0, "a second mapping at an offset");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(a + 4096 + 10, "childs!", 7);
        _exit(0);
    }
    reap(pid, "the storing child");
    printf("the parent sees the child's store: \"%.7s\" \"%.7s\"\n", a + 4096 + 10, b + 10);
    CHECK(msync(a, 8192, MS_SYNC) == 0, "msync");
    EXPECT_ERRNO(msync(a + 1, 4096, MS_SYNC), EINVAL, "msync of an unaligned address");
    EXPECT_ERRNO(msync(a, 4096, MS_SYNC | MS_ASYNC), EINVAL, "MS_SYNC with MS_ASYNC");
    EXPECT_ERRNO(msync(a, 4096, 0x100), EINVAL, "unknown msync flags");
    munmap(b, 4096);
    munmap(a, 8192);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 7, 4096 + 10);
    printf("after munmap the file holds \"%s\"\n", buf);
    char *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ftruncate(fd, 50);
    ftruncate(fd, 8192);
    CHECK(c[100] == 0, "a truncation the mapping sees");
    munmap(c, 4096);
    EXPECT_ERRNO(msync(c, 4096, MS_SYNC), ENOMEM, "msync of an unmapped range");
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    no_devices = argc > 1 && strcmp(argv[1], "nodev") == 0;
    umask(022);
    is_root = geteuid() == 0;
    printf("root: %s\n", is_root ? "yes" : "no");
    snprintf(dir, sizeof dir, "/tmp/emk_fsmore_XXXXXX");
    snprintf(shm, sizeof shm, "/dev/shm/emk_fsmore_XXXXXX");
    if (!mkdtemp(dir) || !mkdtemp(shm)) {
        printf("mkdtemp failed: %s\n", errno_name(errno));
        return 1;
    }
    chmod(dir, 0755);
    test_fifos();
    test_mknod();
    test_utimes();
    test_statfs();
    test_openat2();
    test_fallocate();
    test_copying();
    test_flock();
    test_posix_locks();
    test_getdents();
    test_chroot();
    test_memfd();
    int m = memfd_create("shared", 0);
    test_shared_mappings("a memfd", m);
    close(m);
    int t = make_file(S("mapped"), "", 0600);
    test_shared_mappings("a tmpfs file", t);
    close(t);
    unlink(S("mapped"));
    int ro = open("/dev/null", O_RDONLY);
    (void)ro;
    int rof = make_file(S("ro"), "x", 0600);
    close(rof);
    rof = open(S("ro"), O_RDONLY);
    EXPECT_ERRNO((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rof, 0), EACCES,
                 "a writable shared mapping of a read-only fd");
    close(rof);
    unlink(S("ro"));
    rmdir(dir);
    rmdir(shm);
    return guest_exit();
}
