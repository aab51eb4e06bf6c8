"""procfs (Linux fs/proc/): process information as files, mounted at /proc.

Every file is generated when it is read, from the kernel's objects, and every number is the one seen from
/proc's pid namespace (Linux proc_pid_ns(sb)), whoever reads.  The files are made of the pseudo filesystem
kit (emukernel.fs.pseudo); the namespace files that /proc/PID/ns links to are emukernel.fs.nsfs.  One module
per family of files, named as in Linux's fs/proc: root (the /proc directory, mounting), base (/proc/PID),
array (status, stat, statm), fd (fd, fdinfo), task_mmu (maps, memory sizes), namespaces (/proc/PID/ns),
proc_namespace (mounts), proc_sysctl (/proc/sys), meminfo, stat (stat, uptime, loadavg), version (version,
cpuinfo, filesystems); internal holds what they share.
"""

from .fd import fdinfo_text
from .root import ProcSuperBlock, mount_proc_and_cgroup, mount_procfs
from .task_mmu import MemStats

__all__ = ["MemStats", "ProcSuperBlock", "fdinfo_text", "mount_proc_and_cgroup", "mount_procfs"]
