"""Where the prebuilt third-party test programs are: ``shared/bin`` beside the clone.

Real programs no one here wrote (static strace, hackbench; see shared/bin/README.md) are kept outside the
repository, in ``shared/bin`` next to the clone.  From a git worktree, "next to the clone" is next to the
main checkout, whose git directory the worktree's ``.git`` file names.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The strace builds in shared/bin, by the libc they were linked with.
STRACE_BUILDS: dict[str, str] = {"glibc": "strace", "musl": "strace-musl"}


def main_checkout(repo: Path) -> Path | None:
    """The main working tree when ``repo`` is a git worktree (its .git is a file naming the real git dir)."""
    dotgit = repo / ".git"
    if not dotgit.is_file():
        return None
    text = dotgit.read_text().strip()
    if not text.startswith("gitdir:"):
        return None
    gitdir = (repo / text.partition(":")[2].strip()).resolve()
    common = gitdir / "commondir"
    if common.is_file():
        gitdir = (gitdir / common.read_text().strip()).resolve()
    return gitdir.parent


def find_shared_bin(repo: Path = REPO_ROOT, probe: str = "strace") -> Path | None:
    """``shared/bin`` beside the repository (or beside the main checkout of a worktree) if it holds
    ``probe``; else None."""
    candidates = [repo.parent / "shared" / "bin"]
    main = main_checkout(repo)
    if main is not None:
        candidates.append(main.parent / "shared" / "bin")
    for c in candidates:
        if (c / probe).is_file():
            return c.resolve()
    return None


def strace_path(libc: str, repo: Path = REPO_ROOT) -> Path | None:
    """The static strace linked with ``libc`` ("glibc" or "musl"), or None when shared/bin lacks it."""
    shared = find_shared_bin(repo, STRACE_BUILDS[libc])
    return shared / STRACE_BUILDS[libc] if shared is not None else None
