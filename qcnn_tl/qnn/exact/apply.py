r"""Application: a plan's blocks applied to a batch of real states, with a hand-written adjoint pass.

:func:`apply_blocks` runs a :class:`~qcnn_tl.qnn.exact.layout.Plan`: per block one gather (the block's
qubits to the top bits) and one matrix product into preshaped views, ``out=`` buffers throughout.
:class:`ApplyBlocks` makes it differentiable: the forward pass keeps the states each block acts on in a
reused :class:`Workspace` buffer, and the backward pass walks the blocks in reverse with the adjoint.
See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from qcnn_tl.qnn.exact.layout import Plan


class Workspace:
    """A reusable buffer for the states the backward pass reads.

    Allocating them afresh (a few MB per step) let the allocator hand the memory back to the OS and fault it
    in again every step, which cost more than the arithmetic. A buffer is reused only after the backward pass
    that read it has finished; a retained graph whose buffer was reused since raises torch's in-place
    modification error rather than reading overwritten states.
    """

    def __init__(self) -> None:
        self._spare: torch.Tensor | None = None

    def take(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """The spare buffer if it has this shape and dtype, else a new one."""
        spare, self._spare = self._spare, None
        if spare is not None and spare.shape == shape and spare.dtype == dtype:
            return spare
        return torch.empty(shape, dtype=dtype)

    def give(self, buffer: torch.Tensor) -> None:
        """Keeps ``buffer`` for the next :meth:`take`."""
        self._spare = buffer


def apply_blocks(
    plan: Plan, state: torch.Tensor, tables: Sequence[torch.Tensor], *, saved: torch.Tensor | None = None
) -> torch.Tensor:
    """Applies the plan's blocks to real states.

    Args:
        plan: The blocks and basis moves.
        state: Real states ``(L·2, 2**n, B)``: real and imaginary parts of ``L`` replicas, stacked.
        tables: Real forms ``(*lead, num_blocks, 2d, 2d)`` of the block matrices (``L`` = prod(lead)).
        saved: If given, shape ``(len(plan.steps), *state.shape)``; receives the (gathered) states every
            block acts on, for the backward pass.

    Returns:
        The states ``(L·2, 2**n, B)`` in the plan's output layout.
    """
    lead = tables[0].shape[:-3] if tables else ()
    dims = {tables[t].shape[-1] for t, _, _, _ in plan.steps}
    slots = saved if saved is not None else torch.empty_like(state).expand(len(plan.steps), *state.shape)
    out = torch.empty_like(state)
    as_rows = {d: (slots.view(len(plan.steps), *lead, d, -1).unbind(0), out.view(*lead, d, -1)) for d in dims}
    blocks = [t.unbind(-3) for t in tables]
    for k, (table, index, gather, _) in enumerate(plan.steps):
        block = blocks[table][index]
        rows, product = as_rows[block.shape[-1]]
        torch.index_select(state, 1, gather, out=slots[k])
        torch.matmul(block, rows[k], out=product)
        state = out
    return state.index_select(1, plan.final[0])


class ApplyBlocks(torch.autograd.Function):
    r""":func:`apply_blocks` with a hand-written adjoint backward pass.

    With :math:`\psi_{k+1} = M_k P_k \psi_k` (:math:`P_k` the gather) and the incoming gradient
    :math:`\lambda`, the adjoint runs backwards as :math:`\lambda \leftarrow P_k^T M_k^T \lambda` and
    :math:`\partial L/\partial M_k = \lambda_{k+1} (P_k\psi_k)^T`: one pass over the states per gather and
    matrix product, without autograd's per-operation bookkeeping.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, plan: Plan, state: torch.Tensor, *tables: torch.Tensor
    ) -> torch.Tensor:
        """:func:`apply_blocks`, keeping the states for the backward pass when a gradient is needed."""
        if not any(ctx.needs_input_grad):  # type: ignore[attr-defined]
            return apply_blocks(plan, state, tables)
        saved = plan.workspace.take((len(plan.steps), *state.shape), state.dtype)
        out = apply_blocks(plan, state, tables, saved=saved)
        ctx.plan = plan  # type: ignore[attr-defined]
        ctx.save_for_backward(saved, *tables)
        return out

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        """The gradients of the states (if needed) and of the tables; the buffer goes back to the workspace."""
        plan: Plan = ctx.plan  # type: ignore[attr-defined]
        saved, *tables = ctx.saved_tensors  # type: ignore[attr-defined]
        lead = tables[0].shape[:-3] if tables else ()
        dims = {tables[t].shape[-1] for t, _, _, _ in plan.steps}
        adjoint, scratch = torch.empty_like(grad), torch.empty_like(grad)
        torch.index_select(grad, 1, plan.final[1], out=adjoint)
        as_rows = {d: (adjoint.view(*lead, d, -1), scratch.view(*lead, d, -1)) for d in dims}
        inputs = {d: saved.view(len(plan.steps), *lead, d, -1).mT.unbind(0) for d in dims}
        transposed = [t.mT.unbind(-3) for t in tables]
        grads: list[list[torch.Tensor]] = [[] for _ in tables]
        for k in reversed(range(len(plan.steps))):
            table, index, _, inverse = plan.steps[k]
            block = transposed[table][index]
            rows, out = as_rows[block.shape[-1]]
            grads[table].append(rows @ inputs[block.shape[-1]][k])
            if k or ctx.needs_input_grad[1]:  # type: ignore[attr-defined]
                torch.matmul(block, rows, out=out)
                torch.index_select(scratch, 1, inverse, out=adjoint)
        plan.workspace.give(saved)
        grad_tables = [torch.zeros_like(table) for table in tables]
        for t, order in plan.gradient_index.items():
            grad_tables[t].index_add_(-3, order, torch.stack(grads[t], dim=-3))
        return None, adjoint if ctx.needs_input_grad[1] else None, *grad_tables  # type: ignore[attr-defined]
