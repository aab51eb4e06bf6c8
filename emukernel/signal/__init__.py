"""Signals (Linux kernel/signal.c, arch/x86/kernel/signal.c): queues, sending, delivery, group stop.

The code lives by concept, one module each: pending (the queues, RLIMIT_SIGPENDING, the blocked mask,
dequeue), send (dispositions at send time, send/prepare/complete, forced and fatal signals), deliver
(get_signal, handle_signal), stop (group stop), sigreturn, selfsig (the fused self-signal fast path), frame
(the rt_sigframe layout) and siginfo.  `Signals`, the object reached as `kernel.signals`, is composed of
their mixin classes, so each method is the module's own function: no call layer between.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .deliver import DeliverMixin
from .pending import PendingMixin, SigPending
from .selfsig import SelfSigMixin
from .send import SendMixin, handler_of, is_rt
from .sigreturn import SigreturnMixin
from .stop import StopMixin

if TYPE_CHECKING:
    from ..kernel import Kernel

__all__ = ["SigPending", "Signals", "handler_of", "is_rt"]


class Signals(DeliverMixin, SelfSigMixin, SigreturnMixin, SendMixin, StopMixin, PendingMixin):
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
