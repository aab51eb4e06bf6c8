/*
 * exec_parent: execve and friends.
 *
 *   exec_parent CHILD TAG
 *
 * CHILD is the path of the exec_child guest; TAG keeps this run's scratch
 * directory (/tmp/emk_exec_TAG) apart from other runs.  Paths are printed
 * (they are the same natively and under emukernel: the build directory is
 * bound at its host path), pids never.
 *
 * Covers: fork+execve with argv/env checked in the child; the execve errnos
 * (ENOENT, ENOTDIR, EACCES, ENOEXEC, E2BIG, EFAULT, ENAMETOOLONG, ELOOP,
 * ETXTBSY); execveat/fexecve; #! scripts and their argv rewrite; FD_CLOEXEC;
 * signal dispositions, mask and pending signals across exec; exec from a
 * non-leader thread; vfork+exec; setpgid after exec; posix_spawn with file
 * actions; system().
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

static const char *child;
static char dir[256];
static char childdir[PATH_MAX];
static const char *childbase;

static char *path_in(const char *name)
{
    static char bufs[8][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, PATH_MAX, "%s/%s", dir, name);
    return b;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, len);
    close(fd);
    chmod(path, mode);
    return n == (ssize_t)len ? 0 : -1;
}

static void *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
}

static const char *const SCRATCH[] = {
    "file", "noexec", "text", "trunc52", "trunc64", "copy", "script1", "script2", "script3",
    "nested", "selfloop", "badinterp", "script_noexec", "loop", "spawn_out", "sub", NULL,
};

static void cleanup(void)
{
    for (int i = 0; SCRATCH[i]; i++)
        unlink(path_in(SCRATCH[i]));
    rmdir(path_in("sub"));
    rmdir(dir);
}

static int reap(pid_t pid)
{
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* fork; in the child execve(path, argv, envp) (a failure prints and exits 127); return the wait status. */
static int run(const char *path, char *const argv[], char *const envp[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        printf("FAIL execve(%s): %s\n", path, errno_name(errno));
        fflush(stdout);
        _exit(127);
    }
    return reap(pid);
}

/*
 * Evaluate an exec call that is expected to fail in a forked child, so that a
 * wrong success replaces only that child: the child exits with errno, which
 * becomes errno here; the value is -1.  (A wrong success shows as errno 0, or
 * as the exit code of whatever ran.)
 */
#define IN_CHILD(expr)                                                       \
    ({                                                                       \
        fflush(stdout);                                                      \
        pid_t in_child_pid_ = fork();                                        \
        if (in_child_pid_ == 0) {                                            \
            errno = 0;                                                       \
            (void)(expr);                                                    \
            _exit(errno & 0xff);                                             \
        }                                                                    \
        int in_child_st_ = 0;                                                \
        waitpid(in_child_pid_, &in_child_st_, 0);                            \
        errno = WIFEXITED(in_child_st_) ? WEXITSTATUS(in_child_st_) : 0;     \
        -1L;                                                                 \
    })

static void expect_exit(int st, int code, const char *what)
{
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == code, "%s: %s", what, status_str(st));
}

/* ------------------------------------------------------------ basic */

static void test_basic(void)
{
    printf("-- fork + execve\n");
    char *argv[] = {"custom-argv0", "one", "two words", "", "--flag=x", NULL};
    char *envp[] = {"A=1", "EMPTY=", "SPACED=a b  c", "EXEC_MODE=args", NULL};
    expect_exit(run(child, argv, envp), 0, "exec_child ran");

    char *argv2[] = {"x", NULL};
    char *envp2[] = {"EXEC_MODE=args", "EXEC_EXIT=77", NULL};
    expect_exit(run(child, argv2, envp2), 77, "its exit code comes back through wait");

    /* argv NULL and envp NULL are accepted by Linux as empty lists. */
    printf("-- NULL argv / envp (raw syscall)\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *envp3[] = {"EXEC_MODE=args", NULL};
        syscall(SYS_execve, child, NULL, envp3);
        printf("FAIL execve with argv NULL: %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "argv NULL");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv3[] = {NULL};
        char *envp3[] = {"EXEC_MODE=args", NULL};
        syscall(SYS_execve, child, argv3, envp3);
        printf("FAIL execve with empty argv: %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "argv {NULL}");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv3[] = {"null-envp", NULL};
        syscall(SYS_execve, child, argv3, NULL);
        printf("FAIL execve with envp NULL: %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "envp NULL");
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
    printf("-- execve errors\n");
    char *argv[] = {"x", NULL};
    char *envp[] = {"EXEC_MODE=args", NULL};

    EXPECT_ERRNO(IN_CHILD(execve("/nonexistent/prog", argv, envp)), ENOENT, "a missing file");
    EXPECT_ERRNO(IN_CHILD(execve(path_in("missing"), argv, envp)), ENOENT, "a missing file in an existing directory");
    EXPECT_ERRNO(IN_CHILD(execve("", argv, envp)), ENOENT, "an empty path");

    write_file(path_in("file"), "data\n", 5, 0755);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/x", path_in("file"));
    EXPECT_ERRNO(IN_CHILD(execve(p, argv, envp)), ENOTDIR, "a file used as a directory");

    size_t len = 0;
    char *elf = read_file(child, &len);
    CHECK(elf != NULL && len > 64, "read the exec_child ELF");
    write_file(path_in("noexec"), elf, len, 0644);
    EXPECT_ERRNO(IN_CHILD(execve(path_in("noexec"), argv, envp)), EACCES, "an ELF without any x bit (even for root)");
    EXPECT_ERRNO(IN_CHILD(execve(dir, argv, envp)), EACCES, "a directory");
    EXPECT_ERRNO(IN_CHILD(execve("/tmp/", argv, envp)), EACCES, "a directory with a trailing slash");
    EXPECT_ERRNO(IN_CHILD(execve("/dev/null", argv, envp)), EACCES, "a character device");

    write_file(path_in("text"), "echo hello\nexit 3\n", 18, 0755);
    EXPECT_ERRNO(IN_CHILD(execve(path_in("text"), argv, envp)), ENOEXEC, "an executable text file without #!");
    write_file(path_in("trunc52"), elf, 52, 0755);
    EXPECT_ERRNO(IN_CHILD(execve(path_in("trunc52"), argv, envp)), ENOEXEC, "an ELF cut inside its header (52 bytes)");
    write_file(path_in("trunc64"), elf, 64, 0755);
    errno = 0;
    long r = execve(path_in("trunc64"), argv, envp);
    printf("an ELF header without its program headers (64 bytes): %ld/%s\n", r, errno_name(errno));
    write_file(path_in("copy"), elf, 0, 0755);
    EXPECT_ERRNO(IN_CHILD(execve(path_in("copy"), argv, envp)), ENOEXEC, "an empty executable file");

    /* ETXTBSY: the file is open for writing. */
    write_file(path_in("copy"), elf, len, 0755);
    int wfd = open(path_in("copy"), O_WRONLY);
    CHECK(wfd >= 0, "open the copy for writing");
    EXPECT_ERRNO(IN_CHILD(execve(path_in("copy"), argv, envp)), ETXTBSY, "a file open for writing");
    close(wfd);
    char *envp_x[] = {"EXEC_MODE=args", "EXEC_EXIT=5", NULL};
    expect_exit(run(path_in("copy"), argv, envp_x), 5, "the same copy runs once closed");
    /* ...and while it runs (exec'ed), it cannot be opened for writing.  A close-on-exec
     * pipe tells when the exec has happened (EOF). */
    int go[2] = {-1, -1}, cl[2] = {-1, -1};
    pipe(go);
    pipe2(cl, O_CLOEXEC);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(cl[0]);
        char fdenv[32];
        snprintf(fdenv, sizeof fdenv, "EXEC_FD=%d", go[0]);
        char *envb[] = {"EXEC_MODE=block", fdenv, NULL};
        execve(path_in("copy"), argv, envb);
        _exit(127);
    }
    close(go[0]);
    close(cl[1]);
    char c;
    CHECK(read(cl[0], &c, 1) == 0, "the copy was exec'ed (the close-on-exec pipe hit EOF)");
    errno = 0;
    int busy = open(path_in("copy"), O_WRONLY);
    printf("opening a running executable for writing: %s\n", busy >= 0 ? "allowed" : errno_name(errno));
    if (busy >= 0)
        close(busy);
    write(go[1], "x", 1);
    close(go[1]);
    close(cl[0]);
    expect_exit(reap(pid), 0, "the blocked copy exited");

    /* E2BIG */
    static char big[200000];
    memset(big, 'a', sizeof big - 1);
    char *argv_big[] = {"x", big, NULL};
    EXPECT_ERRNO(IN_CHILD(execve(child, argv_big, envp)), E2BIG, "one argument longer than MAX_ARG_STRLEN");
    char *envp_big[] = {big, NULL};
    EXPECT_ERRNO(IN_CHILD(execve(child, argv, envp_big)), E2BIG, "one environment string longer than MAX_ARG_STRLEN");
    static char mid[100000];
    memset(mid, 'b', sizeof mid - 1);
    static char *many[100];
    for (int i = 0; i < 99; i++)
        many[i] = mid;
    many[99] = NULL;
    EXPECT_ERRNO(IN_CHILD(execve(child, many, envp)), E2BIG, "99 arguments of 100 KB (9.9 MB in all)");

    /* EFAULT */
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execve, (char *)8, argv, envp)), EFAULT, "a bad path pointer");
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execve, child, (char **)8, envp)), EFAULT, "a bad argv pointer");
    char *argv_bad[] = {"x", (char *)8, NULL};
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execve, child, argv_bad, envp)), EFAULT, "a bad pointer inside argv");
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execve, child, argv, (char **)8)), EFAULT, "a bad envp pointer");
    char *envp_bad[] = {"EXEC_MODE=args", (char *)8, NULL};
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execve, child, argv, envp_bad)), EFAULT, "a bad pointer inside envp");

    /* ENAMETOOLONG */
    static char longpath[5000];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    EXPECT_ERRNO(IN_CHILD(execve(longpath, argv, envp)), ENAMETOOLONG, "a path longer than PATH_MAX");
    char comp[300];
    memset(comp, 'c', sizeof comp - 1);
    comp[sizeof comp - 1] = 0;
    snprintf(p, sizeof p, "%s/%s", dir, comp);
    EXPECT_ERRNO(IN_CHILD(execve(p, argv, envp)), ENAMETOOLONG, "a component longer than NAME_MAX");

    /* ELOOP */
    symlink("loop", path_in("loop"));
    EXPECT_ERRNO(IN_CHILD(execve(path_in("loop"), argv, envp)), ELOOP, "a symlink pointing to itself");
    free(elf);
}

/* ------------------------------------------------------------ execveat / fexecve */

static void test_execveat(void)
{
    printf("-- execveat / fexecve\n");
    char *argv[] = {"via-fd", NULL};
    char *envp[] = {"EXEC_MODE=args", NULL};

    int fd = open(child, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open exec_child O_RDONLY|O_CLOEXEC");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        printf("FAIL execveat(fd, \"\", AT_EMPTY_PATH): %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "execveat(fd, \"\", AT_EMPTY_PATH) of an O_CLOEXEC fd");
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execveat, fd, "", argv, envp, 0)), ENOENT, "execveat(fd, \"\") without AT_EMPTY_PATH");
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH | 0x80000)), EINVAL,
                 "execveat with an unknown flag");
    close(fd);

    fd = open(child, O_PATH);
    CHECK(fd >= 0, "open exec_child O_PATH");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv2[] = {"via-o-path", NULL};
        syscall(SYS_execveat, fd, "", argv2, envp, AT_EMPTY_PATH);
        printf("FAIL execveat(O_PATH fd): %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "execveat of an O_PATH fd");
    close(fd);

    fd = open(child, O_RDONLY);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv2[] = {"via-fexecve", NULL};
        fexecve(fd, argv2, envp);
        printf("FAIL fexecve: %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "libc fexecve");
    close(fd);

    int dfd = open(childdir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open the build directory");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv2[] = {"via-dirfd", NULL};
        syscall(SYS_execveat, dfd, childbase, argv2, envp, 0);
        printf("FAIL execveat(dirfd, name): %s\n", errno_name(errno));
        _exit(127);
    }
    expect_exit(reap(pid), 0, "execveat(dirfd, relative name)");
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execveat, dfd, "", argv, envp, AT_EMPTY_PATH)), EACCES,
                 "execveat(AT_EMPTY_PATH) of a directory fd");
    close(dfd);
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execveat, 999, "", argv, envp, AT_EMPTY_PATH)), EBADF, "execveat of a closed fd");

    /* A script through an O_CLOEXEC fd: the interpreter could not open /dev/fd/N. */
    fd = open(path_in("script1"), O_RDONLY | O_CLOEXEC);
    EXPECT_ERRNO(IN_CHILD(syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH)), ENOENT,
                 "execveat of a #! script through an O_CLOEXEC fd");
    close(fd);
}

/* ------------------------------------------------------------ scripts */

static void make_script(const char *name, const char *line, mode_t mode)
{
    char text[PATH_MAX + 64];
    int n = snprintf(text, sizeof text, "%s\nthis is not shell\n", line);
    write_file(path_in(name), text, (size_t)n, mode);
}

static void test_scripts(void)
{
    printf("-- #! scripts\n");
    char line[PATH_MAX + 64];
    snprintf(line, sizeof line, "#!%s opt-arg", child);
    make_script("script1", line, 0755);
    snprintf(line, sizeof line, "#!%s", child);
    make_script("script2", line, 0755);
    snprintf(line, sizeof line, "#!  %s   spaced  arg \t ", child);
    make_script("script3", line, 0755);
    snprintf(line, sizeof line, "#!%s nested-opt", path_in("script1"));
    make_script("nested", line, 0755);
    snprintf(line, sizeof line, "#!%s", path_in("selfloop"));
    make_script("selfloop", line, 0755);
    make_script("badinterp", "#!/nonexistent/interpreter arg", 0755);
    snprintf(line, sizeof line, "#!%s", child);
    make_script("script_noexec", line, 0644);

    char *argv[] = {"script-argv0", "a1", "a 2", NULL};
    char *envp[] = {"EXEC_MODE=args", NULL};
    printf("script with one optional argument:\n");
    expect_exit(run(path_in("script1"), argv, envp), 0, "script1");
    printf("script without an argument:\n");
    expect_exit(run(path_in("script2"), argv, envp), 0, "script2");
    printf("script with spaces around and inside the argument:\n");
    expect_exit(run(path_in("script3"), argv, envp), 0, "script3");
    printf("script whose interpreter is a script:\n");
    expect_exit(run(path_in("nested"), argv, envp), 0, "nested");
    EXPECT_ERRNO(IN_CHILD(execve(path_in("selfloop"), argv, envp)), ELOOP, "a script that is its own interpreter");
    EXPECT_ERRNO(IN_CHILD(execve(path_in("badinterp"), argv, envp)), ENOENT, "a script with a missing interpreter");
    EXPECT_ERRNO(IN_CHILD(execve(path_in("script_noexec"), argv, envp)), EACCES, "a script without the x bit");
}

/* ------------------------------------------------------------ fds */

static void test_fds(void)
{
    printf("-- FD_CLOEXEC across exec\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int plain = open("/dev/null", O_RDONLY);
        int ocloexec = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int setfd = open("/dev/null", O_RDONLY);
        fcntl(setfd, F_SETFD, FD_CLOEXEC);
        int duped = dup(ocloexec); /* dup clears FD_CLOEXEC */
        int dupfd_cloexec = fcntl(plain, F_DUPFD_CLOEXEC, 20);
        int dup3_cloexec = dup3(plain, 30, O_CLOEXEC);
        int dup2_of_cloexec = dup2(ocloexec, 31);
        int cleared = open("/dev/null", O_RDONLY | O_CLOEXEC);
        fcntl(cleared, F_SETFD, 0);
        int p[2] = {-1, -1};
        pipe2(p, O_CLOEXEC);
        char spec[512], env[600];
        snprintf(spec, sizeof spec,
                 "plain:%d:open,O_CLOEXEC:%d:closed,F_SETFD:%d:closed,dup:%d:open,F_DUPFD_CLOEXEC:%d:closed,"
                 "dup3_O_CLOEXEC:%d:closed,dup2:%d:open,cleared:%d:open,pipe2_r:%d:closed,pipe2_w:%d:closed,"
                 "stdin:0:open,stdout:1:open,stderr:2:open",
                 plain, ocloexec, setfd, duped, dupfd_cloexec, dup3_cloexec, dup2_of_cloexec, cleared, p[0], p[1]);
        snprintf(env, sizeof env, "EXEC_FDS=%s", spec);
        char *argv[] = {"fds", NULL};
        char *envp[] = {"EXEC_MODE=fds", env, NULL};
        execve(child, argv, envp);
        _exit(127);
    }
    expect_exit(reap(pid), 0, "the fd checks");
}

/* ------------------------------------------------------------ signals */

static void on_usr1(int sig)
{
    (void)sig;
}

static void test_signals(void)
{
    printf("-- signals across exec\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        signal(SIGUSR2, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGTERM); /* stays pending */
        static char altstack[64 * 1024];
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        char *argv[] = {"signals", NULL};
        char *envp[] = {"EXEC_MODE=signals", NULL};
        execve(child, argv, envp);
        _exit(127);
    }
    expect_exit(reap(pid), 0, "the signal checks");
}

/* ------------------------------------------------------------ exec from a thread */

static volatile int spin_stop;
static char thread_child_env[2][64];

static void *spinner(void *arg)
{
    (void)arg;
    while (!spin_stop)
        ; /* spin without syscalls until exec kills us */
    return NULL;
}

static void *execer(void *arg)
{
    (void)arg;
    char *argv[] = {"from-thread", NULL};
    char *envp[] = {"EXEC_MODE=thread", thread_child_env[0], thread_child_env[1], NULL};
    execve(child, argv, envp);
    printf("FAIL execve from a thread: %s\n", errno_name(errno));
    fflush(stdout);
    _exit(127);
}

static void test_thread_exec(void)
{
    printf("-- exec from a non-leader thread\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        snprintf(thread_child_env[0], sizeof thread_child_env[0], "EXPECT_PID=%d", (int)getpid());
        snprintf(thread_child_env[1], sizeof thread_child_env[1], "EXPECT_PPID=%d", (int)getppid());
        pthread_t a, b, c;
        pthread_create(&a, NULL, spinner, NULL);
        pthread_create(&b, NULL, spinner, NULL);
        pthread_create(&c, NULL, execer, NULL);
        pthread_join(c, NULL); /* the exec replaces us while we wait here */
        _exit(126);
    }
    expect_exit(reap(pid), 0, "the process that exec'ed from a thread");
}

/* ------------------------------------------------------------ vfork + exec, setpgid after exec */

static void test_vfork_exec(void)
{
    printf("-- vfork + exec\n");
    int go[2] = {-1, -1};
    pipe(go);
    char fdenv[32];
    snprintf(fdenv, sizeof fdenv, "EXEC_FD=%d", go[0]);
    char *argv[] = {"blocked", NULL};
    char *envp[] = {"EXEC_MODE=block", fdenv, NULL};
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execve(child, argv, envp);
        _exit(127);
    }
    /* Here the child has exec'ed and blocks reading go[0]: the parent resumed at exec, not at exit. */
    CHECK(pid > 0, "vfork returned in the parent while the exec'ed child still runs");
    int st;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "the child is still running");
    write(go[1], "x", 1);
    expect_exit(reap(pid), 0, "the vfork+exec child");
    close(go[0]);
    close(go[1]);

    printf("-- setpgid after exec\n");
    int cl[2] = {-1, -1};
    pipe(go);
    pipe2(cl, O_CLOEXEC);
    snprintf(fdenv, sizeof fdenv, "EXEC_FD=%d", go[0]);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(cl[0]);
        execve(child, argv, envp);
        int e = errno;
        write(cl[1], &e, sizeof e);
        _exit(127);
    }
    close(cl[1]);
    CHECK(setpgid(pid, pid) == 0 || errno == EACCES, "setpgid(child) before or after its exec");
    int e;
    CHECK(read(cl[0], &e, sizeof e) == 0, "the close-on-exec pipe reports a successful exec (EOF)");
    EXPECT_ERRNO(setpgid(pid, pid), EACCES, "setpgid of a child that has exec'ed");
    write(go[1], "x", 1);
    expect_exit(reap(pid), 0, "the child");
    close(go[0]);
    close(go[1]);
    close(cl[0]);
}

/* ------------------------------------------------------------ posix_spawn */

static void test_posix_spawn(void)
{
    printf("-- posix_spawn\n");
    int p[2] = {-1, -1};
    pipe(p);
    int devnull = open("/dev/null", O_RDONLY);
    int extra = fcntl(devnull, F_DUPFD, 20); /* closed by a file action */
    close(devnull);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    posix_spawn_file_actions_addclose(&fa, extra);
    posix_spawn_file_actions_addopen(&fa, 5, path_in("spawn_out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char fdenv[128];
    snprintf(fdenv, sizeof fdenv, "EXEC_FDS=closed-by-action:%d:closed,pipe-read:%d:closed", extra, p[0]);
    char *argv[] = {"spawned", NULL};
    char *envp[] = {"EXEC_MODE=spawn", fdenv, NULL};
    pid_t pid = -1;
    fflush(stdout);
    int rc = posix_spawn(&pid, child, &fa, NULL, argv, envp);
    CHECK(rc == 0 && pid > 0, "posix_spawn with dup2/close/open file actions");
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    close(extra);
    char buf[1024];
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(p[0]);
    expect_exit(reap(pid), 0, "the spawned child");
    printf("child's stdout through the pipe:\n%s", buf);
    size_t flen = 0;
    char *file = read_file(path_in("spawn_out"), &flen);
    CHECK(file && flen == 16 && memcmp(file, "to fd 5, a file\n", 16) == 0, "fd 5 was opened on the file");
    free(file);

    /* a missing program: the error comes back as the return value, no child is left */
    pid = -1;
    rc = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv, envp);
    CHECK(rc == ENOENT, "posix_spawn of a missing program returns ENOENT (got %s)", errno_name(rc));
    int st;
    EXPECT_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD, "and leaves no child behind");

    /* a failing open action */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/dir/file", O_RDONLY, 0);
    rc = posix_spawn(&pid, child, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(rc == ENOENT, "posix_spawn with a failing open action returns ENOENT (got %s)", errno_name(rc));
    EXPECT_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD, "and leaves no child behind");

    /* attributes: a new process group */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *envp2[] = {"EXEC_MODE=pgrp", NULL};
    fflush(stdout);
    rc = posix_spawn(&pid, child, NULL, &at, argv, envp2);
    posix_spawnattr_destroy(&at);
    st = rc == 0 ? reap(pid) : -1; /* the child prints: our lines come after it */
    CHECK(rc == 0, "posix_spawn with POSIX_SPAWN_SETPGROUP");
    expect_exit(st, 0, "the child in its own group");

    /* posix_spawnp searches PATH (the caller's PATH) */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s:/nonexistent", childdir);
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", path, 1);
    char *envp3[] = {"EXEC_MODE=sys", NULL};
    char *argv3[] = {(char *)childbase, "found-on-PATH", "0", NULL};
    fflush(stdout);
    rc = posix_spawnp(&pid, childbase, NULL, NULL, argv3, envp3);
    st = rc == 0 ? reap(pid) : -1;
    CHECK(rc == 0, "posix_spawnp finds exec_child on PATH");
    expect_exit(st, 0, "the posix_spawnp child");
    if (saved) {
        setenv("PATH", saved, 1);
        free(saved);
    }
}

/* ------------------------------------------------------------ system */

static void test_system(void)
{
    printf("-- system\n");
    setenv("EXEC_MODE", "sys", 1);
    CHECK(system(NULL) != 0, "system(NULL): a shell is available");
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s hello 3", child);
    fflush(stdout);
    int st = system(cmd);
    expect_exit(st, 3, "system(\"exec_child hello 3\")");
    st = system("exit 7");
    expect_exit(st, 7, "system(\"exit 7\")");
    unsetenv("EXEC_MODE");
}

int main(int argc, char **argv)
{
    guest_line_buffered();
    if (argc < 3) {
        fprintf(stderr, "usage: exec_parent CHILD TAG\n");
        return 2;
    }
    child = argv[1];
    snprintf(dir, sizeof dir, "/tmp/emk_exec_%s", argv[2]);
    snprintf(childdir, sizeof childdir, "%s", child);
    char *slash = strrchr(childdir, '/');
    if (!slash) {
        fprintf(stderr, "CHILD must be a path\n");
        return 2;
    }
    *slash = 0;
    childbase = child + (slash - childdir) + 1;

    cleanup();
    CHECK(mkdir(dir, 0755) == 0, "scratch directory");
    test_basic();
    test_errors();
    test_scripts();
    test_execveat();
    test_fds();
    test_signals();
    test_thread_exec();
    test_vfork_exec();
    test_posix_spawn();
    test_system();
    cleanup();
    return guest_exit();
}
