"""seccomp (Linux kernel/seccomp.c): the classic-BPF filters (`bpf`) and the rest, one module each; this package module imports none of them."""
