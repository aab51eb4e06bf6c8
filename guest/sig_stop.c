/*
 * sig_stop: job control signals.
 *
 * SIGSTOP/SIGCONT of a child seen by waitpid (WUNTRACED, WCONTINUED) and
 * waitid (WSTOPPED, WCONTINUED, WNOWAIT) and by the SIGCHLD siginfo the parent
 * gets (CLD_STOPPED, CLD_CONTINUED), which SA_NOCLDSTOP suppresses; a group
 * stop of a 4-thread process whose threads block in read and futex wait (no
 * thread runs while stopped; their calls are restarted, not broken); SIGCONT
 * resumes a child that blocks or ignores it; other signals wait for the
 * continue; SIGKILL ends a stopped process; a stop signal discards a pending
 * SIGCONT and SIGCONT discards pending stop signals.
 *
 * The parent keeps SIGCHLD blocked and takes each notification with
 * sigwaitinfo, so nothing depends on timing.
 */
#include "guest.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *cld_name(int code)
{
    static char buf[16];
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    case CLD_TRAPPED: return "CLD_TRAPPED";
    }
    snprintf(buf, sizeof buf, "code%d", code);
    return buf;
}

static sigset_t chld_set;

/* Take the next SIGCHLD (blocked) and describe it. */
static void take_chld(const char *what, pid_t child)
{
    siginfo_t si;
    int sig = sigwaitinfo(&chld_set, &si);
    printf("  %s: SIGCHLD %s: %s status=%s pid%s\n", what, sig == SIGCHLD ? "taken" : "??",
           cld_name(si.si_code), si.si_code == CLD_EXITED ? "exit" : signal_name(si.si_status),
           si.si_pid == child ? "==child" : "!=child");
}

static int chld_pending(void)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, SIGCHLD);
}

static void short_pause(void)
{
    struct timespec ts = {0, 2000000}; /* 2 ms: let children reach their blocking calls */
    nanosleep(&ts, NULL);
}

/* A child that blocks reading a pipe until the parent writes a byte, then exits with the byte. */
static pid_t reader_child(int fds[2], void (*setup)(void))
{
    pipe(fds);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        if (setup)
            setup();
        char c = 0;
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(c);
    }
    close(fds[0]);
    return pid;
}

/* ------------------------------------------------------------ waitpid and waitid */

static void test_wait_reports(void)
{
    printf("-- SIGSTOP/SIGCONT seen by waitpid and waitid\n");
    int fds[2], st;
    pid_t pid = reader_child(fds, NULL);

    kill(pid, SIGSTOP);
    take_chld("SIGSTOP", pid);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc = waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOWAIT);
    printf("  waitid(WSTOPPED|WNOWAIT): rc=%d signo=%s code=%s status=%s pid%s\n", rc, signal_name(si.si_signo),
           cld_name(si.si_code), signal_name(si.si_status), si.si_pid == pid ? "==child" : "!=child");
    rc = waitpid(pid, &st, WUNTRACED | WNOHANG);
    printf("  waitpid(WUNTRACED) after WNOWAIT: %s %s\n", rc == pid ? "child" : "nothing", status_str(st));
    rc = waitpid(pid, &st, WUNTRACED | WNOHANG);
    printf("  waitpid(WUNTRACED|WNOHANG) again: %d\n", rc);
    memset(&si, 0, sizeof si);
    rc = waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG);
    printf("  waitid(WSTOPPED|WNOHANG) after it was consumed: rc=%d si_pid=%d\n", rc, si.si_pid);
    rc = waitpid(pid, &st, WNOHANG);
    printf("  waitpid(0) does not report stops: %d\n", rc);

    kill(pid, SIGCONT);
    take_chld("SIGCONT", pid);
    memset(&si, 0, sizeof si);
    rc = waitid(P_PID, (id_t)pid, &si, WCONTINUED);
    printf("  waitid(WCONTINUED): rc=%d code=%s status=%s pid%s\n", rc, cld_name(si.si_code),
           signal_name(si.si_status), si.si_pid == pid ? "==child" : "!=child");
    rc = waitpid(pid, &st, WCONTINUED | WNOHANG);
    printf("  waitpid(WCONTINUED|WNOHANG) after waitid consumed it: %d\n", rc);

    /* stop again and take it with waitpid; continue and take it with waitpid */
    kill(pid, SIGSTOP);
    take_chld("SIGSTOP again", pid);
    rc = waitpid(pid, &st, WUNTRACED);
    printf("  waitpid(WUNTRACED): %s WIFSTOPPED=%d WSTOPSIG=%s\n", status_str(st), WIFSTOPPED(st),
           signal_name(WSTOPSIG(st)));
    /* a second SIGSTOP of a stopped process changes nothing */
    kill(pid, SIGSTOP);
    rc = waitpid(pid, &st, WUNTRACED | WNOHANG);
    printf("  SIGSTOP to a stopped child: waitpid(WUNTRACED|WNOHANG)=%d, SIGCHLD pending=%d\n", rc,
           chld_pending());
    kill(pid, SIGCONT);
    take_chld("SIGCONT again", pid);
    rc = waitpid(pid, &st, WCONTINUED);
    printf("  waitpid(WCONTINUED): %s WIFCONTINUED=%d\n", status_str(st), WIFCONTINUED(st));
    /* SIGCONT to a running process: no report */
    kill(pid, SIGCONT);
    rc = waitpid(pid, &st, WCONTINUED | WNOHANG);
    printf("  SIGCONT to a running child: waitpid(WCONTINUED|WNOHANG)=%d, SIGCHLD pending=%d\n", rc,
           chld_pending());

    write(fds[1], "\x05", 1);
    take_chld("exit", pid);
    waitpid(pid, &st, 0);
    printf("  child: %s\n", status_str(st));
    close(fds[1]);

    /* a stopped child killed */
    pid = reader_child(fds, NULL);
    kill(pid, SIGSTOP);
    take_chld("SIGSTOP", pid);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGKILL);
    take_chld("SIGKILL while stopped", pid);
    waitpid(pid, &st, 0);
    printf("  child: %s\n", status_str(st));
    close(fds[1]);
}

/* ------------------------------------------------------------ SA_NOCLDSTOP */

static void test_nocldstop(void)
{
    printf("-- SA_NOCLDSTOP\n");
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &old);
    int fds[2], st;
    pid_t pid = reader_child(fds, NULL);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    printf("  %s; SIGCHLD pending=%d\n", status_str(st), chld_pending());
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    printf("  %s\n", status_str(st));
    kill(pid, SIGKILL);
    /* the only SIGCHLD is the exit's: a continue notification would have been coalesced with it */
    take_chld("first SIGCHLD after stop, continue and kill", pid);
    waitpid(pid, &st, 0);
    printf("  child: %s\n", status_str(st));
    close(fds[1]);
    sigaction(SIGCHLD, &old, NULL);
}

/* ------------------------------------------------------------ group stop of 4 threads */

struct shared {
    uint32_t started;
    uint32_t done;
    uint32_t fword;
    int32_t results[4];
};
static struct shared *sh;
static int tpipes[4][2];

static void *stop_thread(void *arg)
{
    int i = (int)(intptr_t)arg;
    long rc;
    __atomic_add_fetch(&sh->started, 1, __ATOMIC_SEQ_CST);
    if (i == 3) {
        /* shared (not private) futex: the parent wakes it */
        rc = syscall(SYS_futex, &sh->fword, FUTEX_WAIT, 0, NULL, NULL, 0);
        sh->results[i] = rc == 0 ? 0 : -errno;
    } else {
        char c;
        rc = read(tpipes[i][0], &c, 1);
        sh->results[i] = rc == 1 ? c : -errno;
    }
    __atomic_add_fetch(&sh->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_group_stop(void)
{
    printf("-- group stop of a 4-thread process\n");
    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(sh, 0, sizeof *sh);
    int go[2];
    pipe(go);
    for (int i = 0; i < 4; i++)
        pipe(tpipes[i]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t th[3];
        for (int i = 1; i < 4; i++)
            pthread_create(&th[i - 1], NULL, stop_thread, (void *)(intptr_t)i);
        stop_thread((void *)0); /* the main thread is thread 0 */
        for (int i = 1; i < 4; i++)
            pthread_join(th[i - 1], NULL);
        char c;
        read(go[0], &c, 1); /* exit only when the parent has taken the continue notification */
        _exit(0);
    }
    while (__atomic_load_n(&sh->started, __ATOMIC_SEQ_CST) < 4)
        sched_yield();
    short_pause();

    int st;
    kill(pid, SIGSTOP);
    take_chld("SIGSTOP", pid);
    waitpid(pid, &st, WUNTRACED);
    printf("  %s\n", status_str(st));
    /* feed every thread while the group is stopped: none may run */
    for (int i = 0; i < 3; i++)
        write(tpipes[i][1], "abc" + i, 1);
    __atomic_store_n(&sh->fword, 1, __ATOMIC_SEQ_CST);
    long woken = syscall(SYS_futex, &sh->fword, FUTEX_WAKE, 1, NULL, NULL, 0);
    for (int i = 0; i < 20; i++)
        sched_yield();
    short_pause();
    printf("  while stopped: futex wake woke %ld, threads that finished: %u\n", woken,
           __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST));

    kill(pid, SIGCONT);
    take_chld("SIGCONT", pid);
    waitpid(pid, &st, WCONTINUED);
    printf("  %s\n", status_str(st));
    write(go[1], "g", 1);
    take_chld("exit", pid);
    waitpid(pid, &st, 0);
    printf("  child: %s; threads that finished: %u\n", status_str(st), sh->done);
    close(go[0]);
    close(go[1]);
    for (int i = 0; i < 3; i++)
        printf("  thread %d: read returned '%c'\n", i, sh->results[i] > 0 ? sh->results[i] : '?');
    printf("  thread 3: futex wait returned %s (restarted after the word changed)\n",
           errno_name(-sh->results[3]));
    for (int i = 0; i < 4; i++) {
        close(tpipes[i][0]);
        close(tpipes[i][1]);
    }
    munmap(sh, 4096);
}

/* ------------------------------------------------------------ SIGCONT blocked, ignored, handled */

static volatile int usr1_count, cont_count;
static void h_usr1(int s)
{
    (void)s;
    usr1_count++;
}
static void h_cont(int s)
{
    (void)s;
    cont_count++;
}

static int child_mode;
static void cont_setup(void)
{
    signal(SIGUSR1, h_usr1);
    if (child_mode == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGCONT);
        sigprocmask(SIG_BLOCK, &s, NULL);
    } else if (child_mode == 1) {
        signal(SIGCONT, SIG_IGN);
    } else {
        signal(SIGCONT, h_cont);
    }
}

/* A child for the SIGCONT cases: reports after the parent's byte, then exits. */
static void test_cont_modes(void)
{
    printf("-- SIGCONT resumes a child that blocks, ignores or handles it\n");
    const char *names[] = {"blocked", "ignored", "handled"};
    for (child_mode = 0; child_mode < 3; child_mode++) {
        int fds[2], rep[2], st;
        pipe(rep);
        pipe(fds);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[1]);
            close(rep[0]);
            cont_setup();
            write(rep[1], "r", 1);
            char c;
            long rc;
            while ((rc = read(fds[0], &c, 1)) < 0 && errno == EINTR)
                ;
            sigset_t p;
            sigpending(&p);
            char msg[160];
            int n = snprintf(msg, sizeof msg, "  child (SIGCONT %s): SIGCONT pending=%d, SIGCONT handler runs=%d, "
                             "SIGUSR1 handler runs=%d\n", names[child_mode], sigismember(&p, SIGCONT),
                             cont_count, usr1_count);
            write(rep[1], msg, (size_t)n);
            _exit(0);
        }
        close(fds[0]);
        close(rep[1]);
        char c;
        read(rep[0], &c, 1);
        kill(pid, SIGSTOP);
        take_chld("SIGSTOP", pid);
        waitpid(pid, &st, WUNTRACED);
        kill(pid, SIGUSR1); /* waits for the continue */
        kill(pid, SIGCONT);
        take_chld("SIGCONT", pid);
        waitpid(pid, &st, WCONTINUED);
        printf("  %s\n", status_str(st));
        write(fds[1], "x", 1);
        char buf[200];
        long n = read(rep[0], buf, sizeof buf - 1);
        if (n > 0) {
            buf[n] = 0;
            fputs(buf, stdout);
        }
        take_chld("exit", pid);
        waitpid(pid, &st, 0);
        printf("  child: %s\n", status_str(st));
        close(fds[1]);
        close(rep[0]);
    }
}

/* ------------------------------------------------------------ SIGTSTP in a process group that is not orphaned */

static void own_pgrp(void)
{
    setpgid(0, 0);
}

static void test_tstp(void)
{
    printf("-- SIGTSTP/SIGTTIN/SIGTTOU stop a child in its own process group\n");
    int sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
    for (int i = 0; i < 3; i++) {
        int fds[2], st;
        pid_t pid = reader_child(fds, own_pgrp);
        setpgid(pid, pid); /* also from here: no race with the child */
        kill(pid, sigs[i]);
        take_chld(signal_name(sigs[i]), pid);
        waitpid(pid, &st, WUNTRACED);
        printf("  %s\n", status_str(st));
        kill(pid, SIGCONT);
        take_chld("SIGCONT", pid);
        waitpid(pid, &st, WCONTINUED);
        write(fds[1], "\x01", 1);
        take_chld("exit", pid);
        waitpid(pid, &st, 0);
        printf("  child: %s\n", status_str(st));
        close(fds[1]);
    }
}

/* ------------------------------------------------------------ discarding */

static void show_pending(const char *what)
{
    sigset_t p;
    sigpending(&p);
    printf("  %s: pending SIGCONT=%d SIGTSTP=%d SIGTTIN=%d SIGTTOU=%d\n", what, sigismember(&p, SIGCONT),
           sigismember(&p, SIGTSTP), sigismember(&p, SIGTTIN), sigismember(&p, SIGTTOU));
}

static void test_discard(void)
{
    printf("-- a stop signal discards a pending SIGCONT and vice versa\n");
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGCONT);
    sigaddset(&s, SIGTSTP);
    sigaddset(&s, SIGTTIN);
    sigaddset(&s, SIGTTOU);
    sigprocmask(SIG_BLOCK, &s, &old);
    kill(getpid(), SIGCONT);
    show_pending("SIGCONT sent");
    kill(getpid(), SIGTSTP);
    show_pending("then SIGTSTP");
    kill(getpid(), SIGTTIN);
    kill(getpid(), SIGTTOU);
    show_pending("then SIGTTIN, SIGTTOU");
    kill(getpid(), SIGCONT);
    show_pending("then SIGCONT");
    /* thread-directed ones too */
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), SIGTTIN);
    show_pending("then tgkill SIGTTIN");
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), SIGCONT);
    show_pending("then tgkill SIGCONT");
    /* drop what is left: SIGCONT's default action is to continue (nothing to do here) */
    signal(SIGCONT, SIG_IGN);
    show_pending("SIGCONT ignored");
    signal(SIGCONT, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    guest_line_buffered();
    sigemptyset(&chld_set);
    sigaddset(&chld_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld_set, NULL);
    test_wait_reports();
    test_nocldstop();
    test_group_stop();
    test_cont_modes();
    test_tstp();
    test_discard();
    return guest_exit();
}
