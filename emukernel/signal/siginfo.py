"""siginfo_t (include/uapi/asm-generic/siginfo.h), 128 bytes on x86-64, and the si_code values."""

from __future__ import annotations

import struct

from ..abi.siginfo import SI_KERNEL

SIGINFO_SIZE = 128

# layouts of the union that starts at offset 16
_HEAD = struct.Struct("<iii4x")
_KILL = struct.Struct("<iI")  # si_pid, si_uid
_RT = struct.Struct("<iIQ")  # si_pid, si_uid, si_value
_CHLD = struct.Struct("<iIi4xqq")  # si_pid, si_uid, si_status, si_utime, si_stime
_FAULT = struct.Struct("<Q")  # si_addr
_TIMER = struct.Struct("<iiQ")  # si_tid, si_overrun, si_value
_SYS = struct.Struct("<QiI")  # si_call_addr, si_syscall, si_arch
KILL_INFO = struct.Struct("<iii4xiI104x")  # the whole siginfo of the kill member
_USER_HEAD = struct.Struct("<iii4xiIQ")  # head + the rt member
_new = object.__new__


class SigInfo:
    """A queued signal's information.  `kind` says which union member is meaningful.

    The fields every signal has are slots; the others are class-level defaults that an instance keeps in
    its __dict__ only once set, so that the common (kill) siginfo is cheap to make."""

    __slots__ = ("signo", "code", "pid", "uid", "kind", "__dict__")
    errno = 0
    value = 0
    status = 0
    utime = 0
    stime = 0
    addr = 0
    tid = 0
    overrun = 0
    raw: bytes | None = None  # a user-supplied siginfo (rt_sigqueueinfo) kept as given
    syscall = 0  # SIGSYS: the syscall number and its AUDIT_ARCH (si_call_addr is addr)
    arch = 0
    trapno = 0  # faults: the CPU exception and its error code, for the sigcontext
    err = 0

    def __init__(self, signo: int, code: int = SI_KERNEL, *, pid: int = 0, uid: int = 0, value: int = 0,
                 status: int = 0, utime: int = 0, stime: int = 0, addr: int = 0, tid: int = 0,
                 overrun: int = 0, kind: str = "kill", errno: int = 0, raw: bytes | None = None) -> None:
        self.signo = signo
        self.code = code
        self.pid = pid
        self.uid = uid
        self.kind = kind
        if errno:
            self.errno = errno
        if value:
            self.value = value
        if status:
            self.status = status
        if utime:
            self.utime = utime
        if stime:
            self.stime = stime
        if addr:
            self.addr = addr
        if tid:
            self.tid = tid
        if overrun:
            self.overrun = overrun
        if raw is not None:
            self.raw = raw

    def pack(self) -> bytes:
        """The 128 bytes a handler or signalfd sees."""
        k = self.kind
        if self.raw is not None:
            return _HEAD.pack(self.signo, self.errno, self.code) + self.raw[16:128]
        if k == "kill":
            return KILL_INFO.pack(self.signo, self.errno, self.code, self.pid, self.uid)
        head = _HEAD.pack(self.signo, self.errno, self.code)
        if k == "rt":
            body = _RT.pack(self.pid, self.uid, self.value)
        elif k == "chld":
            body = _CHLD.pack(self.pid, self.uid, self.status, self.utime, self.stime)
        elif k == "fault":
            body = _FAULT.pack(self.addr)
        elif k == "sys":
            body = _SYS.pack(self.addr, self.syscall, self.arch)
        elif k == "timer":
            body = _TIMER.pack(self.tid, self.overrun, self.value)
        else:
            body = _KILL.pack(self.pid, self.uid)
        return (head + body).ljust(SIGINFO_SIZE, b"\0")

    def fields(self) -> dict:
        """For the tracer's `--- SIGxxx {...} ---` line."""
        d = {"si_signo": self.signo, "si_code": self.code}
        if self.kind in ("kill", "rt", "chld"):
            d["si_pid"] = self.pid
            d["si_uid"] = self.uid
        if self.kind == "chld":
            d["si_status"] = self.status
        if self.kind == "rt":
            d["si_value"] = self.value
        if self.kind == "fault":
            d["si_addr"] = self.addr
        return d

    @classmethod
    def from_user(cls, signo: int, raw: bytes) -> SigInfo:
        """rt_sigqueueinfo's siginfo: the caller's bytes, with si_signo forced to the signal sent."""
        info = _new(cls)
        _, errno, info.code, info.pid, info.uid, value = _USER_HEAD.unpack_from(raw)
        info.signo = signo
        info.kind = "rt"
        info.raw = raw
        if errno:
            info.errno = errno
        if value:
            info.value = value
        return info


def kill_info(signo: int, code: int, pid: int, uid: int) -> SigInfo:
    """SigInfo(signo, code, pid=pid, uid=uid, kind="kill") without the keyword handling (kill, tkill)."""
    info = _new(SigInfo)
    info.signo = signo
    info.code = code
    info.pid = pid
    info.uid = uid
    info.kind = "kill"
    return info
