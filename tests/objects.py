"""Real, small kernel objects for unit tests, built the way the kernel builds them."""

from __future__ import annotations

from emukernel.creds import CAP_FS_SET, CAP_FULL_SET
from emukernel.creds import Creds as RealCreds


def make_creds(uid: int = 0, gid: int = 0, euid: int | None = None, egid: int | None = None, suid: int | None = None,
          sgid: int | None = None, fsuid: int | None = None, fsgid: int | None = None,
          groups: tuple[int, ...] = ()) -> RealCreds:
    """Real credentials (emukernel.creds.Creds) with these ids; unnamed ids follow uid and gid.  As after
    Linux's setuid rules: every capability with euid 0, the filesystem ones with fsuid 0 alone, else none."""
    c = RealCreds(uid, gid, groups)
    c.euid = uid if euid is None else euid
    c.suid = uid if suid is None else suid
    c.fsuid = c.euid if fsuid is None else fsuid
    c.egid = gid if egid is None else egid
    c.sgid = gid if sgid is None else sgid
    c.fsgid = c.egid if fsgid is None else fsgid
    c.cap_permitted = c.cap_effective = CAP_FULL_SET if c.euid == 0 else (CAP_FS_SET if c.fsuid == 0 else 0)
    return c
