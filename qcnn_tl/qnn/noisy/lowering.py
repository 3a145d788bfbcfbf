r"""Lowering an ISA circuit and its device's noise to Pauli-transfer-matrix factors.

The noisy engine reuses the exact engine's factor form (:mod:`qcnn_tl.qnn.exact.lowering`): every
instruction of the ISA circuit becomes a factor

.. math:: R(a) = C + \cos(a)\,A + \sin(a)\,B,\qquad a = c_0 + \textstyle\sum_p c_p\,p,

now a real *Pauli transfer matrix* (PTM) :math:`R_{ij} = \operatorname{Tr}(P_i\,\mathcal{E}(P_j))/2^k` on
its :math:`k` qubits instead of a unitary. A rotation :math:`e^{-i\theta G/2}` (``rz``, ``rx``, ``ry``;
an ISA circuit's only parameterised gates) conjugates Paulis with frequency 1 in :math:`\theta`, so its
PTM has exactly that form; constant gates and the device's quantum errors (the channel Aer applies after
each instruction) are constant factors. The factors then go through the exact engine's fusion and
block machinery unchanged, with 4-dimensional sites (one Pauli index per qubit) instead of 2-dimensional
ones. See ``docs/noise.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.circuit import CircuitInstruction, Instruction, ParameterExpression, QuantumCircuit
from qiskit.circuit.library import RXGate, RYGate, RZGate, get_standard_gate_name_mapping
from qiskit.quantum_info import PTM, Operator, SparsePauliOp

from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.exact.lowering import Factor, linear_form
from qcnn_tl.qnn.noisy.device import DeviceNoise, readout_ptm

ROTATIONS = {"rz": RZGate, "rx": RXGate, "ry": RYGate}
"""Parameterised gates the noisy engine executes (an ISA circuit's are ``rz`` only)."""

_UNSUPPORTED = {
    "measure": "measurements",
    "reset": "resets",
    "delay": "delays (scheduled circuits)",
}


def gate_ptm(operation: Instruction) -> np.ndarray:
    """The real PTM of a constant gate (standard gates without parameters are computed once)."""
    if not operation.params and operation.name in _STANDARD:
        return _standard_ptm(operation.name, operation)
    return np.ascontiguousarray(np.real(PTM(Operator(operation)).data))


_STANDARD = frozenset(get_standard_gate_name_mapping())
_PTM_CACHE: dict[str, np.ndarray] = {}


def _standard_ptm(name: str, operation: Instruction) -> np.ndarray:
    if name not in _PTM_CACHE:
        _PTM_CACHE[name] = np.ascontiguousarray(np.real(PTM(Operator(operation)).data))
    return _PTM_CACHE[name]


def rotation_ptm_factor(name: str, qubits: tuple[int, ...], value: ParameterExpression | float) -> Factor:
    r"""The PTM of rotation ``name`` with angle ``value`` as :math:`C + \cos\theta\,A + \sin\theta\,B`.

    The three matrices come from the PTMs at :math:`\theta = 0, \pi, \pi/2` and are checked at a fourth angle.
    """
    gate = ROTATIONS[name]
    m0, m_pi, m_half = (gate_ptm(gate(angle)) for angle in (0.0, np.pi, np.pi / 2))
    c, a = (m0 + m_pi) / 2, (m0 - m_pi) / 2
    b = m_half - c
    probe = 0.731
    if not np.allclose(c + np.cos(probe) * a + np.sin(probe) * b, gate_ptm(gate(probe)), atol=1e-13):
        raise QcnnTlError(f"the PTM of {name} is not of first order in its angle")  # pragma: no cover
    coefs, offset = linear_form(value)
    return Factor(qubits, c, a, b, coefs, offset)


def _constant(qubits: tuple[int, ...], matrix: np.ndarray) -> Factor:
    zero = np.zeros_like(matrix)
    return Factor(qubits, matrix, zero, zero)


def active_qubits(circuit: QuantumCircuit, observable: SparsePauliOp) -> tuple[int, ...]:
    """The physical qubits an ISA circuit or its observable touches, ascending."""
    used = {circuit.find_bit(q).index for inst in circuit.data if inst.operation.name != "barrier" for q in inst.qubits}
    support = np.flatnonzero(np.any(observable.paulis.z | observable.paulis.x, axis=0))
    return tuple(sorted(used | {int(q) for q in support}))


def restrict_observable(observable: SparsePauliOp, qubits: Sequence[int]) -> SparsePauliOp:
    """``observable`` on the given physical qubits only (local qubit ``i`` is ``qubits[i]``).

    Raises:
        QcnnTlError: If it acts on another qubit.
    """
    keep = list(qubits)
    rest = np.setdiff1d(np.arange(observable.num_qubits), keep)
    paulis = observable.paulis
    if np.any(paulis.z[:, rest] | paulis.x[:, rest]):
        raise QcnnTlError("the observable acts on qubits the circuit does not use")
    from qiskit.quantum_info import PauliList

    local = PauliList.from_symplectic(paulis.z[:, keep], paulis.x[:, keep], paulis.phase)
    return SparsePauliOp(local, observable.coeffs)


def _lower(
    instruction: CircuitInstruction, circuit: QuantumCircuit, local: dict[int, int], noise: DeviceNoise
) -> list[Factor]:
    op = instruction.operation
    if op.name == "barrier":
        return []
    physical = tuple(circuit.find_bit(q).index for q in instruction.qubits)
    if op.name in _UNSUPPORTED:
        raise QcnnTlError(
            f"the noisy engine evaluates estimator circuits without {_UNSUPPORTED[op.name]}; got {op.name}"
        )
    if op.name not in noise.target.operation_names:
        raise QcnnTlError(
            f"instruction {op.name!r} on qubits {physical} is not in {noise.name}'s target; "
            "was the circuit transpiled for another device?"
        )
    if physical not in noise.target[op.name] and None not in noise.target[op.name]:
        raise QcnnTlError(f"{noise.name} has no {op.name!r} on qubits {physical}")
    qubits = tuple(local[q] for q in physical)
    if any(isinstance(p, ParameterExpression) for p in op.params):
        if op.name not in ROTATIONS:
            raise QcnnTlError(f"the noisy engine executes parameterised {', '.join(ROTATIONS)} only; got {op.name!r}")
        factors = [rotation_ptm_factor(op.name, qubits, op.params[0])]
    else:
        try:
            factors = [_constant(qubits, gate_ptm(op))]
        except Exception as exc:
            raise QcnnTlError(f"the noisy engine cannot build the channel of {op.name!r}: {exc}") from exc
    error = noise.gate_error_ptm(op.name, physical)
    if error is not None:
        factors.append(_constant(qubits, error))
    return factors


def lower_noisy(
    circuit: QuantumCircuit,
    observable: SparsePauliOp,
    noise: DeviceNoise,
    *,
    readout_error: bool,
) -> tuple[tuple[int, ...], list[Factor], SparsePauliOp]:
    """Lowers an ISA circuit and its device noise to PTM factors on its active qubits.

    Args:
        circuit: The ISA circuit (full device width, no measurements).
        observable: Its observable, mapped through the layout (full width).
        noise: The device's noise.
        readout_error: Append the readout error of every measured qubit (the qubits the observable acts
            on) as a last channel, so the result is the ⟨O⟩ a measuring estimator sees without mitigation.

    Returns:
        The physical qubits kept (local qubit ``i`` is ``qubits[i]``), the factors in circuit order and the
        observable on the local qubits.

    Raises:
        QcnnTlError: If the circuit is wider than the device, or holds an instruction the device, the noise
            model or the engine does not know.
    """
    if circuit.num_qubits > noise.target.num_qubits:
        raise QcnnTlError(
            f"the circuit has {circuit.num_qubits} qubits but {noise.name} has {noise.target.num_qubits}; "
            f"transpile it for {noise.name} first"
        )
    qubits = active_qubits(circuit, observable)
    local = {q: i for i, q in enumerate(qubits)}
    factors = [f for inst in circuit.data for f in _lower(inst, circuit, local, noise)]
    observed = restrict_observable(observable, qubits)
    if readout_error:
        support = np.flatnonzero(np.any(observed.paulis.z | observed.paulis.x, axis=0))
        for q in support:
            error = noise.readout_error(qubits[q])
            if error is not None:
                factors.append(_constant((int(q),), readout_ptm(error)))
    return qubits, factors, observed
