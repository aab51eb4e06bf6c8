/* bench_signal MODE N:
 *   self      N times kill(getpid(), SIGUSR1): the handler runs, then rt_sigreturn (per signal)
 *   sigqueue  N times sigqueue(getpid(), SIGUSR1, i) to an SA_SIGINFO handler that adds si_value (per signal)
 *   pingpong  N round trips between parent and child: the parent sends SIGUSR1 and waits for SIGUSR2 with
 *             sigwaitinfo, the child the other way round (both signals blocked; natively pinned to one CPU) */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long handled;
static volatile long value_sum;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void on_usr1_info(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code == SI_QUEUE)
        value_sum += si->si_value.sival_int;
    handled++;
}

static int self(long n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t me = getpid();
    for (long i = 0; i < n; i++)
        kill(me, SIGUSR1);
    return handled == n;
}

static int queue(long n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t me = getpid();
    long want = 0;
    for (long i = 0; i < n; i++) {
        union sigval v = {.sival_int = (int)(i & 0xffff)};
        want += i & 0xffff;
        sigqueue(me, SIGUSR1, v);
    }
    return handled == n && value_sum == want;
}

static int pingpong(long n)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    sigset_t both, usr1, usr2;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, NULL); /* before fork: no signal is lost */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        for (long i = 0; i < n; i++) {
            if (sigwaitinfo(&usr1, NULL) != SIGUSR1)
                _exit(1);
            kill(parent, SIGUSR2);
        }
        _exit(0);
    }
    long bad = 0;
    for (long i = 0; i < n; i++) {
        kill(pid, SIGUSR1);
        if (sigwaitinfo(&usr2, NULL) != SIGUSR2)
            bad++;
    }
    int st;
    waitpid(pid, &st, 0);
    return !bad && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_signal self|sigqueue|pingpong N\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 0);
    int ok;
    if (strcmp(argv[1], "self") == 0)
        ok = self(n);
    else if (strcmp(argv[1], "sigqueue") == 0)
        ok = queue(n);
    else
        ok = pingpong(n);
    printf(ok ? "done\n" : "FAIL %s\n", argv[1]);
    return ok ? 0 : 1;
}
