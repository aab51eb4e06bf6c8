/*
 * strace_target: a program for strace to trace (tests/test_strace.py), one binary in several modes.
 *
 *   strace_target                 the scenario: a signal to itself with a handler; fork + exec of itself
 *                                 ("child") + wait4; a pthread that makes a few calls and forks a process
 *                                 that outlives it; a wait4 and a join
 *   strace_target child           what the scenario execs: one line, exit 3
 *   strace_target getpid          print what getpid() returned (42 under strace -e inject=getpid:retval=42)
 *   strace_target driver STRACE OUT
 *                                 the `strace -p` case in one process tree: fork a target that blocks on
 *                                 a pipe, run STRACE -o OUT -p TARGET, wait until strace says it attached,
 *                                 release the target, reap both
 *
 * The transcript (stdout, written with write(2) so the calls are plain in the trace) never holds pids,
 * addresses or times.
 *
 * strace -f prints the calls of concurrent tasks in whatever order they happen, so only each task's own
 * sequence of calls can be the same on every run.  This program makes every task's sequence independent of
 * timing: each task waits with calls whose result does not depend on whether the event came before or
 * after the call started (a pipe read, sigwaitinfo on a blocked signal, wait4), never with one that is
 * skipped when the event came first (pthread_join's futex wait is made unnecessary, see the thread part).
 * SIGCHLD is blocked throughout: a ptraced task stops for every signal it is sent, even an ignored one,
 * so an unblocked SIGCHLD would show up wherever the child happened to exit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void fail(const char *what)
{
    char buf[160];
    snprintf(buf, sizeof buf, "FAIL %s\n", what);
    say(buf);
    _exit(1);
}

static void on_usr1(int sig)
{
    (void)sig;
    say("handler: SIGUSR1\n");
}

static int ready[2]; /* the pdeath child tells the thread it is armed */
static int armed[2]; /* the thread tells the main thread that the child exists and is armed */
static int created[2]; /* the main thread tells the thread that pthread_create has returned */

/*
 * The thread forks a child that asks for SIGUSR2 when its parent (this thread) dies and waits for it.
 * The main thread waits (a pipe) until the child is armed, then for the child with wait4: when it returns, the thread has exited and the kernel
 * has already cleared its tid word (before it signals the children), so pthread_join returns without a
 * futex wait on every run.
 */
static void *thread_main(void *arg)
{
    (void)arg;
    say("thread: running\n");
    if (getppid() <= 0)
        fail("thread getppid");
    /* fork takes libc locks that pthread_create may still hold in the main thread (musl's thread list
     * lock): wait until it has returned, else the fork may or may not wait on a futex. */
    char c;
    if (read(created[0], &c, 1) != 1)
        fail("read created");
    pid_t pid = fork();
    if (pid < 0)
        fail("thread fork");
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGUSR2) != 0)
            fail("PR_SET_PDEATHSIG");
        if (write(ready[1], "r", 1) != 1)
            fail("write ready");
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        int sig = sigwaitinfo(&usr2, NULL);
        _exit(sig == SIGUSR2 ? 0 : 1);
    }
    if (read(ready[0], &c, 1) != 1)
        fail("read ready");
    if (write(armed[1], "a", 1) != 1)
        fail("write armed");
    say("thread: exiting\n");
    return NULL;
}

static int scenario(const char *self)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &block, NULL) != 0)
        fail("sigprocmask");
    say("main: start\n");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        fail("sigaction");
    if (kill(getpid(), SIGUSR1) != 0)
        fail("kill");
    say("main: handler returned\n");

    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        char *args[] = {(char *)self, "child", NULL};
        execv(self, args);
        _exit(127);
    }
    int st;
    if (wait4(pid, &st, 0, NULL) != pid)
        fail("wait4 child");
    say(WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "main: child exited 3\n" : "main: child ended oddly\n");

    if (pipe(ready) != 0 || pipe(armed) != 0 || pipe(created) != 0)
        fail("pipe");
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0)
        fail("pthread_create");
    if (write(created[1], "c", 1) != 1)
        fail("write created");
    char c;
    if (read(armed[0], &c, 1) != 1)
        fail("read armed");
    pid_t w = wait4(-1, &st, 0, NULL);
    if (w <= 0)
        fail("wait4 pdeath child");
    say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "main: the thread's child got SIGUSR2\n"
                                               : "main: the thread's child ended oddly\n");
    if (pthread_join(t, NULL) != 0)
        fail("pthread_join");
    say("main: joined\n");
    return 0;
}

static int child(void)
{
    say("child: exec'd\n");
    return 3;
}

static int print_getpid(void)
{
    char buf[64];
    long r = (long)getpid();
    snprintf(buf, sizeof buf, r == 42 ? "getpid() = 42\n" : "getpid() = a real pid\n");
    say(buf);
    return 0;
}

/* Copy what strace says on its stderr to our stdout with digits masked, up to and including the line that
 * says it attached (or all of it, when `until_attached` is 0).  Returns 1 when that line was seen. */
static int relay_strace_stderr(int fd, int until_attached)
{
    char line[512];
    size_t len = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (c >= '0' && c <= '9')
            c = 'N';
        if (len < sizeof line - 1)
            line[len++] = c;
        if (c != '\n')
            continue;
        line[len] = 0;
        say("strace stderr: ");
        say(line);
        int attached = strstr(line, " attached") != NULL;
        len = 0;
        if (until_attached && attached)
            return 1;
    }
    return 0;
}

/* The state letter of /proc/PID/stat ('R', 'S', 't', ...), or 0 when it cannot be read. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* Wait (polling, bounded: about 20 s) until the target sleeps: it is blocked in its read of the go pipe,
 * the only call it can sleep in.  The driver is never traced, so how often it polls is in no trace. */
static int wait_until_sleeping(pid_t pid)
{
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 20000; i++) {
        if (proc_state(pid) == 'S')
            return 1;
        nanosleep(&ms, NULL);
    }
    return 0;
}

/*
 * strace -p on a target blocked in read(go): strace seizes and interrupts it (both before it prints
 * "Process N attached"), the interrupted read is restarted under the tracer, so the trace starts with
 * the whole read.  Two waits make that the same on every run: the target is asleep in read before strace
 * starts (else the trace would begin somewhere in its start-up), and after the attach message the target
 * is asleep again before it is released (asleep again means asleep in the restarted, traced read: the
 * interrupt woke it before the message was printed; released earlier, the read could return the byte
 * without being restarted, and the trace would begin after it).
 */
static int driver(const char *strace, const char *out)
{
    int go[2], err[2];
    if (pipe(go) != 0 || pipe(err) != 0)
        fail("pipe");
    pid_t target = fork();
    if (target < 0)
        fail("fork target");
    if (target == 0) {
        /* Let any process trace us (Yama's ptrace_scope 1 otherwise allows only ancestors and root); an
         * error (no Yama) changes nothing, and strace is not attached yet, so the call is in no trace. */
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
        close(go[1]);
        close(err[0]);
        close(err[1]);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        say("target: released\n");
        _exit(getppid() > 0 ? 0 : 1);
    }
    close(go[0]);
    if (!wait_until_sleeping(target))
        say("driver: the target never blocked\n");
    char pidarg[32];
    snprintf(pidarg, sizeof pidarg, "%d", (int)target);
    pid_t tracer = fork();
    if (tracer < 0)
        fail("fork strace");
    if (tracer == 0) {
        close(go[1]);
        close(err[0]);
        dup2(err[1], 2);
        close(err[1]);
        char *args[] = {(char *)strace, "-o", (char *)out, "-p", pidarg, NULL};
        execv(strace, args);
        _exit(127);
    }
    close(err[1]);
    if (!relay_strace_stderr(err[0], 1))
        say("driver: strace never said it attached\n");
    if (!wait_until_sleeping(target))
        say("driver: the target never blocked again\n");
    if (write(go[1], "g", 1) != 1)
        fail("write go");
    int st;
    if (waitpid(target, &st, 0) != target)
        fail("waitpid target");
    say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "driver: target exited 0\n" : "driver: target ended oddly\n");
    if (waitpid(tracer, &st, 0) != tracer)
        fail("waitpid strace");
    relay_strace_stderr(err[0], 0);
    say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "driver: strace exited 0\n" : "driver: strace ended oddly\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    if (argc > 1 && strcmp(argv[1], "getpid") == 0)
        return print_getpid();
    if (argc > 3 && strcmp(argv[1], "driver") == 0)
        return driver(argv[2], argv[3]);
    if (argc > 1) {
        say("usage: strace_target [child | getpid | driver STRACE OUT]\n");
        return 2;
    }
    return scenario(argv[0]);
}
