r"""Products: the block matrices, built from the weights on every call, with a hand-written derivative.

Blocks with identical factors (weights shared within a level) are built once: a :class:`FactorTable`
stacks the folded factors of several equal-size blocks, in real form (:func:`realify`), padded with
identities to a power-of-two length. One call evaluates every factor :math:`C + \cos a\,A + \sin a\,B` and
multiplies each block's factors together by a log-depth batched product (:func:`tree`), all blocks at
the same time. :class:`FactorChain` does both in one autograd node whose backward pass
(:func:`tree_backward`, then the angles' derivative) is a few batched products; :class:`Chain` is the
product alone (the tail unitary). See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit.circuit import Parameter

from qcnn_tl.qnn.exact.fusion import Block, fold

_REAL = {
    torch.complex128: torch.float64,
    torch.complex64: torch.float32,
    torch.float64: torch.float64,
    torch.float32: torch.float32,
}


def realify(m: np.ndarray) -> np.ndarray:
    r"""Complex ``(..., d, d)`` to real ``(..., 2d, 2d)``: :math:`\begin{pmatrix}R & -I\\ I & R\end{pmatrix}`.

    It acts on real vectors :math:`(\operatorname{Re}\psi, \operatorname{Im}\psi)` as ``m`` acts on :math:`\psi`.
    """
    return np.concatenate((np.concatenate((m.real, -m.imag), -1), np.concatenate((m.imag, m.real), -1)), -2)


class FactorTable:
    """Stacked factors of several equal-size blocks, evaluated together in real form.

    Every factor is kept as the real matrices of :math:`C, A, B` (``2d × 2d`` by :func:`realify` for a
    complex ``dtype``, ``d × d`` as they are for a real one), so each call is a few real, vectorised
    operations and a log-depth batched product.

    Args:
        blocks: Blocks on the same number of qubits.
        params: The parameters the angles are linear in, in the order of :meth:`matrices`' values.
        dtype: ``torch.complex128``/``complex64`` (unitaries, realified) or ``torch.float64``/``float32``
            (real matrices, e.g. Pauli transfer matrices).
        site_dim: The dimension of one site: 2 for qubits' state vectors, 4 for Pauli transfer matrices.
    """

    def __init__(
        self,
        blocks: Sequence[Block],
        params: Sequence[Parameter],
        dtype: torch.dtype,
        *,
        site_dim: int = 2,
    ) -> None:
        dim = site_dim ** len(blocks[0].qubits)
        folded = [fold(block) for block in blocks]
        length = 1 << (max(len(f) for f in folded) - 1).bit_length()  # padded with identities
        index = {p: i for i, p in enumerate(params)}
        shape = (len(blocks), length, dim, dim)
        kind = complex if dtype.is_complex else float
        c = np.zeros(shape, kind)
        c[...] = np.eye(dim)
        a = np.zeros(shape, kind)
        b = np.zeros(shape, kind)
        coefs = np.zeros((len(blocks), length, len(params)))
        offsets = np.zeros((len(blocks), length))
        for i, factors in enumerate(folded):
            for j, factor in enumerate(factors):
                c[i, j], a[i, j], b[i, j] = factor.c, factor.a, factor.b
                for p, coef in factor.coefs.items():
                    coefs[i, j, index[p]] += coef
                offsets[i, j] = factor.offset
        real = _REAL[dtype]
        form = realify if dtype.is_complex else np.asarray
        self.dim = dim
        self.c = torch.as_tensor(form(c), dtype=real)
        self.a = torch.as_tensor(form(a), dtype=real)
        self.b = torch.as_tensor(form(b), dtype=real)
        self.coefs = torch.as_tensor(coefs, dtype=real)
        self.offsets = torch.as_tensor(offsets, dtype=real)

    def matrices(self, values: torch.Tensor) -> torch.Tensor:
        """Real forms ``(num_blocks, 2d, 2d)`` of the block matrices for parameter values ``(num_params,)``.

        Values ``(R, num_params)`` (replicas) give ``(R, num_blocks, 2d, 2d)``. (For a real table, ``d × d``.)
        """
        angles = torch.movedim(self.coefs @ values.mT, -1, 0) if values.ndim == 2 else self.coefs @ values
        return FactorChain.apply(angles + self.offsets, self.c, self.a, self.b)


def tree(factors: torch.Tensor) -> list[torch.Tensor]:
    r"""Levels of the log-depth product :math:`F_{n-1} \cdots F_1 F_0` of ``factors`` ``(..., n, d, d)``.

    ``n`` must be a power of two; level ``k + 1`` multiplies neighbours of level ``k``, the last level holds
    the product ``(..., 1, d, d)``.
    """
    levels = [factors]
    while levels[-1].shape[-3] > 1:
        pairs = levels[-1].reshape(-1, 2, *factors.shape[-2:])
        levels.append(torch.bmm(pairs[:, 1], pairs[:, 0]).view(*factors.shape[:-3], -1, *factors.shape[-2:]))
    return levels


def tree_backward(levels: Sequence[torch.Tensor], grad: torch.Tensor) -> torch.Tensor:
    r"""Gradient with respect to the factors of :func:`tree` from that of the product ``(..., d, d)``.

    ``levels`` are those of :func:`tree` without the last (the product).

    For a product :math:`FE`: :math:`\partial L/\partial F = G E^T`, :math:`\partial L/\partial E = F^T G`.
    """
    grad = grad.reshape(-1, *grad.shape[-2:])
    for level in reversed(levels):
        pairs = level.reshape(-1, 2, *level.shape[-2:])
        grad = torch.stack((torch.bmm(pairs[:, 1].mT, grad), torch.bmm(grad, pairs[:, 0].mT)), dim=1).flatten(0, 1)
    return grad.view(levels[0].shape)


class Chain(torch.autograd.Function):
    """The product of ``factors`` ``(..., n, d, d)`` (``n`` a power of two) by :func:`tree`.

    Its backward pass is :func:`tree_backward`: a few batched products, no per-level autograd bookkeeping.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, factors: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """The product ``(..., d, d)``."""
        levels = tree(factors)
        ctx.save_for_backward(*levels[:-1])
        return levels[-1][..., 0, :, :]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """The factors' gradient."""
        return tree_backward(ctx.saved_tensors, grad)  # type: ignore[attr-defined]


class FactorChain(torch.autograd.Function):
    r"""Block matrices :math:`\prod_j (C_j + \cos a_j\, A_j + \sin a_j\, B_j)` from angles ``(..., blocks, n)``.

    The backward pass gives :math:`\partial L/\partial a_j = \langle G_j, \cos a_j\, B_j - \sin a_j\, A_j\rangle`
    from the factors' gradients :math:`G_j` (:func:`tree_backward`).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        angles: torch.Tensor,
        c: torch.Tensor,
        a: torch.Tensor,
        b: torch.Tensor,
    ) -> torch.Tensor:
        """The block matrices ``(..., blocks, d, d)``; ``c``, ``a``, ``b`` are ``(blocks, n, d, d)``."""
        cos, sin = torch.cos(angles)[..., None, None], torch.sin(angles)[..., None, None]
        levels = tree(torch.addcmul(torch.addcmul(c, cos, a), sin, b))
        ctx.save_for_backward(cos, sin, a, b, *levels[:-1])
        return levels[-1][..., 0, :, :]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        """The angles' gradient (the matrices are constants)."""
        cos, sin, a, b, *levels = ctx.saved_tensors  # type: ignore[attr-defined]
        factors = tree_backward(levels, grad).flatten(-2)
        along_a = torch.linalg.vecdot(factors, a.flatten(-2))
        along_b = torch.linalg.vecdot(factors, b.flatten(-2))
        return cos[..., 0, 0] * along_b - sin[..., 0, 0] * along_a, None, None, None
