"""Filesystems: the VFS (`vfs`: mounts, path walk inside the guest root), tmpfs, hostfs, devfs, proc, files and fd
tables, one module each.  This package module imports none of them: importing one filesystem module does not
load the whole VFS."""
