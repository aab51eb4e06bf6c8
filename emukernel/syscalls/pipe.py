"""pipe and pipe2 (Linux fs/pipe.c do_pipe2)."""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_CLOEXEC, O_DIRECT, O_EXCL, O_NONBLOCK
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno, Fault
from ..fs.pipe import create_pipe_files
from ..threadgroup import task_rlimit
from . import s32
from .table import syscall

O_NOTIFICATION_PIPE = O_EXCL
_FDS = struct.Struct("<ii")


def do_pipe2(task: Any, fildes: int, flags: int) -> int:
    # Linux: fs/pipe.c __do_pipe_flags + do_pipe2
    if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE):
        raise Errno(E.EINVAL)
    if flags & O_NOTIFICATION_PIPE:
        raise Errno(E.ENOPKG)  # watch queues (notification pipes) are not provided
    r, w = create_pipe_files(task, flags)
    files = task.files
    cloexec = bool(flags & O_CLOEXEC)
    limit = task_rlimit(task, RLIMIT_NOFILE)
    try:
        fdr = files.install(r, cloexec, limit=limit)
    except Errno:
        for f in (r, w):
            f.get().put()
        raise
    try:
        fdw = files.install(w, cloexec, limit=limit)
    except Errno:
        files.close(fdr)
        w.get().put()
        raise
    try:
        task.mm.write(fildes, _FDS.pack(fdr, fdw))
    except Fault:
        files.close(fdr)
        files.close(fdw)
        raise
    return 0


@syscall("pipe", "p")
def sys_pipe(task: Any, fildes: int) -> int:
    return do_pipe2(task, fildes, 0)


@syscall("pipe2", "p", "oflags")
def sys_pipe2(task: Any, fildes: int, flags: int) -> int:
    return do_pipe2(task, fildes, s32(flags))
