"""The built-in strace-compatible tracer behind ``--trace``.

Every completed system call becomes one line in the format ``strace -f`` prints (default options:
``-s 32``, abbreviated structures, ``=`` aligned on column 40), e.g.::

    openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
    read(3, "abc", 4096)                    = 3
    close(99)                               = -1 EBADF (Bad file descriptor)
    --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---
    +++ killed by SIGSEGV (core dumped) +++

Arguments are decoded from the argument *kinds* declared in the syscall table (see
``emukernel.syscalls.table``); a few syscalls whose arguments are structures strace always decodes
(sigsets, sigaction, rlimit, stat, wait status, clone, futex, execve...) get a dedicated decoder chosen
by name.  Decoders are chosen once per table entry and cached, so tracing a call costs one tuple walk;
the kernel never calls the tracer when tracing is off.

Guest memory is read through ``task.mm.read(addr, n)`` / ``task.mm.read_cstring(addr, limit)``; any
exception there (``Fault``, ``Errno``...) makes the value print as its address, like strace does for
unreadable memory.
"""

from .decode_process import format_exit
from .decode_signal import format_signal
from .format import quote_string
from .plan import _GROUPS as _GROUPS  # the decoder registries: test_trace checks every documented kind
from .plan import _KINDS as _KINDS
from .plan import format_call
from .tracer import Tracer

__all__ = ["Tracer", "format_call", "format_signal", "format_exit", "quote_string"]
