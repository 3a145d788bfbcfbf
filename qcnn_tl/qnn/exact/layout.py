r"""Layout: where each qubit's bit lies in the batched real state, and the gathers that move it.

The trainable part acts on real states ``(L·2, 2**n, B)``: the real and imaginary parts of ``L`` replicas
stacked on the first axis, the basis index next, the batch last. To apply a block on qubits
:math:`(q_0, q_1)` as one matrix product, a gather first moves those qubits to the top bits of the basis
index: rows ``(2 · 2**n)`` of one replica then read as ``(2d, 2**n / d · B)``, the block's real form
(``2d × 2d``) multiplies them, and the next block's gather starts from the layout this one left.
:func:`bit_order` gives such basis permutations, :class:`Plan` holds the gathers of a block sequence,
and :func:`embedding` places blocks' real forms on the tail's few qubits. See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from qcnn_tl.qnn.exact.apply import Workspace


def bit_order(num_qubits: int, chosen: tuple[int, ...], *, top: bool = False) -> np.ndarray:
    """Basis permutation that moves the bits of ``chosen`` to the lowest (or, with ``top``, highest) bits.

    Entry ``k`` of the result is the original basis index whose bits, read with ``chosen`` as the
    lowest bits (``chosen[0]`` lowest) and the other qubits above them in ascending order, give
    ``k``; with ``top`` the other qubits come lowest and ``chosen`` above them.

    >>> bit_order(3, (2,)).tolist()  # new bit 0 is qubit 2, bits 1 and 2 are qubits 0 and 1
    [0, 4, 1, 5, 2, 6, 3, 7]
    >>> bit_order(3, (0,), top=True).tolist()  # new bits 0 and 1 are qubits 1 and 2, bit 2 is qubit 0
    [0, 2, 4, 6, 1, 3, 5, 7]
    """
    rest = [q for q in range(num_qubits) if q not in chosen]
    order = rest + list(chosen) if top else list(chosen) + rest
    k = np.arange(1 << num_qubits)
    original = np.zeros_like(k)
    for position, qubit in enumerate(order):
        original |= ((k >> position) & 1) << qubit
    return original


def embedding(num_qubits: int, blocks: Sequence[tuple[int, int, tuple[int, ...]]], zero: int) -> np.ndarray:
    """Where each entry of the real forms of ``blocks``, embedded on ``num_qubits`` qubits, is read from.

    Args:
        num_qubits: The qubits of the embedding.
        blocks: Per block ``(start, d, qubits)``: its ``2d × 2d`` real form lies flattened at ``start`` in the
            source vector.
        zero: Index of a 0 in the source; a 1 follows it.

    Returns:
        Indices ``(n, 2S, 2S)`` (``S = 2**num_qubits``, ``n`` the number of blocks padded with identities to a
        power of two): ``source[indices]`` are the real forms of the blocks on all ``num_qubits`` qubits.
    """
    size = 1 << num_qubits
    count = 1 << max(len(blocks) - 1, 0).bit_length()
    out = np.full((count, 2 * size, 2 * size), zero)
    out[:, np.arange(2 * size), np.arange(2 * size)] = zero + 1
    k = np.arange(size)
    for n, (start, dim, qubits) in enumerate(blocks):
        local = sum((((k >> q) & 1) << j for j, q in enumerate(qubits)), np.zeros_like(k))
        rest = k & ~sum(1 << q for q in qubits)
        same = rest[:, None] == rest[None, :]
        for ri in (0, 1):
            for rj in (0, 1):
                source = start + (ri * dim + local[:, None]) * 2 * dim + rj * dim + local[None, :]
                out[n, ri * size : (ri + 1) * size, rj * size : (rj + 1) * size] = np.where(same, source, zero)
    return out


@dataclass(frozen=True)
class Plan:
    """Blocks applied to a batch of real states, in order.

    Attributes:
        steps: Per block ``(table, index, gather, inverse)``: the block is ``index`` in the stacked
            matrices ``tables[table]``; ``gather`` moves its qubits to the top bits of the state (from the
            layout the previous block left), ``inverse`` undoes that move.
        final: ``(gather, inverse)`` to the output layout.
        gradient_index: Per table, the block indices of its steps in reverse order (the order in which the
            backward pass meets them).
        workspace: Buffers for the backward pass.
    """

    steps: tuple[tuple[int, int, torch.Tensor, torch.Tensor], ...]
    final: tuple[torch.Tensor, torch.Tensor]
    gradient_index: dict[int, torch.Tensor]
    workspace: Workspace = field(default_factory=Workspace, compare=False)

    @classmethod
    def build(cls, num_qubits: int, blocks: Sequence[tuple[int, int, tuple[int, ...]]], top: tuple[int, ...]) -> Plan:
        """The plan for ``blocks`` ``(table, index, qubits)`` that ends with ``top`` on the top bits.

        The output index is ``k + 2**len(top) * r`` for the bits ``k`` of ``top`` (``top[0]`` lowest) and
        ``r`` of the other qubits (ascending).
        """
        current = np.arange(1 << num_qubits)
        steps = []
        for table, index, qubits in blocks:
            target = bit_order(num_qubits, qubits, top=True)
            gather = np.argsort(current)[target]
            steps.append((table, index, torch.as_tensor(gather), torch.as_tensor(np.argsort(gather))))
            current = target
        gather = np.argsort(current)[bit_order(num_qubits, top, top=True)]
        tables = {table for table, _, _ in blocks}
        gradient_index = {t: torch.tensor([i for table, i, _ in reversed(blocks) if table == t]) for t in tables}
        return cls(tuple(steps), (torch.as_tensor(gather), torch.as_tensor(np.argsort(gather))), gradient_index)
