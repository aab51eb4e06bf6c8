/*
 * pipes: pipe(2)/pipe2(2) between processes.
 *
 * Ping-pong between a parent and a child, a producer | filter | consumer
 * pipeline built with fork + dup2, EOF once the last writer is gone, EPIPE
 * and SIGPIPE, the pipe2 flags, O_NONBLOCK and EAGAIN, F_GETPIPE_SZ and
 * F_SETPIPE_SZ, PIPE_BUF atomicity with several writers, and poll().
 */
#include "guest.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got ? (ssize_t)got : r;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int reap(pid_t pid)
{
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* ------------------------------------------------------------ ping-pong */

#define ROUNDS 200

static void test_pingpong(void)
{
    printf("-- ping-pong\n");
    int to_child[2] = {-1, -1}, to_parent[2] = {-1, -1};
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "two pipes");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        uint32_t v;
        while (read_full(to_child[0], &v, sizeof v) == sizeof v) {
            v = v * 3 + 1;
            write(to_parent[1], &v, sizeof v);
        }
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    uint32_t v = 1, expect = 1;
    int ok = 1;
    for (int i = 0; i < ROUNDS; i++) {
        uint32_t send = v + (uint32_t)i;
        write(to_child[1], &send, sizeof send);
        if (read_full(to_parent[0], &v, sizeof v) != sizeof v) {
            ok = 0;
            break;
        }
        expect = send * 3 + 1;
        ok &= v == expect;
    }
    close(to_child[1]); /* EOF ends the child's loop */
    int st = reap(pid);
    CHECK(ok, "%d round trips, final value %u", ROUNDS, v);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw EOF and exited: %s", status_str(st));
    char c;
    CHECK(read(to_parent[0], &c, 1) == 0, "read after the child exited: EOF");
    close(to_parent[0]);
}

/* ------------------------------------------------------------ pipeline */

#define LINES 300

static void test_pipeline(void)
{
    printf("-- producer | filter | consumer\n");
    int p1[2] = {-1, -1}, p2[2] = {-1, -1};
    pipe(p1);
    pipe(p2);
    fflush(stdout);
    pid_t prod = fork();
    if (prod == 0) {
        dup2(p1[1], 1);
        close(p1[0]);
        close(p1[1]);
        close(p2[0]);
        close(p2[1]);
        for (int i = 0; i < LINES; i++)
            printf("line %d %s\n", i, (i % 3) ? "keep" : "drop");
        fflush(stdout);
        _exit(0);
    }
    pid_t filt = fork();
    if (filt == 0) {
        dup2(p1[0], 0);
        dup2(p2[1], 1);
        close(p1[0]);
        close(p1[1]);
        close(p2[0]);
        close(p2[1]);
        char line[128];
        int kept = 0;
        while (fgets(line, sizeof line, stdin)) {
            if (strstr(line, "keep")) {
                for (char *p = line; *p; p++)
                    if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 'a' + 'A');
                fputs(line, stdout);
                kept++;
            }
        }
        fflush(stdout);
        _exit(kept == LINES - (LINES + 2) / 3 ? 0 : 1);
    }
    pid_t cons = fork();
    if (cons == 0) {
        dup2(p2[0], 0);
        close(p1[0]);
        close(p1[1]);
        close(p2[0]);
        close(p2[1]);
        char line[128];
        long count = 0, sum = 0;
        int upper = 1;
        while (fgets(line, sizeof line, stdin)) {
            int n;
            if (sscanf(line, "LINE %d KEEP", &n) == 1)
                sum += n;
            else
                upper = 0;
            count++;
        }
        printf("consumer: %ld lines, sum %ld, all filtered: %s\n", count, sum, upper ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    close(p1[0]);
    close(p1[1]);
    close(p2[0]);
    close(p2[1]);
    int s1 = reap(prod), s2 = reap(filt), s3 = reap(cons);
    printf("producer %s, filter ", status_str(s1));
    printf("%s, consumer ", status_str(s2));
    printf("%s\n", status_str(s3));
}

/* ------------------------------------------------------------ EOF */

static void test_eof(void)
{
    printf("-- EOF\n");
    int p[2] = {-1, -1};
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        write(p[1], "abc", 3);
        _exit(0);
    }
    close(p[1]);
    char buf[16];
    ssize_t n = read_full(p[0], buf, 3);
    CHECK(n == 3 && memcmp(buf, "abc", 3) == 0, "read the child's 3 bytes");
    CHECK(read(p[0], buf, sizeof buf) == 0, "then EOF: the only writer exited");
    CHECK(read(p[0], buf, sizeof buf) == 0, "EOF again");
    close(p[0]);
    reap(pid);

    /* Two writers: EOF only after both are closed. */
    pipe(p);
    int w2 = dup(p[1]);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    write(w2, "z", 1);
    CHECK(read(p[0], buf, sizeof buf) == 1, "read through a dup'ed write end");
    EXPECT_ERRNO(read(p[0], buf, sizeof buf), EAGAIN, "empty, a writer still open: EAGAIN, not EOF");
    close(w2);
    CHECK(read(p[0], buf, sizeof buf) == 0, "last writer closed: EOF (even with O_NONBLOCK)");
    close(p[0]);

    /* A writer in a child that is blocked: EOF comes when the child is killed. */
    pipe(p);
    int go[2] = {-1, -1};
    pipe(go);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(p[0]);
        char c;
        read(go[0], &c, 1); /* blocks until killed */
        _exit(0);
    }
    close(go[0]);
    close(p[1]);
    kill(pid, SIGKILL);
    CHECK(read(p[0], buf, sizeof buf) == 0, "EOF once the writing child was killed");
    int st = reap(pid);
    CHECK(WIFSIGNALED(st), "that child was %s", status_str(st));
    close(p[0]);
    close(go[1]);
}

/* ------------------------------------------------------------ EPIPE / SIGPIPE */

static void test_epipe(void)
{
    printf("-- EPIPE and SIGPIPE\n");
    int p[2] = {-1, -1};
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    EXPECT_ERRNO(write(p[1], "x", 1), EPIPE, "write with no reader, SIGPIPE ignored");
    CHECK(write(p[1], "", 0) == 0, "a zero-length write with no reader returns 0");
    close(p[1]);

    /* With SIGPIPE blocked the write fails too and the signal stays pending. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    pipe(p);
    close(p[0]);
    EXPECT_ERRNO(write(p[1], "x", 1), EPIPE, "write with no reader, SIGPIPE blocked");
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGPIPE), "SIGPIPE is pending");
    signal(SIGPIPE, SIG_IGN); /* discards the pending one */
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGPIPE), "ignoring it discards the pending SIGPIPE");
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(p[1]);

    /* Default action: the writer is killed by SIGPIPE. */
    pipe(p);
    close(p[0]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(p[1], "x", 1);
        _exit(3); /* not reached */
    }
    close(p[1]);
    int st = reap(pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "a writer with SIGPIPE default: %s", status_str(st));
}

/* ------------------------------------------------------------ flags */

static void test_flags(void)
{
    printf("-- pipe2 flags\n");
    int p[2] = {-1, -1};
    CHECK(pipe(p) == 0, "pipe");
    CHECK(fcntl(p[0], F_GETFD) == 0 && fcntl(p[1], F_GETFD) == 0, "pipe: no FD_CLOEXEC");
    int fl0 = fcntl(p[0], F_GETFL), fl1 = fcntl(p[1], F_GETFL);
    printf("pipe: read end %s, write end %s, O_NONBLOCK %d/%d\n", (fl0 & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "?",
           (fl1 & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "?", !!(fl0 & O_NONBLOCK), !!(fl1 & O_NONBLOCK));
    close(p[0]);
    close(p[1]);

    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2(O_CLOEXEC)");
    CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC, "both ends FD_CLOEXEC");
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK), "but not O_NONBLOCK");
    close(p[0]);
    close(p[1]);

    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2(O_NONBLOCK)");
    CHECK((fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK), "both ends O_NONBLOCK");
    CHECK(fcntl(p[0], F_GETFD) == 0, "but not FD_CLOEXEC");
    char buf[8];
    EXPECT_ERRNO(read(p[0], buf, sizeof buf), EAGAIN, "read of an empty O_NONBLOCK pipe");
    static char chunk[4096];
    long total = 0;
    int err;
    for (;;) {
        ssize_t n = write(p[1], chunk, sizeof chunk);
        err = errno;
        if (n < 0)
            break;
        total += n;
    }
    CHECK(err == EAGAIN, "writing until full ends in EAGAIN");
    CHECK_EQ(total, 65536, "a pipe holds 64 KiB by default");
    EXPECT_ERRNO(write(p[1], "x", 1), EAGAIN, "even one byte does not fit");
    CHECK(read(p[0], buf, 1) == 1, "read one byte");
    EXPECT_ERRNO(write(p[1], chunk, 2), EAGAIN,
                 "after reading 1 byte of a full pipe a 2-byte write still does not fit (space is freed by pages)");
    CHECK(read_full(p[0], chunk, 4095) == 4095, "read the rest of the first page");
    CHECK(write(p[1], chunk, 2) == 2, "now a 2-byte write fits");
    close(p[0]);
    close(p[1]);

    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2(O_CLOEXEC|O_NONBLOCK)");
    CHECK(fcntl(p[1], F_GETFD) == FD_CLOEXEC && (fcntl(p[1], F_GETFL) & O_NONBLOCK), "both flags");
    CHECK(fcntl(p[0], F_SETFL, 0) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK), "F_SETFL clears O_NONBLOCK");
    CHECK(fcntl(p[0], F_SETFD, 0) == 0 && fcntl(p[0], F_GETFD) == 0, "F_SETFD clears FD_CLOEXEC");
    close(p[0]);
    close(p[1]);
    EXPECT_ERRNO(pipe2(p, O_APPEND), EINVAL, "pipe2 with O_APPEND");
    EXPECT_ERRNO(pipe2(p, 0x40000000), EINVAL, "pipe2 with an unknown flag");
    EXPECT_ERRNO(syscall(SYS_pipe2, (int *)8, 0), EFAULT, "pipe to a bad pointer");
    pipe(p);
    EXPECT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE, "lseek on a pipe");
    EXPECT_ERRNO(pread(p[0], chunk, 1, 0), ESPIPE, "pread on a pipe");
    close(p[0]);
    close(p[1]);
}

/* ------------------------------------------------------------ pipe size */

static void test_size(void)
{
    printf("-- F_GETPIPE_SZ / F_SETPIPE_SZ\n");
    int p[2] = {-1, -1};
    pipe2(p, O_NONBLOCK);
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536, "F_GETPIPE_SZ is 65536");
    CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536, "on the write end too");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096, "F_SETPIPE_SZ 4096");
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 4096, "reads back 4096 on the other end");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192, "F_SETPIPE_SZ 5000 rounds up to 8192");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096, "F_SETPIPE_SZ 1 gives one page");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096, "F_SETPIPE_SZ 0 gives one page");
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 100000), 131072, "F_SETPIPE_SZ 100000 rounds up to 131072");
    static char chunk[4096];
    long total = 0;
    for (;;) {
        ssize_t n = write(p[1], chunk, sizeof chunk);
        if (n < 0)
            break;
        total += n;
    }
    CHECK_EQ(total, 131072, "the bigger pipe holds 131072 bytes");
    EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 65536), EBUSY, "shrinking below the contents");
    EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL, "F_SETPIPE_SZ -1");
    int notpipe = open("/dev/null", O_RDONLY);
    EXPECT_ERRNO(fcntl(notpipe, F_GETPIPE_SZ), EBADF, "F_GETPIPE_SZ on /dev/null");
    close(notpipe);
    close(p[0]);
    close(p[1]);
}

/* ------------------------------------------------------------ PIPE_BUF */

#define WRITERS 4
#define MSGS 24

static void test_atomic(void)
{
    printf("-- PIPE_BUF atomic writes\n");
    CHECK_EQ(PIPE_BUF, 4096, "PIPE_BUF is 4096");
    int p[2] = {-1, -1};
    pipe(p);
    pid_t pids[WRITERS];
    fflush(stdout);
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            close(p[0]);
            static char msg[PIPE_BUF];
            memset(msg, 'A' + w, sizeof msg);
            for (int i = 0; i < MSGS; i++)
                if (write(p[1], msg, sizeof msg) != sizeof msg)
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    static char block[PIPE_BUF];
    int counts[WRITERS] = {0}, torn = 0, blocks = 0;
    ssize_t n;
    while ((n = read_full(p[0], block, sizeof block)) == sizeof block) {
        blocks++;
        int w = block[0] - 'A';
        if (w < 0 || w >= WRITERS) {
            torn++;
            continue;
        }
        for (size_t k = 1; k < sizeof block; k++)
            if (block[k] != block[0]) {
                torn++;
                break;
            }
        counts[w]++;
    }
    CHECK(n == 0, "EOF after every writer exited");
    CHECK_EQ(blocks, WRITERS * MSGS, "blocks read");
    CHECK_EQ(torn, 0, "no message was interleaved with another");
    int ok = 1, exits = 1;
    for (int w = 0; w < WRITERS; w++) {
        ok &= counts[w] == MSGS;
        int st = reap(pids[w]);
        exits &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    CHECK(ok, "%d messages from each of %d writers", MSGS, WRITERS);
    CHECK(exits, "all writers exited 0");
    close(p[0]);
}

/* ------------------------------------------------------------ poll */

static const char *revents(short r)
{
    static char buf[64];
    buf[0] = 0;
    if (r & POLLIN)
        strcat(buf, "IN|");
    if (r & POLLOUT)
        strcat(buf, "OUT|");
    if (r & POLLHUP)
        strcat(buf, "HUP|");
    if (r & POLLERR)
        strcat(buf, "ERR|");
    if (r & POLLNVAL)
        strcat(buf, "NVAL|");
    size_t n = strlen(buf);
    if (n)
        buf[n - 1] = 0;
    else
        strcpy(buf, "none");
    return buf;
}

static void show_poll(const char *what, int fd, short events)
{
    struct pollfd pfd = {fd, events, 0};
    int n = poll(&pfd, 1, 0);
    printf("poll %s: %d ready, revents %s\n", what, n, revents(pfd.revents));
}

static void test_poll(void)
{
    printf("-- poll\n");
    int p[2] = {-1, -1};
    pipe(p);
    show_poll("empty pipe, read end, POLLIN", p[0], POLLIN);
    show_poll("empty pipe, write end, POLLOUT", p[1], POLLOUT);
    show_poll("empty pipe, write end, POLLIN", p[1], POLLIN);
    write(p[1], "hi", 2);
    show_poll("after a write, read end", p[0], POLLIN | POLLOUT);
    close(p[1]);
    show_poll("writer closed, data left", p[0], POLLIN);
    char buf[4];
    read(p[0], buf, sizeof buf);
    show_poll("writer closed, drained", p[0], POLLIN);
    show_poll("writer closed, drained, no events asked", p[0], 0);
    close(p[0]);

    pipe(p);
    close(p[0]);
    show_poll("reader closed, write end", p[1], POLLOUT);
    close(p[1]);
    show_poll("a closed fd", p[1], POLLIN);
    show_poll("a negative fd", -1, POLLIN);

    /* Full pipe: no POLLOUT. */
    pipe2(p, O_NONBLOCK);
    static char chunk[4096];
    while (write(p[1], chunk, sizeof chunk) > 0)
        ;
    show_poll("full pipe, write end", p[1], POLLOUT);
    close(p[0]);
    close(p[1]);

    /* A blocking poll woken by a child's write; then by a child's exit (HUP). */
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        write(p[1], "!", 1);
        _exit(0);
    }
    close(p[1]);
    struct pollfd pfd = {p[0], POLLIN, 0};
    int n = poll(&pfd, 1, -1);
    CHECK(n == 1 && (pfd.revents & POLLIN), "blocking poll woken by the child's write");
    reap(pid);
    read(p[0], buf, 1);
    pfd.revents = 0;
    n = poll(&pfd, 1, -1);
    CHECK(n == 1 && pfd.revents == POLLHUP, "then POLLHUP alone: %s", revents(pfd.revents));
    close(p[0]);

    /* Two pipes, one ready. */
    int a[2] = {-1, -1}, b[2] = {-1, -1};
    pipe(a);
    pipe(b);
    write(b[1], "x", 1);
    struct pollfd two[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};
    n = poll(two, 2, 0);
    CHECK(n == 1 && two[0].revents == 0 && two[1].revents == POLLIN, "poll of two pipes: only the second ready");
    n = poll(two, 2, 5);
    CHECK(n == 1, "with a short timeout too");
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    n = poll(NULL, 0, 1);
    CHECK(n == 0, "poll of nothing with a 1 ms timeout returns 0");
}

int main(void)
{
    guest_line_buffered();
    test_pingpong();
    test_pipeline();
    test_eof();
    test_epipe();
    test_flags();
    test_size();
    test_atomic();
    test_poll();
    return guest_exit();
}
