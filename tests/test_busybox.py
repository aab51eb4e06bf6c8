"""Real programs as the test bed: Debian's static busybox (and static bash), natively and under emukernel.

Each case is a `sh -c` script (`bash -c` for the bash cases).  Natively it runs chrooted into a small root (busybox and its applet links,
/etc/passwd, /tmp, /dev and a fresh /proc) inside new mount and pid namespaces; under emukernel it runs with
the same directory as `root=`.  Exit status and stdout (and, unless a case says otherwise, stderr) must be
the same after normalising only what must differ: pids, dates, times.

Needs /bin/busybox to be a static x86-64 ELF (`apt-get install busybox-static`) and root (chroot, mounts);
the bash cases also need /bin/bash-static (`apt-get install bash-static`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from emukernel.api import run

BUSYBOX = "/bin/busybox"
BASH = "/bin/bash-static"
ENV = {"PATH": "/bin", "HOME": "/", "LANG": "C", "TZ": "UTC"}
# The native side: private mounts and pids, /dev and /proc in the root, then chroot.  The script's shell is
# not the namespace's pid 1 (which signals without a handler could not kill), as under emukernel, whose
# init is pid 1; SHLVL starts afresh.
WRAP = ('mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && unset SHLVL && '
        'chroot "$1" "$2" -c "$0"; exit $?')


def _static_problem(path: str, package: str) -> str | None:
    if not os.path.isfile(path):
        return f"{path} is missing (apt-get install {package})"
    with open(path, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or int.from_bytes(ehdr[18:20], "little") != 62:
            return f"{path} is not an x86-64 ELF"
        phoff = int.from_bytes(ehdr[32:40], "little")
        phentsize = int.from_bytes(ehdr[54:56], "little")
        phnum = int.from_bytes(ehdr[56:58], "little")
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    for i in range(phnum):
        if int.from_bytes(ph[i * phentsize:i * phentsize + 4], "little") == 3:  # PT_INTERP
            return f"{path} is dynamically linked (install {package})"
    return None


def _native_problem() -> str | None:
    if os.geteuid() != 0:
        return "the native reference runs need root (chroot, mount and pid namespaces)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing"
    return None


_SKIP = _static_problem(BUSYBOX, "busybox-static") or _native_problem()
pytestmark = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")
_BASH_SKIP = _static_problem(BASH, "bash-static")


@pytest.fixture(scope="module")
def bbroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/busybox with a link per applet, /etc/passwd and /etc/group, and empty /tmp, /dev, /proc."""
    root = tmp_path_factory.mktemp("bbroot")
    (root / "bin").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    if _BASH_SKIP is None:
        shutil.copy2(BASH, root / "bin" / "bash")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, check=True).stdout.decode().split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", root / "bin" / a)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    for d in ("dev", "proc", "sys/fs/cgroup", "tmp"):
        (root / d).mkdir(parents=True)
    os.chmod(root / "tmp", 0o1777)
    probe = _native(root, "echo ok")
    if probe[1] != b"ok\n":
        pytest.skip(f"cannot make the native reference root: {probe}")
    return root


def _fresh_tmp(root: Path) -> None:
    shutil.rmtree(root / "tmp")
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)


def _native(root: Path, script: str, stdin: bytes = b"", shell: str = "/bin/sh") -> tuple[int, bytes, bytes]:
    cmd = ["unshare", "-m", "-p", "-f", "--propagation", "private", BUSYBOX, "sh", "-c", WRAP, script, str(root),
           shell]
    p = subprocess.run(cmd, input=stdin, capture_output=True, env=ENV, timeout=30)
    code = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return code, p.stdout, p.stderr


def _emu(root: Path, script: str, stdin: bytes = b"", shell: str = "/bin/sh") -> tuple[int, bytes, bytes]:
    done = run([shell, "-c", script], root=str(root), env=ENV, stdin=stdin, quiet=False)
    return done.exit_code, done.stdout, done.stderr


# -- normalisers ---------------------------------------------------------------------------------------------
_LS_DATE = re.compile(rb" [A-Z][a-z][a-z] [ 0-9]\d (?: \d{4}|\d\d:\d\d) ")


def ls_dates(out: bytes) -> bytes:
    """ls -l: the date column (a time of day for recent files, a year for others)."""
    return _LS_DATE.sub(b" DATE ", out)


def digits(out: bytes) -> bytes:
    return re.sub(rb"\d+", b"N", out)


def ps_lines(out: bytes) -> bytes:
    """ps with PID first: pid 1 (emukernel's init; natively the namespace's launcher) dropped, numbers hidden."""
    return b"\n".join(digits(ln) for ln in out.splitlines() if ln.split()[:1] != [b"1"])


Case = tuple[str, str, Callable[[bytes], bytes] | None, bool]  # id, script, stdout normaliser, compare stderr


def case(cid: str, script: str, norm: Callable[[bytes], bytes] | None = None, stderr: bool = True) -> Case:
    return (cid, script, norm, stderr)


# a background `sleep 5` that has certainly exec'd (its pid in $!)
SLEEPER = "sleep 5 & until grep -qx sleep /proc/$!/comm; do sleep 0.01; done; "

CASES: list[Case] = [
    # -- the shell --------------------------------------------------------------------------------------------
    case("pipeline", "echo a b | tr a-z A-Z | cat; echo $?; false | true; echo $?"),
    case("redirections", "echo x > /tmp/f; echo y >> /tmp/f; cat < /tmp/f; cat /nonexist 2>/tmp/e; "
                         "echo rc=$?; cat /tmp/e; echo out 1>&2 2>/dev/null"),
    case("fd-redirections", "exec 3>/tmp/x; echo via3 >&3; exec 3>&-; cat /tmp/x; exec 4</tmp/x; "
                            "read l <&4; echo \"[$l]\"; { echo a; echo b >&2; } 2>&1 | wc -l"),
    case("subshell", "(cd /tmp && pwd; exit 3); echo $?; pwd; (exit 4) || echo failed $?"),
    case("command-substitution", "x=$(echo hi | wc -c); echo \"[$x]\"; echo $(echo $(echo nested)); "
                                 "y=`basename /a/b`; echo $y"),
    case("and-or", "true && echo yes || echo no; false && echo yes || echo no; false || false || echo last"),
    case("for-while-case", "for i in 1 2 3; do echo $i; done | sort -r; i=0; "
                           "while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i; "
                           "case abc in a*) echo A;; *) echo B;; esac"),
    case("functions-params", "f() { echo \"f $1 $#\"; return 4; }; f z y; echo $?; set -- a b c; echo $# $2; "
                             "shift; echo $@; echo $(( 7 / 2 )) ${HOME:-x} ${U:-def} ${#PATH}"),
    case("heredoc-read", "cat <<EOF\na $((2*3))\nEOF\nread a b <<EOF\none two three\nEOF\necho \"$a|$b\""),
    case("wait", "sleep 0.1 & sleep 0.2 & wait; echo done $?; (exit 5) & wait $!; echo $?"),
    case("trap-usr1", "trap 'echo got' USR1; kill -USR1 $$; echo after"),
    case("trap-term-exit", "trap 'echo term; exit 3' TERM; kill $$; echo notreached"),
    case("trap-exit", "trap 'echo exiting' EXIT; echo body"),
    # (the sleeps: whether a job died before `wait` decides whether ash reports "Terminated")
    case("kill-child", "sleep 5 & p=$!; kill $p; sleep 0.3; wait $p; echo $?; sleep 5 & kill -9 $!; sleep 0.3; "
                       "wait $!; echo $?; kill -0 $$; echo $?; kill -l 15"),
    case("stop-cont", SLEEPER + "kill -STOP $!; sleep 0.1; ps -o stat,args | grep 'sleep 5$'; kill -CONT $!; "
                      "sleep 0.1; ps -o stat,args | grep 'sleep 5$'; kill $!; sleep 0.1; wait; echo ok"),
    case("exec-umask-ulimit", "umask; umask 027; touch /tmp/u; mkdir /tmp/ud; stat -c %a /tmp/u /tmp/ud; "
                              "ulimit -s; ulimit -c; sh -c 'exec echo replaced; echo never'"),
    case("read-loops", "seq 5 | while read x; do echo \"<$x>\"; done; seq 1000 | xargs -n 100 -P 4 echo | wc -l; "
                       "printf 'a b\\nc d\\n' | while read x y; do echo $y$x; done"),
    case("exit-codes", "true; echo $?; false; echo $?; sh -c 'exit 42'; echo $?; sh -c 'kill -9 $$'; echo $?; "
                       "/nonexistent; echo $?; exit 7"),
    case("signal-status", "sh -c 'kill -TERM $$'; echo $?; sh -c 'kill -INT $$'; echo $?"),
    # -- text utilities -------------------------------------------------------------------------------------
    case("echo-printf", "echo -n a; echo b; printf '%05.2f|%-4s|%x|%o|%c\\n' 3.14159 ab 255 8 xyz; "
                        "printf '%s\\n' one two"),
    case("cat-wc", "printf 'a b\\nc\\n' > /tmp/q; cat /tmp/q /tmp/q; wc /tmp/q; wc -w < /tmp/q; "
                   "wc -l -c /tmp/q; cat -n /tmp/q"),
    case("sort-uniq", "printf 'b\\na\\nb\\nc\\n10\\n9\\n' | sort | uniq -c; printf '3\\n1\\n2\\n' | sort -rn; "
                      "printf 'a\\na\\nb\\n' | uniq -d"),
    case("head-tail", "seq 10 | head -3; seq 10 | tail -2; seq 100 | tail -n +98; seq 5 | head -c 4"),
    case("tr-cut", "echo hello | tr a-y b-z; echo a:b:c | cut -d: -f2; echo abcdef | cut -c2-4; "
                   "echo 'a  b' | tr -s ' '; echo abc | tr -d b"),
    case("grep", "printf 'foo\\nbar\\nfoo1\\n' > /tmp/g; grep -c foo /tmp/g; grep -v foo /tmp/g; "
                 "grep -E '^fo+[0-9]$' /tmp/g; grep -n bar /tmp/g; grep -q zzz /tmp/g; echo $?; "
                 "grep zzz /nonexist; echo $?"),
    case("sed", "echo hello world | sed 's/o/0/g'; seq 5 | sed -n '2,3p'; seq 3 | sed '2d'; "
                "echo abc | sed -e 's/\\(a\\)\\(b\\)/\\2\\1/'"),
    case("awk", "seq 5 | awk '{s+=$1} END {print s}'; echo 'a b' | awk '{print $2, NF}'; "
                "echo 1.5 2.5 | awk '{printf \"%.2f\\n\", $1*$2}'; awk 'BEGIN{for(i=0;i<3;i++) printf i; print \"\"}'"),
    case("seq-expr-test", "seq 3; seq 2 2 7; expr 3 + 4; expr 2 \\* 5; expr length abc; expr 1 = 2; echo $?; "
                          "[ 3 -lt 4 ] && echo lt; test -d /tmp; echo $?; test -f /nope; echo $?; "
                          "[ abc = abc ]; echo $?"),
    case("basename-dirname", "basename /a/b/c.txt .txt; dirname /a/b/c.txt; dirname c; basename /"),
    case("misc-text", "printf '3\\n1\\n2\\n' > /tmp/n; tac /tmp/n; nl /tmp/n; rev /tmp/n; paste /tmp/n /tmp/n; "
                      "comm -12 /tmp/n /tmp/n; echo hello | fold -w 2; printf 'a\\tb\\n' | expand"),
    case("diff-cmp", "cd /tmp; seq 5 > a; seq 2 6 > b; diff a b; echo $?; cmp a b; echo $?; cmp a a; echo $?"),
    case("yes-head", "yes | head -3; yes abc | head -n 2"),
    # large pipes keep several processes runnable at once, so the scheduler's host timer is armed
    case("big-pipes", "seq 30000 > /tmp/big; for i in 1 2; do cat /tmp/big | wc -c; seq 30000 | wc -l; done; "
                      "cat /tmp/big | md5sum; sort -rn /tmp/big | head -2; cat /tmp/big /tmp/big > /tmp/b2; "
                      "wc -c /tmp/b2; cat /tmp/big | head -1"),
    # -- files ----------------------------------------------------------------------------------------------
    case("ls-la", "cd /tmp && mkdir -p a/b/c && echo hi > a/b/f && touch a/t && ln -s b/f a/l && "
                  "chmod 640 a/t && ls -la a; ls -l a/b; ls a/b/c; ls -d a; ls /nonexist; echo $?", ls_dates),
    case("mkdir-touch-rm", "cd /tmp && mkdir -p x/y/z && touch x/y/z/f x/g && ls -R x && rm -r x && ls; "
                           "mkdir x; mkdir x; echo $?; rmdir x; rm nope; echo $?"),
    case("mv-cp", "cd /tmp && mkdir -p a/b && echo hi > a/b/f && cp -r a c && mv c/b/f c/g && find . | sort; "
                  "cp a/b/f a/h && cat a/h; mv a/h /tmp/i; cat i; rm -r a c; ls"),
    case("ln-readlink", "cd /tmp && ln -s /etc/passwd p && readlink p && readlink -f p && cat p; "
                        "ln p hard && ls -l hard | cut -c1-10; ln -s nowhere dangling; readlink dangling; "
                        "cat dangling; echo $?"),
    case("find", "cd /tmp && mkdir -p d/e && touch d/x d/y d/e/x && find . -type f | sort | xargs echo; "
                 "find d -name 'x*' | sort; find d -type d | sort; find / -name passwd -type f"),
    case("xargs", "seq 5 | xargs echo; printf 'a\\nb\\n' | xargs -n1 echo x; echo a b c | xargs -n 2"),
    case("tee", "echo hi | tee /tmp/t > /dev/null; cat /tmp/t; echo more | tee -a /tmp/t; cat /tmp/t"),
    case("dd", "dd if=/dev/zero bs=512 count=3 2>/dev/null | wc -c; dd if=/dev/zero of=/tmp/z bs=1k count=2 "
               "2>/dev/null; ls -l /tmp/z | awk '{print $5}'; echo abcdef | dd bs=1 skip=2 count=3 2>/dev/null"),
    case("od", "printf 'abc\\n' | od -c; printf '\\001\\002\\377' | od -An -tx1; echo hi | od -x"),
    case("checksums", "echo hi | md5sum; echo hi | sha256sum; echo hi > /tmp/h; md5sum /tmp/h; sha1sum /tmp/h; "
                      "cksum /tmp/h; sha256sum /tmp/h | sha256sum -c 2>&1 | tail -1"),
    case("tar", "cd /tmp && mkdir t && echo 1 > t/a && echo 2 > t/b && tar cf x.tar t && tar tf x.tar | sort && "
                "rm -r t && tar xf x.tar && cat t/a t/b && tar czf y.tgz t && tar tzf y.tgz | sort"),
    case("gzip", "cd /tmp && seq 1000 > s && gzip s && ls && gunzip s.gz && wc -l s; "
                 "seq 100 | gzip | gunzip | tail -1; gzip -c s | gzip -dc | md5sum; echo junk | gunzip; echo $?"),
    case("bzip2-cpio", "cd /tmp; seq 3 | bzip2 | bzip2 -d; echo hi > f; echo f | cpio -o -H newc 2>/dev/null "
                       "| cpio -t 2>/dev/null"),
    case("base64-hexdump", "echo hello > /tmp/f; base64 /tmp/f; base64 /tmp/f | base64 -d; xxd /tmp/f; "
                           "hexdump -C /tmp/f"),
    case("stat-chmod", "cd /tmp; echo hi > f; chmod 640 f; stat -c '%a %s %F %U %G %h' f; chmod +x f; "
                       "test -x f && echo x; stat -c %F /tmp /dev/null; ls -l /dev/null | cut -c1-10"),
    case("touch-times", "cd /tmp; touch -d '2020-01-02 03:04:05' f; stat -c %Y f; date -r f +%F; "
                        "touch -r f g; stat -c %Y g; ln -s f l; touch -h -d '2001-01-01 00:00:00' l; "
                        "stat -c %Y l f; ls -l --full-time f | cut -c43-"),
    case("split-truncate", "cd /tmp; seq 100 > f; split -l 30 f p; ls p*; wc -l pa*; truncate -s 10 f; wc -c f"),
    case("du-realpath-which", "cd /tmp; mkdir -p d/e; echo 1 > d/e/f; du -s d >/dev/null; echo $?; "
                              "realpath d/e/../e/f; which sh; printenv HOME"),
    case("mkfifo-mknod", "cd /tmp; mkfifo ff; ls -l ff | cut -c1-10; mknod -m 600 nn p; stat -c '%F %a' nn; "
                         "(echo through > ff &); cat ff"),
    case("mktemp", "mktemp -d /tmp/x.XXXXXX | grep -c /tmp/x; f=$(mktemp); test -f $f && echo file"),
    case("statfs", "stat -f -c '%n %l' /; sync; echo $?"),
    # -- processes and system ------------------------------------------------------------------------------
    case("env", "env | sort; env -i A=1 env; env -u HOME sh -c 'echo ${HOME-unset}'"),
    case("id-uname", "id; id -u; id -g; id -un; uname -s -m; uname -s; whoami"),
    case("ps", SLEEPER + "ps; kill $!", ps_lines),
    case("ps-o", SLEEPER + "ps -o pid,ppid,user,group,nice,stat,tty,comm,args; kill $!", ps_lines),
    case("proc-self", "cat /proc/self/comm; readlink /proc/self/exe; sh -c 'echo $$ > /tmp/p; "
                      "cat /proc/$$/status' | grep -c '^Pid'; ls /proc/self/fd"),
    case("sleep-date", "sleep 0.1; echo slept; date +%s > /dev/null; echo $?; date -d @0 -u '+%Y-%m-%d'"),
    case("timeout", "timeout 1 sleep 5; echo $?; timeout 5 true; echo $?; timeout -s KILL 1 sleep 5; echo $?"),
    case("nohup", "cd /tmp; nohup echo hi > out; cat out"),
    case("nproc-free-uptime", "nproc > /dev/null; echo $?; free > /dev/null; echo $?; uptime > /dev/null; echo $?"),
    case("renice-ionice", "renice 0 $$ >/dev/null; echo $?; renice 5 $$ >/dev/null; echo $?; ionice; "
                          "ionice -c3 -p $$; ionice -p $$"),
    case("pidof-top", "top -bn1 > /dev/null; echo $?; pidof sleep; echo $?"),
    case("proc-files", "cut -d' ' -f1 /proc/uptime | grep -c '[.]'; cat /proc/sys/kernel/ostype; "
                       "grep -c proc /proc/filesystems; head -1 /proc/meminfo | cut -d: -f1; wc -w < /proc/loadavg; "
                       "grep -c ^processor /proc/cpuinfo; cut -d' ' -f1-2 /proc/version"),
    case("flock", "flock /tmp/lk echo locked; echo $?; (flock -n 9 && echo got) 9>/tmp/lk2"),
]


def _compare(root: Path, script: str, norm: Callable[[bytes], bytes] | None, cmp_stderr: bool,
             shell: str = "/bin/sh") -> None:
    _fresh_tmp(root)
    n_code, n_out, n_err = _native(root, script, shell=shell)
    _fresh_tmp(root)
    e_code, e_out, e_err = _emu(root, script, shell=shell)
    _fresh_tmp(root)
    assert b"emukernel:" not in e_err, e_err.decode(errors="replace")
    if norm is not None:
        n_out, e_out = norm(n_out), norm(e_out)
    assert (e_code, e_out.decode(errors="replace")) == (n_code, n_out.decode(errors="replace")), \
        f"stderr native: {n_err!r}\nstderr emukernel: {e_err!r}"
    if cmp_stderr:
        assert e_err.decode(errors="replace") == n_err.decode(errors="replace")


@pytest.mark.parametrize(("script", "norm", "cmp_stderr"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_busybox(bbroot: Path, script: str, norm: Callable[[bytes], bytes] | None, cmp_stderr: bool) -> None:
    _compare(bbroot, script, norm, cmp_stderr)


# Debian's static bash (glibc): job control without a terminal, traps, coprocesses, `wait -n`, read -t
# (SIGALRM), PIPESTATUS, {fd} redirections; the utilities are busybox applets.
BASH_CASES: list[Case] = [
    case("expansions", "a=(x y z); declare -A m=([k]=v); s=hello; echo ${#a[@]} ${a[1]} ${m[k]} ${s^^} ${s:1:3} "
                       "${s//l/L}; printf -v out '%05d' 42; echo $out; [[ abc123 =~ ^([a-z]+)([0-9]+)$ ]] && "
                       "echo ${BASH_REMATCH[2]}; echo $(( 2**62 )) $(( -7 / 2 )) $(( 7 % -3 ))"),
    case("pipestatus", "false | true | (exit 3); echo ${PIPESTATUS[@]}; set -o pipefail; false | true; echo $?; "
                       "seq 3 | while read x; do echo \"<$x>\"; done"),
    case("subshells", "[ $BASHPID = $$ ] && echo same; ( [ $BASHPID != $$ ] && echo differs; exit 3 ); echo $?; "
                      "x=$(exit 4); echo $?; echo $(echo $BASHPID) | grep -qx $$ || echo own-pid; "
                      "{ (exit 5); }; echo $?"),
    case("set-e", "set -e; f() { false; echo no; }; f || echo caught; (set -e; false; echo no) || echo sub $?; "
                  "trap 'echo err trap' ERR; set +e; false; echo after"),
    case("traps", "trap 'echo usr1' USR1; kill -USR1 $$; echo after; (trap 'echo sub term; exit 3' TERM; "
                  "kill -TERM $BASHPID; echo notreached); echo $?; trap 'echo bye' EXIT; echo body"),
    case("ignored-signal-inherited", "trap '' INT; bash -c 'kill -INT $$; echo survived'; "
                                     "trap - INT; bash -c 'kill -INT $$; echo never'; echo $?"),
    case("wait-n", "sleep 0.3 & p=$!; (exit 4) & wait -n; echo first $?; wait $p; echo second $?; "
                   "for i in 1 2 3 4 5; do (exit $i) & done; wait; echo all"),
    case("coproc", "coproc C { read -r v; echo \"co got $v\"; }; echo ping >&\"${C[1]}\"; read -r ans <&\"${C[0]}\"; "
                   "echo $ans; wait $C_PID; echo $?"),
    case("read-timeout", "{ sleep 1; echo late; } | { read -t 0.2 x; echo rc=$?; }; read -t 1 y <<< fast; "
                         "echo $y"),
    case("stop-cont-term", "sleep 5 & p=$!; kill -STOP $p; sleep 0.1; kill -CONT $p; kill $p; wait $p; echo $?",
         stderr=False),
    case("redirections", "exec {fd}>/tmp/x; echo hi >&$fd; exec {fd}>&-; cat /tmp/x; printf '%s\\n' a b > /tmp/y; "
                         "mapfile -t arr < /tmp/y; echo ${#arr[@]} ${arr[1]}; echo both &>/tmp/z; cat /tmp/z; "
                         "cat <<< here; exec 3<&0; echo dup ok"),
    case("builtins", "type cd; command -v cat; hash -r; umask 027; umask; ulimit -s; times > /dev/null && "
                     "echo times; printf '%(%Y-%m-%d)T\\n' 0; cd /tmp && pwd && cd - > /dev/null; pwd"),
]


@pytest.mark.skipif(_BASH_SKIP is not None, reason=_BASH_SKIP or "")
@pytest.mark.parametrize(("script", "norm", "cmp_stderr"), [c[1:] for c in BASH_CASES],
                         ids=[c[0] for c in BASH_CASES])
def test_bash(bbroot: Path, script: str, norm: Callable[[bytes], bytes] | None, cmp_stderr: bool) -> None:
    _compare(bbroot, script, norm, cmp_stderr, shell="/bin/bash")
