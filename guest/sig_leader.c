/*
 * sig_leader: signals to a process whose main thread has exited.
 *
 * The main thread of a child process holds a robust mutex and calls
 * pthread_exit: the leader is a zombie while another thread lives.  The
 * surviving thread learns the leader is gone from the robust futex
 * (EOWNERDEAD, set by the kernel at the leader's exit), then the parent sends
 * kill(child, SIGUSR1): the handler runs in the surviving, non-leader thread
 * (gettid() != getpid()).  The process is not waitable until its last thread
 * exits; getpid() in the survivor is still the process id.
 */
#include "guest.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t robust;
static int to_parent[2], from_parent[2];
static volatile pid_t handler_tid, handler_pid;
static volatile int handler_runs;
static pid_t leader_tid;

static void h_usr1(int sig)
{
    (void)sig;
    handler_tid = (pid_t)syscall(SYS_gettid);
    handler_pid = getpid();
    handler_runs++;
}

static void say(const char *s)
{
    write(to_parent[1], s, strlen(s));
}

static void *survivor(void *arg)
{
    (void)arg;
    char buf[256];
    int rc = pthread_mutex_lock(&robust); /* returns once the leader has exited */
    snprintf(buf, sizeof buf, "survivor: mutex lock -> %s\n", rc == EOWNERDEAD ? "EOWNERDEAD" : errno_name(rc));
    say(buf);
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);

    pid_t me = (pid_t)syscall(SYS_gettid);
    snprintf(buf, sizeof buf, "survivor: getpid() == the leader's tid: %d, gettid() != getpid(): %d\n",
             getpid() == leader_tid, me != getpid());
    say(buf);
    /* a tgkill of the dead leader itself */
    long tg = syscall(SYS_tgkill, (long)getpid(), (long)leader_tid, 0);
    snprintf(buf, sizeof buf, "survivor: tgkill(leader, 0) -> %s\n", tg == 0 ? "0" : errno_name(errno));
    say(buf);
    say("\001"); /* ready: the parent may send its signal */

    char c;
    long n;
    while ((n = read(from_parent[0], &c, 1)) < 0 && errno == EINTR)
        ;
    snprintf(buf, sizeof buf, "survivor: handler ran %d time(s); in this thread: %d; non-leader thread "
             "(gettid != getpid): %d; its getpid() == the leader's tid: %d\n",
             handler_runs, handler_tid == me, handler_tid != handler_pid, handler_pid == leader_tid);
    say(buf);
    say("\002");
    while ((n = read(from_parent[0], &c, 1)) < 0 && errno == EINTR)
        ;
    exit(c); /* exit_group from the survivor */
}

/* Read the child's report up to the marker byte and print it. */
static void relay_until(char marker)
{
    char c;
    char line[512];
    size_t n = 0;
    while (read(to_parent[0], &c, 1) == 1) {
        if (c == marker)
            break;
        if (n < sizeof line - 1)
            line[n++] = c;
        if (c == '\n') {
            line[n] = 0;
            fputs(line, stdout);
            n = 0;
        }
    }
}

int main(void)
{
    guest_line_buffered();
    pipe(to_parent);
    pipe(from_parent);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        leader_tid = (pid_t)syscall(SYS_gettid);
        signal(SIGUSR1, h_usr1);
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&robust, &a);
        pthread_mutex_lock(&robust);
        pthread_t t;
        pthread_create(&t, NULL, survivor, NULL);
        pthread_exit(NULL); /* the leader goes, holding the mutex */
    }
    relay_until(1);
    int st = 0;
    int w = waitpid(pid, &st, WNOHANG);
    printf("parent: waitpid(WNOHANG) while a thread lives: %d\n", w);
    CHECK(kill(pid, 0) == 0, "parent: kill(child, 0) with a zombie leader");
    CHECK(kill(pid, SIGUSR1) == 0, "parent: kill(child, SIGUSR1)");
    write(from_parent[1], "x", 1);
    relay_until(2);
    write(from_parent[1], "\x06", 1);
    waitpid(pid, &st, 0);
    printf("parent: child %s\n", status_str(st));
    return guest_exit();
}
