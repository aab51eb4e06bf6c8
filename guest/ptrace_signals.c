/*
 * ptrace_signals: signals of a traced process.
 *
 * signal-delivery-stop: a signal for the tracee stops it first; the tracer
 * suppresses it (restart with 0), passes it on, changes it, or injects another;
 * PTRACE_GETSIGINFO shows the siginfo (si_code, si_pid as relations) and
 * PTRACE_SETSIGINFO changes what the tracee's handler sees.  A signal changed
 * into a blocked one waits pending and stops the tracee again when unblocked.
 * Ignored signals still stop a tracee.  SIGKILL never stops and kills a
 * stopped tracee.  Group-stop: for a PTRACE_ATTACHed tracee it is a plain stop
 * (PTRACE_GETSIGINFO says EINVAL) that PTRACE_CONT ends; for a PTRACE_SEIZEd one
 * it is a PTRACE_EVENT_STOP, PTRACE_LISTEN waits in it and SIGCONT ends it.  The
 * real parent of a tracee traced by another process still gets its
 * WUNTRACED/WCONTINUED reports.
 *
 * The tracee is a small server: it reads one-letter commands from a pipe and
 * answers on another, so every step is ordered without sleeping.  Its handlers
 * record what they saw; the tracer asks for the record ('q') and prints it as
 * relations (the sender is the tracer, the tracee, or a value the tracer set).
 *
 * Linux 6.18, observed natively (what the transcript encodes):
 *  - an ignored signal (SIG_IGN, or default-ignored like SIGWINCH) still
 *    stops a tracee in signal-delivery-stop.
 *  - a signal changed by the restart request gets a fresh siginfo: SI_USER
 *    from the tracer (si_pid is the tracer's pid), whatever the original was.
 *    A siginfo set with PTRACE_SETSIGINFO survives only if its si_signo is the
 *    signal the tracee is restarted with.
 *  - restarting from a PTRACE_EVENT_STOP (PTRACE_INTERRUPT) with a signal
 *    delivers nothing: only a signal-delivery-stop injects.
 *  - a signal changed into one the tracee blocks is left pending; unblocking
 *    it brings a second signal-delivery-stop, with the tracer's SI_USER info.
 *  - the stop of PTRACE_ATTACH has SI_KERNEL info with si_pid 0.
 *  - an ATTACHed tracee's group-stop is ended by PTRACE_CONT alone (no SIGCONT).
 *  - PTRACE_DETACH of a seized tracee in its group-stop leaves it stopped: its
 *    parent (here also the tracer) then sees "stopped by SIGSTOP" with
 *    WUNTRACED, and SIGCONT brings WCONTINUED.
 *  - PTRACE_INTERRUPT of a listening tracee re-traps it in a
 *    PTRACE_EVENT_STOP, still with SIGSTOP while the group stays stopped.
 *  - an ATTACHed tracee whose tracer ends its group-stop with PTRACE_CONT runs
 *    while its real parent (another process) was told "stopped by SIGSTOP"
 *    and is told nothing more until a SIGCONT brings WCONTINUED.
 *  - a real parent that is not the tracer sees nothing while its child is in
 *    a signal-delivery-stop, then "stopped by SIGSTOP" (WUNTRACED) once the
 *    group-stop is complete, and "continued" (WCONTINUED) after SIGCONT, even
 *    though the tracee is still held by its tracer.
 *  - for a seized tracee the group-stop is status >> 16 == PTRACE_EVENT_STOP
 *    with WSTOPSIG SIGSTOP, and PTRACE_GETSIGINFO there works (si_code
 *    (PTRACE_EVENT_STOP << 8) | SIGSTOP); only an ATTACHed tracee's group-stop
 *    has no siginfo (EINVAL).  PTRACE_LISTEN is EIO from a signal-delivery-stop.
 *  - SIGCONT wakes a listening tracee into a PTRACE_EVENT_STOP with WSTOPSIG
 *    SIGTRAP; continuing it, the SIGCONT itself is then a signal-delivery-stop.
 */
#include "guest.h"
#include "guest_ptrace.h"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NSIGS 65


static const char *code_name(int code)
{
    static char buf[64];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    }
    if ((code & 0xff) < NSIGS && (code >> 8) == PTRACE_EVENT_STOP) {
        snprintf(buf, sizeof buf, "(PTRACE_EVENT_STOP << 8) | %s", signal_name(code & 0xff));
        return buf;
    }
    snprintf(buf, sizeof buf, "code %#x", code);
    return buf;
}

/* Who a pid is, in words: main is the tracer except where another process is. */
static pid_t me, main_pid, tracee_pid;

static const char *who(long pid)
{
    static char buf[32];
    if (pid == me)
        return "tracer";
    if (pid == main_pid)
        return "main (the real parent)";
    if (pid == tracee_pid)
        return "tracee";
    if (pid == 0)
        return "0";
    if (pid == 4242)
        return "4242";
    snprintf(buf, sizeof buf, "someone else");
    return buf;
}

/* PTRACE_GETSIGINFO, printed. */
static void show_siginfo(pid_t pid, const char *what)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r = pt(PTRACE_GETSIGINFO, pid, 0, (long)&si);
    if (r != 0) {
        printf("%s: PTRACE_GETSIGINFO -> %s\n", what, errno_name(errno));
        return;
    }
    printf("%s: PTRACE_GETSIGINFO: si_signo %s, si_code %s, si_pid %s\n", what, signal_name(si.si_signo),
           code_name(si.si_code), who(si.si_pid));
}

/* ------------------------------------------------------------------------------ the tracee server */

struct record {
    int count[NSIGS];
    int code[NSIGS];
    int pid[NSIGS];
    int uid[NSIGS];
    int val[NSIGS];
    int usr2_pending;
};

static struct record rec;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    rec.count[sig]++;
    rec.code[sig] = si->si_code;
    rec.pid[sig] = si->si_pid;
    rec.uid[sig] = (int)si->si_uid;
    rec.val[sig] = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
}

static int cmd_fd, reply_fd;

static void put_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(120);
        c += w;
        n -= (size_t)w;
    }
}

static int get_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static void tracee_main(void)
{
    static const int handled[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGCONT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaction(handled[i], &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    for (;;) {
        char c;
        if (get_all(cmd_fd, &c, 1) < 0)
            _exit(101);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        switch (c) {
        case 'q':
            sigpending(&set);
            rec.usr2_pending = sigismember(&set, SIGUSR2);
            put_all(reply_fd, &rec, sizeof rec);
            continue;
        case 'b':
            sigprocmask(SIG_BLOCK, &set, NULL);
            break;
        case 'u':
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            break;
        case 'r':
            raise(SIGUSR1);
            break;
        case 'x':
            _exit(0);
        }
        put_all(reply_fd, "k", 1);
    }
}

/* Fork the tracee server; the tracer keeps the other pipe ends. */
static int to_tracee, from_tracee;

static pid_t spawn_server(void)
{
    int c[2], r[2];
    pipe(c);
    pipe(r);
    pid_t pid = guest_fork();
    if (pid == 0) {
        close(c[1]);
        close(r[0]);
        cmd_fd = c[0];
        reply_fd = r[1];
        tracee_main();
    }
    close(c[0]);
    close(r[1]);
    to_tracee = c[1];
    from_tracee = r[0];
    return pid;
}

static void send_cmd(char c)
{
    put_all(to_tracee, &c, 1);
}

static void expect_ack(const char *what)
{
    char c = 0;
    CHECK(get_all(from_tracee, &c, 1) == 0 && c == 'k', "%s: the tracee answered", what);
}

static struct record query(void)
{
    struct record r;
    memset(&r, 0, sizeof r);
    send_cmd('q');
    if (get_all(from_tracee, &r, sizeof r) < 0) {
        guest_failures++;
        printf("FAIL the tracee did not answer its query\n");
    }
    return r;
}

/* Print what the tracee's handler for sig has seen. */
static void show_handler(int sig)
{
    struct record r = query();
    if (r.count[sig] == 0) {
        printf("tracee's %s handler: ran 0 times\n", signal_name(sig));
        return;
    }
    printf("tracee's %s handler: ran %d times, last si_code %s, si_pid %s, si_uid %d", signal_name(sig),
           r.count[sig], code_name(r.code[sig]), who(r.pid[sig]), r.uid[sig]);
    if (r.code[sig] == SI_QUEUE)
        printf(", si_value %d", r.val[sig]);
    printf("\n");
}

/* ------------------------------------------------------------------------------ signal-delivery-stop */

static void test_delivery(void)
{
    printf("-- signal-delivery-stop\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    show_handler(SIGUSR1);

    printf("- suppressed\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    int st = wait_report(pid, 0, "wait");
    CHECK(st != -1 && (st >> 16) == 0, "no event in the status");
    show_siginfo(pid, "stopped");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT with 0");
    show_handler(SIGUSR1);

    printf("- passed on\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR1) == 0, "PTRACE_CONT with SIGUSR1");
    show_handler(SIGUSR1);

    printf("- changed\n");
    send_cmd('r'); /* the tracee raises SIGUSR1 itself */
    wait_report(pid, 0, "wait");
    show_siginfo(pid, "stopped");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2");
    expect_ack("raise");
    show_handler(SIGUSR1);
    show_handler(SIGUSR2);

    printf("- siginfo changed with PTRACE_SETSIGINFO\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(pt(PTRACE_GETSIGINFO, pid, 0, (long)&si) == 0, "PTRACE_GETSIGINFO");
    si.si_code = SI_QUEUE;
    si.si_pid = 4242;
    si.si_uid = 77;
    si.si_value.sival_int = 1234;
    CHECK(pt(PTRACE_SETSIGINFO, pid, 0, (long)&si) == 0, "PTRACE_SETSIGINFO (SI_QUEUE, pid 4242, uid 77, 1234)");
    show_siginfo(pid, "after PTRACE_SETSIGINFO");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR1) == 0, "PTRACE_CONT with SIGUSR1");
    show_handler(SIGUSR1);

    printf("- PTRACE_SETSIGINFO naming another signal, restarted with the stop's signal\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    memset(&si, 0, sizeof si);
    pt(PTRACE_GETSIGINFO, pid, 0, (long)&si);
    si.si_signo = SIGUSR2;
    si.si_code = SI_QUEUE;
    si.si_pid = 4242;
    si.si_value.sival_int = 99;
    CHECK(pt(PTRACE_SETSIGINFO, pid, 0, (long)&si) == 0, "PTRACE_SETSIGINFO with si_signo SIGUSR2");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR1) == 0, "PTRACE_CONT with SIGUSR1");
    show_handler(SIGUSR1);

    printf("- PTRACE_SETSIGINFO naming another signal, restarted with that signal\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    memset(&si, 0, sizeof si);
    pt(PTRACE_GETSIGINFO, pid, 0, (long)&si);
    si.si_signo = SIGUSR2;
    si.si_code = SI_QUEUE;
    si.si_pid = 4242;
    si.si_value.sival_int = 99;
    CHECK(pt(PTRACE_SETSIGINFO, pid, 0, (long)&si) == 0, "PTRACE_SETSIGINFO with si_signo SIGUSR2");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2");
    show_handler(SIGUSR1);
    show_handler(SIGUSR2);

    printf("- injected\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGTERM) == 0, "PTRACE_CONT with SIGTERM (the tracee handles it)");
    show_handler(SIGUSR1);
    show_handler(SIGTERM);

    printf("- a signal given when restarting from PTRACE_INTERRUPT's stop\n");
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT");
    wait_report(pid, 0, "wait");
    show_siginfo(pid, "interrupted");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2");
    show_handler(SIGUSR2);

    printf("- changed into a blocked signal\n");
    send_cmd('b');
    expect_ack("block SIGUSR2");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2 (blocked)");
    struct record r = query();
    printf("tracee: SIGUSR2 handler ran %d times, SIGUSR2 pending %d\n", r.count[SIGUSR2], r.usr2_pending);
    int wst;
    CHECK(waitpid(pid, &wst, WNOHANG) == 0, "no stop while it stays blocked");
    send_cmd('u');
    wait_report(pid, 0, "wait after the tracee unblocks SIGUSR2");
    show_siginfo(pid, "stopped");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2");
    expect_ack("unblock SIGUSR2");
    show_handler(SIGUSR2);
    r = query();
    printf("tracee: SIGUSR2 pending %d\n", r.usr2_pending);

    printf("- a blocked signal sent directly\n");
    send_cmd('b');
    expect_ack("block SIGUSR2");
    CHECK(kill(pid, SIGUSR2) == 0, "kill(tracee, SIGUSR2) while blocked");
    r = query();
    printf("tracee: SIGUSR2 pending %d\n", r.usr2_pending);
    CHECK(waitpid(pid, &wst, WNOHANG) == 0, "no stop for a blocked signal");
    send_cmd('u');
    wait_report(pid, 0, "wait after the tracee unblocks SIGUSR2");
    show_siginfo(pid, "stopped");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGUSR2) == 0, "PTRACE_CONT with SIGUSR2");
    expect_ack("unblock SIGUSR2");
    show_handler(SIGUSR2);

    printf("- ignored signals\n");
    CHECK(kill(pid, SIGHUP) == 0, "kill(tracee, SIGHUP) (SIG_IGN)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGHUP) == 0, "PTRACE_CONT with SIGHUP");
    CHECK(kill(pid, SIGWINCH) == 0, "kill(tracee, SIGWINCH) (ignored by default)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGWINCH) == 0, "PTRACE_CONT with SIGWINCH");
    r = query();
    CHECK(r.count[SIGUSR1] >= 0, "the tracee lives on");

    printf("- restarted with a fatal signal\n");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGSEGV) == 0, "PTRACE_CONT with SIGSEGV");
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);
}

/* ------------------------------------------------------------------------------ SIGKILL */

static void test_sigkill(void)
{
    printf("-- SIGKILL\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    query();
    CHECK(kill(pid, SIGKILL) == 0, "kill(running tracee, SIGKILL)");
    wait_report(pid, 0, "wait (no stop first)");
    close(to_tracee);
    close(from_tracee);

    pid = spawn_server();
    tracee_pid = pid;
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(kill(pid, SIGKILL) == 0, "kill(tracee in signal-delivery-stop, SIGKILL)");
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);

    pid = spawn_server();
    tracee_pid = pid;
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT");
    wait_report(pid, 0, "wait");
    CHECK(kill(pid, SIGKILL) == 0, "kill(tracee in PTRACE_EVENT_STOP, SIGKILL)");
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);

    pid = spawn_server();
    tracee_pid = pid;
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    CHECK(kill(pid, SIGUSR1) == 0, "kill(tracee, SIGUSR1)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGKILL) == 0, "PTRACE_CONT with SIGKILL");
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);
}

/* ------------------------------------------------------------------------------ group-stop */

static void test_group_stop_attach(void)
{
    printf("-- group-stop of a PTRACE_ATTACHed tracee\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    query(); /* the server is up */
    CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "PTRACE_ATTACH");
    wait_report(pid, 0, "wait");
    show_siginfo(pid, "the attach stop");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT with 0");
    CHECK(kill(pid, SIGSTOP) == 0, "kill(tracee, SIGSTOP)");
    int st = wait_report(pid, 0, "wait");
    CHECK(st != -1 && (st >> 16) == 0, "no event in the status");
    show_siginfo(pid, "signal-delivery-stop");
    EXPECT_ERRNO(pt(PTRACE_LISTEN, pid, 0, 0), EIO, "PTRACE_LISTEN (not seized)");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGSTOP) == 0, "PTRACE_CONT with SIGSTOP");
    st = wait_report(pid, 0, "wait");
    CHECK(st != -1 && (st >> 16) == 0, "no event in the status");
    show_siginfo(pid, "group-stop");
    int wst;
    CHECK(waitpid(pid, &wst, WNOHANG | WUNTRACED) == 0,
          "the tracer is also the parent: the group-stop is not reported a second time");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT with 0");
    struct record r = query();
    CHECK(r.count[SIGCONT] == 0, "the tracee runs again (no SIGCONT needed)");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == -1 && errno == ESRCH, "PTRACE_DETACH of the running tracee -> ESRCH");
    send_cmd('x');
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);
}

static void test_group_stop_seize(void)
{
    printf("-- group-stop of a PTRACE_SEIZEd tracee, PTRACE_LISTEN\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    query(); /* the server is up (its handlers are in place) */
    CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE");
    CHECK(kill(pid, SIGSTOP) == 0, "kill(tracee, SIGSTOP)");
    int st = wait_report(pid, 0, "wait");
    CHECK(st != -1 && (st >> 16) == 0, "signal-delivery-stop: no event in the status");
    show_siginfo(pid, "signal-delivery-stop");
    EXPECT_ERRNO(pt(PTRACE_LISTEN, pid, 0, 0), EIO, "PTRACE_LISTEN from a signal-delivery-stop");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGSTOP) == 0, "PTRACE_CONT with SIGSTOP");
    st = wait_report(pid, 0, "wait");
    CHECK(st != -1 && (st >> 16) == PTRACE_EVENT_STOP && WSTOPSIG(st) == SIGSTOP,
          "group-stop: status >> 16 == PTRACE_EVENT_STOP, WSTOPSIG == SIGSTOP");
    show_siginfo(pid, "group-stop");
    CHECK(pt(PTRACE_LISTEN, pid, 0, 0) == 0, "PTRACE_LISTEN");
    int wst;
    CHECK(waitpid(pid, &wst, WNOHANG) == 0, "no report while listening");
    EXPECT_ERRNO(pt(PTRACE_CONT, pid, 0, 0), ESRCH, "PTRACE_CONT of a listening tracee");
    CHECK(kill(pid, SIGCONT) == 0, "kill(tracee, SIGCONT)");
    st = wait_report(pid, 0, "wait");
    show_siginfo(pid, "woken listener");
    CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "PTRACE_CONT with 0");
    wait_report(pid, 0, "wait");
    show_siginfo(pid, "next stop");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGCONT) == 0, "PTRACE_CONT with SIGCONT");
    show_handler(SIGCONT);

    /* PTRACE_INTERRUPT of a listening tracee re-traps it. */
    CHECK(kill(pid, SIGSTOP) == 0, "kill(tracee, SIGSTOP)");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_CONT, pid, 0, SIGSTOP) == 0, "PTRACE_CONT with SIGSTOP");
    wait_report(pid, 0, "wait");
    CHECK(pt(PTRACE_LISTEN, pid, 0, 0) == 0, "PTRACE_LISTEN");
    CHECK(pt(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT of the listener");
    wait_report(pid, 0, "wait");
    show_siginfo(pid, "re-trapped");
    CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "PTRACE_DETACH (the group is still stopped)");
    wait_report(pid, WUNTRACED, "wait WUNTRACED after detach");
    CHECK(kill(pid, SIGCONT) == 0, "kill(tracee, SIGCONT)");
    wait_report(pid, WCONTINUED, "wait WCONTINUED");
    show_handler(SIGCONT);
    send_cmd('x');
    wait_report(pid, 0, "wait");
    close(to_tracee);
    close(from_tracee);
}

/* ------------------------------------------------------------------------------ the real parent */

/*
 * main forks the tracee and a tracer (both its children).  The tracer and main
 * take turns through two pipes: the tracer writes a step number, main checks
 * what it sees as the real parent and writes it back.
 */
static int to_main, from_tracer, to_tracer, from_main;

static void step_to_main(int n)
{
    char c = (char)n;
    put_all(to_main, &c, 1);
    char back = 0;
    get_all(from_main, &back, 1);
}

static int wait_step(void)
{
    char c = 0;
    if (get_all(from_tracer, &c, 1) < 0)
        return -1;
    return c;
}

static void step_done(void)
{
    put_all(to_tracer, "k", 1);
}

static void test_real_parent(void)
{
    printf("-- the real parent of a tracee traced by another process\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    query();
    int a[2], b[2];
    pipe(a);
    pipe(b);
    pid_t tr = guest_fork();
    if (tr == 0) {
        close(a[0]);
        close(b[1]);
        to_main = a[1];
        from_main = b[0];
        me = getpid();
        CHECK(pt(PTRACE_SEIZE, pid, 0, 0) == 0, "tracer: PTRACE_SEIZE");
        CHECK(kill(pid, SIGSTOP) == 0, "tracer: kill(tracee, SIGSTOP)");
        wait_report(pid, 0, "tracer: wait");
        step_to_main(1); /* the tracee is in its signal-delivery-stop */
        CHECK(pt(PTRACE_CONT, pid, 0, SIGSTOP) == 0, "tracer: PTRACE_CONT with SIGSTOP");
        wait_report(pid, 0, "tracer: wait");
        step_to_main(2); /* the group-stop is complete */
        CHECK(pt(PTRACE_LISTEN, pid, 0, 0) == 0, "tracer: PTRACE_LISTEN");
        step_to_main(3); /* main sends SIGCONT */
        wait_report(pid, 0, "tracer: wait");
        CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "tracer: PTRACE_CONT with 0");
        wait_report(pid, 0, "tracer: wait");
        CHECK(pt(PTRACE_DETACH, pid, 0, 0) == 0, "tracer: PTRACE_DETACH");
        guest_child_exit();
    }
    close(a[1]);
    close(b[0]);
    from_tracer = a[0];
    to_tracer = b[1];
    me = tr; /* "tracer" now names the other process */
    int st;
    CHECK(wait_step() == 1, "parent: step 1");
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0,
          "parent: nothing to see while the tracee is in a signal-delivery-stop");
    step_done();
    CHECK(wait_step() == 2, "parent: step 2");
    wait_report(pid, WUNTRACED | WNOHANG, "parent: waitpid WUNTRACED after the group-stop");
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED) == 0, "parent: the stop is reported once");
    step_done();
    CHECK(wait_step() == 3, "parent: step 3");
    CHECK(kill(pid, SIGCONT) == 0, "parent: kill(tracee, SIGCONT)");
    wait_report(pid, WCONTINUED, "parent: waitpid WCONTINUED");
    step_done();
    wait_report(tr, 0, "parent: the tracer");
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0, "parent: nothing more to see");
    show_handler(SIGCONT);
    send_cmd('x');
    wait_report(pid, 0, "parent: the tracee");
    close(to_tracee);
    close(from_tracee);
    close(from_tracer);
    close(to_tracer);
    me = main_pid;
}

/* The same with a PTRACE_ATTACH tracer, which ends the group-stop with PTRACE_CONT alone. */
static void test_real_parent_attach(void)
{
    printf("-- the real parent of a tracee PTRACE_ATTACHed by another process\n");
    pid_t pid = spawn_server();
    tracee_pid = pid;
    query();
    int a[2], b[2];
    pipe(a);
    pipe(b);
    pid_t tr = guest_fork();
    if (tr == 0) {
        close(a[0]);
        close(b[1]);
        to_main = a[1];
        from_main = b[0];
        me = getpid();
        CHECK(pt(PTRACE_ATTACH, pid, 0, 0) == 0, "tracer: PTRACE_ATTACH");
        wait_report(pid, 0, "tracer: wait");
        CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "tracer: PTRACE_CONT with 0");
        CHECK(kill(pid, SIGSTOP) == 0, "tracer: kill(tracee, SIGSTOP)");
        wait_report(pid, 0, "tracer: wait");
        CHECK(pt(PTRACE_CONT, pid, 0, SIGSTOP) == 0, "tracer: PTRACE_CONT with SIGSTOP");
        wait_report(pid, 0, "tracer: wait");
        step_to_main(1); /* the group-stop is complete */
        CHECK(pt(PTRACE_CONT, pid, 0, 0) == 0, "tracer: PTRACE_CONT with 0 (ends the group-stop for the tracee)");
        step_to_main(2); /* main queries the tracee, then sends SIGCONT */
        wait_report(pid, 0, "tracer: wait");
        show_siginfo(pid, "tracer: stopped");
        CHECK(pt(PTRACE_DETACH, pid, 0, SIGCONT) == 0, "tracer: PTRACE_DETACH with SIGCONT");
        guest_child_exit();
    }
    close(a[1]);
    close(b[0]);
    from_tracer = a[0];
    to_tracer = b[1];
    me = tr; /* "tracer" now names the other process */
    int st;
    CHECK(wait_step() == 1, "parent: step 1");
    wait_report(pid, WUNTRACED | WNOHANG, "parent: waitpid WUNTRACED after the group-stop");
    step_done();
    CHECK(wait_step() == 2, "parent: step 2");
    struct record r = query();
    CHECK(r.count[SIGCONT] == 0, "parent: the tracee answers (runs) though no SIGCONT came");
    CHECK(waitpid(pid, &st, WNOHANG | WUNTRACED | WCONTINUED) == 0, "parent: nothing new to see");
    CHECK(kill(pid, SIGCONT) == 0, "parent: kill(tracee, SIGCONT)");
    wait_report(pid, WCONTINUED, "parent: waitpid WCONTINUED");
    step_done();
    wait_report(tr, 0, "parent: the tracer");
    show_handler(SIGCONT);
    send_cmd('x');
    wait_report(pid, 0, "parent: the tracee");
    close(to_tracee);
    close(from_tracee);
    close(from_tracer);
    close(to_tracer);
    me = main_pid;
}

int main(void)
{
    guest_line_buffered();
    me = main_pid = getpid();
    test_delivery();
    test_sigkill();
    test_group_stop_attach();
    test_group_stop_seize();
    test_real_parent();
    test_real_parent_attach();
    return guest_exit();
}
