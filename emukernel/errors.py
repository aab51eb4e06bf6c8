"""Kernel-internal exceptions that carry a Linux errno back to the syscall boundary."""

from __future__ import annotations

from .abi import errno as E


class Errno(Exception):
    """Raised anywhere under a syscall handler; the dispatcher returns -errno to the guest."""

    __slots__ = ("errno",)

    def __init__(self, errno: int) -> None:
        self.errno = errno

    def __str__(self) -> str:
        return E.NAMES.get(self.errno, str(self.errno))


class Fault(Errno):
    """A kernel access to guest memory hit an unmapped or inaccessible address (-EFAULT)."""

    __slots__ = ("addr",)

    def __init__(self, addr: int = 0) -> None:
        super().__init__(E.EFAULT)
        self.addr = addr


class ExecFormatError(Errno):
    """The file cannot be executed by this kernel; `errno` is what execve returns, the text is for humans."""

    __slots__ = ("message",)

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(errno)
        self.message = message

    def __str__(self) -> str:
        return self.message
