r"""The exact engine: a batched, differentiable torch statevector executor of our QCNN templates.

The template ``QuantumCircuit`` itself is lowered (after a transpile to :data:`EXACT_BASIS`), so the
engine cannot drift from what Aer and hardware run. Every gate becomes one or more *factors*

.. math:: F(a) = C + \cos(a)\,A + \sin(a)\,B, \qquad a = \omega\,(c_0 + \textstyle\sum_p c_p\,p),

with constant matrices :math:`C, A, B` (a constant gate has :math:`A = B = 0`) and an angle linear in
the circuit parameters. The circuit splits into an *encoding* part (factors that depend on inputs) and a
*trainable* part (factors that depend on weights). The trainable part is fused into two-qubit blocks
(a one-qubit factor joins the last block on its qubit, or the next one if none came before); blocks
with identical factors (weights shared within a level) are built once per call, all at the same time,
by a log-depth batched matrix product. Each block is applied to the whole batch with one gather and one
matrix product; the last blocks, on at most :data:`MAX_TAIL_QUBITS` qubits with the observable, form one
small unitary applied once before the observable. Weight gradients flow through hand-written adjoint passes (the
block products and the block applications), with reused buffers: a training step is a few dozen
large operations rather than hundreds of small ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from qiskit import transpile
from qiskit.circuit import CircuitInstruction, Parameter, ParameterExpression, QuantumCircuit
from qiskit.circuit.library import CPhaseGate, CRYGate, PhaseGate, RYGate
from qiskit.quantum_info import Operator, SparsePauliOp

EXACT_BASIS: tuple[str, ...] = (
    *("rx", "ry", "rz", "p", "u", "crx", "cry", "crz", "cp", "cu"),
    *("cx", "cy", "cz", "swap", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id"),
)
"""Gates the exact engine executes; templates are transpiled to these first."""

MAX_TAIL_QUBITS = 4
"""Trailing blocks on at most this many qubits are folded into the observable (Heisenberg picture)."""

_FREQUENCY = {
    "rx": 0.5,
    "ry": 0.5,
    "rz": 0.5,
    "crx": 0.5,
    "cry": 0.5,
    "crz": 0.5,
    "p": 1.0,
    "cp": 1.0,
}


@dataclass
class _Factor:
    r"""One factor :math:`C + \cos(a) A + \sin(a) B` on ``qubits`` (Qiskit little-endian locally)."""

    qubits: tuple[int, ...]
    c: np.ndarray
    a: np.ndarray
    b: np.ndarray
    coefs: dict[Parameter, float] = field(default_factory=dict)
    offset: float = 0.0


def linear_form(value: ParameterExpression | float, scale: float = 1.0) -> tuple[dict[Parameter, float], float]:
    """Writes ``scale * value`` as ``offset + Σ coef_p p``.

    Raises:
        ValueError: If ``value`` is not linear in its parameters.
    """
    if not isinstance(value, ParameterExpression):
        return {}, scale * float(value)
    params = list(value.parameters)
    zero = {p: 0.0 for p in params}
    offset = float(value.bind(zero))
    coefs = {p: float(value.bind({**zero, p: 1.0})) - offset for p in params}
    probe = {p: 0.37 + 0.11 * i for i, p in enumerate(params)}
    expected = offset + sum(coefs[p] * v for p, v in probe.items())
    if not np.isclose(float(value.bind(probe)), expected, atol=1e-12):
        raise ValueError(f"gate angles must be linear in the circuit parameters; got {value}")
    return {p: scale * c for p, c in coefs.items()}, scale * offset


def _rotation_factor(gate_cls: type, qubits: tuple[int, ...], value: ParameterExpression | float) -> _Factor:
    name = gate_cls(0.0).name
    omega = _FREQUENCY[name]
    m0 = Operator(gate_cls(0.0)).data
    m_pi = Operator(gate_cls(np.pi / omega)).data
    m_half = Operator(gate_cls(np.pi / (2 * omega))).data
    c = (m0 + m_pi) / 2
    coefs, offset = linear_form(value, omega)
    return _Factor(qubits, c, (m0 - m_pi) / 2, m_half - c, coefs, offset)


def _lower(instruction: CircuitInstruction, circuit: QuantumCircuit) -> list[_Factor]:
    """The factors of one instruction, in application order."""
    op = instruction.operation
    qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
    if op.name == "barrier":
        return []
    if op.name not in EXACT_BASIS:
        raise ValueError(f"the exact engine cannot execute gate {op.name!r}")
    if not any(isinstance(p, ParameterExpression) for p in op.params):
        data = Operator(op).data
        zero = np.zeros_like(data)
        return [_Factor(qubits, data, zero, zero)]
    if op.name == "u":
        theta, phi, lam = op.params
        return [
            _rotation_factor(PhaseGate, qubits, lam),
            _rotation_factor(RYGate, qubits, theta),
            _rotation_factor(PhaseGate, qubits, phi),
        ]
    if op.name == "cu":
        theta, phi, lam, gamma = op.params
        return [
            _rotation_factor(CPhaseGate, qubits, lam),
            _rotation_factor(CRYGate, qubits, theta),
            _rotation_factor(CPhaseGate, qubits, phi),
            _rotation_factor(PhaseGate, qubits[:1], gamma),
        ]
    return [_rotation_factor(type(op), qubits, op.params[0])]


_SWAP = np.eye(4)[[0, 2, 1, 3]]


def _embed(factor: _Factor, qubits: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The factor's ``(C, A, B)`` as matrices on the block's ``qubits`` (little-endian)."""
    mats = (factor.c, factor.a, factor.b)
    if factor.qubits == qubits:
        return mats
    if len(factor.qubits) == 2:
        return tuple(_SWAP @ m @ _SWAP for m in mats)
    eye = np.eye(2)
    if factor.qubits[0] == qubits[0]:
        return tuple(np.kron(eye, m) for m in mats)
    return tuple(np.kron(m, eye) for m in mats)


@dataclass
class _Block:
    qubits: tuple[int, ...]
    factors: list[_Factor]


def _fuse(factors: Sequence[_Factor]) -> list[_Block]:
    """Merges factors into blocks on at most two qubits, moving factors past others on disjoint qubits.

    Each qubit remembers the last block that touched it. A one-qubit factor joins that block. A two-qubit
    factor joins it when both its qubits share it; otherwise it opens a block and takes along the
    one-qubit blocks its qubits last had (nothing has touched those qubits since, so they commute forward).
    The circuit's order of blocks is kept, so the product of the blocks is the circuit.
    """
    blocks: list[_Block | None] = []
    last: dict[int, int] = {}
    for factor in factors:
        first = last.get(factor.qubits[0])
        if len(factor.qubits) == 1 and first is not None:
            blocks[first].factors.append(factor)  # type: ignore[union-attr]
            continue
        if len(factor.qubits) == 2 and first is not None and last.get(factor.qubits[1]) == first:
            blocks[first].factors.append(factor)  # type: ignore[union-attr]
            continue
        taken: list[_Factor] = []
        for q in factor.qubits:
            earlier = blocks[last[q]] if q in last else None
            if earlier is not None and len(earlier.qubits) == 1:
                taken += earlier.factors
                blocks[last[q]] = None
        for q in factor.qubits:
            last[q] = len(blocks)
        blocks.append(_Block(factor.qubits, [*taken, factor]))
    return [b for b in blocks if b is not None]


def _folded(block: _Block) -> list[_Factor]:
    r"""The block's factors on its own qubits, each constant factor multiplied into a neighbour.

    :math:`K F(a) = KC + \cos(a)\,KA + \sin(a)\,KB` (and likewise :math:`F(a) K`), so a block with
    :math:`p` weight-dependent factors keeps :math:`\max(p, 1)` factors.
    """
    out: list[_Factor] = []
    pending = np.eye(1 << len(block.qubits))
    for factor in block.factors:
        c, a, b = _embed(factor, block.qubits)
        if factor.coefs:
            out.append(_Factor(block.qubits, c @ pending, a @ pending, b @ pending, factor.coefs, factor.offset))
            pending = np.eye(len(pending))
            continue
        constant = c + np.cos(factor.offset) * a + np.sin(factor.offset) * b
        if out:
            last = out[-1]
            last.c, last.a, last.b = constant @ last.c, constant @ last.a, constant @ last.b
        else:
            pending = constant @ pending
    if not out:
        zero = np.zeros_like(pending)
        out.append(_Factor(block.qubits, pending, zero, zero))
    return out


def _realify_np(m: np.ndarray) -> np.ndarray:
    r"""Complex ``(..., d, d)`` to real ``(..., 2d, 2d)``: :math:`\begin{pmatrix}R & -I\\ I & R\end{pmatrix}`."""
    return np.concatenate((np.concatenate((m.real, -m.imag), -1), np.concatenate((m.imag, m.real), -1)), -2)


class _FactorTable:
    """Stacked factors of several equal-size blocks, evaluated together in real form.

    Every factor is kept as the real ``2d × 2d`` matrices of :math:`C, A, B`, so each call is a few
    real, vectorised operations and a log-depth batched product.
    """

    def __init__(
        self,
        blocks: Sequence[_Block],
        params: Sequence[Parameter],
        dtype: torch.dtype,
    ) -> None:
        dim = 1 << len(blocks[0].qubits)
        folded = [_folded(block) for block in blocks]
        length = 1 << (max(len(f) for f in folded) - 1).bit_length()  # padded with identities
        index = {p: i for i, p in enumerate(params)}
        shape = (len(blocks), length, dim, dim)
        c = np.zeros(shape, complex)
        c[...] = np.eye(dim)
        a = np.zeros(shape, complex)
        b = np.zeros(shape, complex)
        coefs = np.zeros((len(blocks), length, len(params)))
        offsets = np.zeros((len(blocks), length))
        for i, factors in enumerate(folded):
            for j, factor in enumerate(factors):
                c[i, j], a[i, j], b[i, j] = factor.c, factor.a, factor.b
                for p, coef in factor.coefs.items():
                    coefs[i, j, index[p]] += coef
                offsets[i, j] = factor.offset
        real = torch.float64 if dtype == torch.complex128 else torch.float32
        self.dim = dim
        self.c = torch.as_tensor(_realify_np(c), dtype=real)
        self.a = torch.as_tensor(_realify_np(a), dtype=real)
        self.b = torch.as_tensor(_realify_np(b), dtype=real)
        self.coefs = torch.as_tensor(coefs, dtype=real)
        self.offsets = torch.as_tensor(offsets, dtype=real)

    def matrices(self, values: torch.Tensor) -> torch.Tensor:
        """Real forms ``(num_blocks, 2d, 2d)`` of the block matrices for parameter values ``(num_params,)``.

        Values ``(R, num_params)`` (replicas) give ``(R, num_blocks, 2d, 2d)``.
        """
        angles = torch.movedim(self.coefs @ values.mT, -1, 0) if values.ndim == 2 else self.coefs @ values
        return _FactorChain.apply(angles + self.offsets, self.c, self.a, self.b)


def _tree(factors: torch.Tensor) -> list[torch.Tensor]:
    r"""Levels of the log-depth product :math:`F_{n-1} \cdots F_1 F_0` of ``factors`` ``(..., n, d, d)``.

    ``n`` must be a power of two; level ``k + 1`` multiplies neighbours of level ``k``, the last level holds
    the product ``(..., 1, d, d)``.
    """
    levels = [factors]
    while levels[-1].shape[-3] > 1:
        pairs = levels[-1].reshape(-1, 2, *factors.shape[-2:])
        levels.append(torch.bmm(pairs[:, 1], pairs[:, 0]).view(*factors.shape[:-3], -1, *factors.shape[-2:]))
    return levels


def _tree_backward(levels: Sequence[torch.Tensor], grad: torch.Tensor) -> torch.Tensor:
    r"""Gradient with respect to the factors of :func:`_tree` from that of the product ``(..., d, d)``.

    ``levels`` are those of :func:`_tree` without the last (the product).

    For a product :math:`FE`: :math:`\partial L/\partial F = G E^T`, :math:`\partial L/\partial E = F^T G`.
    """
    grad = grad.reshape(-1, *grad.shape[-2:])
    for level in reversed(levels):
        pairs = level.reshape(-1, 2, *level.shape[-2:])
        grad = torch.stack((torch.bmm(pairs[:, 1].mT, grad), torch.bmm(grad, pairs[:, 0].mT)), dim=1).flatten(0, 1)
    return grad.view(levels[0].shape)


class _Chain(torch.autograd.Function):
    """The product of ``factors`` ``(..., n, d, d)`` (``n`` a power of two) by :func:`_tree`.

    Its backward pass is :func:`_tree_backward`: a few batched products, no per-level autograd bookkeeping.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, factors: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        levels = _tree(factors)
        ctx.save_for_backward(*levels[:-1])
        return levels[-1][..., 0, :, :]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return _tree_backward(ctx.saved_tensors, grad)  # type: ignore[attr-defined]


class _FactorChain(torch.autograd.Function):
    r"""Block matrices :math:`\prod_j (C_j + \cos a_j\, A_j + \sin a_j\, B_j)` from angles ``(..., blocks, n)``.

    The backward pass gives :math:`\partial L/\partial a_j = \langle G_j, \cos a_j\, B_j - \sin a_j\, A_j\rangle`
    from the factors' gradients :math:`G_j` (:func:`_tree_backward`).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        angles: torch.Tensor,
        c: torch.Tensor,
        a: torch.Tensor,
        b: torch.Tensor,
    ) -> torch.Tensor:
        cos, sin = torch.cos(angles)[..., None, None], torch.sin(angles)[..., None, None]
        levels = _tree(torch.addcmul(torch.addcmul(c, cos, a), sin, b))
        ctx.save_for_backward(cos, sin, a, b, *levels[:-1])
        return levels[-1][..., 0, :, :]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        cos, sin, a, b, *levels = ctx.saved_tensors  # type: ignore[attr-defined]
        factors = _tree_backward(levels, grad).flatten(-2)
        along_a = torch.linalg.vecdot(factors, a.flatten(-2))
        along_b = torch.linalg.vecdot(factors, b.flatten(-2))
        return cos[..., 0, 0] * along_b - sin[..., 0, 0] * along_a, None, None, None


def _bit_order(num_qubits: int, chosen: tuple[int, ...], *, top: bool = False) -> np.ndarray:
    """Basis permutation that moves the bits of ``chosen`` to the lowest (or, with ``top``, highest) bits.

    Entry ``k`` of the result is the original basis index whose bits, read with ``chosen`` as the
    lowest bits (``chosen[0]`` lowest) and the other qubits above them in ascending order, give
    ``k``; with ``top`` the other qubits come lowest and ``chosen`` above them.
    """
    rest = [q for q in range(num_qubits) if q not in chosen]
    order = rest + list(chosen) if top else list(chosen) + rest
    k = np.arange(1 << num_qubits)
    original = np.zeros_like(k)
    for position, qubit in enumerate(order):
        original |= ((k >> position) & 1) << qubit
    return original


EncodeOp = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _encode_op(factor: _Factor, num_qubits: int, params: Sequence[Parameter], dtype: torch.dtype) -> EncodeOp:
    """A function ``(state, inputs) -> state`` applying one encoding factor to a batch."""
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
            order = _bit_order(num_qubits, factor.qubits)
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
    order_t = torch.as_tensor(_bit_order(num_qubits, factor.qubits))

    def apply_two(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        moved = state[:, order_t].view(state.shape[0], -1, 4) @ matrices(x).transpose(-1, -2)
        return torch.empty_like(state).index_copy_(1, order_t, moved.reshape(state.shape[0], -1))

    return apply_two


def _embedding(num_qubits: int, blocks: Sequence[tuple[int, int, tuple[int, ...]]], zero: int) -> np.ndarray:
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
        local = sum(((k >> q) & 1) << j for j, q in enumerate(qubits))
        rest = k & ~sum(1 << q for q in qubits)
        same = rest[:, None] == rest[None, :]
        for ri in (0, 1):
            for rj in (0, 1):
                source = start + (ri * dim + local[:, None]) * 2 * dim + rj * dim + local[None, :]
                out[n, ri * size : (ri + 1) * size, rj * size : (rj + 1) * size] = np.where(same, source, zero)
    return out


class _Workspace:
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


@dataclass(frozen=True)
class _Plan:
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
    workspace: _Workspace = field(default_factory=_Workspace, compare=False)

    @classmethod
    def build(cls, num_qubits: int, blocks: Sequence[tuple[int, int, tuple[int, ...]]], top: tuple[int, ...]) -> _Plan:
        """The plan for ``blocks`` ``(table, index, qubits)`` that ends with ``top`` on the top bits.

        The output index is ``k + 2**len(top) * r`` for the bits ``k`` of ``top`` (``top[0]`` lowest) and
        ``r`` of the other qubits (ascending).
        """
        current = np.arange(1 << num_qubits)
        steps = []
        for table, index, qubits in blocks:
            target = _bit_order(num_qubits, qubits, top=True)
            gather = np.argsort(current)[target]
            steps.append((table, index, torch.as_tensor(gather), torch.as_tensor(np.argsort(gather))))
            current = target
        gather = np.argsort(current)[_bit_order(num_qubits, top, top=True)]
        tables = {table for table, _, _ in blocks}
        gradient_index = {t: torch.tensor([i for table, i, _ in reversed(blocks) if table == t]) for t in tables}
        return cls(tuple(steps), (torch.as_tensor(gather), torch.as_tensor(np.argsort(gather))), gradient_index)


def _apply_blocks(
    plan: _Plan, state: torch.Tensor, tables: Sequence[torch.Tensor], *, saved: torch.Tensor | None = None
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


class _ApplyBlocks(torch.autograd.Function):
    r""":func:`_apply_blocks` with a hand-written adjoint backward pass.

    With :math:`\psi_{k+1} = M_k P_k \psi_k` (:math:`P_k` the gather) and the incoming gradient
    :math:`\lambda`, the adjoint runs backwards as :math:`\lambda \leftarrow P_k^T M_k^T \lambda` and
    :math:`\partial L/\partial M_k = \lambda_{k+1} (P_k\psi_k)^T`: one pass over the states per gather and
    matrix product, without autograd's per-operation bookkeeping.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, plan: _Plan, state: torch.Tensor, *tables: torch.Tensor
    ) -> torch.Tensor:
        if not any(ctx.needs_input_grad):  # type: ignore[attr-defined]
            return _apply_blocks(plan, state, tables)
        saved = plan.workspace.take((len(plan.steps), *state.shape), state.dtype)
        out = _apply_blocks(plan, state, tables, saved=saved)
        ctx.plan = plan  # type: ignore[attr-defined]
        ctx.save_for_backward(saved, *tables)
        return out

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        plan: _Plan = ctx.plan  # type: ignore[attr-defined]
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
        for t, index in plan.gradient_index.items():
            grad_tables[t].index_add_(-3, index, torch.stack(grads[t], dim=-3))
        return None, adjoint if ctx.needs_input_grad[1] else None, *grad_tables  # type: ignore[attr-defined]


class ExactEngine:
    r"""Exact, batched, differentiable :math:`\langle O\rangle` of a template in torch.

    Args:
        circuit: The template; every input-dependent gate must come before every weight-dependent one.
        input_params: Parameters bound per sample.
        weight_params: Trainable parameters (the gradient is with respect to these).
        observable: A diagonal (``I``/``Z``) Pauli observable on the circuit's qubits.
        dtype: ``torch.complex128`` (default) or ``torch.complex64``.

    Raises:
        ValueError: If the circuit mixes inputs and weights in one gate, re-uploads inputs after
            weights, uses a gate outside :data:`EXACT_BASIS` after transpilation, or the observable is
            not diagonal.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        *,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        observable: SparsePauliOp,
        dtype: torch.dtype = torch.complex128,
    ) -> None:
        if dtype not in (torch.complex128, torch.complex64):
            raise ValueError(f"dtype must be torch.complex128 or torch.complex64; got {dtype}")
        self.num_qubits = circuit.num_qubits
        self.input_params = tuple(input_params)
        self.weight_params = tuple(weight_params)
        self.dtype = dtype
        self._real = torch.float64 if dtype == torch.complex128 else torch.float32
        unknown = set(circuit.parameters) - set(self.input_params) - set(self.weight_params)
        if unknown:
            names = sorted(p.name for p in unknown)[:5]
            raise ValueError(f"circuit parameters {names} are neither inputs nor weights")
        basic = transpile(circuit, basis_gates=list(EXACT_BASIS), optimization_level=0)
        factors = [f for inst in basic.data for f in _lower(inst, basic)]
        encode, trainable = self._split(factors)
        self._build_encoding(encode)
        self._build_trainable(_fuse(trainable), observable)

    def _split(self, factors: list[_Factor]) -> tuple[list[_Factor], list[_Factor]]:
        """Splits factors into the encoding and the trainable part.

        A transpiled circuit lists gates in one topological order, which may interleave independent
        encoding and trainable gates on disjoint qubits; those commute, so each factor goes to the
        encoding part unless one of its qubits has already met a weight-dependent factor.
        """
        inputs, weights = set(self.input_params), set(self.weight_params)
        encode: list[_Factor] = []
        trainable: list[_Factor] = []
        reached: set[int] = set()
        for f in factors:
            uses_inputs = bool(inputs & f.coefs.keys())
            if uses_inputs and weights & f.coefs.keys():
                raise ValueError("a gate depends on both inputs and weights; the exact engine needs them apart")
            if weights & f.coefs.keys() or reached & set(f.qubits):
                if uses_inputs:
                    raise ValueError("inputs re-uploaded after weights are not supported by the exact engine")
                reached |= set(f.qubits)
                trainable.append(f)
            else:
                encode.append(f)
        # Constant factors that no later encoding factor needs (none of their qubits is touched again by
        # the encoding) commute past the rest of it: move them to the front of the trainable part. The
        # encoding part is then the same for every ansatz (Con_Z's CZs or U_9's Hadamards, which need no
        # weight, would otherwise join it), so encoded states can be shared between models.
        kept: list[_Factor] = []
        moved: list[_Factor] = []
        needed: set[int] = set()
        for f in reversed(encode):
            if not f.coefs and not needed & set(f.qubits):
                moved.append(f)
            else:
                kept.append(f)
                needed |= set(f.qubits)
        return kept[::-1], moved[::-1] + trainable

    @classmethod
    def from_template(cls, template: object, *, dtype: torch.dtype = torch.complex128) -> ExactEngine:
        """Builds the engine for a :class:`~qcnn_tl.circuits.QCNNTemplate`."""
        return cls(
            template.circuit,  # type: ignore[attr-defined]
            input_params=template.input_params,  # type: ignore[attr-defined]
            weight_params=template.weight_params,  # type: ignore[attr-defined]
            observable=template.observable,  # type: ignore[attr-defined]
            dtype=dtype,
        )

    def _build_encoding(self, factors: list[_Factor]) -> None:
        real = all(np.isreal(m).all() for f in factors for m in (f.c, f.a, f.b))
        self._encode_dtype = self._real if real else self.dtype
        self._encode_ops = [_encode_op(f, self.num_qubits, self.input_params, self._encode_dtype) for f in factors]

    def _build_trainable(self, blocks: list[_Block], observable: SparsePauliOp) -> None:
        if observable.num_qubits != self.num_qubits:
            raise ValueError(f"observable must act on {self.num_qubits} qubits; got {observable.num_qubits}")
        if np.any(observable.paulis.x):
            raise ValueError(f"the exact engine needs a diagonal (I/Z) observable; got {observable}")
        unique: dict[tuple[int, bytes], int] = {}
        groups: dict[int, list[_Block]] = {2: [], 4: []}
        plan: list[tuple[int, int]] = []
        for block in blocks:
            dim = 1 << len(block.qubits)
            key_parts = []
            for factor in block.factors:
                emb = _embed(factor, block.qubits)
                names = sorted((self.weight_params.index(p), c) for p, c in factor.coefs.items())
                key_parts.append(b"".join(m.tobytes() for m in emb) + repr((names, factor.offset)).encode())
            key = (dim, b"|".join(key_parts))
            if key not in unique:
                unique[key] = len(groups[dim])
                groups[dim].append(block)
            plan.append((dim, unique[key]))
        self._tables = {
            dim: _FactorTable(group, self.weight_params, self.dtype) for dim, group in groups.items() if group
        }
        self.num_blocks = len(blocks)
        self.num_unique_blocks = sum(len(g) for g in groups.values())
        # The tail: the longest suffix of blocks that, with the observable, stays on MAX_TAIL_QUBITS qubits.
        # Its unitary is built without the batch and applied once, before the observable.
        tail = {int(q) for q in np.flatnonzero(np.any(observable.paulis.z, axis=0))} or {0}
        split = len(blocks)
        while split and len(tail | set(blocks[split - 1].qubits)) <= MAX_TAIL_QUBITS:
            split -= 1
            tail |= set(blocks[split].qubits)
        self.num_tail_blocks = len(blocks) - split
        tail_qubits = tuple(sorted(tail))
        position = {q: i for i, q in enumerate(tail_qubits)}
        table_of = {dim: i for i, dim in enumerate(self._tables)}
        placed = [(table_of[dim], idx, block.qubits) for (dim, idx), block in zip(plan, blocks, strict=True)]
        self._plan = _Plan.build(self.num_qubits, placed[:split], tail_qubits)
        sizes = [table.c.shape[0] * table.c.shape[-1] ** 2 for table in self._tables.values()]
        embedding = _embedding(
            len(tail_qubits),
            [
                (sum(sizes[:t]) + i * (2 * dim) ** 2, dim, tuple(position[q] for q in block.qubits))
                for (t, i, _), (dim, _), block in zip(placed[split:], plan[split:], blocks[split:], strict=True)
            ],
            sum(sizes),
        )
        self._tail_index, self._tail_shape = torch.as_tensor(embedding.flatten()), embedding.shape
        self._zero_one = torch.tensor([0.0, 1.0], dtype=self._real)
        diag = np.real(observable.to_matrix(sparse=True).diagonal())
        original = np.zeros(1 << len(tail_qubits), dtype=int)
        for j, q in enumerate(tail_qubits):
            original |= ((np.arange(len(original)) >> j) & 1) << q
        self._tail_diag = torch.as_tensor(np.tile(diag[original], 2), dtype=self._real)

    @property
    def num_inputs(self) -> int:
        """Number of input parameters."""
        return len(self.input_params)

    @property
    def num_weights(self) -> int:
        """Number of weight parameters."""
        return len(self.weight_params)

    def encode(self, input_values: torch.Tensor | np.ndarray, *, chunk_size: int = 512) -> torch.Tensor:
        """Runs the encoding part on a batch (no gradient), ``chunk_size`` samples at a time.

        The encoding part is the input-dependent gates and the constant gates they need; constant gates
        at its end (e.g. the last CNOTs of the amplitude encoding) run with the trainable part instead,
        so the states are the same for every ansatz on the same encoding.

        Args:
            input_values: Shape ``(B, num_inputs)``.
            chunk_size: Samples simulated together; small chunks stay in cache.

        Returns:
            States ``(B, 2**num_qubits)`` in Qiskit's basis order, the input to :meth:`expectation`.

        Raises:
            ValueError: On a wrong shape or non-finite values.
        """
        x = torch.as_tensor(input_values, dtype=self._real)
        if x.ndim != 2 or x.shape[1] != self.num_inputs:
            raise ValueError(f"input_values must have shape (B, {self.num_inputs}); got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("input_values contain NaN or infinite values")
        with torch.no_grad():
            chunks = [self._encode_chunk(part) for part in torch.split(x, chunk_size)]
        return torch.cat(chunks).to(self.dtype) if chunks else torch.zeros(0, 1 << self.num_qubits, dtype=self.dtype)

    def _encode_chunk(self, x: torch.Tensor) -> torch.Tensor:
        state = torch.zeros(x.shape[0], 1 << self.num_qubits, dtype=self._encode_dtype)
        state[:, 0] = 1
        for op in self._encode_ops:
            state = op(state, x)
        return state

    def expectation(self, states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        r"""Applies the trainable part and returns :math:`\langle O\rangle` per sample.

        Several weight vectors (*replicas*, e.g. the repetitions of one model with different seeds) run
        together when ``weights`` has shape ``(R, num_weights)``: replica ``r`` acts on ``states[r]``.

        Args:
            states: Encoded states ``(B, 2**num_qubits)`` from :meth:`encode`, or ``(R, B, 2**num_qubits)``
                with replicated weights.
            weights: Shape ``(num_weights,)`` or ``(R, num_weights)``; may require grad.

        Returns:
            Real expectation values ``(B,)`` (or ``(R, B)``), differentiable with respect to ``weights``.

        Raises:
            ValueError: On wrong shapes.
        """
        replicated = weights.ndim == 2
        dim_states = 1 << self.num_qubits
        if weights.shape[-1:] != (self.num_weights,) or weights.ndim not in (1, 2):
            raise ValueError(
                f"weights must have shape ({self.num_weights},) or (R, {self.num_weights}); got {tuple(weights.shape)}"
            )
        if replicated:
            valid = states.ndim == 3 and states.shape[0] == len(weights) and states.shape[2] == dim_states
            shape = f"(R={len(weights)}, B, {dim_states})"
        else:
            valid = states.ndim == 2 and states.shape[1] == dim_states
            shape = f"(B, {dim_states})"
        if not valid:
            raise ValueError(f"states must have shape {shape}; got {tuple(states.shape)}")
        w = weights.to(self._real)
        lead = tuple(w.shape[:-1])
        tables = [table.matrices(w) for table in self._tables.values()]
        flat = [t.flatten(-3) for t in tables]
        source = torch.cat([*flat, self._zero_one.expand(*lead, 2)], dim=-1)
        unitary = _Chain.apply(source.index_select(-1, self._tail_index).unflatten(-1, self._tail_shape))
        size = len(self._tail_diag) // 2
        batch = states.shape[-2]
        state = torch.stack((states.real.mT, states.imag.mT), dim=-3).to(self._real).view(-1, dim_states, batch)
        rotated = unitary @ _ApplyBlocks.apply(self._plan, state, *tables).view(*lead, 2 * size, -1)
        return (self._tail_diag[:, None] * rotated * rotated).view(*lead, 2 * size, -1, batch).sum(dim=(-3, -2))

    def __call__(self, input_values: torch.Tensor | np.ndarray, weights: torch.Tensor) -> torch.Tensor:
        """``expectation(encode(input_values), weights)``."""
        return self.expectation(self.encode(input_values), weights)
