"""Encoding: the encoding part's factors as functions applied to a batch of complex (or real) states.

The encoding part runs once per sample, without gradient (its states are cached and shared between models),
so each factor is applied on its own, in Qiskit's basis order: a constant permutation (a CNOT, a SWAP) is
one gather, a one-qubit factor two strided multiply-adds, a two-qubit factor a gather, a batched ``4 × 4``
product and a scatter. Per-sample matrices come from the inputs' angles. See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from qiskit.circuit import Parameter

from qcnn_tl.qnn.exact.layout import bit_order
from qcnn_tl.qnn.exact.lowering import Factor

EncodeOp = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``(states (B, 2**n), inputs (B, num_inputs)) -> states``: one encoding factor applied to a batch."""


def encode_op(factor: Factor, num_qubits: int, params: Sequence[Parameter], dtype: torch.dtype) -> EncodeOp:
    """A function ``(state, inputs) -> state`` applying one encoding factor to a batch.

    Args:
        factor: The factor; its angle is linear in ``params``.
        num_qubits: The circuit's qubits.
        params: The input parameters, in the order of the inputs' columns.
        dtype: The states' dtype (real when every encoding factor is real).
    """
    index = {p: i for i, p in enumerate(params)}
    real = torch.float64 if dtype in (torch.float64, torch.complex128) else torch.float32
    coefs = torch.zeros(len(params), dtype=real)
    for p, coef in factor.coefs.items():
        coefs[index[p]] += coef
    c, a, b = (torch.as_tensor(m if dtype.is_complex else m.real, dtype=dtype) for m in (factor.c, factor.a, factor.b))
    constant = not factor.coefs
    if constant and np.count_nonzero(factor.c) == len(factor.c) and np.allclose(np.abs(factor.c).sum(0), 1):
        perm = np.argmax(np.abs(factor.c), axis=0)
        phases = factor.c[perm, np.arange(len(perm))]
        if np.allclose(phases, 1):
            order = bit_order(num_qubits, factor.qubits)
            dim = len(perm)
            k = np.arange(1 << num_qubits)
            source = order[(k // dim) * dim + perm[k % dim]]
            target = np.empty_like(k)
            target[order] = k
            gather = torch.as_tensor(source[target])
            return lambda state, x: state[:, gather]

    def matrices(x: torch.Tensor) -> torch.Tensor:
        if constant:
            return c.expand(x.shape[0], -1, -1)
        angles = (x @ coefs + factor.offset)[:, None, None]
        return c + torch.cos(angles) * a + torch.sin(angles) * b

    if len(factor.qubits) == 1:
        q = factor.qubits[0]

        def apply_one(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            m = matrices(x)
            view = state.view(state.shape[0], -1, 2, 1 << q)
            s0, s1 = view[:, :, 0], view[:, :, 1]
            m00, m01, m10, m11 = (m[:, i, j, None, None] for i in (0, 1) for j in (0, 1))
            return torch.stack((m00 * s0 + m01 * s1, m10 * s0 + m11 * s1), dim=2).view(state.shape)

        return apply_one
    order_t = torch.as_tensor(bit_order(num_qubits, factor.qubits))

    def apply_two(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        moved = state[:, order_t].view(state.shape[0], -1, 4) @ matrices(x).transpose(-1, -2)
        return torch.empty_like(state).index_copy_(1, order_t, moved.reshape(state.shape[0], -1))

    return apply_two
