r"""The noisy engine: exact, batched, differentiable :math:`\langle O\rangle` of an ISA circuit under a device's noise.

The ISA circuit and the device's Aer noise model are lowered to Pauli-transfer-matrix factors
(:mod:`qcnn_tl.qnn.noisy.lowering`) and split, fused and tabulated by the exact engine's machinery
(:mod:`qcnn_tl.qnn.exact`), with one 4-dimensional site (a Pauli index) per qubit. Writing states and
observables in the Pauli basis, :math:`r_i = \operatorname{Tr}(P_i\rho)` and :math:`O = \sum_i o_i P_i`,

.. math:: \langle O\rangle = o^T R_m \cdots R_1\, r_0
          = \underbrace{(R_{k+1}^T \cdots R_m^T\, o)}_{o'(w)}{}^T\;
            \underbrace{R_k \cdots R_1\, r_0}_{r(x)} ,

where :math:`R_1..R_k` is the *encoding* part (input-dependent, per sample) and :math:`R_{k+1}..R_m` the
*trainable* part (weight-dependent). The trainable part runs once per weight vector in the Heisenberg
picture: the observable is pulled back through it, with the exact engine's block application and its
hand-written adjoint pass (so the weight gradient costs about two more passes). The encoding part runs per
sample, separately on each group of qubits that its two-qubit gates connect, so its result is a product of
small vectors (one per qubit for angle encoding). :math:`\langle O\rangle` is the contraction of
:math:`o'(w)` with that product. Nothing is sampled: the result is exact under the noise model, and Aer's
density-matrix ``EstimatorV2`` agrees to round-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qcnn_tl.qnn.exact.apply import ApplyBlocks
from qcnn_tl.qnn.exact.fusion import Block, fuse
from qcnn_tl.qnn.exact.layout import Plan
from qcnn_tl.qnn.exact.lowering import Factor, split_factors
from qcnn_tl.qnn.exact.products import FactorTable
from qcnn_tl.qnn.noisy.device import DeviceNoise
from qcnn_tl.qnn.noisy.lowering import lower_noisy, restrict_observable

SITE = 4
"""Dimension of one qubit's Pauli index (I, X, Y, Z)."""


def _bits(qubits: Sequence[int]) -> tuple[int, ...]:
    """The two index bits of each qubit's Pauli index (qubit ``q`` holds bits ``2q``, ``2q + 1``)."""
    return tuple(b for q in qubits for b in (2 * q, 2 * q + 1))


def _tables(blocks: Sequence[Block], params: Sequence[Parameter]) -> tuple[list[FactorTable], list[int]]:
    """Blocks grouped by size into real factor tables; per block, its table."""
    sizes = sorted({len(b.qubits) for b in blocks})
    tables = [
        FactorTable([b for b in blocks if len(b.qubits) == s], params, torch.float64, site_dim=SITE) for s in sizes
    ]
    return tables, [sizes.index(len(b.qubits)) for b in blocks]


def _placed(blocks: Sequence[Block], table_of: Sequence[int], local: dict[int, int]) -> list[tuple[int, int, tuple]]:
    """``(table, index, bits)`` per block, with qubits renumbered by ``local``."""
    seen: dict[int, int] = {}
    out = []
    for block, table in zip(blocks, table_of, strict=True):
        index = seen.get(table, 0)
        seen[table] = index + 1
        out.append((table, index, _bits([local[q] for q in block.qubits])))
    return out


@dataclass(frozen=True)
class _Group:
    """The encoding part on one group of connected qubits: its blocks, in order, on the group's own sites.

    Attributes:
        qubits: The group's qubits (site ``i`` is ``qubits[i]``).
        tables: Factor tables of the blocks, by size.
        steps: Per block ``(table, index, sites)``, ``sites`` in the block's own qubit order.
    """

    qubits: tuple[int, ...]
    tables: tuple[FactorTable, ...]
    steps: tuple[tuple[int, int, tuple[int, ...]], ...]

    @property
    def size(self) -> int:
        return SITE ** len(self.qubits)


def _groups(factors: Sequence[Factor], num_qubits: int, inputs: Sequence[Parameter]) -> list[_Group]:
    """The encoding part split into groups of qubits that its multi-qubit factors connect."""
    parent = list(range(num_qubits))

    def root(q: int) -> int:
        while parent[q] != q:
            q = parent[q]
        return q

    for f in factors:
        for q in f.qubits[1:]:
            parent[root(q)] = root(f.qubits[0])
    members: dict[int, list[int]] = {}
    for q in range(num_qubits):
        members.setdefault(root(q), []).append(q)
    groups = []
    for qubits in sorted(members.values()):
        local = {q: i for i, q in enumerate(qubits)}
        blocks = fuse([f for f in factors if f.qubits[0] in local])
        tables, table_of = _tables(blocks, inputs) if blocks else ([], [])
        steps = [
            (table, index, tuple(local[q] for q in blocks[k].qubits))
            for k, (table, index, _) in enumerate(_placed(blocks, table_of, local))
        ]
        groups.append(_Group(tuple(qubits), tuple(tables), tuple(steps)))
    return groups


ZERO = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
"""The Pauli vector of |0⟩⟨0| = (I + Z)/2: Tr(P ρ) for P = I, X, Y, Z."""


def encode_group(
    batch: int, num_sites: int, steps: Sequence[tuple[int, int, tuple[int, ...]]], tables: Sequence[torch.Tensor]
) -> torch.Tensor:
    r"""Per-sample Pauli vectors of |0…0⟩ after per-sample blocks on ``num_sites`` sites.

    Args:
        batch: Number of samples ``B``.
        num_sites: Sites of the group (qubits).
        steps: Per block ``(table, index, sites)``, in circuit order.
        tables: Per table, the block matrices ``(B, num_blocks, d, d)``.

    Returns:
        ``(B, 4**num_sites)``, site ``i`` the base-4 digit ``i`` of the index.

    Sites join the vector when a block first touches them (until then they hold :data:`ZERO`), so the early
    blocks of a state preparation act on short vectors. A block's sites are brought to the front by a
    permutation of the ``(4,) * k`` axes that keeps the other axes in order (long contiguous runs: several
    times cheaper than a gather), multiplied, and left in that order for the next block; one permutation at
    the end restores the index order.
    """
    state = torch.ones(batch, 1, dtype=torch.float64)
    order: list[int] = []  # axis j + 1 of the state holds site order[j]
    for table, index, sites in steps:
        for site in sites:
            if site not in order:
                state = (ZERO[:, None] * state[:, None, :]).reshape(batch, -1)
                order.insert(0, site)
        front = list(reversed(sites))  # a block's local index has its first qubit as lowest digit
        rest = [site for site in order if site not in front]
        perm = [order.index(site) for site in front + rest]
        moved = state.view(batch, *(SITE,) * len(order)).permute(0, *(1 + p for p in perm))
        block = tables[table][:, index]
        state = (block @ moved.reshape(batch, block.shape[-1], -1)).view(batch, -1)
        order = front + rest
    for site in range(num_sites):
        if site not in order:
            state = (ZERO[:, None] * state[:, None, :]).reshape(batch, -1)
            order.insert(0, site)
    final = [order.index(site) for site in reversed(range(num_sites))]
    return state.view(batch, *(SITE,) * num_sites).permute(0, *(1 + p for p in final)).reshape(batch, -1)


class NoisyEngine:
    r"""Exact :math:`\langle O\rangle` of an ISA circuit under a device's Aer noise model, in torch.

    Args:
        circuit: The ISA circuit (transpiled for ``noise.target``, full device width, no measurements);
            every input-dependent gate must come before every weight-dependent one on its qubits.
        observable: Its observable, mapped through the layout (``IsaCircuit.observable``), or a sequence of
            them (a k-class readout's Z-strings): each is pulled back through the trainable part (one pass, one
            column each), and every expectation value gains a last dimension, one entry per observable.
        input_params: Parameters bound per sample.
        weight_params: Trainable parameters.
        noise: The device's noise (:func:`~qcnn_tl.qnn.noisy.device.device_noise`).
        readout_error: Apply the readout error of the measured qubits (every qubit an observable acts on; what a
            measuring estimator without
            readout mitigation sees; Aer's ``EstimatorV2`` and Runtime with TREX, resilience level ≥ 1, do
            not show it).

    Raises:
        QcnnTlError: If the circuit is wider than the device or holds an instruction the device, the noise
            model or the engine does not know.
        ValueError: If parameters are neither inputs nor weights, or inputs and weights mix.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        observable: SparsePauliOp | Sequence[SparsePauliOp],
        *,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        noise: DeviceNoise,
        readout_error: bool = False,
    ) -> None:
        self.input_params = tuple(input_params)
        self.weight_params = tuple(weight_params)
        unknown = set(circuit.parameters) - set(self.input_params) - set(self.weight_params)
        if unknown:
            names = sorted(p.name for p in unknown)[:5]
            raise ValueError(f"circuit parameters {names} are neither inputs nor weights")
        self.noise = noise
        self.readout_error = bool(readout_error)
        self._many = not isinstance(observable, SparsePauliOp)
        observables = tuple(observable) if self._many else (observable,)  # type: ignore[arg-type]
        if not observables:
            raise ValueError("observable must be one observable or a non-empty sequence of them")
        combined = SparsePauliOp.sum(observables)
        self.qubits, factors, _ = lower_noisy(circuit, combined, noise, readout_error=readout_error)
        self.num_qubits = len(self.qubits)
        encode, trainable = split_factors(factors, self.input_params, self.weight_params)
        self._groups = _groups(encode, self.num_qubits, self.input_params)
        self._build_trainable(fuse(trainable), [restrict_observable(o, self.qubits) for o in observables])

    def _build_trainable(self, blocks: list[Block], observables: Sequence[SparsePauliOp]) -> None:
        """The Heisenberg pass: the trainable blocks in reverse order (transposed when applied), and :math:`o`.

        Every block is kept, also those outside the observable's backward light cone: Aer drops error terms
        below its threshold (:data:`~qcnn_tl.qnn.noisy.device.AER_THRESHOLD`), so its channels are not
        exactly trace-preserving and do not map :math:`I` to exactly :math:`I` in the Heisenberg picture.
        """
        self.num_blocks = len(blocks)
        identity = {q: q for q in range(self.num_qubits)}
        backwards = blocks[::-1]
        self._tables, table_of = _tables(backwards, self.weight_params) if blocks else ([], [])
        self._plan = Plan.build(2 * self.num_qubits, _placed(backwards, table_of, identity), ())
        vectors = np.zeros((len(observables), SITE**self.num_qubits))
        for vector, observable in zip(vectors, observables, strict=True):
            for pauli, coeff in zip(observable.paulis, observable.coeffs, strict=True):
                if abs(coeff.imag) > 1e-12:
                    raise ValueError(f"the observable must be Hermitian; got coefficient {coeff}")
                index = 0
                for q in range(self.num_qubits):
                    x, z = bool(pauli.x[q]), bool(pauli.z[q])
                    index += SITE**q * (0 if not (x or z) else 1 if x and not z else 2 if x and z else 3)
                phase = (-1j) ** int(pauli.phase)
                vector[index] += float(np.real(coeff * phase))
        self._observables = torch.as_tensor(vectors)
        order = [q for group in self._groups for q in reversed(group.qubits)]
        self._axes = [self.num_qubits - 1 - q for q in order]

    @classmethod
    def from_isa(cls, template: object, isa: object, noise: DeviceNoise, *, readout_error: bool = False) -> NoisyEngine:
        """The engine for a :class:`~qcnn_tl.circuits.QCNNTemplate` transpiled to ``isa`` (an ``IsaCircuit``).

        The template's parameters are matched to the ISA circuit's by name, so an ISA circuit transpiled
        (or cached) for an equal template built separately works too. A k-class template's Z-strings are
        mapped through the layout (:func:`~qcnn_tl.qnn.readout.isa_observables`).
        """
        from qcnn_tl.qnn.readout import isa_observables

        by_name = {p.name: p for p in isa.circuit.parameters}  # type: ignore[attr-defined]
        observables = isa_observables(template, isa)  # type: ignore[arg-type]
        return cls(
            isa.circuit,  # type: ignore[attr-defined]
            observables if template.num_classes > 2 else observables[0],  # type: ignore[attr-defined]
            input_params=[by_name.get(p.name, p) for p in template.input_params],  # type: ignore[attr-defined]
            weight_params=[by_name.get(p.name, p) for p in template.weight_params],  # type: ignore[attr-defined]
            noise=noise,
            readout_error=readout_error,
        )

    @property
    def num_inputs(self) -> int:
        """Number of input parameters."""
        return len(self.input_params)

    @property
    def num_weights(self) -> int:
        """Number of weight parameters."""
        return len(self.weight_params)

    @property
    def encoded_size(self) -> int:
        """Length of one sample's encoded vector (the groups' Pauli vectors, concatenated)."""
        return sum(group.size for group in self._groups)

    def encode(self, input_values: torch.Tensor | np.ndarray, *, chunk_size: int | None = None) -> torch.Tensor:
        r"""Runs the (noisy) encoding part per sample.

        Args:
            input_values: Shape ``(B, num_inputs)``.
            chunk_size: Samples processed together (default: as many as keep about 2 MB of vectors, which
                stays in cache).

        Returns:
            ``(B, encoded_size)``: per sample, the Pauli vectors :math:`\\operatorname{Tr}(P_i\\rho)` of each
            qubit group's state, concatenated (their tensor product is the encoded state).

        Raises:
            ValueError: On a wrong shape or non-finite values.
        """
        x = torch.as_tensor(input_values, dtype=torch.float64)
        if x.ndim != 2 or x.shape[1] != self.num_inputs:
            raise ValueError(f"input_values must have shape (B, {self.num_inputs}); got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("input_values contain NaN or infinite values")
        chunk = chunk_size or max(1, 2**18 // max(group.size for group in self._groups))
        with torch.no_grad():
            parts = [self._encode_chunk(part) for part in torch.split(x, chunk)]
        return torch.cat(parts) if parts else torch.zeros(0, self.encoded_size, dtype=torch.float64)

    def _encode_chunk(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for group in self._groups:
            tables = [table.matrices(x) for table in group.tables]
            out.append(encode_group(len(x), len(group.qubits), group.steps, tables))
        return torch.cat(out, dim=-1)

    def pulled_back(self, weights: torch.Tensor) -> torch.Tensor:
        r"""The observable pulled back through the trainable part, :math:`o'(w)`, shape ``(..., 4**n)``.

        With a sequence of observables, shape ``(..., 4**n, K)``: one column per observable.
        """
        w = weights.to(torch.float64)
        lead = tuple(w.shape[:-1])
        tables = [table.matrices(w).mT for table in self._tables]
        size = self._observables.shape[-1]
        if self._many:
            start = self._observables.mT.expand(*lead, -1, -1).reshape(-1, size, len(self._observables)).contiguous()
        else:
            start = self._observables[0].expand(*lead, -1).reshape(-1, size, 1).contiguous()
        shape = (*lead, size, -1) if self._many else (*lead, -1)
        if not tables:
            return start.view(*shape)
        return ApplyBlocks.apply(self._plan, start, *tables).view(*shape)

    def expectation(self, encoded: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle O\rangle` per sample, differentiable with respect to ``weights``.

        Args:
            encoded: ``(B, encoded_size)`` from :meth:`encode`, or ``(R, B, encoded_size)`` with replicated weights.
            weights: ``(num_weights,)`` or ``(R, num_weights)``.

        Returns:
            ``(B,)`` or ``(R, B)``; with a sequence of observables ``(B, K)`` or ``(R, B, K)``.

        Raises:
            ValueError: On wrong shapes.
        """
        if weights.shape[-1:] != (self.num_weights,) or weights.ndim not in (1, 2):
            raise ValueError(
                f"weights must have shape ({self.num_weights},) or (R, {self.num_weights}); got {tuple(weights.shape)}"
            )
        return self.contract(encoded, self.pulled_back(weights))

    def contract(self, encoded: torch.Tensor, pulled: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle O\rangle = \langle o'(w), \text{encoded}\rangle` per sample.

        ``pulled`` comes from :meth:`pulled_back`; reuse it for many batches of one weight vector.

        Args:
            encoded: ``(B, encoded_size)``, or ``(R, B, encoded_size)`` with ``pulled`` of shape ``(R, 4**n)``.
            pulled: ``(4**n,)`` or ``(R, 4**n)``; ``(4**n, K)`` or ``(R, 4**n, K)`` with a sequence of observables.

        Returns:
            ``(B,)`` or ``(R, B)``; ``(B, K)`` or ``(R, B, K)`` with a sequence of observables.

        Raises:
            ValueError: On wrong shapes.
        """
        if self._many:
            return torch.stack([self._contract(encoded, pulled[..., k]) for k in range(pulled.shape[-1])], dim=-1)
        return self._contract(encoded, pulled)

    def _contract(self, encoded: torch.Tensor, pulled: torch.Tensor) -> torch.Tensor:
        """:meth:`contract` for one observable."""
        replicated = pulled.ndim == 2
        if (
            encoded.ndim != pulled.ndim + 1
            or encoded.shape[-1] != self.encoded_size
            or (replicated and len(encoded) != len(pulled))
        ):
            prefix = f"R={len(pulled)}, " if replicated else ""
            raise ValueError(f"encoded must have shape ({prefix}B, {self.encoded_size}); got {tuple(encoded.shape)}")
        lead = pulled.shape[:-1]
        tensor = pulled.view(*lead, *(SITE,) * self.num_qubits).permute(
            *range(len(lead)), *(len(lead) + a for a in self._axes)
        )
        flat = tensor.reshape(*lead, -1)
        batch = encoded.shape[-2]
        parts = torch.split(encoded, [g.size for g in self._groups], dim=-1)
        rest = flat[..., None]  # (..., prod sizes, 1)
        result = None
        for group, part in zip(reversed(self._groups), reversed(parts), strict=True):
            vectors = part.mT  # (..., size, B)
            if result is None:
                result = rest.squeeze(-1).reshape(*lead, -1, group.size) @ vectors
            else:
                result = (result.reshape(*lead, -1, group.size, batch) * vectors[..., None, :, :]).sum(-2)
        assert result is not None  # a template has at least one qubit group
        return result.reshape(*lead, batch)

    def __call__(self, input_values: torch.Tensor | np.ndarray, weights: torch.Tensor) -> torch.Tensor:
        """``expectation(encode(input_values), weights)``."""
        return self.expectation(self.encode(input_values), weights)


def sample_expectation(expectation: torch.Tensor, shots: int, *, seed: int | None = None) -> torch.Tensor:
    r"""Shot-noise estimates of a ±1-valued observable's :math:`\langle O\rangle`: binomial counts of the +1 outcome.

    Args:
        expectation: Exact values in :math:`[-1, 1]`.
        shots: Shots per value (positive).
        seed: Seed of the sampling.

    Returns:
        :math:`2k/\text{shots} - 1` with :math:`k \sim \mathrm{Binomial}(\text{shots}, (1 + \langle O\rangle)/2)`.
    """
    if not (isinstance(shots, int) and not isinstance(shots, bool) and shots >= 1):
        raise ValueError(f"shots must be a positive integer; got {shots!r}")
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(seed)
    p = ((1 + expectation.detach().to(torch.float64)) / 2).clamp(0, 1)
    counts = torch.binomial(torch.full_like(p, float(shots)), p, generator=generator)
    return 2 * counts / shots - 1
