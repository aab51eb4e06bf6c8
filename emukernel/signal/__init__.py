"""Signals (Linux kernel/signal.c, arch/x86/kernel/signal.c): queues, sending, delivery, group stop.

The code lives by concept, one module each: pending (the queues, RLIMIT_SIGPENDING, the blocked mask,
dequeue), send (dispositions at send time, send/prepare/complete, forced and fatal signals), deliver
(get_signal, handle_signal), stop (group stop), sigreturn, selfsig (the fused self-signal fast path), frame
(the rt_sigframe layout) and siginfo.  `Signals`, the object reached as `kernel.signals`, is composed of
their mixin classes (`signals.py`), so each method is the module's own function: no call layer between.
This package module imports none of them, so that the task model can import `pending.SigPending` without
loading the signal code that depends on it.
"""

