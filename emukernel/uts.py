"""The system's identity as uname reports it (Linux's uts namespace, include/linux/utsname.h): the host
kernel's release and version, so that a guest prints the same under emukernel as natively, and the host and
domain names that sethostname/setdomainname (and /proc/sys/kernel) change.  There is one uts namespace: the
names live on the kernel.
"""

from __future__ import annotations

import os
from typing import Any

HOST_UNAME = os.uname()  # the host kernel this emukernel runs on
NEW_UTS_LEN = 64  # a name's length, without its NUL


def set_hostname(kernel: Any, name: bytes) -> None:
    # Linux: kernel/sys.c sethostname (the copy into utsname()->nodename)
    kernel.hostname = name


def set_domainname(kernel: Any, name: bytes) -> None:
    # Linux: kernel/sys.c setdomainname (the copy into utsname()->domainname)
    kernel.domainname = name


def utsname(kernel: Any) -> tuple[str | bytes, ...]:
    """sysname, nodename, release, version, machine, domainname (Linux struct new_utsname)."""
    return ("Linux", kernel.hostname, HOST_UNAME.release, HOST_UNAME.version, "x86_64", kernel.domainname)
