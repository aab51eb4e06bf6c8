"""ioctl request encoding and the tty/file requests (include/uapi/asm-generic/ioctl.h, ioctls.h)."""

# fmt: off
_IOC_NRBITS   = 8
_IOC_TYPEBITS = 8
_IOC_SIZEBITS = 14
_IOC_NRSHIFT   = 0
_IOC_TYPESHIFT = 8
_IOC_SIZESHIFT = 16
_IOC_DIRSHIFT  = 30
_IOC_NONE  = 0
_IOC_WRITE = 1
_IOC_READ  = 2


def _IOC(dir: int, type: int, nr: int, size: int) -> int:
    return (dir << _IOC_DIRSHIFT) | (type << _IOC_TYPESHIFT) | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT)


def _IO(type: int, nr: int) -> int:
    return _IOC(_IOC_NONE, type, nr, 0)


def _IOR(type: int, nr: int, size: int) -> int:
    return _IOC(_IOC_READ, type, nr, size)


def _IOW(type: int, nr: int, size: int) -> int:
    return _IOC(_IOC_WRITE, type, nr, size)


def _IOWR(type: int, nr: int, size: int) -> int:
    return _IOC(_IOC_READ | _IOC_WRITE, type, nr, size)


def ioc_dir(req: int) -> int:
    return (req >> _IOC_DIRSHIFT) & 3


def ioc_type(req: int) -> int:
    return (req >> _IOC_TYPESHIFT) & 0xFF


def ioc_nr(req: int) -> int:
    return (req >> _IOC_NRSHIFT) & 0xFF


def ioc_size(req: int) -> int:
    return (req >> _IOC_SIZESHIFT) & 0x3FFF


TCGETS       = 0x5401
TCSETS       = 0x5402
TCSETSW      = 0x5403
TCSETSF      = 0x5404
TCGETA       = 0x5405
TCSETA       = 0x5406
TCSETAW      = 0x5407
TCSETAF      = 0x5408
TCSBRK       = 0x5409
TCXONC       = 0x540A
TCFLSH       = 0x540B
TIOCEXCL     = 0x540C
TIOCNXCL     = 0x540D
TIOCSCTTY    = 0x540E
TIOCGPGRP    = 0x540F
TIOCSPGRP    = 0x5410
TIOCOUTQ     = 0x5411
TIOCSTI      = 0x5412
TIOCGWINSZ   = 0x5413
TIOCSWINSZ   = 0x5414
TIOCMGET     = 0x5415
TIOCMBIS     = 0x5416
TIOCMBIC     = 0x5417
TIOCMSET     = 0x5418
TIOCGSOFTCAR = 0x5419
TIOCSSOFTCAR = 0x541A
FIONREAD     = 0x541B
TIOCINQ      = FIONREAD
TIOCLINUX    = 0x541C
TIOCCONS     = 0x541D
TIOCGSERIAL  = 0x541E
TIOCSSERIAL  = 0x541F
TIOCPKT      = 0x5420
FIONBIO      = 0x5421
TIOCNOTTY    = 0x5422
TIOCSETD     = 0x5423
TIOCGETD     = 0x5424
TCSBRKP      = 0x5425
TIOCSBRK     = 0x5427
TIOCCBRK     = 0x5428
TIOCGSID     = 0x5429
TCGETS2      = _IOR(ord("T"), 0x2A, 44)
TCSETS2      = _IOW(ord("T"), 0x2B, 44)
TCSETSW2     = _IOW(ord("T"), 0x2C, 44)
TCSETSF2     = _IOW(ord("T"), 0x2D, 44)
TIOCGPTN     = _IOR(ord("T"), 0x30, 4)
TIOCSPTLCK   = _IOW(ord("T"), 0x31, 4)
TIOCGDEV     = _IOR(ord("T"), 0x32, 4)
TIOCVHANGUP  = 0x5437
TIOCGPKT     = _IOR(ord("T"), 0x38, 4)
TIOCGPTLCK   = _IOR(ord("T"), 0x39, 4)
TIOCGEXCL    = _IOR(ord("T"), 0x40, 4)
TIOCGPTPEER  = _IO(ord("T"), 0x41)
FIONCLEX     = 0x5450
FIOCLEX      = 0x5451
FIOASYNC     = 0x5452
TIOCSERCONFIG = 0x5453
TIOCSERGWILD = 0x5454
TIOCSERSWILD = 0x5455
TIOCGLCKTRMIOS = 0x5456
TIOCSLCKTRMIOS = 0x5457
TIOCSERGSTRUCT = 0x5458
TIOCSERGETLSR  = 0x5459
TIOCSERGETMULTI = 0x545A
TIOCSERSETMULTI = 0x545B
TIOCMIWAIT   = 0x545C
TIOCGICOUNT  = 0x545D
FIOQSIZE     = 0x5460

# tcflow / tcflush arguments
TCOOFF    = 0
TCOON     = 1
TCIOFF    = 2
TCION     = 3
TCIFLUSH  = 0
TCOFLUSH  = 1
TCIOFLUSH = 2
# fmt: on

NAMES: dict[int, str] = {
    v: k for k, v in dict(globals()).items()
    if k.startswith(("TC", "TIOC", "FIO")) and isinstance(v, int)
    and not k.startswith(("TCO", "TCI")) and k != "TIOCINQ"
}
TCFLOW_NAMES: dict[int, str] = {TCOOFF: "TCOOFF", TCOON: "TCOON", TCIOFF: "TCIOFF", TCION: "TCION"}
TCFLUSH_NAMES: dict[int, str] = {TCIFLUSH: "TCIFLUSH", TCOFLUSH: "TCOFLUSH", TCIOFLUSH: "TCIOFLUSH"}
# _IOC_DIR values, as _IOC() spells them
IOC_DIR_NAMES = ("_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE")
