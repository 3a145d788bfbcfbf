r"""The engine: a batched, differentiable torch statevector executor of our QCNN templates.

:class:`ExactEngine` runs the stages in order. The template is transpiled to
:data:`~qcnn_tl.qnn.exact.lowering.EXACT_BASIS` and lowered to factors, which split into an encoding
and a trainable part (:mod:`~qcnn_tl.qnn.exact.lowering`). The encoding part becomes per-factor batch
operations (:mod:`~qcnn_tl.qnn.exact.encoding`). The trainable part is fused into blocks
(:mod:`~qcnn_tl.qnn.exact.fusion`), de-duplicated into factor tables built from the weights by a log-depth
product (:mod:`~qcnn_tl.qnn.exact.products`), and applied to the batch by the gathers of a plan
(:mod:`~qcnn_tl.qnn.exact.layout`, :mod:`~qcnn_tl.qnn.exact.apply`); its last blocks, on at most
:data:`MAX_TAIL_QUBITS` qubits with the observable, form one small unitary applied once to the state before
the diagonal observable. See ``docs/engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit import transpile
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl.qnn.exact.apply import ApplyBlocks
from qcnn_tl.qnn.exact.encoding import encode_op
from qcnn_tl.qnn.exact.fusion import Block, embed, fuse
from qcnn_tl.qnn.exact.layout import Plan, embedding
from qcnn_tl.qnn.exact.lowering import EXACT_BASIS, Factor, lower, split_factors
from qcnn_tl.qnn.exact.products import Chain, FactorTable

MAX_TAIL_QUBITS = 4
"""The trailing blocks that stay, with the observable, on at most this many qubits form the *tail*: their
product is built once per step as one small unitary, applied to the state before the diagonal observable."""

Placed = tuple[int, int, tuple[int, ...]]
"""A block's ``(table, index, qubits)``: it is block ``index`` of factor table ``table``."""


def _check_observable(observable: SparsePauliOp, num_qubits: int) -> None:
    """Raises ``ValueError`` unless ``observable`` is a diagonal (I/Z) Pauli sum on ``num_qubits`` qubits."""
    if observable.num_qubits != num_qubits:
        raise ValueError(f"observable must act on {num_qubits} qubits; got {observable.num_qubits}")
    if np.any(observable.paulis.x):
        raise ValueError(f"the exact engine needs a diagonal (I/Z) observable; got {observable}")


def _block_key(block: Block, weight_params: Sequence[Parameter]) -> tuple[int, bytes]:
    """A key equal for blocks with the same factors: their matrices on the block, weights and offsets."""
    parts = []
    for factor in block.factors:
        matrices = embed(factor, block.qubits)
        names = sorted((weight_params.index(p), c) for p, c in factor.coefs.items())
        parts.append(b"".join(m.tobytes() for m in matrices) + repr((names, factor.offset)).encode())
    return 1 << len(block.qubits), b"|".join(parts)


def _tabulate(
    blocks: Sequence[Block], weight_params: Sequence[Parameter], dtype: torch.dtype
) -> tuple[list[FactorTable], list[Placed]]:
    """De-duplicates ``blocks`` into factor tables, one per block size (one- before two-qubit blocks).

    Returns:
        The tables and, per block, where it lies in them (blocks with the same key share an entry).
    """
    unique: dict[tuple[int, bytes], int] = {}
    groups: dict[int, list[Block]] = {2: [], 4: []}
    keys = []
    for block in blocks:
        key = _block_key(block, weight_params)
        if key not in unique:
            unique[key] = len(groups[key[0]])
            groups[key[0]].append(block)
        keys.append(key)
    dims = [dim for dim, group in groups.items() if group]
    tables = [FactorTable(groups[dim], weight_params, dtype) for dim in dims]
    placed = [(dims.index(key[0]), unique[key], block.qubits) for key, block in zip(keys, blocks, strict=True)]
    return tables, placed


def _tail(blocks: Sequence[Block], observable: SparsePauliOp) -> tuple[int, tuple[int, ...]]:
    """The longest suffix of ``blocks`` that, with the observable, stays on :data:`MAX_TAIL_QUBITS` qubits.

    Returns:
        The index of its first block and its qubits (ascending; qubit 0 when the observable is the identity).
    """
    tail = {int(q) for q in np.flatnonzero(np.any(observable.paulis.z, axis=0))} or {0}
    split = len(blocks)
    while split and len(tail | set(blocks[split - 1].qubits)) <= MAX_TAIL_QUBITS:
        split -= 1
        tail |= set(blocks[split].qubits)
    return split, tuple(sorted(tail))


def _tail_gather(tables: Sequence[FactorTable], placed: Sequence[Placed], tail_qubits: tuple[int, ...]) -> np.ndarray:
    """Indices that gather the tail's blocks, embedded on ``tail_qubits``, from the flattened tables.

    The source vector is every table's block matrices (real form, flattened, in table order) followed by
    a 0 and a 1 (:func:`~qcnn_tl.qnn.exact.layout.embedding`).
    """
    sizes = [table.c.shape[0] * table.c.shape[-1] ** 2 for table in tables]
    position = {q: i for i, q in enumerate(tail_qubits)}
    blocks = [
        (sum(sizes[:t]) + i * tables[t].c.shape[-1] ** 2, tables[t].dim, tuple(position[q] for q in qubits))
        for t, i, qubits in placed
    ]
    return embedding(len(tail_qubits), blocks, sum(sizes))


def _observable_diagonal(observable: SparsePauliOp, tail_qubits: tuple[int, ...]) -> np.ndarray:
    """The diagonal observable on ``tail_qubits`` (which hold its support), in their local basis order."""
    diag = np.real(observable.to_matrix(sparse=True).diagonal())
    original = np.zeros(1 << len(tail_qubits), dtype=int)
    for j, q in enumerate(tail_qubits):
        original |= ((np.arange(len(original)) >> j) & 1) << q
    return diag[original]


class ExactEngine:
    r"""Exact, batched, differentiable :math:`\langle O\rangle` of a template in torch.

    Args:
        circuit: The template; every input-dependent gate must come before every weight-dependent one.
        input_params: Parameters bound per sample.
        weight_params: Trainable parameters (the gradient is with respect to these).
        observable: A diagonal (``I``/``Z``) Pauli observable on the circuit's qubits, or a sequence of
            them (a k-class readout's Z-strings): then every expectation value gains a last dimension, one
            entry per observable, all from the same state.
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
        observable: SparsePauliOp | Sequence[SparsePauliOp],
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
        factors = [f for inst in basic.data for f in lower(inst, basic)]
        encode, trainable = split_factors(factors, self.input_params, self.weight_params)
        self._build_encoding(encode)
        self._build_trainable(fuse(trainable), observable)

    @classmethod
    def from_template(cls, template: object, *, dtype: torch.dtype = torch.complex128) -> ExactEngine:
        """Builds the engine for a :class:`~qcnn_tl.circuits.QCNNTemplate` (its Z-strings for k > 2 classes)."""
        k_class = template.num_classes > 2  # type: ignore[attr-defined]
        return cls(
            template.circuit,  # type: ignore[attr-defined]
            input_params=template.input_params,  # type: ignore[attr-defined]
            weight_params=template.weight_params,  # type: ignore[attr-defined]
            observable=template.observables if k_class else template.observable,  # type: ignore[attr-defined]
            dtype=dtype,
        )

    def _build_encoding(self, factors: list[Factor]) -> None:
        """The encoding part's operations, on real states when all its factors are real."""
        real = all(np.isreal(m).all() for f in factors for m in (f.c, f.a, f.b))
        self._encode_dtype = self._real if real else self.dtype
        self._encode_ops = [encode_op(f, self.num_qubits, self.input_params, self._encode_dtype) for f in factors]

    def _build_trainable(self, blocks: list[Block], observable: SparsePauliOp | Sequence[SparsePauliOp]) -> None:
        """The trainable part: factor tables, the plan of the blocks before the tail, the tail, the observables."""
        self._many = not isinstance(observable, SparsePauliOp)
        observables = tuple(observable) if self._many else (observable,)  # type: ignore[arg-type]
        if not observables:
            raise ValueError("observable must be one observable or a non-empty sequence of them")
        for single in observables:
            _check_observable(single, self.num_qubits)
        self._tables, placed = _tabulate(blocks, self.weight_params, self.dtype)
        split, tail_qubits = _tail(blocks, SparsePauliOp.sum(observables))
        self.num_blocks = len(blocks)
        self.num_unique_blocks = sum(table.c.shape[0] for table in self._tables)
        self.num_tail_blocks = len(blocks) - split
        self._plan = Plan.build(self.num_qubits, placed[:split], tail_qubits)
        gather = _tail_gather(self._tables, placed[split:], tail_qubits)
        self._tail_index, self._tail_shape = torch.as_tensor(gather.flatten()), gather.shape
        self._zero_one = torch.tensor([0.0, 1.0], dtype=self._real)
        diagonals = [np.tile(_observable_diagonal(single, tail_qubits), 2) for single in observables]
        self._tail_diag = torch.as_tensor(np.stack(diagonals), dtype=self._real)

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
        r"""The encoding part on inputs ``x`` ``(B, num_inputs)``, from :math:`|0\rangle`."""
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
            Real expectation values ``(B,)`` (or ``(R, B)``), differentiable with respect to ``weights``; with a
            sequence of observables ``(B, K)`` (or ``(R, B, K)``).

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
        tables = [table.matrices(w) for table in self._tables]
        flat = [t.flatten(-3) for t in tables]
        source = torch.cat([*flat, self._zero_one.expand(*lead, 2)], dim=-1)
        unitary = Chain.apply(source.index_select(-1, self._tail_index).unflatten(-1, self._tail_shape))
        size = self._tail_diag.shape[-1] // 2
        batch = states.shape[-2]
        state = torch.stack((states.real.mT, states.imag.mT), dim=-3).to(self._real).view(-1, dim_states, batch)
        rotated = unitary @ ApplyBlocks.apply(self._plan, state, *tables).view(*lead, 2 * size, -1)
        if self._many:
            probabilities = (rotated * rotated).view(*lead, 2 * size, -1, batch).sum(dim=-2)
            return (self._tail_diag @ probabilities).mT
        return (self._tail_diag[0][:, None] * rotated * rotated).view(*lead, 2 * size, -1, batch).sum(dim=(-3, -2))

    def __call__(self, input_values: torch.Tensor | np.ndarray, weights: torch.Tensor) -> torch.Tensor:
        """``expectation(encode(input_values), weights)``."""
        return self.expectation(self.encode(input_values), weights)
