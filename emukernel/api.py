"""The in-process Python API: run a guest program and get its wait status and output.

    from emukernel.api import run
    done = run(["build/guests/musl/hello"])
    done.exit_code, done.stdout
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from .errors import Errno, ExecFormatError
from .kernel import Kernel


def exit_code_of(status: int) -> int:
    """A shell's view of a wait status: the exit code, or 128 + the terminating signal."""
    if status & 0x7F:
        return 128 + (status & 0x7F)
    return (status >> 8) & 0xFF


@dataclass
class Completed:
    status: int  # the raw wait status (WIFEXITED/WTERMSIG/WCOREDUMP apply)
    exit_code: int  # shell style: 128 + signal when killed
    stdout: bytes
    stderr: bytes


def guest_path_for(program: str) -> str:
    """Where the default in-memory root shows the program: its path made absolute from `/`."""
    parts = [p for p in program.split("/") if p not in ("", ".")]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/" + "/".join(out)


class Process:
    """A spawned guest process, as seen from the API."""

    def __init__(self, kernel: Kernel, task) -> None:
        self.kernel = kernel
        self.task = task
        self.pid = task.tgid

    @property
    def status(self) -> int | None:
        """The wait status once the process has exited, else None."""
        return self.kernel.statuses.get(self.pid)

    @property
    def exit_code(self) -> int | None:
        s = self.status
        return None if s is None else exit_code_of(s)


def spawn(kernel: Kernel, argv: Sequence[str], *, env=None, root: str | None = None) -> Process:
    """Place the program in the default root (unless a host root is used) and start it."""
    program = argv[0]
    guest = program
    if root is None:
        guest = guest_path_for(program)
        if not os.path.exists(program):
            raise ExecFormatError(2, "No such file or directory")
        kernel.vfs.add_host_file(guest, os.path.abspath(program))
    return Process(kernel, kernel.spawn(list(argv), env, path=guest))


def run(argv: Sequence[str], *, env: dict[str, str] | Sequence[str] | None = None, stdin: bytes = b"",
        root: str | None = None, binds: Sequence[tuple[str, str, bool]] = (), seed: int = 0,
        quiet: bool = True, trace: bool | TextIO = False, realtime: bool = False) -> Completed:
    """Run argv (argv[0] is the host path of a static x86-64 ELF) to completion, capturing its output."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        fin.write(stdin)
        fin.seek(0)
        tracefile = None
        if trace is True:
            tracefile = os.fdopen(os.dup(ferr.fileno()), "w")
        elif trace:
            tracefile = trace  # type: ignore[assignment]
        errstream = os.fdopen(os.dup(ferr.fileno()), "w")
        kernel = Kernel(root=root, binds=binds, stdio=(fin.fileno(), fout.fileno(), ferr.fileno()), seed=seed,
                        quiet=quiet, trace=tracefile, errstream=errstream, realtime=realtime)
        try:
            proc = spawn(kernel, argv, env=env, root=root)
            kernel.run()
            status = proc.status if proc.status is not None else 0x7F
        except (ExecFormatError, Errno) as e:
            errstream.write(f"emukernel: cannot execute {argv[0]}: {e}\n")
            status = (127 if e.errno == 2 else 126) << 8
        finally:
            errstream.flush()
            if tracefile is not None and trace is True:
                tracefile.flush()
        fout.seek(0)
        ferr.seek(0)
        return Completed(status, exit_code_of(status), fout.read(), ferr.read())
