"""The socket family (Linux net/socket.c): no address family is supported, so socket and socketpair fail as
Linux does with no family registered, and every other socket call on a descriptor is EBADF or ENOTSOCK.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_NONBLOCK
from ..errors import Errno
from . import s32, u32
from .table import syscall

SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, 0o2000000
SOCK_TYPE_MASK = 0xF
SOCK_MAX = 11
NPROTO = 46  # AF_MAX


def _socket_checks(family: int, type_: int) -> None:
    # Linux: net/socket.c __sys_socket_create + __sock_create, for a kernel with no family registered
    if type_ & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise Errno(E.EINVAL)
    if not 0 <= family < NPROTO:
        raise Errno(E.EAFNOSUPPORT)
    if not 0 <= type_ & SOCK_TYPE_MASK < SOCK_MAX:
        raise Errno(E.EINVAL)
    raise Errno(E.EAFNOSUPPORT)


@syscall("socket", "d", "x", "d", ret="fd")
def sys_socket(task: Any, family: int, type_: int, protocol: int) -> int:
    _socket_checks(s32(family), s32(type_))
    return 0  # not reached


@syscall("socketpair", "d", "x", "d", "p")
def sys_socketpair(task: Any, family: int, type_: int, protocol: int, sv: int) -> int:
    _socket_checks(s32(family), s32(type_))
    return 0  # not reached


def _not_a_socket(task: Any, fd: int, *_: int) -> int:
    """Every other socket call on a descriptor: EBADF when closed, else ENOTSOCK (sockfd_lookup)."""
    task.files.get(u32(fd))
    raise Errno(E.ENOTSOCK)


for _name, _args in (("connect", ("fd", "p", "d")), ("accept", ("fd", "p", "p")), ("accept4", ("fd", "p", "p", "x")),
                     ("bind", ("fd", "p", "d")), ("listen", ("fd", "d")), ("getsockname", ("fd", "p", "p")),
                     ("getpeername", ("fd", "p", "p")), ("sendto", ("fd", "p", "u", "x", "p", "d")),
                     ("recvfrom", ("fd", "p", "u", "x", "p", "p")), ("sendmsg", ("fd", "p", "x")),
                     ("recvmsg", ("fd", "p", "x")), ("sendmmsg", ("fd", "p", "u", "x")),
                     ("recvmmsg", ("fd", "p", "u", "x", "p")), ("shutdown", ("fd", "d")),
                     ("setsockopt", ("fd", "d", "d", "p", "d")), ("getsockopt", ("fd", "d", "d", "p", "p"))):
    syscall(_name, *_args)(lambda task, fd, *rest: _not_a_socket(task, fd))
