"""emukernel: a user-mode mini-kernel with the Linux x86-64 syscall ABI."""

__version__ = "0.1.0"
