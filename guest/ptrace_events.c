/*
 * ptrace_events: PTRACE_O_TRACE* event stops.
 *
 *   ptrace_events            run the cases
 *   ptrace_events execd      (the program a tracee execs: exits 0 at once)
 *
 * Every case forks a fresh tracee.  The tracer prints everything; the tracee
 * and its children print nothing (they would race with the tracer) and report
 * through a pipe and their exit status.  Reports of different processes are
 * collected with waitpid on a specific pid, so the transcript does not depend
 * on the order in which Linux makes them (an event stop in the parent and the
 * new child's first stop are not ordered).  Wait statuses are printed in hex.
 *
 * Covers: PTRACE_EVENT_FORK / VFORK / CLONE stops in the parent (GETEVENTMSG ==
 * the new pid, the value fork returns), the auto-attached child's first stop
 * (SIGSTOP, or PTRACE_EVENT_STOP under PTRACE_SEIZE) and inherited options,
 * PTRACE_EVENT_VFORK_DONE (after the child's exit, or at its exec, where the
 * auto-attached child gets the legacy SIGTRAP), a thread's own PTRACE_EVENT_EXIT
 * (orig_rax == SYS_exit), PTRACE_EVENT_EXEC (GETEVENTMSG == the former tid),
 * the legacy SIGTRAP after exec (TRACEME without TRACEEXEC) and its absence
 * under PTRACE_SEIZE, PTRACE_EVENT_EXIT (GETEVENTMSG == the wait status,
 * registers and memory still readable) for exit, a fatal signal and SIGKILL,
 * and how event stops and syscall-stops interleave with TRACESYSGOOD.
 */
#include "guest.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#endif
#ifndef PTRACE_O_TRACESYSGOOD
#define PTRACE_O_TRACESYSGOOD 1
#endif
#define O_FORK (1 << 1)
#define O_VFORK (1 << 2)
#define O_CLONE (1 << 3)
#define O_EXEC (1 << 4)
#define O_VFORKDONE (1 << 5)
#define O_EXIT (1 << 6)
#define REQ_GET_SYSCALL_INFO 0x420e

/* event stop statuses: SIGTRAP | event << 8, as a stop */
#define EV(e) ((((e) << 8 | SIGTRAP) << 8) | 0x7f)
#define ST_SIGSTOP 0x137f
#define ST_SYSGOOD 0x857f

static const char *self_path;
static int chan[2];         /* tracee -> tracer: pids and tids */
static pid_t known[8];      /* everything to kill if we give up */

/* ------------------------------------------------------------ tracer helpers */

static void remember(pid_t p)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] == 0 || known[i] == p) {
            known[i] = p;
            return;
        }
}

static void bail(const char *what)
{
    printf("FAIL %s: giving up\n", what);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i] > 0)
            kill(known[i], SIGKILL);
    while (waitpid(-1, NULL, __WALL) > 0)
        ;
    guest_failures++;
    exit(guest_exit());
}

static const char *st_str(int st)
{
    static char buf[96];
    if (WIFSTOPPED(st) && (st >> 16))
        snprintf(buf, sizeof buf, "%#x (%s, event %d)", st, signal_name(WSTOPSIG(st)), st >> 16);
    else if (WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80))
        snprintf(buf, sizeof buf, "%#x (SIGTRAP|0x80)", st);
    else
        snprintf(buf, sizeof buf, "%#x (%s)", st, status_str(st));
    return buf;
}

/* waitpid(pid) must report exactly want. */
static void expect_opt(pid_t pid, int opts, int want, const char *what)
{
    int st = 0;
    pid_t got = waitpid(pid, &st, opts);
    if (got != pid || st != want) {
        printf("FAIL %s: want %#x, got %s\n", what, want, got == pid ? st_str(st) : errno_name(errno));
        bail(what);
    }
    printf("ok %s: %s\n", what, st_str(st));
}

static void expect(pid_t pid, int want, const char *what)
{
    expect_opt(pid, __WALL, want, what);
}

static void resume(int req, pid_t pid, int sig)
{
    if (ptrace(req, pid, 0, (void *)(long)sig) != 0) {
        printf("FAIL resume: %s\n", errno_name(errno));
        bail("resume");
    }
}

static unsigned long eventmsg(pid_t pid)
{
    unsigned long msg = 0xdeadbeef;
    if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) != 0)
        bail("GETEVENTMSG");
    return msg;
}

static long peekuser(pid_t pid, size_t off)
{
    errno = 0;
    long v = ptrace(PTRACE_PEEKUSER, pid, (void *)off, 0);
    if (errno)
        bail("PEEKUSER");
    return v;
}

#define OFF(field) offsetof(struct user, regs.field)

static const char *code_str(int code)
{
    static char buf[32];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_TKILL: return "SI_TKILL";
    }
    snprintf(buf, sizeof buf, "code%#x", code);
    return buf;
}

static void show_siginfo(pid_t pid, const char *what)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) != 0) {
        printf("%s: GETSIGINFO -> %s\n", what, errno_name(errno));
        return;
    }
    printf("%s: siginfo %s %s, si_pid %s\n", what, signal_name(si.si_signo), code_str(si.si_code),
           si.si_pid == 0 ? "0" : si.si_pid == pid ? "== the stopped task" : si.si_pid == getpid() ? "== tracer" : "other");
}

static int sysinfo_op(pid_t pid)
{
    unsigned char buf[96];
    memset(buf, 0xaa, sizeof buf);
    if (ptrace(REQ_GET_SYSCALL_INFO, pid, (void *)sizeof buf, buf) < 0)
        return -1;
    return buf[0];
}

static long read_chan(void)
{
    long v = 0;
    if (read(chan[0], &v, sizeof v) != sizeof v)
        bail("read from the tracee");
    return v;
}

/* The tracee is done: it must exit with want (its own checks encoded in the code). */
static void reap_tracee(pid_t pid, int want_code)
{
    char what[64];
    snprintf(what, sizeof what, "tracee ends with exit %d", want_code);
    expect(pid, want_code << 8, what);
}

/* ------------------------------------------------------------ tracee helpers */

static int tracee_fail; /* the first failed check's number; the exit code */
#define TCHECK(n, cond)                      \
    do {                                     \
        if (!(cond) && tracee_fail == 0)     \
            tracee_fail = (n);               \
    } while (0)

static void send_chan(long v)
{
    write(chan[1], &v, sizeof v);
}

/* Fork a tracee: PTRACE_TRACEME, SIGCHLD blocked (no signal-delivery-stops for
 * its own children), then a SIGSTOP for the tracer to set options.  Returns in
 * the tracee with 0, in the tracer with the pid after that first stop. */
static pid_t start_traceme(const char *title, int options)
{
    printf("-- %s\n", title);
    pid_t pid = guest_fork();
    if (pid == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGCHLD);
        sigprocmask(SIG_BLOCK, &s, NULL);
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
            _exit(99);
        kill(getpid(), SIGSTOP);
        return 0;
    }
    remember(pid);
    expect(pid, ST_SIGSTOP, "tracee's first stop");
    if (options && ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)options) != 0)
        bail("SETOPTIONS");
    return pid;
}

/* ------------------------------------------------------------ fork */

static void case_fork(void)
{
    pid_t t = start_traceme("TRACEFORK (child inherits TRACEEXIT)", O_FORK | O_EXIT);
    if (t == 0) {
        pid_t c = fork();
        if (c == 0)
            _exit(7);
        send_chan(c);
        int st;
        TCHECK(1, waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);
        _exit(tracee_fail);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(1), "parent: PTRACE_EVENT_FORK stop");
    pid_t c = (pid_t)eventmsg(t);
    remember(c);
    show_siginfo(t, "parent's event stop");
    printf("parent's event stop: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    expect(c, ST_SIGSTOP, "child (GETEVENTMSG's pid): first stop");
    show_siginfo(c, "child's first stop");
    resume(PTRACE_CONT, c, 0);
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == c, "fork's return value == GETEVENTMSG");
    expect(c, EV(6), "child: PTRACE_EVENT_EXIT stop (inherited TRACEEXIT)");
    CHECK_EQ(eventmsg(c), 7 << 8, "child's exit event: GETEVENTMSG == 0x700");
    resume(PTRACE_CONT, c, 0);
    expect(c, 7 << 8, "child: exit reported to the tracer");
    expect(t, EV(6), "parent: PTRACE_EVENT_EXIT stop");
    CHECK_EQ(eventmsg(t), 0, "parent's exit event: GETEVENTMSG == 0");
    resume(PTRACE_CONT, t, 0);
    reap_tracee(t, 0);
}

/* Resume with PTRACE_SYSCALL until an entry stop of syscall nr (others are passed silently). */
static void syscall_until_entry(pid_t pid, long nr, const char *what)
{
    for (int i = 0; i < 64; i++) {
        resume(PTRACE_SYSCALL, pid, 0);
        int st = 0;
        if (waitpid(pid, &st, __WALL) != pid || st != ST_SYSGOOD) {
            printf("FAIL %s: got %s\n", what, st_str(st));
            bail(what);
        }
        if (peekuser(pid, OFF(orig_rax)) == nr && peekuser(pid, OFF(rax)) == -ENOSYS) {
            printf("ok %s: %s\n", what, st_str(st));
            return;
        }
        resume(PTRACE_SYSCALL, pid, 0); /* to that call's exit stop */
        if (waitpid(pid, &st, __WALL) != pid || st != ST_SYSGOOD)
            bail(what);
    }
    bail(what);
}

/* fork under PTRACE_SYSCALL with TRACESYSGOOD: entry stop, event stop, exit stop */
static void case_fork_syscall(void)
{
    pid_t t = start_traceme("TRACEFORK under PTRACE_SYSCALL + TRACESYSGOOD", O_FORK | PTRACE_O_TRACESYSGOOD);
    if (t == 0) {
        long c = syscall(SYS_fork);
        if (c == 0)
            _exit(4);
        send_chan(c);
        int st;
        TCHECK(1, waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 4);
        _exit(tracee_fail);
    }
    syscall_until_entry(t, SYS_fork, "parent: fork's entry stop");
    resume(PTRACE_SYSCALL, t, 0);
    expect(t, EV(1), "parent: PTRACE_EVENT_FORK stop (no 0x80)");
    pid_t c = (pid_t)eventmsg(t);
    remember(c);
    CHECK_EQ(peekuser(t, OFF(orig_rax)), SYS_fork, "event stop: orig_rax == SYS_fork");
    printf("event stop: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    resume(PTRACE_SYSCALL, t, 0);
    expect(t, ST_SYSGOOD, "parent: fork's exit stop");
    CHECK_EQ(peekuser(t, OFF(rax)), c, "exit stop: rax == GETEVENTMSG");
    expect(c, ST_SIGSTOP, "child: first stop (no syscall-exit stop for the child)");
    resume(PTRACE_CONT, c, 0); /* PTRACE_SYSCALL is not inherited: it runs to its exit */
    expect(c, 4 << 8, "child: exit reported to the tracer");
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == c, "fork's return value == GETEVENTMSG");
    reap_tracee(t, 0);
}

/* ------------------------------------------------------------ vfork */

static void case_vfork(void)
{
    pid_t t = start_traceme("TRACEVFORK + TRACEVFORKDONE", O_VFORK | O_VFORKDONE);
    if (t == 0) {
        pid_t c = vfork();
        if (c == 0)
            _exit(3);
        send_chan(c);
        int st;
        TCHECK(1, waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3);
        _exit(tracee_fail);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(2), "parent: PTRACE_EVENT_VFORK stop");
    pid_t c = (pid_t)eventmsg(t);
    remember(c);
    expect(c, ST_SIGSTOP, "child (GETEVENTMSG's pid): first stop");
    resume(PTRACE_CONT, t, 0);
    int st;
    CHECK(waitpid(t, &st, WNOHANG | __WALL) == 0, "parent: nothing to report while the vfork child is stopped");
    resume(PTRACE_CONT, c, 0);
    expect(c, 3 << 8, "child: exit reported to the tracer");
    expect(t, EV(5), "parent: PTRACE_EVENT_VFORK_DONE stop");
    CHECK(eventmsg(t) == (unsigned long)c, "VFORK_DONE: GETEVENTMSG == the child");
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == c, "vfork's return value == GETEVENTMSG");
    reap_tracee(t, 0);
}

/* The vfork child execs: VFORK_DONE comes at the exec, and the auto-attached child
 * (inherited options, no TRACEEXEC, not seized) gets the legacy SIGTRAP. */
static void tracee_exec(void);

static void case_vfork_exec(void)
{
    pid_t t = start_traceme("TRACEVFORK + TRACEVFORKDONE, the child execs", O_VFORK | O_VFORKDONE);
    if (t == 0) {
        pid_t c = vfork();
        if (c == 0)
            tracee_exec();
        send_chan(c);
        int st;
        TCHECK(1, waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        _exit(tracee_fail);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(2), "parent: PTRACE_EVENT_VFORK stop");
    pid_t c = (pid_t)eventmsg(t);
    remember(c);
    expect(c, ST_SIGSTOP, "child: first stop");
    resume(PTRACE_CONT, t, 0);
    resume(PTRACE_CONT, c, 0);
    expect(t, EV(5), "parent: PTRACE_EVENT_VFORK_DONE stop (at the child's exec)");
    CHECK(eventmsg(t) == (unsigned long)c, "VFORK_DONE: GETEVENTMSG == the child");
    expect(c, 0x57f, "child: the legacy SIGTRAP after exec");
    resume(PTRACE_CONT, c, 0);
    expect(c, 0, "child: exit reported to the tracer");
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == c, "vfork's return value == GETEVENTMSG");
    reap_tracee(t, 0);
}

/* ------------------------------------------------------------ clone (a thread) */

static void *thread_body(void *arg)
{
    (void)arg;
    send_chan(syscall(SYS_gettid));
    send_chan(getpid());
    return NULL;
}

static void case_clone(void)
{
    pid_t t = start_traceme("TRACECLONE (pthread_create)", O_CLONE);
    if (t == 0) {
        pthread_t th;
        TCHECK(1, pthread_create(&th, NULL, thread_body, NULL) == 0);
        TCHECK(2, pthread_join(th, NULL) == 0);
        _exit(tracee_fail);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(3), "leader: PTRACE_EVENT_CLONE stop");
    pid_t tid = (pid_t)eventmsg(t);
    remember(tid);
    /* a traced thread is waitable without __WALL/__WCLONE */
    expect_opt(tid, 0, ST_SIGSTOP, "thread (GETEVENTMSG's tid): first stop, waitpid without __WALL");
    resume(PTRACE_CONT, tid, 0);
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == tid, "the thread's gettid == GETEVENTMSG");
    CHECK(read_chan() == t, "the thread's getpid == the tracee");
    expect(tid, 0, "thread: exit reported to the tracer (exit 0)");
    reap_tracee(t, 0);
}

static void case_clone_exit(void)
{
    pid_t t = start_traceme("TRACECLONE + TRACEEXIT: a thread's own exit", O_CLONE | O_EXIT);
    if (t == 0) {
        pthread_t th;
        TCHECK(1, pthread_create(&th, NULL, thread_body, NULL) == 0);
        TCHECK(2, pthread_join(th, NULL) == 0);
        exit(tracee_fail);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(3), "leader: PTRACE_EVENT_CLONE stop");
    pid_t tid = (pid_t)eventmsg(t);
    remember(tid);
    expect(tid, ST_SIGSTOP, "thread: first stop");
    resume(PTRACE_CONT, tid, 0);
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == tid, "the thread's gettid == GETEVENTMSG");
    CHECK(read_chan() == t, "the thread's getpid == the tracee");
    expect(tid, EV(6), "thread: PTRACE_EVENT_EXIT stop");
    CHECK_EQ(eventmsg(tid), 0, "thread's exit event: GETEVENTMSG == 0");
    CHECK_EQ(peekuser(tid, OFF(orig_rax)), SYS_exit, "thread's exit event: orig_rax == SYS_exit");
    resume(PTRACE_CONT, tid, 0);
    expect(tid, 0, "thread: exit reported to the tracer (exit 0)");
    expect(t, EV(6), "leader: PTRACE_EVENT_EXIT stop");
    resume(PTRACE_CONT, t, 0);
    reap_tracee(t, 0);
}

/* ------------------------------------------------------------ PTRACE_SEIZE + fork */

static void case_seize_fork(void)
{
    printf("-- PTRACE_SEIZE + TRACEFORK\n");
    int go[2];
    if (pipe(go) != 0)
        bail("pipe");
    pid_t t = guest_fork();
    if (t == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGCHLD);
        sigprocmask(SIG_BLOCK, &s, NULL);
        char ch;
        close(go[1]);
        if (read(go[0], &ch, 1) != 1)
            _exit(98);
        pid_t c = fork();
        if (c == 0)
            _exit(5);
        send_chan(c);
        int st;
        TCHECK(1, waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5);
        _exit(tracee_fail);
    }
    remember(t);
    close(go[0]);
    CHECK(ptrace(PTRACE_SEIZE, t, 0, (void *)(long)O_FORK) == 0, "PTRACE_SEIZE with TRACEFORK");
    CHECK(write(go[1], "g", 1) == 1, "let the tracee fork");
    close(go[1]);
    expect(t, EV(1), "parent: PTRACE_EVENT_FORK stop");
    pid_t c = (pid_t)eventmsg(t);
    remember(c);
    expect(c, EV(128), "child: first stop is PTRACE_EVENT_STOP");
    show_siginfo(c, "child's PTRACE_EVENT_STOP");
    resume(PTRACE_CONT, c, 0);
    expect(c, 5 << 8, "child: exit reported to the tracer");
    resume(PTRACE_CONT, t, 0);
    CHECK(read_chan() == c, "fork's return value == GETEVENTMSG");
    reap_tracee(t, 0);
}

/* ------------------------------------------------------------ exec */

static void tracee_exec(void)
{
    char *argv[] = {(char *)self_path, "execd", NULL};
    char *envp[] = {NULL};
    execve(self_path, argv, envp);
    _exit(97);
}

static void case_exec_event(void)
{
    pid_t t = start_traceme("TRACEEXEC", O_EXEC);
    if (t == 0)
        tracee_exec();
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(4), "PTRACE_EVENT_EXEC stop");
    CHECK(eventmsg(t) == (unsigned long)t, "GETEVENTMSG == the former tid (the pid: exec by the leader)");
    CHECK_EQ(peekuser(t, OFF(orig_rax)), SYS_execve, "event stop: orig_rax == SYS_execve");
    printf("event stop: rax %ld\n", peekuser(t, OFF(rax)));
    show_siginfo(t, "event stop");
    resume(PTRACE_CONT, t, 0);
    reap_tracee(t, 0);
}

static void case_exec_legacy(void)
{
    pid_t t = start_traceme("exec without TRACEEXEC (TRACEME): a plain SIGTRAP", 0);
    if (t == 0)
        tracee_exec();
    resume(PTRACE_CONT, t, 0);
    expect(t, 0x57f, "SIGTRAP after exec");
    show_siginfo(t, "the SIGTRAP");
    printf("the SIGTRAP: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    resume(PTRACE_CONT, t, 0); /* suppressed: delivering it would kill */
    reap_tracee(t, 0);
}

static void case_exec_seized(void)
{
    printf("-- exec without TRACEEXEC under PTRACE_SEIZE: no stop\n");
    int go[2];
    if (pipe(go) != 0)
        bail("pipe");
    pid_t t = guest_fork();
    if (t == 0) {
        char ch;
        close(go[1]);
        if (read(go[0], &ch, 1) != 1)
            _exit(98);
        tracee_exec();
    }
    remember(t);
    close(go[0]);
    CHECK(ptrace(PTRACE_SEIZE, t, 0, 0) == 0, "PTRACE_SEIZE without options");
    CHECK(write(go[1], "g", 1) == 1, "let the tracee exec");
    close(go[1]);
    reap_tracee(t, 0);
}

static void case_exec_syscall(void)
{
    pid_t t = start_traceme("TRACEEXEC under PTRACE_SYSCALL + TRACESYSGOOD", O_EXEC | PTRACE_O_TRACESYSGOOD);
    if (t == 0)
        tracee_exec();
    syscall_until_entry(t, SYS_execve, "execve's entry stop");
    resume(PTRACE_SYSCALL, t, 0);
    expect(t, EV(4), "PTRACE_EVENT_EXEC stop (no 0x80)");
    printf("event stop: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    resume(PTRACE_SYSCALL, t, 0);
    expect(t, ST_SYSGOOD, "execve's exit stop");
    CHECK_EQ(peekuser(t, OFF(rax)), 0, "exit stop: rax == 0");
    CHECK_EQ(peekuser(t, OFF(orig_rax)), SYS_execve, "exit stop: orig_rax == SYS_execve");
    printf("exit stop: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    resume(PTRACE_CONT, t, 0);
    reap_tracee(t, 0);
}

/* ------------------------------------------------------------ exit */

static volatile long exit_marker;

static void case_exit_event(void)
{
    pid_t t = start_traceme("TRACEEXIT: exit(5)", O_EXIT);
    if (t == 0) {
        exit_marker = 0x5eed;
        exit(5);
    }
    resume(PTRACE_CONT, t, 0);
    expect(t, EV(6), "PTRACE_EVENT_EXIT stop");
    CHECK_EQ(eventmsg(t), 5 << 8, "GETEVENTMSG == the wait status 0x500");
    CHECK_EQ(peekuser(t, OFF(orig_rax)), SYS_exit_group, "registers readable: orig_rax == SYS_exit_group");
    errno = 0;
    long m = ptrace(PTRACE_PEEKDATA, t, (void *)&exit_marker, 0);
    CHECK(errno == 0 && m == 0x5eed, "memory readable: PEEKDATA sees the tracee's marker");
    printf("exit event stop: GET_SYSCALL_INFO op %d\n", sysinfo_op(t));
    show_siginfo(t, "exit event stop");
    resume(PTRACE_CONT, t, 0);
    reap_tracee(t, 5);
}

static void case_exit_signal(void)
{
    pid_t t = start_traceme("TRACEEXIT: killed by SIGTERM", O_EXIT);
    if (t == 0) {
        for (;;)
            pause();
    }
    kill(t, SIGTERM);
    resume(PTRACE_CONT, t, 0);
    expect(t, 0xf7f, "signal-delivery-stop for SIGTERM");
    resume(PTRACE_CONT, t, SIGTERM);
    expect(t, EV(6), "PTRACE_EVENT_EXIT stop");
    CHECK_EQ(eventmsg(t), SIGTERM, "GETEVENTMSG == the wait status 0xf");
    resume(PTRACE_CONT, t, 0);
    expect(t, SIGTERM, "tracee killed by SIGTERM");
}

static void case_exit_sigkill(void)
{
    pid_t t = start_traceme("TRACEEXIT: SIGKILL while stopped", O_EXIT);
    if (t == 0) {
        for (;;)
            pause();
    }
    /* Linux 6.18 still makes a SIGKILLed tracee stop at PTRACE_EVENT_EXIT
     * (a SIGKILL sent while it is in that stop would end it at once). */
    kill(t, SIGKILL);
    expect(t, EV(6), "PTRACE_EVENT_EXIT stop after SIGKILL");
    CHECK_EQ(eventmsg(t), SIGKILL, "GETEVENTMSG == the wait status 0x9");
    resume(PTRACE_CONT, t, 0);
    expect(t, SIGKILL, "tracee killed by SIGKILL");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "execd") == 0)
        return 0;
    self_path = argv[0];
    guest_line_buffered();
    alarm(60);
    if (pipe(chan) != 0)
        return 1;
    case_fork();
    case_fork_syscall();
    case_vfork();
    case_vfork_exec();
    case_clone();
    case_clone_exit();
    case_seize_fork();
    case_exec_event();
    case_exec_legacy();
    case_exec_seized();
    case_exec_syscall();
    case_exit_event();
    case_exit_signal();
    case_exit_sigkill();
    return guest_exit();
}
