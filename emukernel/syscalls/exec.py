"""execve / execveat: copy the file name and argument arrays, then exec outside emulation."""

from __future__ import annotations

from ..abi import errno as E
from ..abi.ptrace import PTRACE_EVENT_EXEC
from ..cpu import RAX
from ..errors import Errno
from ..exec.execve import (
    Binprm,
    de_thread_busy,
    exec_binprm,
    open_exec,
    prepare,
    read_string_array,
    release_bprm_file,
    zap_other_threads,
)
from ..ptrace import PtraceEvent
from ..sched import NORETURN, Block, Deferred
from . import s32
from .table import syscall

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH = 0x100, 0x1000


def do_execveat(task, dirfd: int, path_ptr: int, argv_ptr: int, envp_ptr: int, flags: int):
    # Linux: fs/exec.c do_execveat_common, in its order of checks
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise Errno(E.EINVAL)
    path = task.mm.read_cstring(path_ptr, 4096)
    file = None
    dirfile = None
    if not path:
        if not flags & AT_EMPTY_PATH:
            raise Errno(E.ENOENT)
        file = task.files.get(dirfd)
    elif dirfd != AT_FDCWD and not path.startswith(b"/"):
        dirfile = task.files.get(dirfd)
    bprm = Binprm(path, [], [])
    if (file is not None or dirfile is not None) and task.files.get_cloexec(dirfd):
        bprm.path_inaccessible = True
    if file is not None:
        # fexecve: the name the new program sees is /dev/fd/N, as Linux builds it
        bprm.filename = bprm.interp = b"/dev/fd/%d" % dirfd
    elif dirfile is not None:
        bprm.filename = bprm.interp = b"/dev/fd/%d/%s" % (dirfd, path)
    bprm.file, bprm.data = open_exec(task, path, dirfile, flags, file)
    try:
        argv = read_string_array(task, argv_ptr)
        envp = read_string_array(task, envp_ptr)
        bprm.argv = argv or [b""]  # Linux 5.18+: an empty argv becomes { "" }
        bprm.envp = envp
        elf = prepare(task, bprm)
    except BaseException:
        release_bprm_file(bprm)
        raise

    # the tracer's number for us before de_thread may give us the leader's (ptrace_event's message)
    old_vpid = task.kernel.vpid(task.parent, task) if task.ptrace is not None else 0

    def run():
        # de_thread: kill the other threads, then wait (killable) until those a tracer holds as zombies
        # are reaped
        zap_other_threads(task)
        if de_thread_busy(task):
            task.tg.execing = task
            return Block(None, what="exec: the tracer to reap the other threads", resume=finish)
        return finish()

    def finish():
        if de_thread_busy(task):
            return Block(None, what="exec: the tracer to reap the other threads", resume=finish)
        task.tg.end_exec(task.kernel)
        try:
            exec_binprm(task, bprm, elf)
        finally:
            release_bprm_file(bprm)
        if task.ptrace is not None:
            # the tracer sees the new image with rax still -ENOSYS (pt_regs from the entry) at the event
            # stop, and execve's 0 at the exit stop
            task.mm.cpu.set_reg(RAX, -E.ENOSYS)
            return PtraceEvent(PTRACE_EVENT_EXEC, old_vpid, lambda: 0)
        return NORETURN

    return Deferred(run)


@syscall("execve", "path", "p", "p")
def sys_execve(task, path, argv, envp):
    return do_execveat(task, AT_FDCWD, path, argv, envp, 0)


@syscall("execveat", "atfd", "path", "p", "p", "atflags")
def sys_execveat(task, dirfd, path, argv, envp, flags):
    return do_execveat(task, s32(dirfd), path, argv, envp, flags & 0xFFFFFFFF)
