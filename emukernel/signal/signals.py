"""`Signals`, the object reached as `kernel.signals`: one mixin class per signal module, composed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .deliver import DeliverMixin
from .pending import PendingMixin
from .selfsig import SelfSigMixin
from .send import SendMixin
from .sigreturn import SigreturnMixin
from .stop import StopMixin

if TYPE_CHECKING:
    from ..kernel import Kernel


class Signals(DeliverMixin, SelfSigMixin, SigreturnMixin, SendMixin, StopMixin, PendingMixin):
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
