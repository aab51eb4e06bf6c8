"""The strace output reader (tests/strace_output.py) on real output of strace 7.2 captured natively."""

from __future__ import annotations

from strace_output import join_split_calls, normalise_stderr, normalise_trace, summary_counts

# `strace -f -o FILE build/guests/musl/strace_target` on the host (glibc strace 7.2, Linux 6.18): the main
# task, the forked and exec'd child, the thread and the thread's child ran concurrently, so strace split
# 22 calls into "<unfinished ...>" and "<... resumed>" halves.
NATIVE_F = """\
16113 execve("/work/wt/strace-tests/build/guests/musl/strace_target", ["/work/wt/strace-tests/build/gues"...], 0x7fffd19ccc78 /* 2 vars */) = 0
16113 arch_prctl(ARCH_SET_FS, 0x100c480) = 0
16113 set_tid_address(0x100c420)        = 16113
16113 rt_sigprocmask(SIG_BLOCK, [USR2 CHLD], NULL, 8) = 0
16113 write(1, "main: start\\n", 12)     = 12
16113 rt_sigprocmask(SIG_UNBLOCK, [RT_1 RT_2], NULL, 8) = 0
16113 rt_sigaction(SIGUSR1, {sa_handler=0x1004a80, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x10058ed}, NULL, 8) = 0
16113 getpid()                          = 16113
16113 kill(16113, SIGUSR1)              = 0
16113 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=16113, si_uid=0} ---
16113 write(1, "handler: SIGUSR1\\n", 17) = 17
16113 rt_sigreturn({mask=[USR2 CHLD]})  = 0
16113 write(1, "main: handler returned\\n", 23) = 23
16113 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
16113 rt_sigprocmask(SIG_BLOCK, ~[], ~[KILL STOP RTMIN RT_1 RT_2], 8) = 0
16113 fork()                            = 16120
16120 set_tid_address(0x100c420 <unfinished ...>
16113 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2] <unfinished ...>
16120 <... set_tid_address resumed>)    = 16120
16113 <... rt_sigprocmask resumed>, NULL, 8) = 0
16120 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2] <unfinished ...>
16113 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16120 <... rt_sigprocmask resumed>, NULL, 8) = 0
16113 <... rt_sigprocmask resumed>, NULL, 8) = 0
16120 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16113 wait4(16120 <unfinished ...>
16120 <... rt_sigprocmask resumed>, NULL, 8) = 0
16120 execve("/work/wt/strace-tests/build/guests/musl/strace_target", ["/work/wt/strace-tests/build/gues"..., "child"], 0x7ffe0140c358 /* 2 vars */) = 0
16120 arch_prctl(ARCH_SET_FS, 0x100c480) = 0
16120 set_tid_address(0x100c420)        = 16120
16120 write(1, "child: exec'd\\n", 14)   = 14
16120 exit_group(3)                     = ?
16120 +++ exited with 3 +++
16113 <... wait4 resumed>, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 16120
16113 write(1, "main: child exited 3\\n", 21) = 21
16113 pipe([3, 4])                      = 0
16113 pipe([5, 6])                      = 0
16113 pipe([7, 8])                      = 0
16113 rt_sigprocmask(SIG_UNBLOCK, [RT_1 RT_2], NULL, 8) = 0
16113 mmap(NULL, 8400896, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a48b7a000
16113 mprotect(0x7f2a48b7c000, 8392704, PROT_READ|PROT_WRITE) = 0
16113 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
16113 clone(child_stack=0x7f2a4937cee8, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|0x400000, parent_tid=[16121], tls=0x7f2a4937cf38, child_tidptr=0x100c420) = 16121
16121 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16113 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16121 <... rt_sigprocmask resumed>, NULL, 8) = 0
16113 <... rt_sigprocmask resumed>, NULL, 8) = 0
16121 write(1, "thread: running\\n", 16 <unfinished ...>
16113 write(8, "c", 1 <unfinished ...>
16121 <... write resumed>)              = 16
16113 <... write resumed>)              = 1
16121 getppid( <unfinished ...>
16113 read(5 <unfinished ...>
16121 <... getppid resumed>)            = 16111
16121 read(7, "c", 1)                   = 1
16121 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
16121 rt_sigprocmask(SIG_BLOCK, ~[], ~[KILL STOP RTMIN RT_1 RT_2], 8) = 0
16121 fork( <unfinished ...>
16122 set_tid_address(0x100c420 <unfinished ...>
16121 <... fork resumed>)               = 16122
16122 <... set_tid_address resumed>)    = 16122
16121 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2] <unfinished ...>
16122 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2] <unfinished ...>
16121 <... rt_sigprocmask resumed>, NULL, 8) = 0
16122 <... rt_sigprocmask resumed>, NULL, 8) = 0
16121 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16122 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD] <unfinished ...>
16121 <... rt_sigprocmask resumed>, NULL, 8) = 0
16122 <... rt_sigprocmask resumed>, NULL, 8) = 0
16121 read(3 <unfinished ...>
16122 prctl(PR_SET_PDEATHSIG, SIGUSR2)  = 0
16122 write(4, "r", 1)                  = 1
16121 <... read resumed>, "r", 1)       = 1
16121 write(6, "a", 1 <unfinished ...>
16113 <... read resumed>, "a", 1)       = 1
16121 <... write resumed>)              = 1
16113 wait4(-1 <unfinished ...>
16122 rt_sigtimedwait([USR2], NULL, NULL, 8 <unfinished ...>
16121 write(1, "thread: exiting\\n", 16) = 16
16121 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
16121 futex(0x7f2a4937cf70, FUTEX_WAKE_PRIVATE, 1) = 0
16121 exit(0)                           = ?
16121 +++ exited with 0 +++
16122 <... rt_sigtimedwait resumed>)    = 12 (SIGUSR2)
16122 exit_group(0)                     = ?
16122 +++ exited with 0 +++
16113 <... wait4 resumed>, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 16122
16113 write(1, "main: the thread's child got SIG"..., 37) = 37
16113 munmap(0x7f2a48b7a000, 8400896)   = 0
16113 write(1, "main: joined\\n", 13)    = 13
16113 exit_group(0)                     = ?
16113 +++ exited with 0 +++
"""

NATIVE_F_NORMALISED = """\
P1 execve("/work/wt/strace-tests/build/guests/musl/strace_target", ["/work/wt/strace-tests/build/gues"...], 0xADDR /* 2 vars */) = 0
P1 arch_prctl(ARCH_SET_FS, 0xADDR) = 0
P1 set_tid_address(0xADDR) = P1
P1 rt_sigprocmask(SIG_BLOCK, [USR2 CHLD], NULL, 8) = 0
P1 write(1, "main: start\\n", 12) = 12
P1 rt_sigprocmask(SIG_UNBLOCK, [RT_1 RT_2], NULL, 8) = 0
P1 rt_sigaction(SIGUSR1, {sa_handler=0xADDR, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0xADDR}, NULL, 8) = 0
P1 getpid() = P1
P1 kill(P1, SIGUSR1) = 0
P1 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=P1, si_uid=0} ---
P1 write(1, "handler: SIGUSR1\\n", 17) = 17
P1 rt_sigreturn({mask=[USR2 CHLD]}) = 0
P1 write(1, "main: handler returned\\n", 23) = 23
P1 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
P1 rt_sigprocmask(SIG_BLOCK, ~[], ~[KILL STOP RTMIN RT_1 RT_2], 8) = 0
P1 fork() = P2
P1 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2], NULL, 8) = 0
P1 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P1 wait4(P2, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = P2
P1 write(1, "main: child exited 3\\n", 21) = 21
P1 pipe([3, 4]) = 0
P1 pipe([5, 6]) = 0
P1 pipe([7, 8]) = 0
P1 rt_sigprocmask(SIG_UNBLOCK, [RT_1 RT_2], NULL, 8) = 0
P1 mmap(NULL, 8400896, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0xADDR
P1 mprotect(0xADDR, 8392704, PROT_READ|PROT_WRITE) = 0
P1 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
P1 clone(child_stack=0xADDR, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|0xADDR, parent_tid=[P3], tls=0xADDR, child_tidptr=0xADDR) = P3
P1 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P1 write(8, "c", 1) = 1
P1 read(5, "a", 1) = 1
P1 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = P4
P1 write(1, "main: the thread's child got SIG"..., 37) = 37
P1 munmap(0xADDR, 8400896) = 0
P1 write(1, "main: joined\\n", 13) = 13
P1 exit_group(0) = ?
P1 +++ exited with 0 +++
P2 set_tid_address(0xADDR) = P2
P2 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2], NULL, 8) = 0
P2 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P2 execve("/work/wt/strace-tests/build/guests/musl/strace_target", ["/work/wt/strace-tests/build/gues"..., "child"], 0xADDR /* 2 vars */) = 0
P2 arch_prctl(ARCH_SET_FS, 0xADDR) = 0
P2 set_tid_address(0xADDR) = P2
P2 write(1, "child: exec'd\\n", 14) = 14
P2 exit_group(3) = ?
P2 +++ exited with 3 +++
P3 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P3 write(1, "thread: running\\n", 16) = 16
P3 getppid() = P5
P3 read(7, "c", 1) = 1
P3 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
P3 rt_sigprocmask(SIG_BLOCK, ~[], ~[KILL STOP RTMIN RT_1 RT_2], 8) = 0
P3 fork() = P4
P3 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2], NULL, 8) = 0
P3 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P3 read(3, "r", 1) = 1
P3 write(6, "a", 1) = 1
P3 write(1, "thread: exiting\\n", 16) = 16
P3 rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1 RT_2], [USR2 CHLD], 8) = 0
P3 futex(0xADDR, FUTEX_WAKE_PRIVATE, 1) = 0
P3 exit(0) = ?
P3 +++ exited with 0 +++
P4 set_tid_address(0xADDR) = P4
P4 rt_sigprocmask(SIG_SETMASK, ~[KILL STOP RTMIN RT_1 RT_2], NULL, 8) = 0
P4 rt_sigprocmask(SIG_SETMASK, [USR2 CHLD], NULL, 8) = 0
P4 prctl(PR_SET_PDEATHSIG, SIGUSR2) = 0
P4 write(4, "r", 1) = 1
P4 rt_sigtimedwait([USR2], NULL, NULL, 8) = 12 (SIGUSR2)
P4 exit_group(0) = ?
P4 +++ exited with 0 +++
"""

# `strace -c -o FILE /bin/true` on the host: one failed call (access of /etc/ld.so.preload).
NATIVE_C = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
  0.00    0.000000           0         1           read
  0.00    0.000000           0         2           close
  0.00    0.000000           0         8           mmap
  0.00    0.000000           0         3           mprotect
  0.00    0.000000           0         1           munmap
  0.00    0.000000           0         1           brk
  0.00    0.000000           0         2           pread64
  0.00    0.000000           0         1         1 access
  0.00    0.000000           0         1           execve
  0.00    0.000000           0         1           arch_prctl
  0.00    0.000000           0         1           set_tid_address
  0.00    0.000000           0         2           openat
  0.00    0.000000           0         2           newfstatat
  0.00    0.000000           0         1           set_robust_list
  0.00    0.000000           0         1           prlimit64
  0.00    0.000000           0         1           rseq
------ ----------- ----------- --------- --------- ----------------
100.00    0.000000           0        29         1 total
"""


def test_normalise_captured_trace() -> None:
    assert normalise_trace(NATIVE_F) == NATIVE_F_NORMALISED


def test_normalise_ignores_the_interleaving() -> None:
    """Another interleaving of the same calls (each task's lines in the same order) normalises the same."""
    lines = NATIVE_F.splitlines(keepends=True)
    by_pid: dict[str, list[str]] = {}
    for line in lines:
        by_pid.setdefault(line.split()[0], []).append(line)
    # one task after another, nothing split: as strace -ff would have written them, concatenated
    joined = "".join(f"{pid} {body}\n" for pid, body in join_split_calls(NATIVE_F))
    assert normalise_trace(joined) == NATIVE_F_NORMALISED
    sequential = "".join(f"{pid} {body}\n" for pid in by_pid
                         for p, body in join_split_calls(NATIVE_F) if p == pid)
    assert normalise_trace(sequential) == NATIVE_F_NORMALISED


def test_pids_are_renumbered_only_where_strace_prints_a_pid() -> None:
    """Small pids (an emulated run's) do not clash with fds, lengths or an injected return value."""
    trace = (
        "2 getpid() = 2\n"
        "2 write(3, \"x\", 3) = 3\n"
        "2 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
        "child_tidptr=0x4a5f10) = 3\n"
        "3 getppid() = 2\n"
        "3 kill(2, SIGUSR1) = 0\n"
        "2 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=3, si_uid=0} ---\n"
        "2 getpid()                          = 42 (INJECTED)\n"
        "2 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 3\n"
    )
    assert normalise_trace(trace) == (
        "P1 getpid() = P1\n"
        "P1 write(3, \"x\", 3) = 3\n"
        "P1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
        "child_tidptr=0xADDR) = P2\n"
        "P1 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=P2, si_uid=0} ---\n"
        "P1 getpid() = 42 (INJECTED)\n"
        "P1 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = P2\n"
        "P2 getppid() = P1\n"
        "P2 kill(P1, SIGUSR1) = 0\n"
    )


def test_single_task_trace_and_unresumed_call() -> None:
    """Without a pid column (strace -p, no -f) the task is P1; a call never resumed keeps its marker."""
    trace = (
        'read(3, "g", 1)                         = 1\n'
        "getppid()                               = 31001\n"
        'getrandom("\\x67\\x3d\\x7d\\xc0", 4, GRND_NONBLOCK) = 4\n'
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=31002, si_uid=0, si_status=0, "
        "si_utime=3, si_stime=1} ---\n"
        "read(4 <unfinished ...>\n"
        "+++ killed by SIGKILL +++\n"
    )
    assert normalise_trace(trace) == (
        'P1 read(3, "g", 1) = 1\n'
        "P1 getppid() = P2\n"
        'P1 getrandom("RANDOM", 4, GRND_NONBLOCK) = 4\n'
        "P1 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=P3, si_uid=0, si_status=0, "
        "si_utime=T, si_stime=T} ---\n"
        "P1 read(4 <unfinished ...>\n"
        "P1 +++ killed by SIGKILL +++\n"
    )


def test_summary_counts() -> None:
    counts = summary_counts(NATIVE_C)
    assert counts["access"] == (1, 1)
    assert counts["mmap"] == (8, 0)
    assert counts["total"] == (29, 1)
    assert sum(c for name, (c, _) in counts.items() if name != "total") == 29
    assert len(counts) == 17


def test_normalise_stderr() -> None:
    assert normalise_stderr("strace: Process 4242 attached\n") == "strace: Process N attached\n"
