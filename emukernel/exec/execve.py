"""execve (Linux fs/exec.c do_execveat_common, begin_new_exec): swap the task's image for a new program."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi import signal as S
from ..cpu import EFLAGS, RIP, RSP, Cpu
from ..errors import Errno, ExecFormatError
from ..mm import AddressSpace
from .elf import load_elf, parse_elf
from .stack import build_stack

if TYPE_CHECKING:
    from ..task import Task

MAX_ARG_STRINGS = 0x7FFFFFFF
ARG_MAX = 2 * 1024 * 1024  # a quarter of the 8 MiB stack rlimit, as Linux computes it


def check_args(argv: list[bytes], envp: list[bytes]) -> None:
    """E2BIG as Linux's bprm_stack_limits + copy_strings decide it."""
    total = sum(len(a) + 1 for a in argv) + sum(len(e) + 1 for e in envp)
    if total + (len(argv) + len(envp) + 2) * 8 > ARG_MAX:
        raise Errno(E.E2BIG)
    for s in (*argv, *envp):
        if len(s) + 1 > 32 * 4096:
            raise Errno(E.E2BIG)


def do_execve(task: Task, path: bytes, argv: list[bytes], envp: list[bytes]) -> None:
    """Load `path` into `task`.  Errors before the point of no return leave the task untouched
    (ExecFormatError for a file we cannot run, Errno otherwise)."""
    kernel = task.kernel
    check_args(argv, envp)
    file, data = kernel.vfs.open_exec(task.fs, path.decode("utf-8", "surrogateescape"))
    elf = parse_elf(data)
    # -- point of no return (begin_new_exec) -------------------------------------------------------
    cpu = Cpu()
    mm = AddressSpace(cpu)
    kernel.entry.install(cpu)
    try:
        image = load_elf(mm, elf, data, path.decode("utf-8", "surrogateescape"))
    except (Errno, ExecFormatError):
        mm.release()
        raise
    mm.start_brk = mm.brk = image.brk
    mm.start_code, mm.end_code = image.start_code, image.end_code
    mm.start_data, mm.end_data = image.start_data, image.end_data
    mm.exe = file
    mm.setup_stack()
    sp = build_stack(mm, argv, envp, path, image, task.creds, kernel.random_bytes(16))
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
    # the rest of begin_new_exec / setup_new_exec
    if task.files is not None:
        task.files.close_on_exec()
    flush_signal_handlers(task)
    task.exit_signal = S.SIGCHLD
    task.robust_list = 0
    task.clear_child_tid = 0
    name = path.rsplit(b"/", 1)[-1]
    task.comm = name[:15]


def flush_signal_handlers(task: Task) -> None:
    """Caught signals go back to SIG_DFL, ignored ones stay ignored (kernel/signal.c flush_signal_handlers)."""
    sh = task.sighand.copy()  # an exec'ing task never shares its handler table afterwards
    for sig, (handler, _flags, _restorer, _mask) in list(sh.actions.items()):
        if handler == S.SIG_IGN:
            sh.actions[sig] = (S.SIG_IGN, 0, 0, 0)
        else:
            del sh.actions[sig]
    task.sighand = sh
