"""rt_sigreturn (Linux arch/x86/kernel/signal_64.c restore_sigcontext, fpu__restore_sig, restore_altstack):
registers, mask, FP state and altstack back from the frame."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..cpu import RESTORE_ST, RESTORE_TAG, RSP, _reg_read, _reg_write_batch
from ..errors import Errno
from . import frame as F
from .altstack import do_sigaltstack

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_MASK64 = 0xFFFFFFFFFFFFFFFF
_RETURN_FIELDS = F.RETURN_FIELDS.unpack_from
_IP_FLAGS = F.IP_FLAGS.pack_into
_SC_RIP = F.SC_RIP_OFFSET
_FP_OFFSET, _BLOCK_SIZE = F.FP_OFFSET, F.BLOCK_SIZE
_FX_TAG, _FX_TOP, _FX_ST = F.FX_TAG, F.FX_TOP, F.FX_ST
_SS_AUTODISARM, _FIX_EFLAGS = F.SS_AUTODISARM, F.FIX_EFLAGS
_FULL_TAGS = F.FULL_TAGS
_U16 = struct.Struct("<H").pack_into
# the FXSAVE image of the FPU's init state (fpstate_init: FCW 0x37f, MXCSR 0x1f80, every register empty)
_INIT_FXSAVE = struct.pack("<HHBxHQQII", 0x37F, 0, 0, 0, 0, 0, 0x1F80, 0xFFFF).ljust(512, b"\0")
_RESTORE_TAG, _RESTORE_ST = F.BLOCK_SIZE + RESTORE_TAG, F.BLOCK_SIZE + RESTORE_ST  # sigreturn's scratch slots


class SigreturnMixin:
    """Signals' sigreturn."""

    kernel: Kernel

    def sigreturn(self, task: Task, in_hook: bool) -> bool:
        """rt_sigreturn: restore registers, mask, FP state and altstack from the frame; False if bad."""
        mm = task.mm
        cpu = mm.cpu
        try:
            batches = cpu._sig_batches
        except AttributeError:
            batches = cpu.signal_batches()
        _reg_read(cpu.handle, RSP, batches.ref)
        frame = batches.val.value - 8
        # the usual case: the frame and its FP state (where get_sigframe put it) readable in one VMA, copied
        # as one block into the buffer the restoring write batch takes its values from
        wb = batches.restore
        view = wb.view
        v = mm.find_vma(frame)
        whole = v is not None and frame + _BLOCK_SIZE <= v.end and v.prot  # mm._host_ptr, inline
        if whole:
            off = frame - v.start
            gv = batches.views.get(v.host)
            if gv is None or len(gv) < off + _BLOCK_SIZE:
                gv = batches.guest_view(v.host, v.end - v.start)
            view[:_BLOCK_SIZE] = gv[off:off + _BLOCK_SIZE]
        else:
            try:
                view[:F.FRAME_SIZE] = mm.read(frame, F.FRAME_SIZE)
            except Exception:
                return False
        _, _, ss_sp, ss_flags, ss_size, sp, rip, eflags, fpaddr, mask = _RETURN_FIELDS(view)
        if not fpaddr:
            view[_FP_OFFSET:_BLOCK_SIZE] = _INIT_FXSAVE  # Linux fpu__restore_sig(NULL): the FPU's init state
        elif not whole or fpaddr != frame + _FP_OFFSET:
            try:
                view[_FP_OFFSET:_BLOCK_SIZE] = mm.read(fpaddr, 512)
            except Exception:
                return False
        # only the user-changeable flags come from the frame; IF and bit 1 are always set in user mode
        _IP_FLAGS(view, _SC_RIP, (rip - 2 if in_hook else rip) & _MASK64, 0x202 | (eflags & _FIX_EFLAGS))
        if in_hook and eflags & 0x100:
            # the trap flag comes back: QEMU re-checks it right after the `syscall` instruction and would
            # trap before the restored ip runs; Linux traps after it (entry/traps.py skips that one)
            cpu.skip_debug_trap = True
        # Linux fpu__restore_sig (fxrstor): the x87 state too; the full tag word goes to a scratch slot
        tag = view[_FX_TAG]
        _U16(view, _RESTORE_TAG, _FULL_TAGS[tag])
        if tag:  # valid x87 registers: their values, in physical order
            top = view[_FX_TOP] >> 3 & 7
            view[_RESTORE_ST:_RESTORE_ST + 128] = F.physical_from_st(bytes(view[_FX_ST:_FX_ST + 128]), top)
            _reg_write_batch(*batches.restore_st.args)
        # GPRs, then FPCW, FPSW, MXCSR, the tag word and XMM0-15, in one batched write
        _reg_write_batch(*wb.args)
        self.set_blocked(task, mask)  # set_current_blocked
        # restore_altstack: do_sigaltstack with the frame's stack_t, its errors ignored (and nothing to do in
        # the usual case, the frame holding the stack as it is)
        if task.sas_ss_sp != ss_sp or task.sas_ss_size != ss_size or task.sas_ss_flags != ss_flags:
            try:
                do_sigaltstack(task, ss_sp, ss_flags, ss_size, sp)
            except Errno:
                pass
        return True

