"""execve (Linux fs/exec.c do_execveat_common, bprm_execve, begin_new_exec; fs/binfmt_script.c).

Everything up to the point of no return may fail and leaves the caller exactly as it was: the file lookup,
the argument copies (E2BIG, EFAULT), `#!` interpreter resolution (nested up to 5 levels, then ELOOP) and ELF
validation (ENOEXEC).  Then de_thread kills every other thread of the group (the caller takes over the
leader's tid if it is not the leader) and the image is replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi import signal as S
from ..abi.resource import RLIMIT_STACK
from ..cpu import EFLAGS, RIP, RSP, Cpu
from ..creds import SUID_DUMPABLE, changes_dumpability, exec_creds, exec_is_secure
from ..errors import Errno, ExecFormatError
from ..exit import exit_task
from ..fs.permission import MAY_READ, generic_permission
from ..fs.vfs import release_exec_file
from ..mm import SUID_DUMP_USER, AddressSpace
from ..ptrace import ptrace_unlink
from ..task import EXIT_DEAD, EXIT_ZOMBIE
from .elf import load_elf, parse_elf
from .stack import build_stack

if TYPE_CHECKING:
    from ..task import Task

MAX_ARG_STRLEN = 32 * 4096
MAX_ARG_STRINGS = 0x7FFFFFFF
BINPRM_BUF_SIZE = 256
MAX_INTERP_DEPTH = 5  # Linux: fs/exec.c exec_binprm "depth > 5"


class Binprm:
    """struct linux_binprm: what is being executed and with which arguments."""

    def __init__(self, filename: bytes, argv: list[bytes], envp: list[bytes]) -> None:
        self.filename = filename  # what AT_EXECFN shows (the path given to execve)
        self.interp = filename  # the file actually loaded (the interpreter for scripts)
        self.argv = argv
        self.envp = envp
        self.file = None
        self.data = b""
        self.path_inaccessible = False  # executed through a close-on-exec fd: scripts cannot be run


def stack_limit(task: Task) -> int:
    """bprm_stack_limits: a quarter of RLIMIT_STACK (at least 128 KiB, at most 6 MiB worth)."""

    rlim = task.tg.rlimits[RLIMIT_STACK][0]
    limit = max(min(rlim, 1 << 62) // 4, 32 * 4096)
    return min(limit, 3 * (1 << 21))


def check_args(task: Task, argv: list[bytes], envp: list[bytes]) -> None:
    """E2BIG as bprm_stack_limits + copy_strings decide it."""
    ptr_size = (len(argv) + len(envp) + 2) * 8
    strings = sum(len(a) + 1 for a in argv) + sum(len(e) + 1 for e in envp)
    if ptr_size + strings > stack_limit(task):
        raise Errno(E.E2BIG)


def read_string_array(task: Task, ptr: int, limit: int = MAX_ARG_STRINGS) -> list[bytes]:
    """count() + copy_strings for a user argv/envp: NULL array pointer means empty."""
    out: list[bytes] = []
    if not ptr:
        return out
    mm = task.mm
    budget = stack_limit(task)
    while True:
        p = mm.read_u64(ptr + 8 * len(out))
        if not p:
            return out
        if len(out) >= limit:
            raise Errno(E.E2BIG)
        try:
            s = mm.read_cstring(p, MAX_ARG_STRLEN)
        except Errno as e:
            raise Errno(E.E2BIG if e.errno == E.ENAMETOOLONG else e.errno) from None
        budget -= len(s) + 1 + 8
        if budget < 0:
            raise Errno(E.E2BIG)
        out.append(s)


def open_exec(task: Task, path: bytes, dirfd: int | None = None, flags: int = 0, file=None):
    """do_open_execat: (File, bytes) for path (relative to dirfd), or for `file` itself (AT_EMPTY_PATH)."""
    vfs = task.kernel.vfs
    if file is not None:
        return vfs.open_exec_file(file, task.creds)
    return vfs.open_exec(task.fs, path, task.creds, dirfd_file=dirfd, nofollow=bool(flags & 0x100))


def load_script(task: Task, bprm: Binprm) -> bool:
    """binfmt_script: rewrite argv for a `#!` file; returns False if bprm is not a script."""
    data = bprm.data
    if not data.startswith(b"#!"):
        return False
    if bprm.path_inaccessible:
        # the interpreter would be handed /dev/fd/N of a close-on-exec fd (BINPRM_FLAGS_PATH_INACCESSIBLE)
        raise Errno(E.ENOENT)
    line = data[2:BINPRM_BUF_SIZE]
    nl = line.find(b"\n")
    if nl < 0:
        # the whole buffer is one line: only acceptable if the interpreter name ends inside it
        stripped = line.lstrip(b" \t")
        if not stripped or all(c not in b" \t" for c in stripped.rstrip(b"\0")) and len(data) > BINPRM_BUF_SIZE:
            raise Errno(E.ENOEXEC)
        nl = len(line)
    line = line[:nl].split(b"\0", 1)[0].strip(b" \t")
    if not line:
        raise Errno(E.ENOEXEC)
    parts = line.split(None, 1)
    interp = parts[0]
    arg = parts[1].strip(b" \t") if len(parts) > 1 else None
    argv = [interp] + ([arg] if arg else []) + [bprm.interp] + bprm.argv[1:]
    bprm.argv = argv
    bprm.interp = interp
    release_bprm_file(bprm)
    bprm.file, bprm.data = open_exec(task, interp)
    return True


def release_bprm_file(bprm: Binprm) -> None:
    """free_bprm: give back the file open_exec took (its reference and its denial of writers)."""
    file, bprm.file = bprm.file, None
    if file is not None:

        release_exec_file(file)


def prepare(task: Task, bprm: Binprm):
    """After the file is open: follow `#!` interpreters, check the argument size, validate the ELF."""
    depth = 0
    while load_script(task, bprm):
        depth += 1
        if depth > MAX_INTERP_DEPTH - 1:
            raise Errno(E.ELOOP)
    check_args(task, bprm.argv, bprm.envp)
    return parse_elf(bprm.data)


def zap_other_threads(task: Task) -> None:
    """de_thread's first half: every other thread of the group is killed.  They exit with status 0 (an
    exec, not a group exit, killed them: do_group_exit's group_exec_task case)."""
    kernel = task.kernel
    for t in list(task.tg.tasks):
        if t is not task and t.alive:
            exit_task(kernel, t, 0)


def de_thread_busy(task: Task) -> bool:
    """de_thread waits until every other thread but the leader is released: a traced one stays a zombie
    until its tracer reaps it (release_task wakes the exec then)."""
    leader = task.tg.leader
    return any(t is not task and t is not leader for t in task.tg.tasks)


def de_thread(task: Task) -> None:
    """Kill every other thread of the group (zap_other_threads; a caller that must wait for traced ones to
    be reaped has done it and waited before); a non-leader caller takes over the leader's identity."""
    kernel = task.kernel
    tg = task.tg
    zap_other_threads(task)
    leader = tg.leader
    if leader is task:
        return
    # Linux: fs/exec.c de_thread: the caller becomes the leader, with the tgid as its tid; the old leader
    # (now a zombie that nobody will be told about) is released
    old_pid = task.pid
    kernel.tasks.pop(task.tid, None)
    old_pid.tasks.remove(task)
    kernel.pidns.free_pid(old_pid)
    task.tid = leader.tid
    task.pid = leader.pid
    leader.pid.tasks.remove(leader)
    leader.pid.tasks.append(task)
    leader.pid = None
    task.real_parent = leader.real_parent
    if task.ptrace is None:
        task.parent = leader.real_parent
    parent = leader.real_parent
    if parent is not None and leader in parent.children:
        parent.children[parent.children.index(leader)] = task
    tg.leader = task
    task.exit_signal = S.SIGCHLD
    kernel.tasks[task.tid] = task
    leader.set_exit_state(EXIT_ZOMBIE, EXIT_DEAD)  # released here, never reported
    if leader.ptrace is not None:
        # its tracer may sleep in wait for it: wake it to find the leader gone (never reported)
        tracer = leader.parent
        ptrace_unlink(leader)
        kernel.child_exited(tracer, leader)
    if leader in tg.tasks:
        tg.tasks.remove(leader)


def _readable(creds, bprm: Binprm) -> bool:
    """would_dump's test: may the caller read the file it executes (inode_permission MAY_READ)?"""
    inode = bprm.file.inode if bprm.file is not None else None
    if inode is None:
        return True
    try:
        generic_permission(creds, inode, MAY_READ)
    except Errno:
        return False
    return True


def exec_binprm(task: Task, bprm: Binprm, elf) -> None:
    """The point of no return (begin_new_exec): de_thread, new mm, and the rest of the new image."""
    kernel = task.kernel
    de_thread(task)
    if kernel.events is not None:
        kernel.events.on_exec(task, bprm.filename)
    cpu = Cpu()
    mm = AddressSpace(cpu)
    kernel.entry.install(cpu)
    name = bprm.interp.decode("utf-8", "surrogateescape")
    try:
        image = load_elf(mm, elf, bprm.data, name)
    except (Errno, ExecFormatError):
        mm.release()
        raise
    mm.start_brk = mm.brk = image.brk
    mm.start_code, mm.end_code = image.start_code, image.end_code
    mm.start_data, mm.end_data = image.start_data, image.end_data
    mm.set_exe_file(bprm.file)
    mm.setup_stack()
    # credentials of the new image (bprm_fill_uid + cap_bprm_creds_from_file): set-id bits, capabilities

    st = bprm.file.stat() if bprm.file is not None and hasattr(bprm.file, "stat") else None
    suid = st.uid if st is not None and st.mode & 0o4000 else None
    sgid = st.gid if st is not None and st.mode & 0o2010 == 0o2010 else None
    old_creds = task.creds
    task.creds = exec_creds(old_creds, suid, sgid, task.no_new_privs)
    secure = exec_is_secure(old_creds, task.creds)
    # begin_new_exec: the new image is dumpable unless the caller ran with effective ids other than its real
    # ones or could not read the file (would_dump); then commit_creds applies its own rule
    nondump = old_creds.euid != old_creds.uid or old_creds.egid != old_creds.gid or not _readable(old_creds, bprm)
    mm.dumpable = SUID_DUMPABLE if nondump else SUID_DUMP_USER
    if changes_dumpability(old_creds, task.creds):
        mm.dumpable = SUID_DUMPABLE
        task.pdeath_signal = 0
    sp = build_stack(mm, bprm.argv, bprm.envp, bprm.filename, image, task.creds, kernel.random_bytes(16),
                     secure)
    old = task.mm
    kernel.release_vfork(task)
    if old is not None:
        if old.cpu.current is task:
            old.cpu.current = None
        old.users -= 1
        if old.users == 0:
            old.release()
    if task.ctx is not None:
        Cpu.context_free(task.ctx)
        task.ctx = None
    task.mm = mm
    cpu.current = task
    cpu.init_fpu()
    cpu.set_reg(RSP, sp)
    cpu.set_reg(RIP, image.entry)
    cpu.set_reg(EFLAGS, 0x202)  # Linux start_thread: X86_EFLAGS_IF
    task.fs_base = 0
    if task.files is not None:
        if task.files.users > 1:  # unshare_files: the new image gets a private table
            task.files.users -= 1
            task.files = task.files.copy()
            task.files.users = 1
        task.files.close_on_exec()
    flush_signal_handlers(task)
    task.sas_ss_sp = task.sas_ss_size = 0
    task.sas_ss_flags = 0
    task.exit_signal = S.SIGCHLD
    task.robust_list = 0
    if task.syscall_dispatch is not None:  # begin_new_exec disarms syscall user dispatch
        task.syscall_dispatch = None
        task.syscall_work_changed()
    task.clear_child_tid = 0
    task.tg.did_exec = True
    for timer in task.tg.posix_timers.values():  # exit_itimers
        kernel.sched.cancel_timer(timer.handle)
    task.tg.posix_timers = {}
    task.comm = bprm.filename.rsplit(b"/", 1)[-1][:15]


def do_execve(task: Task, path: bytes, argv: list[bytes], envp: list[bytes]) -> None:
    """Load `path` into `task` (used for the first program and by the execve syscall)."""
    bprm = Binprm(path, list(argv) or [b""], list(envp))
    bprm.file, bprm.data = open_exec(task, path)
    try:
        exec_binprm(task, bprm, prepare(task, bprm))
    finally:
        release_bprm_file(bprm)


def flush_signal_handlers(task: Task) -> None:
    """Caught signals go back to SIG_DFL, ignored ones stay ignored (kernel/signal.c flush_signal_handlers);
    the handler table is unshared first (unshare_sighand)."""
    sh = task.sighand.copy()
    for sig, (handler, _flags, _restorer, _mask) in list(sh.actions.items()):
        if handler == S.SIG_IGN:
            sh.actions[sig] = (S.SIG_IGN, 0, 0, 0)
        else:
            del sh.actions[sig]
    task.sighand = sh
